"""Rendering of comparisons: a self-contained HTML report (:mod:`.html`), a PNG chart (:mod:`.plot`)
and the actor-frame network (:mod:`.network`).

Both import their heavy dependencies (matplotlib) inside the functions that need them.
"""

from __future__ import annotations

__all__ = ["plot_comparison", "render_html", "write_html"]


def __getattr__(name: str):
    if name in ("render_html", "write_html"):
        from . import html

        return getattr(html, name)
    if name == "plot_comparison":
        from . import plot

        return plot.plot_comparison
    raise AttributeError(name)
