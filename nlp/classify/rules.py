"""Transparent rule/lexicon baseline: weighted cue matches on Kiwi morphemes and surface text.

The cues are data (``models/cues.json``), written from the codebook and the team's
rulings.  For each label the score of a sentence is the sum of the weights of the
distinct cues it contains, multiplied by an *AI-context factor* when neither the
sentence nor its neighbours mention AI (the labels apply to AI only); the
probability is ``1 - exp(-score)``.  ``fit`` learns nothing but one threshold per
label (on the training data it is given) and, with ``expand=True``, adds
neighbours of the single-morpheme cues from Kiwi's CoNgram embeddings
(``most_similar_morphemes``) at a reduced weight.

Matching:

- *morpheme* cues are tokenized with Kiwi when the model is built and match a
  contiguous run of morpheme forms (``규제`` matches 규제를 / 규제하는; ``법`` does
  not match 방법);
- *text* cues match a case-insensitive substring of the sentence with all
  whitespace removed (acronyms, fixed compounds).

The saved model (``model.json``) holds the effective cue table with the cues'
morpheme runs already computed, so loading and predicting need no Kiwi model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..formats import write_json_atomic
from ..labels import codebook_version, models_dir
from .base import SentenceClassifier, SentenceItem, item_morphemes, read_model_json, tune_thresholds

_SPACE = re.compile(r"\s+")
EXPAND_TAGS = ("NNG", "NNP")


def default_cues_path() -> Path:
    """The shipped cue lexicon (``cues.json`` of the shipped data)."""
    return models_dir() / "cues.json"


def _norm(text: str) -> str:
    return _SPACE.sub("", text).lower()


def load_cues(path: str | Path | None = None) -> dict:
    """The cue lexicon (``models/cues.json`` by default), checked for shape."""
    p = Path(path) if path is not None else default_cues_path()
    try:
        cues = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{p}: cue lexicon not found") from None
    except ValueError as exc:
        raise ModelError(f"{p}: not valid JSON ({exc})") from None
    for task in ("dimensions", "frames"):
        if task not in cues:
            raise ModelError(f"{p}: no {task!r} section; expected keys ai_gate, dimensions, frames")
    return cues


class RuleClassifier(SentenceClassifier):
    """Weighted cue matching per label (see module docstring).

    Parameters
    ----------
    task : "dimensions" or "frames"
    cues_path : cue lexicon JSON; default ``models/cues.json``
    expand : add CoNgram neighbours of single-morpheme cues at ``fit`` time
    expand_top_n, expand_min_score, expand_factor : neighbours per cue, minimum cosine
        similarity, and weight factor (new weight = cue weight * factor * similarity)
    use_gate : apply the AI-context factor from the lexicon
    """

    backend = "rules"

    def __init__(self, task: str = "dimensions", cues_path: str | Path | None = None, expand: bool = False,
                 expand_top_n: int = 5, expand_min_score: float = 0.65, expand_factor: float = 0.5,
                 use_gate: bool = True) -> None:
        self.task = task
        self.cues_path = cues_path
        self.expand = expand
        self.expand_top_n = expand_top_n
        self.expand_min_score = expand_min_score
        self.expand_factor = expand_factor
        self.use_gate = use_gate

    # ------------------------------------------------------------------ building the cue table

    def _build_table(self) -> dict:
        """Effective cues: per label a list of ``[kind, cue, weight, pattern]``."""
        from ..tokenize import get_kiwi

        lex = load_cues(self.cues_path)
        section = lex[self.task]
        kiwi = get_kiwi()
        table: dict[str, list] = {}
        for label in self.labels:
            entries = section.get(label)
            if entries is None:
                raise ModelError(f"cue lexicon has no entry for {self.task} label {label!r}")
            rows: list[list] = []
            for cue, w in entries.get("morphemes", {}).items():
                forms = [t.form for t in kiwi.tokenize(cue)]
                rows.append(["morpheme", cue, float(w), forms])
            for cue, w in entries.get("text", {}).items():
                rows.append(["text", cue, float(w), _norm(cue)])
            if self.expand:
                rows.extend(self._expansions(kiwi, rows))
            table[label] = rows
        return table

    def _expansions(self, kiwi, rows: list[list]) -> list[list]:
        have = {r[1] for r in rows} | {r[3][0] for r in rows if r[0] == "morpheme" and len(r[3]) == 1}
        extra: dict[str, list] = {}
        for kind, cue, w, pat in rows:
            if kind != "morpheme" or len(pat) != 1 or w <= 0:
                continue
            sims = []
            for target in (cue, *((cue, t) for t in EXPAND_TAGS)):
                try:
                    sims = kiwi.most_similar_morphemes(target, top_n=self.expand_top_n)
                    break
                except (ValueError, RuntimeError):
                    continue
            for s in sims:
                if s.score < self.expand_min_score or s.form in have or not s.tag.startswith("N"):
                    continue
                new_w = round(w * self.expand_factor * float(s.score), 3)
                if s.form not in extra or extra[s.form][2] < new_w:
                    extra[s.form] = ["morpheme", s.form, new_w, [s.form], f"~{cue}"]
        return list(extra.values())

    # ------------------------------------------------------------------ sklearn-style API

    def fit(self, items: Sequence[SentenceItem], Y: np.ndarray, **_ignored) -> RuleClassifier:
        """Build the cue table, then tune one threshold per label on ``items``' scores."""
        Y = self._check_fit_input(items, Y)
        lex = load_cues(self.cues_path)
        gate = lex.get("ai_gate", {})
        self.gate_ = {"text": [_norm(t) for t in gate.get("text", [])], "factor": float(gate.get("factor", 1.0))}
        self.table_ = self._build_table()
        self.thresholds_ = np.full(len(self.labels), 0.5)
        self.thresholds_ = tune_thresholds(Y, self.predict_proba(items))
        self.metadata_ = {"codebook_version": codebook_version(), "n_train": len(items),
                          "label_counts": dict(zip(self.labels, Y.sum(0).tolist()))}
        return self

    def _gate(self, item: SentenceItem) -> float:
        if not self.use_gate or not self.gate_["text"]:
            return 1.0
        ctx = _norm(" ".join((item.prev_text, item.text, item.next_text)))
        return 1.0 if any(g in ctx for g in self.gate_["text"]) else self.gate_["factor"]

    def _matches(self, item: SentenceItem, forms: Sequence[str], label: str) -> list[tuple[str, float]]:
        text = _norm(item.text)
        joined = "\x00" + "\x00".join(forms) + "\x00"
        hits = []
        for row in self.table_[label]:
            kind, cue, w, pat = row[:4]
            if kind == "text":
                ok = bool(pat) and pat in text
            else:
                ok = bool(pat) and ("\x00" + "\x00".join(pat) + "\x00") in joined
            if ok:
                hits.append((cue if len(row) < 5 else f"{cue}{row[4]}", w))
        return hits

    def predict_proba(self, items: Sequence[SentenceItem]) -> np.ndarray:
        """Probabilities ``1 - exp(-score)``; shape ``(n_items, n_labels)``."""
        self._check_fitted()
        morphs = item_morphemes(items)
        out = np.zeros((len(items), len(self.labels)))
        for i, (item, ms) in enumerate(zip(items, morphs)):
            forms = [m[0] for m in ms]
            g = self._gate(item)
            for j, label in enumerate(self.labels):
                score = sum(w for _c, w in self._matches(item, forms, label)) * g
                out[i, j] = 1.0 - math.exp(-max(score, 0.0))
        return out

    def explain(self, item: SentenceItem, label: str, k: int = 5) -> list[str]:
        """The matched cues with their weights, strongest first (and the AI-context factor if applied).

        >>> clf = RuleClassifier("frames").fit([SentenceItem("AI 군비경쟁이 격화된다.")], np.array([[0, 1] + [0] * 7]))
        >>> clf.explain(SentenceItem("AI 군비경쟁이 격화된다."), "military_security")
        ['군비 (+2.0)', '군비경쟁 (+2.0)']
        """
        self._check_fitted()
        if label not in self.labels:
            raise ModelError(f"unknown {self.task} label {label!r}; allowed: {', '.join(self.labels)}")
        forms = [m[0] for m in item_morphemes([item])[0]]
        hits = sorted(self._matches(item, forms, label), key=lambda h: (-h[1], h[0]))[:k]
        out = [f"{c} ({w:+.1f})" for c, w in hits]
        g = self._gate(item)
        if hits and g != 1.0:
            out.append(f"no AI context (x{g:g})")
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "table_"):
            raise ModelError("RuleClassifier is not fitted; call fit() or load() first")

    # ------------------------------------------------------------------ persistence (JSON only)

    def save(self, path) -> None:
        """Write the effective cue table and thresholds to ``model.json``."""
        self._check_fitted()
        write_json_atomic(Path(path) / "model.json", {
            "backend": self.backend, "task": self.task, "labels": list(self.labels),
            "codebook_version": codebook_version(),
            "params": {"expand": self.expand, "expand_top_n": self.expand_top_n,
                       "expand_min_score": self.expand_min_score, "expand_factor": self.expand_factor,
                       "use_gate": self.use_gate},
            "thresholds": [float(t) for t in self.thresholds_],
            "gate": self.gate_, "cues": self.table_, "metadata": getattr(self, "metadata_", {}),
        })

    @classmethod
    def load(cls, path) -> RuleClassifier:
        """Read a saved rule model."""
        meta = read_model_json(path, backend=cls.backend)
        try:
            clf = cls(meta["task"], **meta.get("params", {}))
            clf.gate_ = meta["gate"]
            clf.table_ = meta["cues"]
            clf.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
        except (KeyError, TypeError) as exc:
            raise ModelError(f"{path}: incomplete rules model ({exc})") from None
        if set(clf.table_) != set(clf.labels) or clf.thresholds_.shape != (len(clf.labels),):
            raise ModelError(f"{path}: cue table or thresholds do not match the labels of {clf.task}")
        clf.metadata_ = meta.get("metadata", {})
        return clf
