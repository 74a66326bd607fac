"""Korean discourse analyzer for policy texts on US–China AI hegemony competition.

Public API::

    from nlp import Pipeline, document_from_text
    doc = Pipeline.default()(document_from_text("미국은 대중 수출통제를 강화했다."))
"""

from .document import Document, Mention, Morpheme, Sentence, Source
from .errors import AnalyzerError, InputError, LexiconError, ModelError, PipelineError, UsageError
from .pipeline import Pipeline, Stage, Tokenizer, document_from_bytes, document_from_path, document_from_text

__version__ = "0.1.0"

__all__ = [
    "AnalyzerError", "Document", "InputError", "LexiconError", "Mention", "ModelError", "Morpheme",
    "Pipeline", "PipelineError", "Sentence", "Source", "Stage", "Tokenizer", "UsageError",
    "document_from_bytes", "document_from_path", "document_from_text", "__version__",
]
