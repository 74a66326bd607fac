import random
import re

import pytest

from nlp.errors import InputError
from nlp.textrepair import decode_bytes, html_to_text, normalize_chars, read_input, repair_text

# (raw offset of the last character before a line break inside a word,
#  number of characters of the word before the break, the word as restored)
ESSAY_WORD_BREAKS = [
    (172, 1, "때와는"), (817, 3, "국제규범의"), (1721, 3, "전국인민대표회의에서"), (2632, 1, "반도체를"),
    (4008, 1, "독점화·폐쇄화가"), (4962, 1, "알고리즘의"), (5888, 3, "위협하는"), (6860, 7, "의도적·비의도적"),
    (7562, 2, "안면인식"), (8176, 2, "되리라는"), (9152, 7, "동맹·파트너들과"), (10137, 4, "연방정부에"),
    (10706, 2, "사이버"), (11351, 2, "상황을"), (12111, 1, "한국의"), (13054, 1, "헤쳐"), (13779, 4, "윤리규범을"),
    (282, 1, "가동되었다"),
]


def _inverse(rep):
    inv = {}
    for i in range(len(rep.text)):
        inv.setdefault(rep.to_raw(i, i + 1)[0], i)
    return inv


def test_essay_word_breaks_joined(essay_bytes):
    rep = read_input(essay_bytes, "essay.txt")
    assert rep.layout == "wrapped"
    inv = _inverse(rep)
    for raw_off, left, word in ESSAY_WORD_BREAKS:
        assert rep.raw[raw_off + 1] == "\n"  # it really is a line break in the raw file
        i = inv[raw_off] - left + 1
        assert rep.text[i:i + len(word)] == word, (raw_off, word, rep.text[i - 5:i + len(word) + 5])
    for phrase in ("거세게 불고", "가동되었다", "AI 반도체를"):
        assert phrase in rep.text


def test_essay_paragraphs_match_indented_lines(essay_bytes):
    rep = read_input(essay_bytes, "essay.txt")
    indented = sum(1 for ln in rep.raw.split("\n") if re.match(r"^ {2,}\S", ln))
    assert indented == 29
    assert len(rep.paragraphs) == indented
    # headings (title, byline, four section titles) are kept apart from paragraphs
    assert sum(1 for b in rep.blocks if b.kind == "heading") == 6
    assert "\n\n" not in rep.text


def test_essay_round_trip_to_raw(essay_bytes):
    rep = read_input(essay_bytes, "essay.txt")
    rng = random.Random(7)
    for _ in range(500):
        a = rng.randrange(len(rep.text) - 30)
        b = a + rng.randrange(1, 30)
        ra, rb = rep.to_raw(a, b)
        assert re.sub(r"\s", "", rep.raw[ra:rb]) == re.sub(r"\s", "", rep.text[a:b])


def test_decode_encodings():
    text = "미국과 중국의 AI 경쟁"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_bytes(text.encode("euc-kr")) == (text, "euc-kr")
    # 똠 is in CP949 but not in EUC-KR
    assert decode_bytes("똠방각하 미국".encode("cp949")) == ("똠방각하 미국", "cp949")
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"\x00\x01\x02abc")
    with pytest.raises(InputError, match="not valid UTF-8"):
        decode_bytes(b"abc \x80\x80\x80 def \xc0")


def test_crlf_and_offsets():
    raw = "미국은 규제를 강화했다.\r\n중국은 반발했다.\r\n"
    rep = repair_text(raw)
    assert rep.text == "미국은 규제를 강화했다.\n중국은 반발했다."
    a = rep.text.index("중국")
    assert rep.raw[slice(*rep.to_raw(a, a + 2))] == "중국"


def test_nfc_and_fullwidth():
    decomposed = "\u1106\u1175\u1100\u116e\u11a8 ＡＩ"  # 미국 in conjoining jamo + full-width AI
    text, m = normalize_chars(decomposed)
    assert text == "미국 AI"
    assert m is not None
    rep = repair_text(decomposed)
    assert rep.text == "미국 AI"
    assert rep.to_raw(0, 2) == (0, 5)


def test_html_reduced_with_offsets():
    raw = "<html><head><title>t</title><style>p{}</style></head><body><p>미국&amp;중국</p><p>둘째</p>" \
          "<script>alert(1)</script></body></html>"
    rep = repair_text(raw, name="a.html")
    assert rep.layout == "html"
    assert rep.text.split("\n")[-2:] == ["미국&중국", "둘째"]
    a = rep.text.index("둘째")
    assert rep.raw[slice(*rep.to_raw(a, a + 2))] == "둘째"
    assert "alert" not in rep.text
    text, _ = html_to_text("<div>가<br/>나</div>")
    assert text.split() == ["가", "나"]


def test_page_numbers_dropped_in_wrapped_text():
    line = "미국과 중국의 인공지능 경쟁은 기술과 규범과 외교의 세 차원에서 동시에 전개되고 있으"
    raw = "\n".join([line] * 4 + ["- 3 -", line + "며", "   새 문단은 이렇게 시작한다. 그리고 이어지는 문장이 충분히 길게 씌어 있다고 하자"])
    rep = repair_text(raw)
    assert "- 3 -" not in rep.text
    assert rep.layout == "wrapped"


def test_empty_and_long_run_rejected():
    with pytest.raises(InputError, match="empty"):
        repair_text("   \n\t \n")
    with pytest.raises(InputError, match="without whitespace"):
        repair_text("가" * 6000)


def test_headings_and_bullets():
    rep = repair_text("반도체 전쟁의 새 국면\n□ AI 반도체 수출통제 강화\n1. 동맹국과 공조 확대\n미국은 규제를 넓혔다.")
    assert [b.kind for b in rep.blocks] == ["heading", "paragraph", "paragraph", "paragraph"]
