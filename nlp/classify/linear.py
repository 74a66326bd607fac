"""Linear model: Kiwi-morpheme and character n-gram features, one logistic regression per label.

Features (all binary term presence x idf, each block L2-normalised, then scaled):

- ``m:`` morpheme unigrams ``form/tag`` and ``b:`` bigrams of adjacent morphemes
  (punctuation and symbols dropped);
- ``c:`` character 2-4-grams inside word boundaries (like scikit-learn's
  ``char_wb``) of the lower-cased sentence;
- with ``context=True``: ``prev:`` / ``next:`` content-morpheme unigrams of the
  previous / next sentence of the same document, block scaled by ``context_weight``;
- with ``doc_context=True`` (off by default): ``doc:`` content-morpheme unigrams of the whole document
  (scaled by ``doc_weight``) and ``lead:`` those of its first sentence, the headline or
  lead (scaled by ``lead_weight``).  Real articles often state their lens once, in the
  lead or a few sentences away, and leave the other sentences to carry it.  Both
  blocks are the same for every sentence of a document, so at prediction their
  contribution to each label's score is computed once per document and added.

Training uses scikit-learn (``LogisticRegression``, liblinear, balanced class
weights), imported inside :meth:`LinearClassifier.fit` only.  Prediction is plain
numpy on the stored arrays, so ``kdiscourse tag`` never imports scikit-learn.
Per-label thresholds are tuned on out-of-fold probabilities of the training data
(document-grouped, multi-label stratified folds).

Saved as ``model.json`` (parameters, labels, thresholds, metadata),
``features.txt`` (the feature list, one per line, checked against the sha256 that
``model.json`` records; a list no file can hold stays inline in ``model.json``, as older
models have it) and ``weights.npz`` (idf, coefficients, intercepts; loaded with
``allow_pickle=False``) -- no pickle anywhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError, UsageError
from ..formats import (
    load_npz,
    model_file_path,
    read_feature_file,
    save_npz_atomic,
    write_feature_file,
    write_json_atomic,
)
from ..labels import codebook_version
from .base import (
    SentenceClassifier,
    SentenceItem,
    context_morphemes,
    item_morphemes,
    read_model_json,
    tune_thresholds,
)
from .sparse import CompiledFeatures, coo_proba
from .vocab import FeatureIndex, shared_index, shared_index_from_list

SKIP_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "SB", "W_URL", "W_EMAIL", "W_HASHTAG",
                       "W_MENTION", "W_SERIAL", "W_EMOJI"})
CONTENT_PREFIXES = ("NNG", "NNP", "SL", "SH", "VV", "VA", "XR", "NR")
_FEATURE_CACHE: OrderedDict = OrderedDict()
_ROW_CACHE: OrderedDict = OrderedDict()
_FEATURE_CACHE_SIZE = 8192
_COMPILED: dict = {}
_BATCH_CACHE: OrderedDict = OrderedDict()
_BATCH_CACHE_SIZE = 4
_COMPILE_MIN_ITEMS = 200  # until the tables exist, batches smaller than this use the reference feature code


def _given_or_tokenized(texts: Sequence[str], given: Sequence[Sequence]) -> list[Sequence]:
    """The given morphemes of each text; Kiwi's for the non-blank texts given none (one batch)."""
    out = list(given)
    todo = [i for i, (t, ms) in enumerate(zip(texts, given)) if not ms and t.strip()]
    if todo:
        for i, ms in zip(todo, item_morphemes([SentenceItem(texts[i]) for i in todo])):
            out[i] = ms
    return out


def _morph_features(morphs: Sequence[tuple[str, str]]) -> list[str]:
    toks = [f"{f}/{t}" for f, t in morphs if t not in SKIP_TAGS]
    feats = [f"m:{t}" for t in toks]
    feats += [f"b:{a}+{b}" for a, b in zip(toks, toks[1:])]
    return feats


def _char_features(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries, as scikit-learn's ``char_wb`` analyzer makes them.

    >>> _char_features("AI 칩", 2, 3)
    ['c: a', 'c:ai', 'c:i ', 'c: ai', 'c:ai ', 'c: 칩', 'c:칩 ', 'c: 칩 ']
    """
    out = []
    for w in text.lower().split():
        w = f" {w} "
        n_w = len(w)
        for n in range(lo, hi + 1):
            for i in range(n_w - n + 1):
                out.append("c:" + w[i:i + n])
            if n_w < n:
                break
    return out


def _context_features(prefix: str, morphs: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{prefix}:{f}/{t}" for f, t in morphs if t.startswith(CONTENT_PREFIXES)]


def _doc_features(doc: Sequence[Sequence]) -> dict[str, list[str]]:
    """The ``doc:`` and ``lead:`` blocks of a document given as one morpheme sequence per sentence.

    >>> _doc_features(((("미국", "NNP"), ("은", "JX")), (("칩", "NNG"), ("미국", "NNP"))))
    {'doc': ['doc:미국/NNP', 'doc:칩/NNG'], 'lead': ['lead:미국/NNP']}
    """
    content = CONTENT_PREFIXES
    lead = doc[0] if len(doc) else ()
    return {"doc": sorted({f"doc:{m[0]}/{m[1]}" for ms in doc for m in ms if m[1].startswith(content)}),
            "lead": sorted({f"lead:{m[0]}/{m[1]}" for m in lead if m[1].startswith(content)})}


def _pretty(feature: str) -> str:
    kind, _, rest = feature.partition(":")
    if kind == "c":
        return f"«{rest.strip()}»"
    if kind in ("m", "b"):
        return rest
    return f"{kind}:{rest}"


class LinearClassifier(SentenceClassifier):
    """One-vs-rest logistic regression on morpheme + character n-gram features.

    Parameters
    ----------
    task : "dimensions" or "frames"
    C : inverse L2 regularisation strength of each logistic regression
    context : add features from the previous/next sentence of the same document
    context_weight : scale of the context block relative to the sentence's own blocks
    doc_context : add features of the whole document and of its first sentence (``doc:`` / ``lead:``);
        off by default (docs/classifiers.md: it helps news-length documents and hurts long ones);
        models saved before this option existed load with it off
    doc_weight, lead_weight : scales of those two blocks
    char_ngrams : (min_n, max_n) of the character n-grams
    min_df : minimum number of training sentences a feature must occur in
    cv : folds used to tune thresholds on out-of-fold probabilities (training data only)
    seed : seed of the folds
    """

    backend = "linear"

    def __init__(self, task: str = "dimensions", C: float = 4.0, context: bool = True, context_weight: float = 0.6,
                 char_ngrams: tuple[int, int] = (2, 4), min_df: int = 2, cv: int = 5, seed: int = 20240611,
                 char_weight: float = 1.0, doc_context: bool = False, doc_weight: float = 0.3,
                 lead_weight: float = 0.4) -> None:
        self.task = task
        self.C = C
        self.context = context
        self.context_weight = context_weight
        self.char_ngrams = tuple(char_ngrams)
        self.min_df = min_df
        self.cv = cv
        self.seed = seed
        self.char_weight = char_weight
        self.doc_context = doc_context
        self.doc_weight = doc_weight
        self.lead_weight = lead_weight

    # ------------------------------------------------------------------ features

    def _analyze(self, items: Sequence[SentenceItem]) -> list[dict[str, list[str]]]:
        """Per item, the feature strings of each block (before vocabulary lookup).

        Results are kept in a small per-process cache keyed by the analyzer settings
        and the item's text and neighbours, so the dimensions and frames stages
        (same analyzer, same sentences, one right after the other) extract features once.
        """
        lo, hi = self.char_ngrams
        settings = (lo, hi, self.context)
        keys = [(settings, it.text, it.prev_text, it.next_text) for it in items]
        out = [_FEATURE_CACHE.get(k) for k in keys]  # read hits first: inserting below may evict them
        todo = [i for i, blocks in enumerate(out) if blocks is None]
        if todo:
            sub = [items[i] for i in todo]
            morphs = item_morphemes(sub)
            if self.context:
                prev, nxt = context_morphemes(sub)
            for j, (item, ms) in enumerate(zip(sub, morphs)):
                blocks = {"m": _morph_features(ms), "c": _char_features(item.text, lo, hi)}
                if self.context:
                    blocks["ctx"] = _context_features("prev", prev[j]) + _context_features("next", nxt[j])
                out[todo[j]] = blocks
                _FEATURE_CACHE[keys[todo[j]]] = blocks
                if len(_FEATURE_CACHE) > _FEATURE_CACHE_SIZE:
                    _FEATURE_CACHE.popitem(last=False)
        return out

    def _doc_blocks(self, items: Sequence[SentenceItem]) -> list[dict[str, list[str]]]:
        """Per item, its document's ``doc`` / ``lead`` feature blocks; the same dict object for all items
        of one document (``extra["doc_morphemes"]``, set by the data loaders and the pipeline stage).
        An item without it is a one-sentence document of its own."""
        memo: dict[int, tuple] = {}
        alone = [i for i, it in enumerate(items) if it.extra.get("doc_morphemes") is None]
        own = dict(zip(alone, item_morphemes([items[i] for i in alone]))) if alone else {}
        out = []
        for i, it in enumerate(items):
            doc = it.extra.get("doc_morphemes")
            if doc is None:
                out.append(_doc_features((own[i],)))
                continue
            hit = memo.get(id(doc))
            if hit is None:  # the document is kept in the memo, so its id stays unique during the call
                hit = memo[id(doc)] = (doc, _doc_features(doc))
            out.append(hit[1])
        return out

    def _with_doc_blocks(self, items: Sequence[SentenceItem], analyzed: list[dict[str, list[str]]],
                         ) -> list[dict[str, list[str]]]:
        """``analyzed`` with the document blocks added (new dicts: the analyzed ones are cached)."""
        if not self.doc_context:
            return analyzed
        return [{**a, **d} for a, d in zip(analyzed, self._doc_blocks(items))]

    def _doc_offset(self, items: Sequence[SentenceItem]) -> np.ndarray | None:
        """Each item's score contribution from its document blocks, shape (n_items, n_labels); computed
        once per document.  None without ``doc_context``."""
        if not self.doc_context:
            return None
        out = np.empty((len(items), len(self.labels)))
        memo: dict[int, np.ndarray] = {}
        for i, blocks in enumerate(self._doc_blocks(items)):
            z = memo.get(id(blocks))
            if z is None:
                ((idx, val),) = self._rows([blocks], self._index, self.idf_)
                z = memo[id(blocks)] = val @ self.coef_[idx].astype(np.float64)
            out[i] = z
        return out

    def _block_weights(self) -> dict[str, float]:
        return {"m": 1.0, "c": self.char_weight, "ctx": self.context_weight, "doc": self.doc_weight,
                "lead": self.lead_weight}

    def _rows(self, analyzed: list[dict[str, list[str]]], vocab: dict[str, int] | FeatureIndex, idf: np.ndarray,
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sparse rows ``(indices, values)``: binary presence x idf, L2 per block, scaled per block.

        ``vocab`` is anything with the ``get`` of a ``{feature: index}`` dict."""
        bw = self._block_weights()
        rows = []
        for blocks in analyzed:
            idx_all, val_all = [], []
            for name, feats in blocks.items():
                get = vocab.get
                idx = np.fromiter(sorted({i for i in map(get, feats) if i is not None}), dtype=np.int64)
                if not len(idx):
                    continue
                val = idf[idx].astype(np.float64)
                val *= bw[name] / np.sqrt((val * val).sum())
                idx_all.append(idx)
                val_all.append(val)
            if idx_all:
                rows.append((np.concatenate(idx_all), np.concatenate(val_all)))
            else:
                rows.append((np.zeros(0, dtype=np.int64), np.zeros(0)))
        return rows

    def _fit_vocab(self, analyzed: list[dict[str, list[str]]]) -> tuple[dict[str, int], np.ndarray]:
        df: Counter = Counter()
        for blocks in analyzed:
            df.update({f for feats in blocks.values() for f in feats})
        feats = sorted(f for f, c in df.items() if c >= self.min_df)
        n = len(analyzed)
        idf = np.log((1 + n) / (1 + np.array([df[f] for f in feats], dtype=float))) + 1.0
        return {f: i for i, f in enumerate(feats)}, idf.astype(np.float32)

    @staticmethod
    def _csr(rows: list[tuple[np.ndarray, np.ndarray]], n_features: int):
        from scipy.sparse import csr_matrix

        indptr = np.cumsum([0] + [len(r[0]) for r in rows])
        indices = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
        return csr_matrix((data, indices, indptr), shape=(len(rows), n_features))

    # ------------------------------------------------------------------ fitting

    def _fit_weights(self, analyzed, Y: np.ndarray, sample_weight: np.ndarray | None = None,
                     ) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        vocab, idf = self._fit_vocab(analyzed)
        X = self._csr(self._rows(analyzed, vocab, idf), len(vocab))
        W = np.zeros((len(vocab), Y.shape[1]), dtype=np.float32)
        b = np.zeros(Y.shape[1], dtype=np.float32)
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():  # a label absent (or always present) in this training set
                b[j] = 20.0 if y.max() else -20.0
                continue
            lr = LogisticRegression(C=self.C, solver="liblinear", dual=True, class_weight="balanced",
                                    max_iter=2000, random_state=self.seed)
            lr.fit(X, y, sample_weight=sample_weight)
            W[:, j] = lr.coef_[0]
            b[j] = lr.intercept_[0]
        return vocab, idf, W, b

    @staticmethod
    def _proba(rows, W: np.ndarray, b: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        out = np.empty((len(rows), W.shape[1]))
        for i, (idx, val) in enumerate(rows):
            out[i] = val @ W[idx].astype(np.float64) + b
        if offset is not None:
            out += offset
        return 1.0 / (1.0 + np.exp(-out))

    def fit(self, items: Sequence[SentenceItem], Y: np.ndarray, groups: Sequence[str] | None = None,
            sample_weight: Sequence[float] | None = None) -> LinearClassifier:
        """Fit the weights on all ``items``; thresholds from ``cv``-fold out-of-fold probabilities.

        ``groups`` (default: the items' ``doc_id``) keeps a document's sentences in one fold.
        ``sample_weight`` (one weight per item) weights the logistic regressions; thresholds are tuned
        unweighted.
        """
        from .data import group_kfold

        Y = self._check_fit_input(items, Y)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if sw is not None and sw.shape != (len(items),):
            raise UsageError(f"sample_weight has shape {sw.shape}; expected ({len(items)},)")
        analyzed = self._with_doc_blocks(items, self._analyze(items))
        if groups is None:
            groups = [it.doc_id or f"#{i}" for i, it in enumerate(items)]
        groups = np.asarray(groups)
        oof = np.zeros(Y.shape, dtype=float)
        n_groups = len(set(groups.tolist()))
        if self.cv and self.cv >= 2 and n_groups >= self.cv:
            for tr, va in group_kfold(Y, groups, self.cv, self.seed):
                vocab, idf, W, b = self._fit_weights([analyzed[i] for i in tr], Y[tr], None if sw is None else sw[tr])
                oof[va] = self._proba(self._rows([analyzed[i] for i in va], vocab, idf), W, b)
            self.thresholds_ = tune_thresholds(Y, oof)
        else:
            self.thresholds_ = np.full(Y.shape[1], 0.5)
        vocabulary, self.idf_, self.coef_, self.intercept_ = self._fit_weights(analyzed, Y, sw)
        self._index = FeatureIndex.from_list(sorted(vocabulary, key=vocabulary.get), vocabulary)
        self.oof_proba_ = oof
        self.metadata_ = {"codebook_version": codebook_version(), "n_train": len(items),
                          "n_features": len(vocabulary),
                          "label_counts": dict(zip(self.labels, Y.sum(0).tolist()))}
        return self

    @property
    def features_(self) -> list[str]:
        """The feature strings; position = row of ``coef_`` and ``idf_`` (fitted or loaded models only)."""
        return self._index.tolist()

    @property
    def vocabulary_(self) -> dict[str, int]:
        """``{feature: position}``, the inverse of ``features_`` (fitted or loaded models only)."""
        return self._index.todict()

    # ------------------------------------------------------------------ prediction

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ModelError("LinearClassifier is not fitted; call fit() or load() first")

    def predict_proba(self, items: Sequence[SentenceItem]) -> np.ndarray:
        """Probabilities, shape ``(n_items, n_labels)``, computed with numpy only.

        The whole batch is featurised at once by the compiled tables of
        :mod:`nlp.classify.sparse`; a vocabulary they cannot express falls back to
        the reference feature code (``_analyze`` + ``_rows``), with the same result.
        """
        self._check_fitted()
        if not len(items):
            return np.zeros((0, len(self.labels)))
        offset = self._doc_offset(items)
        if self._feature_space() not in _COMPILED and len(items) < _COMPILE_MIN_ITEMS:
            # a small first batch (``tag`` on one document): compiling the tables would cost more than it saves
            return self._proba(self._cached_rows(items), self.coef_, self.intercept_, offset)
        compiled = self._compiled()
        if compiled is None:
            return self._proba(self._cached_rows(items), self.coef_, self.intercept_, offset)
        key = id(self.coef_)
        if getattr(self, "_coef_t_key", None) != key:
            self._coef_t, self._coef_t_key = np.ascontiguousarray(self.coef_.T), key
        return coo_proba(len(items), self._batch_rows(compiled, items), self._coef_t, self.intercept_, offset)

    def prepare(self) -> None:
        """Compile the batch feature tables now instead of at the first batch of 200 sentences or
        more (``nlp.corpus`` does it once before forking its workers)."""
        self._check_fitted()
        self._compiled()

    def _compiled(self) -> CompiledFeatures | None:
        """The compiled tables of this model's feature space, shared by models with the same space."""
        space = self._feature_space()
        if space not in _COMPILED:
            _COMPILED[space] = CompiledFeatures.compile(
                self.features_, self.idf_, self.char_ngrams, self.context, self._block_weights(), SKIP_TAGS,
                CONTENT_PREFIXES)
        return _COMPILED[space]

    def _batch_rows(self, compiled: CompiledFeatures, items: Sequence[SentenceItem]):
        """COO rows of a batch; the last few batches are kept so that the frames model reuses
        the rows the dimensions model computed for the same sentences (one shared feature space)."""
        texts = [it.text for it in items]
        given = ([it.morphemes for it in items], [it.extra.get("prev_morphemes", ()) for it in items],
                 [it.extra.get("next_morphemes", ()) for it in items])
        key = (self._feature_space(), self.context, tuple([(it.text, it.prev_text, it.next_text) for it in items]))
        hit = _BATCH_CACHE.get(key)
        # the same texts can carry other morphemes (Kiwi reads a sentence in its paragraph): compare them too
        # (fast: the stages pass the same tuples, and equal objects compare by identity first)
        if hit is not None and hit[0] == given:
            return hit[1]
        own = _given_or_tokenized(texts, given[0])
        prev = nxt = None
        if self.context:
            prev = _given_or_tokenized([it.prev_text for it in items], given[1])
            nxt = _given_or_tokenized([it.next_text for it in items], given[2])
        rows = compiled.rows(texts, own, prev, nxt)
        _BATCH_CACHE[key] = (given, rows)
        while len(_BATCH_CACHE) > _BATCH_CACHE_SIZE:
            _BATCH_CACHE.popitem(last=False)
        return rows

    def _feature_space(self) -> str:
        """Fingerprint of vocabulary, idf and block weights: models that share it (the shipped
        dimensions and frames models do) share their sparse rows through the row cache."""
        key = (id(self._index), id(self.idf_))
        if getattr(self, "_space_key", None) != key:
            h = hashlib.sha1(self._index.digest.encode("ascii"))
            h.update(np.ascontiguousarray(self.idf_, dtype=np.float32).tobytes())
            h.update(repr((self.char_ngrams, self.context, sorted(self._block_weights().items()))).encode())
            self._space_key, self._space = key, h.hexdigest()
        return self._space

    def _cached_rows(self, items: Sequence[SentenceItem]) -> list[tuple[np.ndarray, np.ndarray]]:
        space = self._feature_space()
        keys = [(space, it.text, it.prev_text, it.next_text) for it in items]
        out = [_ROW_CACHE.get(k) for k in keys]  # read hits first: inserting below may evict them
        todo = [i for i, row in enumerate(out) if row is None]
        if todo:
            rows = self._rows(self._analyze([items[i] for i in todo]), self._index, self.idf_)
            for i, row in zip(todo, rows):
                out[i] = row
                _ROW_CACHE[keys[i]] = row
            while len(_ROW_CACHE) > _FEATURE_CACHE_SIZE:
                _ROW_CACHE.popitem(last=False)
        return out

    def explain(self, item: SentenceItem, label: str, k: int = 5) -> list[str]:
        """Top-``k`` features of ``item`` by contribution (value x weight) to ``label``'s score.

        Morpheme features read ``form/tag``, bigrams ``a/tag+b/tag``, character
        n-grams ``«…»``, context features ``prev:…`` / ``next:…``, document features ``doc:…`` / ``lead:…``.
        """
        self._check_fitted()
        if label not in self.labels:
            raise ModelError(f"unknown {self.task} label {label!r}; allowed: {', '.join(self.labels)}")
        j = self.labels.index(label)
        idx, val = self._rows(self._with_doc_blocks([item], self._analyze([item])), self._index, self.idf_)[0]
        contrib = val * self.coef_[idx, j]
        order = np.argsort(-contrib)[:k]
        return [f"{_pretty(self._index[int(idx[o])])} ({contrib[o]:+.2f})" for o in order if contrib[o] > 0]

    # ------------------------------------------------------------------ persistence (JSON + npz)

    def _params(self) -> dict:
        return {"C": self.C, "context": self.context, "context_weight": self.context_weight,
                "char_ngrams": list(self.char_ngrams), "min_df": self.min_df, "cv": self.cv, "seed": self.seed,
                "char_weight": self.char_weight, "doc_context": self.doc_context, "doc_weight": self.doc_weight,
                "lead_weight": self.lead_weight}

    def save(self, path) -> None:
        """Write ``weights.npz``, ``features.txt`` and ``model.json`` (parameters, thresholds, the feature
        file's sha256) atomically; model.json last, so that it never names files not yet written."""
        self._check_fitted()
        path = Path(path)
        # uncompressed: inflating the weights was ~60% of loading both shipped models (cold start of tag)
        save_npz_atomic(path / "weights.npz", compressed=False, idf=np.asarray(self.idf_, dtype=np.float32),
                        coef=np.asarray(self.coef_, dtype=np.float32),
                        intercept=np.asarray(self.intercept_, dtype=np.float32))
        features = self.features_
        stored = write_feature_file(path, features) or {"features": features}
        write_json_atomic(path / "model.json", {
            "backend": self.backend, "task": self.task, "labels": list(self.labels),
            "codebook_version": codebook_version(), "params": self._params(),
            "thresholds": [float(t) for t in self.thresholds_], "metadata": getattr(self, "metadata_", {}),
            "weights": "weights.npz", **stored,
        })

    @classmethod
    def load(cls, path) -> LinearClassifier:
        """Read a saved linear model; shapes, finiteness and codebook labels are checked."""
        path = Path(path)
        meta = read_model_json(path, backend=cls.backend)
        try:
            params = dict(meta["params"])
            params["char_ngrams"] = tuple(params["char_ngrams"])
            params.setdefault("doc_context", False)  # saved before document features existed
            clf = cls(meta["task"], **params)
            arrays = load_npz(model_file_path(path, meta.get("weights", "weights.npz")))
            clf.idf_, clf.coef_, clf.intercept_ = arrays["idf"], arrays["coef"], arrays["intercept"]
            clf.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
            clf._index = _stored_features(path, meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{path}: incomplete linear model ({type(exc).__name__}: {exc})") from None
        n, L = len(clf._index), len(clf.labels)
        if clf.coef_.shape != (n, L) or clf.idf_.shape != (n,) or clf.intercept_.shape != (L,) \
                or clf.thresholds_.shape != (L,):
            raise ModelError(f"{path}: weights {clf.coef_.shape} do not match {n} features x {L} labels")
        clf.metadata_ = meta.get("metadata", {})
        return clf


def _stored_features(path: Path, meta: dict) -> FeatureIndex:
    """The feature index of a saved model: from ``features.txt`` (checked against the sha256 and count
    that model.json records), or from the inline ``features`` list of models saved before it existed.
    Models with the same features share one index (the shipped dimensions and frames models do)."""
    if "features" in meta:
        features = list(meta["features"])
        if set(map(type, features)) - {str}:
            bad = next(f for f in features if not isinstance(f, str))
            raise ModelError(f"{path / 'model.json'}: 'features' must be a list of strings, found "
                             f"{type(bad).__name__} {bad!r:.40}")
        return shared_index_from_list(features)
    if "features_file" not in meta:
        raise ModelError(f"{path / 'model.json'}: neither a 'features' list nor a 'features_file'")
    blob = read_feature_file(path, meta)
    index = shared_index(blob, meta["features_sha256"], bool(meta.get("features_sorted", False)),
                         str(model_file_path(path, meta["features_file"])))
    if len(index) != meta["features_count"]:
        raise ModelError(f"{path / 'model.json'}: features_count is {meta['features_count']}, the feature file "
                         f"has {len(index)} lines")
    return index
