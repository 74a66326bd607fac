"""A self-contained HTML report for one document compared with a reference (codebook §5).

One file, no JavaScript, no external resources (a Content-Security-Policy meta
tag forbids them): inline CSS, and charts drawn here as inline SVG.  Every
piece of document-derived text (id, path, sentences, mentions, metadata) goes
through :func:`html.escape`, so a document containing ``<script>`` renders as
text.

Sections: header with the similarity and its method; legend; the text with
actor mentions highlighted by bloc (shared or overlapping spans show every
actor) and each sentence's dimensions and frames; the document's profile next
to the reference's as bar charts; the differences with links to the sentences
that drive them; absent key elements; bloc balance; the actor-frame network.

>>> from nlp.document import Document, Sentence
>>> from nlp.compare import compare_profiles
>>> from nlp.profile import document_profile
>>> d = Document("x", "<b>미국</b>", sentences=(Sentence(0, 0, 11, "<b>미국</b>", 0),))
>>> "&lt;b&gt;미국&lt;/b&gt;" in render_html(d, compare_profiles(document_profile(d), document_profile(d)))
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from ..atomic import write_text_atomic
from ..compare import COMPONENT_NAMES_KO, KIND_NAMES_KO, METHOD_DESCRIPTION_KO, Comparison, similarity_in_words
from ..document import Document, Mention, Sentence
from ..labels import codebook_version, dimension_ids, display, frame_ids, korean_name
from ..profile import NONE, display_name

DIMENSION_COLORS = display()["dimension_colors"]
BLOC_COLORS = display()["bloc_colors"]
BLOC_NAMES = display()["bloc_names"]
DOC_COLOR, REF_COLOR = "#1e3a5f", "#a8b8cc"
FONT_STACK = ('"Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR", "Apple SD Gothic Neo", '
              '"Malgun Gothic", "NanumGothic", sans-serif')
MAX_LINKS = 8
MAX_REF_LINKS = 6


def e(value: object) -> str:
    """Escape any value, whatever its type, for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def anchor(value: object) -> str:
    """A fragment id for a sentence: only ``[A-Za-z0-9_-]`` survive, so it is safe in ``id`` and in ``href="#…"``.

    >>> anchor(3), anchor('1" onmouseover="x')
    ('s3', 's1__onmouseover__x')
    """
    return "s" + re.sub(r"[^A-Za-z0-9_-]", "_", str(value))


def _bloc_color(bloc: str) -> str:
    return BLOC_COLORS.get(bloc, BLOC_COLORS["other"])


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


# --------------------------------------------------------------------------- text with mentions

def _mention_title(ms: Sequence[Mention]) -> str:
    parts = [f"{m.text or ''} → {display_name('actor', m.actor)} ({m.actor}, {m.type}, "
             f"{BLOC_NAMES.get(m.bloc, m.bloc)})" for m in ms]
    return " · ".join(dict.fromkeys(parts))


def _render_sentence_text(s: Sentence, mentions: Sequence[Mention]) -> str:
    """The sentence with mentions as ``<mark>``; shared or overlapping spans list every actor."""
    text, base = s.text, s.start
    spans = []
    for m in mentions:
        a, b = max(m.start - base, 0), min(m.end - base, len(text))
        if a < b:
            spans.append((a, b, m))
    if not spans:
        return e(text)
    cuts = sorted({0, len(text), *[a for a, _, _ in spans], *[b for _, b, _ in spans]})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        seg = text[a:b]
        cover = [m for x, y, m in spans if x <= a and b <= y]
        if not cover:
            out.append(e(seg))
            continue
        blocs = list(dict.fromkeys(m.bloc for m in cover))
        actors = list(dict.fromkeys(m.actor for m in cover))
        if len(blocs) == 1:
            style = f"background:{_bloc_color(blocs[0])}22;border-bottom-color:{_bloc_color(blocs[0])}"
        else:
            n = len(blocs)
            stops = ",".join(f"{_bloc_color(bl)}33 {i * 100 / n:.0f}% {(i + 1) * 100 / n:.0f}%"
                             for i, bl in enumerate(blocs))
            style = f"background:linear-gradient(180deg,{stops});border-bottom-color:{_bloc_color(blocs[-1])}"
        cls = "m multi" if len(actors) > 1 else "m"
        out.append(f'<mark class="{cls}" style="{e(style)}" title="{e(_mention_title(cover))}" '
                   f'data-actors="{e(" ".join(actors))}">{e(seg)}</mark>')
        ending = [m for x, y, m in spans if y == b and x < b and m in cover]
        if ending:
            # the Korean name where the text does not already say it (중국 정부 → 중국 is said; 틱톡 → 바이트댄스 is not)
            surface = text[min(x for x, y, m in spans if m in ending):b]
            names = [n for n in dict.fromkeys(display_name("actor", m.actor) for m in ending) if n not in surface]
            if names:
                out.append(f'<sub class="aid" title="{e("·".join(dict.fromkeys(m.actor for m in ending)))}">'
                           f'{e("·".join(names))}</sub>')
    return "".join(out)


def _chips(s: Sentence, layers: frozenset[str]) -> str:
    out = []
    if "dimensions" in layers:
        for d in s.dimensions:
            out.append(f'<span class="chip dim" style="background:{DIMENSION_COLORS.get(d, "#555")}" '
                       f'title="{e(d)}">{e(display_name("dimension", d))}</span>')
        if not s.dimensions:
            out.append('<span class="chip none" title="차원 없음">차원 없음</span>')
    if "frames" in layers:
        for f in s.frames:
            out.append(f'<span class="chip frame" title="{e(f)}">{e(display_name("frame", f))}</span>')
    return "".join(out)


def _text_section(doc: Document, cmp: Comparison) -> str:
    layers = cmp.document.layers
    by_sent: dict[int, list[Mention]] = {}
    for m in doc.mentions:
        by_sent.setdefault(m.sentence, []).append(m)
    rows = []
    last_par = None
    for s in doc.sentences:
        if last_par is not None and s.paragraph != last_par:
            rows.append('<div class="pbreak"></div>')
        last_par = s.paragraph
        bars = "".join(f'<i style="background:{DIMENSION_COLORS.get(d, "#555")}" title="{e(d)}"></i>'
                       for d in s.dimensions) or '<i class="empty"></i>'
        rows.append(
            f'<div class="sent" id="{anchor(s.index)}"><span class="bars">{bars}</span>'
            f'<a class="idx" href="#{anchor(s.index)}">{e(s.index)}</a>'
            f'<div class="body"><p class="stext">{_render_sentence_text(s, by_sent.get(s.index, ()))}</p>'
            f'<div class="labels">{_chips(s, layers)}</div></div></div>')
    if not doc.sentences:
        rows.append('<p class="note">문장이 없습니다 (no sentences).</p>')
    notes = []
    for layer, ko in (("dimensions", "차원"), ("frames", "프레임"), ("actors", "행위자")):
        if layer not in layers:
            notes.append(f"{ko}({layer}) 주석 없음 — 이 층은 비교에서 제외되었습니다.")
    note = "".join(f'<p class="note">{e(n)}</p>' for n in notes)
    return f'<section id="text"><h2>본문 <small>문장마다 경쟁 차원·프레임 주석</small></h2>{note}{"".join(rows)}</section>'


# --------------------------------------------------------------------------- SVG charts

def _bars_svg(title: str, rows: Sequence[tuple[str, float, float]], doc_name: str, ref_name: str,
              unit: str, width: int = 520) -> str:
    label_w, right_pad, row_h, top = 150, 46, 24, 46
    bar_w = width - label_w - right_pad
    height = top + row_h * len(rows) + 8
    scale = max([0.05, *[max(d, r) for _, d, r in rows]])
    parts = [f'<svg class="chart" role="img" aria-label="{e(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="14" class="ct">{e(title)}</text>',
             f'<rect x="{label_w}" y="22" width="10" height="10" fill="{DOC_COLOR}"/>'
             f'<text x="{label_w + 14}" y="31" class="cl">문서: {e(doc_name)}</text>',
             f'<rect x="{label_w + 200}" y="22" width="10" height="10" fill="{REF_COLOR}"/>'
             f'<text x="{label_w + 214}" y="31" class="cl">기준: {e(ref_name)}</text>']
    for i, (label, d, r) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="cl">{e(label)}</text>')
        for j, (val, color) in enumerate(((d, DOC_COLOR), (r, REF_COLOR))):
            w = bar_w * val / scale
            yy = y + 3 + j * 9
            parts.append(f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="8" fill="{color}">'
                         f'<title>{e(label)}: {"문서" if j == 0 else "기준"} {val:.1%} {e(unit)}</title></rect>')
            parts.append(f'<text x="{label_w + w + 3:.1f}" y="{yy + 7.5}" class="cv">{val:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _profile_section(cmp: Comparison) -> str:
    doc, ref = cmp.document, cmp.reference
    charts = []
    if {"dimensions"} <= doc.layers & ref.layers:
        rows = [(display_name("dimension", d), doc.dimension_shares[d], ref.dimension_shares[d])
                for d in (*dimension_ids(), NONE)]
        charts.append(_bars_svg("경쟁 차원 (문장 비율)", rows, doc.name, ref.name, "문장 중"))
    if {"frames"} <= doc.layers & ref.layers:
        rows = [(display_name("frame", f), doc.frame_shares[f], ref.frame_shares[f]) for f in (*frame_ids(), NONE)]
        charts.append(_bars_svg("안보·규제 프레임 (문장 비율)", rows, doc.name, ref.name, "문장 중"))
    if {"actors"} <= doc.layers & ref.layers:
        rows = [(BLOC_NAMES.get(b, b), doc.bloc_shares.get(b, 0.0), ref.bloc_shares.get(b, 0.0))
                for b in dict.fromkeys([*ref.bloc_shares, *doc.bloc_shares])]
        charts.append(_bars_svg("진영별 행위자 언급 (언급 비율)", rows, doc.name, ref.name, "언급 중"))
    comps = "".join(
        f"<tr><td title='{e(c.name)}'>{e(COMPONENT_NAMES_KO.get(c.name, c.name))}</td>"
        f"<td class='num'>{'없음' if c.score is None else f'{c.score:.3f}'}</td>"
        f"<td class='num'>{c.used_weight:.2f}</td><td class='desc' title='{e(c.detail)}'>"
        f"{e(_component_detail_ko(cmp, c.name))}</td></tr>" for c in cmp.components)
    return (f'<section id="profile"><h2>프로필 비교 <small>문서와 기준 글의 비율</small></h2>'
            f'<table class="comps"><thead><tr><th>구성 점수</th><th>점수</th><th>가중치</th><th>측정한 것</th>'
            f'</tr></thead><tbody>{comps}</tbody></table>{"".join(charts)}</section>')


_DETAIL_KO = {"dimensions": "경쟁 차원 비율의 분포 ('없음' 포함)",
              "frames": "프레임이 붙은 문장에서 프레임 비율의 분포",
              "blocs": "행위자 언급의 진영별 분포"}


def _component_detail_ko(cmp: Comparison, name: str) -> str:
    """What a component measured, in Korean; coverage counts the key elements present per kind."""
    if name != "coverage":
        return _DETAIL_KO.get(name, name)
    counts: dict[str, list[int]] = {}
    for k in cmp.key_elements:
        if k.present is not None:
            have = counts.setdefault(k.kind, [0, 0])
            have[0] += bool(k.present)
            have[1] += 1
    parts = [f"{KIND_NAMES_KO.get(kind, kind)} {a}/{b}" for kind, (a, b) in counts.items()]
    return "문서에 있는 기준 글 핵심 요소: " + (", ".join(parts) or "없음")


def _sentence_links(cmp: Comparison, keys) -> str:
    doc = cmp.document
    links = [f'<a href="#{anchor(k[1])}">{e(k[1])}</a>' if doc.single_document else e(doc.key_json(k))
             for k in keys[:MAX_LINKS]]
    more = f" +{len(keys) - MAX_LINKS}" if len(keys) > MAX_LINKS else ""
    return ", ".join(links) + more


def _key_name(kind: str, label: str) -> str:
    return display_name(kind, label)


_DIRECTION_KO = display()["direction_names"]


def _differences_section(cmp: Comparison) -> str:
    diffs = list(cmp.notable)
    note = ""
    if not diffs:
        diffs = [d for d in cmp.differences if d.direction != "same"][:8]
        note = '<p class="note">눈에 띄는 차이가 없어 가장 큰 차이를 표시합니다.</p>'
    rows = []
    for d in diffs:
        # the reference's sentences are counted, not numbered: a reader of this page cannot look them up
        n_ref = len(d.reference_sentences)
        ref_txt = f"기준 글 {n_ref}문장" if n_ref else "–"
        rows.append(
            f'<tr class="dir-{e(d.direction)}"><td><b title="{e(d.kind)}:{e(d.label)}">{e(d.name)}</b><br>'
            f'<small>{e(KIND_NAMES_KO.get(d.kind, d.kind))}</small></td>'
            f'<td class="num">{_pct(d.document_share)}</td><td class="num">{_pct(d.reference_share)}</td>'
            f'<td class="chg">{e(_DIRECTION_KO.get(d.direction, d.direction))}<br>'
            f'<span class="desc">{e(d.describe_ko())}</span></td>'
            f'<td class="ev">문서 문장: {_sentence_links(cmp, d.document_sentences) or "–"}'
            f'<br><span class="refs">{e(ref_txt)}</span></td></tr>')
    table = (f'<table class="diffs"><thead><tr><th>요소</th><th>문서</th><th>기준</th><th>차이</th>'
             f'<th>근거</th></tr></thead><tbody>{"".join(rows)}</tbody></table>') if rows else (
        '<p>차이 없음: 모든 비율이 기준과 같습니다.</p>')
    absent = "".join(f'<li><b title="{e(k.kind)}:{e(k.label)}">{e(_key_name(k.kind, k.label))}</b> '
                     f'({e(KIND_NAMES_KO.get(k.kind, k.kind))}, 기준 {_pct(k.reference_share)})</li>'
                     for k in cmp.absent)
    keys = "".join(f'<span class="key {"yes" if k.present else ("na" if k.present is None else "no")}" '
                   f'title="{e(k.kind)}: {e(k.label)}">{e(_key_name(k.kind, k.label))}</span>'
                   for k in cmp.key_elements)
    return (f'<section id="differences"><h2>차이 <small>문서 문장 번호를 누르면 본문으로 갑니다</small></h2>'
            f'{note}{table}</section>'
            f'<section id="absent"><h2>기준 글의 핵심 요소 <small>초록: 문서에 있음, 빨강: 없음</small></h2>'
            f'<div class="keys">{keys}</div>'
            f'<h3>문서에 없는 요소</h3><ul>{absent or "<li>없음</li>"}</ul></section>')


def _balance_section(cmp: Comparison) -> str:
    bal = cmp.bloc_balance
    if not bal:
        return ('<section id="blocs"><h2>진영 균형</h2>'
                '<p class="note">행위자 주석이 없어 계산하지 않았습니다.</p></section>')
    rows = "".join(
        f'<tr><td title="{e(b)}"><span class="sw" style="background:{_bloc_color(b)}"></span>'
        f'{e(BLOC_NAMES.get(b, b))}</td><td class="num">{bal["document_counts"].get(b, 0)}</td>'
        f'<td class="num">{_pct(v)}</td><td class="num">{_pct(bal["reference"].get(b, 0.0))}</td></tr>'
        for b, v in bal["document"].items())
    ucb = bal["us_cn_balance"]

    def fmt(x: float | None) -> str:
        return "–" if x is None else f"{x:+.2f}"

    return (f'<section id="blocs"><h2>진영 균형</h2>'
            f'<table><thead><tr><th>진영</th><th>언급</th><th>문서</th><th>기준</th></tr></thead>'
            f'<tbody>{rows}</tbody></table><p>미·중 균형 (미국−중국)/(미국+중국): 문서 <b>{fmt(ucb["document"])}</b>, '
            f'기준 {fmt(ucb["reference"])} <small>(+1 = 미국만, −1 = 중국만)</small></p></section>')


def _network_svg(graph, width: int = 520, max_actors: int = 14) -> str:
    actors = [n for n, d in graph.nodes(data=True) if d.get("kind") == "actor"]
    actors.sort(key=lambda n: (-graph.degree(n, weight="weight"), n))
    actors = actors[:max_actors]
    frames = [n for n, d in graph.nodes(data=True) if d.get("kind") == "frame"]
    if not actors or not frames:
        return '<p class="note">한 문장에 함께 나온 행위자와 프레임이 없습니다.</p>'
    row = 26
    height = 30 + row * max(len(actors), len(frames))
    ax, fx = 150, width - 170
    ay = {n: 24 + i * row + (row * (max(len(actors), len(frames)) - len(actors))) / 2 for i, n in enumerate(actors)}
    fy = {n: 24 + i * row + (row * (max(len(actors), len(frames)) - len(frames))) / 2 for i, n in enumerate(frames)}
    wmax = max([d.get("weight", 1) for _, _, d in graph.edges(data=True)] or [1])
    parts = [f'<svg class="chart" role="img" aria-label="actor-frame network" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{ax}" y="12" text-anchor="end" class="cl">행위자</text>',
             f'<text x="{fx}" y="12" class="cl">프레임</text>']
    for u, v, d in graph.edges(data=True):
        a, f = (u, v) if u in ay else (v, u)
        if a not in ay or f not in fy:
            continue
        w = d.get("weight", 1)
        color = _bloc_color(graph.nodes[a].get("bloc", ""))
        parts.append(f'<line x1="{ax + 6}" y1="{ay[a]:.1f}" x2="{fx - 6}" y2="{fy[f]:.1f}" stroke="{color}" '
                     f'stroke-opacity="{0.25 + 0.6 * w / wmax:.2f}" stroke-width="{1 + 5 * w / wmax:.1f}">'
                     f'<title>{e(graph.nodes[a]["label"])} – {e(graph.nodes[f]["label"])}: {e(w)}문장 '
                     f'({e(d.get("sentences", ""))})</title></line>')
    for n in actors:
        d = graph.nodes[n]
        label = str(d["label"])
        short = label if len(label) <= 20 else label[:19] + "…"
        parts.append(f'<circle cx="{ax}" cy="{ay[n]:.1f}" r="6" fill="{_bloc_color(d.get("bloc", ""))}"/>'
                     f'<text x="{ax - 10}" y="{ay[n] + 4:.1f}" text-anchor="end" class="cl">{e(short)}'
                     f'<title>{e(label)} ({e(d.get("type", ""))}, {e(d.get("bloc", ""))})</title></text>')
    for n in frames:
        d = graph.nodes[n]
        parts.append(f'<rect x="{fx - 6}" y="{fy[n] - 6:.1f}" width="12" height="12" fill="#334155"/>'
                     f'<text x="{fx + 10}" y="{fy[n] + 4:.1f}" class="cl">{e(d["label"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _network_section(cmp: Comparison, graph) -> str:
    from .network import network_rows

    _nodes, edges = network_rows(graph)
    rows = "".join(
        f'<tr><td>{e(graph.nodes[x["Source"]]["label"])}</td><td>{e(graph.nodes[x["Target"]]["label"])}</td>'
        f'<td class="num">{e(x["Weight"])}</td><td>{_sentence_links(cmp, _keys(cmp, x["sentences"]))}</td></tr>'
        for x in edges[:20])
    more = (f'<p class="note">나머지 연결 {len(edges) - 20}개는 GraphML/CSV 내보내기에 있습니다.</p>'
            if len(edges) > 20 else "")
    return (f'<section id="network"><h2>행위자–프레임 네트워크 <small>같은 문장에 함께 나온 횟수</small></h2>'
            f'{_network_svg(graph)}'
            f'<table><thead><tr><th>행위자</th><th>프레임</th><th>문장 수</th><th>문장</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>{more}</section>')


def _keys(cmp: Comparison, joined: str):
    doc = cmp.document
    out = []
    for part in filter(None, joined.split(";")):
        if doc.single_document:
            out.append((doc.doc_ids[0] if doc.doc_ids else "", int(part)))
        else:
            d, _, i = part.rpartition("#")
            out.append((d, int(i)))
    return out


def _legend() -> str:
    dims = "".join(f'<span class="chip dim" style="background:{c}">{e(korean_name(d))}</span>'
                   for d, c in DIMENSION_COLORS.items())
    blocs = "".join(f'<mark class="m" style="background:{c}22;border-bottom-color:{c}" title="{e(b)}">'
                    f'{e(BLOC_NAMES[b])}</mark> ' for b, c in BLOC_COLORS.items())
    multi = (f'<mark class="m multi" style="background:linear-gradient(180deg,{BLOC_COLORS["US"]}33 0% 50%,'
             f'{BLOC_COLORS["CN"]}33 50% 100%);border-bottom-color:{BLOC_COLORS["CN"]}">미중</mark>'
             f'<sub class="aid">미국·중국</sub>')
    return (f'<section id="legend"><h2>범례</h2>'
            f'<p><b>경쟁 차원</b> (문장 왼쪽 색 막대와 칩): {dims}</p>'
            f'<p><b>프레임</b>: <span class="chip frame">테두리 칩</span> &nbsp; '
            f'<span class="chip none">차원 없음</span></p>'
            f'<p><b>행위자 언급</b> (진영 색; 아래첨자는 글에 쓰인 말과 다른 행위자 이름, 마우스를 올리면 ID): '
            f'{blocs}</p>'
            f'<p><b>겹치는 언급</b> (한 범위에 여러 행위자): {multi} — 마우스를 올리면 모든 행위자가 보입니다.</p>'
            f'</section>')


CSS = """
*{box-sizing:border-box}
body{font-family:%(font)s;margin:0;color:#1a202c;background:#f5f7fa;font-size:15px;line-height:1.6}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #e2e8f0;display:flex;gap:24px;align-items:center}
header h1{font-size:20px;margin:0 0 4px}
.meta{color:#4a5568;font-size:12.5px;margin:0}
.score{margin-left:auto;text-align:right;min-width:260px}
.score .big{font-size:40px;font-weight:700;color:%(doc)s;line-height:1}
.score .partial{color:#b45309;font-weight:600;font-size:12.5px}
.score .method{font-size:11.5px;color:#4a5568;max-width:420px}
.score .words{font-size:13.5px;font-weight:600;color:#1e3a5f;max-width:420px;margin:2px 0 4px}
main{display:grid;grid-template-columns:minmax(0,1fr) 560px;gap:20px;padding:16px 24px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:0 0 8px}
h3{font-size:14px;margin:10px 0 4px}
small{color:#718096;font-weight:400}
.sent{display:grid;grid-template-columns:6px 30px minmax(0,1fr);gap:8px;padding:5px 2px;border-bottom:1px solid #edf2f7}
.sent:target{background:#fff7d6}
.bars{display:flex;flex-direction:column;gap:2px}
.bars i{flex:1;border-radius:2px;min-height:6px}
.bars i.empty{background:#e2e8f0}
.idx{color:#94a3b8;font-size:12px;text-decoration:none;padding-top:2px}
.stext{margin:0}
.pbreak{height:10px}
mark.m{color:inherit;border-bottom:2px solid #64748b;border-radius:2px;padding:0 1px}
mark.multi{border-bottom-style:double;border-bottom-width:3px}
sub.aid{font-size:9.5px;color:#475569;margin:0 2px 0 1px;font-weight:600}
.labels{margin-top:1px}
.chip{display:inline-block;font-size:11.5px;line-height:1.5;padding:0 7px;border-radius:9px;margin:1px 4px 1px 0}
.chip.dim{color:#fff}
.chip.frame{border:1px solid #475569;color:#1e293b;background:#fff}
.chip.none{color:#94a3b8;border:1px dashed #cbd5e0}
.note{color:#718096;font-size:12.5px}
table{border-collapse:collapse;width:100%%;font-size:12.5px;margin:6px 0}
th,td{border-bottom:1px solid #edf2f7;padding:3px 5px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}
.refs{color:#718096;font-size:11.5px}
td.ev{width:150px}
td.chg{width:150px}
.desc{color:#4a5568;font-size:11.5px}
tr.dir-over td.chg,tr.dir-new td.chg{color:#b45309}
tr.dir-under td.chg,tr.dir-absent td.chg{color:#1d4ed8}
.chart{display:block;margin:10px 0;max-width:100%%;height:auto}
.chart .ct{font-size:13px;font-weight:700;fill:#1a202c}
.chart .cl{font-size:11.5px;fill:#1a202c}
.chart .cv{font-size:10px;fill:#4a5568}
.keys .key{display:inline-block;font-size:11.5px;padding:0 6px;margin:2px;border-radius:4px}
.key.yes{background:#dcfce7;color:#166534}
.key.no{background:#fee2e2;color:#991b1b;text-decoration:line-through}
.key.na{background:#f1f5f9;color:#64748b}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
code{font-size:11px;color:#64748b}
"""


def render_html(doc: Document, comparison: Comparison, graph=None, title: str | None = None) -> str:
    """The report as one HTML string (see the module docstring)."""
    from .network import actor_frame_graph

    if graph is None:
        graph = actor_frame_graph(comparison.document)
    cmp = comparison
    ref = cmp.reference
    prov = ref.provenance or {}
    ref_meta = f"기준: {ref.name} ({ref.n_sentences}문장, 언급 {ref.n_mentions}개"
    if prov.get("built"):
        ref_meta += f", built {prov['built']}"
    if prov.get("essay_sha256"):
        ref_meta += f", essay sha256 {str(prov['essay_sha256'])[:12]}…"
    ref_meta += ")"
    models = ", ".join(f"{k}={v}" for k, v in dict(doc.models).items())
    src = doc.source.path or "(text)"
    page_title = title or f"kdiscourse 비교 보고서 — {doc.id}"
    css = CSS % {"font": FONT_STACK, "doc": DOC_COLOR}
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        "<link rel=\"icon\" href=\"data:,\">",
        f"<title>{e(page_title)}</title><style>{css}</style></head><body>",
        f"<header><div><h1>{e(page_title)}</h1>",
        f"<p class=\"meta\">출처 {e(src)} · {len(doc.sentences)}문장 · 행위자 언급 {len(doc.mentions)}개 · "
        f"코드북 {e(codebook_version())}{' · 모델 ' + e(models) if models else ''}</p>",
        f"<p class=\"meta\">{e(ref_meta)}</p></div>",
        f"<div class=\"score\"><div class=\"big\" id=\"similarity\">{cmp.similarity:.2f}</div>",
        f"<div>기준 글({e(ref.name)})과의 유사도</div>",
        f"<div class=\"words\">{e(similarity_in_words(cmp.similarity).split(': ', 1)[1])}</div>",
        (f"<div class=\"partial\">부분 점수: "
         f"{e(', '.join(COMPONENT_NAMES_KO.get(c, c) for c in cmp.missing_components))} 제외</div>"
         if cmp.missing_components else ""),
        f"<div class=\"method\" title=\"{e(cmp.method_description)}\">계산 방법 <code>{e(cmp.method)}</code>: "
        f"{e(METHOD_DESCRIPTION_KO)}</div></div>",
        "</header><main><div class=\"left\">",
        _legend(),
        _text_section(doc, cmp),
        "</div><div class=\"right\">",
        _profile_section(cmp),
        _differences_section(cmp),
        _balance_section(cmp),
        _network_section(cmp, graph),
        "</div></main></body></html>\n",
    ])


def write_html(path: str | Path, doc: Document, comparison: Comparison, graph=None, title: str | None = None) -> Path:
    """Write the report atomically (temp file, then rename); returns the path."""
    return write_text_atomic(path, render_html(doc, comparison, graph, title))
