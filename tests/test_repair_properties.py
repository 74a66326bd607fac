"""Property-based tests (Hypothesis) of the repair and offset guarantees (issue 15, item 7).

For generated inputs -- Korean and mixed-script text, CRLF, hard wraps with leading and
trailing spaces, HTML with entities with and without ``;``, NFD, byte-order marks -- every
block, sentence and mention satisfies:

* ``text[start:end]`` is the span's text;
* its raw span lies inside the decoded input, and raw spans come in the order of the spans;
* the raw text of the span equals the repaired text modulo whitespace (and modulo the
  repairs themselves: tags and entities, NFC, full-width and odd spaces).

CI runs a fixed, derandomized budget; ``KDISCOURSE_HYPOTHESIS_EXAMPLES=20000`` runs a long one.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.errors import InputError
from nlp.textrepair import _CHAR_TABLE, read_input

EXAMPLES = int(os.environ.get("KDISCOURSE_HYPOTHESIS_EXAMPLES", "100"))
PIPELINE_EXAMPLES = max(10, EXAMPLES // 5)
PROFILE = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# words of our own; actor names so that mentions occur, Latin and digits for mixed script
WORDS = ["미국", "중국은", "한국", "정부는", "인공지능", "반도체", "수출통제를", "강화했다", "동맹과", "협력한다",
         "규제", "경쟁이", "심화된다", "AI", "chip", "export", "2025년", "미·중", "‘AI", "바람’은", "(美)", "EU의",
         "엔비디아", "화웨이", "ＡＩ", "데이터", "표준을", "주도한다", "그러나", "기술", "패권", "OpenAI",
         "“안보”", "対中", "…", "가", "갑"]
ENDINGS = ["", ".", "다.", "?", "!", "…", "다", "。"]


@st.composite
def word(draw) -> str:
    w = draw(st.sampled_from(WORDS))
    if draw(st.integers(0, 5)) == 0:
        w = unicodedata.normalize("NFD", w)  # decomposed Hangul
    return w


@st.composite
def line(draw, serial: int) -> str:
    words = draw(st.lists(word(), min_size=1, max_size=12))
    sep = draw(st.sampled_from([" ", " ", " ", "  ", "\u00a0", "\u3000", "\t"]))
    body = sep.join(words) + f" {serial}번" + draw(st.sampled_from(ENDINGS))  # serial: no running headers
    lead = " " * draw(st.integers(0, 3))
    trail = " " * draw(st.integers(0, 2))
    return lead + body + trail


@st.composite
def plain_document(draw) -> str:
    n = draw(st.integers(1, 12))
    lines = [draw(line(i)) for i in range(n)]
    if draw(st.booleans()):  # hard-wrap one long paragraph at a fixed width
        text = " ".join(s.strip() for s in lines)
        width = draw(st.integers(20, 50))
        cut = [text[i:i + width] for i in range(0, len(text), width)]
        lines = [c if k == 0 or draw(st.integers(0, 3)) else " " + c for k, c in enumerate(cut)]
    blank = draw(st.sampled_from(["", "", "\n"]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    return (nl + blank).join(lines) + draw(st.sampled_from(["", nl]))


def _entity(ch: str, draw) -> str:
    if ch == "&":
        return draw(st.sampled_from(["&amp;", "&amp ", "&amp;"]))
    if "\uac00" <= ch <= "\ud7a3":
        form = draw(st.sampled_from(["&#{};", "&#x{:X};", "&#{} ", "&#x{:x}한"]))
        return form.format(ord(ch))
    return ch


@st.composite
def html_document(draw) -> str:
    paras = []
    for i in range(draw(st.integers(1, 6))):
        text = draw(line(i)).strip() + draw(st.sampled_from(["", " & 규제"]))
        out = "".join(_entity(c, draw) if draw(st.integers(0, 6)) == 0 or c == "&" else c for c in text)
        out = out.replace("<", "&lt;")
        paras.append(draw(st.sampled_from(["<p>{}</p>", "<div>{}</div>", "{}<br>", "<li>{}</li>"])).format(out))
    nl = draw(st.sampled_from(["\n", "\r\n", ""]))
    return "<!DOCTYPE html><html><body>" + nl + nl.join(paras) + "</body></html>"


@st.composite
def encoded(draw) -> tuple[bytes, str]:
    is_html = draw(st.booleans())
    text = draw(html_document() if is_html else plain_document())
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp949"]))
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return data, "doc.html" if is_html else "doc.txt"


def canon(s: str, is_html: bool) -> str:
    """The text modulo whitespace and the repairs (tags, entities, NFC, full-width, odd spaces)."""
    if is_html:
        s = html.unescape(re.sub(r"<[^>]*>", "", s))
    s = "".join(s.translate(_CHAR_TABLE).split())  # whitespace first: a wrap may split a decomposed syllable
    return unicodedata.normalize("NFC", s).translate(_CHAR_TABLE)


def _check_span(rep, text: str, a: int, b: int, expected: str, is_html: bool, what: str) -> tuple[int, int]:
    assert 0 <= a <= b <= len(text), what
    assert text[a:b] == expected, what
    ra, rb = rep.to_raw(a, b)
    assert 0 <= ra <= rb <= len(rep.raw), what
    assert canon(rep.raw[ra:rb], is_html) == canon(expected, is_html), (what, rep.raw[ra:rb], expected)
    return ra, rb


def _repaired(data: bytes, name: str):
    try:
        return read_input(data, name)
    except InputError:
        return None


@settings(max_examples=EXAMPLES, **PROFILE)
@given(encoded())
def test_blocks_and_characters_map_back_in_order(sample):
    data, name = sample
    rep = _repaired(data, name)
    if rep is None:
        return
    is_html = rep.layout == "html"
    last = 0
    for k, blk in enumerate(rep.blocks):
        ra, _rb = _check_span(rep, rep.text, blk.start, blk.end, rep.text[blk.start:blk.end], is_html, f"block {k}")
        assert ra >= last
        last = ra
    starts = [rep.to_raw(i, i + 1)[0] for i in range(len(rep.text))]
    assert starts == sorted(starts)  # positions map monotonically
    for i, ch in enumerate(rep.text):
        if not ch.isspace():
            ra, rb = rep.to_raw(i, i + 1)
            assert canon(rep.raw[ra:rb], is_html) != "" or ch in "\u3000", (i, ch)


_PIPELINE = None


def _pipeline():
    global _PIPELINE
    if _PIPELINE is None:
        from nlp.pipeline import Pipeline

        _PIPELINE = Pipeline.from_config("actors")
    return _PIPELINE


@settings(max_examples=PIPELINE_EXAMPLES, **PROFILE)
@given(encoded())
def test_sentences_and_mentions_keep_their_offsets(sample):
    from nlp.inputs import document_from_bytes

    data, name = sample
    doc = next(_pipeline().pipe([document_from_bytes(data, "d", name)]))
    if not doc.ok:
        assert _repaired(data, name) is None  # only unreadable input is an error record
        return
    rep = doc.repaired
    is_html = rep.layout == "html"
    d = doc.to_dict()
    last = 0
    raw_of_sentence = {}
    for s in d["sentences"]:
        ra, rb = _check_span(rep, doc.text, s["start"], s["end"], s["text"], is_html, f"sentence {s['index']}")
        assert (ra, rb) == (s["raw_start"], s["raw_end"])
        assert ra >= last
        last = ra
        raw_of_sentence[s["index"]] = (ra, rb)
    for m in d["mentions"]:
        ra, rb = _check_span(rep, doc.text, m["start"], m["end"], m["text"], is_html, f"mention {m}")
        assert (ra, rb) == (m["raw_start"], m["raw_end"])
        sa, sb = raw_of_sentence[m["sentence"]]
        assert sa <= ra <= rb <= sb


@pytest.mark.parametrize("src", ["<p>가&#54620 나</p>", "<p>가&#xD55C; 나 &amp 다</p>"])
def test_known_cases_of_the_properties(src):
    rep = read_input(src.encode(), "x.html")
    for i in range(len(rep.text)):
        ra, rb = rep.to_raw(i, i + 1)
        assert canon(rep.raw[ra:rb], True) == canon(rep.text[i], True)
