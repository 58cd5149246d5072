"""``records show`` and ``audit verify`` as a requester and a monitor see them.

On the sample data (``data/sample``), with a few grants added to a private copy: the gate
checks a named grant whatever the arrest's regime, never decides as of a date before what
it already knows, shows each record type's own content, tells a denied requester nothing
about how (or whether) the arrest is sealed, opens a sealed arrest under a supervision or
license basis only with proof of its precondition, and leaves the log as it was on exit 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sanitizer.cli import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
AS_OF = "2026-06-01"
INVESTIGATION = "INVESTIGATION_OF_SPECIFIC_CRIME"
PARTIAL = "100000085"  # PARTIALLY_SEALED: docket 341 not sealed, docket 342 SEALED_160_50
SEALED_DOCKET = "CR-00000342-81BX"
OPEN_DOCKET = "CR-00000341-81BX"
SEALED = "100000452"  # SEALED_160_50 (CPL 160.50(3)(b)); grant G00001 opens it
EXPUNGED = "100002557"  # EXPUNGED_160_50_5
RECENTLY_SEALED = "100004922"  # OPEN until its DISMISSAL of 2026-05-31
SUPERVISION = "SUPERVISION"
# SEALED_160_50; its person P00000020 is on parole for arrest 100002768 (released 2022-12-18)
ON_PAROLE = "100003141"
# SEALED_160_50; P00000057's parole (arrest 100004280) was revoked on 2026-05-29
PAROLE_REVOKED = "100004279"
# P00000131 was on probation for arrest 100003655 from 2022-11-03 to 2025-11-23:
DURING_PROBATION = "100003976"  # SEALED_160_55, arrested 2023-07-04
AFTER_PROBATION = "100004923"  # SEALED_160_50, arrested 2026-02-02

_HEADER = (
    "GRANT_ID,BASIS,COURT,COURT_TYPE,COURT_SEALED_THE_RECORD,EX_PARTE,DOCKET_NO,JUDGE,"
    "ISSUED_AT,EFFECTIVE_FROM,EXPIRES_AT,STATUS,GRANTEE_IDS,SCOPE_ARREST_KEYS,"
    "SCOPE_PERSON_IDS,RECORD_TYPES,PURPOSE,PERMITTED_ACTIONS,CASE_NO,ORDER_SHA256"
)


def _grant(
    gid,
    basis,
    scope,
    *,
    ex_parte="true",
    issued="2026-01-05",
    effective="2026-01-05",
    persons="",
    purpose=INVESTIGATION,
    sha="0" * 64,
):
    fields = [
        gid, basis, "Supreme Court Bronx County", "SUPREME", "false", ex_parte, "IND-1",
        "Hon. A. Judge", issued, effective, "2027-01-05", "ACTIVE", "det.x", scope, persons,
        "ARREST_REPORT;COURT_PAPERS", purpose, "VIEW", "", sha,
    ]  # fmt: skip
    return ",".join(fields)


#: Added to the copy: an LE-duty grant and an ex parte order for the partially sealed
#: arrest, an order for the sealed arrest issued in the future with no EFFECTIVE_FROM, the
#: supervision bases (two parole grants, a probation grant scoped to a person) and a gun
#: license grant with no document hash.
EXTRA_GRANTS = [
    _grant("GX-LE", "LE_DUTY_STATUTORY", PARTIAL, ex_parte="false"),
    _grant("GX-ORDER", "CPL_160_50_1_d_ii_EX_PARTE_ORDER", PARTIAL),
    _grant("GX-FUTURE", "CPL_160_50_1_d_ii_EX_PARTE_ORDER", SEALED, issued="2026-07-01",
           effective=""),
    _grant("GX-PAROLE", "PAROLE_SUPERVISION", ON_PAROLE, ex_parte="false", purpose=SUPERVISION),
    _grant("GX-PAROLE-REVOKED", "PAROLE_SUPERVISION", PAROLE_REVOKED, ex_parte="false",
           purpose=SUPERVISION),
    _grant("GX-PROBATION", "PROBATION_SUPERVISION_ARREST_DURING", "", persons="P00000131",
           ex_parte="false", purpose=SUPERVISION),
    _grant("GX-LICENSE", "GUN_LICENSE_APPLICATION", SEALED, ex_parte="false",
           purpose="LICENSE_REVIEW", sha=""),
]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample") / "data"
    shutil.copytree(SAMPLE, folder)
    grants = folder / "access_grants.csv"
    assert grants.read_text().splitlines()[0].replace('"', "") == _HEADER
    with open(grants, "a") as handle:
        handle.write("\n".join(EXTRA_GRANTS) + "\n")
    return folder


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def show(data, home, key, *extra, who="det.x", purpose=INVESTIGATION, as_of=AS_OF):
    return cli(
        "records", "show", key, "--data", data, "--as", who, "--purpose", purpose,
        "--as-of", as_of, "--home", home, "--json", *extra,
    )  # fmt: skip


def audit_rows(home) -> list[dict]:
    engine = sa.create_engine(f"sqlite:///{home / 'registry.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY seq")).mappings()
            return [{**r, "detail": json.loads(r["detail"])} for r in rows]
    finally:
        engine.dispose()


def event_ids(payload) -> set[str]:
    return {e["DOCKET_ID"] for e in payload["record"]["court_events"]}


# --- 1. a named grant is checked whatever the arrest's regime ------------------------------
def test_a_grant_that_does_not_exist_denies_even_an_unsealed_arrest(tmp_path, data):
    result = show(data, tmp_path / "h", PARTIAL, "--grant", "BOGUS")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["granted"] is False and "record" not in payload
    assert SEALED_DOCKET not in result.stdout
    [entry] = audit_rows(tmp_path / "h")
    assert entry["outcome"] == "DENIED" and entry["grant_id"] == "BOGUS"


def test_sealed_dockets_are_shown_only_under_a_grant_that_opens_their_regime(tmp_path, data):
    home = tmp_path / "h"
    papers = ("--record-type", "COURT_PAPERS")
    without = json.loads(show(data, home, PARTIAL, *papers).stdout)
    assert event_ids(without) == {OPEN_DOCKET}
    # valid in itself, but LE_DUTY_STATUTORY never opens a CPL 160.50 sealing
    le_duty = show(data, home, PARTIAL, *papers, "--grant", "GX-LE")
    assert le_duty.exit_code == 0 and event_ids(json.loads(le_duty.stdout)) == {OPEN_DOCKET}
    order = show(data, home, PARTIAL, *papers, "--grant", "GX-ORDER")
    assert order.exit_code == 0
    assert event_ids(json.loads(order.stdout)) == {OPEN_DOCKET, SEALED_DOCKET}
    withheld = [e["detail"]["withheld_dockets"] for e in audit_rows(home)]
    assert withheld == [[SEALED_DOCKET], [SEALED_DOCKET], []]


# --- 2. the gate's clock never runs backwards -------------------------------------------------
def test_an_as_of_before_the_newest_court_event_is_refused_and_not_audited(tmp_path, data):
    home = tmp_path / "h"
    assert show(data, home, SEALED).exit_code == 1  # one audited attempt
    result = show(data, home, RECENTLY_SEALED, as_of="2026-05-01")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert "--as-of" in error and "2026-05-31" in error
    assert "DISMISSAL" not in result.stdout and "granted" not in result.stdout
    assert len(audit_rows(home)) == 1


def test_an_as_of_before_the_last_access_decision_is_refused(tmp_path, data):
    home = tmp_path / "h"
    assert show(data, home, SEALED, as_of="2026-06-10").exit_code == 1
    result = show(data, home, SEALED, as_of="2026-06-09")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert "--as-of" in error and "2026-06-10" in error
    assert len(audit_rows(home)) == 1
    assert show(data, home, SEALED, as_of="2026-06-10").exit_code == 1  # same day: fine
    assert len(audit_rows(home)) == 2


def test_an_event_recorded_in_the_home_also_moves_the_clock(tmp_path, data):
    home = tmp_path / "h"
    arrests = pd.read_csv(data / "arrests.csv", dtype=str)
    events = pd.read_csv(data / "court_events.csv", dtype=str)
    bare = arrests[~arrests["ARREST_KEY"].isin(events["ARREST_KEY"])]
    key = bare.loc[bare["ARREST_DATE"] < "2026-01-01", "ARREST_KEY"].iloc[0]
    dismissals = events[(events["DISPOSITION"] == "DISMISSAL") & events["DOCKET_ID"].isna()]
    row = dismissals.iloc[[0]].assign(EVENT_ID="GATE-1", ARREST_KEY=key, EVENT_DATE="2026-06-20")
    new = tmp_path / "new.csv"
    row.to_csv(new, index=False)
    applied = cli("events", "apply", new, "--data", data, "--as-of", "2026-06-21", "--home", home)
    assert applied.exit_code == 0, applied.output
    before = len(audit_rows(home))
    result = show(data, home, key, as_of="2026-06-10")
    assert result.exit_code == 2 and "2026-06-20" in json.loads(result.stdout)["error"]
    assert len(audit_rows(home)) == before


# --- 3. each record type shows its own content ----------------------------------------------
def test_an_arrest_report_holds_no_court_events_court_papers_do(tmp_path, data):
    home = tmp_path / "h"
    grant = ("--grant", "G00001", "--case-no", "2026-105-18700")
    report = show(data, home, SEALED, *grant, who="det.rivera")
    assert report.exit_code == 0, report.output
    record = json.loads(report.stdout)["record"]
    assert record["arrest"]["ARREST_KEY"] == SEALED and "court_events" not in record
    # G00001 covers ARREST_REPORT, PHOTO and COMPLAINT_LINKS, not COURT_PAPERS
    papers = show(data, home, SEALED, *grant, "--record-type", "COURT_PAPERS", who="det.rivera")
    assert papers.exit_code == 1 and "record" not in json.loads(papers.stdout)
    opened = show(data, home, PARTIAL, "--record-type", "COURT_PAPERS")
    assert json.loads(opened.stdout)["record"]["court_events"]


# --- 4. a denial tells nothing about the arrest ---------------------------------------------
SEALED_WORDS = ("SEALED", "EXPUNGED", "160.5", "CPL", "COURT_ORDER_ONLY", "SUBJECT_ONLY", "P000")


def _told(result) -> dict:
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"granted", "reason", "audit_seq"}
    assert not any(word in result.stdout for word in SEALED_WORDS), result.stdout
    return {k: v for k, v in payload.items() if k != "audit_seq"}


def test_unknown_sealed_and_expunged_arrests_are_denied_alike(tmp_path, data):
    home = tmp_path / "h"
    told = {}
    for name, key in (("unknown", "999999999"), ("sealed", SEALED), ("expunged", EXPUNGED)):
        told[name] = _told(show(data, home, key))
        told[name]["reason"] = told[name]["reason"].replace(key, "K")
    assert told["unknown"] == told["sealed"] == told["expunged"]
    details = [e["detail"] for e in audit_rows(home)]
    assert [d["status"] for d in details] == [None, "SEALED_160_50", "EXPUNGED_160_50_5"]
    assert details[1]["statute"] == "CPL 160.50(3)(b)" and "160.50" in details[1]["reason"]


def test_a_grant_problem_names_the_grant_not_the_arrest(tmp_path, data):
    home = tmp_path / "h"
    # G00027 does not cover 100000052 (a sealed arrest of another person)
    scope = ("--grant", "G00027", "--case-no", "2026-091-34741")
    sealed = _told(show(data, home, "100000052", *scope, who="det.rivera"))
    unknown = _told(show(data, home, "999999999", *scope, who="det.rivera"))
    assert sealed["reason"].replace("100000052", "K") == unknown["reason"].replace("999999999", "K")
    assert "outside the scope of grant G00027" in sealed["reason"]
    # G00022 is LE_DUTY_STATUTORY for a CPL 160.50 sealing: named, but the statute is not
    le_duty = _told(
        show(data, home, "100002939", "--grant", "G00022", "--case-no", "2026-063-54680",
             who="det.rivera")
    )  # fmt: skip
    assert le_duty["reason"].startswith("grant G00022 ")
    # the expunged arrest under a valid-looking order answers like the others
    expunged = _told(
        show(data, home, EXPUNGED, "--grant", "G00030", "--case-no", "2026-090-07349",
             who="det.rivera")
    )  # fmt: skip
    assert expunged["reason"].startswith("grant G00030 ")
    entries = audit_rows(home)
    assert "person P" in entries[0]["detail"]["reason"]
    assert "CPL 160.50" in entries[2]["detail"]["reason"]
    assert "expunged" in entries[3]["detail"]["reason"]


# --- 5. a grant is never effective before it is issued ---------------------------------------
def test_a_grant_issued_in_the_future_opens_nothing(tmp_path, data):
    result = show(data, tmp_path / "h", SEALED, "--grant", "GX-FUTURE")
    payload = _told(result)
    assert "issued on 2026-07-01" in payload["reason"]


# --- 6. a supervision or license basis opens a sealed arrest only with proof of its precondition
def test_a_parole_grant_opens_a_sealed_arrest_only_while_the_person_is_on_parole_elsewhere(
    tmp_path, data
):
    home = tmp_path / "h"
    opened = show(data, home, ON_PAROLE, "--grant", "GX-PAROLE", purpose=SUPERVISION)
    assert opened.exit_code == 0, opened.output
    assert json.loads(opened.stdout)["record"]["arrest"]["ARREST_KEY"] == ON_PAROLE
    revoked = _told(
        show(data, home, PAROLE_REVOKED, "--grant", "GX-PAROLE-REVOKED", purpose=SUPERVISION)
    )
    # the requester hears what any grant that does not fit the record says
    assert revoked["reason"] == (
        f"grant GX-PAROLE-REVOKED does not open the records of arrest '{PAROLE_REVOKED}'; denied"
    )
    granted, denied = (e["detail"]["reason"] for e in audit_rows(home))
    assert granted.endswith("supervision record: PAROLE on arrest 100002768 since 2022-12-18")
    assert denied.startswith(
        "no parole supervision of person P00000057 on a different case as of 2026-06-01"
    )


def test_a_probation_grant_opens_only_the_arrests_made_during_another_case_probation(
    tmp_path, data
):
    home = tmp_path / "h"
    grant = ("--grant", "GX-PROBATION")
    during = show(data, home, DURING_PROBATION, *grant, purpose=SUPERVISION)
    assert during.exit_code == 0, during.output
    after = _told(show(data, home, AFTER_PROBATION, *grant, purpose=SUPERVISION))
    assert after["reason"] == (
        f"grant GX-PROBATION does not open the records of arrest '{AFTER_PROBATION}'; denied"
    )
    granted, denied = (e["detail"]["reason"] for e in audit_rows(home))
    assert granted.endswith("supervision record: PROBATION on arrest 100003655 since 2022-11-03")
    assert denied.startswith(
        f"arrest {AFTER_PROBATION} of person P00000131 (dated 2026-02-02) was not made during"
    )


def test_a_gun_license_grant_without_the_application_hash_opens_nothing(tmp_path, data):
    payload = _told(
        show(data, tmp_path / "h", SEALED, "--grant", "GX-LICENSE", purpose="LICENSE_REVIEW")
    )
    assert payload["reason"].startswith(
        "grant GX-LICENSE (GUN_LICENSE_APPLICATION) carries no well-formed ORDER_SHA256"
    )


# --- 7. a log with entries and no checkpoint at all is not intact ----------------------------
def test_removing_every_checkpoint_is_caught(tmp_path, data):
    home = tmp_path / "h"
    show(data, home, SEALED)
    show(data, home, PARTIAL)
    assert cli("audit", "verify", "--home", home, "--json").exit_code == 0
    engine = sa.create_engine(f"sqlite:///{home / 'registry.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
    engine.dispose()
    (home / "audit-checkpoints.jsonl").write_text("")
    result = cli("audit", "verify", "--home", home, "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["intact"] is False and payload["first_bad"] == 1
    assert any("no valid signed checkpoint" in p for p in payload["problems"])


# --- 8. exit 2 leaves the log as it was -------------------------------------------------------
def test_an_unreadable_signing_key_exits_2_before_anything_is_audited(tmp_path, data):
    home = tmp_path / "h"
    assert show(data, home, SEALED).exit_code == 1
    key = home / "keys" / "signing_key.pem"
    assert key.exists()
    key.write_text("garbage\n")
    result = show(data, home, PARTIAL)
    assert result.exit_code == 2, result.output
    assert len(audit_rows(home)) == 1
