"""Scorers, held-out / cross-validated / essay evaluation, training of the shipped models, agreement.

Everything returns plain dicts (JSON-ready); :func:`render_table` and
:func:`to_csv_rows` turn them into the terminal table and CSV the CLI prints.

- :func:`multilabel_report` -- per-label precision/recall/F1/support with TP/FP/FN/TN,
  micro and macro averages, Brier score per label and mean, and the most frequent
  confusions (gold A missed while B was predicted instead; ``(none)`` stands for
  the empty label set);
- :func:`evaluate_holdout`, :func:`evaluate_cv`, :func:`evaluate_essay` -- a
  classifier factory trained and scored on the fixed test split, on document-grouped
  multi-label stratified folds, or on the essay gold (never in training data);
- :func:`train_models` -- what ``kdiscourse train`` runs;
- :func:`cohen_kappa`, :func:`krippendorff_alpha`, :func:`agreement` -- inter-annotator
  agreement between two annotation files, per label.
"""

from __future__ import annotations

import math
import platform
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .errors import InputError, UsageError
from .evaluate_render import render_table, to_csv_rows  # noqa: F401  (re-exported)
from .formats import read_gold_tsv, read_json_file, read_team_jsonl, validate_team_document
from .labels import codebook_version

NONE = "(none)"

# --------------------------------------------------------------------------- scorers


def _safe_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def multilabel_report(Y_true, Y_pred, labels: Sequence[str], proba=None, top_confusions: int = 10) -> dict:
    """Scores of a multi-label prediction.

    Parameters
    ----------
    Y_true, Y_pred : arrays of shape (n_items, n_labels), 0/1.
    labels : label ids, one per column.
    proba : optional array of shape (n_items, n_labels); adds Brier scores.

    >>> r = multilabel_report([[1, 0], [1, 1], [0, 0]], [[1, 1], [0, 1], [0, 0]], ["a", "b"])
    >>> r["labels"]["a"]["f1"], r["labels"]["b"]["precision"], r["micro"]["f1"], r["macro"]["f1"]
    (0.6667, 0.5, 0.6667, 0.6667)
    """
    Yt = np.asarray(Y_true).astype(bool)
    Yp = np.asarray(Y_pred).astype(bool)
    if Yt.shape != Yp.shape or Yt.ndim != 2 or Yt.shape[1] != len(labels):
        raise UsageError(f"gold {Yt.shape} and predicted {Yp.shape} must both be (n_items, {len(labels)})")
    per: dict[str, dict] = {}
    tps = fps = fns = 0
    for j, lab in enumerate(labels):
        t, p = Yt[:, j], Yp[:, j]
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        tn = int(len(t) - tp - fp - fn)
        prec, rec = _safe_div(tp, tp + fp), _safe_div(tp, tp + fn)
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4),
                    "f1": round(_safe_div(2 * tp, 2 * tp + fp + fn), 4), "support": int(t.sum()),
                    "tp": tp, "fp": fp, "fn": fn, "tn": tn}
        tps, fps, fns = tps + tp, fps + fp, fns + fn
    out = {
        "n": int(Yt.shape[0]),
        "labels": per,
        "micro": {"precision": round(_safe_div(tps, tps + fps), 4), "recall": round(_safe_div(tps, tps + fns), 4),
                  "f1": round(_safe_div(2 * tps, 2 * tps + fps + fns), 4)},
        "macro": {k: round(float(np.mean([per[lab][k] for lab in labels])), 4) for k in ("precision", "recall", "f1")},
        "exact_match": round(float((Yt == Yp).all(1).mean()) if len(Yt) else 0.0, 4),
        "confusions": confusions(Yt, Yp, labels, top_confusions),
    }
    if proba is not None:
        P = np.asarray(proba, dtype=float)
        if P.shape != Yt.shape:
            raise UsageError(f"proba {P.shape} must have the shape of the gold labels {Yt.shape}")
        brier = ((P - Yt) ** 2).mean(0) if len(P) else np.zeros(len(labels))
        ece = calibration_error(Yt, P)
        for j, lab in enumerate(labels):
            per[lab]["brier"] = round(float(brier[j]), 4)
            per[lab]["ece"] = round(float(ece[j]), 4)
        out["brier_mean"] = round(float(brier.mean()), 4)
        out["ece_mean"] = round(float(ece.mean()), 4)
    return out


def calibration_error(Y_true, proba, bins: int = 10) -> np.ndarray:
    """Expected calibration error per label: 10 equal-width probability bins, |mean p - positive rate|
    weighted by the bin's share of the sentences.

    >>> calibration_error([[1], [0], [1], [0]], [[0.75], [0.25], [0.75], [0.25]]).round(2).tolist()
    [0.25]
    """
    Yt = np.asarray(Y_true, dtype=float)
    P = np.asarray(proba, dtype=float)
    out = np.zeros(Yt.shape[1])
    if not len(P):
        return out
    b = np.minimum((P * bins).astype(int), bins - 1)
    for j in range(Yt.shape[1]):
        for k in np.unique(b[:, j]):
            m = b[:, j] == k
            out[j] += m.mean() * abs(P[m, j].mean() - Yt[m, j].mean())
    return out


def bootstrap_intervals(Y_true, Y_pred, labels: Sequence[str], groups: Sequence[str], n_boot: int = 1000,
                        seed: int = 20240611, level: float = 0.95) -> dict:
    """Percentile bootstrap intervals of macro-F1 and per-label F1, resampling whole documents.

    Sentences of one document are not independent, so documents (``groups``) are drawn with
    replacement and every sentence of a drawn document comes along.

    >>> ci = bootstrap_intervals([[1], [0], [1], [0]], [[1], [0], [0], [0]], ["a"], ["d1", "d1", "d2", "d2"], 200)
    >>> ci["macro_f1"][0] <= ci["macro_f1"][1]
    True
    """
    Yt = np.asarray(Y_true).astype(bool)
    Yp = np.asarray(Y_pred).astype(bool)
    g = np.asarray(groups)
    uniq, inv = np.unique(g, return_inverse=True)
    n_docs, n_labels = len(uniq), Yt.shape[1]
    # per-document counts, so that each bootstrap replicate is a weighted sum
    tp = np.zeros((n_docs, n_labels))
    fp = np.zeros((n_docs, n_labels))
    fn = np.zeros((n_docs, n_labels))
    np.add.at(tp, inv, (Yt & Yp))
    np.add.at(fp, inv, (~Yt & Yp))
    np.add.at(fn, inv, (Yt & ~Yp))
    rng = np.random.default_rng(seed)
    w = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=n_boot)  # (n_boot, n_docs) draw counts
    TP, FP, FN = w @ tp, w @ fp, w @ fn
    denom = 2 * TP + FP + FN
    f1 = np.divide(2 * TP, denom, out=np.zeros_like(TP), where=denom > 0)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    macro = f1.mean(1)
    return {"level": level, "n_boot": n_boot, "documents": int(n_docs),
            "macro_f1": [round(float(np.percentile(macro, lo)), 4), round(float(np.percentile(macro, hi)), 4)],
            "labels": {lab: [round(float(np.percentile(f1[:, j], lo)), 4), round(float(np.percentile(f1[:, j], hi)), 4)]
                       for j, lab in enumerate(labels)}}


def confusions(Y_true, Y_pred, labels: Sequence[str], top: int = 10) -> list[dict]:
    """Most frequent (gold A, predicted B) pairs: A missed and B predicted instead in the same sentence.

    ``(none)`` on the gold side means the sentence has no gold label and B was predicted;
    on the predicted side, that A was missed and nothing wrong was predicted.

    >>> confusions([[1, 0], [1, 0], [0, 0]], [[0, 1], [0, 0], [0, 1]], ["a", "b"])
    [{'gold': '(none)', 'predicted': 'b', 'count': 1}, {'gold': 'a', 'predicted': '(none)', 'count': 1}, \
{'gold': 'a', 'predicted': 'b', 'count': 1}]
    """
    Yt = np.asarray(Y_true).astype(bool)
    Yp = np.asarray(Y_pred).astype(bool)
    c: Counter = Counter()
    for t, p in zip(Yt, Yp):
        missed = [labels[j] for j in np.flatnonzero(t & ~p)]
        spurious = [labels[j] for j in np.flatnonzero(~t & p)]
        if not t.any():
            missed = [NONE]
        if not p.any() or (missed and not spurious):
            spurious = spurious or [NONE]
        for a in missed:
            for b in spurious:
                if not (a == NONE and b == NONE):
                    c[(a, b)] += 1
    ranked = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"gold": a, "predicted": b, "count": n} for (a, b), n in ranked]


# --------------------------------------------------------------------------- agreement

def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two coders over the same units.

    >>> round(cohen_kappa([1] * 25 + [0] * 25, [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15), 4)
    0.4
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise UsageError(f"coders must rate the same units; got shapes {a.shape} and {b.shape}")
    if not len(a):
        return float("nan")
    cats = np.union1d(a, b)
    po = float((a == b).mean())
    pe = float(sum((a == c).mean() * (b == c).mean() for c in cats))
    if pe == 1.0:  # both coders used one and the same category: kappa is undefined
        return float("nan")
    return (po - pe) / (1 - pe)


def krippendorff_alpha(data: Sequence[Sequence], missing=None) -> float:
    """Krippendorff's alpha for nominal data.

    ``data`` has one row per coder and one column per unit; ``missing`` (or NaN)
    marks a unit a coder did not rate.  Units with fewer than two ratings are
    ignored.  Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
    example A (binary, two observers): alpha = 0.095.

    >>> round(krippendorff_alpha([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]), 3)
    0.095
    """
    rows = [list(r) for r in data]
    if len(rows) < 2 or len({len(r) for r in rows}) != 1:
        raise UsageError("need at least two coders rating the same number of units")

    def is_missing(v) -> bool:
        return v is None or v == missing or (isinstance(v, float) and math.isnan(v))

    coinc: Counter = Counter()
    for u in range(len(rows[0])):
        vals = [r[u] for r in rows if not is_missing(r[u])]
        m = len(vals)
        if m < 2:
            continue
        for i in range(m):
            for k in range(m):
                if i != k:
                    coinc[(vals[i], vals[k])] += 1.0 / (m - 1)
    n_c: Counter = Counter()
    for (c, _k), v in coinc.items():
        n_c[c] += v
    n = sum(n_c.values())
    if n <= 1:
        return float("nan")
    d_o = sum(v for (c, k), v in coinc.items() if c != k)
    d_e = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if d_e == 0:  # a single category in all ratings: alpha is undefined
        return float("nan")
    return 1.0 - (n - 1) * d_o / d_e


def read_annotations(path: str | Path) -> dict[tuple, dict[str, set]]:
    """Sentence labels of an annotation file, keyed so that two files can be aligned.

    - ``.tsv`` gold (``index start end sha dimensions frames note``): key ``(start, end)``;
    - ``.jsonl`` / ``.json`` in the team-corpus format or ``kdiscourse tag`` output:
      key ``(document id, sentence index)``;
    - a directory: every ``*.jsonl`` / ``*.json`` file in it (e.g. ``corpus/team``).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        files = sorted(x for x in p.iterdir() if x.suffix in (".jsonl", ".json") and x.is_file())
        if not files:
            raise InputError(f"{p}: directory without .jsonl/.json annotation files")
        merged: dict[tuple, dict[str, set]] = {}
        for f in files:
            merged.update(read_annotations(f))
        return merged
    out: dict[tuple, dict[str, set]] = {}
    if p.suffix == ".tsv":
        for r in read_gold_tsv(p):
            out[(r["start"], r["end"])] = {"dimensions": set(r["dimensions"]), "frames": set(r["frames"])}
        return out
    if p.suffix == ".json":
        loaded = read_json_file(p, "annotation file")
        docs = [validate_team_document(d, f"{p}: document {i}")
                for i, d in enumerate(loaded if isinstance(loaded, list) else [loaded])]
    else:
        docs = [rec.data for rec in read_team_jsonl(p)]
    for d in docs:
        for i, s in enumerate(d["sentences"]):
            key = (str(d["id"]), int(s.get("index", i)))
            out[key] = {"dimensions": set(s.get("dimensions", ())), "frames": set(s.get("frames", ()))}
    return out


def agreement(path_a: str | Path, path_b: str | Path, tasks: Sequence[str] = ("dimensions", "frames")) -> dict:
    """Per-label Cohen's kappa and Krippendorff's alpha (nominal, binary) between two annotation files."""
    from .classify.base import task_labels

    a, b = read_annotations(path_a), read_annotations(path_b)
    keys = sorted(set(a) & set(b))
    if not keys:
        raise InputError(f"{path_a} and {path_b} share no sentences (keys: (doc id, index) or (start, end))")
    result: dict = {"setting": "agreement", "files": [str(path_a), str(path_b)], "n": len(keys),
                    "only_in_a": len(set(a) - set(b)), "only_in_b": len(set(b) - set(a)), "tasks": {}}
    for task in tasks:
        labels = task_labels(task)
        per = {}
        for lab in labels:
            xa = [int(lab in a[k][task]) for k in keys]
            xb = [int(lab in b[k][task]) for k in keys]
            per[lab] = {"kappa": _r(cohen_kappa(xa, xb)), "alpha": _r(krippendorff_alpha([xa, xb])),
                        "observed_agreement": _r(float(np.mean(np.equal(xa, xb)))),
                        "positives_a": sum(xa), "positives_b": sum(xb)}
        exact = float(np.mean([a[k][task] == b[k][task] for k in keys]))
        result["tasks"][task] = {"labels": per, "exact_set_agreement": _r(exact),
                                 "mean_kappa": _r(_nanmean([v["kappa"] for v in per.values()])),
                                 "mean_alpha": _r(_nanmean([v["alpha"] for v in per.values()]))}
    return result


def _r(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _nanmean(xs: Iterable) -> float:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else float("nan")


# --------------------------------------------------------------------------- evaluation settings

Factory = Callable[[str], object]  # task -> unfitted SentenceClassifier, e.g. lambda t: LinearClassifier(task=t)


def _fit(make: Factory, task: str, data, sample_weight=None) -> object:
    clf = make(task)
    if sample_weight is None:
        clf.fit(list(data.items), data.Y[task])
    else:
        clf.fit(list(data.items), data.Y[task], groups=data.doc_ids, sample_weight=sample_weight)
    return clf


def bootstrap_groups(data) -> np.ndarray:
    """What the bootstrap resamples: documents, or sentences when there is a single document (the essay)."""
    if data.n_documents > 1:
        return data.doc_ids
    return np.asarray([f"s{i}" for i in range(len(data))])


def _score(clf, task: str, data, bootstrap: int = 0) -> dict:
    proba = clf.predict_proba(list(data.items))
    pred = (proba >= np.asarray(clf.thresholds_)[None, :]).astype(int)
    rep = multilabel_report(data.Y[task], pred, clf.labels, proba)
    if bootstrap:
        rep["ci"] = bootstrap_intervals(data.Y[task], pred, clf.labels, bootstrap_groups(data), bootstrap)
    return rep


def evaluate_holdout(make: Factory, task: str, data, seed: int | None = None, bootstrap: int = 0) -> dict:
    """Train on the training part of the fixed split, score on its test part."""
    from .classify.data import DEFAULT_SEED, holdout_split

    tr, te = holdout_split(data, seed=DEFAULT_SEED if seed is None else seed)
    clf = _fit(make, task, data.subset(tr))
    rep = _score(clf, task, data.subset(te), bootstrap)
    rep["thresholds"] = dict(zip(clf.labels, np.round(clf.thresholds_, 2).tolist()))
    rep["train"] = {"sentences": len(tr), "documents": data.subset(tr).n_documents}
    rep["test"] = {"sentences": len(te), "documents": data.subset(te).n_documents}
    return rep


def evaluate_cv(make: Factory, task: str, data, k: int = 5, seed: int | None = None, bootstrap: int = 0) -> dict:
    """k-fold CV over documents (multi-label stratified); scores pooled out-of-fold predictions.

    Also reports each fold's macro-F1 and their mean and standard deviation, and (``bootstrap`` > 0)
    document-bootstrap intervals of the pooled scores.
    """
    from .classify.data import DEFAULT_SEED, group_kfold, stacked_targets

    folds = group_kfold(stacked_targets(data), data.doc_ids, k, DEFAULT_SEED if seed is None else seed)
    n_labels = data.Y[task].shape[1]
    proba = np.zeros((len(data), n_labels))
    pred = np.zeros((len(data), n_labels), dtype=int)
    fold_f1 = []
    labels: Sequence[str] = ()
    for tr, va in folds:
        clf = _fit(make, task, data.subset(tr))
        labels = clf.labels
        p = clf.predict_proba([data.items[i] for i in va])
        proba[va] = p
        pred[va] = (p >= np.asarray(clf.thresholds_)[None, :]).astype(int)
        fold_f1.append(multilabel_report(data.Y[task][va], pred[va], labels)["macro"]["f1"])
    return folds_report(data.Y[task], pred, proba, labels, data.doc_ids, fold_f1, bootstrap)


def folds_report(Y: np.ndarray, pred: np.ndarray, proba: np.ndarray, labels: Sequence[str], doc_ids: np.ndarray,
                 fold_f1: Sequence[float], bootstrap: int) -> dict:
    """The report of out-of-fold predictions: per-label scores over all folds, document-bootstrap
    intervals (``bootstrap`` draws; 0: none) and each fold's macro-F1 with their mean and spread."""
    rep = multilabel_report(Y, pred, labels, proba)
    if bootstrap:
        rep["ci"] = bootstrap_intervals(Y, pred, labels, doc_ids, bootstrap)
    rep["folds"] = {"k": len(fold_f1), "macro_f1": list(fold_f1), "macro_f1_mean": round(float(np.mean(fold_f1)), 4),
                    "macro_f1_std": round(float(np.std(fold_f1)), 4)}
    return rep


def evaluate_essay(make: Factory, task: str, data, essay, bootstrap: int = 0, clf=None) -> dict:
    """Train on all of ``data`` (the team corpus; the essay is never part of it), score on the essay gold
    (bootstrap intervals resample its sentences: it is one document).  ``clf``: a model already so trained."""
    clf = clf if clf is not None else _fit(make, task, data)
    return _score(clf, task, essay, bootstrap)


def evaluate_external(make: Factory, task: str, data, external, bootstrap: int = 1000, clf=None) -> dict:
    """Train on all of ``data``, score on external gold (the real-text development set, a user's gold file)
    with document-grouped bootstrap intervals.  ``clf``: a model already trained on all of ``data``."""
    clf = clf if clf is not None else _fit(make, task, data)
    return _score(clf, task, external, bootstrap)


def evaluate_many(factories: Mapping[str, Factory], tasks: Sequence[str], setting: str, data, k: int = 5,
                  essay=None, progress: Callable[[str], None] | None = None, external=None,
                  bootstrap: int = 1000, fitted: dict | None = None) -> list[dict]:
    """Several classifiers side by side: one result per task, ``{"classifiers": {name: report}}``.

    Every setting reports ``bootstrap``-draw 95 % intervals (0: none) of macro- and per-label F1,
    resampling documents (sentences for the one-document essay).  ``fitted`` (a dict the caller keeps
    across calls) holds the models trained on all of ``data`` by name and task, so the essay and devset
    settings train each classifier once.

    Settings: ``test`` (held-out split), ``cv`` (k folds), ``essay`` (the essay gold), ``devset`` (the
    real-text development set or any external gold given as ``external``, with bootstrap intervals).
    """
    if setting not in ("test", "cv", "essay", "devset"):
        raise UsageError(f"unknown setting {setting!r}; allowed: test, cv, essay, devset")
    if setting == "essay" and essay is None:
        raise UsageError("the essay setting needs the essay gold")
    if setting == "devset" and external is None:
        raise UsageError("the devset setting needs the development set (or another gold set)")
    results = []
    for task in tasks:
        res = {"setting": setting if setting != "cv" else f"cv{k}", "task": task, "codebook_version": codebook_version(),
               "training_data_sha256": data.data_hash, "classifiers": {}}
        for name, make in factories.items():
            if progress:
                progress(f"{res['setting']} {task} {name}")
            if setting == "test":
                rep = evaluate_holdout(make, task, data, bootstrap=bootstrap)
            elif setting == "cv":
                rep = evaluate_cv(make, task, data, k, bootstrap=bootstrap)
            else:
                if fitted is None:
                    fitted = {}
                if (name, task) not in fitted:
                    fitted[(name, task)] = _fit(make, task, data)
                clf = fitted[(name, task)]
                if setting == "devset":
                    rep = evaluate_external(make, task, data, external, bootstrap, clf)
                else:
                    rep = evaluate_essay(make, task, data, essay, bootstrap, clf)
            res["classifiers"][name] = rep
        results.append(res)
    return results


# --------------------------------------------------------------------------- training the shipped models

DEFAULT_TRAIN_DIR = "kdiscourse-models"


def train_models(backend: str = "linear", tasks: Sequence[str] = ("dimensions", "frames"),
                 out_dir: str | Path | None = None, corpus_dir: str | Path | None = None,
                 essay_gold: str | Path | None = None, essay_text: str | Path | None = None,
                 params: Mapping | None = None, progress: Callable[[str], None] | None = None,
                 baseline: str | None = "rules", allow_shipped: bool = False, add_data=None,
                 add_weight: float = 1.0) -> dict:
    """Train models like the shipped ones into ``out_dir`` (default ``./kdiscourse-models``): for each task,
    fit ``backend`` on the training part of the fixed split and score it on the test part, then fit on all
    team documents and save to ``<out_dir>/<task>/`` with ``metrics.json``.  The essay gold (if present)
    scores the final model; it is never trained on.  ``baseline`` (another backend, default ``rules``) is
    scored the same way, for comparison only.  ``add_data`` (:class:`LabelledData`, e.g. the user's own
    labelled real text) joins every training set, its sentences weighted ``add_weight``; the held-out
    test part stays team documents only.
    """
    from .classify import backend_class
    from .classify.data import (
        DEFAULT_SEED,
        ESSAY_GOLD,
        ESSAY_TEXT,
        concat_data,
        holdout_split,
        load_essay_gold,
        load_team_corpus,
    )
    from .formats import write_json_atomic
    from .resources import shipped_models_dir

    cls = backend_class(backend)
    params = dict(params or {})
    out = Path(out_dir) if out_dir is not None else Path(DEFAULT_TRAIN_DIR)
    if not allow_shipped and out.resolve().is_relative_to(shipped_models_dir().resolve()):
        raise UsageError(f"{out} is the installed package's model folder; write trained models elsewhere "
                         "(the shipped models are replaced only on explicit request)")
    say = progress or (lambda _m: None)
    say("loading and tokenizing the team corpus")
    data = load_team_corpus(corpus_dir)
    gold = Path(essay_gold) if essay_gold is not None else ESSAY_GOLD
    essay = None
    if gold.exists():
        say(f"loading essay gold {gold}")
        essay = load_essay_gold(gold, essay_text if essay_text is not None else ESSAY_TEXT)

    def make(task: str):
        return cls(task=task, **params)

    def fit_on(task: str, part):
        if add_data is None:
            return _fit(make, task, part)
        both = concat_data(part, add_data)
        sw = None if add_weight == 1.0 else np.r_[np.ones(len(part)), np.full(len(add_data), float(add_weight))]
        return _fit(make, task, both, sw)

    full = data if add_data is None else concat_data(data, add_data)
    trained_on = f"all team documents ({data.n_documents} documents, {len(data)} sentences)"
    if add_data is not None:
        trained_on += (f" + added real text ({add_data.n_documents} documents, {len(add_data)} sentences, "
                       f"weight {add_weight:g})")
    summary = {}
    for task in tasks:
        say(f"{task}: held-out evaluation ({backend})")
        if add_data is None:
            test_rep = evaluate_holdout(make, task, data)
        else:
            tr, te = holdout_split(data, seed=DEFAULT_SEED)
            hclf = fit_on(task, data.subset(tr))
            test_rep = {**_score(hclf, task, data.subset(te)),
                        "train": {"sentences": len(tr) + len(add_data), "added_real_sentences": len(add_data)},
                        "test": {"sentences": len(te), "documents": data.subset(te).n_documents}}
        say(f"{task}: final fit on {trained_on}")
        clf = fit_on(task, data)
        clf.metadata_ = {**getattr(clf, "metadata_", {}), "training_data_sha256": full.data_hash,
                         "training_files": list(full.sources), "seed": DEFAULT_SEED,
                         "trained_on": trained_on, "python": platform.python_version()}
        metrics = {"task": task, "backend": backend, "version": clf.version, "codebook_version": codebook_version(),
                   "training_data_sha256": full.data_hash, "seed": DEFAULT_SEED,
                   "test": test_rep}
        oof = getattr(clf, "oof_proba_", None)
        if oof is not None and oof.any():
            pred = (oof >= np.asarray(clf.thresholds_)[None, :]).astype(int)
            metrics["oof_all"] = {**multilabel_report(full.Y[task], pred, clf.labels, oof),
                                  "note": "out-of-fold on all team data; thresholds were tuned on these folds"}
        if essay is not None:
            metrics["essay"] = _score(clf, task, essay)
            metrics["essay"]["gold_sha256"] = essay.data_hash
        if baseline and baseline != backend:
            say(f"{task}: baseline {baseline}")
            base_cls = backend_class(baseline)
            metrics["baseline"] = {"backend": baseline,
                                   "test": evaluate_holdout(lambda t, c=base_cls: c(task=t), task, data)}
            if essay is not None:
                metrics["baseline"]["essay"] = evaluate_essay(lambda t, c=base_cls: c(task=t), task, data, essay)
        target = out / task
        clf.save(target)
        write_json_atomic(target / "metrics.json", metrics)
        summary[task] = metrics
    return summary
