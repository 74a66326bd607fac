"""Command line: each command is a thin wrapper over a library function.

Errors a user can cause become one line on stderr and a non-zero exit code;
with several inputs a bad one is reported and the others still run.  Exit codes:
0 finished, 1 finished with error records, 2 usage error, 3 input/output or
environment failure, 130 interrupted (:mod:`nlp.cli.common`).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import AnalyzerError, ModelError, OutputError, os_error_line
from .common import EXIT_DOC_ERRORS, EXIT_INTERRUPTED, EXIT_IO, EXIT_OK, EXIT_USAGE, err, with_option_hint

_err = err
__all__ = ["EXIT_DOC_ERRORS", "EXIT_INTERRUPTED", "EXIT_IO", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

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
    except (OutputError, ModelError) as exc:
        _err(with_option_hint(str(exc)))
        return EXIT_IO
    except AnalyzerError as exc:
        _err(with_option_hint(str(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # permission, disk full, a vanished file: one line with the path and the cause
        _err(os_error_line(exc))
        return EXIT_IO
    except MemoryError:
        _err("out of memory")
        return EXIT_IO


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
