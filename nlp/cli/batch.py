"""Commands ``annotate`` (batch-annotate a corpus) and ``summarize`` (aggregates of the output).

Thin wrappers over :mod:`nlp.corpus`.  Exit codes of ``annotate``: 0 when every
record is an ok row, 1 when the run is complete but some records are error rows,
2 for a usage or integrity error (one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import sys

from ..errors import UsageError
from .common import EXIT_DOC_ERRORS, EXIT_OK, add_pipeline_options, err, pipeline_config, positive, size, split_list


def cmd_annotate(args) -> int:
    """Annotate a corpus into sharded tables; exit 1 when some records are error rows."""
    from ..corpus import annotate_corpus, open_input

    config = pipeline_config(args)
    metadata = split_list(args.metadata_column)
    source = open_input(args.input, args.input_format, id_column=args.id_column, text_column=args.text_column,
                        metadata_columns=metadata, globs=split_list(args.glob), path_metadata=args.path_metadata,
                        max_bytes=args.max_bytes)
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    summary = annotate_corpus(
        source, args.output, engine=args.engine, workers=args.workers, scheduler=args.scheduler,
        out_format=args.format, shard_size=args.shard_size, shard_bytes=args.shard_bytes,
        config=config, overwrite=args.overwrite, progress=not args.quiet, max_bytes=args.max_bytes,
        kiwi_threads=args.kiwi_threads,
    )
    if not args.quiet:
        print(summary.line())
        for line in summary.errors_sample:
            err(line)
        if summary.error > len(summary.errors_sample):
            err(f"... {summary.error - len(summary.errors_sample):,} more error rows; see the 'error' column "
                 f"of {args.output}/documents")
    return EXIT_DOC_ERRORS if summary.error else EXIT_OK


def cmd_summarize(args) -> int:
    """Print corpus aggregates by metadata columns (and plot them)."""
    from ..corpus import plot_summary, summarize
    from ..corpus.summary import column_display_name
    from ..report.terminal import format_table, select_columns

    by = split_list(args.by) or []
    if args.plot:
        from ..report.trends import check_image_path

        check_image_path(args.plot)  # before reading anything
    table = summarize(args.output_dir, by, partial=args.partial)
    if args.partial:
        from ..corpus.store import read_manifest

        status = (read_manifest(args.output_dir) or {}).get("status")
        if status != "complete":
            print(f"warning: {args.output_dir}: the run is not complete (status {status!r}); these figures cover "
                  "only the documents written so far", file=sys.stderr)
    out = sys.stdout
    columns = split_list(args.columns)
    if args.format == "csv":
        select_columns(table, columns).to_csv(out, index=False)
    elif args.format == "json":
        json.dump(json.loads(select_columns(table, columns).to_json(orient="records", force_ascii=False)), out,
                  ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        # a narrow default view; every column with --columns or --format csv
        default = (by or ["group"]) + [c for c in ("documents", "error", "sentences", "mentions", "similarity_mean")
                                       if c in table.columns] + \
            [c for c in table.columns if c.startswith("share_dim_") and c != "share_dim_none"]
        view = select_columns(table, columns or [c for c in default if c in table.columns])
        view = view.rename(columns={c: column_display_name(c) for c in view.columns})
        out.write(format_table(view) + "\n")
    if args.plot:
        path = plot_summary(table, args.plot, by)
        print(f"plot: {path}", file=sys.stderr)
    return EXIT_OK


def register(sub) -> None:
    """Add the ``annotate`` and ``summarize`` commands."""
    from ..corpus.common import DEFAULT_SHARD_BYTES, DEFAULT_SHARD_SIZE, ENGINES, FORMATS, INPUT_FORMATS
    from ..inputs import MAX_INPUT_BYTES

    a = sub.add_parser(
        "annotate", help="batch-annotate a corpus (folder, JSONL, CSV, Parquet) into sharded tables",
        description="Annotate every record of a corpus into documents/sentences/mentions tables, written in "
                    "atomic shards with a manifest. An interrupted run resumes from the manifest; a finished "
                    "one is verified and left unchanged. Every record yields exactly one documents row.")
    a.add_argument("input", metavar="INPUT", help="a folder of .txt/.html files, or a .jsonl, .csv/.tsv or "
                                                  ".parquet file")
    a.add_argument("-o", "--out", "--output", dest="output", required=True, metavar="DIR", help="output folder (created; resumed if it "
                                                                         "holds an earlier run's manifest)")
    a.add_argument("--input-format", choices=INPUT_FORMATS, default="auto",
                   help="how to read INPUT (default: auto, from the folder or the file suffix)")
    a.add_argument("--glob", action="append", metavar="PATTERN",
                   help="files to take from a folder, relative and recursive; repeatable or comma-separated "
                        "(default: **/*.txt, **/*.html, **/*.htm)")
    a.add_argument("--path-metadata", metavar="REGEX",
                   help="metadata from a file's relative path by named groups, e.g. "
                        "'(?P<outlet>[^/]+)/(?P<year>\\d{4})'")
    a.add_argument("--id-column", default="id", metavar="NAME",
                   help="id field of JSONL/CSV/Parquet records (default: id; row number if absent)")
    a.add_argument("--text-column", default="text", metavar="NAME", help="text field (default: text)")
    a.add_argument("--metadata-column", action="append", metavar="NAME",
                   help="metadata field(s) copied to meta_<NAME> columns; repeatable or comma-separated "
                        "(default: all other CSV/Parquet columns; for JSONL all fields go to the metadata JSON)")
    a.add_argument("--format", choices=FORMATS, default="parquet", help="output file format (default: parquet)")
    a.add_argument("--engine", choices=ENGINES, default="local",
                   help="local (this machine; --workers processes) or dask (a distributed cluster)")
    a.add_argument("--workers", type=positive, default=1,
                   help="worker processes: local engine, or the local Dask cluster (default: 1)")
    a.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: a local "
                        "cluster on 127.0.0.1)")
    a.add_argument("--kiwi-threads", type=positive, metavar="N",
                   help="Kiwi threads per worker process (default: all cores with 1 worker, else cores/workers)")
    a.add_argument("--shard-size", type=positive, default=None, metavar="N",
                   help=f"records per shard at most (default: {DEFAULT_SHARD_SIZE} with one worker; with more, "
                        "sized from the input so that each worker gets several shards)")
    a.add_argument("--shard-bytes", type=size, default=DEFAULT_SHARD_BYTES, metavar="SIZE",
                   help="input bytes per shard at most, e.g. 4M (default: 1M)")
    a.add_argument("--max-bytes", type=size, default=MAX_INPUT_BYTES, metavar="SIZE",
                   help="larger records become error rows (default: 50M)")
    a.add_argument("--overwrite", action="store_true",
                   help="discard an earlier run's output in DIR (its manifest and shard files) and start over")
    a.add_argument("--quiet", action="store_true", help="no progress bar and no summary (errors still go to stderr)")
    add_pipeline_options(a)
    a.set_defaults(func=cmd_annotate)

    s = sub.add_parser(
        "summarize", help="corpus-level aggregates of an annotate output, by metadata column, with a plot",
        description="Aggregate the documents table of an annotate output folder per group of one or more "
                    "metadata fields (or columns): documents, ok/error, sentences, sentence-weighted dimension "
                    "and frame shares, mentions by bloc, mean similarity.")
    s.add_argument("output_dir", metavar="DIR", help="an annotate output folder")
    s.add_argument("--by", action="append", metavar="FIELD",
                   help="group by this metadata field or column (e.g. year, outlet); repeatable or "
                        "comma-separated (default: one total row)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="output format on stdout (default: table)")
    s.add_argument("--columns", action="append", metavar="LIST",
                   help="columns to show, in order (default for the table: group, counts, similarity and the "
                        "dimension shares; all columns: --format csv)")
    s.add_argument("--plot", metavar="FILE", help="also draw the shares per group into FILE (.png, .svg, .pdf)")
    s.add_argument("--partial", action="store_true",
                   help="summarize an unfinished run (killed or still running) from the shards written so far, "
                        "with a warning; without it such a folder is refused")
    s.set_defaults(func=cmd_summarize)
