"""``kdiscourse compare``: a document's profile against the reference essay's (codebook §5).

A thin layer over :mod:`nlp.profile`, :mod:`nlp.network` and :mod:`nlp.report`.
Inputs and references may be a text file (annotated by the pipeline), an
annotated JSON document (``tag --format json``), a JSONL corpus (``tag --format
jsonl`` output or the team gold format), a profile JSON, or a directory of text
files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from .document import Document, Sentence, Source
from .errors import InputError, UsageError

LABEL_STAGES = ("dimensions", "actors", "frames")


# --------------------------------------------------------------------------- reading inputs

def document_from_record(rec: dict, line: int = 0) -> Document:
    """A document from one JSON record: the JSON contract or the team gold format.

    The team format (``corpus/team/FORMAT.md``) has sentences with text and labels
    but no offsets and no mentions: the text is the sentences joined by spaces and
    only the dimension and frame layers count as annotated.

    >>> d = document_from_record({"id": "x", "sentences": [{"text": "미국이다.", "dimensions": [], "frames": []},
    ...                                                   {"text": "중국이다.", "dimensions": [], "frames": []}]})
    >>> d.text, d.sentences[1].start
    ('미국이다. 중국이다.', 6)
    """
    if not isinstance(rec, dict) or "sentences" not in rec:
        raise InputError(f"line {line}: not a document record (needs 'sentences')")
    sents = rec["sentences"]
    if "text" in rec and all("start" in s for s in sents):
        return Document.from_dict(rec)
    parts, out, pos = [], [], 0
    for i, s in enumerate(sents):
        t = s["text"]
        out.append(Sentence(i, pos, pos + len(t), t, 0, dimensions=tuple(s.get("dimensions", ())),
                            frames=tuple(s.get("frames", ()))))
        parts.append(t)
        pos += len(t) + 1
    text = " ".join(parts)
    meta = {k: v for k, v in rec.items() if k not in ("id", "sentences")}
    return Document(id=str(rec.get("id", f"line{line}")), text=text, source=Source(None, "utf-8"),
                    sentences=tuple(out), paragraphs=((0, len(text), "paragraph"),), metadata=meta,
                    stages=("gold_dimensions", "gold_frames"))


def documents_from_jsonl(path: str | Path) -> Iterator[Document]:
    """Documents from a JSONL file, one per line (see :func:`document_from_record`)."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            yield document_from_record(rec, n)


def add_actors(docs: list[Document]) -> list[Document]:
    """Add actor mentions to gold documents that lack them, if the actor stage is installed.

    Mentions are attached to the gold sentence that contains them; labels are kept.
    """
    todo = [d for d in docs if d.ok and "gold_dimensions" in d.stages and "actors" not in d.stages]
    if not todo:
        return docs
    from .errors import ModelError
    from .pipeline import Pipeline, document_from_text

    try:
        pipe = Pipeline.default(["tokenize", "actors"], strict=True)
    except ModelError:
        return docs
    done = {}
    for d, tagged in zip(todo, pipe.pipe(document_from_text(d.text, d.id) for d in todo)):
        if not tagged.ok:
            continue
        ms = []
        for m in tagged.mentions:
            # offsets into the text as given (repair may have normalised characters)
            a, b = (m.start, m.end) if tagged.text == d.text else tagged.to_raw(m.start, m.end)
            s = next((s for s in d.sentences if s.start <= a < s.end), None)
            if s is not None:
                ms.append(replace(m, start=a, end=b, raw_start=a, raw_end=b, text=d.text[a:b], sentence=s.index))
        done[d.id] = replace(d, mentions=tuple(ms), stages=d.stages + ("actors",),
                             models={**d.models, **tagged.models})
    return [done.get(d.id, d) for d in docs]


def _annotate(paths: list[Path]) -> list[Document]:
    from .pipeline import Pipeline, document_from_path

    pipe = Pipeline.default()
    docs = list(pipe.pipe(document_from_path(p) for p in paths))
    lacking = [s for s in LABEL_STAGES if s in pipe.missing]
    if len(lacking) == len(LABEL_STAGES):
        raise UsageError("compare needs annotated text, but none of the labelling stages is installed ("
                         + "; ".join(f"{k}: {pipe.missing[k]}" for k in lacking)
                         + "); give an annotated JSON/JSONL file instead")
    for k in lacking:
        print(f"kdiscourse: note: stage {k} is not installed ({pipe.missing[k]}); its part of the "
              "comparison is left out", file=sys.stderr)
    return docs


def read_documents(spec: str | Path) -> list[Document]:
    """Documents from a path: text file, JSON document(s), JSONL corpus or directory of ``*.txt``."""
    p = Path(spec)
    if p.is_dir():
        files = sorted(x for x in p.iterdir() if x.suffix.lower() in (".txt", ".text", ".html", ".htm"))
        if not files:
            raise InputError(f"{p}: directory has no .txt/.html files")
        return _annotate(files)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.suffix.lower() == ".jsonl":
        return add_actors(list(documents_from_jsonl(p)))
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a JSON file ({exc})") from exc
        recs = data if isinstance(data, list) else [data]
        return add_actors([document_from_record(r, i + 1) for i, r in enumerate(recs)])
    return _annotate([p])


def load_profile(spec: str | Path | None, name: str | None = None):
    """A profile from ``essay`` (the shipped reference), a profile JSON, or documents (see :func:`read_documents`)."""
    from .profile import PROFILE_FORMAT, corpus_profile, document_profile, load_reference

    if spec is None or str(spec) == "essay":
        return load_reference(), []
    p = Path(spec)
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a JSON file ({exc})") from exc
        if isinstance(data, dict) and data.get("format") == PROFILE_FORMAT:
            return load_reference(p), []
    docs = read_documents(p)
    bad = [d for d in docs if not d.ok]
    good = [d for d in docs if d.ok]
    if not good:
        raise InputError(f"{p}: no document could be analysed: {bad[0].error if bad else 'empty'}")
    if len(good) == 1 and len(docs) == 1:
        return document_profile(good[0], name=name or good[0].id), docs
    return corpus_profile(docs, name=name or p.name), docs


# --------------------------------------------------------------------------- output

def _pct(x: float) -> str:
    return f"{x:.0%}"


def render_text(cmp, out) -> None:
    from .profile import display_name

    doc, ref = cmp.document, cmp.reference
    print(f"== {doc.name} vs {ref.name}", file=out)
    print(f"   similarity {cmp.similarity:.3f}  (method {cmp.method}: {cmp.method_description})", file=out)
    if cmp.missing_components:
        print(f"   PARTIAL: left out for lack of annotation: {', '.join(cmp.missing_components)}", file=out)
    for c in cmp.components:
        score = "n/a " if c.score is None else f"{c.score:.3f}"
        print(f"   - {c.name:<10} {score}  weight {c.used_weight:.2f}  ({c.detail})", file=out)
    print(f"   {doc.n_sentences} sentences, {doc.n_mentions} actor mentions "
          f"(reference: {ref.n_sentences}, {ref.n_mentions})", file=out)
    notable = cmp.notable
    if notable:
        print("   differences:", file=out)
        for d in notable:
            sents = [str(doc.key_json(k)) for k in d.document_sentences[:8]]
            more = f" +{len(d.document_sentences) - 8}" if len(d.document_sentences) > 8 else ""
            where = f"  sentences {', '.join(sents)}{more}" if sents else ""
            kind = "" if d.label == "none" else f"{d.kind} "
            print(f"   - {kind}{d.describe()}{where}", file=out)
    if cmp.absent:
        print("   absent from the document (reference key elements): "
              + ", ".join(f"{k.label} ({display_name(k.kind, k.label)}, {_pct(k.reference_share)})"
                          if k.kind in ("dimension", "frame") else f"{k.label} ({_pct(k.reference_share)})"
                          for k in cmp.absent), file=out)
    bal = cmp.bloc_balance
    if bal:
        shares = "  ".join(f"{b} {_pct(v)}/{_pct(bal['reference'].get(b, 0))}" for b, v in bal["document"].items())
        print(f"   blocs (document/reference share of mentions): {shares}", file=out)
        ucb = bal["us_cn_balance"]
        print(f"   US-CN balance {ucb['document']} (reference {ucb['reference']}; {ucb['definition']})", file=out)


def cmd_compare(args) -> int:
    from .profile import compare_profiles

    if args.weights:
        weights = {}
        for part in args.weights.split(","):
            k, _, v = part.partition("=")
            try:
                weights[k.strip()] = float(v)
            except ValueError as exc:
                raise UsageError(f"--weights: {part!r} is not NAME=NUMBER") from exc
    else:
        weights = None
    profile, docs = load_profile(args.path)
    reference, _ = load_profile(args.reference)
    cmp = compare_profiles(profile, reference, weights)
    single = [d for d in docs if d.ok]
    graph = None
    if args.graphml or args.network_csv or args.html:
        from .network import actor_frame_graph, write_csv, write_graphml

        graph = actor_frame_graph(profile)
        if args.graphml:
            write_graphml(graph, args.graphml)
        if args.network_csv:
            write_csv(graph, f"{args.network_csv}.nodes.csv", f"{args.network_csv}.edges.csv")
    if args.html:
        if len(single) != 1 or len(docs) != 1:
            raise UsageError(f"--html reports on one document; {args.path} holds {len(docs)}")
        from .report.html import write_html

        write_html(args.html, single[0], cmp, graph)
    if args.png:
        from .report.plot import plot_comparison

        plot_comparison(cmp, args.png)
    out = sys.stdout
    if args.format == "json":
        json.dump(cmp.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        render_text(cmp, out)
    return 0


def register(sub) -> None:
    c = sub.add_parser(
        "compare", help="compare a document with the reference essay's profile (similarity, differences, report)",
        description="Profile a document (dimension, frame, actor and bloc shares) and compare it with a reference: "
                    "by default the essay's gold profile shipped in models/. Prints one similarity score with its "
                    "method, per-component scores, the differences with the sentences behind them, the reference's "
                    "key elements the document lacks and the bloc balance.")
    c.add_argument("path", metavar="FILE",
                   help="text file (annotated by the pipeline), annotated JSON (tag --format json), JSONL corpus, "
                        "or a directory of .txt files")
    c.add_argument("--reference", metavar="REF", default="essay",
                   help="'essay' (default: the shipped profile), a profile JSON, a text file, an annotated "
                        "JSON/JSONL corpus or a directory of .txt files")
    c.add_argument("--html", metavar="OUT", help="write a self-contained HTML report (one document)")
    c.add_argument("--png", metavar="OUT", help="write a PNG chart of the profiles (matplotlib)")
    c.add_argument("--graphml", metavar="OUT", help="write the actor-frame network as GraphML")
    c.add_argument("--network-csv", metavar="PREFIX",
                   help="write the actor-frame network as PREFIX.nodes.csv and PREFIX.edges.csv (Gephi)")
    c.add_argument("--weights", metavar="LIST",
                   help="component weights, e.g. dimensions=0.3,frames=0.3,blocs=0.15,coverage=0.25")
    c.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    c.set_defaults(func=cmd_compare)
