"""Evaluate actor recognition: mention-level precision/recall/F1 per type.

Gold sets: the reference essay (standoff offsets in corpus/essay/mentions.tsv; the
essay is read from shared/seeds at run time), the team's hard-case sentences
(corpus/actors/hardcases.txt, inline ``[surface|ID,...]`` marks) and, when present, the
real-text development set (``--devset``, JSONL: one sentence per line with "text" and
"actors": [{"start", "end", "id" (lexicon id or null), "name", "type", "bloc"}]).

Matching: a lexicon id must match by exact span and id; a gold name without an id
(null) and a predicted open-world name (``known: false``) match by exact span, type and
bloc.  The essay and hard-case gold hold lexicon ids only, so their tables are printed
twice: lexicon mentions (comparable across versions) and all predictions (open-world
names then count as false positives).  Also measures the throughput of tokenize+actors
versus tokenize alone on the same texts in one run.

    python scripts/eval_actors.py [--essay PATH] [--devset PATH] [--records DIR] [--show-errors] [--no-speed]
                                  [--no-hard] [--no-open-world]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = REPO / ".cache" / "devset" / "sentences.jsonl"
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


class Item(NamedTuple):
    """A mention to match: span, lexicon id (None for a name without one), type, bloc."""

    start: int
    end: int
    id: str | None
    type: str
    bloc: str


def gold_items(spans, actors) -> list[Item]:
    """Gold ``(start, end, id)`` triples with the lexicon's type and bloc."""
    out = []
    for s, e, aid in spans:
        a = actors.get(aid)
        out.append(Item(s, e, aid, a.type if a else "unknown", a.bloc if a else "other"))
    return out


def predicted(doc, known_only: bool = False, raw: bool = False) -> list[Item]:
    """A document's mentions; open-world names (``known: false``) have id None
    (dropped with ``known_only``).  With ``raw`` the spans are offsets into the raw
    input (the gold's offsets when the text repair changed the text)."""
    # getattr: the script also scores versions of the package from before Mention.known
    return [Item(m.raw_start if raw else m.start, m.raw_end if raw else m.end,
                 m.actor if getattr(m, "known", True) else None, m.type, m.bloc)
            for m in doc.mentions if getattr(m, "known", True) or not known_only]


def matches(g: Item, p: Item) -> bool:
    """Same span, and the same lexicon id, or (when either side has no id) the same type and bloc."""
    if (g.start, g.end) != (p.start, p.end):
        return False
    if g.id is not None and p.id is not None:
        return g.id == p.id
    return (g.type, g.bloc) == (p.type, p.bloc)


def align(gold: list[Item], pred: list[Item]) -> tuple[list[Item], list[Item], list[Item]]:
    """One-to-one matching (id matches first): ``(true positives, false negatives, false positives)``
    with gold items for tp/fn and predicted ones for fp."""
    left = list(pred)
    tp, fn = [], []
    for g in sorted(gold, key=lambda g: g.id is None):
        k = next((k for k, p in enumerate(left) if matches(g, p) and (g.id is None or p.id == g.id)), None)
        if k is None:
            k = next((k for k, p in enumerate(left) if matches(g, p)), None)
        if k is None:
            fn.append(g)
        else:
            tp.append(g)
            left.pop(k)
    return tp, fn, left


def score(pairs) -> dict:
    """pairs: list of (gold items, predicted items); P/R/F1 and support per type."""
    by_type: dict[str, Counter] = {}
    total = Counter()
    for gold, pred in pairs:
        tp, fn, fp = align(gold, pred)
        for kind, items in (("tp", tp), ("fn", fn), ("fp", fp)):
            for it in items:
                by_type.setdefault(it.type, Counter())[kind] += 1
                total[kind] += 1
    res = {t: prf(c["tp"], c["fp"], c["fn"]) + (c["tp"] + c["fn"],) for t, c in sorted(by_type.items())}
    res["ALL"] = prf(total["tp"], total["fp"], total["fn"]) + (total["tp"] + total["fn"],)
    return res


def open_world_summary(pairs) -> str:
    """Recall on gold names without an id and precision of predicted open-world names."""
    g_tot = g_hit = p_tot = p_hit = 0
    for gold, pred in pairs:
        tp, _fn, fp = align(gold, pred)
        g_tot += sum(1 for g in gold if g.id is None)
        g_hit += sum(1 for g in tp if g.id is None)
        p_tot += sum(1 for p in pred if p.id is None)
        p_hit += sum(1 for p in pred if p.id is None) - sum(1 for p in fp if p.id is None)
    r = g_hit / g_tot if g_tot else 0.0
    p = p_hit / p_tot if p_tot else 0.0
    return (f"gold names without a lexicon id: {g_hit}/{g_tot} found (recall {r:.3f}); "
            f"predicted open-world names: {p_hit}/{p_tot} correct (precision {p:.3f})")


def print_table(title: str, res: dict) -> None:
    print(f"\n{title}")
    print(f"{'type':<10} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for t, (p, r, f, n) in res.items():
        print(f"{t:<10} {p:6.3f} {r:6.3f} {f:6.3f} {n:8d}")


def load_devset(path: Path, records: str | None = None) -> list[tuple[str, str, list[Item]]]:
    """Development sentences ``(doc id, text, gold items)`` from the rebuilt cache (``nlp.devset.load_devset``),
    labels from the tracked records (or those in the folder ``records``)."""
    from nlp.devset import load_devset as load

    docs = load(path.parent, records) or []
    return [(d["id"], s["text"], [Item(a["start"], a["end"], a.get("id") or None, a["type"], a["bloc"])
                                  for a in s["actors"]]) for d in docs for s in d["sentences"]]


def predict_devset(pipe, dev) -> list[list[Item]]:
    """Predictions per development sentence.  The sentences of one document are run
    together (joined by a newline, or a blank line if the text repair would merge the
    lines) so that context and coreference across sentences work; a document whose
    text the repair still changes falls back to one document per sentence."""
    from nlp import document_from_text

    by_doc: dict[str, list[int]] = {}
    for k, (doc_id, _t, _g) in enumerate(dev):
        by_doc.setdefault(doc_id, []).append(k)
    out: list[list[Item]] = [[] for _ in dev]
    for doc_id, ks in by_doc.items():
        texts = [dev[k][1] for k in ks]
        for sep in ("\n", "\n\n", None):
            if sep is None:
                for k in ks:
                    # the gold indexes the sentence as given: raw offsets, the repair may have changed it
                    out[k] = predicted(pipe(document_from_text(dev[k][1], doc_id)), raw=True)
                break
            joined = sep.join(texts)
            doc = pipe(document_from_text(joined, doc_id))
            if doc.text != joined:
                continue
            starts, pos = [], 0
            for t in texts:
                starts.append(pos)
                pos += len(t) + len(sep)
            for it in predicted(doc):
                for k, st, t in zip(ks, starts, texts):
                    if st <= it.start and it.end <= st + len(t):
                        out[k].append(it._replace(start=it.start - st, end=it.end - st))
            break
    return out


def show(label: str, text: str, gold: list[Item], pred: list[Item]) -> None:
    _tp, fn, fp = align(gold, pred)
    if not fn and not fp:
        return
    print(label, text.replace("\n", " ")[:300])
    for x in sorted(fn):
        print("   FN", tuple(x), text[x.start:x.end])
    for x in sorted(fp, key=lambda x: (x.start, x.end, x.id or "")):
        print("   FP", tuple(x), text[x.start:x.end])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--essay", default=str(DEFAULT_ESSAY), help="path of the reference essay")
    ap.add_argument("--devset", default=str(DEFAULT_DEVSET), help="development set JSONL (scored when present)")
    ap.add_argument("--records", default=None,
                    help="folder of development-set records to score against (default: corpus/devset)")
    ap.add_argument("--no-hard", action="store_true", help="skip the hard cases and the essay")
    ap.add_argument("--show-errors", action="store_true", help="print every false positive/negative")
    ap.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    ap.add_argument("--no-open-world", action="store_true", help="lexicon names only (no open-world names)")
    args = ap.parse_args()

    from nlp import Pipeline, document_from_path, document_from_text
    from nlp.actors import ActorStage

    pipe = Pipeline.default(["tokenize", "actors"], strict=True)
    if args.no_open_world:
        pipe.stages[1] = ActorStage(open_world=False)
    actors = pipe.stages[1].lexicon.actors

    hard = load_hardcases(REPO / "corpus" / "actors" / "hardcases.txt")
    if not args.no_hard:
        pairs, pairs_known = [], []
        docs = list(pipe.pipe(document_from_text(t, hid) for hid, t, _ in hard))
        for (hid, text, gold), doc in zip(hard, docs):
            g = gold_items(gold, actors)
            pairs.append((g, predicted(doc)))
            pairs_known.append((g, predicted(doc, known_only=True)))
            if args.show_errors:
                show(hid, text, g, pairs[-1][1])
        n_open = sum(1 for _g, p in pairs for x in p if x.id is None)
        print_table(f"hard-case set: {len(hard)} sentences; lexicon mentions", score(pairs_known))
        print_table(f"hard-case set: all predictions ({n_open} open-world names; this gold has none)", score(pairs))

        essay = Path(args.essay)
        if essay.exists():
            doc = pipe(document_from_path(essay))
            gold = gold_items(load_essay_gold(REPO / "corpus" / "essay" / "mentions.tsv"), actors)
            pred = predicted(doc)
            if args.show_errors:
                _tp, fn, fp = align(gold, pred)
                for label, items in (("FN", fn), ("FP", fp)):
                    for x in sorted(items, key=lambda x: (x.start, x.end, x.id or "")):
                        context = doc.text[max(0, x.start - 8):x.end + 8].replace("\n", " ")
                        print(f"ESSAY {label}", tuple(x), doc.text[x.start:x.end], "|", context)
            n_open = sum(1 for x in pred if x.id is None)
            print_table(f"reference essay: {len(doc.sentences)} sentences; lexicon mentions",
                        score([(gold, predicted(doc, known_only=True))]))
            print_table(f"reference essay: all predictions ({n_open} open-world names; this gold has none)",
                        score([(gold, pred)]))
        else:
            print(f"\nreference essay not found at {essay}; skipped", file=sys.stderr)

    devset = Path(args.devset)
    if devset.exists():
        dev = load_devset(devset, args.records)
        dpairs = []
        for (doc_id, text, gold), pred in zip(dev, predict_devset(pipe, dev)):
            dpairs.append((gold, pred))
            if args.show_errors:
                show(doc_id, text, gold, pred)
        n_docs = len({d for d, _t, _g in dev})
        print_table(f"development set {devset}: {len(dev)} sentences, {n_docs} documents", score(dpairs))
        print(open_world_summary(dpairs))
    else:
        print(f"\ndevelopment set not found at {devset}; skipped (give --devset PATH)")

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
            best, cpu = {}, {}
            for _ in range(3):  # interleaved, so that a change of machine load hits both
                for name, p in (("tokenize", tok), ("tokenize+actors", pipe)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    for _d in p.pipe(document_from_text(t, str(i)) for i, t in enumerate(texts)):
                        pass
                    best[name] = min(best.get(name, 1e9), time.perf_counter() - t0)
                    cpu[name] = min(cpu.get(name, 1e9), time.process_time() - c0)
            chars = sum(map(len, texts))
            print(f"\nthroughput on {label}: {len(texts)} texts, {chars:,} characters, best of 3")
            for name, t in best.items():
                print(f"{name:<16} {chars / t:,.0f} chars/s (CPU time {cpu[name]:.2f} s)")
            print(f"ratio tokenize+actors / tokenize: {best['tokenize'] / best['tokenize+actors']:.3f} (goal >= 0.9); "
                  f"by CPU time {cpu['tokenize'] / cpu['tokenize+actors']:.3f}; "
                  f"actor stage {cpu['tokenize+actors'] - cpu['tokenize']:.2f} s CPU")


if __name__ == "__main__":
    main()
