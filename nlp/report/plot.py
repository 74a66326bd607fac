"""A PNG chart of a comparison (document vs reference shares), drawn with matplotlib.

Korean labels need a font with Hangul glyphs: :func:`~nlp.report.fonts.korean_font`
finds one (a system font, or NanumGothic shipped by the ``koreanize-matplotlib``
dependency) and fails with a clear error when there is none, rather than drawing
empty boxes.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_open
from ..compare import Comparison
from ..errors import ModelError
from ..labels import dimension_ids, frame_ids
from ..profile import NONE, display_name
from .fonts import korean_font

DOC_COLOR, REF_COLOR = "#1e3a5f", "#a8b8cc"


def plot_comparison(comparison: Comparison, path: str | Path, dpi: int = 120) -> Path:
    """Write a chart with three panels (dimensions, frames, blocs): document vs reference shares.

    The image format follows the suffix of ``path`` (``.png``, ``.svg``, ``.pdf``); another suffix is refused
    before anything is drawn."""
    from ..labels import display
    from .trends import check_image_path

    out = check_image_path(path)
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    family = korean_font()
    cmp = comparison
    doc, ref = cmp.document, cmp.reference
    panels = []
    both = doc.layers & ref.layers
    if "dimensions" in both:
        panels.append(("경쟁 차원 (문장 비율)", [(display_name("dimension", d), doc.dimension_shares[d],
                                                ref.dimension_shares[d]) for d in (*dimension_ids(), NONE)]))
    if "frames" in both:
        panels.append(("안보·규제 프레임 (문장 비율)", [(display_name("frame", f), doc.frame_shares[f],
                                                    ref.frame_shares[f]) for f in (*frame_ids(), NONE)]))
    if "actors" in both:
        bl = list(dict.fromkeys([*ref.bloc_shares, *doc.bloc_shares]))
        names = display()["bloc_names"]
        panels.append(("진영별 행위자 언급 (언급 비율)", [(names.get(b, b), doc.bloc_shares.get(b, 0.0),
                                                    ref.bloc_shares.get(b, 0.0)) for b in bl]))
    if not panels:
        raise ModelError("nothing to plot: the document and the reference share no annotation layer")
    heights = [len(rows) for _, rows in panels]
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(8.5, 1.2 + 0.36 * sum(heights)),
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, (title, rows) in zip(axes[:, 0], panels):
            labels = [r[0] for r in rows]
            y = list(range(len(rows)))
            ax.barh([i - 0.2 for i in y], [r[1] for r in rows], height=0.38, color=DOC_COLOR,
                    label=f"문서: {doc.name}")
            ax.barh([i + 0.2 for i in y], [r[2] for r in rows], height=0.38, color=REF_COLOR,
                    label=f"기준: {ref.name}")
            ax.set_yticks(y, labels)
            ax.invert_yaxis()
            ax.set_title(title, loc="left", fontsize=11)
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(axis="y", labelsize=9)
        axes[0, 0].legend(loc="lower right", fontsize=8, frameon=False)
        fig.suptitle(f"{doc.name} vs {ref.name}: 유사도 {cmp.similarity:.2f} ({cmp.method})", fontsize=12, x=0.01,
                     ha="left")
        fig.tight_layout()
        p = out
        try:
            with atomic_open(p, "wb") as fh:
                fig.savefig(fh, dpi=dpi, format=p.suffix.lstrip(".").lower())
        finally:
            plt.close(fig)
    return p
