"""Batch annotation of corpora: readers, shards, tables, the output store, engines, the run, summaries.

A run reads *records* from one input (a directory of ``.txt``/``.html`` files,
JSONL, CSV, Parquet or a pandas DataFrame), cuts the stream into *shards*
whose boundaries depend only on the input (``shard_size`` records or
``shard_bytes`` of text, whichever comes first), annotates each shard with the
pipeline and writes three tables per shard::

    OUT/manifest.json
    OUT/documents/part-00000.parquet   one row per input record (ok or error)
    OUT/sentences/part-00000.parquet   one row per sentence
    OUT/mentions/part-00000.parquet    one row per actor mention

Every file is written to a temporary name and renamed; a shard counts as done
only once the manifest (itself replaced atomically) lists it.  A run that was
killed starts again from the manifest: done shards are checked against the
input (a digest per shard) and skipped, the others are written again.  Because
shard boundaries are a function of the input, the rewritten files are the same
rows, so nothing is lost or duplicated, and a rerun of a finished run writes
nothing.

Engines: ``local`` (in this process, or ``workers`` processes) and ``dask``
(a ``distributed`` cluster; a local one on 127.0.0.1 without an address).  In
every engine the pipeline -- Kiwi included -- is built once per worker process,
lazily, and only records and settings travel with a task.

>>> import pandas as pd
>>> tables = annotate_dataframe(pd.DataFrame({"text": ["미국과 중국이 경쟁한다.", ""]}), "text")
>>> tables.documents[["id", "status", "n_sentences"]].to_dict("records")
[{'id': '0', 'status': 'ok', 'n_sentences': 1}, {'id': '1', 'status': 'error', 'n_sentences': 0}]
"""



from .common import DEFAULT_SHARD_BYTES, DEFAULT_SHARD_SIZE, FORMATS, INPUT_FORMATS, MANIFEST, TABLES, IntegrityError

# The rest is imported on first use (PEP 562), so that `kdiscourse tag`, whose command line
# registers the batch options with these constants, does not load the batch machinery.
_LAZY = {
    "readers": ("CorpusInput", "Record", "csv_input", "dataframe_input", "directory_input", "jsonl_input",
                "open_input", "parquet_input"),
    "run": ("RunSummary", "annotate_corpus"),
    "shards": ("ShardTask", "iter_shards"),
    "store": ("read_manifest", "read_table", "verify_output"),
    "summary": ("plot_summary", "summarize"),
    "tables": ("document_rows",),
    "worker": ("CorpusTables", "RunConfig", "annotate_dataframe", "annotate_records", "annotate_shard",
               "worker_pipeline"),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str):
    """Import the public names of the batch modules on first access."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazily imported ones included."""
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "DEFAULT_SHARD_BYTES", "DEFAULT_SHARD_SIZE", "FORMATS", "INPUT_FORMATS", "MANIFEST", "TABLES",
    "CorpusInput", "CorpusTables", "IntegrityError", "Record", "RunConfig", "RunSummary", "ShardTask",
    "annotate_corpus", "annotate_dataframe", "annotate_records", "annotate_shard", "csv_input",
    "dataframe_input", "directory_input", "document_rows", "iter_shards", "jsonl_input", "open_input",
    "parquet_input", "plot_summary", "read_manifest", "read_table", "summarize", "verify_output", "worker_pipeline",
]
