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
