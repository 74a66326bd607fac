"""Boilerplate removal on a news page written by us (tests/fixtures/news_page.html), offsets kept exact."""

from __future__ import annotations

import html
from pathlib import Path

from nlp.htmlpage import page_metadata
from nlp.inputs import document_from_bytes
from nlp.textrepair import html_to_text, read_input

PAGE = Path(__file__).resolve().parent / "fixtures" / "news_page.html"

BODY = [
    "미중 반도체 갈등, 한국의 선택지는",
    "미국 상무부는 중국으로 가는 첨단 반도체 장비의 수출을 한층 더 통제하겠다고 밝혔다.",
    "중국 정부는 이번 조치가 자유무역 질서를 해친다며 반발했고, 희귀 광물 수출 관리로 맞설 수 있다고 시사했다.",
    "한국 정부는 삼성전자&SK하이닉스의 중국 공장 운영에 미칠 영향을 점검하고 있다.",
    "전문가들은 한국이 동맹과의 공조를 유지하면서도 시장 다변화를 서둘러야 한다고 조언했다.",
]
FURNITURE = ["본문 바로가기", "정치", "로그인", "구독신청", "홈", "페이스북", "링크 복사", "광고 문의", "관련 기사",
             "엔비디아, 중국 전용 칩", "많이 본 뉴스", "오늘의 날씨", "개인정보처리방침", "Copyright", "무단 전재",
             "입력 2024.03.05"]


def test_news_page_keeps_the_article_and_drops_the_furniture():
    rep = read_input(PAGE.read_bytes(), "news_page.html")
    assert rep.layout == "html"
    assert [line for line in rep.text.split("\n") if line.strip()] == BODY
    for piece in FURNITURE:
        assert piece not in rep.text, piece


def test_every_kept_line_maps_back_into_the_raw_html_exactly():
    rep = read_input(PAGE.read_bytes(), "news_page.html")
    pos = 0
    for line in BODY:
        start = rep.text.index(line, pos)
        pos = start + len(line)
        a, b = rep.to_raw(start, pos)
        raw = rep.raw[a:b]
        assert html.unescape(raw) == line  # the &amp; of the page is the only difference
        for k, ch in enumerate(line):  # and character by character
            ra, rb = rep.to_raw(start + k, start + k + 1)
            assert html.unescape(rep.raw[ra:rb]) == ch


def test_page_metadata_becomes_document_metadata(tokenizer_only):
    doc = document_from_bytes(PAGE.read_bytes(), "p", "news_page.html", {"outlet": "수집기 지정"})
    assert doc.metadata == {"title": "미중 반도체 갈등, 한국의 선택지는", "date": "2024-03-05",
                            "outlet": "수집기 지정", "author": "김가람 기자"}  # the caller's value wins
    tagged = tokenizer_only(doc)
    assert len(tagged.sentences) == 5
    raw = PAGE.read_text(encoding="utf-8")
    for s in tagged.sentences:
        ra, rb = tagged.to_raw(s.start, s.end)
        assert html.unescape(raw[ra:rb]) == s.text


def test_pages_without_article_and_the_switch():
    raw = ("<html><body><div id='gnb'><a>국제</a></div><p>미국이 규제를 발표했다.</p>"
           "<div class='sns-share'>공유</div><footer>ⓒ 누리신문</footer><p>저작권자 ⓒ 누리신문</p></body></html>")
    assert html_to_text(raw)[0].split() == ["미국이", "규제를", "발표했다."]
    everything = html_to_text(raw, boilerplate=False)[0]
    assert "국제" in everything and "공유" in everything and "누리신문" in everything


def test_metadata_from_title_and_time_only():
    raw = "<html><head><title>AI 규범 경쟁 - 다온경제</title></head><body><time datetime='2023.11.02'>어제</time></body>"
    meta = page_metadata(raw, use_library=False)
    assert meta == {"title": "AI 규범 경쟁", "date": "2023-11-02"}
