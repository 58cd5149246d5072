"""The report's numbers, computed from the home: one function per section, plain dicts out.

Why plain dicts: the same numbers go into the HTML page, its plots and the JSON file next
to it, which tests and reviewers compare against the database. Each function reads what
it needs through :class:`._sources.HomeReader` and returns JSON-ready values (sorted keys
where order carries no meaning, counts as ints).

Time basis: audit entries fall in the window by the time they were recorded (``ts``,
UTC), which the hash chain protects; registry statuses by the date they began (``since``),
as replayed in the stored snapshot chosen for the window (:func:`pick_snapshot`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import pandas as pd
import pyarrow.compute as pc

from ..registry import ENGINE_VERSION, POLICIES, RULES_VERSION
from ._sources import HomeReader, json_fields
from ._window import ReportWindow

__all__ = [
    "ACCESS_FIELDS",
    "MODEL_ACTIONS",
    "NO_GRANT",
    "UNKNOWN_GRANT",
    "access_figures",
    "audit_figures",
    "destruction_figures",
    "fairness_figures",
    "model_figures",
    "pick_snapshot",
    "policy_figures",
    "registry_figures",
    "section_of",
    "training_figures",
]

#: Fields of an ACCESS entry's detail the report reads (see ``Registry.show_record``).
ACCESS_FIELDS = ("status", "statute", "access_regime", "basis", "reason")
#: Entries that make up a model's history.
MODEL_ACTIONS = ("MODEL_CERTIFIED", "MODEL_REFUSED", "MODEL_DECERTIFIED")
#: How an access attempt that relied on no grant is grouped by basis.
NO_GRANT = "(no grant)"
#: How an attempt naming a grant is grouped when the gate recorded no basis (the grant is
#: not on file, or the record's regime never reached the grant's basis).
UNKNOWN_GRANT = "(basis not recorded)"
#: Access regimes under which a record may be shown without a grant.
_OPEN_REGIME = "UNRESTRICTED"
_SUBJECT_REGIME = "SUBJECT_ONLY"
_SUBJECT_PURPOSE = "SUBJECT_REQUEST"
#: An actor denied this many times in the window is flagged for review.
DENIAL_FLAG = 3


def _ints(counts: Mapping) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))}


def section_of(statutes: pd.Series) -> pd.Series:
    """``CPL 160.50(3)(b)`` -> ``CPL 160.50``, vectorised; other texts stay as they are."""
    text = statutes.astype("str")
    section = text.str.extract(r"^(CPL 160\.\d\d)", expand=False)
    return section.fillna(text)


def _detail(text: str) -> dict:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _day(ts: str | None) -> str | None:
    return None if not ts else str(ts)[:10]


# --- registry -------------------------------------------------------------------------------
def pick_snapshot(snapshots: pd.DataFrame, window: ReportWindow) -> dict | None:
    """The stored snapshot whose statuses best describe the window.

    Among snapshots as of the report's as-of date or earlier: the earliest one replayed to
    the window's end or later (it has seen every seal of the window, and few later
    changes); failing that, the latest one. Ties go to the most recently stored.
    """
    if snapshots.empty:
        return None
    usable = snapshots[snapshots["as_of"] <= window.as_of.isoformat()]
    if usable.empty:
        return None
    order = usable.sort_values(["as_of", "created_at"], ascending=[True, False])
    late = order[order["as_of"] >= window.until.isoformat()]
    if not late.empty:
        row = late.iloc[0]
    else:
        last = order["as_of"].iloc[-1]
        row = order[order["as_of"] == last].iloc[0]
    return row.to_dict()


def _snapshot_summary(meta: dict, reader: HomeReader) -> dict:
    return {
        "snapshot_id": meta["snapshot_id"],
        "as_of": meta["as_of"],
        "policy": meta["policy"],
        "policy_version": meta["policy_version"],
        "rules_version": meta["rules_version"],
        "digest": meta["digest"],
        "excluded_root": meta["excluded_root"],
        "arrests": int(meta["arrests"]),
        "excluded": int(meta["excluded"]),
        "created_at": meta["created_at"],
        "status_file_intact": reader.status_file_intact(meta),
    }


def registry_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """Records newly sealed in the window by statute, and the court events recorded.

    A record counts as newly sealed when its access regime is no longer UNRESTRICTED
    (sealed, conditionally sealed or expunged) and that status began inside the window.
    """
    snapshots = reader.snapshots()
    meta = pick_snapshot(snapshots, window)
    out: dict = {"snapshot": None, "newly_sealed": None}
    if meta is not None:
        out["snapshot"] = _snapshot_summary(meta, reader)
        table = reader.status_table(meta, ["statute", "since", "access_regime"])
        if table is not None:
            since = pc.cast(table["since"], "string")
            sealed = pc.and_(
                pc.not_equal(table["access_regime"], _OPEN_REGIME),
                pc.and_(
                    pc.greater_equal(since, window.since.isoformat()),
                    pc.less_equal(since, window.until.isoformat()),
                ),
            )
            statutes = table.filter(sealed)["statute"].to_pandas().fillna("(none)")
            by_statute = statutes.value_counts()
            by_section = section_of(statutes).value_counts()
            out["newly_sealed"] = {
                "total": int(len(statutes)),
                "by_statute": _ints(by_statute),
                "by_section": _ints(by_section),
                "replayed_to": meta["as_of"],
                "covers_window": meta["as_of"] >= window.until.isoformat(),
            }
    start, end = window.ts_bounds
    events = reader.recorded_events(start, end)
    batches = reader.entries(["REGISTRY_EVENTS"], start, end)
    newly: dict[str, set[str]] = {}
    undone: dict[str, set[str]] = {}
    for text in batches["detail"]:
        detail = _detail(text)
        for policy, keys in (detail.get("newly_excluded") or {}).items():
            newly.setdefault(policy, set()).update(keys)
        for policy, keys in (detail.get("no_longer_excluded") or {}).items():
            undone.setdefault(policy, set()).update(keys)
    out["recorded_events"] = {
        "total": int(len(events)),
        "by_type": _ints(events["EVENT_TYPE"].fillna("(none)").value_counts()),
        "arrests": int(events["arrest_key"].nunique()),
        "batches": int(len(batches)),
        "newly_excluded": {policy: len(keys) for policy, keys in sorted(newly.items())},
        "no_longer_excluded": {policy: len(keys) for policy, keys in sorted(undone.items())},
    }
    return out


# --- training and destruction ---------------------------------------------------------------
def _flat_counts(value) -> dict[str, int]:
    """``{k: n}`` from ``{k: n}`` or ``{k: {item: n}}`` (summed), as written by retrains."""
    out: dict[str, int] = {}
    for key, n in (value or {}).items():
        out[str(key)] = int(sum(n.values()) if isinstance(n, Mapping) else n)
    return dict(sorted(out.items()))


def _training_runs(frame: pd.DataFrame) -> list[dict]:
    runs = []
    for row in frame.itertuples():
        detail = _detail(row.detail)
        runs.append(
            {
                "seq": int(row.seq),
                "ts": row.ts,
                "model": detail.get("model"),
                "run_id": detail.get("run_id"),
                "policy": detail.get("policy"),
                "as_of": detail.get("as_of"),
                "snapshot_id": detail.get("snapshot_id"),
                "removed_by_item_type": _flat_counts(detail.get("removed_by_item_type")),
                "removed_by_statute": _flat_counts(detail.get("removed_by_statute")),
                "destruction_pending": _flat_counts(detail.get("destruction_pending")),
                "rows": _flat_counts(detail.get("rows")),
            }
        )
    return runs


def _latest_by_model(runs: list[dict], field: str) -> dict[str, dict[str, int]]:
    latest: dict[str, dict[str, int]] = {}
    for run in runs:  # in seq order: later runs replace earlier ones
        latest[str(run["model"])] = run[field]
    return dict(sorted(latest.items()))


def training_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """Records removed from training, by item type: every retrain in the window.

    Retrains of one model remove mostly the same records, so totals across runs would
    count them again; the figure shows each model's latest retrain in the window.
    """
    runs = _training_runs(reader.entries(["TRAINING_USE"], *window.ts_bounds))
    return {"runs": runs, "latest_by_model": _latest_by_model(runs, "removed_by_item_type")}


def destruction_figures(reader: HomeReader, window: ReportWindow, snapshot: dict | None) -> dict:
    """Destroy-class items pending destruction, at the end of the window.

    Photographs and prints of 160.50 / 160.55 arrests (and expunged ones) must be
    destroyed; the home records no destruction, so every such item is still pending. The
    registry gives the arrests, by statute; each model's latest retrain up to the window's
    end gives the items it listed, by item type.
    """
    out: dict = {"registry": None}
    if snapshot is not None:
        table = reader.status_table(snapshot, ["statute", "destroy_class"])
        if table is not None:
            statutes = table.filter(table["destroy_class"])["statute"].to_pandas()
            out["registry"] = {
                "arrests": int(len(statutes)),
                "by_section": _ints(section_of(statutes.fillna("(none)")).value_counts()),
                "replayed_to": snapshot["as_of"],
            }
    runs = _training_runs(reader.entries(["TRAINING_USE"], None, window.ts_bounds[1]))
    out["by_model"] = _latest_by_model(runs, "destruction_pending")
    return out


# --- models ---------------------------------------------------------------------------------
def _failed_gates(gates) -> list[str]:
    failed = []
    for name, passed in (gates or {}).items():
        ok = passed.get("passed") if isinstance(passed, Mapping) else passed
        if not ok:
            failed.append(str(name))
    return sorted(failed)


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return max((b - a).total_seconds(), 0.0)


def _sealing_recorded_at(registry_events: pd.DataFrame, keys: list[str], before: int) -> str | None:
    """When the first batch of events newly excluding one of ``keys`` was recorded.

    That is the ``ts`` of its REGISTRY_EVENTS entry, looking only before entry ``before``.
    """
    wanted = set(keys)
    for row in registry_events[registry_events["seq"] < before].itertuples():
        newly = _detail(row.detail).get("newly_excluded") or {}
        if any(wanted.intersection(v) for v in newly.values()):
            return row.ts
    return None


def model_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """Every model version certified or decertified in the window, refusals and inference.

    The time from a sealing event to decertification is the entry's own
    ``seconds_to_decertify``; when a writer left it null, it is recomputed from
    ``event_recorded_at``, or from the REGISTRY_EVENTS entry that newly excluded one of
    the decertifying records.
    """
    start, end = window.ts_bounds
    entries = reader.entries([*MODEL_ACTIONS, "INFERENCE"], start, end)
    registry_events = reader.entries(["REGISTRY_EVENTS"], None, end)
    certified, decertified, refused = [], [], []
    inference: dict[str, dict[str, int]] = {}
    for row in entries.itertuples():
        detail = _detail(row.detail)
        model = detail.get("model")
        if row.action == "MODEL_CERTIFIED":
            certified.append(
                {
                    "seq": int(row.seq),
                    "ts": row.ts,
                    "model": model,
                    "version": detail.get("version"),
                    "uri": detail.get("uri"),
                    "run_id": detail.get("run_id"),
                    "policy": detail.get("policy"),
                    "rules_version": detail.get("rules_version"),
                    "snapshot_digest": detail.get("snapshot_digest"),
                    "valid_until": detail.get("valid_until"),
                    "gates_passed": sorted(str(g) for g in (detail.get("gates") or {})),
                }
            )
        elif row.action == "MODEL_DECERTIFIED":
            keys = [str(k) for k in row.record_ids]
            seconds = detail.get("seconds_to_decertify")
            recorded_at = detail.get("event_recorded_at")
            if recorded_at is None and keys:
                recorded_at = _sealing_recorded_at(registry_events, keys, int(row.seq))
            if seconds is None:
                seconds = _seconds_between(recorded_at, row.ts)
            decertified.append(
                {
                    "seq": int(row.seq),
                    "ts": row.ts,
                    "model": model,
                    "version": detail.get("version"),
                    "uri": detail.get("uri"),
                    "reason": detail.get("reason"),
                    "records": len(keys),
                    "record_ids": keys[:20],
                    "event_recorded_at": recorded_at,
                    "seconds_to_decertify": None if seconds is None else float(seconds),
                }
            )
        elif row.action == "MODEL_REFUSED":
            refused.append(
                {
                    "seq": int(row.seq),
                    "ts": row.ts,
                    "model": model,
                    "run_id": detail.get("run_id"),
                    "policy": detail.get("policy"),
                    "reasons": [str(r) for r in detail.get("reasons") or []],
                    "failed_gates": _failed_gates(detail.get("gates")),
                }
            )
        else:
            counts = inference.setdefault(str(model), {"done": 0, "refused": 0})
            counts["done" if row.outcome == "DONE" else "refused"] += 1
    times = [d["seconds_to_decertify"] for d in decertified]
    times = [t for t in times if t is not None]
    return {
        "certified": certified,
        "decertified": decertified,
        "refused": refused,
        "inference": dict(sorted(inference.items())),
        "seconds_to_decertify": {
            "count": len(times),
            "max": max(times) if times else None,
            "median": float(pd.Series(times).median()) if times else None,
        },
    }


def fairness_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """Fairness metrics of every retrain outcome up to the window's end, per model.

    The whole history (not only the window) so a reader sees the trend the window's
    versions sit in; each point says whether the retrain was certified or refused.
    """
    entries = reader.entries(["MODEL_CERTIFIED", "MODEL_REFUSED"], None, window.ts_bounds[1])
    series: dict[str, list[dict]] = {}
    for row in entries.itertuples():
        detail = _detail(row.detail)
        metrics = {
            str(name): float(value)
            for name, value in (detail.get("metrics") or {}).items()
            if str(name).startswith("fairness.") and isinstance(value, int | float)
        }
        if not metrics:
            continue
        series.setdefault(str(detail.get("model")), []).append(
            {
                "seq": int(row.seq),
                "ts": row.ts,
                "version": detail.get("version"),
                "outcome": "certified" if row.action == "MODEL_CERTIFIED" else "refused",
                "in_window": row.ts >= window.ts_bounds[0],
                "metrics": dict(sorted(metrics.items())),
            }
        )
    names = {
        model: sorted({name for point in points for name in point["metrics"]})
        for model, points in series.items()
    }
    return {"series": dict(sorted(series.items())), "metric_names": dict(sorted(names.items()))}


# --- access ---------------------------------------------------------------------------------
def access_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """Access attempts granted and denied, by basis, and sealed records shown without a grant.

    An attempt is an access to a sealed record without a grant when it was GRANTED, the
    record's access regime at the time was not UNRESTRICTED, and no grant was relied on;
    the one lawful exception is an expunged record shown to its subject on their own
    request (SUBJECT_ONLY, purpose SUBJECT_REQUEST). The gate never does this, so the
    count must be 0: anything else means the gate was bypassed or the log was edited.
    """
    entries = reader.entries(["ACCESS"], *window.ts_bounds)
    detail = json_fields(entries["detail"], ACCESS_FIELDS)
    granted = (entries["outcome"] == "GRANTED").to_numpy(dtype=bool)
    grant = entries["grant_id"].astype(object).fillna("").astype("str")
    has_grant = (grant != "").to_numpy(dtype=bool)
    regime = detail["access_regime"].fillna("(unknown)").astype("str")
    basis = detail["basis"].astype(object).fillna(UNKNOWN_GRANT).where(has_grant, NO_GRANT)
    subject_own = (regime == _SUBJECT_REGIME).to_numpy(bool) & (
        entries["purpose"].astype(object).fillna("").astype("str") == _SUBJECT_PURPOSE
    ).to_numpy(bool)
    sealed = (regime != _OPEN_REGIME).to_numpy(bool)
    unauthorized = granted & sealed & ~has_grant & ~subject_own
    frame = pd.DataFrame(
        {
            "basis": basis.to_numpy(),
            "regime": regime.to_numpy(),
            "grant": grant.where(has_grant, NO_GRANT).to_numpy(),
            "actor": entries["actor"].astype("str").to_numpy(),
            "granted": granted,
        }
    )

    def split(by: str) -> dict[str, dict[str, int]]:
        table = frame.groupby(by, sort=True)["granted"].agg(["sum", "count"])
        return {
            str(k): {"granted": int(r["sum"]), "denied": int(r["count"] - r["sum"])}
            for k, r in table.iterrows()
        }

    denials = frame.loc[~frame["granted"], "actor"].value_counts()
    flagged = denials[denials >= DENIAL_FLAG]
    return {
        "attempts": int(len(frame)),
        "granted": int(granted.sum()),
        "denied": int((~granted).sum()),
        "by_basis": split("basis"),
        "by_regime": split("regime"),
        "by_grant": split("grant"),
        "sealed_granted_with_grant": int((granted & sealed & has_grant).sum()),
        "subject_own_requests_granted": int((granted & subject_own).sum()),
        "unauthorized_sealed_access": int(unauthorized.sum()),
        "unauthorized_entries": [int(s) for s in entries.loc[unauthorized, "seq"]],
        "repeated_denials": {str(actor): int(n) for actor, n in flagged.sort_index().items()},
        "denial_flag_threshold": DENIAL_FLAG,
    }


# --- audit chain ----------------------------------------------------------------------------
def audit_figures(reader: HomeReader) -> dict:
    """The chain's verification and the latest checkpoint exported to the JSONL file."""
    result = reader.verify()
    exported = reader.exported_checkpoint()
    if result is None:
        return {"present": False, "intact": None, "latest_exported_checkpoint": exported}
    verified = result.to_dict()
    last = verified["last_checkpoint"]
    return {
        "present": True,
        "intact": bool(result.intact),
        "entries": int(result.entries),
        "first_bad": result.first_bad,
        "problems": list(result.problems),
        "last_verified_checkpoint": last,
        "latest_exported_checkpoint": exported,
        "exported_is_verified": bool(
            exported is not None
            and last is not None
            and exported.get("signature") == last.get("signature")
        ),
    }


# --- policy -----------------------------------------------------------------------------------
def policy_figures(reader: HomeReader, window: ReportWindow) -> dict:
    """The policy profiles and rules version in force at the end of the window.

    In force means: what this code applies (profiles and rules version), what the latest
    snapshot of each policy was built with, and, per model, the policy and rules of the
    version that was certified and not decertified by the window's end.
    """
    profiles = {
        name: {
            "version": profile.version_hash,
            "description": profile.description,
            "excludes": sorted(profile.excluded),
        }
        for name, profile in sorted(POLICIES.items())
    }
    snapshots = reader.snapshots()
    snapshots = snapshots[snapshots["as_of"] <= window.as_of.isoformat()]
    latest = {}
    for policy, group in snapshots.groupby("policy", sort=True):
        row = group.sort_values(["as_of", "created_at"]).iloc[-1]
        latest[str(policy)] = {
            "snapshot_id": row["snapshot_id"],
            "as_of": row["as_of"],
            "policy_version": row["policy_version"],
            "rules_version": row["rules_version"],
            "matches_code": row["rules_version"] == RULES_VERSION
            and row["policy_version"] == profiles.get(str(policy), {}).get("version"),
        }
    history = reader.entries(["MODEL_CERTIFIED", "MODEL_DECERTIFIED"], None, window.ts_bounds[1])
    models: dict[str, dict] = {}
    for row in history.itertuples():
        detail = _detail(row.detail)
        model = str(detail.get("model"))
        if row.action == "MODEL_CERTIFIED":
            models[model] = {
                "version": detail.get("version"),
                "uri": detail.get("uri"),
                "policy": detail.get("policy"),
                "rules_version": detail.get("rules_version"),
                "certified_at": row.ts,
                "status": "certified",
            }
        elif model in models and models[model]["version"] == detail.get("version"):
            models[model]["status"] = "decertified"
    return {
        "rules_version": RULES_VERSION,
        "engine_version": ENGINE_VERSION,
        "profiles": profiles,
        "snapshots": latest,
        "models": dict(sorted(models.items())),
    }
