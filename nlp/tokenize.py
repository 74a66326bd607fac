"""The only module that imports kiwipiepy.

One Kiwi instance per process, created lazily and reused, with the actor
lexicon's single-word names as a user dictionary so that 오픈AI or 국가AI위원회
stay one token.  ``tokenize_blocks`` hands Kiwi an iterable, which is what
makes it use its worker threads.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator

from .document import Morpheme

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
                kiwi = Kiwi(num_workers=num_workers)
                for w in _user_words():
                    kiwi.add_user_word(w, "NNP", 0.0)
                _KIWI = kiwi
    return _KIWI


def kiwi_version() -> str:
    import kiwipiepy

    return kiwipiepy.__version__


def tokenize_blocks(texts: Iterable[str]) -> Iterator[list[tuple[int, int, tuple[Morpheme, ...]]]]:
    """Split each text into sentences with morphemes, in one Kiwi pass.

    Yields, per input text, a list of ``(start, end, morphemes)`` with character
    offsets into that text.

    >>> [(s, e, [m.form for m in ms][:2]) for s, e, ms in next(tokenize_blocks(["미국은 강하다. 중국도."]))]
    [(0, 8, ['미국', '은']), (9, 12, ['중국', '도'])]
    """
    kiwi = get_kiwi()
    for sents in kiwi.tokenize(texts, split_sents=True):
        sents = _reattach_quoted_tails([list(t) for t in sents if t])
        out = []
        for toks in sents:
            morphs = tuple([Morpheme(t.form, t.tag, t.start, t.start + t.len) for t in toks])
            out.append((toks[0].start, toks[-1].start + toks[-1].len, morphs))
        yield out


def _reattach_quoted_tails(sents: list[list]) -> list[list]:
    """Move a tail that Kiwi left after a sentence end to the next sentence.

    Kiwi sometimes splits "... 보인다. ‘AI 바람’은 ..." after the quotation
    instead of before it; the quoted words belong to the next sentence.
    """
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
