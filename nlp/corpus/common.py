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
MIN_AUTO_SHARD_SIZE = 16  # an automatic shard size never goes below this (each shard costs four fsync'ed files)
SHARDS_PER_WORKER = 4  # automatic shard size: about this many shards per worker
DEFAULT_SHARD_BYTES = 1 << 20
MANIFEST_VERSION = 1
_TMP_MARK = TMP_MARK


class IntegrityError(AnalyzerError):
    """Output and input disagree (counts, shards or fingerprint), or the output folder is not ours."""
