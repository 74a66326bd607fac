"""Learning curve over real labelled text: how much does each added real sentence buy, and how far off are
the targets?

The development set is cut into k document-grouped folds (as ``kdiscourse evaluate --devset-folds``).
For each fraction F, every fold is scored by a model trained on the whole team corpus plus a seeded
random share F of the other folds' documents (the held-out fold stays whole, so every point is scored on
the same sentences).  F = 0 is the team-only model.  For each task the script prints macro-F1 with its
document-bootstrap interval per point, the gain per doubling of real training sentences (least squares
of F1 on log2(real sentences) over the points with F > 0), and, only as a rough guide, how many real
sentences that line would need to reach a target.  Needs the rebuilt cache (``scripts/devset.py
build``); CI never runs it.

    python scripts/devset_curve.py                                   # linear, F = 0, 0.25, 0.5, 1
    python scripts/devset_curve.py --backend encoder --e5-cache scratch/e5cache.npz --fractions 0,0.5,1
    python scripts/devset_curve.py --format json --output scratch/curve.json
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

TARGETS = {"dimensions": 0.85, "frames": 0.75}  # issue 11's targets on real text


def doubling_fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """Least-squares ``f1 = a + b * log2(n)`` over the points with n > 0; None with fewer than two.

    >>> a, b = doubling_fit([(100, 0.60), (200, 0.62), (400, 0.64)])
    >>> round(b, 3)
    0.02
    """
    pts = [(np.log2(n), f) for n, f in points if n > 0]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


def sentences_for(target: float, fit: tuple[float, float] | None) -> float | None:
    """Real training sentences at which the fitted line reaches ``target`` (None if it never rises)."""
    if fit is None or fit[1] <= 0:
        return None
    a, b = fit
    return float(2 ** ((target - a) / b))


def main(argv: list[str] | None = None) -> int:
    """Run the curve and print (or write) it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", default="linear", help="classifier backend (default linear)")
    ap.add_argument("--fractions", default="0,0.25,0.5,1", help="shares of the real training documents")
    ap.add_argument("--folds", type=int, default=5, help="document-grouped folds over the devset (default 5)")
    ap.add_argument("--tasks", default="dimensions,frames")
    ap.add_argument("--devset", default=None, metavar="CACHE_DIR", help="default .cache/devset")
    ap.add_argument("--e5-cache", default=None, metavar="NPZ", help="encoder backend: e5 vector cache")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--format", choices=("table", "json"), default="table")
    ap.add_argument("--output", default=None, metavar="PATH")
    args = ap.parse_args(argv)

    from nlp.classify import backend_class
    from nlp.classify.data import load_devset_data, load_team_corpus
    from nlp.evaluate_real import evaluate_devset_folds

    fractions = [float(f) for f in args.fractions.split(",")]
    devset = load_devset_data(args.devset)
    if devset is None:
        print("devset_curve: no development-set cache (.cache/devset/sentences.jsonl); run "
              "scripts/devset.py build first", file=sys.stderr)
        return 2
    if args.e5_cache:
        from nlp.classify.encoder import shared_featurizer_with_cache

        shared_featurizer_with_cache(args.e5_cache)
    cls = backend_class(args.backend)
    data = load_team_corpus()
    out = {"backend": args.backend, "folds": args.folds, "devset_documents": devset.n_documents,
           "devset_sentences": len(devset), "team_sentences": len(data), "tasks": {}}
    for task in args.tasks.split(","):
        rows = []
        for f in fractions:
            t0 = time.perf_counter()
            rep = evaluate_devset_folds(lambda t: cls(task=t), task, data, devset, args.folds,
                                        bootstrap=args.bootstrap, fraction=f)
            m = rep["macro"]
            rows.append({"fraction": f, "real_train_sentences": rep["real_train_sentences"], "f1": m["f1"],
                         "ci": rep.get("ci", {}).get("macro_f1"), "seconds": round(time.perf_counter() - t0, 1)})
            print(f"{task} fraction {f:g}: {rep['real_train_sentences']} real sentences, macro-F1 {m['f1']:.3f}",
                  file=sys.stderr, flush=True)
        fit = doubling_fit([(r["real_train_sentences"], r["f1"]) for r in rows])
        need = sentences_for(TARGETS[task], fit)
        out["tasks"][task] = {"points": rows, "gain_per_doubling": None if fit is None else fit[1],
                              "target": TARGETS[task], "real_sentences_for_target_by_the_line": need}
    if args.format == "json":
        text = json.dumps(out, ensure_ascii=False, indent=1) + "\n"
    else:
        lines = [f"# learning curve: {args.backend}, {args.folds} document-grouped folds over "
                 f"{out['devset_documents']} devset documents ({out['devset_sentences']} sentences), team corpus "
                 f"{out['team_sentences']} sentences", "",
                 "| task | fraction | real training sentences | macro-F1 [95% CI] |", "|---|---|---|---|"]
        for task, res in out["tasks"].items():
            for r in res["points"]:
                ci = f" [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]" if r["ci"] else ""
                lines.append(f"| {task} | {r['fraction']:g} | {r['real_train_sentences']} | {r['f1']:.3f}{ci} |")
        lines.append("")
        for task, res in out["tasks"].items():
            g, need = res["gain_per_doubling"], res["real_sentences_for_target_by_the_line"]
            gain = "n/a" if g is None else f"{g:+.3f}"
            reach = "never (no rise)" if need is None else f"about {need:,.0f}"
            lines.append(f"- {task}: gain per doubling of real sentences {gain}; the line reaches "
                         f"{res['target']} at {reach} real sentences (a rough extrapolation)")
        text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
