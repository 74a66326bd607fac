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
    """The comparison as a readable terminal view, in Korean (ids in parentheses where a reader needs them)."""
    from ..compare import COMPONENT_NAMES_KO, KIND_NAMES_KO, METHOD_DESCRIPTION_KO, similarity_in_words
    from ..profile import display_name

    doc, ref = cmp.document, cmp.reference
    print(f"== 문서 {doc.name} ↔ 기준 {ref.name}", file=out)
    print(f"   유사도 {similarity_in_words(cmp.similarity)}", file=out)
    print(f"   (계산 방법 {cmp.method}: {METHOD_DESCRIPTION_KO})", file=out)
    if cmp.missing_components:
        print("   부분 점수: 주석이 없어 뺀 항목 — "
              + ", ".join(COMPONENT_NAMES_KO.get(c, c) for c in cmp.missing_components), file=out)
    for c in cmp.components:
        score = "없음" if c.score is None else f"{c.score:.3f}"
        print(f"   - {COMPONENT_NAMES_KO.get(c.name, c.name)}: {score} (가중치 {c.used_weight:.2f})", file=out)
    print(f"   문서 {doc.n_sentences}문장, 행위자 언급 {doc.n_mentions}개 "
          f"(기준: {ref.n_sentences}문장, 언급 {ref.n_mentions}개)", file=out)
    notable = cmp.notable
    if notable:
        print("   눈에 띄는 차이:", file=out)
        for d in notable:
            sents = [str(doc.key_json(k)) for k in d.document_sentences[:8]]
            more = f" 외 {len(d.document_sentences) - 8}" if len(d.document_sentences) > 8 else ""
            where = f"  → 문서 문장 {', '.join(sents)}{more}" if sents else ""
            print(f"   - {d.describe_ko()}{where}", file=out)
    if cmp.absent:
        print("   기준 글의 핵심 요소 중 문서에 없는 것: "
              + ", ".join(f"{display_name(k.kind, k.label)} ({KIND_NAMES_KO.get(k.kind, k.kind)}, "
                          f"기준 {_pct(k.reference_share)})" for k in cmp.absent), file=out)
    bal = cmp.bloc_balance
    if bal:
        shares = "  ".join(f"{display_name('bloc', b)} {_pct(v)}/{_pct(bal['reference'].get(b, 0))}"
                           for b, v in bal["document"].items())
        print(f"   진영별 언급 비율 (문서/기준): {shares}", file=out)
        ucb = bal["us_cn_balance"]

        def fmt(x):
            return "–" if x is None else f"{x:+.2f}"

        print(f"   미·중 균형 {fmt(ucb['document'])} (기준 {fmt(ucb['reference'])}; (미국−중국)/(미국+중국) 언급, "
              "+1 미국만, −1 중국만)", file=out)


SUFFIXES = {"html": (".html", ".htm"), "graphml": (".graphml", ".xml")}


def check_outputs(args) -> None:
    """Refuse, before any work, output paths whose suffix names another format and ``--html`` for a corpus."""
    from ..report.trends import check_image_path
    from ..sources import count_documents

    for flag, suffixes in SUFFIXES.items():
        value = getattr(args, flag, None)
        if value and not str(value).lower().endswith(suffixes):
            raise UsageError(f"--{flag} {value}: the file name must end in {' or '.join(suffixes)}")
    if args.png:
        try:
            check_image_path(args.png)
        except UsageError as exc:
            raise UsageError(f"--png: {exc}") from None
    if args.html:
        n = count_documents(args.path)
        if n is not None and n != 1:
            raise UsageError(f"--html reports on one document; {args.path} holds {n}")


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
    check_outputs(args)  # every flag is checked before any annotation starts
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
                   help="text or HTML file (annotated by the pipeline), annotated JSON (tag --format json), JSONL "
                        "(annotated documents, or id/text records), a CSV/TSV or Parquet corpus (id, text and "
                        "metadata columns), or a directory of .txt/.html files")
    c.add_argument("--reference", metavar="REF", default="essay",
                   help="'essay' (default: the shipped profile), a profile JSON, a text file, an annotated "
                        "JSON/JSONL corpus or a directory of .txt files")
    c.add_argument("--html", metavar="OUT", help="write a self-contained HTML report (one document)")
    c.add_argument("--png", metavar="OUT", help="write a chart of the profiles; the format follows the suffix "
                                                "(.png, .svg, .pdf)")
    c.add_argument("--graphml", metavar="OUT", help="write the actor-frame network as GraphML")
    c.add_argument("--network-csv", metavar="PREFIX",
                   help="write the actor-frame network as PREFIX.nodes.csv and PREFIX.edges.csv (Gephi)")
    c.add_argument("--weights", metavar="LIST",
                   help="component weights, e.g. dimensions=0.3,frames=0.3,blocs=0.15,coverage=0.25")
    c.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    add_pipeline_options(c)
    c.set_defaults(func=cmd_compare)
