"""Cold start of ``kdiscourse tag`` on one short document against a bare Kiwi process.

Both are measured in the same run, alternating, each in a fresh process:

* ``python -m nlp tag FILE`` (every default stage, text output);
* bare Kiwi: a process that imports kiwipiepy, builds ``Kiwi`` with the options
  kdiscourse uses (``load_typo_dict=False, load_multi_dict=False``, default threads)
  and tokenizes one sentence.

Prints the median and range of ``--runs`` runs of each, their difference (the goal is
at most 0.3 s), and the slowest imports of ``tag`` by ``python -X importtime``
(cumulative microseconds, from one extra run).

    python scripts/bench_coldstart.py --runs 5 --json coldstart.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Python may cache compiled modules, as it does for an installed package (pip writes the .pyc files;
# kiwipiepy's are there already): with PYTHONDONTWRITEBYTECODE set, every `tag` would compile the
# package's ~200 modules again (0.3 s) and the bare process nothing.  The untimed first run writes them.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
DOC = "미국과 중국의 인공지능 경쟁이 격화되고 있다. 정부는 반도체 수출통제에 대응해야 한다.\n"
BARE = ("from kiwipiepy import Kiwi; kiwi = Kiwi(load_typo_dict=False, load_multi_dict=False); "
        "kiwi.tokenize('미국과 중국의 인공지능 경쟁이 격화되고 있다.')")


def timed(cmd: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one fresh process (output discarded; a failure stops the benchmark); its CPU
    seconds (user + system, all threads) are appended to ``cpu`` (steadier than wall on a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"bench_coldstart: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def import_times(cmd: list[str], top: int) -> list[tuple[str, int, int]]:
    """(module, self us, cumulative us) of the ``top`` slowest top-level imports of ``cmd``."""
    r = subprocess.run([sys.executable, "-X", "importtime", *cmd], cwd=REPO, capture_output=True, text=True, env=ENV)
    rows = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        try:
            self_us, cum_us, name = (x.strip() for x in line[len("import time:"):].split("|"))
            rows.append((name, int(self_us), int(cum_us)))
        except ValueError:
            continue
    return sorted(rows, key=lambda x: -x[2])[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (default: 5)")
    ap.add_argument("--top", type=int, default=15, help="imports to list (default: 15)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "one.txt"
        doc.write_text(DOC, encoding="utf-8")
        tag = [sys.executable, "-m", "nlp", "tag", str(doc)]
        bare = [sys.executable, "-c", BARE]
        timed(bare)  # warm the file cache for both, untimed
        timed(tag)
        t_tag, t_bare, c_tag, c_bare = [], [], [], []
        for _ in range(args.runs):
            t_bare.append(timed(bare, c_bare))
            t_tag.append(timed(tag, c_tag))
        imports = import_times(tag[1:], args.top)
    med_tag, med_bare = statistics.median(t_tag), statistics.median(t_bare)
    res = {"runs": args.runs, "tag_s": t_tag, "bare_kiwi_s": t_bare, "tag_median_s": med_tag,
           "bare_kiwi_median_s": med_bare, "difference_s": med_tag - med_bare, "tag_cpu_s": c_tag,
           "bare_kiwi_cpu_s": c_bare,
           "cpu_difference_s": statistics.median(c_tag) - statistics.median(c_bare),
           "imports": [{"module": m, "self_us": s, "cumulative_us": c} for m, s, c in imports]}
    print(f"tag, one short document:   median {med_tag:.2f} s (range {min(t_tag):.2f}-{max(t_tag):.2f}) "
          f"over {args.runs} runs")
    print(f"bare Kiwi, one sentence:   median {med_bare:.2f} s (range {min(t_bare):.2f}-{max(t_bare):.2f})")
    print(f"difference: {med_tag - med_bare:+.2f} s (goal: at most +0.30 s)")
    print(f"CPU seconds (user + system), medians: tag {statistics.median(c_tag):.2f} s, bare Kiwi "
          f"{statistics.median(c_bare):.2f} s, difference {res['cpu_difference_s']:+.2f} s")
    print("slowest imports of tag (cumulative ms, self ms):")
    for m, s, c in imports:
        print(f"  {c / 1000:8.1f} {s / 1000:8.1f}  {m}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
