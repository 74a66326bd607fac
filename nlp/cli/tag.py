"""``kdiscourse tag``: annotate documents and print them (text view, JSON contract or JSONL)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

from .common import EXIT_DOC_ERRORS, EXIT_OK, add_pipeline_options, err, pipeline_config, terminal_safe


def _iter_inputs(paths: list[str]) -> Iterator:
    from ..inputs import document_from_path, document_from_stream

    for i, p in enumerate(paths):
        if p == "-":  # the size limit holds for pipes too; a closed stdin is an error record
            stream = getattr(sys.stdin, "buffer", None) if sys.stdin is not None else None
            yield document_from_stream(stream, "stdin" if paths.count("-") == 1 else f"stdin-{i}", "<stdin>")
        else:
            yield document_from_path(p)


def _render_text(doc, pipeline, out) -> None:
    from ..labels import korean_name

    src = doc.source
    t = terminal_safe  # document-derived text never reaches the terminal with escape sequences in it
    head = f"== {t(doc.id)}"
    if src.path:
        head += f"  ({t(src.path)}; {src.encoding or '?'}; {src.layout or '?'})"
    print(head, file=out)
    if not doc.ok:
        print(f"   ERROR: {t(doc.error)}", file=out)
        return
    n_par = sum(1 for p in doc.paragraphs if p[2] == "paragraph")
    print(f"   {len(doc.sentences)} sentences, {n_par} paragraphs, {len(doc.mentions)} actor mentions; "
          f"stages: {', '.join(doc.stages)}", file=out)
    for name, why in pipeline.missing.items():
        print(f"   stage {name}: not installed ({why})", file=out)
    by_sent: dict[int, list] = {}
    for m in doc.mentions:
        by_sent.setdefault(m.sentence, []).append(m)
    for s in doc.sentences:
        print(f"[{s.index:>3}] {t(s.text)}", file=out)
        parts = []
        if "dimensions" in doc.stages:
            parts.append("dims: " + (", ".join(f"{d}({korean_name(d)})" for d in s.dimensions) or "-"))
        if "frames" in doc.stages:
            parts.append("frames: " + (", ".join(f"{f}({korean_name(f)})" for f in s.frames) or "-"))
        if "actors" in doc.stages:
            ms = by_sent.get(s.index, [])
            parts.append("actors: " + (", ".join(t(f"{m.text}->{m.actor}/{m.type}/{m.bloc}") for m in ms) or "-"))
        if parts:
            print("      " + " | ".join(parts), file=out)
        if s.explanations:
            for label, cues in s.explanations.items():
                print(f"        why {label}: {t('; '.join(cues))}", file=out)


def cmd_tag(args) -> int:
    """Annotate the input files and print them in the chosen format."""
    from ..pipeline import Pipeline

    pipeline = Pipeline.from_config(pipeline_config(args))
    errors = 0
    out = sys.stdout
    docs = list(pipeline.pipe(_iter_inputs(args.paths)))
    if args.format == "json":
        payload = [pipeline.output(d, args.morphemes) for d in docs]
        json.dump(payload[0] if len(payload) == 1 else payload, out, ensure_ascii=False, indent=2, allow_nan=False)
        out.write("\n")
    for d in docs:
        if args.format == "jsonl":
            out.write(json.dumps(pipeline.output(d, args.morphemes), ensure_ascii=False, allow_nan=False) + "\n")
        elif args.format == "text":
            _render_text(d, pipeline, out)
        if not d.ok:
            errors += 1
            err(d.error)
    return EXIT_DOC_ERRORS if errors else EXIT_OK


def register(sub) -> None:
    """Add the ``tag`` command."""
    t = sub.add_parser("tag", help="annotate one or more documents (sentences, dimensions, actors, frames)",
                       description="Annotate documents: repair text, split sentences, tag competition dimensions, "
                                   "resolve actors, classify security/regulation frames.")
    t.add_argument("paths", nargs="+", metavar="PATH", help="input file(s); '-' reads standard input")
    t.add_argument("--format", choices=["text", "json", "jsonl"], default="text",
                   help="output format (default: text, a per-sentence view)")
    t.add_argument("--morphemes", action="store_true", help="include morphemes in JSON output")
    add_pipeline_options(t, explain=True)
    t.set_defaults(func=cmd_tag)
