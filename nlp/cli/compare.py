"""``kdiscourse compare``: a document's profile against the reference essay's (codebook §5).

A thin layer over :mod:`nlp.sources`, :mod:`nlp.compare`, and :mod:`nlp.report`.
Inputs and references may be a text file (annotated by the pipeline), an
annotated JSON document (``tag --format json``), a JSONL corpus (``tag --format
jsonl`` output or the team gold format), a profile JSON, or a directory of text
files.
"""

from __future__ import annotations

import json
import sys

from ..errors import UsageError
from .common import add_pipeline_options, pipeline_config

LABEL_STAGES = ("dimensions", "actors", "frames")


# --------------------------------------------------------------------------- output

def _pct(x: float) -> str:
    return f"{x:.0%}"


def render_text(cmp, out) -> None:
    """The comparison as a readable terminal view."""
    from ..profile import display_name

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
    """Profile the input, compare it with the reference and write the chosen outputs."""
    from ..compare import compare_profiles
    from ..sources import load_profile

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
    config = pipeline_config(args)
    profile, docs = load_profile(args.path, config=config)
    reference, _ = load_profile(args.reference, config=config)
    cmp = compare_profiles(profile, reference, weights)
    single = [d for d in docs if d.ok]
    graph = None
    if args.graphml or args.network_csv or args.html:
        from ..report.network import actor_frame_graph, write_csv, write_graphml

        graph = actor_frame_graph(profile)
        if args.graphml:
            write_graphml(graph, args.graphml)
        if args.network_csv:
            write_csv(graph, f"{args.network_csv}.nodes.csv", f"{args.network_csv}.edges.csv")
    if args.html:
        if len(single) != 1 or len(docs) != 1:
            raise UsageError(f"--html reports on one document; {args.path} holds {len(docs)}")
        from ..report.html import write_html

        write_html(args.html, single[0], cmp, graph)
    if args.png:
        from ..report.plot import plot_comparison

        plot_comparison(cmp, args.png)
    out = sys.stdout
    if args.format == "json":
        json.dump(cmp.to_dict(), out, ensure_ascii=False, indent=2, allow_nan=False)
        out.write("\n")
    else:
        render_text(cmp, out)
    return 0


def register(sub) -> None:
    """Add the ``compare`` command."""
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
    add_pipeline_options(c)
    c.set_defaults(func=cmd_compare)
