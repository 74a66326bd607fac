"""Accuracy, calibration and speed of the lexical, encoder-stacked and fine-tuned classifiers.

Settings (the essay and the devset are evaluation data only: nothing is tuned on them):

- ``cv``     -- team corpus, 5-fold document-grouped multi-label stratified CV (pooled out-of-fold
  predictions; each fold's model tunes its thresholds on its own training part only);
- ``test``   -- the fixed held-out document split (``holdout_split``), for comparison with
  ``scripts/finetune_e5.py``, which is too slow on CPU for 5-fold CV;
- ``essay``  -- trained on all team documents, scored on the essay gold;
- ``devset`` -- trained on all team documents, scored on the real-text devset
  (``--devset``, default ``.cache/devset/sentences.jsonl``) when it exists.

Every score is macro-F1 with a document-grouped bootstrap 95% CI (``--boot`` resamples of
documents; the essay is one document, so its CI resamples sentences), plus per-label F1,
the mean Brier score and the expected calibration error (ECE, 10 equal-width bins, mean
over labels).  Speed is sentences/s of ``predict_proba`` on fresh sentences (Kiwi
morphemes precomputed for both; e5 vectors not cached).

    PYTHONPATH=$PWD python scripts/bench_encoder.py --configs linear,encoder --out scratch/results/bench.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEVSET = Path(__file__).resolve().parent.parent / ".cache" / "devset" / "sentences.jsonl"
ESSAY_TEXT = Path("/work/shared/seeds/000_a2316ee7125e2d43.txt")
E5_CACHE = REPO / "scratch" / "e5_cache" / "query.npz"

CONFIGS = {
    # name -> (backend, constructor parameters)
    "linear": ("linear", {}),
    "e5-only": ("encoder-e5only", {}),
    "encoder-mean": ("encoder", {"combine": "mean"}),
    "encoder-nocontext": ("encoder", {"context": "none"}),
    "encoder": ("encoder", {}),
}


def make_classifier(config: str, task: str):
    """An unfitted classifier of a named configuration."""
    from nlp.classify.encoder import EncoderStackedClassifier
    from nlp.classify.linear import LinearClassifier

    backend, params = CONFIGS[config]
    if backend == "linear":
        return LinearClassifier(task=task, **params)
    if backend == "encoder-e5only":
        return E5Only(task=task)
    return EncoderStackedClassifier(task=task, **params)


class E5Only:
    """Ablation: the stacked classifier's e5 head alone (thresholds tuned out-of-fold like the others)."""

    def __init__(self, task: str) -> None:
        from nlp.classify.encoder import EncoderStackedClassifier

        self.inner = EncoderStackedClassifier(task=task, combine="mean")

    @property
    def labels(self):
        return self.inner.labels

    def fit(self, items, Y):
        from nlp.classify.base import tune_thresholds

        self.inner.fit(items, Y)
        self.thresholds_ = tune_thresholds(Y, self.inner.oof_base_proba_["e5"])
        return self

    def predict_proba(self, items):
        return self.inner.base_proba(items)[1]


# --------------------------------------------------------------------------- data

def load_devset(path: Path = DEVSET):
    """The real-text devset as :class:`LabelledData` (``nlp.classify.data.load_devset_data`` on the cache folder)."""
    from nlp.classify.data import load_devset_data

    return load_devset_data(path.parent)


# --------------------------------------------------------------------------- scores

def ece(Y: np.ndarray, P: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error per label (equal-width bins), averaged over labels."""
    out = []
    for j in range(Y.shape[1]):
        p, y = P[:, j], Y[:, j]
        idx = np.minimum((p * bins).astype(int), bins - 1)
        e = 0.0
        for b in range(bins):
            m = idx == b
            if m.any():
                e += m.mean() * abs(p[m].mean() - y[m].mean())
        out.append(e)
    return float(np.mean(out))


def macro_f1(Y: np.ndarray, pred: np.ndarray) -> float:
    tp = (Y & pred).sum(0)
    fp = (~Y & pred).sum(0)
    fn = (Y & ~pred).sum(0)
    return float(np.mean(2 * tp / np.maximum(2 * tp + fp + fn, 1)))


def score(Y, P, thr, labels, groups, boot: int = 1000, seed: int = 0) -> dict:
    """Macro-F1 with a grouped bootstrap CI, per-label F1, Brier and ECE.

    ``thr`` is one threshold per label, or an array of P's shape (per-row thresholds, as in CV
    where each fold's model has its own).
    """
    from nlp.evaluate import multilabel_report

    Y = np.asarray(Y).astype(bool)
    thr = np.asarray(thr)
    pred = P >= (thr if thr.ndim == 2 else thr[None, :])
    rep = multilabel_report(Y.astype(int), pred.astype(int), labels, P)
    uniq = np.unique(groups)
    unit = groups if len(uniq) > 1 else np.arange(len(Y))
    units = np.unique(unit)
    members = {u: np.flatnonzero(unit == u) for u in units}
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(boot):
        pick = np.concatenate([members[u] for u in rng.choice(units, size=len(units), replace=True)])
        stats.append(macro_f1(Y[pick], pred[pick]))
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return {"macro_f1": rep["macro"]["f1"], "ci95": [round(float(lo), 4), round(float(hi), 4)],
            "micro_f1": rep["micro"]["f1"], "per_label_f1": {lab: rep["labels"][lab]["f1"] for lab in labels},
            "support": {lab: rep["labels"][lab]["support"] for lab in labels},
            "brier": rep["brier_mean"], "ece": round(ece(Y.astype(float), P), 4), "n": int(len(Y)),
            "bootstrap_unit": "document" if len(uniq) > 1 else "sentence"}


# --------------------------------------------------------------------------- settings

def run_cv(config: str, task: str, data, k: int = 5):
    from nlp.classify.data import DEFAULT_SEED, group_kfold, stacked_targets

    folds = group_kfold(stacked_targets(data), data.doc_ids, k, DEFAULT_SEED)
    Y = data.Y[task]
    P = np.zeros(Y.shape)
    T = np.zeros(Y.shape)
    for tr, va in folds:
        clf = make_classifier(config, task).fit([data.items[i] for i in tr], Y[tr])
        P[va] = clf.predict_proba([data.items[i] for i in va])
        T[va] = np.asarray(clf.thresholds_)[None, :]
    return P, T, clf.labels


VARIANTS = ("linear-base", "e5-head", "mean", "stack")


def variant_outputs(clf, items, Y):
    """From one fitted stacked classifier: probabilities and OOF-tuned thresholds of four variants.

    ``linear-base`` is the lexical model inside the stack (refitted without its own threshold CV),
    ``e5-head`` the e5 logistic regression, ``mean`` their average, ``stack`` the combiner; every
    variant's thresholds are tuned on the training part's out-of-fold probabilities.
    """
    from nlp.classify.base import tune_thresholds

    p_lin, p_e5 = clf.base_proba(items)
    oof = clf.oof_base_proba_  # out-of-fold on the training labels Y
    return {
        "linear-base": (p_lin, tune_thresholds(Y, oof["linear"])),
        "e5-head": (p_e5, tune_thresholds(Y, oof["e5"])),
        "mean": ((p_lin + p_e5) / 2, tune_thresholds(Y, (oof["linear"] + oof["e5"]) / 2)),
        "stack": (clf.predict_proba(items), clf.thresholds_),
    }


def run_ablation(task: str, data, essay, dev, boot: int) -> dict:
    """The four variants of :func:`variant_outputs` in CV (5 folds), on the essay and on the devset."""
    from nlp.classify.data import DEFAULT_SEED, group_kfold, stacked_targets
    from nlp.classify.encoder import EncoderStackedClassifier

    Y = data.Y[task]
    P = {v: np.zeros(Y.shape) for v in VARIANTS}
    T = {v: np.zeros(Y.shape) for v in VARIANTS}
    for tr, va in group_kfold(stacked_targets(data), data.doc_ids, 5, DEFAULT_SEED):
        clf = EncoderStackedClassifier(task=task).fit([data.items[i] for i in tr], Y[tr])
        for v, (p, t) in variant_outputs(clf, [data.items[i] for i in va], Y[tr]).items():
            P[v][va], T[v][va] = p, np.asarray(t)[None, :]
    out = {v: {"cv": score(Y, P[v], T[v], clf.labels, data.doc_ids, boot)} for v in VARIANTS}
    clf = EncoderStackedClassifier(task=task).fit(list(data.items), Y)
    for name, ds in (("essay", essay), ("devset", dev)):
        if ds is None:
            continue
        for v, (p, t) in variant_outputs(clf, list(ds.items), Y).items():
            out[v][name] = score(ds.Y[task], p, t, clf.labels, ds.doc_ids, boot)
    return out


def speed(clf, items, repeats: int = 1) -> float:
    """Sentences/s of predict_proba on ``items`` (vectors not cached: a fresh featurizer cache)."""
    from nlp.classify import encoder, linear

    saved = dict(encoder._SHARED)
    best = float("inf")
    try:
        for _ in range(repeats):
            encoder._SHARED.clear()  # no cached e5 vectors
            linear._FEATURE_CACHE.clear()  # no cached lexical features
            linear._ROW_CACHE.clear()
            t = time.perf_counter()
            clf.predict_proba(items)
            best = min(best, time.perf_counter() - t)
    finally:
        encoder._SHARED.clear()
        encoder._SHARED.update(saved)
    return len(items) / best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default="linear,encoder",
                    help=f"comma-separated: {', '.join(CONFIGS)}, or ablation (linear/e5/mean/stack from one fit)")
    ap.add_argument("--tasks", default="dimensions,frames")
    ap.add_argument("--settings", default="cv,test,essay,devset")
    ap.add_argument("--devset", default=str(DEVSET))
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--speed-n", type=int, default=0, help="also time predict_proba on this many essay sentences")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    from nlp.classify.data import load_essay_gold, load_team_corpus
    from nlp.classify.encoder import shared_featurizer_with_cache

    feat = shared_featurizer_with_cache(E5_CACHE)
    settings = args.settings.split(",")
    data = load_team_corpus()
    essay = load_essay_gold(essay=ESSAY_TEXT)
    dev = load_devset(Path(args.devset)) if "devset" in settings and Path(args.devset).exists() else None
    out_path = Path(args.out)
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    for task in args.tasks.split(","):
        for config in args.configs.split(","):
            if config == "ablation":
                for v, r in run_ablation(task, data, essay, dev, args.boot).items():
                    results[f"{task}/ablation:{v}"] = r
                feat.save_cache()
                out_path.parent.mkdir(parents=True, exist_ok=True)
                out_path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
                print(task, "ablation", {k: {s: r[s]["macro_f1"] for s in r} for k, r in results.items()
                                         if k.startswith(f"{task}/ablation")}, flush=True)
                continue
            key = f"{task}/{config}"
            res = results.setdefault(key, {})
            t0 = time.time()
            if "cv" in settings:
                P, T, labels = run_cv(config, task, data)
                res["cv"] = score(data.Y[task], P, T, labels, data.doc_ids, args.boot)
            if "test" in settings:  # the fixed held-out document split, as scripts/finetune_e5.py uses
                from nlp.classify.data import holdout_split

                tr, te = holdout_split(data)
                train, test = data.subset(tr), data.subset(te)
                clf = make_classifier(config, task).fit(list(train.items), train.Y[task])
                P = clf.predict_proba(list(test.items))
                res["test"] = score(test.Y[task], P, clf.thresholds_, clf.labels, test.doc_ids, args.boot)
            if "essay" in settings or dev is not None:
                t1 = time.time()
                clf = make_classifier(config, task).fit(list(data.items), data.Y[task])
                res["fit_seconds_all_team"] = round(time.time() - t1, 1)
                res["thresholds"] = [round(float(x), 2) for x in clf.thresholds_]
                if "essay" in settings:
                    P = clf.predict_proba(list(essay.items))
                    res["essay"] = score(essay.Y[task], P, clf.thresholds_, clf.labels, essay.doc_ids, args.boot)
                if dev is not None:
                    P = clf.predict_proba(list(dev.items))
                    res["devset"] = score(dev.Y[task], P, clf.thresholds_, clf.labels, dev.doc_ids, args.boot)
                    res["devset"]["sha256"] = dev.data_hash
                if args.speed_n:
                    res["sentences_per_s"] = round(speed(clf, list(essay.items)[:args.speed_n]), 2)
            res["wall_seconds"] = round(time.time() - t0, 1)
            feat.save_cache()
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
            brief = {s: (res[s]["macro_f1"], res[s]["ci95"]) for s in ("cv", "test", "essay", "devset") if s in res}
            print(key, brief, f"{res['wall_seconds']} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
