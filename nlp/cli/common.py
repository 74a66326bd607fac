"""Pieces every command shares: exit codes, the one-line error, argument types, and the pipeline options."""

from __future__ import annotations

import argparse
import re
import sys

# exit codes (README "Exit codes", docs/guarantees.md): distinct, one meaning each
EXIT_OK = 0            # finished; every record is an ok record
EXIT_DOC_ERRORS = 1    # finished; some records are error records (each reported)
EXIT_USAGE = 2         # usage error: bad options, bad configuration or input format, refused by a check
EXIT_IO = 3            # input/output or environment failure: permission, disk full, busy folder, dead worker,
                       # a model that cannot load
EXIT_INTERRUPTED = 130  # interrupted (Ctrl-C / SIGINT)

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def terminal_safe(text: object) -> str:
    r"""Text with control characters (escape sequences, newlines, NUL) shown as escapes, for a terminal line.

    >>> terminal_safe("미국\x1b[31m\n")
    '미국\\x1b[31m\\n'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


def err(msg: str) -> None:
    """Print one error line on stderr (newlines and other control characters shown as escapes)."""
    print(f"kdiscourse: error: {terminal_safe(msg)}", file=sys.stderr)


def split_list(values: list[str] | None) -> list[str] | None:
    """Repeatable and comma-separated option values as one list (None when empty).

    >>> split_list(["a,b", "c"])
    ['a', 'b', 'c']
    """
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


def positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be 1 or more")
    return n


def size(text: str) -> int:
    """argparse type: ``1048576``, ``512K``, ``8M``, ``1G`` -> bytes.

    >>> size("8M")
    8388608
    """
    t = text.strip().upper().removesuffix("B")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    try:
        n = int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; write 1048576, 512K, 8M or 1G") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least one byte")
    return n


def add_pipeline_options(p: argparse.ArgumentParser, explain: bool = False) -> None:
    """The options that choose and adjust the pipeline (the same for tag, compare, annotate, serve)."""
    g = p.add_argument_group("pipeline")
    g.add_argument("--pipeline", metavar="NAME_OR_PATH",
                   help="pipeline configuration: a shipped name (default, actors, tokenize) or a JSON/TOML "
                        "file (docs/architecture.md); default: default")
    g.add_argument("--models", metavar="DIR",
                   help="use the classifiers in DIR (as written by `kdiscourse train --output-dir DIR`)")
    g.add_argument("--stages", metavar="LIST", help="comma-separated stages of the pipeline to run (default: all)")
    g.add_argument("--lexicon", action="append", metavar="TSV",
                   help="extra actor lexicon file (same columns as models/actors.tsv); repeatable")
    g.add_argument("--nested-mentions", action="store_true",
                   help="also report actors nested inside longer names (미국 inside 미국 상무부)")
    if explain:
        g.add_argument("--explain", action="store_true", help="show the cues/features behind each label")


def pipeline_config(args: argparse.Namespace):
    """The :class:`~nlp.config.PipelineConfig` the pipeline options describe."""
    from ..errors import PipelineError, UsageError
    from ..pipeline import configure

    try:
        return configure(args.pipeline, stages=split_list([args.stages]) if args.stages else None,
                         lexicons=args.lexicon or (), nested=args.nested_mentions,
                         explain=getattr(args, "explain", False), models=args.models)
    except PipelineError as exc:
        flag = "--models" if args.models and "model folder" in str(exc) or "holds no model" in str(exc) \
            else "--pipeline/--stages"
        raise UsageError(f"{flag}: {exc}") from None


# phrases of library messages -> the option that addresses them (the library never names options)
OPTION_HINTS = (
    ("overwrite", "--overwrite"),
    ("dask engine", "--engine dask"),
    ("scheduler address", "--scheduler"),
    ("path metadata pattern", "--path-metadata"),
    ("name the input format", "--input-format"),
    ("workers ", "--workers"),
    ("model at", "--models"),
)


def with_option_hint(message: str) -> str:
    """A library message with the command-line option that addresses it appended.

    >>> with_option_hint("out: written with other settings; overwrite it to start over")
    'out: written with other settings; overwrite it to start over (--overwrite)'
    """
    for phrase, option in OPTION_HINTS:
        if phrase in message:
            return f"{message} ({option})"
    return message
