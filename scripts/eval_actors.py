"""Evaluate actor recognition: mention-level precision/recall/F1 (exact span and id), per type.

Two gold sets: the reference essay (standoff offsets in corpus/essay/mentions.tsv; the
essay is read from ../shared/seeds at run time) and the team's hard-case sentences
(corpus/actors/hardcases.txt, inline ``[surface|ID,...]`` marks). Also measures the
throughput of tokenize+actors versus tokenize alone on the same texts in one run.

    python scripts/eval_actors.py [--essay PATH] [--show-errors] [--no-speed]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_ESSAY_NAME = Path("shared") / "seeds" / "000_a2316ee7125e2d43.txt"
# the main checkout sits next to shared/, a worktree one level deeper
DEFAULT_ESSAY = next((p / _ESSAY_NAME for p in (REPO.parent, REPO.parent.parent) if (p / _ESSAY_NAME).exists()),
                     REPO.parent / _ESSAY_NAME)
_MARK = re.compile(r"\[([^\[\]|]+)\|([^\[\]|]+)\]")


def parse_marked(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    """``[미중|US,CN] 갈등`` -> ("미중 갈등", [(0, 2, "US"), (0, 2, "CN")]).

    >>> parse_marked("[미국|US]이 [미중|US,CN] 경쟁")
    ('미국이 미중 경쟁', [(0, 2, 'US'), (4, 6, 'US'), (4, 6, 'CN')])
    """
    out, gold, pos = [], [], 0
    last = 0
    for m in _MARK.finditer(line):
        out.append(line[last:m.start()])
        pos += m.start() - last
        surface = m.group(1)
        for aid in m.group(2).split(","):
            gold.append((pos, pos + len(surface), aid.strip()))
        out.append(surface)
        pos += len(surface)
        last = m.end()
    out.append(line[last:])
    return "".join(out), gold


def load_hardcases(path: Path) -> list[tuple[str, str, list]]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        hid, _reg, marked = line.split("\t", 2)
        text, gold = parse_marked(marked)
        items.append((hid, text, gold))
    return items


def load_essay_gold(path: Path) -> list[tuple[int, int, str]]:
    with open(path, encoding="utf-8") as fh:
        return [(int(r["start"]), int(r["end"]), r["actor"]) for r in csv.DictReader(fh, delimiter="\t")]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(pairs, types) -> dict:
    """pairs: list of (gold_set, pred_set) of (start, end, actor)."""
    by_type: dict[str, Counter] = {}
    total = Counter()
    for gold, pred in pairs:
        for item in gold | pred:
            t = types.get(item[2], "unknown")
            c = by_type.setdefault(t, Counter())
            key = "tp" if item in gold and item in pred else ("fn" if item in gold else "fp")
            c[key] += 1
            total[key] += 1
    res = {t: prf(c["tp"], c["fp"], c["fn"]) + (c["tp"] + c["fn"],) for t, c in sorted(by_type.items())}
    res["ALL"] = prf(total["tp"], total["fp"], total["fn"]) + (total["tp"] + total["fn"],)
    return res


def print_table(title: str, res: dict) -> None:
    print(f"\n{title}")
    print(f"{'type':<10} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for t, (p, r, f, n) in res.items():
        print(f"{t:<10} {p:6.3f} {r:6.3f} {f:6.3f} {n:8d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--essay", default=str(DEFAULT_ESSAY), help="path of the reference essay")
    ap.add_argument("--show-errors", action="store_true", help="print every false positive/negative")
    ap.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    args = ap.parse_args()

    from nlp import Pipeline, document_from_path, document_from_text

    pipe = Pipeline.default(["tokenize", "actors"], strict=True)
    types = {a.id: a.type for a in pipe.stages[1].lexicon.actors.values()}

    hard = load_hardcases(REPO / "corpus" / "actors" / "hardcases.txt")
    pairs = []
    docs = list(pipe.pipe(document_from_text(t, hid) for hid, t, _ in hard))
    for (hid, text, gold), doc in zip(hard, docs):
        pred = {(m.start, m.end, m.actor) for m in doc.mentions}
        g = set(gold)
        pairs.append((g, pred))
        if args.show_errors and g != pred:
            print(hid, text)
            for x in sorted(g - pred):
                print("   FN", x, text[x[0]:x[1]])
            for x in sorted(pred - g):
                print("   FP", x, text[x[0]:x[1]])
    print_table(f"hard-case set: {len(hard)} sentences", score(pairs, types))

    essay = Path(args.essay)
    if essay.exists():
        doc = pipe(document_from_path(essay))
        gold = set(load_essay_gold(REPO / "corpus" / "essay" / "mentions.tsv"))
        pred = {(m.start, m.end, m.actor) for m in doc.mentions}
        if args.show_errors:
            for x in sorted(gold - pred):
                print("ESSAY FN", x, doc.text[x[0]:x[1]], "|", doc.text[max(0, x[0] - 8):x[1] + 8].replace("\n", " "))
            for x in sorted(pred - gold):
                print("ESSAY FP", x, doc.text[x[0]:x[1]], "|", doc.text[max(0, x[0] - 8):x[1] + 8].replace("\n", " "))
        print_table(f"reference essay: {len(doc.sentences)} sentences", score([(gold, pred)], types))
    else:
        print(f"\nreference essay not found at {essay}; skipped", file=sys.stderr)

    if not args.no_speed:
        import json

        team = []
        for f in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
            for line in f.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    team.append(" ".join(s["text"] for s in json.loads(line)["sentences"]))
        tok = Pipeline.default(["tokenize"])
        for label, texts in (("hard-case sentences x4 (actor-dense)", [t for _, t, _ in hard] * 4),
                             ("team corpus documents", team)):
            best = {}
            for name, p in (("tokenize", tok), ("tokenize+actors", pipe)):
                runs = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    for _d in p.pipe(document_from_text(t, str(i)) for i, t in enumerate(texts)):
                        pass
                    runs.append(time.perf_counter() - t0)
                best[name] = min(runs)
            chars = sum(map(len, texts))
            print(f"\nthroughput on {label}: {len(texts)} texts, {chars:,} characters, best of 3")
            for name, t in best.items():
                print(f"{name:<16} {chars / t:,.0f} chars/s")
            print(f"ratio tokenize+actors / tokenize: {best['tokenize'] / best['tokenize+actors']:.3f} (goal >= 0.9)")

if __name__ == "__main__":
    main()
