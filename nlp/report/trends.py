"""Multi-panel charts of label rates over a metadata column (time, outlet), with uncertainty bands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # pandas is imported where it is used
    import pandas as pd

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
PANEL_TITLES = {"dimension": "경쟁 차원", "frame": "안보 프레임", "bloc": "진영별 행위자 언급"}


def check_image_path(path: str | Path) -> Path:
    """The path of an image to write, its format taken from the suffix; an unknown suffix is refused.

    >>> check_image_path("out.svg").suffix
    '.svg'
    """
    p = Path(path)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"{p}: cannot tell the image format from {p.suffix or 'no suffix'!r}; "
                         f"use {', '.join(IMAGE_SUFFIXES)}")
    return p


def plot_rates(rates: pd.DataFrame, path: str | Path, by: str, *, per: float = 1000.0,
               kinds: tuple[str, ...] = ("dimension", "frame", "bloc"), top: int = 6) -> Path:
    """One panel per kind (dimensions, frames, blocs): rate per ``per`` sentences by ``by``, a line per label
    with its bootstrap interval as a band; Korean names; the legend beside each panel, never over the data.

    ``rates`` is :func:`nlp.corpus.analysis.label_rates` output grouped by ``by`` alone. A numeric
    ``by`` (a year) is drawn on a numeric axis; text values (outlets) keep their sorted order.
    Only the ``top`` labels with the highest mean rate are drawn per panel. The format follows
    the file suffix (PNG, SVG or PDF).
    """
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .fonts import korean_font

    out = check_image_path(path)
    if by not in rates.columns:
        raise UsageError(f"the rates table has no column {by!r}; group the rates by it first")
    panels = [k for k in kinds if k in set(rates["kind"]) and rates.loc[rates["kind"] == k, "rate"].notna().any()]
    if not panels:
        raise UsageError("no rates to plot: no ok document with sentences")
    font = korean_font()
    values = sorted(rates[by].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    numeric = all(isinstance(v, (int, float)) for v in values)
    xpos = {v: (v if numeric else k) for k, v in enumerate(values)}
    with plt.rc_context({"font.family": [font, "sans-serif"], "axes.spines.top": False,
                         "axes.spines.right": False}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.1 * len(panels)), squeeze=False)
        cmap = plt.get_cmap("tab10")
        for ax, kind in zip(axes[:, 0], panels):
            part = rates[(rates["kind"] == kind) & rates[by].notna()]
            means = part.groupby("label")["rate"].mean().sort_values(ascending=False)
            labels = [lab for lab in means.index if means[lab] > 0][:top]
            for i, lab in enumerate(labels):
                d = part[part["label"] == lab].copy()
                d["__x"] = d[by].map(xpos)
                d = d.sort_values("__x")
                color = cmap(i % 10)
                name = d["name"].iloc[0]
                rate, lo, hi = (pd.to_numeric(d[c]).to_numpy(dtype=float) for c in ("rate", "ci_low", "ci_high"))
                if numeric:  # an ordered axis (years): a line with its band
                    ax.plot(d["__x"], rate, marker="o", color=color, label=name, linewidth=1.8)
                    ax.fill_between(d["__x"].astype(float), lo, hi, color=color, alpha=0.15, linewidth=0)
                else:  # categories (outlets): points with interval bars, side by side, never joined by lines
                    x = d["__x"].to_numpy(dtype=float) + (i - (len(labels) - 1) / 2) * 0.8 / max(len(labels), 1)
                    ax.errorbar(x, rate, yerr=[rate - lo, hi - rate], fmt="o", color=color, label=name,
                                capsize=3, linewidth=1.4)
            ax.set_title(f"{PANEL_TITLES.get(kind, kind)}: 1,000문장당 {'언급' if kind == 'bloc' else '문장'} 수",
                         loc="left", fontsize=11)
            ax.set_ylabel(f"{int(per):,}문장당")
            ax.set_ylim(bottom=0)
            ax.set_xticks([xpos[v] for v in values], [str(v) for v in values])
            ax.grid(axis="y", alpha=0.3)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
        what = "띠" if numeric else "막대"
        axes[-1, 0].set_xlabel(f"{by}  ({what}: 문서 부트스트랩 95% 신뢰구간)")
        fig.tight_layout()
        fig.savefig(out, dpi=110, format=out.suffix.lstrip(".").lower())
        plt.close(fig)
    return out
