"""Which sentences to label next: uncertainty, rare frames, diversity across documents and predicted labels.

Each candidate sentence has one probability per label (``scores`` in the JSON
contract, or a classifier's ``predict_proba``) and a predicted label set.

- **uncertainty** ``u``: mean binary entropy (bits) of the label probabilities;
- **rarity** ``r``: for each frame, ``p * (1 - share)``, where ``share`` is the fraction
  of candidates predicted to carry that frame; ``r`` is the largest value
  (a sentence that may carry a frame the pool rarely shows);
- base score ``u * (1 + rare_weight * r)``;
- **diversity**, applied greedily: each sentence already taken from the same document
  multiplies the score by ``doc_decay``, each taken sentence with the same predicted
  label set by ``labelset_decay``.

Ties are broken by a seeded random order, so a run is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..labels import dimension_ids, frame_ids


@dataclass(frozen=True)
class Choice:
    """One selected sentence and why: position in the candidate list and the score components."""

    position: int
    score: float
    uncertainty: float
    rarity: float
    rare_label: str | None


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in bits of Bernoulli probabilities, elementwise.

    >>> binary_entropy(np.array([0.5, 1.0, 0.0])).tolist()
    [1.0, 0.0, 0.0]
    """
    q = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    h = -(q * np.log2(q) + (1 - q) * np.log2(1 - q))
    return np.where((p <= 0) | (p >= 1), 0.0, h)


def select(proba: np.ndarray, predicted: np.ndarray, groups: Sequence[str], labels: Sequence[str], n: int,
           rare_labels: Sequence[str] | None = None, rare_weight: float = 1.0, doc_decay: float = 0.5,
           labelset_decay: float = 0.8, seed: int = 0) -> list[Choice]:
    """Greedy choice of ``n`` candidates (rows of ``proba``) worth labelling, best first.

    Parameters
    ----------
    proba : array (n_candidates, n_labels) of label probabilities.
    predicted : array (n_candidates, n_labels), 0/1, the predicted label sets.
    groups : document id of each candidate.
    labels : label id of each column.
    rare_labels : columns that earn the rarity bonus (default: the frames among ``labels``).

    >>> p = np.array([[0.5, 0.5], [0.9, 0.1], [0.45, 0.5], [0.6, 0.4]])
    >>> [c.position for c in select(p, p > 0.5, ["a", "a", "a", "b"], ["x", "sovereignty"], 2)]
    [0, 3]
    """
    P = np.asarray(proba, dtype=float)
    Yp = np.asarray(predicted).astype(bool)
    if P.ndim != 2 or P.shape != Yp.shape or P.shape[0] != len(groups) or P.shape[1] != len(labels):
        raise UsageError(f"proba {P.shape}, predicted {Yp.shape}, {len(groups)} groups and {len(labels)} labels "
                         "must describe the same candidates and labels")
    if n < 1:
        raise UsageError(f"the number of sentences to select must be 1 or more; got {n}")
    if not 0 < doc_decay <= 1 or not 0 < labelset_decay <= 1:
        raise UsageError(f"decays must be in (0, 1]; got doc_decay={doc_decay}, labelset_decay={labelset_decay}")
    m = P.shape[0]
    if m == 0:
        return []
    u = binary_entropy(P).mean(1)
    rare = set(frame_ids() if rare_labels is None else rare_labels)
    cols = [j for j, lab in enumerate(labels) if lab in rare]
    if cols:
        share = Yp[:, cols].mean(0)
        bonus = P[:, cols] * (1 - share)
        r = bonus.max(1)
        r_lab = [labels[cols[j]] for j in bonus.argmax(1)]
    else:
        r, r_lab = np.zeros(m), [None] * m
    base = u * (1 + rare_weight * r)
    rng = np.random.default_rng(seed)
    jitter = rng.random(m) * 1e-9  # reproducible tie-breaking only
    signatures = [tuple(np.flatnonzero(row).tolist()) for row in Yp]
    sig_ids = {s: i for i, s in enumerate(dict.fromkeys(signatures))}
    sig = np.array([sig_ids[s] for s in signatures])
    doc_ids = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    doc = np.array([doc_ids[g] for g in groups])
    doc_taken = np.zeros(len(doc_ids))
    sig_taken = np.zeros(len(sig_ids))
    available = np.ones(m, dtype=bool)
    out: list[Choice] = []
    for _ in range(min(n, m)):
        adjusted = (base + jitter) * doc_decay ** doc_taken[doc] * labelset_decay ** sig_taken[sig]
        adjusted[~available] = -np.inf
        i = int(np.argmax(adjusted))
        available[i] = False
        doc_taken[doc[i]] += 1
        sig_taken[sig[i]] += 1
        out.append(Choice(i, round(float(adjusted[i]), 6), round(float(u[i]), 6), round(float(r[i]), 6),
                          r_lab[i] if r[i] > 0 else None))
    return out


def select_from_documents(docs: Sequence, n: int, seed: int = 0, **kw) -> tuple[dict[str, list[int]], list[dict]]:
    """Choose ``n`` sentences of tagged documents (their ``scores``, dimensions and frames).

    Returns ``({doc id: [sentence indexes]}, [one row per choice, best first])``.
    Sentences without scores (the classifiers did not run) cannot be ranked and raise
    :class:`UsageError`.
    """
    labels = (*dimension_ids(), *frame_ids())
    rows, keys, groups = [], [], []
    for d in docs:
        for s in d.sentences:
            if not s.scores:
                raise UsageError(f"document {d.id!r} sentence {s.index} has no scores; tag with the dimensions "
                                 "and frames stages to select sentences")
            rows.append(([float(s.scores.get(lab, 0.0)) for lab in labels],
                         [lab in s.dimensions or lab in s.frames for lab in labels]))
            keys.append((d.id, s.index, s.text))
            groups.append(d.id)
    if not rows:
        return {}, []
    P = np.array([r[0] for r in rows])
    Yp = np.array([r[1] for r in rows])
    chosen = select(P, Yp, groups, labels, n, seed=seed, **kw)
    selection: dict[str, list[int]] = {}
    report = []
    for rank, c in enumerate(chosen, 1):
        doc_id, index, text = keys[c.position]
        selection.setdefault(doc_id, []).append(index)
        report.append({"rank": rank, "doc_id": doc_id, "sentence": index, "score": c.score,
                       "uncertainty": c.uncertainty, "rarity": c.rarity, "rare_label": c.rare_label, "text": text})
    for v in selection.values():
        v.sort()
    return selection, report

