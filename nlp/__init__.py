"""Korean discourse analyzer for policy texts on US–China AI hegemony competition.

Public API::

    from nlp import Pipeline
    pipe = Pipeline.from_config()                   # the shipped default configuration
    doc = pipe("미국은 대중 수출통제를 강화했다.")        # a str or a Document
    docs = list(pipe.pipe(["...", "..."]))          # any iterable of str/Document, a pandas Series too
    doc.to_frame("sentences"), doc.to_frame("mentions")

Stages are registered by name (:func:`register_stage`) and pipelines are built from a
serialisable configuration (:class:`PipelineConfig`); see docs/architecture.md.
"""

from ._version import __version__
from .config import PipelineConfig, StageConfig
from .document import Document, Mention, Morpheme, Sentence, Source
from .errors import AnalyzerError, InputError, LexiconError, ModelError, PipelineError, UsageError
from .pipeline import Pipeline, configure, document_from_bytes, document_from_path, document_from_text
from .stage import Stage, register_stage, registered_stages
from .tokenize import Tokenizer

__all__ = [
    "AnalyzerError", "Document", "InputError", "LexiconError", "Mention", "ModelError", "Morpheme",
    "Pipeline", "PipelineConfig", "PipelineError", "Sentence", "Source", "Stage", "StageConfig", "Tokenizer",
    "UsageError", "__version__", "configure", "document_from_bytes", "document_from_path", "document_from_text",
    "register_stage", "registered_stages",
]
