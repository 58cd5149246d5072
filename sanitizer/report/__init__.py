"""The compliance report: what a court-appointed monitor reads every half-year.

The last stage of the flow, and read-only: it gathers its numbers from the home alone
(registry snapshots and recorded events, the hash-chained audit log and its exported
checkpoints; never the raw data) and writes one self-contained HTML page with inline SVG
plots, plus the same numbers as JSON next to it so that tests and reviewers can compare
them with the database.

Sections: records newly sealed by statute; records removed from training by item type;
destroy-class items pending destruction; model versions certified, decertified (with the
time from a sealing event to decertification) and refused; access attempts by basis and
the count of sealed records shown without a grant (which must be 0); the audit chain's
status and latest exported checkpoint; fairness metrics per model over time; and the
policy profiles and rules version in force.
"""

from ._report import REPORT_FORMAT, ComplianceReport, default_report_path
from ._sources import HomeReader
from ._window import ReportWindow, last_full_half_year, report_window

__all__ = [
    "REPORT_FORMAT",
    "ComplianceReport",
    "HomeReader",
    "ReportWindow",
    "default_report_path",
    "last_full_half_year",
    "report_window",
]
