"""The lineage report: versioned JSON and an HTML page a reviewer can read."""

from __future__ import annotations

from datetime import date

import pytest

from sanitizer.lineage import LineageReport, commit_tables, run_checks
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize

from . import pipelines as p

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module", params=["strict", "statutory"])
def report(request, tiny_tables):
    policy = request.param
    snapshot = build_snapshot(tiny_tables, AS_OF, policy)
    pipeline = p.PersonPipeline()
    checks = run_checks(
        pipeline, tiny_tables, snapshot, lambda t: build_snapshot(t, AS_OF, policy), seed=0
    )
    data = sanitize(tiny_tables, snapshot)
    return LineageReport(
        "toy-person", pipeline.name, data, checks, commit_tables(data.tables), fingerprint="f" * 64
    )


def test_json_carries_everything_a_reviewer_needs(report):
    document = report.to_dict()
    assert document["schema"] == "sanitizer.lineage-report/1"
    assert set(document["snapshot"]) >= {
        "as_of",
        "policy",
        "rules_version",
        "digest",
        "excluded_root",
    }
    assert document["removed"]["by_item_type"]["arrest"] > 0
    assert set(document["checks"]) == {"provenance", "invariance", "fitted_state"}
    for check in document["checks"].values():
        assert check["passed"] and check["how"] and check["rerun"]
    assert document["commitments"]["arrests"]["keys_root"]
    assert "git_commit" in document["code"]


def test_statutory_names_records_strict_would_exclude(report):
    use = report.to_dict()["le_duty_use"]
    if report.data.snapshot.policy == "strict":
        assert use is None
    else:
        assert use["count"] > 0 and len(use["merkle_root"]) == 64
        assert set(use["by_status"]) <= {
            "SEALED_160_57",
            "SEALED_160_59",
            "COND_SEALED_160_58",
            "ACD_PENDING",
            "APPEAL_PENDING",
            "MOTION_REQUIRED_PRE_EFFECTIVE",
            "CSA_ELIGIBLE_PENDING_NOTICE",
        }


def test_html_renders_the_verdict_and_every_section(report):
    html = report.to_html()
    assert html.startswith("<!doctype html>")
    for heading in (
        "Registry snapshot",
        "What the sanitizer removed",
        "Checks",
        "Data commitments",
    ):
        assert heading in html
    assert "All lineage checks passed" in html
    assert report.data.snapshot.digest in html
