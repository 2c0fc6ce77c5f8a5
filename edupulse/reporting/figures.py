"""Figures for the equity report, as inline SVG text (no files, no external requests).

Text stays text (svg.fonttype "none"), so figures are small, sharp in print and searchable; ids
are salted so the same audit gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

VERDICT_COLOURS = {
    "fair": "#1b7837", "unfair": "#b2182b", "inconclusive": "#d66d00",
    "reference": "#444444", "not computable": "#9a9a9a", "suppressed": "#9a9a9a",
}
INK, MUTED, BAND = "#222222", "#777777", "#e3f0e3"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "edupulse-equity",
       "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 9}


def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _figure(n_rows: int, n_cols: int = 1, width: float = 9.0) -> tuple[Any, Any]:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, 0.55 + 0.26 * max(n_rows, 1)))
        axes = fig.subplots(1, n_cols, sharey=True, squeeze=False)[0]
    return fig, axes


def _style(ax: Any, labels: Sequence[str]) -> None:
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.set_ylim(len(labels) - 0.5, -0.5)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def interval_chart(rows: pd.DataFrame, metric: str, overall: float | None = None) -> str:
    """Dot (estimate) and line (95% interval) per group, as percentages; hidden groups say so."""
    from matplotlib.ticker import PercentFormatter

    labels = list(rows["group"])
    fig, (ax,) = _figure(len(labels))
    with _rc():
        for i, row in enumerate(rows.itertuples(index=False)):
            value = getattr(row, metric)
            if row.suppressed or not np.isfinite(value):
                ax.text(0.01, i, "hidden" if row.suppressed else "undefined", color=MUTED,
                        va="center", transform=ax.get_yaxis_transform(), style="italic")
                continue
            lo, hi = getattr(row, f"{metric}_lo"), getattr(row, f"{metric}_hi")
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [i, i], color=INK, linewidth=1.6, solid_capstyle="butt")
            ax.plot([value], [i], "o", color=INK, markersize=5)
        if overall is not None and np.isfinite(overall):
            ax.axvline(overall, color=MUTED, linestyle="--", linewidth=0.9)
            ax.text(overall, -0.55, " all students", color=MUTED, fontsize=8, va="bottom")
        _style(ax, labels)
        shown = rows.loc[~rows["suppressed"].astype(bool), [metric, f"{metric}_hi"]]
        top = np.nanmax(np.r_[shown.to_numpy(dtype=float).ravel(), overall or 0, 0.05])
        ax.set_xlim(0, min(1.0, np.ceil(top * 1.1 * 10) / 10))  # from 0: shares stay honest
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        return _svg(fig)


def ratio_chart(rows: pd.DataFrame, metrics: Sequence[str], titles: Sequence[str],
                band: tuple[float, float]) -> str:
    """One panel per metric: each group's ratio to the reference with its interval, on a log
    scale, over the shaded fairness band; colour = verdict."""
    labels = list(dict.fromkeys(rows["group"]))
    fig, axes = _figure(len(labels), len(metrics))
    finite = rows.loc[rows["metric"].isin(metrics), ["ratio", "lo", "hi"]].to_numpy(dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    span = max(1.6, float(np.max(finite)) if finite.size else 1.6,
               1 / float(np.min(finite)) if finite.size else 1.6)
    span = min(span * 1.15, 20.0)
    with _rc():
        for ax, metric, title in zip(axes, metrics, titles, strict=True):
            ax.set_xscale("log")
            ax.axvspan(*band, color=BAND, zorder=0)
            ax.axvline(1.0, color=MUTED, linewidth=0.8)
            sub = rows[rows["metric"] == metric].set_index("group")
            for i, group in enumerate(labels):
                if group not in sub.index:
                    continue
                r = sub.loc[group]
                colour = VERDICT_COLOURS.get(r["verdict"], MUTED)
                if r["verdict"] in ("suppressed", "not computable") or not np.isfinite(r["ratio"]):
                    ax.text(1.0, i, "hidden" if r["verdict"] == "suppressed" else "n/a",
                            color=MUTED, ha="center", va="center", style="italic", fontsize=8)
                    continue
                lo, hi = np.clip([r["lo"], r["hi"]], 1 / span, span)
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [i, i], color=colour, linewidth=1.8,
                            solid_capstyle="butt")
                marker = "s" if r["verdict"] == "reference" else "o"
                ax.plot([np.clip(r["ratio"], 1 / span, span)], [i], marker, color=colour,
                        markersize=5)
            _style(ax, labels)
            ax.set_xlim(1 / span, span)
            ax.set_xticks([t for t in (0.1, 0.25, 0.5, 0.8, 1.25, 2, 4, 10)
                           if 1 / span <= t <= span])
            ax.xaxis.set_major_formatter(_ratio_formatter())
            ax.xaxis.set_minor_locator(_no_ticks())  # log-scale minor ticks: slow, unread
            ax.set_title(title, loc="left", fontsize=10, color=INK)
        return _svg(fig)


def _ratio_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:g}")


def _no_ticks() -> Any:
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _rc() -> Any:
    import matplotlib

    return matplotlib.rc_context(_RC)
