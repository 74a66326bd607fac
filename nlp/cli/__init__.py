"""Command line: each command is a thin wrapper over a library function.

Errors a user can cause become one line on stderr and a non-zero exit code;
with several inputs a bad one is reported and the others still run.  Exit codes:
0 finished, 1 finished with error records, 2 usage error, 3 input/output or
environment failure, 130 interrupted (:mod:`nlp.cli.common`).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import AnalyzerError, ModelError, OutputError, os_error_line
from .common import EXIT_DOC_ERRORS, EXIT_INTERRUPTED, EXIT_IO, EXIT_OK, EXIT_USAGE, err, with_option_hint

_err = err
__all__ = ["COMMANDS", "EXIT_DOC_ERRORS", "EXIT_INTERRUPTED", "EXIT_IO", "EXIT_OK", "EXIT_USAGE", "build_parser",
           "main"]

# --------------------------------------------------------------------------- parser

# command -> the module of nlp.cli whose register() adds it; modules register in this order, which is
# the order of the commands in --help (tests/test_cli_parser.py checks the map against the modules)
COMMANDS: dict[str, str] = {
    "tag": "tag", "compare": "compare", "train": "models", "evaluate": "models", "annotate": "batch",
    "summarize": "batch", "rates": "analysis", "kwic": "analysis", "network": "analysis", "serve": "serve",
    "export": "interop", "import": "interop", "select": "interop",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every command registered; with ``command`` (a known command name) only
    the module that adds it, so that ``kdiscourse tag`` imports no other command's code (cold start)."""
    p = argparse.ArgumentParser(
        prog="kdiscourse",
        description="Korean discourse analyzer for policy texts on US–China AI hegemony competition.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # the first argument names the command (the top level has no options but -h): register only its module
    parser = build_parser(argv[0] if argv else None)
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
