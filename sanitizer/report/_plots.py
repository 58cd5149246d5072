"""The report's plots: matplotlib figures rendered to inline SVG text.

Why inline SVG: the page must be self-contained (no external URL, no side files), stay
sharp when printed, and keep its text as text, so labels and numbers in a plot can be
searched and read by a screen reader. Text is emitted as ``<text>`` (``svg.fonttype``
``none``) and ids are salted deterministically, so the same numbers give the same page.
Each function returns None when there is nothing to draw: the page then says so in
words instead of showing an empty plot.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime, timedelta

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure

__all__ = [
    "access_plot",
    "bar_plot",
    "fairness_plot",
    "grouped_bar_plot",
    "model_timeline_plot",
]

GRANTED, DENIED = "#2e7d32", "#c62828"
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_RC = {"svg.fonttype": "none", "svg.hashsalt": "sanitizer-report", "font.size": 9}


def _svg(figure: Figure) -> str:
    """The figure as one ``<svg>`` element (XML prologue and doctype dropped)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height))


def _height(rows: int) -> float:
    return min(1.2 + 0.32 * rows, 9.0)


def bar_plot(counts: Mapping[str, int], xlabel: str) -> str | None:
    """Horizontal bars, one per key, labelled with their value; None if all are zero."""
    items = [(k, v) for k, v in counts.items() if v]
    if not items:
        return None
    labels, values = zip(*items, strict=True)
    with matplotlib.rc_context(_RC):
        figure = _figure(7.0, _height(len(items)))
        ax = figure.add_subplot()
        bars = ax.barh(range(len(values)), values, color=_PALETTE[0])
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3)
        ax.set_xlabel(xlabel)
        ax.margins(x=0.15)
        ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def grouped_bar_plot(groups: Mapping[str, Mapping[str, int]], xlabel: str) -> str | None:
    """One cluster of horizontal bars per category, one bar per group (e.g. model)."""
    categories = sorted({c for counts in groups.values() for c, n in counts.items() if n})
    if not categories:
        return None
    names = list(groups)
    step = 0.8 / max(len(names), 1)
    with matplotlib.rc_context(_RC):
        figure = _figure(7.0, _height(len(categories) * max(1, len(names)) * 0.6 + 1))
        ax = figure.add_subplot()
        for i, name in enumerate(names):
            values = [groups[name].get(c, 0) for c in categories]
            positions = [j + i * step for j in range(len(categories))]
            bars = ax.barh(
                positions, values, height=step, label=name, color=_PALETTE[i % len(_PALETTE)]
            )
            ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in values], padding=2)
        ax.set_yticks([j + step * (len(names) - 1) / 2 for j in range(len(categories))])
        ax.set_yticklabels(categories)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.margins(x=0.15)
        ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def access_plot(by_basis: Mapping[str, Mapping[str, int]]) -> str | None:
    """Granted and denied attempts per basis, stacked."""
    if not by_basis:
        return None
    labels = list(by_basis)
    granted = [by_basis[k]["granted"] for k in labels]
    denied = [by_basis[k]["denied"] for k in labels]
    with matplotlib.rc_context(_RC):
        figure = _figure(7.5, _height(len(labels)))
        ax = figure.add_subplot()
        rows = range(len(labels))
        a = ax.barh(rows, granted, color=GRANTED, label="granted")
        b = ax.barh(rows, denied, left=granted, color=DENIED, label="denied")
        ax.bar_label(
            a, labels=[f"{v:,}" if v else "" for v in granted], label_type="center", color="white"
        )
        ax.bar_label(
            b, labels=[f"{v:,}" if v else "" for v in denied], label_type="center", color="white"
        )
        ax.set_yticks(list(rows), labels)
        ax.invert_yaxis()
        ax.set_xlabel("access attempts")
        ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


#: Lines per model in the fairness plot: more would be unreadable (the tables hold all).
MAX_FAIRNESS_LINES = 8


def _plotted_metrics(names: set[str]) -> list[str]:
    """The fairness metrics to draw: gap measures (differences, ratios) first, then the rest."""
    gaps = sorted(n for n in names if n.endswith(("difference", "ratio")))
    rest = sorted(n for n in names if n not in gaps)
    return [*gaps, *rest][:MAX_FAIRNESS_LINES]


def _date_axis(ax, times: list[datetime]) -> None:
    """Dates on the x axis, labelled as briefly as their spread allows.

    Points less than two days apart get a day of margin each side, so that a single
    retrain still gets readable date ticks rather than microseconds.
    """
    if times and max(times) - min(times) < timedelta(days=2):
        ax.set_xlim(min(times) - timedelta(days=1), max(times) + timedelta(days=1))
    locator = mdates.AutoDateLocator(maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def model_timeline_plot(models: Mapping[str, list]) -> str | None:
    """Certifications, decertifications and refusals in the window, one row per model."""
    marks = {
        "certified": ("o", GRANTED),
        "decertified": ("X", DENIED),
        "refused": ("^", "#ef6c00"),
    }
    points = [(kind, item["model"], item["ts"]) for kind in marks for item in models.get(kind, [])]
    if not points:
        return None
    names = sorted({str(p[1]) for p in points})
    with matplotlib.rc_context(_RC):
        figure = _figure(7.5, _height(len(names)) + 0.4)
        ax = figure.add_subplot()
        for kind, (marker, color) in marks.items():
            mine = [p for p in points if p[0] == kind]
            if mine:
                ax.scatter(
                    [_when(p[2]) for p in mine],
                    [names.index(str(p[1])) for p in mine],
                    marker=marker,
                    color=color,
                    s=60,
                    label=kind,
                    zorder=3,
                )
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
        _date_axis(ax, [_when(p[2]) for p in points])
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def fairness_plot(series: Mapping[str, list]) -> str | None:
    """Each model's fairness metrics over its retrains: filled dots certified, crosses refused."""
    models = [m for m, points in series.items() if points]
    if not models:
        return None
    with matplotlib.rc_context(_RC):
        figure = _figure(7.5, 2.4 * len(models) + 0.6)
        figure.set_layout_engine("constrained")
        # one time axis for every model, so their retrains line up
        axes = figure.subplots(len(models), 1, squeeze=False, sharex=True)[:, 0]
        every = [_when(p["ts"]) for m in models for p in series[m]]
        for ax, model in zip(axes, models, strict=True):
            points = series[model]
            names = _plotted_metrics({n for p in points for n in p["metrics"]})
            for i, name in enumerate(names):
                color = _PALETTE[i % len(_PALETTE)]
                have = [p for p in points if name in p["metrics"]]
                ax.plot(
                    [_when(p["ts"]) for p in have],
                    [p["metrics"][name] for p in have],
                    color=color,
                    alpha=0.6,
                    label=name.removeprefix("fairness."),
                )
                for outcome, marker in (("certified", "o"), ("refused", "x")):
                    chosen = [p for p in have if p["outcome"] == outcome]
                    ax.scatter(
                        [_when(p["ts"]) for p in chosen],
                        [p["metrics"][name] for p in chosen],
                        color=color,
                        marker=marker,
                        zorder=3,
                    )
            ax.set_title(model, loc="left", fontsize=10)
            ax.grid(alpha=0.3)
            _date_axis(ax, every)
            ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
            ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
