"""Web pages: which parts of a page are boilerplate (menus, footers, share buttons, copyright lines,
related-article lists), and the page's own metadata (title, date, outlet, author).

``nlp.textrepair.html_to_text`` asks :class:`BoilerplateRules` element by element, so
the text it keeps is still copied verbatim from the raw HTML and every kept character
maps back to it exactly. When a page has an ``<article>`` or ``<main>`` element, only
text inside it is kept; inside (and on pages without one) elements are dropped by tag
(``nav``, ``footer``, ``aside``, ``form``, ``button``; a ``header`` outside the
article), by ARIA role, or by a class/id word such as ``gnb``, ``share``,
``related``, ``copyright``.

Why not trafilatura's text: on our test page (tests/fixtures/news_page.html) its
``extract`` keeps the share buttons, the advertisement and the related-article list,
joins all paragraphs into one line and returns text without offsets into the page,
so it cannot keep the offset contract. Its metadata extraction is good, and is used
(when installed: ``pip install kdiscourse[web]``) for what the page's ``<meta>`` tags
do not say.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# tags whose whole content is page furniture, wherever they stand
DROP_TAGS = frozenset({"nav", "footer", "aside", "form", "button", "select", "iframe", "svg", "figcaption"})
# tags that are furniture outside the article (an article's own header holds its headline)
DROP_OUTSIDE_CONTENT = frozenset({"header"})
CONTENT_TAGS = frozenset({"article", "main"})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                       "track", "wbr"})
DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
# words of a class or id that mark furniture (split on spaces, '-' and '_')
DROP_WORDS = frozenset({
    "gnb", "lnb", "snb", "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "footer",
    "share", "sharing", "sns", "social", "related", "recommend", "recommended", "popular", "ranking",
    "banner", "ad", "ads", "advert", "advertisement", "sponsor", "sponsored", "comment", "comments",
    "reply", "login", "subscribe", "newsletter", "copyright", "util", "skip", "byline", "tags", "toolbar",
})
# a text node that is a copyright or reprint notice
COPYRIGHT = re.compile(r"(ⓒ|©|\(c\)\s|copyright|all rights reserved|무단\s*전재|재배포\s*금지|저작권자)", re.I)
_WORD_SPLIT = re.compile(r"[\s_\-]+")


def has_content_element(source: str) -> bool:
    """True when the page marks its content with ``<article>`` or ``<main>``.

    >>> has_content_element("<body><main><p>본문</p></main></body>"), has_content_element("<p>본문</p>")
    (True, False)
    """
    return re.search(r"<(article|main)[\s>]", source, re.I) is not None


def is_boilerplate(tag: str, attrs: list[tuple[str, str | None]], in_content: bool) -> bool:
    """True when the element ``tag`` with ``attrs`` is page furniture; ``in_content``: inside article/main.

    >>> is_boilerplate("div", [("class", "share-buttons")], True), is_boilerplate("p", [], True)
    (True, False)
    >>> is_boilerplate("header", [], False), is_boilerplate("header", [], True)
    (True, False)
    """
    if tag in VOID_TAGS:
        return False
    if tag in DROP_TAGS or (tag in DROP_OUTSIDE_CONTENT and not in_content):
        return True
    for name, value in attrs:
        if not value:
            continue
        if name == "role" and value.strip().lower() in DROP_ROLES:
            return True
        if name in ("class", "id") and DROP_WORDS.intersection(_WORD_SPLIT.split(value.lower())):
            return True
    return False


def is_copyright(text: str) -> bool:
    """True for a copyright or reprint notice.

    >>> is_copyright("Copyright ⓒ 가람일보. 무단 전재 및 재배포 금지."), is_copyright("미국이 반도체를 통제했다.")
    (True, False)
    """
    return COPYRIGHT.search(text) is not None


class _MetaParser(HTMLParser):
    """Collects ``<meta>`` values, the ``<title>`` text and the first ``<time datetime>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.time: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.meta:
                self.meta[key] = a["content"].strip()
        elif tag == "title":
            self.in_title = True
        elif tag == "time" and self.time is None and a.get("datetime"):
            self.time = a["datetime"]

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)


_DATE = re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})")


def _iso_date(value: str | None) -> str | None:
    m = _DATE.search(value or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def _first(meta: dict[str, str], *keys: str) -> str | None:
    for k in keys:
        if meta.get(k):
            return meta[k]
    return None


def page_metadata(source: str, use_library: bool = True) -> dict[str, str]:
    """Title, date (ISO), outlet and author of a web page, from its metadata; keys only for what was found.

    ``<meta>`` tags first (Open Graph, article:*, Dublin Core, itemprop), then ``<title>``
    (an outlet suffix such as `` | 가람일보`` removed) and ``<time datetime>``; what is still
    missing comes from trafilatura's metadata extraction when it is installed.

    >>> page_metadata('<meta property="og:site_name" content="가람일보"><title>제목 | 가람일보</title>'
    ...               '<time datetime="2024-03-05T09:30">3월 5일</time>', use_library=False)
    {'title': '제목', 'date': '2024-03-05', 'outlet': '가람일보'}
    """
    p = _MetaParser()
    try:
        p.feed(source)
        p.close()
    except Exception:  # noqa: BLE001 - malformed markup gives less metadata, never an error
        pass
    m = p.meta
    outlet = _first(m, "og:site_name", "application-name", "twitter:site", "dc.publisher", "publisher")
    title = _first(m, "og:title", "twitter:title", "dc.title", "headline", "title")
    if not title and p.title:
        title = re.split(r"\s+[|–—-]\s+", " ".join("".join(p.title).split()))[0] or None
    date = _iso_date(_first(m, "article:published_time", "og:published_time", "datepublished", "date",
                            "dc.date", "pubdate", "article:modified_time") or p.time)
    author = _first(m, "author", "article:author", "dc.creator")
    out = {"title": title, "date": date, "outlet": outlet, "author": author}
    if use_library and not all(out.values()):
        out = {**_library_metadata(source), **{k: v for k, v in out.items() if v}}
    return {k: v for k, v in out.items() if v}


def _library_metadata(source: str) -> dict[str, str]:
    """What trafilatura finds (title, date, sitename, author), or nothing when it is not installed."""
    try:
        from trafilatura import extract_metadata
    except Exception:  # noqa: BLE001 - optional; a broken install (lxml without html-clean) counts as absent
        return {}
    try:
        doc = extract_metadata(source)
    except Exception:  # noqa: BLE001 - the library's own parsing failures only mean less metadata
        return {}
    if doc is None:
        return {}
    found = {"title": doc.title, "date": _iso_date(doc.date), "outlet": doc.sitename, "author": doc.author}
    return {k: v for k, v in found.items() if v}
