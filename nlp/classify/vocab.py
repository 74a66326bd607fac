"""A linear model's feature list, indexed both ways, built lazily from the bytes of its feature file.

The shipped linear models have about 100k features (``m:미국/NNP``, ``c:반도``, ...): the
position of a feature is its weight row.  Making 100k Python strings and a dict of them costs
about 50 ms of every cold start, while ``kdiscourse tag`` on one short document looks up a few
hundred features.  :class:`FeatureIndex` therefore keeps the feature file's bytes (UTF-8, one
feature per line, written by :func:`nlp.formats.write_feature_file`) and answers
:meth:`FeatureIndex.get` by binary search over the lines when the file is sorted; after
:data:`DICT_AFTER` lookups it builds the dict once, as before, and uses it from then on.
Models with the same feature file share one index (:func:`shared_index`).  The order is the
writer's claim (``features_sorted`` in ``model.json``, which :func:`nlp.formats.write_feature_file`
checks when it saves); the sha256 covers the file's bytes, not that claim, so a hand-edited model
that calls an unsorted file sorted would miss features.
"""

from __future__ import annotations

import hashlib
import threading
from array import array
from collections.abc import Sequence

# lookups answered by binary search before the dict is built: about where the searches have cost
# as much as building the dict would have (~5 us a search, ~50 ms for the dict of 100k features)
DICT_AFTER = 10_000


def features_digest(features: Sequence[str]) -> str:
    """sha256 of the features as a feature file holds them (one per line), the identity of a feature list.

    >>> features_digest(["c:미국", "m:AI/SL"]) == hashlib.sha256("c:미국\\nm:AI/SL\\n".encode()).hexdigest()
    True
    """
    from ..formats import feature_file_bytes

    data = feature_file_bytes(features)
    if data is None:  # cannot be a feature file (a newline, a lone surrogate): hash an unambiguous form instead
        import json

        data = ("json:" + json.dumps(list(features))).encode("ascii")
    return hashlib.sha256(data).hexdigest()


class FeatureIndex:
    """Feature strings by position and positions by feature string.

    Build it from a list (:meth:`from_list`, as training does) or from a feature file's bytes
    (:meth:`from_lines`).  ``digest`` is :func:`features_digest` of the list in both cases.

    >>> ix = FeatureIndex.from_lines("b:x/NNG+y/NNG\\nc:미국\\nm:AI/SL\\n".encode(), sorted_lines=True)
    >>> len(ix), ix.get("c:미국"), ix.get("c:중국"), ix[2]
    (3, 1, None, 'm:AI/SL')
    """

    def __init__(self) -> None:
        self._blob = b""
        self._ends: array | None = None
        self._sorted = False
        self._list: list[str] | None = None
        self._dict: dict[str, int] | None = None
        self._lookups = 0
        self._lock = threading.Lock()
        self.n = 0
        self.digest = ""

    @classmethod
    def from_list(cls, features: Sequence[str], vocabulary: dict[str, int] | None = None) -> FeatureIndex:
        """An index over ``features`` (position = index); ``vocabulary`` is its inverse if already built."""
        self = cls()
        self._list = list(features)
        self._dict = vocabulary if vocabulary is not None else dict(zip(self._list, range(len(self._list))))
        self.n = len(self._list)
        self.digest = features_digest(self._list)
        return self

    @classmethod
    def from_lines(cls, blob: bytes, sorted_lines: bool, digest: str | None = None) -> FeatureIndex:
        """An index over the lines of a feature file (UTF-8, each line ended by ``\\n``).

        ``sorted_lines`` says the lines are in strictly increasing order (what the writer
        checked): only then are lookups answered by binary search before the dict is built.
        ``digest`` is the bytes' sha256 when the caller has computed it already.
        """
        import numpy as np

        self = cls()
        self._blob = bytes(blob)
        ends = np.flatnonzero(np.frombuffer(self._blob, dtype=np.uint8) == 10).astype(np.int64)
        self._ends = array("q")
        self._ends.frombytes(ends.tobytes())
        self.n = len(self._ends)
        self._sorted = sorted_lines
        self.digest = digest or hashlib.sha256(self._blob).hexdigest()
        return self

    def __getstate__(self) -> dict:
        # copies and pickles (a model sent to a worker, deepcopy) leave the lock behind
        return {k: getattr(self, k) for k in ("_blob", "_ends", "_sorted", "_list", "_dict", "_lookups", "n",
                                               "digest")}

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        for k, v in state.items():
            setattr(self, k, v)

    def same_lines(self, blob: bytes) -> bool:
        """Whether ``blob`` is exactly the feature file this index was built from."""
        return self._ends is not None and self._blob == blob

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        if self._list is not None:
            return self._list[i]
        i = range(self.n)[i]  # negative indices and the IndexError of a list
        start = self._ends[i - 1] + 1 if i else 0
        return self._blob[start:self._ends[i]].decode("utf-8", "surrogatepass")

    def get(self, feature: str, default: int | None = None) -> int | None:
        """Position of ``feature``, or ``default`` when the model has no such feature."""
        d = self._dict
        if d is not None:
            return d.get(feature, default)
        if not self._sorted or self._lookups >= DICT_AFTER:
            return self.todict().get(feature, default)
        self._lookups += 1
        try:
            key = feature.encode("utf-8", "surrogatepass")
        except (UnicodeEncodeError, AttributeError):
            return default
        blob, ends = self._blob, self._ends
        lo, hi = 0, self.n
        while lo < hi:  # leftmost line >= key (UTF-8 bytes sort like the code points of str)
            mid = (lo + hi) >> 1
            start = ends[mid - 1] + 1 if mid else 0
            if blob[start:ends[mid]] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.n:
            start = ends[lo - 1] + 1 if lo else 0
            if blob[start:ends[lo]] == key:
                return lo
        return default

    def tolist(self) -> list[str]:
        """The features in position order (built once, then shared)."""
        if self._list is None:
            with self._lock:
                if self._list is None:
                    text = self._blob.decode("utf-8", "surrogatepass")
                    self._list = text.split("\n")[:-1] if text else []
        return self._list

    def todict(self) -> dict[str, int]:
        """``{feature: position}`` (built once, then shared)."""
        if self._dict is None:
            features = self.tolist()
            with self._lock:
                if self._dict is None:
                    self._dict = dict(zip(features, range(len(features))))
        return self._dict


_SHARED: list[FeatureIndex] = []
_SHARED_LOCK = threading.Lock()


def shared_index(blob: bytes, digest: str, sorted_lines: bool, where: str = "feature file") -> FeatureIndex:
    """The index of a feature file's bytes, checked against ``digest`` (its sha256 as the model
    file records it); the same object for every model loaded with the same file (the shipped
    dimensions and frames models share one feature list), whose bytes are then compared instead
    of hashed again.  A mismatch is a one-line :class:`~nlp.errors.ModelError` naming ``where``.
    """
    with _SHARED_LOCK:
        for ix in _SHARED:
            if ix.digest == digest and ix._sorted == sorted_lines and ix.same_lines(blob):
                return ix
    actual = hashlib.sha256(blob).hexdigest()
    if actual != digest:
        from ..errors import ModelError

        raise ModelError(f"{where}: sha256 is {actual[:12]}…, the model file expects {str(digest)[:12]}…; "
                         "the features do not belong to these weights (save the model again)")
    ix = FeatureIndex.from_lines(blob, sorted_lines, digest)
    with _SHARED_LOCK:
        _SHARED.append(ix)
        del _SHARED[:-4]
    return ix


def shared_index_from_list(features: list[str]) -> FeatureIndex:
    """The index of an in-memory feature list (a model file that holds its features inline),
    shared with an earlier index of an equal list."""
    with _SHARED_LOCK:
        for ix in _SHARED:
            if ix._list is not None and ix._list == features:
                return ix
    ix = FeatureIndex.from_list(features)
    with _SHARED_LOCK:
        _SHARED.append(ix)
        del _SHARED[:-4]
    return ix


__all__ = ["DICT_AFTER", "FeatureIndex", "features_digest", "shared_index", "shared_index_from_list"]
