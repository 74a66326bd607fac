"""Commands ``rates``, ``kwic`` and ``network``: corpus analysis of an ``annotate`` output folder.

Thin wrappers over :mod:`nlp.corpus.analysis`; tables go to stdout (an aligned
table, CSV or JSON), charts and networks to the files named.
"""

from __future__ import annotations

import json
import sys

from .common import EXIT_OK, split_list

TABLE_FORMATS = ("table", "csv", "json")


def write_frame(frame, fmt: str, columns: list[str] | None = None, out=None) -> None:
    """Print a DataFrame as an aligned terminal table (East Asian widths), CSV or JSON records."""
    from ..report.terminal import format_table, select_columns

    out = out or sys.stdout
    frame = select_columns(frame, columns)
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "json":
        json.dump(json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso")), out,
                  ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(format_table(frame) + "\n")


def cmd_rates(args) -> int:
    """Label rates per 1,000 sentences by metadata columns, with bootstrap intervals (and a chart)."""
    from ..corpus.analysis import label_rates
    from ..errors import UsageError
    from ..report.trends import check_image_path, plot_rates

    by = split_list(args.by) or []
    if args.plot:
        check_image_path(args.plot)  # before any work
        if len(by) != 1:
            raise UsageError("a rate chart needs exactly one grouping field (--by year)")
    kinds = split_list(args.kind) or ["dimension", "frame", "bloc"]
    table = label_rates(args.output_dir, by, n_boot=args.bootstrap, seed=args.seed, kinds=kinds)
    columns = split_list(args.columns) or (by + ["name", "documents", "sentences", "count", "rate", "ci_low",
                                                 "ci_high"] if args.format == "table" else None)
    write_frame(table, args.format, columns)
    if args.plot:
        path = plot_rates(table, args.plot, by[0], kinds=tuple(kinds))
        print(f"plot: {path}", file=sys.stderr)
    return EXIT_OK


def cmd_kwic(args) -> int:
    """Keywords in context over (labelled) sentences."""
    from ..corpus.analysis import kwic

    table = kwic(args.output_dir, args.keyword, frame=args.frame, dimension=args.dimension, actor=args.actor,
                 width=args.width, regex=args.regex, limit=args.limit)
    columns = split_list(args.columns) or (["doc_id", "sentence", "left", "match", "right", "frames"]
                                           if args.format == "table" else None)
    if args.format == "table" and not split_list(args.columns):
        from ..report.terminal import display_width

        # right-align the left context so that the keyword forms one column
        widest = max([display_width(v) for v in table["left"]] + [0])
        table = table.assign(left=[" " * (widest - display_width(v)) + v for v in table["left"]])
    write_frame(table, args.format, columns)
    if args.format == "table":
        print(f"{len(table)} occurrences", file=sys.stderr)
    return EXIT_OK


def cmd_network(args) -> int:
    """Actor-frame or actor-actor networks per time slice, as GraphML and Gephi CSV."""
    from ..corpus.analysis import corpus_networks, write_networks

    graphs = corpus_networks(args.output_dir, args.kind, by=args.by, min_weight=args.min_weight)
    for path in write_networks(graphs, args.out, args.kind):
        print(path)
    for key, g in graphs.items():
        print(f"{args.by or 'corpus'}={key if key is not None else 'all'}: {g.number_of_nodes()} nodes, "
              f"{g.number_of_edges()} edges", file=sys.stderr)
    return EXIT_OK


def register(sub) -> None:
    """Add the ``rates``, ``kwic`` and ``network`` commands."""
    from ..corpus.analysis import KINDS, NETWORK_KINDS
    from .common import positive

    r = sub.add_parser(
        "rates", help="label rates per 1,000 sentences by metadata column, with bootstrap confidence intervals",
        description="Rates of every dimension and frame (sentences) and of actor mentions per bloc, per 1,000 "
                    "sentences of each group of an annotate output folder, with a percentile bootstrap "
                    "interval over documents.")
    r.add_argument("output_dir", metavar="DIR", help="an annotate output folder")
    r.add_argument("--by", action="append", metavar="FIELD",
                   help="group by this metadata field or column (year, outlet, register); repeatable")
    r.add_argument("--kind", action="append", metavar="KIND", help=f"only these kinds ({', '.join(KINDS)})")
    r.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap draws (default: 1000)")
    r.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default: 0)")
    r.add_argument("--format", choices=TABLE_FORMATS, default="table", help="stdout format (default: table)")
    r.add_argument("--columns", action="append", metavar="LIST", help="columns to show, in order")
    r.add_argument("--plot", metavar="FILE", help="multi-panel chart over the one --by field (.png, .svg, .pdf)")
    r.set_defaults(func=cmd_rates)

    k = sub.add_parser("kwic", help="keywords in context over the sentences of an annotate output folder",
                       description="Every occurrence of a word in the annotated sentences, with its context, "
                                   "the sentence's labels and the document's metadata; optionally only sentences "
                                   "with a frame, a dimension or an actor.")
    k.add_argument("output_dir", metavar="DIR", help="an annotate output folder")
    k.add_argument("keyword", metavar="WORD", help="the word to find (a regular expression with --regex)")
    k.add_argument("--frame", metavar="ID", help="only sentences with this frame label (e.g. economic_security)")
    k.add_argument("--dimension", metavar="ID", help="only sentences with this dimension label")
    k.add_argument("--actor", metavar="ID", help="only sentences that mention this actor id (e.g. CN)")
    k.add_argument("--width", type=positive, default=30, help="context characters each side (default: 30)")
    k.add_argument("--regex", action="store_true", help="WORD is a regular expression")
    k.add_argument("--limit", type=positive, metavar="N", help="at most N occurrences")
    k.add_argument("--format", choices=TABLE_FORMATS, default="table", help="stdout format (default: table)")
    k.add_argument("--columns", action="append", metavar="LIST", help="columns to show, in order")
    k.set_defaults(func=cmd_kwic)

    n = sub.add_parser("network", help="actor-frame or actor-actor networks per time slice (GraphML, Gephi CSV)",
                       description="Co-occurrence networks of an annotate output folder, one per value of --by "
                                   "(or one for the corpus), written as GraphML and Gephi node/edge CSV files "
                                   "with Korean labels.")
    n.add_argument("output_dir", metavar="DIR", help="an annotate output folder")
    n.add_argument("--kind", choices=NETWORK_KINDS, default="actor-frame", help="network kind")
    n.add_argument("--by", metavar="FIELD", help="one network per value of this field (e.g. year)")
    n.add_argument("--min-weight", type=positive, default=1, metavar="N", help="drop edges under N sentences")
    n.add_argument("-o", "--out", "--output", dest="out", required=True, metavar="DIR", help="folder to write")
    n.set_defaults(func=cmd_network)
