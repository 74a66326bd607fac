"""Benchmark: repair + tokenize + document building versus bare Kiwi, same texts, one run.

Prints chars/s for both and their ratio (goal >= 0.9), then the cold-start wall
time of ``kdiscourse tag`` on a short text (goal < 3 s).

    python scripts/bench_tokenize.py [--docs 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def corpus_texts(n_docs: int) -> list[str]:
    """Documents from the team corpus (joined sentences), cycled up to ``n_docs``."""
    docs = []
    for f in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                docs.append(" ".join(s["text"] for s in d["sentences"]))
    if not docs:
        docs = [(REPO / "corpus" / "samples" / "sample_ko.txt").read_text(encoding="utf-8")]
    out = []
    i = 0
    while len(out) < n_docs:
        out.append(docs[i % len(docs)] + ("" if i < len(docs) else f" ({i})"))
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=400, help="number of documents (default 400)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions, best kept (default 3)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start measurement")
    args = ap.parse_args()

    from nlp import Pipeline, document_from_text
    from nlp.tokenize import get_kiwi

    texts = corpus_texts(args.docs)
    chars = sum(len(t) for t in texts)
    kiwi = get_kiwi()
    pipe = Pipeline.default(["tokenize"])
    list(kiwi.tokenize(texts[:20], split_sents=True))  # warm up

    def bare():
        for _ in kiwi.tokenize(iter(texts), split_sents=True):
            pass

    def ours():
        for _ in pipe.pipe(document_from_text(t, str(i)) for i, t in enumerate(texts)):
            pass

    best = {"bare": float("inf"), "ours": float("inf")}
    for _ in range(args.repeat):
        for name, fn in (("bare", bare), ("ours", ours)):
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    bare_cps, ours_cps = chars / best["bare"], chars / best["ours"]
    print(f"texts: {len(texts)} documents, {chars:,} characters; best of {args.repeat}")
    print(f"bare Kiwi.tokenize(iterable, split_sents=True): {bare_cps:,.0f} chars/s")
    print(f"repair + tokenize + documents:                  {ours_cps:,.0f} chars/s")
    print(f"ratio (ours / bare): {ours_cps / bare_cps:.3f}  (goal >= 0.9)")

    if not args.no_cold:
        sample = REPO / "corpus" / "samples" / "sample_ko.txt"
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nlp", "tag", str(sample)], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from kiwipiepy import Kiwi; Kiwi().tokenize('미국')"], check=True)
        kiwi_cold = time.perf_counter() - t0
        print(f"cold start `kdiscourse tag` on the sample: min {min(times):.2f} s, max {max(times):.2f} s "
              f"(bare Kiwi load + one sentence: {kiwi_cold:.2f} s; goal < 3 s)")


if __name__ == "__main__":
    main()
