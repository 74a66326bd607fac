"""One catalogue of the project's errors.

Every message says what was wrong, the value received and what is allowed, in
one line, so the CLI can print it without a traceback.
"""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(AnalyzerError):
    """A document could not be read or is not text."""


class LexiconError(AnalyzerError):
    """A lexicon file is malformed."""


class PipelineError(AnalyzerError):
    """Stages were assembled in an order that cannot work."""


class ModelError(AnalyzerError):
    """A model file is missing, unsafe or does not match the codebook."""


class UsageError(AnalyzerError):
    """A command was called with arguments that do not fit."""


class ExtraMissing(ModelError):
    """An optional extra (a package a stage needs) is not installed: the one case a stage may be skipped."""


class OutputError(AnalyzerError):
    """Input/output or environment failure: permission, disk full, missing folder, a dead worker, a busy folder."""


def os_error_line(exc: OSError, path: object = None) -> str:
    r"""One line for an operating-system error: the path (shown escaped if unprintable) and the cause.

    >>> os_error_line(PermissionError(13, "Permission denied", "/out/x\ny"))
    "'/out/x\\ny': Permission denied"
    """
    where = path if path is not None else exc.filename
    cause = exc.strerror or str(exc) or type(exc).__name__
    return f"{display_path(where)}: {cause}" if where is not None else cause


def display_path(path: object) -> str:
    r"""A path for a one-line message: as is when printable, else quoted with escapes (newlines, controls).

    >>> display_path("a\nb.txt")
    "'a\\nb.txt'"
    """
    s = str(path)
    return s if s.isprintable() else repr(s)
