"""Choose the encoder stack's parameters by team-corpus cross-validation only (never the essay or the devset).

For each task, on the 5 document-grouped folds ``kdiscourse evaluate --cv 5`` uses:

1. out-of-fold probabilities of the lexical model (``LinearClassifier``, as inside the stack) and of the
   e5 head for each (context, C_e5) in the grid;
2. for each e5 setting and combiner (``stack`` with C_meta in the grid, or ``mean``), the combiner is
   cross-validated over the same folds on those out-of-fold base probabilities (as the stack does inside);
3. macro-F1 of the pooled out-of-fold probabilities with per-label thresholds tuned on them (the same
   mild optimism for every setting: this ranks settings; ``evaluate --cv 5`` gives the honest figure).

    python scripts/tune_encoder.py --e5-cache scratch/e5cache.npz --output scratch/tune.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify.base import tune_thresholds  # noqa: E402
from nlp.classify.data import DEFAULT_SEED, group_kfold, load_team_corpus, stacked_targets  # noqa: E402
from nlp.classify.encoder import (  # noqa: E402
    EncoderStackedClassifier,
    _fit_logreg,
    _logit,
    _sigmoid,
    shared_featurizer_with_cache,
)
from nlp.classify.linear import LinearClassifier  # noqa: E402
from nlp.evaluate import multilabel_report  # noqa: E402

C_E5_GRID = (0.003, 0.01, 0.05)
C_META_GRID = (0.1, 1.0, 10.0)
CONTEXTS = ("neighbours",)  # neighbour context helped the e5 head on the older corpus (docs/encoder.md)


def macro_f1(Y: np.ndarray, P: np.ndarray, labels) -> float:
    """Macro-F1 of ``P`` with thresholds tuned on ``P`` itself (ranking only)."""
    thr = tune_thresholds(Y, P)
    return multilabel_report(Y, (P >= thr).astype(int), labels)["macro"]["f1"]


def main() -> int:
    """Run the grid and print/write the ranking."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--e5-cache", default="scratch/e5cache.npz")
    ap.add_argument("--tasks", default="dimensions,frames")
    ap.add_argument("--output", help="JSON file for all results")
    args = ap.parse_args()
    feat = shared_featurizer_with_cache(args.e5_cache)
    t0 = time.time()
    data = load_team_corpus()
    print(f"corpus: {len(data)} sentences, {data.n_documents} documents ({time.time() - t0:.0f} s)", flush=True)
    items = list(data.items)
    blocks = {c: EncoderStackedClassifier(context=c)._e5_block(items) for c in CONTEXTS}
    feat.save_cache()
    folds = group_kfold(stacked_targets(data), data.doc_ids, 5, DEFAULT_SEED)
    out: dict = {"n": len(data), "documents": data.n_documents, "data_hash": data.data_hash, "tasks": {}}
    for task in args.tasks.split(","):
        Y = data.Y[task]
        labels = LinearClassifier(task=task).labels
        t0 = time.time()
        oof_lin = np.zeros(Y.shape)
        for tr, va in folds:
            lin = LinearClassifier(task=task, cv=0).fit([items[i] for i in tr], Y[tr], groups=data.doc_ids[tr])
            oof_lin[va] = lin.predict_proba([items[i] for i in va])
        t_lin = time.time() - t0
        res = {"linear_oof_macro_f1": macro_f1(Y, oof_lin, labels), "linear_fit_s_per_fold": round(t_lin / 5, 1),
               "grid": []}
        print(f"{task}: linear OOF macro-F1 {res['linear_oof_macro_f1']:.4f} ({t_lin / 5:.0f} s per fit)", flush=True)
        for ctx in CONTEXTS:
            X = blocks[ctx]
            for c_e5 in C_E5_GRID:
                oof_e5 = np.zeros(Y.shape)
                for tr, va in folds:
                    mean, scale = X[tr].mean(0), X[tr].std(0) + 1e-6
                    W, b = _fit_logreg((X[tr] - mean) / scale, Y[tr], c_e5, "balanced", DEFAULT_SEED)
                    oof_e5[va] = _sigmoid(((X[va] - mean) / scale) @ W + b)
                row = {"context": ctx, "C_e5": c_e5, "e5_macro_f1": macro_f1(Y, oof_e5, labels),
                       "mean_macro_f1": macro_f1(Y, (oof_lin + oof_e5) / 2, labels)}
                Z = np.hstack([_logit(oof_lin), _logit(oof_e5)])
                for c_meta in C_META_GRID:
                    P = np.zeros(Y.shape)
                    for tr, va in folds:
                        W, b = _fit_logreg(Z[tr], Y[tr], c_meta, None, DEFAULT_SEED)
                        P[va] = _sigmoid(Z[va] @ W + b)
                    row[f"stack_C_meta={c_meta:g}_macro_f1"] = macro_f1(Y, P, labels)
                    row[f"stack_C_meta={c_meta:g}_brier"] = round(float(((P - Y) ** 2).mean()), 4)
                res["grid"].append(row)
                print(f"  {json.dumps(row)}", flush=True)
        out["tasks"][task] = res
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
