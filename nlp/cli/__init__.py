"""Command line: each command is a thin wrapper over a library function.

Errors a user can cause become one line on stderr and a non-zero exit code;
with several inputs a bad one is reported and the others still run.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import AnalyzerError
from .common import EXIT_DOC_ERRORS, EXIT_OK, EXIT_USAGE, err, with_option_hint

_err = err
__all__ = ["EXIT_DOC_ERRORS", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

# --------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    p = argparse.ArgumentParser(
        prog="kdiscourse",
        description="Korean discourse analyzer for policy texts on US–China AI hegemony competition.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    from . import analysis, batch, compare, interop, models, serve, tag

    for mod in (tag, compare, models, batch, analysis, serve, interop):
        mod.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except AnalyzerError as exc:
        _err(with_option_hint(str(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
