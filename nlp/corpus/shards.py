"""Shards: input-determined cuts of the record stream, each with a digest for resume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .common import DEFAULT_SHARD_BYTES, DEFAULT_SHARD_SIZE, MIN_AUTO_SHARD_SIZE, SHARDS_PER_WORKER
from .readers import Record


class ShardTask(NamedTuple):
    """A run of consecutive records; what a worker receives (no models, no pipeline)."""

    index: int
    first: int
    records: tuple[Record, ...]
    digest: str


def _record_digest(h, r: Record) -> None:
    h.update(f"{r.index}\x00{r.id}\x00{r.name}\x00{r.error or ''}\x00".encode("utf-8", "surrogatepass"))
    h.update(json.dumps(r.metadata, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"))
    data = r.data
    if isinstance(data, str):
        h.update(b"s")
        h.update(data.encode("utf-8", "surrogatepass"))
    elif data is not None:
        h.update(b"b")
        h.update(data)
    h.update(b"\x01")


def auto_shard_size(n_records: int | None, workers: int) -> int:
    """Records per shard when none is given: the default with one worker (or an unknown count), else
    small enough that each worker gets about ``SHARDS_PER_WORKER`` shards, so that a few hundred
    documents keep every worker busy.  Chosen once per output folder (a resumed run reuses the
    manifest's), so shard boundaries stay a function of the input.

    >>> auto_shard_size(300, 2), auto_shard_size(300, 1), auto_shard_size(50_000, 2), auto_shard_size(20, 4)
    (38, 500, 500, 16)
    """
    if workers <= 1 or not n_records:
        return DEFAULT_SHARD_SIZE
    per = -(-n_records // (SHARDS_PER_WORKER * workers))
    return max(MIN_AUTO_SHARD_SIZE, min(DEFAULT_SHARD_SIZE, per))


def iter_shards(records: Iterable[Record], shard_size: int = DEFAULT_SHARD_SIZE,
                shard_bytes: int = DEFAULT_SHARD_BYTES) -> Iterator[ShardTask]:
    """Cut records into shards: a shard closes at ``shard_size`` records or ``shard_bytes`` of data.

    Boundaries depend only on the records, so the same input always gives the same shards.
    """
    buf: list[Record] = []
    size = 0
    k = 0
    first = 0
    h = hashlib.sha256()
    for r in records:
        if not buf:
            first = r.index
        buf.append(r)
        _record_digest(h, r)
        size += r.size
        if len(buf) >= shard_size or size >= shard_bytes:
            yield ShardTask(k, first, tuple(buf), h.hexdigest())
            k += 1
            buf, size, h = [], 0, hashlib.sha256()
    if buf:
        yield ShardTask(k, first, tuple(buf), h.hexdigest())
