"""The HTML report in a real headless browser (Debian chromium), its escaping, and the PNG chart.

The browser tests need ``chromium`` (and fonts-noto-cjk for Korean glyphs), which
``.ci/run`` installs; they are skipped with the reason when it is missing.
Console output is read from chromium's log (``--enable-logging=stderr``), where
every console message, uncaught error and Content-Security-Policy violation
appears as an ``INFO:CONSOLE`` line; a control page proves the check can fail.
Set ``KDISCOURSE_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from nlp import Document, Mention, Sentence
from nlp.compare import compare_profiles
from nlp.gold import document_with_labels, profile_from_gold
from nlp.profile import document_profile, load_reference
from nlp.report.html import render_html, write_html

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "corpus" / "essay"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


needs_browser = pytest.mark.skipif(_browser() is None, reason="chromium not installed (.ci/run installs the "
                                                               "Debian chromium and fonts-noto-cjk packages)")


def run_browser(page: Path, tmp: Path, name: str) -> tuple[str, list[str], Path]:
    """Load ``page`` headless: returns the DOM after load, the console lines and the screenshot path."""
    shot = tmp / f"{name}.png"
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--hide-scrollbars", f"--user-data-dir={tmp / ('profile-' + name)}", "--enable-logging=stderr", "--v=0",
           "--window-size=1280,2600", f"--screenshot={shot}", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    keep = os.environ.get("KDISCOURSE_SCREENSHOT_DIR")
    if keep and shot.exists():
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    return proc.stdout, console, shot


def fixture_doc() -> Document:
    """A small Korean document with labels, a shared span (미중) and nested mentions."""
    sents = [
        ("미중 AI 패권경쟁이 격화되고 있다.", ("tech_platform", "diplomacy_arms"), ()),
        ("미국 상무부는 화웨이를 블랙리스트에 올렸다.", ("regulation_discourse",), ("economic_security",)),
        ("중국은 데이터 안보를 이유로 규제를 강화했다.", ("regulation_discourse",), ("tech_security",)),
        ("유엔은 책임 있는 군사적 AI 이용을 논의했다.", ("diplomacy_arms",), ("global_governance", "military_security")),
    ]
    text = " ".join(t for t, _, _ in sents)
    out, pos = [], 0
    for i, (t, d, f) in enumerate(sents):
        out.append(Sentence(i, pos, pos + len(t), t, 0, dimensions=d, frames=f))
        pos += len(t) + 1

    def m(surface, actor, typ, bloc, si, sub=None):
        s = out[si]
        start = text.index(surface, s.start)
        if sub:  # nested mention inside a longer name
            start, surface = text.index(sub, start), sub
        return Mention(start, start + len(surface), start, start + len(surface), surface, actor, typ, bloc, si, "t")

    ms = (m("미중", "US", "state", "US", 0), m("미중", "CN", "state", "CN", 0),
          m("미국 상무부", "US_COMMERCE", "agency", "US", 1), m("미국 상무부", "US", "state", "US", 1, sub="미국"),
          m("화웨이", "HUAWEI", "company", "CN", 1), m("중국", "CN", "state", "CN", 2), m("유엔", "UN", "intl_org",
                                                                                     "multilateral", 3))
    return Document("fixture", text, sentences=tuple(out), mentions=ms)


def report_doc(tokenizer_only) -> Document:
    """The essay with its gold labels when the essay and gold are present, else the fixture."""
    shared = Path(os.environ.get("KDISCOURSE_SHARED", REPO.parent / "shared"))
    essay = shared / "seeds" / "000_a2316ee7125e2d43.txt"
    if essay.exists() and (GOLD / "sentences.tsv").exists():
        from nlp import document_from_path

        doc = tokenizer_only(document_from_path(essay, "essay"))
        return document_with_labels(doc, profile_from_gold(GOLD / "sentences.tsv", GOLD / "mentions.tsv", doc=doc))
    return fixture_doc()


def _compare(doc: Document):
    return compare_profiles(document_profile(doc), load_reference())


# --------------------------------------------------------------------------- static HTML checks

def test_report_is_self_contained_and_shows_overlaps():
    doc = fixture_doc()
    page = render_html(doc, _compare(doc))
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external resource may be referenced"
    assert "default-src 'none'" in page
    # the shared span 미중 is one mark naming both actors; the nested 미국 inside 미국 상무부 names both
    assert 'data-actors="US CN"' in page and "US·CN" in page
    assert 'data-actors="US_COMMERCE US"' in page
    for needle in ("기술·플랫폼 경쟁", "외교·군비 경쟁", "국제규범·협력", "weighted-js-v1", 'id="s3"', "<svg"):
        assert needle in page


def test_document_text_is_escaped():
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> 미국 & "중국"'
    doc = Document('<b id="x">doc</b>', evil, sentences=(Sentence(0, 0, len(evil), evil, 0,
                                                                   dimensions=("regulation_discourse",)),),
                   mentions=(Mention(evil.index("미국"), evil.index("미국") + 2, 0, 0, '미국"><script>', "US", "state",
                                     "US", 0, "t"),))
    page = render_html(doc, _compare(doc))
    assert "<script" not in page.lower() and "<img" not in page.lower() and '<b id="x">' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b id=&quot;x&quot;&gt;doc&lt;/b&gt;" in page
    assert "&amp; &quot;중국&quot;" in page


# --------------------------------------------------------------------------- in the browser

@needs_browser
def test_browser_check_detects_console_errors(tmp_path):
    """Control: the console check does catch an error, so the report test can fail."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>'
                   "<body><p>한국어</p><script>console.error('boom'); missingFunction();</script></body></html>",
                   encoding="utf-8")
    _dom, console, _shot = run_browser(bad, tmp_path, "control")
    assert any("boom" in c for c in console) and any("Uncaught" in c for c in console)


@needs_browser
def test_report_in_headless_browser(tmp_path, tokenizer_only):
    doc = report_doc(tokenizer_only)
    page = write_html(tmp_path / "report.html", doc, _compare(doc))
    dom, console, shot = run_browser(page, tmp_path, f"report-{doc.id}")
    assert console == [], "console messages on load:\n" + "\n".join(console)
    # the Korean text is in the DOM (sentences are split by <mark>s and actor-id <sub>s: compare without them)
    visible = re.sub(r"<[^>]+>", "", re.sub(r'<sub class="aid"[^>]*>.*?</sub>', "", dom))
    long_sents = [s.text for s in doc.sentences if len(s.text) > 15]
    import html as _html

    visible = _html.unescape(visible)
    assert long_sents and sum(s in visible for s in long_sents) == len(long_sents)
    assert 'id="similarity"' in dom and "<svg" in dom
    assert shot.exists() and shot.stat().st_size > 50_000 and shot.read_bytes()[:4] == b"\x89PNG"


@needs_browser
def test_script_in_document_renders_as_text_in_browser(tmp_path):
    evil = "<script>console.error('injected')</script> 미국은 <img src=x onerror=\"console.error('img')\"> 규제했다."
    doc = Document("evil", evil, sentences=(Sentence(0, 0, len(evil), evil, 0, dimensions=("regulation_discourse",)),))
    page = write_html(tmp_path / "evil.html", doc, _compare(doc))
    dom, console, _shot = run_browser(page, tmp_path, "escaping")
    assert console == [], "the document's markup ran or loaded:\n" + "\n".join(console)
    body = dom[dom.index("<body"):]
    assert "<script" not in body.lower() and "<img" not in body.lower()
    assert "&lt;script&gt;console.error('injected')&lt;/script&gt;" in body


# --------------------------------------------------------------------------- PNG chart

def test_png_chart_has_korean_glyphs(tmp_path):
    from nlp.report.plot import korean_font, plot_comparison

    try:
        family = korean_font()
    except Exception as exc:  # noqa: BLE001 - the error names what to install
        pytest.skip(str(exc))
    doc = fixture_doc()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plot_comparison(_compare(doc), tmp_path / "chart.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()
               or "glyph" in str(w.message).lower()]
    assert missing == [], missing
    assert "CJK" in family or "Nanum" in family or "KR" in family
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_png_without_korean_font_fails_clearly(monkeypatch):
    from nlp.errors import ModelError
    from nlp.report import fonts

    monkeypatch.setattr(fonts, "PREFERRED_FONTS", ("No Such Font KR",))
    monkeypatch.setattr(fonts, "FILE_HINTS", ("nosuchfontfile",))
    monkeypatch.setattr(fonts, "_bundled_fonts", lambda: [])
    fonts.korean_font.cache_clear()
    try:
        with pytest.raises(ModelError, match="fonts-noto-cjk"):
            fonts.korean_font()
    finally:
        fonts.korean_font.cache_clear()


def test_bundled_font_has_hangul():
    """Without any system font the NanumGothic shipped by koreanize-matplotlib still draws Hangul."""
    from nlp.report import fonts

    files = fonts._bundled_fonts()
    if not files:
        pytest.skip("koreanize-matplotlib is not installed")
    assert any(fonts._has_hangul(f) for f in files)
