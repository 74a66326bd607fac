r"""Decoding, text repair and the offset map back to the raw input (codebook §6).

The repaired text is built from *pieces*: runs copied verbatim from the source
and short inserted strings (a space, a paragraph break) anchored to a source
position.  ``OffsetMap`` answers "where in the source is repaired position i"
by bisection, so mapping is cheap and the map is small (one entry per piece,
not per character).  Stages (HTML reduction, Unicode normalization, re-wrapping)
each produce a map; ``RepairedText.to_raw`` composes them.

>>> r = repair_text("미국과 중국이\r\n   경쟁한다.")
>>> r.text
'미국과 중국이\n경쟁한다.'
>>> r.raw[slice(*r.to_raw(8, 12))]
'경쟁한다'
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .decoding import decode_bytes
from .errors import InputError, display_path
from .htmlpage import CONTENT_TAGS, has_content_element, is_boilerplate, is_copyright, page_metadata

MAX_RUN_WITHOUT_SPACE = 5000
_FINAL_PUNCT = ".?!。？！…"
_CLOSERS = "'\"’”)]』」》〉"


class OffsetMap:
    """Piecewise map from positions in a derived text to positions in its source.

    ``starts[k]`` is where piece k begins in the derived text; ``src[k]`` where it
    begins in the source; ``verbatim[k]`` says whether the piece is a copy (then
    position ``starts[k] + d`` maps to ``src[k] + d``) or an insertion (every
    position maps to ``src[k]``).
    """

    __slots__ = ("starts", "src", "src_end", "verbatim", "length", "src_length")

    def __init__(self, length: int, src_length: int) -> None:
        self.starts: list[int] = []
        self.src: list[int] = []
        self.src_end: list[int] = []
        self.verbatim: list[bool] = []
        self.length = length
        self.src_length = src_length

    @classmethod
    def identity(cls, length: int) -> OffsetMap:
        """The map of a verbatim copy of a text of ``length`` characters."""
        m = cls(length, length)
        m.starts.append(0)
        m.src.append(0)
        m.src_end.append(length)
        m.verbatim.append(True)
        return m

    def is_identity(self) -> bool:
        """True when the derived text is a verbatim copy of the source."""
        return self.length == self.src_length and len(self.starts) == 1 and self.verbatim[0] \
            and self.starts[0] == 0 and self.src[0] == 0

    def to_dict(self) -> dict:
        """JSON form: lengths and the pieces ``[start, src, src_end, verbatim]``."""
        return {"length": self.length, "src_length": self.src_length,
                "pieces": [[a, b, c, int(v)] for a, b, c, v in zip(self.starts, self.src, self.src_end, self.verbatim)]}

    @classmethod
    def from_dict(cls, d: dict) -> OffsetMap:
        """Rebuild a map from :meth:`to_dict` output."""
        m = cls(int(d["length"]), int(d["src_length"]))
        for a, b, c, v in d["pieces"]:
            m.add(int(a), int(b), bool(v), int(c))
        return m

    def add(self, start: int, src: int, verbatim: bool, src_end: int | None = None) -> None:
        """Append a piece starting at derived position ``start`` (a copy or an insertion anchored at ``src``)."""
        self.starts.append(start)
        self.src.append(src)
        self.src_end.append(src + 1 if src_end is None else src_end)
        self.verbatim.append(verbatim)

    def position(self, i: int) -> int:
        """Source position of derived position ``i`` (``i == length`` maps to the end)."""
        if i >= self.length:
            return self.src_length
        k = bisect_right(self.starts, i) - 1
        if k < 0:
            return 0
        if self.verbatim[k]:
            return self.src[k] + (i - self.starts[k])
        return self.src[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source span of the derived span ``[start, end)``."""
        if end <= start:
            p = self.position(start)
            return p, p
        k = bisect_right(self.starts, end - 1) - 1
        if k >= 0 and not self.verbatim[k]:
            return self.position(start), self.src_end[k]
        return self.position(start), self.position(end - 1) + 1


class _Builder:
    """Accumulates pieces of a derived text and its map."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.n = 0
        self.map = OffsetMap(0, len(source))

    def copy(self, a: int, b: int) -> None:
        if b <= a:
            return
        self.map.add(self.n, a, True)
        self.parts.append(self.source[a:b])
        self.n += b - a

    def insert(self, s: str, anchor: int, anchor_end: int | None = None) -> None:
        if not s:
            return
        self.map.add(self.n, anchor, False, anchor_end)
        self.parts.append(s)
        self.n += len(s)

    def finish(self) -> tuple[str, OffsetMap]:
        self.map.length = self.n
        if not self.map.starts:
            self.map.add(0, 0, True)
        return "".join(self.parts), self.map


@dataclass(frozen=True)
class Block:
    """A paragraph or heading of the repaired text: ``[start, end)`` and its kind."""

    start: int
    end: int
    kind: str  # "paragraph" | "heading"


@dataclass(frozen=True)
class RepairedText:
    """Repaired text with its raw input, encoding, layout, blocks and the offset maps back to the raw input."""
    raw: str
    text: str
    encoding: str
    layout: str  # "wrapped" | "lines" | "html"
    blocks: tuple[Block, ...]
    maps: tuple[OffsetMap, ...]  # applied innermost last: text -> ... -> raw
    metadata: dict = field(default_factory=dict)  # a web page's title, date, outlet, author

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw-input span (offsets into the decoded input) of a repaired span."""
        a, b = start, end
        for m in reversed(self.maps):
            a, b = m.span(a, b)
        return a, b

    @property
    def paragraphs(self) -> tuple[Block, ...]:
        """The paragraph blocks (headings left out)."""
        return tuple(b for b in self.blocks if b.kind == "paragraph")


def looks_like_html(text: str, name: str = "") -> bool:
    """True when the text (or its file name) says HTML."""
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text[:512].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or ("<body" in head and "</" in text[:4096])


# --------------------------------------------------------------------------- HTML

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "section", "article", "header", "footer", "blockquote", "pre", "title", "dd", "dt",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head"}


class _HTMLText(HTMLParser):
    def __init__(self, source: str, boilerplate: bool = True) -> None:
        super().__init__(convert_charrefs=False)
        self.b = _Builder(source)
        self.skip = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.title_seen = False
        self.boilerplate = boilerplate
        # with an <article>/<main>, text outside it is page furniture
        self.need_content = boilerplate and has_content_element(source)
        self.content = 0
        self.drop_tag: str | None = None  # the boilerplate element being skipped, and its nesting depth
        self.drop_depth = 0

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _hidden(self) -> bool:
        return bool(self.skip or self.drop_tag or (self.need_content and not self.content))

    def handle_starttag(self, tag, attrs):
        if self.drop_tag:
            self.drop_depth += tag == self.drop_tag
            return
        if tag in _SKIP_TAGS and tag != "head":
            self.skip += 1
        elif self.boilerplate and not self.skip and is_boilerplate(tag, attrs, self.content > 0):
            self.drop_tag, self.drop_depth = tag, 1
            self.b.insert("\n", self._offset())
        else:
            self.content += tag in CONTENT_TAGS
            if tag in _BLOCK_TAGS:
                self.b.insert("\n", self._offset())

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS and not self.drop_tag:
            self.b.insert("\n", self._offset())

    def handle_endtag(self, tag):
        if self.drop_tag:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if self.drop_depth == 0:
                    self.drop_tag = None
            return
        if tag in _SKIP_TAGS and tag != "head":
            self.skip = max(0, self.skip - 1)
        else:
            if tag in CONTENT_TAGS:
                self.content = max(0, self.content - 1)
            if tag in _BLOCK_TAGS:
                self.b.insert("\n", self._offset())

    def handle_data(self, data):
        if self._hidden() or not data:
            return
        if self.boilerplate and is_copyright(data):
            return
        start = self._offset()
        # data is a verbatim slice of the source at this offset
        self.b.copy(start, start + len(data))

    def _ref_end(self, at: int, length: int) -> int:
        # the reference "&name" or "&#name" spans `length` characters, plus its ';' when it has one
        end = at + length
        return end + 1 if self.b.source[end:end + 1] == ";" else end

    def handle_entityref(self, name):
        if not self._hidden():
            ch = html.unescape(f"&{name};")
            at = self._offset()
            self.b.insert(ch, at, self._ref_end(at, len(name) + 1))

    def handle_charref(self, name):
        if not self._hidden():
            ch = html.unescape(f"&#{name};")
            at = self._offset()
            self.b.insert(ch, at, self._ref_end(at, len(name) + 2))


def html_to_text(source: str, boilerplate: bool = True) -> tuple[str, OffsetMap]:
    """Reduce HTML to text with block elements as line breaks; scripts and styles dropped.

    With ``boilerplate`` (the default) page furniture is dropped too: everything outside
    ``<article>``/``<main>`` when the page has one, menus, footers, share buttons,
    related-article lists and copyright lines (:mod:`nlp.htmlpage`). Kept text is copied
    verbatim, so the map leads every kept character back to the raw HTML.

    >>> html_to_text("<p>미국&amp;중국</p><script>x()</script>")[0].strip()
    '미국&중국'
    >>> html_to_text("<nav>홈 | 국제</nav><main><p>중국이 반발했다.</p></main><footer>ⓒ 신문</footer>")[0].strip()
    '중국이 반발했다.'
    """
    parser = _HTMLText(source, boilerplate)
    parser.feed(source)
    parser.close()
    return parser.b.finish()


# --------------------------------------------------------------------------- characters

_CHAR_TABLE = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_CHAR_TABLE.update({0x3000: 0x20, 0x00A0: 0x20, 0x200B: 0x20, 0xFEFF: 0x20, 0x0B: 0x20, 0x0C: 0x0A, 0x09: 0x20})
_SPECIAL = re.compile("[\uff01-\uff5e\u3000\u00a0\u200b\ufeff\x0b\x0c\t]")


def normalize_chars(text: str) -> tuple[str, OffsetMap | None]:
    """NFC, full-width ASCII to ASCII, odd spaces to plain spaces (curly quotes are kept:
    Kiwi splits sentences better with them).

    Returns the new text and a map, or ``None`` for the map when lengths are kept
    position by position (the common case).
    """
    if _SPECIAL.search(text):
        text = text.translate(_CHAR_TABLE)
    if unicodedata.is_normalized("NFC", text):
        return text, None
    b = _Builder(text)
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and _is_nonstarter(text[j]):
            j += 1
        seg = text[i:j]
        norm = unicodedata.normalize("NFC", seg)
        if norm == seg:
            b.copy(i, j)
        else:
            b.insert(norm, i, j)
        i = j
    return b.finish()


def _is_nonstarter(c: str) -> bool:
    o = ord(c)
    return unicodedata.combining(c) != 0 or 0x1160 <= o <= 0x11FF or 0xD7B0 <= o <= 0xD7FF


# --------------------------------------------------------------------------- layout

_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}|page\s+\d+|p\.\s*\d+)\s*$",
                          re.IGNORECASE)


# a bullet or numbered item (개조식) is content, not a heading, even without final punctuation
_BULLET = re.compile(r"^\s*(?:[-–—•·∙○●□■◇◆▲△▶▷※*]|\d{1,2}[.)]|[가-하][.)]|\(\d{1,2}\))\s*")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \u3000"))


def _ends_sentence(s: str) -> bool:
    s = s.rstrip().rstrip(_CLOSERS)
    return bool(s) and s[-1] in _FINAL_PUNCT


def _is_wrapped(lines: list[tuple[int, str]]) -> tuple[bool, float]:
    body = [ln for _, ln in lines if ln.strip()]
    if len(body) < 6:
        return False, 0.0
    import statistics  # with fractions and decimal, ~4 ms of a cold start that a short text never needs

    lengths = [len(ln.strip()) for ln in body]
    width = statistics.median(lengths)
    if width < 20:
        return False, width
    near = sum(1 for x in lengths if 0.8 * width <= x <= 1.25 * width) / len(lengths)
    final = sum(1 for ln in body if _ends_sentence(ln)) / len(body)
    return (near >= 0.5 and final < 0.5), width


def _split_lines(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        content = line[:-1] if line.endswith("\r") else line
        out.append((pos, content))
        pos += len(line) + 1
    return out


def _running_headers(lines: list[tuple[int, str]]) -> set[str]:
    counts: dict[str, int] = {}
    for _, ln in lines:
        s = ln.strip()
        if s and len(s) <= 40:
            counts[s] = counts.get(s, 0) + 1
    return {s for s, c in counts.items() if c >= 3}


def relayout(text: str) -> tuple[str, OffsetMap, tuple[Block, ...], str]:
    """Restore paragraphs and words; returns text, map, blocks and the layout name.

    A hard-wrapped text (most lines near one width, most not ending a sentence)
    is re-flowed: a line ending in a space breaks between words, one ending in a
    letter breaks inside a word, an indented line or one after a short line starts
    a paragraph.  Other texts keep one paragraph per line.
    """
    lines = _split_lines(text)
    wrapped, width = _is_wrapped(lines)
    b = _Builder(text)
    blocks: list[Block] = []
    cur_start: int | None = None
    cur_lines = 0
    prev_raw = ""  # previous line of the current block, as in the source

    def close_block() -> None:
        nonlocal cur_start, cur_lines
        if cur_start is None:
            return
        end = b.n
        kind = "paragraph"
        if cur_lines == 1 and not _ends_sentence(prev_raw) and not _BULLET.match(prev_raw) and (
            len(prev_raw.strip()) < (0.75 * width if wrapped else 40)
        ):
            kind = "heading"
        blocks.append(Block(cur_start, end, kind))
        cur_start = None
        cur_lines = 0

    if wrapped:
        headers = _running_headers(lines)
        nonblank_gaps = 0
        single_blank = 0
        last_text_idx = None
        for idx, (_, ln) in enumerate(lines):
            if ln.strip():
                if last_text_idx is not None:
                    nonblank_gaps += 1
                    if idx - last_text_idx == 2:
                        single_blank += 1
                last_text_idx = idx
        blank_is_artifact = nonblank_gaps > 0 and single_blank / nonblank_gaps >= 0.6
        # A single leading space is usually a PDF-extraction artifact inside a word (the reference essay
        # has a few: "경\n 쟁"); in a text where most lines start with one, it is the word break itself.
        text_lines = [ln for _, ln in lines if ln.strip()]
        space_led = sum(1 for ln in text_lines if ln.startswith(" ") and _indent(ln) < 2)
        leading_space_breaks = bool(text_lines) and space_led / len(text_lines) >= 0.5
        prev_short = True
        pending_blank = False
        for start, ln in lines:
            s = ln.strip()
            if not s:
                pending_blank = True
                continue
            if _PAGE_NUMBER.match(ln) or s in headers:
                continue
            ind = _indent(ln)
            new_block = (
                cur_start is None
                or ind >= 2
                or prev_short
                or (pending_blank and not blank_is_artifact)
            )
            pending_blank = False
            lead = ind if ind >= 2 else (1 if ln.startswith(" ") else 0)
            content_end = start + len(ln.rstrip())
            if new_block:
                close_block()
                if blocks or b.n:
                    b.insert("\n", start)
                cur_start = b.n
                b.copy(start + lead, content_end)
            else:
                if lead == 1 and leading_space_breaks and not prev_raw.endswith((" ", "\u3000")):
                    lead = 0  # this text breaks words with the space that starts the next line: keep it
                elif prev_raw.endswith((" ", "\u3000")):
                    b.insert(" ", start - 1)
                elif _ends_sentence(prev_raw) and s[:1].isalnum():
                    b.insert(" ", start - 1)
                b.copy(start + lead, content_end)
            cur_lines += 1
            prev_raw = ln
            prev_short = len(s) < 0.75 * width
        close_block()
        layout = "wrapped"
    else:
        for start, ln in lines:
            s = ln.strip()
            if not s or _PAGE_NUMBER.match(ln):
                continue
            lead = len(ln) - len(ln.lstrip())
            close_block()
            if blocks:
                b.insert("\n", start)
            cur_start = b.n
            b.copy(start + lead, start + len(ln.rstrip()))
            cur_lines = 1
            prev_raw = ln
        close_block()
        layout = "lines"
    out, m = b.finish()
    return out, m, tuple(blocks), layout


def repair_text(raw: str, encoding: str = "utf-8", name: str = "") -> RepairedText:
    """Repair decoded text: HTML reduction, character normalization, paragraph re-flow."""
    name = display_path(name) if name else name
    maps: list[OffsetMap] = []
    text = raw
    layout_hint = None
    page: dict = {}
    if looks_like_html(raw, name):
        text, m = html_to_text(raw)
        maps.append(m)
        layout_hint = "html"
        page = page_metadata(raw)
    text, m2 = normalize_chars(text)
    if m2 is not None:
        maps.append(m2)
    run = re.search(rf"\S{{{MAX_RUN_WITHOUT_SPACE + 1},}}", text)
    if run:
        raise InputError(
            f"{name or '<input>'}: a run of {len(run.group()):,} characters without whitespace "
            f"at offset {run.start():,}; not prose (limit {MAX_RUN_WITHOUT_SPACE:,})"
        )
    text, m3, blocks, layout = relayout(text)
    maps.append(m3)
    if not text.strip():
        what = "whitespace only" if raw.strip() == "" and raw else "no text"
        raise InputError(f"{name or '<input>'}: empty document ({what})")
    return RepairedText(raw=raw, text=text, encoding=encoding, layout=layout_hint or layout,
                        blocks=blocks, maps=tuple(maps), metadata=page)


def read_input(data: bytes, name: str = "<input>") -> RepairedText:
    """Decode and repair one input; :class:`InputError` for unreadable input."""
    raw, enc = decode_bytes(data, name)
    return repair_text(raw, enc, name)
