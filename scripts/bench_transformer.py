"""CPU inference speed: tiny transformer vs the scikit-learn-style linear baseline, same 500 sentences.

Both models are trained briefly on other team-corpus sentences (speed, not quality, is
measured); Kiwi morphemes are computed once beforehand, so neither timing includes Kiwi.

    python scripts/bench_transformer.py [--model DIR] [--n 500] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _baseline(task: str):
    """The project's LinearClassifier when present, else TF-IDF char 2-4 + one-vs-rest logistic regression."""
    try:
        from nlp.classify.linear import LinearClassifier

        return "nlp.classify.linear.LinearClassifier", LinearClassifier(task=task)
    except ImportError:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline

        pipe = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)),
                             OneVsRestClassifier(LogisticRegression(max_iter=1000)))

        class _Wrap:
            def fit(self, items, Y):
                pipe.fit([it.text for it in items], Y)
                return self

            def predict_proba(self, items):
                return pipe.predict_proba([it.text for it in items])

        return "TfidfVectorizer(char_wb 2-4)+OneVsRest(LogisticRegression)", _Wrap()


def _rate(predict, items, repeats: int) -> float:
    predict(items[:16])  # warm-up
    best = min(_timed(predict, items) for _ in range(repeats))
    return len(items) / best


def _timed(predict, items) -> float:
    t = time.perf_counter()
    predict(items)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="tiny checkpoint directory (built into a temp dir if absent)")
    ap.add_argument("--n", type=int, default=500, help="sentences timed (default 500)")
    ap.add_argument("--n-train", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    import torch

    from nlp.classify.data import load_team_corpus
    from nlp.classify.transformer import TransformerClassifier

    task = "dimensions"
    data = load_team_corpus(tokenize=True)
    items, Y = list(data.items), data.Y[task]
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(items))
    test_idx, train_idx = perm[:args.n], perm[args.n:args.n + args.n_train]
    test = [items[i] for i in test_idx]
    train, Ytr = [items[i] for i in train_idx], Y[train_idx]

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model
        if model_dir is None:
            import importlib.util

            spec = importlib.util.spec_from_file_location("build_tiny_model", REPO / "scripts" / "build_tiny_model.py")
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            model_dir = mod.build(Path(tmp) / "tiny")
        tr = TransformerClassifier(str(model_dir), task=task, epochs=1, lr=1e-3, batch_size=args.batch_size,
                                   max_length=128).fit(train, Ytr)
        name, lin = _baseline(task)
        lin.fit(train, Ytr)
        r_tr = _rate(tr.predict_proba, test, args.repeats)
        r_lin = _rate(lin.predict_proba, test, args.repeats)

    res = {"n_sentences": len(test), "transformer_sent_per_s": round(r_tr, 1), "baseline": name,
           "baseline_sent_per_s": round(r_lin, 1), "baseline_over_transformer": round(r_lin / r_tr, 2),
           "transformer": "BERT 2 layers x 64 hidden, 2 heads, vocab ~4000, max_length 128, "
                          f"batch {args.batch_size}",
           "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
           "load_avg": os.getloadavg()[0], "python": platform.python_version(),
           "truncated_in_test": int(getattr(tr, "last_truncated_", 0))}
    print(json.dumps(res, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
