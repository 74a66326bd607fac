"""The only module that imports kiwipiepy; also the ``tokenize`` stage.

One Kiwi instance per process, created lazily and reused, with the actor
lexicon's single-word names as a user dictionary so that 오픈AI or 국가AI위원회
stay one token.  ``tokenize_blocks`` hands Kiwi an iterable, which is what
makes it use its worker threads.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from operator import attrgetter

from .document import Document, Morpheme, Sentence
from .stage import Stage, batched

_LOCK = threading.Lock()
_KIWI = None
_HANGUL = re.compile("[가-힣]")


def _user_words() -> list[str]:
    from .lexicon import load_lexicon

    words = set()
    for s in load_lexicon().surfaces:
        t = s.text
        if " " in t or len(t) < 2 or not _HANGUL.search(t):
            continue
        words.add(t)
    return sorted(words)


def get_kiwi(num_workers: int | None = None):
    """The process-wide Kiwi instance (loaded on first use, ~2-3 s).

    ``num_workers``: Kiwi worker threads for iterable input; default from
    ``KDISCOURSE_KIWI_WORKERS`` or Kiwi's own default (all cores).
    """
    global _KIWI
    if _KIWI is None:
        with _LOCK:
            if _KIWI is None:
                from kiwipiepy import Kiwi

                if num_workers is None:
                    num_workers = int(os.environ.get("KDISCOURSE_KIWI_WORKERS", "-1"))
                # The multi-word and typo dictionaries cost ~3.5 s of load and first-call time
                # and did not change results on our gold sets (see docs/actors.md); they can be
                # turned back on with KDISCOURSE_KIWI_FULL_DICTS=1.
                full = os.environ.get("KDISCOURSE_KIWI_FULL_DICTS", "") == "1"
                kiwi = Kiwi(num_workers=num_workers, load_typo_dict=full, load_multi_dict=full)
                for w in _user_words():
                    kiwi.add_user_word(w, "NNP", 0.0)
                _KIWI = kiwi
    return _KIWI


def kiwi_loaded() -> bool:
    """True once this process has made its Kiwi instance (and with it Kiwi's worker threads).

    A process that has not may fork workers that build their own (``nlp.corpus`` does).
    """
    return _KIWI is not None


def kiwi_version() -> str:
    """The installed kiwipiepy version."""
    import kiwipiepy

    return kiwipiepy.__version__


def tokenize_blocks(texts: Iterable[str], offsets: Iterable[int] | None = None,
                    ) -> Iterator[list[tuple[int, int, tuple[Morpheme, ...]]]]:
    """Split each text into sentences with morphemes, in one Kiwi pass.

    Yields, per input text, a list of ``(start, end, morphemes)`` with character
    offsets into that text, shifted by the matching value of ``offsets`` if given.

    >>> [(s, e, [m.form for m in ms][:2]) for s, e, ms in next(tokenize_blocks(["미국은 강하다. 중국도."]))]
    [(0, 8, ['미국', '은']), (9, 13, ['중국', '도'])]
    """
    kiwi = get_kiwi()
    shifts = iter(offsets) if offsets is not None else None
    for sents in kiwi.tokenize(texts, split_sents=True):
        base = next(shifts) if shifts is not None else 0
        if len(sents) > 1:
            sents = _reattach_quoted_tails(sents)
        out = []
        for toks in sents:
            if not toks:
                continue
            last = toks[-1]
            out.append((toks[0].start + base, last.start + last.len + base, Morphemes(toks, base)))
        yield out


# Kiwi's token attributes read in C, and Morpheme values made without the Python-level __new__ of a NamedTuple
_FORM_TAG = attrgetter("form", "tag")
_START_LEN = attrgetter("start", "len")
_FORM_TAG_START_LEN = attrgetter("form", "tag", "start", "len")
_new_morpheme = tuple.__new__


class Morphemes(Sequence):
    """Kiwi tokens of one sentence, exposed as :class:`Morpheme` values on access.

    Conversion happens only when a stage or the JSON writer asks for morphemes,
    so tokenizing a corpus does not pay for objects nobody reads.
    """

    __slots__ = ("_tokens", "_base", "_cache", "_form_tags")

    def __init__(self, tokens, base: int = 0) -> None:
        self._tokens = tokens
        self._base = base
        self._cache = None
        self._form_tags = None

    def form_tags(self) -> tuple[tuple[str, str], ...]:
        """``(form, tag)`` of each morpheme, what the classifiers read; computed once, without
        making the :class:`Morpheme` values (both classifier stages get the same tuple)."""
        if self._form_tags is None:
            src = self._tokens if self._cache is None else self._cache
            self._form_tags = tuple(map(_FORM_TAG, src))
        return self._form_tags

    def _materialize(self) -> tuple[Morpheme, ...]:
        if self._cache is None:
            b = self._base
            if self._form_tags is not None:  # the classifiers read the forms and tags already: reuse them
                self._cache = tuple([_new_morpheme(Morpheme, (f, t, s + b, s + n + b))
                                     for (f, t), (s, n) in zip(self._form_tags, map(_START_LEN, self._tokens))])
            else:
                self._cache = tuple([_new_morpheme(Morpheme, (f, t, s + b, s + n + b))
                                     for f, t, s, n in map(_FORM_TAG_START_LEN, self._tokens)])
            self._tokens = None  # Kiwi's token objects are large: keep only the morphemes (100k-line files)
        return self._cache

    def __getitem__(self, i):
        return self._materialize()[i]

    def __len__(self) -> int:
        return len(self._cache) if self._cache is not None else len(self._tokens)

    def __iter__(self):
        return iter(self._materialize())

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._materialize())

    def __repr__(self) -> str:
        return f"Morphemes({list(self)!r})"


def _reattach_quoted_tails(sents: list[list]) -> list[list]:
    """Move a tail that Kiwi left after a sentence end to the next sentence.

    Kiwi sometimes splits "... 보인다. ‘AI 바람’은 ..." after the quotation
    instead of before it; the quoted words belong to the next sentence.
    """
    sents = [list(t) for t in sents if t]
    for k in range(len(sents) - 1):
        toks = sents[k]
        last_sf = max((i for i, t in enumerate(toks) if t.tag == "SF"), default=-1)
        if last_sf < 0 or last_sf == len(toks) - 1:
            continue
        tail = toks[last_sf + 1:]
        if any(not t.tag.startswith("S") for t in tail) and toks[-1].tag != "SF":
            sents[k] = toks[:last_sf + 1]
            sents[k + 1] = tail + sents[k + 1]
    return sents


class Tokenizer(Stage):
    """Sentences and morphemes from Kiwi, one pass, batched across documents."""

    name = "tokenize"
    requires = ("text",)
    assigns = ("sentences", "morphemes")

    def __init__(self, batch_docs: int = 64) -> None:
        self.batch_docs = batch_docs

    def model_info(self) -> dict[str, str]:
        """The tokenizer's name and version."""
        return {"tokenizer": f"kiwipiepy-{kiwi_version()}"}

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Tokenize a stream, handing Kiwi the paragraphs of up to ``batch_docs`` documents at once."""
        info = self.model_info()
        for chunk in batched(docs, self.batch_docs):
            blocks = [(i, k, p[0], p[1]) for i, d in enumerate(chunk) if d.ok for k, p in enumerate(d.paragraphs)]
            results = tokenize_blocks((chunk[i].text[a:b] for i, _k, a, b in blocks), (a for _i, _k, a, _b in blocks))
            per_doc: dict[int, list[Sentence]] = {}
            for (i, k, _a, _b), sents in zip(blocks, results):
                text = chunk[i].text
                out = per_doc.setdefault(i, [])
                for s, e, morphs in sents:
                    out.append(Sentence(len(out), s, e, text[s:e], k, morphs))
            for i, d in enumerate(chunk):
                if not d.ok:
                    yield d
                    continue
                yield replace(d, sentences=tuple(per_doc.get(i, ())), stages=d.stages + (self.name,),
                              models={**d.models, **info})
