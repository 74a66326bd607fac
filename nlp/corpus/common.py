"""Constants and the integrity error shared by the batch modules."""

from __future__ import annotations

from ..atomic import TMP_MARK
from ..errors import AnalyzerError

MANIFEST = "manifest.json"
TABLES = ("documents", "sentences", "mentions")
FORMATS = ("parquet", "jsonl")
ENGINES = ("local", "dask")
INPUT_FORMATS = ("auto", "dir", "jsonl", "csv", "parquet")
DEFAULT_GLOBS = ("**/*.txt", "**/*.html", "**/*.htm")
DEFAULT_SHARD_SIZE = 500
DEFAULT_SHARD_BYTES = 1 << 20
MANIFEST_VERSION = 1
_TMP_MARK = TMP_MARK


class IntegrityError(AnalyzerError):
    """Output and input disagree (counts, shards or fingerprint), or the output folder is not ours."""
