"""``sanitizer report``: the page's numbers are the database's, window by window."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from sanitizer._home import Home
from sanitizer.cli import app
from sanitizer.registry import AuditLog, Registry
from sanitizer.report import ComplianceReport, report_window

from .conftest import REPORT_AS_OF
from .expected import access_counts, destroy_class, model_entries, newly_sealed, query

H1 = (date(2026, 1, 1), date(2026, 6, 30))
H2_2025 = (date(2025, 7, 1), date(2025, 12, 31))
runner = CliRunner()


def run_report(home, *extra):
    args = ["report", "--home", str(home), "--as-of", REPORT_AS_OF.isoformat(), "--json", *extra]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def h1_report(report_home):
    """The default report of the shared home (as of 2026-07-15: H1 2026)."""
    result = run_report(report_home.path)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    html = open(payload["path"], encoding="utf-8").read()
    figures = json.loads(open(payload["json"], encoding="utf-8").read())
    return payload, figures, html


def test_default_window_and_paths(report_home, h1_report):
    payload, figures, _ = h1_report
    assert payload["path"] == str(report_home.path / "reports" / "compliance-2026-06-30.html")
    assert payload["json"] == str(report_home.path / "reports" / "compliance-2026-06-30.json")
    assert (payload["since"], payload["until"]) == ("2026-01-01", "2026-06-30")
    assert figures["window"]["since"] == "2026-01-01" and figures["window"]["until"] == "2026-06-30"
    assert payload["compliant"] is True and payload["audit_intact"] is True


def test_access_figures_match_the_audit_log(report_home, h1_report):
    _, figures, html = h1_report
    expected = access_counts(report_home.path, *H1)
    access = figures["access"]
    assert (access["granted"], access["denied"]) == (expected["granted"], expected["denied"])
    assert access["attempts"] == expected["granted"] + expected["denied"] == 10
    assert access["by_basis"] == expected["by_basis"]
    assert access["by_basis"]["(no grant)"] == {"granted": 1, "denied": 1}
    assert access["by_basis"]["(basis not recorded)"]["granted"] == 0
    assert f'data-figure="access-granted">{expected["granted"]}<' in html
    assert f'data-figure="access-denied">{expected["denied"]}<' in html


def test_zero_unauthorized_access_is_stated(report_home, h1_report):
    payload, figures, html = h1_report
    assert access_counts(report_home.path, *H1)["unauthorized"] == []
    assert figures["access"]["unauthorized_sealed_access"] == 0
    assert payload["unauthorized_sealed_access"] == 0
    assert "There were <b>0</b> accesses to sealed records without a grant" in html


def test_model_history_matches_the_audit_log(report_home, h1_report):
    _, figures, html = h1_report
    models = figures["models"]
    certified = model_entries(report_home.path, "MODEL_CERTIFIED", *H1)
    assert [m["seq"] for m in models["certified"]] == [c["seq"] for c in certified]
    assert [m["uri"] for m in models["certified"]] == [
        "models:/recidivism/1",
        "models:/recidivism/2",
    ]
    decertified = {d["uri"]: d for d in models["decertified"]}
    assert set(decertified) == {"models:/recidivism/1", "models:/patternizr-burglary/1"}
    # the sealing batch was recorded two hours before the decertification
    assert decertified["models:/recidivism/1"]["seconds_to_decertify"] == pytest.approx(7200, 1)
    assert decertified["models:/recidivism/1"]["record_ids"] == [report_home.dismissed_key]
    assert decertified["models:/patternizr-burglary/1"]["seconds_to_decertify"] is None
    assert "2.0 h" in html
    (refused,) = models["refused"]
    assert refused["run_id"] == "r2" and refused["failed_gates"] == ["fairness"]
    assert refused["reasons"] == model_entries(report_home.path, "MODEL_REFUSED", *H1)[0]["reasons"]
    assert "fairness: equalized odds difference 0.2 above 0.1" in html


def test_registry_figures_match_the_snapshot(report_home, h1_report):
    _, figures, html = h1_report
    snapshot = figures["registry"]["snapshot"]
    assert snapshot["as_of"] == "2026-06-30" and snapshot["status_file_intact"] is True
    sealed = figures["registry"]["newly_sealed"]
    expected = newly_sealed(report_home.path, snapshot["snapshot_id"], *H1)
    assert sealed["by_statute"] == expected and sealed["total"] == sum(expected.values()) > 0
    assert sealed["covers_window"] is True
    assert f'data-figure="newly-sealed">{sealed["total"]:,}<' in html
    destroy = figures["destruction"]["registry"]["arrests"]
    assert destroy == destroy_class(report_home.path, snapshot["snapshot_id"])
    assert figures["destruction"]["by_model"] == {
        "patternizr-burglary": {"destroy": 4},
        "recidivism": {"destroy": 7},
    }
    events = figures["registry"]["recorded_events"]
    assert events["total"] == 1 and events["by_type"] == {"DISPOSITION": 1}
    assert events["newly_excluded"] == {"statutory": 1, "strict": 1}


def test_training_and_fairness_figures(h1_report):
    _, figures, _ = h1_report
    runs = figures["training"]["runs"]
    assert [r["run_id"] for r in runs] == ["r1", "r2", "r3"]
    assert figures["training"]["latest_by_model"] == {"recidivism": {"arrest": 31, "photo": 7}}
    assert runs[0]["removed_by_statute"] == {"CPL 160.50(3)(b)": 5, "CPL 160.55": 2}
    series = figures["fairness"]["series"]
    # the whole history up to the window's end: v1 of burglary from 2025 too, not v3 (July)
    assert [p["version"] for p in series["recidivism"]] == [1, None, 2]
    assert [p["outcome"] for p in series["recidivism"]] == ["certified", "refused", "certified"]
    assert series["patternizr-burglary"][0]["in_window"] is False
    eod = [p["metrics"]["fairness.race.equalized_odds_difference"] for p in series["recidivism"]]
    assert eod == [0.05, 0.2, 0.06]


def test_policy_in_force(h1_report):
    from sanitizer.registry import RULES_VERSION, STRICT

    _, figures, html = h1_report
    policy = figures["policy"]
    assert policy["rules_version"] == RULES_VERSION
    assert policy["profiles"]["strict"]["version"] == STRICT.version_hash
    assert set(policy["snapshots"]) == {"strict", "statutory"}
    assert all(s["matches_code"] for s in policy["snapshots"].values())
    assert policy["models"]["recidivism"]["version"] == 2
    assert policy["models"]["recidivism"]["status"] == "certified"
    assert policy["models"]["patternizr-burglary"]["status"] == "decertified"
    assert RULES_VERSION in html


def test_audit_section_names_the_latest_exported_checkpoint(report_home, h1_report):
    _, figures, html = h1_report
    audit = figures["audit"]
    (entries,) = query(report_home.path, "SELECT count(*) FROM audit_log")[0]
    assert audit["intact"] is True and audit["entries"] == entries
    lines = (report_home.path / "audit-checkpoints.jsonl").read_text().splitlines()
    assert audit["latest_exported_checkpoint"] == json.loads(lines[-1])
    assert audit["exported_is_verified"] is True
    assert audit["latest_exported_checkpoint"]["chain_head"] in html


def test_window_filtering(report_home):
    result = run_report(
        report_home.path,
        "--since",
        H2_2025[0].isoformat(),
        "--until",
        H2_2025[1].isoformat(),
        "--out",
        report_home.path / "reports" / "h2-2025.html",
    )
    assert result.exit_code == 0, result.output
    figures = json.loads((report_home.path / "reports" / "h2-2025.json").read_text())
    expected = access_counts(report_home.path, *H2_2025)
    assert figures["access"]["attempts"] == expected["granted"] + expected["denied"] == 2
    assert [m["uri"] for m in figures["models"]["certified"]] == ["models:/patternizr-burglary/1"]
    assert figures["models"]["decertified"] == [] and figures["models"]["refused"] == []
    assert [r["run_id"] for r in figures["training"]["runs"]] == ["b1"]
    assert figures["registry"]["recorded_events"]["total"] == 0
    assert figures["policy"]["models"]["patternizr-burglary"]["status"] == "certified"


def test_the_report_changes_nothing_in_the_home(report_home_copy):
    home = report_home_copy.path
    before_rows = query(home, "SELECT count(*) FROM audit_log")
    before_points = (home / "audit-checkpoints.jsonl").read_bytes()
    before_files = sorted(p for p in home.rglob("*") if p.suffix != ".db-shm")
    ComplianceReport(Home.resolve(home), report_window(REPORT_AS_OF))
    assert query(home, "SELECT count(*) FROM audit_log") == before_rows
    assert (home / "audit-checkpoints.jsonl").read_bytes() == before_points
    assert sorted(p for p in home.rglob("*") if p.suffix != ".db-shm") == before_files


def test_a_sealed_record_shown_without_a_grant_is_counted_and_fails(report_home_copy):
    home = report_home_copy.path
    log = AuditLog(
        Registry(Home.resolve(home)).audit.engine,
        home,
        clock=lambda: datetime(2026, 5, 5, 12, 0, tzinfo=UTC),
    )
    seq = log.append(
        {
            "actor": "someone",
            "action": "ACCESS",
            "outcome": "GRANTED",
            "record_ids": [report_home_copy.sealed_key],
            "purpose": "INVESTIGATION_OF_SPECIFIC_CRIME",
            "detail": {
                "status": "SEALED_160_50",
                "statute": "CPL 160.50(3)(b)",
                "access_regime": "COURT_ORDER_ONLY",
                "basis": None,
                "reason": "gate bypassed",
            },
        }
    )
    log.checkpoint()
    result = run_report(home)
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["unauthorized_sealed_access"] == 1 and payload["compliant"] is False
    figures = json.loads(open(payload["json"]).read())
    assert figures["access"]["unauthorized_entries"] == [seq]
    assert access_counts(home, *H1)["unauthorized"] == [seq]
    html = open(payload["path"]).read()
    statement = "<b>1</b> access(es) to sealed records without a grant in this period"
    assert f"{statement}: audit entries {seq}" in html
    assert "NOT COMPLIANT" in html


def test_a_tampered_audit_log_shows_a_broken_chain(report_home_copy):
    home = report_home_copy.path
    ((seq,),) = query(
        home,
        "SELECT min(seq) FROM audit_log WHERE action = 'ACCESS' AND outcome = 'DENIED' "
        "AND ts >= '2026-01-01'",
    )
    with sqlite3.connect(home / "registry.db") as conn:
        conn.execute("UPDATE audit_log SET outcome = 'GRANTED' WHERE seq = ?", (seq,))
    result = run_report(home)
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["audit_intact"] is False
    figures = json.loads(open(payload["json"]).read())
    assert figures["audit"]["intact"] is False and figures["audit"]["first_bad"] == seq
    html = open(payload["path"]).read()
    assert 'data-figure="audit-status">BROKEN<' in html
    assert f"BROKEN: first entry that can no longer be trusted: {seq}" in html


def test_sections_without_data_say_so(tmp_path, tiny_world, tiny_tables):
    home = Home.resolve(tmp_path / "home", f"sqlite:///{tmp_path / 'home' / 'registry.db'}")
    Registry(home).build(tiny_tables, date(2026, 6, 30), "strict")
    report = ComplianceReport(home, report_window(date(2026, 7, 1)))
    html = report.to_html()
    for sentence in (
        "No access attempt was recorded in this period.",
        "No model version was certified, decertified or refused in this period.",
        "No model was retrained in this period",
        "No retrain with fairness metrics has been recorded",
        "No court events were recorded in this home in this period.",
    ):
        assert sentence in html
    # only the registry's two plots are drawn; no empty plot anywhere
    assert re.findall(r'<figure class="plot" id="([^"]+)"', html) == [
        "plot-newly-sealed",
        "plot-destruction",
    ]
    assert html.count("<svg") == 2
    assert "There were <b>0</b> accesses to sealed records without a grant" in html


def test_the_page_is_self_contained(h1_report):
    _, _, html = h1_report
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert html.count('<figure class="plot"') == html.count("<svg") == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a date"),
        (["--until", "yesterday"], "--until 'yesterday' is not a date"),
        (["--since", "2026-05-02", "--until", "2026-05-01"], "is after --until"),
        (["--out", "report.json"], "must end in .html"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(report_home_copy, args, message):
    home = report_home_copy.path

    def written():  # the folder exists once some earlier test wrote a report
        return sorted((home / "reports").iterdir()) if (home / "reports").exists() else []

    before = written()
    result = run_report(home, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert written() == before


def test_a_missing_home_exits_2_and_is_not_created(tmp_path):
    missing = tmp_path / "nowhere"
    result = run_report(missing)
    assert result.exit_code == 2
    assert "no sanitizer home" in " ".join(result.output.split())
    assert not missing.exists()


def test_a_report_that_cannot_be_written_leaves_neither_file(report_home_copy):
    """The page's temporary name taken by a folder: exit 2, and the figures (written
    first) are not left behind without their page, nor any temporary file."""
    home = report_home_copy.path
    reports = home / "reports"
    reports.mkdir(exist_ok=True)
    (reports / ".x.html.partial").mkdir()
    before = sorted(reports.iterdir())
    result = run_report(home, "--out", reports / "x.html")
    assert result.exit_code == 2
    assert sorted(reports.iterdir()) == before
