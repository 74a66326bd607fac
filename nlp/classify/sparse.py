"""Vectorised feature rows for the linear backend.

:class:`CompiledFeatures` turns a linear model's vocabulary (``m:``, ``b:``, ``c:``,
``prev:``, ``next:`` feature strings) into integer tables once, then computes the
sparse rows of a whole batch of sentences with numpy: the same features, the same
binary presence x idf values and the same per-block L2 scaling as
``LinearClassifier._analyze`` + ``_rows`` (the reference implementation, kept for
training and ``explain``), without building a feature string per n-gram.

* character n-grams: the batch's lower-cased, space-padded words are one array of
  code points; each code point maps to a small alphabet id (0 for characters that
  occur in no vocabulary n-gram), each n-gram to one integer key
  (``c0*B**(n-1) + ... + c_{n-1}``, distinct across n because ids start at 1), and
  the keys are looked up in the sorted vocabulary keys with ``searchsorted``;
* morphemes: one dict lookup per morpheme gives a token id (``-1`` for the
  punctuation/symbol tags that the features skip, ``0`` for tokens outside the
  vocabulary); unigrams are an array lookup, bigrams a ``searchsorted`` of
  ``id_a * T + id_b`` over adjacent kept tokens, context features an array lookup
  over the neighbour's tokens.

Only differences in floating-point summation order remain (last-bit level).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

import numpy as np

_FORM_TAG = itemgetter(0, 1)
_TOKEN_CACHE_LIMIT = 500_000


class _TokenIds(dict):
    """``(form, tag) -> token id``; unknown tokens get ``-1`` (skipped tag) or ``0`` and are remembered."""

    def __init__(self, known: dict, skip_tags: frozenset) -> None:
        super().__init__(known)
        self.n_known = len(known)
        self.skip_tags = skip_tags

    def __missing__(self, key):
        if len(key) != 2:  # a Morpheme (form, tag, start, end): look up its (form, tag), do not remember it
            return self[key[0], key[1]]
        v = -1 if key[1] in self.skip_tags else 0
        if len(self) < self.n_known + _TOKEN_CACHE_LIMIT:
            self[key] = v
        return v


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, s + n)`` for each pair, and the pair index of every element."""
    owner = np.repeat(np.arange(len(lengths)), lengths)
    if not len(owner):
        return owner, owner
    offsets = np.cumsum(lengths) - lengths
    return starts[owner] + (np.arange(len(owner)) - offsets[owner]), owner


class CompiledFeatures:
    """Integer tables for one feature space; :meth:`rows` computes a batch's sparse rows.

    Build with :meth:`compile`, which returns None when the vocabulary has a feature
    the tables cannot express (the caller then uses the reference implementation).
    """

    def __init__(self) -> None:
        self.n_features = 0

    @classmethod
    def compile(cls, features: Sequence[str], idf: np.ndarray, char_ngrams: tuple[int, int], context: bool,
                block_weights: dict[str, float], skip_tags: frozenset, content_prefixes: tuple[str, ...],
                ) -> CompiledFeatures | None:
        """Tables for ``features`` (index = position), or None if some feature is not expressible."""
        self = cls()
        lo, hi = char_ngrams
        self.lo, self.hi, self.context = lo, hi, context
        self.weights = (block_weights["m"], block_weights["c"], block_weights["ctx"])
        self.n_features = len(features)
        self.idf = np.asarray(idf, dtype=np.float32)
        tokens: dict[tuple[str, str], int] = {}

        def tid(tok: str) -> int | None:
            form, sep, tag = tok.rpartition("/")
            if not sep or not tag:
                return None
            return tokens.setdefault((form, tag), len(tokens) + 1)

        uni, prev, nxt, grams, bigrams = [], [], [], [], []
        for i, f in enumerate(features):
            kind, _, rest = f.partition(":")
            if kind == "c":
                if lo <= len(rest) <= hi:
                    grams.append((rest, i))
            elif kind == "m":
                t = tid(rest)
                if t is None:
                    return None
                uni.append((t, i))
            elif kind in ("prev", "next"):
                t = tid(rest)
                if t is None:
                    return None
                if rest.rpartition("/")[2].startswith(content_prefixes):
                    (prev if kind == "prev" else nxt).append((t, i))
            elif kind == "b":
                bigrams.append((rest, i))
            elif kind in ("doc", "lead"):
                continue  # document blocks: LinearClassifier adds their score once per document
            else:
                return None
        # a bigram "A+B": every split at a "+" whose halves both look like form/TAG names a token
        # pair that produces exactly this feature string, so registering all of them is exact
        pairs = []
        for rest, i in bigrams:
            found = False
            for p in (k for k, ch in enumerate(rest) if ch == "+"):
                a, b = rest[:p], rest[p + 1:]
                if "/" in a and "/" in b and a.rpartition("/")[2] and b.rpartition("/")[2]:
                    pairs.append((tid(a), tid(b), i))
                    found = True
            if not found:
                return None
        self.n_tokens = len(tokens) + 1
        T = self.n_tokens
        self.tokens = tokens
        table = np.full(T + 1, -1, dtype=np.int64)  # index tid + 1 (tid -1 -> 0)
        self.uni = table.copy()
        self.prev = table.copy()
        self.next = table.copy()
        for arr, entries in ((self.uni, uni), (self.prev, prev), (self.next, nxt)):
            for t, i in entries:
                arr[t + 1] = i
        keys = np.array([a * T + b for a, b, _i in pairs], dtype=np.int64)
        vals = np.array([i for _a, _b, i in pairs], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.bi_keys, self.bi_feats = keys[order], vals[order]
        alphabet = sorted({ch for g, _i in grams for ch in g})
        if "\x00" in alphabet or len(alphabet) + 1 >= 2 ** (62 // max(hi, 1)):
            return None
        self.base = len(alphabet) + 1
        cps = np.array([ord(ch) for ch in alphabet], dtype=np.int64)
        self.lut = np.zeros(int(cps.max()) + 2 if len(cps) else 2, dtype=np.int64)
        self.lut[cps] = np.arange(1, len(alphabet) + 1)
        ids = {ch: k + 1 for k, ch in enumerate(alphabet)}
        ckeys = []
        for g, _i in grams:
            key = 0
            for ch in g:
                key = key * self.base + ids[ch]
            ckeys.append(key)
        ckeys_arr = np.array(ckeys, dtype=np.int64)
        order = np.argsort(ckeys_arr, kind="stable")
        self.c_keys = ckeys_arr[order]
        self.c_feats = np.array([i for _g, i in grams], dtype=np.int64)[order]
        self.skip_tags = skip_tags
        # a token with a skipped tag is dropped before n-grams are formed, whatever the tables say
        self._ids = _TokenIds({k: (-1 if k[1] in skip_tags else v) for k, v in tokens.items()}, skip_tags)
        return self

    # ------------------------------------------------------------------ per batch

    @staticmethod
    def _lookup(keys: np.ndarray, vocab_keys: np.ndarray, vocab_feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``keys`` found in the vocabulary, and their feature indices."""
        if not len(vocab_keys) or not len(keys):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(vocab_keys, keys)
        np.minimum(pos, len(vocab_keys) - 1, out=pos)
        hit = np.flatnonzero(vocab_keys[pos] == keys)
        return hit, vocab_feats[pos[hit]]

    def _char_block(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentence, feature) of every character n-gram in the vocabulary (with repeats)."""
        # each word padded with spaces, words and sentences separated by NUL (alphabet id 0)
        padded = [" " + " \x00 ".join(t.lower().split()) + " " if t.strip() else "" for t in texts]
        big = "\x00".join(padded)
        cps = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        lens = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded)) + 1
        sent_of = np.repeat(np.arange(len(texts)), lens)[:len(cps)]
        inside = cps < len(self.lut)
        ids = np.where(inside, self.lut[np.where(inside, cps, 0)], 0)
        zeros = np.concatenate(([0], np.cumsum(ids == 0)))
        out_s, out_f = [], []
        N = len(ids)
        for n in range(self.lo, self.hi + 1):
            m = N - n + 1
            if m <= 0:
                break
            key = ids[:m].copy()
            for k in range(1, n):
                key *= self.base
                key += ids[k:k + m]
            ok = np.flatnonzero(zeros[n:n + m] == zeros[:m])
            hit, feats = self._lookup(key[ok], self.c_keys, self.c_feats)
            out_s.append(sent_of[ok[hit]])
            out_f.append(feats)
        if not out_s:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_s), np.concatenate(out_f)

    def _token_ids(self, seqs: Sequence[Sequence]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of all sequences, flat, and the start of each sequence."""
        lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        total = int(lens.sum())
        try:
            # (form, tag) tuples are keys as they are (the classifier stages pass them); Morpheme values
            # are looked up by their first two items in ``_TokenIds.__missing__``
            flat = np.fromiter(map(self._ids.__getitem__, chain.from_iterable(seqs)), dtype=np.int64, count=total)
        except TypeError:  # unhashable morphemes ([form, tag] lists read from JSON): pairs made here
            flat = np.fromiter(map(self._ids.__getitem__, map(_FORM_TAG, chain.from_iterable(seqs))),
                               dtype=np.int64, count=total)
        return flat, lens

    def _block(self, sent: np.ndarray, feat: np.ndarray, n: int, weight: float):
        """Binary presence x idf, L2-normalised per sentence, scaled: (sentence, feature, value)."""
        if not len(sent):
            return sent, feat, np.zeros(0)
        u = np.unique(sent * self.n_features + feat)
        s, f = np.divmod(u, self.n_features)
        val = self.idf[f].astype(np.float64)
        sq = np.bincount(s, weights=val * val, minlength=n)
        with np.errstate(divide="ignore"):
            scale = weight / np.sqrt(sq)
        return s, f, val * scale[s]

    def rows(self, texts: Sequence[str], own: Sequence[Sequence], prev: Sequence[Sequence] | None = None,
             nxt: Sequence[Sequence] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sparse rows of a batch as COO arrays ``(sentence, feature, value)``, grouped by block.

        ``own[i]`` are sentence ``i``'s morphemes (anything whose items 0 and 1 are form
        and tag), ``prev[i]`` / ``nxt[i]`` its neighbours' (needed when ``context``).
        """
        n = len(texts)
        seqs = list(own)
        extra_prev = extra_next = None
        if self.context:
            index = {id(s): i for i, s in enumerate(seqs)}

            def place(neigh):
                out = np.empty(n, dtype=np.int64)
                for i, s in enumerate(neigh):
                    j = index.get(id(s))
                    if j is None:
                        j = index[id(s)] = len(seqs)
                        seqs.append(s)
                    out[i] = j
                return out

            extra_prev, extra_next = place(prev), place(nxt)
        flat, lens = self._token_ids(seqs)
        starts = np.cumsum(lens) - lens
        parts = []
        # morpheme block: unigrams and bigrams of the sentence's own kept tokens
        own_pos, own_sent = _ranges(starts[:n], lens[:n])
        t = flat[own_pos]
        keep = t >= 0
        t, s_of = t[keep], own_sent[keep]
        u_f = self.uni[t + 1]
        m_s, m_f = [s_of[u_f >= 0]], [u_f[u_f >= 0]]
        if len(t) > 1:
            adj = np.flatnonzero((s_of[1:] == s_of[:-1]) & (t[1:] > 0) & (t[:-1] > 0))
            hit, feats = self._lookup(t[adj] * self.n_tokens + t[adj + 1], self.bi_keys, self.bi_feats)
            m_s.append(s_of[adj[hit]])
            m_f.append(feats)
        parts.append(self._block(np.concatenate(m_s), np.concatenate(m_f), n, self.weights[0]))
        c_s, c_f = self._char_block(texts)
        parts.append(self._block(c_s, c_f, n, self.weights[1]))
        if self.context:
            x_s, x_f = [], []
            for where, table in ((extra_prev, self.prev), (extra_next, self.next)):
                pos, owner = _ranges(starts[where], lens[where])
                f = table[flat[pos] + 1]
                x_s.append(owner[f >= 0])
                x_f.append(f[f >= 0])
            parts.append(self._block(np.concatenate(x_s), np.concatenate(x_f), n, self.weights[2]))
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))


def coo_proba(n: int, rows: tuple[np.ndarray, np.ndarray, np.ndarray], WT: np.ndarray, b: np.ndarray,
              offset: np.ndarray | None = None) -> np.ndarray:
    """Logistic probabilities ``sigmoid(X @ W + b + offset)`` for COO rows ``(sentence, feature, value)``.

    ``offset`` (optional, ``(n, n_labels)``) is a score added per sentence, e.g. its document's.

    ``WT`` is the transposed weight matrix, ``(n_labels, n_features)``, C-contiguous.  The
    products are taken in float64 whatever its type, so float32 weights (as saved) give the
    same bits as their float64 copy while the gather reads half the memory.
    """
    s, f, v = rows
    out = np.empty((n, WT.shape[0]))
    product = np.empty(len(f), dtype=np.float64)
    for j in range(WT.shape[0]):
        np.multiply(WT[j].take(f), v, out=product)
        out[:, j] = np.bincount(s, weights=product, minlength=n)
    out += b
    if offset is not None:
        out += offset
    return 1.0 / (1.0 + np.exp(-out))
