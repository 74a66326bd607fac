"""Simulated annotation rounds on the team corpus: `kdiscourse select` versus random sentences.

Protocol (per seed): the team corpus is split by document (``holdout_split``: a
quarter of the documents of each register/topic stratum held out for testing).
The remaining sentences are the pool; ``--start`` random pool sentences are the
first labelled set, shared by both strategies. Each round trains the linear
classifiers (dimensions and frames, ``LinearClassifier``; thresholds 0.5 with
``--cv 0``, tuned on out-of-fold probabilities otherwise) on the labelled set,
scores them on the held-out documents (macro and micro F1 per task), and then
adds ``--batch`` pool sentences chosen either by :func:`nlp.interop.select.select`
(on the current models' probabilities and predictions for the pool) or at random.
The gold labels of the pool play the annotator.

    python scripts/simulate_selection.py --seeds 3 --rounds 6 --start 60 --batch 60 --json sim.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify.data import holdout_split, load_team_corpus  # noqa: E402
from nlp.classify.linear import LinearClassifier  # noqa: E402
from nlp.evaluate import multilabel_report  # noqa: E402
from nlp.interop.select import select  # noqa: E402
from nlp.labels import dimension_ids, frame_ids  # noqa: E402

TASKS = ("dimensions", "frames")
# keyword arguments of select() per strategy; "random" draws uniformly from the pool
STRATEGIES = {
    "select": {},  # the defaults of `kdiscourse select`
    "uncertainty": {"rare_weight": 0.0, "doc_decay": 1.0, "labelset_decay": 1.0},  # entropy only (ablation)
    "random": None,
}


def run_seed(data, seed: int, args) -> dict:
    """Learning curves of both strategies for one seed."""
    train_idx, test_idx = holdout_split(data, 0.25, seed)
    test = data.subset(test_idx)
    rng = np.random.default_rng(seed)
    start = rng.choice(train_idx, size=min(args.start, len(train_idx)), replace=False)
    labels = (*dimension_ids(), *frame_ids())
    curves = {}
    for strategy in args.strategies:
        labelled = list(start.tolist())
        pool = sorted(set(train_idx.tolist()) - set(labelled))
        srng = np.random.default_rng(seed + 1000)
        points = []
        for rnd in range(args.rounds + 1):
            sub = data.subset(labelled)
            models = {t: LinearClassifier(task=t, cv=args.cv, seed=seed).fit(list(sub.items), sub.Y[t]) for t in TASKS}
            point = {"round": rnd, "n_labelled": len(labelled)}
            for t in TASKS:
                rep = multilabel_report(test.Y[t], models[t].predict(list(test.items)), models[t].labels)
                point[f"{t}_macro_f1"], point[f"{t}_micro_f1"] = rep["macro"]["f1"], rep["micro"]["f1"]
                point[f"{t}_f1"] = {lab: v["f1"] for lab, v in rep["labels"].items()}
                point[f"{t}_labelled_positives"] = dict(zip(models[t].labels, sub.Y[t].sum(0).tolist()))
            points.append(point)
            if rnd == args.rounds or not pool:
                break
            if strategy == "random":
                take = srng.choice(pool, size=min(args.batch, len(pool)), replace=False).tolist()
            else:
                items = [data.items[i] for i in pool]
                proba = np.hstack([models[t].predict_proba(items) for t in TASKS])
                pred = np.hstack([models[t].predict(items) for t in TASKS])
                chosen = select(proba, pred, [str(data.doc_ids[i]) for i in pool], labels, args.batch, seed=seed,
                                **STRATEGIES[strategy])
                take = [pool[c.position] for c in chosen]
            labelled += take
            taken = set(take)
            pool = [i for i in pool if i not in taken]
        curves[strategy] = points
    return {"seed": seed, "n_pool": len(train_idx), "n_test": len(test_idx),
            "n_test_documents": test.n_documents, "curves": curves}


def summarize(runs: list[dict], strategies) -> list[dict]:
    """Mean (and min/max) over seeds of each strategy's scores per round."""
    rows = []
    first = strategies[0]
    for rnd in range(len(runs[0]["curves"][first])):
        row = {"round": rnd, "n_labelled": runs[0]["curves"][first][rnd]["n_labelled"]}
        for strategy in strategies:
            for key in ("dimensions_macro_f1", "frames_macro_f1", "frames_micro_f1"):
                vals = [r["curves"][strategy][rnd][key] for r in runs if rnd < len(r["curves"][strategy])]
                row[f"{strategy}_{key}"] = round(float(np.mean(vals)), 4)
                row[f"{strategy}_{key}_range"] = [round(min(vals), 4), round(max(vals), 4)]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the simulation and print a Markdown table of the mean curves."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3, help="number of seeds (splits, start sets)")
    ap.add_argument("--rounds", type=int, default=6, help="annotation rounds after the start set")
    ap.add_argument("--start", type=int, default=60, help="random sentences labelled before the first round")
    ap.add_argument("--batch", type=int, default=60, help="sentences labelled per round")
    ap.add_argument("--cv", type=int, default=0, help="folds for threshold tuning (0: thresholds 0.5)")
    ap.add_argument("--strategies", default="select,random",
                    help=f"comma-separated, from {', '.join(STRATEGIES)} (default: select,random)")
    ap.add_argument("--json", metavar="PATH", help="write all curves and the summary as JSON")
    args = ap.parse_args(argv)
    args.strategies = [x.strip() for x in args.strategies.split(",") if x.strip()]
    unknown = [x for x in args.strategies if x not in STRATEGIES]
    if unknown:
        ap.error(f"unknown strategies {unknown}; choose from {list(STRATEGIES)}")
    t0 = time.perf_counter()
    data = load_team_corpus()
    runs = []
    for seed in range(args.seeds):
        runs.append(run_seed(data, seed, args))
        print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    table = summarize(runs, args.strategies)
    print(f"team corpus: {len(data)} sentences, {data.n_documents} documents; {args.seeds} seeds; "
          f"start {args.start}, batch {args.batch}, {args.rounds} rounds; cv {args.cv}; "
          f"{time.perf_counter() - t0:.0f} s; mean over seeds [min, max]")
    keys = ("frames_macro_f1", "frames_micro_f1", "dimensions_macro_f1")
    print("| labelled | " + " | ".join(f"{k} {s}" for k in keys for s in args.strategies) + " |")
    print("|---:|" + "---:|" * (len(keys) * len(args.strategies)))
    for r in table:
        cells = [f"{r[f'{s}_{k}']:.3f} [{r[f'{s}_{k}_range'][0]:.2f}, {r[f'{s}_{k}_range'][1]:.2f}]"
                 for k in keys for s in args.strategies]
        print(f"| {r['n_labelled']} | " + " | ".join(cells) + " |")
    last = {s: [r["curves"][s][-1] for r in runs] for s in args.strategies}
    pool_freq = data.Y["frames"].sum(0)
    rare = [frame_ids()[j] for j in np.argsort(pool_freq)[:3]]
    print(f"\nrarest frames in the corpus: {', '.join(f'{lab} ({int(pool_freq[frame_ids().index(lab)])})' for lab in rare)}")
    print("| strategy | labelled positives of the 3 rarest frames (mean) | their F1 (mean) |")
    print("|---|---:|---:|")
    for s_ in args.strategies:
        pos = np.mean([sum(p["frames_labelled_positives"][lab] for lab in rare) for p in last[s_]])
        f1 = np.mean([np.mean([p["frames_f1"][lab] for lab in rare]) for p in last[s_]])
        print(f"| {s_} | {pos:.1f} | {f1:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "summary": table, "runs": runs}, indent=1) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
