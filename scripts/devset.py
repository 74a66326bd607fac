"""Build, check and annotate the real-text development set (standoff records).

Subcommands::

    segment DOC_ID [-o FILE]     sentence template of a cached search result, for annotation
    record WORKFILE [--labels FILE] --to FILE
                                 turn a filled template into a standoff record (no text kept)
    build [--results DIR] [--cache DIR]
                                 rebuild the texts into the cache from saved search results
    check                        validate every standoff record
    stats                        counts: documents, outlets, registers, years, labels, actors
    agreement [FIRST SECOND] [--pair FIRST SECOND ...]
                                 Cohen's kappa per label, exact match, actor F1 of two passes;
                                 without files: every second pass with the documents it
                                 re-labels, one pair at a time, then all pairs pooled

Run from the repository root as ``PYTHONPATH=$PWD python scripts/devset.py ...``.
Third-party text only ever goes to the git-ignored ``.cache/devset``.

Work-file shorthand (``record``): per sentence ``"d"`` holds dimensions
(``T`` ``R`` ``D`` or ids), ``"f"`` frames (``eco mil tech info hum reg sov mkt
gov`` or ids), both space-separated; ``"a"`` a list of actor strings
``SURFACE[#n]=ID[,ID...]`` (the n-th occurrence of SURFACE in the sentence,
1 by default; several ids share one span, as for 미중) or
``SURFACE[#n]=~NAME/type/bloc`` for an actor outside the lexicon (an empty
NAME means the surface itself).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.atomic import atomic_open  # noqa: E402
from nlp.devset import DEFAULT_CACHE, SENTENCES_FILE, iter_jsonl, segment_excerpt, sentence_sha  # noqa: E402
from nlp.labels import actor_types, blocs, dimension_ids, frame_ids  # noqa: E402

DEVSET_DIR = ROOT / "corpus" / "devset"
REGISTERS = ("news", "analysis", "press_release", "assembly", "editorial", "column", "blog")
TOPICS = ("ai", "offtopic")
YEARS = range(2019, 2027)
MAX_PER_OUTLET = 4
DIM_SHORT = {"T": "tech_platform", "R": "regulation_discourse", "D": "diplomacy_arms"}
FRAME_SHORT = {
    "eco": "economic_security", "mil": "military_security", "tech": "tech_security",
    "info": "information_security", "hum": "human_security", "reg": "regime_security",
    "sov": "sovereignty", "mkt": "market_innovation", "gov": "global_governance",
}


class DevsetError(Exception):
    """A problem with a devset file, reported as one line."""


# --------------------------------------------------------------------------- shared helpers

def lexicon_actors() -> dict[str, tuple[str, str]]:
    """Actor id -> (type, bloc) from ``models/actors.tsv``."""
    out = {}
    with open(ROOT / "models" / "actors.tsv", encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row.get("id") and not row["id"].startswith("#"):
                out[row["id"]] = (row["type"], row["bloc"])
    return out


def standoff_files(kind: str = "documents") -> list[Path]:
    """The standoff files of one kind (``documents`` or ``second_pass``)."""
    return sorted(DEVSET_DIR.glob(f"{kind}_*.jsonl"))


def load_records(paths: list[Path]) -> list[dict]:
    """All records of the given files, each tagged with its file name."""
    recs = []
    for p in paths:
        for r in iter_jsonl(p):
            r["_file"] = p.name
            recs.append(r)
    return recs


def load_results(results_dir: Path) -> dict[str, list[dict]]:
    """URL -> saved search results (dicts with ``url``, ``excerpt``, ``query``).

    A file is either one saved result or a whole search answer with a
    ``results`` list.
    """
    by_url: dict[str, list[dict]] = defaultdict(list)
    if not results_dir.is_dir():
        return by_url
    for p in sorted(results_dir.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        items = data.get("results", []) if isinstance(data, dict) and "results" in data else [data]
        for it in items:
            if isinstance(it, dict) and it.get("url") and isinstance(it.get("excerpt"), str):
                if all(it["excerpt"] != x["excerpt"] for x in by_url[it["url"]]):
                    by_url[it["url"]].append({**it, "_file": p.name})
    return by_url


_PIPELINE = None


def pipeline():
    """One tokenize-only pipeline per process (Kiwi is heavy)."""
    global _PIPELINE
    if _PIPELINE is None:
        from nlp import Pipeline
        _PIPELINE = Pipeline.default(stages=("tokenize",), strict=True)
    return _PIPELINE


# --------------------------------------------------------------------------- segment / record

def cmd_segment(args) -> int:
    path = Path(args.results) / f"{args.doc_id}.json"
    if not path.is_file():
        raise DevsetError(f"no saved search result {path}")
    res = json.loads(path.read_text(encoding="utf-8"))
    sents = segment_excerpt(res["excerpt"], pipeline())
    tmpl = {
        "id": args.doc_id, "url": res["url"], "query": res.get("query", ""), "outlet": "", "register": "",
        "year": None, "topic": "ai", "annotator": "",
        "sentences": [{"i": i, **s, "d": "", "f": "", "a": []} for i, s in enumerate(sents)],
    }
    text = json.dumps(tmpl, ensure_ascii=False, indent=1)
    if args.output:
        with atomic_open(args.output) as fh:
            fh.write(text + "\n")
        print(f"{args.output}: {len(sents)} sentences", file=sys.stderr)
    else:
        print(text)
    return 0


def _expand(spec, table: dict[str, str], allowed: tuple[str, ...], where: str) -> list[str]:
    items = spec.split() if isinstance(spec, str) else list(spec or ())
    out = []
    for it in items:
        lab = table.get(it, it)
        if lab not in allowed:
            raise DevsetError(f"{where}: unknown label {it!r}; allowed: {', '.join(list(table) + list(allowed))}")
        if lab not in out:
            out.append(lab)
    return out


def parse_actor(spec, sentence: str, lex: dict[str, tuple[str, str]], where: str) -> list[dict]:
    """Actor mentions from one shorthand string (see the module docstring) or a dict."""
    if isinstance(spec, dict):
        return [spec]
    if "=" not in spec:
        raise DevsetError(f"{where}: actor {spec!r} needs SURFACE=ID or SURFACE=~NAME/type/bloc")
    surface, target = spec.split("=", 1)
    nth = 1
    if "#" in surface[1:]:
        surface, n = surface.rsplit("#", 1)
        nth = int(n)
    pos = -1
    for _ in range(nth):
        pos = sentence.find(surface, pos + 1)
        if pos < 0:
            raise DevsetError(f"{where}: {surface!r} (occurrence {nth}) is not in the sentence")
    start, end = pos, pos + len(surface)
    if target.startswith("~"):
        parts = target[1:].split("/")
        if len(parts) != 3:
            raise DevsetError(f"{where}: {spec!r}: write ~NAME/type/bloc")
        name, typ, bloc = parts
        return [{"start": start, "end": end, "id": None, "name": name or surface, "type": typ, "bloc": bloc}]
    out = []
    for aid in target.split(","):
        if aid not in lex:
            raise DevsetError(f"{where}: actor id {aid!r} is not in models/actors.tsv (use ~NAME/type/bloc)")
        typ, bloc = lex[aid]
        out.append({"start": start, "end": end, "id": aid, "type": typ, "bloc": bloc})
    return out


def work_to_record(work: dict, lex: dict[str, tuple[str, str]]) -> dict:
    """A standoff record from a filled work file: labels expanded, actors as offsets, no text."""
    dims, frames = dimension_ids(), frame_ids()
    sents = []
    for s in work["sentences"]:
        where = f"{work['id']} sentence {s.get('i')}"
        actors = []
        for spec in s.get("a", []) or s.get("actors", []):
            actors.extend(parse_actor(spec, s["text"], lex, where))
        spans = {(a["start"], a["end"]) for a in actors}
        for surface in {s["text"][a:b] for a, b in spans}:
            if s["text"].count(surface) > sum(1 for a, b in spans if s["text"][a:b] == surface):
                print(f"warning: {where}: {surface!r} occurs more often than it is marked", file=sys.stderr)
        sents.append({
            "start": s["start"], "end": s["end"], "sha": s["sha"],
            "dimensions": _expand(s.get("d", s.get("dimensions", "")), DIM_SHORT, dims, where),
            "frames": _expand(s.get("f", s.get("frames", "")), FRAME_SHORT, frames, where),
            "actors": actors,
        })
    keys = ("id", "url", "query", "outlet", "register", "year", "topic", "annotator")
    rec = {k: work[k] for k in keys}
    rec["sentences"] = sents
    problems = validate_record(rec, lex, {})
    problems += [f"{work['id']} sentence {s.get('i')}: text and sha disagree"
                 for s in work["sentences"] if sentence_sha(s["text"]) != s["sha"]]
    if problems:
        raise DevsetError("; ".join(problems[:5]))
    return rec


def apply_label_lines(work: dict, lines: list[str]) -> dict:
    """Fill a work file from compact label lines.

    ``key: value`` lines set document fields (outlet, register, year, topic,
    annotator); ``i | dims | frames | actor; actor`` lines label sentence i;
    sentences not listed get empty labels; ``#`` starts a comment line.
    """
    by_index = {s["i"]: s for s in work["sentences"]}
    for s in work["sentences"]:
        s["d"], s["f"], s["a"] = "", "", []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "|" not in line and ":" in line:
            key, value = (x.strip() for x in line.split(":", 1))
            if key not in ("outlet", "register", "year", "topic", "annotator"):
                raise DevsetError(f"unknown document field {key!r}")
            work[key] = int(value) if key == "year" else value
            continue
        parts = [x.strip() for x in line.split("|")] + ["", "", ""]
        i = int(parts[0])
        if i not in by_index:
            raise DevsetError(f"{work['id']}: no sentence {i}")
        s = by_index[i]
        s["d"], s["f"] = parts[1], parts[2]
        s["a"] = [a.strip() for a in parts[3].split(";") if a.strip()]
    return work


def cmd_record(args) -> int:
    work = json.loads(Path(args.workfile).read_text(encoding="utf-8"))
    if args.labels:
        work = apply_label_lines(work, Path(args.labels).read_text(encoding="utf-8").splitlines())
    rec = work_to_record(work, lexicon_actors())
    target = Path(args.to)
    others = [r for r in iter_jsonl(target) if r["id"] != rec["id"]] if target.is_file() else []
    rows = sorted(others + [rec], key=lambda r: r["id"])
    with atomic_open(target) as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_lab = sum(1 for s in rec["sentences"] if s["dimensions"] or s["frames"])
    n_act = sum(len(s["actors"]) for s in rec["sentences"])
    print(f"{rec['id']}: {len(rec['sentences'])} sentences ({n_lab} labelled, {n_act} actor mentions) -> {target}")
    return 0


# --------------------------------------------------------------------------- validation

def validate_record(rec: dict, lex: dict[str, tuple[str, str]], results: dict[str, list[dict]]) -> list[str]:
    """Problems of one standoff record (empty when it is valid).

    With saved search results for its URL, each sentence's hash is checked
    against the slice of the excerpt its offsets name.
    """
    rid = rec.get("id", "?")
    probs = []
    for k in ("id", "url", "query", "outlet", "register", "year", "topic", "annotator", "sentences"):
        if k not in rec or rec[k] in (None, ""):
            probs.append(f"{rid}: field {k!r} is missing")
    if rec.get("register") not in REGISTERS:
        probs.append(f"{rid}: register {rec.get('register')!r} not in {REGISTERS}")
    if rec.get("topic") not in TOPICS:
        probs.append(f"{rid}: topic {rec.get('topic')!r} not in {TOPICS}")
    if rec.get("year") not in YEARS:
        probs.append(f"{rid}: year {rec.get('year')!r} outside 2019-2026")
    dims, frames, types, bls = set(dimension_ids()), set(frame_ids()), set(actor_types()), set(blocs())
    excerpts = [r["excerpt"] for r in results.get(rec.get("url"), []) if r.get("excerpt") is not None]
    prev_end = 0
    for i, s in enumerate(rec.get("sentences", [])):
        where = f"{rid} sentence {i}"
        if not (0 <= s["start"] < s["end"]) or s["start"] < prev_end:
            probs.append(f"{where}: offsets [{s['start']}, {s['end']}) overlap or are empty")
        prev_end = s["end"]
        probs += [f"{where}: unknown dimension {d!r}" for d in s["dimensions"] if d not in dims]
        probs += [f"{where}: unknown frame {f!r}" for f in s["frames"] if f not in frames]
        if len(set(s["dimensions"])) != len(s["dimensions"]) or len(set(s["frames"])) != len(s["frames"]):
            probs.append(f"{where}: a label is repeated")
        length = s["end"] - s["start"]
        for a in s["actors"]:
            if not (0 <= a["start"] < a["end"] <= length):
                probs.append(f"{where}: actor span [{a['start']}, {a['end']}) outside the sentence (length {length})")
            if a.get("id") is not None:
                if a["id"] not in lex:
                    probs.append(f"{where}: actor id {a['id']!r} not in the lexicon")
                elif lex[a["id"]] != (a.get("type"), a.get("bloc")):
                    probs.append(f"{where}: actor {a['id']} type/bloc {a.get('type')}/{a.get('bloc')} "
                                 f"differ from the lexicon's {'/'.join(lex[a['id']])}")
            elif not a.get("name"):
                probs.append(f"{where}: an actor outside the lexicon needs a name")
            if a.get("type") not in types or a.get("bloc") not in bls:
                probs.append(f"{where}: actor type/bloc {a.get('type')}/{a.get('bloc')} not in the codebook")
        if excerpts and not any(sentence_sha(e[s["start"]:s["end"]]) == s["sha"] for e in excerpts):
            probs.append(f"{where}: hash does not match the cached excerpt")
    return probs


def cmd_check(args) -> int:
    lex = lexicon_actors()
    results = load_results(Path(args.results))
    docs = load_records(standoff_files("documents"))
    passes = load_records(standoff_files("second_pass"))
    probs: list[str] = []
    for rec in docs + passes:
        probs += [f"{rec['_file']}: {p}" for p in validate_record(rec, lex, results)]
    ids, urls = Counter(r["id"] for r in docs), Counter(r["url"] for r in docs)
    probs += [f"document id {i} appears {n} times" for i, n in ids.items() if n > 1]
    probs += [f"URL {u} appears {n} times" for u, n in urls.items() if n > 1]
    outlets = Counter(r["outlet"] for r in docs)
    probs += [f"outlet {o!r} has {n} documents (at most {MAX_PER_OUTLET})" for o, n in outlets.items()
              if n > MAX_PER_OUTLET]
    primary = {r["id"]: r for r in docs}
    for rec in passes:
        base = primary.get(rec["id"])
        if base is None:
            probs.append(f"{rec['_file']}: second pass of unknown document {rec['id']}")
        elif base["url"] != rec["url"]:
            probs.append(f"{rec['_file']}: {rec['id']} URL differs from the first pass")
    n_cached = sum(1 for r in docs if r["url"] in results)
    for p in probs:
        print(p)
    print(f"checked {len(docs)} documents and {len(passes)} second-pass records "
          f"({n_cached} with cached text); {len(probs)} problems")
    print_stats(docs)
    return 1 if probs else 0


# --------------------------------------------------------------------------- stats

def stats(docs: list[dict]) -> dict:
    """Counts over standoff records."""
    sents = [s for d in docs for s in d["sentences"]]
    actors = [a for s in sents for a in s["actors"]]
    return {
        "documents": len(docs),
        "by_annotator": dict(Counter(d["annotator"] for d in docs)),
        "outlets": len({d["outlet"] for d in docs}),
        "registers": dict(Counter(d["register"] for d in docs).most_common()),
        "years": dict(sorted(Counter(d["year"] for d in docs).items())),
        "topics": dict(Counter(d["topic"] for d in docs)),
        "sentences": len(sents),
        "sentences_with_dimension": sum(1 for s in sents if s["dimensions"]),
        "sentences_with_frame": sum(1 for s in sents if s["frames"]),
        "dimensions": {k: sum(k in s["dimensions"] for s in sents) for k in dimension_ids()},
        "frames": {k: sum(k in s["frames"] for s in sents) for k in frame_ids()},
        "actor_mentions": len(actors),
        "actor_mentions_outside_lexicon": sum(1 for a in actors if a.get("id") is None),
        "actor_types": dict(Counter(a["type"] for a in actors).most_common()),
        "actor_blocs": dict(Counter(a["bloc"] for a in actors).most_common()),
    }


def print_stats(docs: list[dict]) -> None:
    for k, v in stats(docs).items():
        print(f"{k}: {json.dumps(v, ensure_ascii=False)}")


def cmd_stats(args) -> int:
    docs = load_records(standoff_files("documents"))
    if args.annotator:
        docs = [d for d in docs if d["annotator"] == args.annotator]
    if args.outlets:
        for o, n in Counter(d["outlet"] for d in docs).most_common():
            print(f"{n}\t{o}")
    print_stats(docs)
    return 0


# --------------------------------------------------------------------------- build

def cmd_build(args) -> int:
    results = load_results(Path(args.results))
    docs = load_records(standoff_files("documents"))
    cache = Path(args.cache)
    counts = Counter()
    rows = []
    for rec in docs:
        cands = results.get(rec["url"])
        if not cands:
            counts["documents_missing"] += 1
            counts["sentences_missing"] += len(rec["sentences"])
            print(f"missing: {rec['id']} {rec['url']}", file=sys.stderr)
            continue
        counts["documents_matched"] += 1
        fresh: dict[str, str] | None = None
        for i, s in enumerate(rec["sentences"]):
            text, how = None, "offsets"
            for c in cands:
                piece = c["excerpt"][s["start"]:s["end"]]
                if sentence_sha(piece) == s["sha"]:
                    text = piece
                    break
            if text is None:  # the stored page differs: look the hash up in a fresh segmentation
                if fresh is None:
                    fresh = {x["sha"]: x["text"] for c in cands
                             for x in segment_excerpt(c["excerpt"], pipeline(), drop_cut=False)}
                text, how = fresh.get(s["sha"]), "hash"
            if text is None:
                counts["sentences_hash_mismatch"] += 1
                continue
            counts[f"sentences_matched_by_{how}"] += 1
            if how == "hash" and len(text) != s["end"] - s["start"]:
                # whitespace inside the sentence changed: actor offsets may be off by the difference
                counts["relocated_with_changed_length"] += 1
            # only the text: labels and document fields are joined from the records when loading
            rows.append({"doc": rec["id"], "index": i, "text": text, **({"relocated": True} if how == "hash" else {})})
    with atomic_open(cache / SENTENCES_FILE) as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} sentences to {cache / SENTENCES_FILE}")
    for k in ("documents_matched", "documents_missing", "sentences_matched_by_offsets",
              "sentences_matched_by_hash", "relocated_with_changed_length", "sentences_hash_mismatch",
              "sentences_missing"):
        print(f"{k}: {counts[k]}")
    return 1 if counts["sentences_hash_mismatch"] or counts["documents_missing"] else 0


# --------------------------------------------------------------------------- agreement

def _actor_keys(rec_sentence: dict, sha: str) -> set[tuple]:
    return {(sha, a["start"], a["end"], a["id"] if a.get("id") else "~" + a.get("name", ""))
            for a in rec_sentence["actors"]}


def agreement(first: list[dict], second: list[dict]) -> dict:
    """Agreement of two passes over the sentences both labelled (matched by URL and hash).

    Per label Cohen's kappa (binary: has the label or not), the mean kappa per
    task over labels where it is defined, the exact-match rate of the label
    sets; for actors, F1 of (span, id) pairs and of spans alone.
    """
    from nlp.evaluate import cohen_kappa

    def index(recs):
        return {(r["url"], s["sha"]): s for r in recs for s in r["sentences"]}

    a, b = index(first), index(second)
    keys = sorted(set(a) & set(b))
    out: dict = {"sentences": len(keys), "tasks": {}}
    for task, labels in (("dimensions", dimension_ids()), ("frames", frame_ids())):
        per = {}
        for lab in labels:
            xa = [int(lab in a[k][task]) for k in keys]
            xb = [int(lab in b[k][task]) for k in keys]
            kappa = cohen_kappa(xa, xb) if keys else float("nan")
            per[lab] = {"kappa": None if math.isnan(kappa) else round(kappa, 3), "first": sum(xa), "second": sum(xb)}
        defined = [v["kappa"] for v in per.values() if v["kappa"] is not None]
        exact = sum(set(a[k][task]) == set(b[k][task]) for k in keys) / len(keys) if keys else float("nan")
        out["tasks"][task] = {"labels": per, "mean_kappa": round(sum(defined) / len(defined), 3) if defined else None,
                              "exact_match": round(exact, 3)}
    for name, key in (("actors_span_id", lambda s, h: _actor_keys(s, h)),
                      ("actors_span_only", lambda s, h: {t[:3] for t in _actor_keys(s, h)})):
        ka = set().union(*(key(a[k], k) for k in keys)) if keys else set()
        kb = set().union(*(key(b[k], k) for k in keys)) if keys else set()
        tp = len(ka & kb)
        f1 = 2 * tp / (len(ka) + len(kb)) if (ka or kb) else float("nan")
        out[name] = {"first": len(ka), "second": len(kb), "both": tp, "f1": round(f1, 3)}
    return out


def pair_files(devset_dir: Path = DEVSET_DIR) -> list[tuple[Path, Path]]:
    """(first pass, second pass) file pairs: each ``second_pass_*.jsonl`` with the
    ``documents_*.jsonl`` file that holds the documents it re-labels.

    A second pass re-labels documents of one other annotator (A2 over B's, D2
    over C's ...), so its document ids decide its partner; a second pass whose
    documents are spread over several files is paired with each of them.
    """
    owner = {r["id"]: p for p in sorted(devset_dir.glob("documents_*.jsonl")) for r in iter_jsonl(p)}
    pairs = []
    for q in sorted(devset_dir.glob("second_pass_*.jsonl")):
        firsts = sorted({owner[r["id"]] for r in iter_jsonl(q) if r["id"] in owner})
        pairs += [(p, q) for p in firsts]
    return pairs


def _print_agreement(res: dict) -> None:
    print(f"agreement over {res['sentences']} shared sentences ({'; '.join(res['files'])})")
    for task, t in res["tasks"].items():
        print(f"{task}: mean kappa {t['mean_kappa']}, exact match {t['exact_match']}")
        for lab, v in t["labels"].items():
            print(f"  {lab:22s} kappa {v['kappa']!s:>6}  first {v['first']:3d}  second {v['second']:3d}")
    for name in ("actors_span_id", "actors_span_only"):
        v = res[name]
        print(f"{name}: F1 {v['f1']} (first {v['first']}, second {v['second']}, both {v['both']})")


def cmd_agreement(args) -> int:
    if args.first or args.pair:
        if args.first and not args.second:
            raise DevsetError("agreement takes FIRST and SECOND together")
        groups = [[(Path(args.first), Path(args.second))]] if args.first else []
        groups += [[(Path(p), Path(q)) for p, q in args.pair]] if args.pair else []
        groups = [[pq for grp in groups for pq in grp]]
    else:  # every pair on its own, then all of them pooled
        found = pair_files()
        groups = [[pq] for pq in found] + ([found] if len(found) > 1 else [])
    results = []
    for grp in groups:
        missing = [str(x) for pq in grp for x in pq if not x.is_file()]
        if missing:
            raise DevsetError(f"no such file: {', '.join(missing)}")
        res = agreement(load_records([p for p, _ in grp]), load_records([q for _, q in grp]))
        res["files"] = [f"{p.name} vs {q.name}" for p, q in grp]
        results.append(res)
    if not results:
        raise DevsetError("no pair of first-pass and second-pass files found")
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], ensure_ascii=False, indent=1))
        return 0
    for i, res in enumerate(results):
        if i:
            print()
        _print_agreement(res)
    return 0


# --------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="devset", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    results_default = str(DEFAULT_CACHE / "results")
    p = sub.add_parser("segment", help="sentence template of one cached search result")
    p.add_argument("doc_id")
    p.add_argument("--results", default=results_default)
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_segment)
    p = sub.add_parser("record", help="filled template -> standoff record")
    p.add_argument("workfile")
    p.add_argument("--to", required=True)
    p.add_argument("--labels", help="compact label lines: 'i | T R | eco sov | 미국=US; 중국=CN' and 'key: value'")
    p.set_defaults(func=cmd_record)
    p = sub.add_parser("build", help="rebuild the texts into the cache")
    p.add_argument("--results", default=results_default)
    p.add_argument("--cache", default=str(DEFAULT_CACHE))
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("check", help="validate every standoff record")
    p.add_argument("--results", default=results_default)
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("stats", help="counts over the standoff records")
    p.add_argument("--outlets", action="store_true", help="also list documents per outlet")
    p.add_argument("--annotator", help="only the documents of this annotator (A, B, C, D)")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("agreement", help="agreement of first and second passes (each pair, then all)")
    p.add_argument("first", nargs="?")
    p.add_argument("second", nargs="?")
    p.add_argument("--pair", nargs=2, action="append", metavar=("FIRST", "SECOND"),
                   help="a first-pass and a second-pass file; repeat to pool several pairs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_agreement)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except (DevsetError, OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"devset: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
