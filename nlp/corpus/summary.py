"""Corpus summaries from an output folder: shares by a metadata column, and their chart."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .store import group_values, read_table

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd




def _group_column(docs: pd.DataFrame, name: str) -> pd.Series:
    values = group_values(docs, name)
    if name not in docs.columns and f"meta_{name}" not in docs.columns:  # from the metadata JSON
        values = values.map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False))
    return values


def _sort_key(values: pd.Index) -> pd.Index:
    import pandas as pd
    num = pd.to_numeric(values, errors="coerce")
    return num if not num.isna().any() else values.astype(str)


def summarize(out_dir: str | Path, by: Iterable[str] = (), partial: bool = False) -> pd.DataFrame:
    """Corpus-level aggregates of an output folder, one row per group of ``by`` (metadata fields or columns).

    An unfinished run is refused unless ``partial`` is true; then the aggregates
    describe only the shards written so far (the caller says so to the user).

    Shares are sentence-weighted (label sentences / all sentences of the group);
    mention counts per bloc are sums; ``similarity`` is the mean over documents.
    """
    import pandas as pd
    docs = read_table(out_dir, "documents", partial=partial)
    by = list(by)
    if docs.empty:
        return pd.DataFrame()
    keys = []
    for name in by:
        docs[f"__{name}"] = _group_column(docs, name).fillna("(none)").astype(str)
        keys.append(f"__{name}")
    if not keys:
        docs["__all"] = "all"
        keys = ["__all"]
    ok = docs["status"] == "ok"
    docs["__ok"] = ok.astype(int)
    docs["__error"] = (~ok).astype(int)
    share_cols = [c for c in docs.columns if c.startswith("share_")]
    for c in share_cols:
        docs[f"__w_{c}"] = pd.to_numeric(docs[c], errors="coerce") * docs["n_sentences"]
        docs[f"__n_{c}"] = docs["n_sentences"].where(docs[c].notna(), 0)
    agg: dict[str, tuple[str, str]] = {"documents": ("id", "size"), "ok": ("__ok", "sum"), "error": ("__error", "sum"),
                                       "chars": ("n_chars", "sum"), "sentences": ("n_sentences", "sum"),
                                       "mentions": ("n_mentions", "sum")}
    for c in share_cols:
        agg[f"__w_{c}"] = (f"__w_{c}", "sum")
        agg[f"__n_{c}"] = (f"__n_{c}", "sum")
    for c in docs.columns:
        if c.startswith("mentions_"):
            agg[c] = (c, "sum")
    if "similarity" in docs.columns:
        agg["similarity_mean"] = ("similarity", "mean")
    g = docs.groupby(keys, dropna=False, sort=False).agg(**agg)
    for c in share_cols:
        denom = g.pop(f"__n_{c}")
        g[c] = (g.pop(f"__w_{c}") / denom).where(denom > 0)
    g.index.names = by or ["group"]
    g = g.sort_index(key=_sort_key) if len(keys) == 1 else g.sort_index()
    return g.reset_index()



def plot_summary(summary: pd.DataFrame, path: str | Path, by: Iterable[str] = ()) -> Path:
    """Plot dimension and frame shares and actor mentions per 1,000 sentences per group (one panel each) into
    an image file whose format follows the suffix (PNG, SVG, PDF); Korean names, legends beside the panels."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..report.fonts import korean_font
    from ..report.trends import check_image_path

    out = check_image_path(path)
    font = korean_font()  # a clear error rather than Hangul drawn as empty boxes
    by = list(by) or ["group"]
    labels = summary[by].astype(str).agg(" / ".join, axis=1) if len(summary) else pd.Series(dtype=str)
    panels = [("경쟁 차원: 문장 비율", [c for c in summary.columns if c.startswith("share_dim_")]),
              ("프레임: 문장 비율", [c for c in summary.columns if c.startswith("share_frame_")]),
              ("진영별 행위자 언급: 1,000문장당", [c for c in summary.columns if c.startswith("mentions_")])]
    panels = [(t, cs) for t, cs in panels if cs and summary[cs].notna().any().any()]
    if not panels:
        panels = [("문서 수", ["ok", "error"])]
    with plt.rc_context({"font.family": [font, "sans-serif"]}):
        return _draw_summary(summary, labels, panels, by, out, plt)


def column_display_name(column: str) -> str:
    """Korean heading of a summary column (``share_dim_<id>``, ``share_frame_<id>``, ``mentions_<bloc>``).

    >>> column_display_name("share_frame_economic_security"), column_display_name("mentions_CN")
    ('경제안보', '중국 진영 언급')
    """
    from ..labels import display, korean_name

    for prefix in ("share_dim_", "share_frame_"):
        if column.startswith(prefix):
            label = column.removeprefix(prefix)
            return "없음" if label == "none" else korean_name(label)
    if column.startswith("mentions_"):
        bloc = column.removeprefix("mentions_")
        return f"{display()['bloc_names'].get(bloc, bloc)} 언급"
    return column


def _draw_summary(summary, labels, panels, by, out: Path, plt) -> Path:
    import pandas as pd
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(7, 0.6 * len(summary) + 5), 3.2 * len(panels)),
                             squeeze=False)
    for ax, (title, cols) in zip(axes[:, 0], panels):
        data = summary[cols].astype(float).set_axis(labels)
        if cols[0].startswith("mentions_"):  # counts differ with group size: per 1,000 sentences
            data = data.div(summary["sentences"].replace(0, float("nan")).to_numpy(), axis=0) * 1000
        data.columns = [column_display_name(c) for c in cols]
        if len(data) > 1 and pd.to_numeric(summary[by[0]], errors="coerce").notna().all() and len(by) == 1:
            data.plot(ax=ax, marker="o")
        else:
            data.plot.bar(ax=ax, rot=0)
        ax.set_title(f"{title} ({' / '.join(by)}별)", loc="left", fontsize=11)
        ax.set_ylabel("1,000문장당" if cols[0].startswith("mentions_") else "문장 비율")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110, format=out.suffix.lstrip(".").lower())
    plt.close(fig)
    return out
