"""Commands ``export`` (pre-annotations for an annotation tool), ``import`` (its export back to gold)
and ``select`` (the sentences most worth labelling, exported).

Thin glue over :mod:`nlp.interop`; the main CLI calls :func:`register` with its
sub-parser collection.  Library errors (:class:`nlp.errors.AnalyzerError`) are
left to the main CLI, which prints them as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
from ..interop import TOOLS

EXPORT_EPILOG = """\
outputs (in the --out folder):
  label-studio  config.xml (labeling configuration: actor labels from the lexicon, dimension
                and frame choices from the codebook) and tasks.json (one task per sentence,
                with the pipeline's labels as predictions)
  doccano       classification.jsonl (multi-label text classification: dimensions + frames),
                spans.jsonl (sequence labeling: actor ids), classification_labels.json and
                spans_labels.json (label definitions to import in each project)
  inception     TypeSystem.xml, <doc>.xmi per document and <doc>.zip (XMI + type system)

examples:
  kdiscourse tag article.txt --format jsonl > tagged.jsonl
  kdiscourse export tagged.jsonl --to label-studio --out ls/
  kdiscourse export annotated/ --to inception --out inception/     # an 'annotate' output folder
"""

IMPORT_EPILOG = """\
what EXPORT is:
  label-studio  the project's JSON export (a list of tasks with annotations)
  doccano       a .jsonl, a .zip (one member per annotator) or a folder of them, for the
                classification project and the span project
  inception     a folder or .zip of XMI files: <annotator>/<doc>.xmi, or INCEpTION's
                project export (annotation/<document>/<user>.*)

writes into DIR: <annotator>.jsonl per annotator (team corpus JSONL with sentence offsets,
actor spans and the annotator; see corpus/team/FORMAT.md) and, with two or more
annotators, agreement.json (per-label Krippendorff alpha and Cohen kappa, actor span F1).

examples:
  kdiscourse import project-3.json --from label-studio --out gold/
  kdiscourse import doccano-exports/ --from doccano --out gold/
  kdiscourse import curation/ --from inception --out gold/ --annotator curator
"""


def register(subparsers) -> None:
    """Add the ``export``, ``import`` and ``select`` sub-commands to an argparse sub-parser collection."""
    e = subparsers.add_parser(
        "export", help="export tagged documents as pre-annotations for Label Studio, doccano or INCEpTION",
        description="Write tagged documents (the pipeline's sentence labels and actor spans) as pre-annotations "
                    "for an annotation tool, with a tool configuration generated from the codebook and the "
                    "actor lexicon.",
        epilog=EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("input", metavar="INPUT",
                   help="'kdiscourse tag' output (--format json or jsonl) or a 'kdiscourse annotate' output folder")
    e.add_argument("--to", required=True, choices=TOOLS, dest="tool", help="annotation tool")
    e.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    e.add_argument("--lexicon", action="append", metavar="TSV",
                   help="extra actor lexicon file (same columns as models/actors.tsv) whose ids become labels; "
                        "repeatable")
    e.set_defaults(func=run_export)

    i = subparsers.add_parser(
        "import", help="read corrected annotations from Label Studio, doccano or INCEpTION into team gold JSONL",
        description="Read an annotation tool's export of documents exported with 'kdiscourse export', write one "
                    "team-gold JSONL file per annotator, and report inter-annotator agreement.",
        epilog=IMPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("export", metavar="EXPORT", help="the tool's export (see below)")
    i.add_argument("--from", required=True, choices=TOOLS, dest="tool", help="annotation tool")
    i.add_argument("--out", required=True, metavar="DIR", help="output folder for the gold files (created)")
    i.add_argument("--annotator", metavar="NAME",
                   help="annotator name for exports that do not name one (doccano, INCEpTION); overrides the "
                        "name taken from file or folder names")
    i.add_argument("--users", metavar="JSON",
                   help="Label Studio: user id -> name, as {\"3\": \"kim@example.org\"} or the list that "
                        "GET /api/users returns (its JSON export names annotators by id: user-3)")
    i.add_argument("--lexicon", action="append", metavar="TSV",
                   help="extra actor lexicon file, for actor ids that are not in models/actors.tsv; repeatable")
    i.add_argument("--format", choices=["text", "json"], default="text",
                   help="agreement report on stdout: a table (default) or JSON")
    i.set_defaults(func=run_import)

    s = subparsers.add_parser(
        "select", help="pick the sentences most worth labelling and export them to an annotation tool",
        description="Rank the sentences of tagged documents by how much labelling them should help: uncertainty of "
                    "the classifiers' label probabilities, a bonus for frames the pool rarely shows, and diversity "
                    "across documents and predicted label sets (greedy). The chosen sentences are exported like "
                    "'export' does, and listed with their score components in selection.jsonl.",
        epilog="examples:\n  kdiscourse select tagged.jsonl --n 200 --to label-studio --out batch-01/\n"
               "  kdiscourse select annotated/ --n 50 --to doccano --out batch-02/ --doc-decay 0.3",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("input", metavar="INPUT",
                   help="'kdiscourse tag' output (json/jsonl, with scores) or a 'kdiscourse annotate' output folder")
    s.add_argument("--n", required=True, type=int, metavar="N", help="number of sentences to select")
    s.add_argument("--to", choices=TOOLS, default="label-studio", dest="tool",
                   help="annotation tool to export to (default: label-studio)")
    s.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    s.add_argument("--rare-weight", type=float, default=1.0, metavar="W",
                   help="weight of the rare-frame bonus (default: 1.0; 0 turns it off)")
    s.add_argument("--doc-decay", type=float, default=0.5, metavar="D",
                   help="score factor per sentence already taken from the same document (default: 0.5)")
    s.add_argument("--labelset-decay", type=float, default=0.8, metavar="D",
                   help="score factor per taken sentence with the same predicted label set (default: 0.8)")
    s.add_argument("--seed", type=int, default=0, help="seed of the tie-breaking order (default: 0)")
    s.add_argument("--lexicon", action="append", metavar="TSV",
                   help="extra actor lexicon file whose ids become labels; repeatable")
    s.set_defaults(func=run_select)


def _warn(msg: str) -> None:
    print(f"kdiscourse: warning: {msg}", file=sys.stderr)


def run_export(args) -> int:
    """``kdiscourse export``: returns 0, or 1 when the input held error records (they are skipped)."""
    from ..interop import export_documents
    from ..interop.source import read_documents

    loaded = read_documents(args.input)
    for doc_id in loaded.skipped:
        _warn(f"document {doc_id!r} is an error record; not exported")
    paths = export_documents(list(loaded.documents), args.tool, args.out, lexicons=tuple(args.lexicon or ()))
    n_sent = sum(len(d.sentences) for d in loaded.documents)
    print(f"exported {len(loaded.documents)} document(s), {n_sent} sentence(s) for {args.tool}: "
          + ", ".join(str(p) for p in paths))
    return 1 if loaded.skipped else 0


def run_import(args) -> int:
    """``kdiscourse import``: writes the gold files and prints the agreement report; returns 0."""
    from pathlib import Path

    from ..atomic import write_text_atomic
    from ..interop import import_annotations, write_gold
    from ..interop.agreement import agreement, render

    users = None
    if args.users:
        if args.tool != "label-studio":
            raise UsageError("--users applies to Label Studio exports only")
        from ..interop.labelstudio import read_users

        users = read_users(args.users)
    res = import_annotations(args.export, args.tool, lexicons=tuple(args.lexicon or ()), annotator=args.annotator,
                             users=users)
    for w in res.warnings:
        _warn(w)
    if not res.documents:
        _warn(f"{args.export}: no annotated sentences found; nothing written")
        return 1
    paths = write_gold(res.documents, args.out)
    n_sent = sum(len(d.sentences) for d in res.documents)
    print(f"imported {n_sent} sentence(s) of {len({d.id for d in res.documents})} document(s) from "
          f"{len(paths)} annotator(s): " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    if len(paths) >= 2:
        report = agreement(res.documents)
        write_text_atomic(Path(args.out) / "agreement.json", json.dumps(report, ensure_ascii=False, indent=1) + "\n")
        print(json.dumps(report, ensure_ascii=False, indent=1) if args.format == "json" else render(report), end="")
    elif args.format == "json":
        print(json.dumps({"setting": "agreement", "annotators": list(paths), "note": "one annotator"}))
    return 0


def run_select(args) -> int:
    """``kdiscourse select``: exports the chosen sentences and writes ``selection.jsonl``; returns 0 (1 on skips)."""
    from pathlib import Path

    from ..atomic import write_text_atomic
    from ..interop import export_documents
    from ..interop.select import select_from_documents
    from ..interop.source import read_documents

    loaded = read_documents(args.input)
    for doc_id in loaded.skipped:
        _warn(f"document {doc_id!r} is an error record; not a candidate")
    selection, report = select_from_documents(loaded.documents, args.n, seed=args.seed, rare_weight=args.rare_weight,
                                              doc_decay=args.doc_decay, labelset_decay=args.labelset_decay)
    paths = export_documents(list(loaded.documents), args.tool, args.out, selection=selection,
                             lexicons=tuple(args.lexicon or ()))
    write_text_atomic(Path(args.out) / "selection.jsonl",
                      "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in report))
    print(f"selected {len(report)} sentence(s) from {len(selection)} document(s) for {args.tool}: "
          + ", ".join(str(p) for p in paths))
    return 1 if loaded.skipped else 0
