"""The compliance report: figures gathered once, rendered to HTML and written with its JSON.

Why a result object (like fairlearn's ``MetricFrame``): the numbers are computed once in
the constructor, from the home only, and the HTML page, its plots and the JSON file next
to it are all views of the same numbers, so they cannot disagree.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .._errors import BadInput
from .._home import Home
from ._figures import (
    NO_GRANT,
    access_figures,
    audit_figures,
    destruction_figures,
    fairness_figures,
    model_figures,
    policy_figures,
    registry_figures,
    training_figures,
)
from ._plots import (
    access_plot,
    bar_plot,
    fairness_plot,
    grouped_bar_plot,
    model_timeline_plot,
)
from ._sources import HomeReader
from ._window import ReportWindow

__all__ = ["ComplianceReport", "REPORT_FORMAT", "default_report_path"]

REPORT_FORMAT = "sanitizer.compliance-report/1"
MSG_WRITE = "--out {path}: cannot write the report ({error})"
MSG_OUT_SUFFIX = "--out {path} must end in .html (the figures go next to it as .json)"


def default_report_path(home: Home, window: ReportWindow) -> Path:
    """``HOME/reports/compliance-UNTIL.html`` (CONTRACT.md)."""
    return home.reports_dir / f"compliance-{window.until.isoformat()}.html"


def _duration(seconds: float | None) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``, ``4.0 days``: a readable delay."""
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _when(ts: str | None) -> str:
    """``2026-05-04T10:11:12.123456Z`` -> ``2026-05-04 10:11:12 UTC``."""
    if not ts:
        return ""
    text = str(ts)
    return f"{text[:10]} {text[11:19]} UTC" if len(text) >= 19 and text[10] == "T" else text


def _write_together(files: dict[Path, str]) -> None:
    """Write each file under a temporary name, then move them all into place.

    A failure while writing leaves none of them written and no temporary file behind
    (the page and its figures are one report: never one without the other).
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text, encoding="utf-8")
            staged.append((partial, path))
    except BaseException:
        for partial, _ in staged:
            partial.unlink(missing_ok=True)
        raise
    for partial, path in staged:
        os.replace(partial, path)


class ComplianceReport:
    """The semi-annual compliance report of one home over one window.

    Parameters
    ----------
    home : Home
        The home to report on; read only (nothing in it changes until :meth:`write`).
    window : ReportWindow
        The period covered (see :func:`report_window`).

    Attributes
    ----------
    figures : mapping
        Every number of the report, JSON-ready (read-only view); :meth:`to_dict` copies it.

    Raises
    ------
    BadInput
        The home or its registry database does not exist.
    """

    def __init__(self, home: Home, window: ReportWindow):
        self.home = home
        self.window = window
        reader = HomeReader(home)
        try:
            registry = registry_figures(reader, window)
            figures = {
                "format": REPORT_FORMAT,
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "home": str(home.path),
                "window": {
                    **window.to_dict(),
                    "time_basis": (
                        "audit entries by the UTC time they were recorded; registry statuses "
                        "by the date they began, as replayed in the snapshot named"
                    ),
                },
                "registry": registry,
                "training": training_figures(reader, window),
                "destruction": destruction_figures(
                    reader, window, _snapshot_meta(reader, registry)
                ),
                "models": model_figures(reader, window),
                "access": access_figures(reader, window),
                "audit": audit_figures(reader),
                "fairness": fairness_figures(reader, window),
                "policy": policy_figures(reader, window),
            }
        finally:
            reader.close()
        self._figures = figures

    @property
    def figures(self) -> MappingProxyType:
        return MappingProxyType(self._figures)

    @property
    def compliant(self) -> bool:
        """No sealed record shown without a grant, and an intact (or absent) audit chain."""
        audit = self._figures["audit"]
        return self._figures["access"]["unauthorized_sealed_access"] == 0 and audit["intact"] in (
            True,
            None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The figures as a new JSON-ready dict (what the ``.json`` file holds)."""
        return json.loads(json.dumps(self._figures))

    def plots(self) -> dict[str, str | None]:
        """The report's plots as inline SVG text, None where there is nothing to draw."""
        f = self._figures
        sealed = f["registry"]["newly_sealed"] or {}
        destruction = f["destruction"]["registry"] or {}
        return {
            "newly_sealed": bar_plot(sealed.get("by_section", {}), "records newly sealed"),
            "training": grouped_bar_plot(
                f["training"]["latest_by_model"], "items removed (latest retrain per model)"
            ),
            "destruction": bar_plot(
                destruction.get("by_section", {}), "arrests with photos / prints to destroy"
            ),
            "models": model_timeline_plot(f["models"]),
            "access": access_plot(f["access"]["by_basis"]),
            "fairness": fairness_plot(f["fairness"]["series"]),
        }

    def to_html(self) -> str:
        """The self-contained HTML page (inline CSS and SVG, no external URL)."""
        environment = Environment(
            loader=PackageLoader("sanitizer.report", "templates"),
            autoescape=select_autoescape(default=True),
        )
        environment.filters["duration"] = _duration
        environment.filters["when"] = _when
        template = environment.get_template("compliance_report.html.j2")
        return template.render(
            report=self._figures,
            plots=self.plots(),
            compliant=self.compliant,
            no_grant=NO_GRANT,
        )

    def write(self, out: Path | None = None) -> tuple[Path, Path]:
        """Write the page and its figures (same stem, ``.json``); return both paths.

        Both are written under temporary names and then moved into place, so a failure
        never leaves a half-written report, nor one file without the other.
        """
        path = Path(out) if out is not None else default_report_path(self.home, self.window)
        if path.suffix.lower() not in (".html", ".htm"):
            raise BadInput(MSG_OUT_SUFFIX.format(path=path))
        html = self.to_html()
        data = json.dumps(self._figures, indent=2, sort_keys=False) + "\n"
        json_path = path.with_suffix(".json")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_together({json_path: data, path: html})
        except OSError as error:
            raise BadInput(MSG_WRITE.format(path=path, error=error)) from None
        return path, json_path


def _snapshot_meta(reader: HomeReader, registry: dict) -> dict | None:
    """The stored metadata row of the snapshot the registry section used."""
    chosen = registry["snapshot"]
    if chosen is None:
        return None
    snapshots = reader.snapshots()
    match = snapshots[snapshots["snapshot_id"] == chosen["snapshot_id"]]
    return None if match.empty else match.iloc[0].to_dict()
