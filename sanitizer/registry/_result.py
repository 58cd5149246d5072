"""From per-docket decisions to the registry's outputs: texts, exclusion, clocks, roll-up.

Both engines decide, per docket, the status, the date it began, the rule that gave it and
its trigger event, and the waiting-period clocks still running. Everything after that is
table look-ups and one group-by, done here once for both engines: the statute string,
access regime, destroy class, confidence, reason text, per-policy exclusion, ``seals_on``,
``excluded_from``, and the arrest roll-up (SEALING_RULES.md, "Arrest roll-up").

Semantics of the two date columns (CONTRACT.md, "Status fields"):

* ``seals_on`` (policy-free): the earliest future date on which a waiting-period rule (an
  ACD running out, a Clean Slate clock elapsing into CSA_ELIGIBLE_PENDING_NOTICE, or the
  configurable end of a 160.55 conditional discharge) gives the docket a status of higher
  precedence than its current one, if nothing else happens. "Nothing else happens"
  includes: a pending charge stays pending, a supervision without a recorded end
  continues, an incarceration without a RELEASE continues.
* ``excluded_from`` (per policy): null when already excluded; otherwise the earliest of
  those clock dates whose future status the policy excludes. A running Clean Slate clock
  therefore has ``excluded_from`` = its CSA-eligible date under ``strict`` and null under
  ``statutory`` (which excludes a 160.57 record only once sealed, and the notice is an
  administrative act, not a clock).
* For an arrest: ``seals_on`` is the earliest over its dockets; ``excluded_from`` is null
  if the arrest is excluded, else the earliest date on which any of its not yet excluded
  dockets becomes excluded, i.e. the first day the arrest's usable data shrinks, which is
  what a certificate's ``valid_until`` must respect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import NOTE_215_40, NOTE_CHARGE_LEVEL, NOTE_CSA_RESET, RANK
from ._policy import POLICIES, STATUSES, RulesConfig, get_policy, rules_version

__all__ = ["RegistryResult", "RULE_TEXT", "ARREST_COLUMNS", "DOCKET_COLUMNS", "finish"]

#: Columns every engine's per-docket decision frame carries.
DECISION_COLUMNS = (
    "ARREST_KEY",
    "PERSON_ID",
    "DOCKET_ID",
    "status",
    "since",
    "rule",
    "trigger_event_id",
    "cpl_section",
    "term_type",
    "detail",
    "notes",
    "confirmed",
    "clock_acd",
    "clock_csa",
    "clock_v55",
)
_CONFIGURABLE = " (configurable rule, legal basis unconfirmed [M])"

#: Reason text of every rule; a rule with an [M] basis says it is configurable.
RULE_TEXT = {
    "NOT_YET_ARRESTED": "The as-of date is before the arrest: nothing is sealed.",
    "OPEN": "No terminating event by the as-of date: the case is pending and not sealed.",
    "FAV_SEALED": "Terminated in favour of the accused: sealed by operation of law under "
    "CPL 160.50; photographs and prints destroyed or returned (160.50(1)(a)).",
    "FAV_APPEAL": "Favourable termination under a timely People's appeal: sealing is "
    "suspended until the appeal is decided (CPL 160.50(3); 460.10 window" + _CONFIGURABLE + ").",
    "FAV_MOTION": "Favourable termination before CPL 160.50 took effect: sealing needs a "
    "motion under CPL 160.50(4) (effective-date cutoff" + _CONFIGURABLE + ").",
    "FAV_IJ": "Favourable termination, but sealing was denied in the interests of justice "
    "(CPL 160.50(1)).",
    "ACD_PENDING": "Adjourned in contemplation of dismissal (CPL 170.55): deemed dismissed "
    "and sealed under CPL 160.50(3)(b) when the period runs out unless restored.",
    "ACD_PENDING_LEGACY": "Marijuana ACD (CPL 170.56/210.46): deemed dismissed and sealed "
    "when its period runs out unless restored (12-month period" + _CONFIGURABLE + ").",
    "V55_SEALED": "Conviction of a violation or traffic infraction: sealed under CPL 160.55 "
    "at conviction; photographs and prints destroyed or returned; the court file stays "
    "public.",
    "V55_CD": "Conviction of a violation or traffic infraction: sealed under CPL 160.55 at "
    "the end of the conditional discharge (court practice" + _CONFIGURABLE + ").",
    "V55_WAIT": "Conviction of a violation or traffic infraction: to be sealed under "
    "CPL 160.55 when the conditional discharge ends (court practice" + _CONFIGURABLE + ").",
    "V55_MOTION": "Violation or traffic-infraction conviction before 1991-11-01: sealing "
    "needs a motion under CPL 160.55(3).",
    "V55_IJ": "Violation or traffic-infraction conviction, but sealing was denied in the "
    "interests of justice (CPL 160.55(1)).",
    "EXP_K_I": "Marijuana conviction under PL art. 220/240.36 before art. 221 (sole "
    "substance marijuana): expunged under CPL 160.50(3)(k)(i) and (5), legally from "
    "2019-08-28 (art. 221 start date" + _CONFIGURABLE + ").",
    "EXP_K_II": "PL 221.05/221.10 conviction before 2019-08-28: expunged under "
    "CPL 160.50(3)(k)(ii) and (5), legally from 2019-08-28 (OCA by 2020-08-28).",
    "EXP_K_III": "Conviction under former PL art. 221: expunged under CPL 160.50(3)(k)(iii) "
    "and (5), legally from the MRTA (2021-03-31).",
    "EXP_K_IV": "PL 240.37 conviction: expunged under CPL 160.50(3)(k)(iv) and (5) by "
    "computation" + _CONFIGURABLE + ".",
    "EXP_K_V": "PL 220.03/220.06 conviction before the MRTA, concentrated cannabis the sole "
    "substance: expunged under CPL 160.50(3)(k)(v) and (5), legally from 2021-03-31.",
    "EXP_K_VI": "Cannabis conviction under PL 222.10/.15/.25/.45: expunged at conviction "
    "under CPL 160.50(3)(k)(vi) and (5).",
    "EXP_NOTICE": "Expunged on a NOTICE from OCA/DCJS (CPL 160.50(5)); subject-only access.",
    "NOTICE_SEAL": "Sealed on a NOTICE from OCA/DCJS naming the statute.",
    "UNSEAL_NOTICE": "Unsealed by a NOTICE from OCA/DCJS: the earlier sealing no longer applies.",
    "S59_ORDER": "Sealed by court order under CPL 160.59 (on application after 10 years); "
    "permanent. Law enforcement may use it within its duties.",
    "S58_ORDER": "Conditionally sealed by court order under CPL 160.58 (drug treatment); "
    "reopens on a new misdemeanour or felony arrest (access list [M]).",
    "S58_RESEALED": "Conditionally sealed under CPL 160.58 again: the rearrest that "
    "reopened it ended favourably or in a violation.",
    "S58_REARREST": "CPL 160.58 conditional sealing reopened by a new misdemeanour or "
    "felony arrest of the same person (subdivision number [M]).",
    "S58_UNSEAL_NOTICE": "CPL 160.58 conditional sealing reopened, per a NOTICE from OCA/DCJS.",
    "COVERED": "Dismissed as covered by a plea in another case: not a favourable "
    "termination, never sealed.",
    "CSA_ELIGIBLE_A": "DWAI (VTL 1192(1)): the Clean Slate period of 3 years has elapsed "
    "(CPL 160.57(1)(a), not before 2024-11-16); sealing awaits OCA's notice (OCA to finish "
    "by 2027-11-16). Start of the DWAI clock" + _CONFIGURABLE + ".",
    "CSA_ELIGIBLE_B": "Clean Slate: the waiting period (3 years misdemeanour, 8 years felony, "
    "from sentence or release) has elapsed (CPL 160.57(1)(b), not before 2024-11-16); "
    "sealing awaits OCA's notice (OCA to finish by 2027-11-16).",
    "CSA_NEVER": "Conviction not eligible for Clean Slate sealing (sex offence or non-drug "
    "class A felony, CPL 160.57(1)(b)(v)/(vi)).",
    "CSA_INCARCERATED": "Conviction with an incarceration sentence and no RELEASE yet: the "
    "Clean Slate clock has not started (CPL 160.57(8)).",
    "CSA_SUPERVISION": "Conviction still under probation or parole supervision: Clean Slate "
    "sealing is blocked (CPL 160.57(1)(b)(iv), (8)).",
    "CSA_PENDING": "A later misdemeanour or felony charge of the same person is pending: "
    "Clean Slate sealing is blocked (CPL 160.57(1)(b)(iii)).",
    "CSA_WAITING": "Conviction not sealed; its Clean Slate clock is running (CPL 160.57).",
    "PARTIALLY_SEALED": "Some but not all dockets of this arrest are excluded under the "
    "policy; the excluded dockets' events and derived data are excluded one by one. The "
    "legal basis of a partial termination is unsettled (no statute text found; "
    "SEALING_RULES.md open item 6).",
}
_CSA_RULES = frozenset(r for r in RULE_TEXT if r.startswith("CSA_"))
_RULE_STATUTE = {
    "EXP_K_I": "CPL 160.50(3)(k)(i)",
    "EXP_K_II": "CPL 160.50(3)(k)(ii)",
    "EXP_K_III": "CPL 160.50(3)(k)(iii)",
    "EXP_K_IV": "CPL 160.50(3)(k)(iv)",
    "EXP_K_V": "CPL 160.50(3)(k)(v)",
    "EXP_K_VI": "CPL 160.50(3)(k)(vi)",
    "CSA_ELIGIBLE_A": "CPL 160.57(1)(a)",
    "CSA_ELIGIBLE_B": "CPL 160.57(1)(b)",
}
_STATUS_STATUTE = {
    "EXPUNGED_160_50_5": "CPL 160.50(5)",
    "SEALED_160_50": "CPL 160.50",
    "SEALED_160_55": "CPL 160.55",
    "SEALED_160_59": "CPL 160.59",
    "SEALED_160_57": "CPL 160.57",
    "COND_SEALED_160_58": "CPL 160.58",
}
_FAV_PARAGRAPH = {
    "DISMISSAL": "(3)(b)",
    "ACQUITTAL": "(3)(c)",
    "TRIAL_ORDER_DISMISSAL": "(3)(d)",
    "VERDICT_SET_ASIDE": "(3)(e)",
    "JUDGMENT_VACATED": "(3)(f)",
    "HABEAS_DISCHARGE": "(3)(g)",
    "NO_TRUE_BILL": "(3)(h)",
    "DECLINE_PROSECUTE": "(3)(i)",
    "POLICE_DECLINE": "(3)(j)",
    "ACD": "(3)(b)",
}
_REGIME = {
    "SEALED_160_50": "COURT_ORDER_ONLY",
    "SEALED_160_55": "COURT_ORDER_ONLY",
    "SEALED_160_57": "LE_DUTY_PERMITTED",
    "SEALED_160_59": "LE_DUTY_PERMITTED",
    "COND_SEALED_160_58": "LE_DUTY_PERMITTED",
    "EXPUNGED_160_50_5": "SUBJECT_ONLY",
}
_DESTROY = frozenset({"SEALED_160_50", "SEALED_160_55", "EXPUNGED_160_50_5"})
_DETAIL_PREFIX = {
    "S58_REARREST": " Reopening arrest: ",
    "S58_RESEALED": " Rearrest that ended favourably: ",
    "CSA_PENDING": " Pending arrest: ",
    "PARTIALLY_SEALED": " Excluded dockets: ",
}
_NOTE_TEXT = (
    (
        NOTE_CHARGE_LEVEL,
        " A charge-level (not entire-instrument) disposition was recorded; charge-level "
        "sealing is out of scope and it was not applied.",
    ),
    (
        NOTE_215_40,
        " CPL 215.40 superior-court ACD: the one-year period for an unpaid fine or "
        "restitution is out of scope; the ordinary period was applied.",
    ),
)
_RESET_TEXT = " The clock restarted with a later conviction (160.57(1)(b) reset rule)."
_FEDERAL_TEXT = (
    " Out-of-state checks (160.57(1)(b)(viii)/(ix)) are enabled but out of scope: the "
    "inputs hold no out-of-state data."
)
_FUTURE = (  # clock column, future status
    ("clock_acd", "SEALED_160_50"),
    ("clock_csa", "CSA_ELIGIBLE_PENDING_NOTICE"),
    ("clock_v55", "SEALED_160_55"),
)

#: Columns of the per-arrest frame.
ARREST_COLUMNS = (
    "ARREST_KEY",
    "PERSON_ID",
    "status",
    "statute",
    "since",
    "access_regime",
    "destroy_class",
    "confidence",
    "reason",
    "trigger_event_id",
    "seals_on",
    "excluded_strict",
    "excluded_statutory",
    "excluded_from_strict",
    "excluded_from_statutory",
)
_OUT_COLUMNS = ARREST_COLUMNS[2:10]
#: Columns of the per-docket frame.
DOCKET_COLUMNS = ("ARREST_KEY", "PERSON_ID", "DOCKET_ID", *ARREST_COLUMNS[2:], "rule")


def _text(series: pd.Series) -> pd.Series:
    return series.astype("str").fillna("")


def _docket_outputs(dk: pd.DataFrame, config: RulesConfig) -> pd.DataFrame:
    status, rule = dk["status"], dk["rule"]
    statute = status.map(_STATUS_STATUTE).astype("str")
    statute = rule.map(_RULE_STATUTE).astype("str").fillna(statute)
    fav = rule == "FAV_SEALED"
    if fav.any():
        paragraph = dk.loc[fav, "term_type"].map(_FAV_PARAGRAPH).astype("str")
        on_appeal = (dk.loc[fav, "term_type"] == "DISMISSAL") & dk.loc[fav, "cpl_section"].astype(
            "str"
        ).str.contains(r"(?:^|\D)470\.\d", regex=True).fillna(False)
        paragraph = paragraph.where(~on_appeal, "(3)(a)")
        statute.loc[fav] = "CPL 160.50" + paragraph.fillna("")
    out = pd.DataFrame(
        {
            "ARREST_KEY": dk["ARREST_KEY"].astype("str"),
            "PERSON_ID": dk["PERSON_ID"].astype("str"),
            "DOCKET_ID": dk["DOCKET_ID"].astype("str"),
            "status": status.astype("str"),
            "statute": statute,
            "since": dk["since"].astype("datetime64[s]"),
        }
    )
    out["access_regime"] = status.map(_REGIME).fillna("UNRESTRICTED").astype("str")
    legacy = dk["cpl_section"].astype("str").str.contains(r"170\.56|210\.46", regex=True)
    out["destroy_class"] = (status.isin(_DESTROY) & ~legacy.fillna(False)).astype(bool)
    out["confidence"] = np.where(dk["confirmed"].to_numpy(bool), "NOTICE_CONFIRMED", "COMPUTED")
    out["confidence"] = out["confidence"].astype("str")
    notes = dk["notes"].to_numpy(np.int64)
    csa = rule.isin(_CSA_RULES).to_numpy(bool)
    reason = rule.map(RULE_TEXT).astype("str").fillna("")
    trig = _text(dk["trigger_event_id"])
    reason = reason + np.where(trig != "", " Trigger event: " + trig + ".", "")
    cpl = _text(dk["cpl_section"])
    reason = reason + np.where(cpl != "", " Disposition CPL section: " + cpl + ".", "")
    detail = _text(dk["detail"])
    prefix = rule.map(_DETAIL_PREFIX).astype("str").fillna(" Related: ")
    reason = reason + np.where(detail != "", prefix + detail + ".", "")
    for bit, text in _NOTE_TEXT:
        reason = reason + np.where(notes & bit, text, "")
    reason = reason + np.where(csa & (notes & NOTE_CSA_RESET > 0), _RESET_TEXT, "")
    if config.federal_access_enabled:
        reason = reason + np.where(csa, _FEDERAL_TEXT, "")
    out["reason"] = reason.astype("str")
    out["trigger_event_id"] = dk["trigger_event_id"].astype("str")
    out["rule"] = rule.astype("str")
    rank = status.map(RANK).to_numpy(np.int64)
    seals = np.full(len(dk), np.datetime64("NaT", "s"), dtype="datetime64[s]")
    excluded_from = {name: seals.copy() for name in POLICIES}
    for column, future in _FUTURE:
        when = dk[column].to_numpy("datetime64[s]")
        live = ~np.isnat(when) & (RANK[future] < rank)
        seals = _earliest(seals, when, live)
        for name, policy in POLICIES.items():
            if policy.excludes(future):
                excluded_from[name] = _earliest(excluded_from[name], when, live)
    out["seals_on"] = seals
    for name, policy in POLICIES.items():
        excluded = status.isin(policy.excluded).to_numpy(bool)
        out[f"excluded_{name}"] = excluded
        out[f"excluded_from_{name}"] = np.where(
            excluded, np.datetime64("NaT", "s"), excluded_from[name]
        )
    out["_rank"] = rank
    return out


def _earliest(current: np.ndarray, when: np.ndarray, live: np.ndarray) -> np.ndarray:
    take = live & (np.isnat(current) | (when < current))
    return np.where(take, when, current)


def _roll_up(dockets: pd.DataFrame, policy_name: str) -> pd.DataFrame:
    """One row per arrest under ``policy_name`` (SEALING_RULES.md, "Arrest roll-up")."""
    excluded = f"excluded_{policy_name}"
    excluded_from = f"excluded_from_{policy_name}"
    dk = dockets.sort_values(
        ["ARREST_KEY", "_rank", "since", "DOCKET_ID"], na_position="last", kind="stable"
    )
    group = dk.groupby("ARREST_KEY", sort=False)
    first = group.head(1).set_index("ARREST_KEY")
    n = group.size()
    n_ex = group[excluded].sum()
    seals = group["seals_on"].min()
    open_from = dk[excluded_from].where(~dk[excluded])
    frm = open_from.groupby(dk["ARREST_KEY"], sort=False).min()
    out = first[["PERSON_ID", *_OUT_COLUMNS]].copy()
    out["seals_on"] = seals
    all_ex = (n_ex == n).reindex(out.index)
    partial = ((n_ex > 0) & (n_ex < n)).reindex(out.index)
    out["excluded"] = all_ex.to_numpy(bool)
    out["excluded_from"] = frm.reindex(out.index).where(~all_ex)
    if partial.any():
        ex = dk[dk[excluded] & dk["ARREST_KEY"].isin(partial.index[partial])]
        ex = ex.sort_values(["ARREST_KEY", "since", "DOCKET_ID"], kind="stable")
        label = ex["DOCKET_ID"].fillna("(single docket)") + " (" + ex["status"] + ")"
        listed = label.groupby(ex["ARREST_KEY"], sort=False).agg(", ".join)
        head = ex.groupby("ARREST_KEY", sort=False).head(1).set_index("ARREST_KEY")
        keys = partial.index[partial]
        out.loc[keys, "status"] = "PARTIALLY_SEALED"
        out.loc[keys, "statute"] = pd.NA
        out.loc[keys, "since"] = head.loc[keys, "since"]
        out.loc[keys, "access_regime"] = "UNRESTRICTED"
        out.loc[keys, "destroy_class"] = False
        out.loc[keys, "confidence"] = "COMPUTED"
        out.loc[keys, "trigger_event_id"] = head.loc[keys, "trigger_event_id"]
        trig = head.loc[keys, "trigger_event_id"].astype("str")
        out.loc[keys, "reason"] = (
            RULE_TEXT["PARTIALLY_SEALED"]
            + f" Policy: {policy_name}."
            + _DETAIL_PREFIX["PARTIALLY_SEALED"]
            + listed.loc[keys]
            + "."
            + np.where(trig.notna(), " Trigger event: " + trig.fillna("") + ".", "")
        )
    out.index.name = "ARREST_KEY"
    return out.reset_index()


def finish(
    decisions: pd.DataFrame, arrest_order: pd.Series, as_of, config: RulesConfig
) -> RegistryResult:
    """Turn an engine's per-docket decisions into a :class:`RegistryResult`."""
    dockets = _docket_outputs(decisions.reset_index(drop=True), config)
    rolled = {name: _roll_up(dockets, name) for name in POLICIES}
    order = pd.Index(arrest_order.astype("str"), name="ARREST_KEY")
    policy_frames = {}
    for name, frame in rolled.items():
        frame = frame.set_index("ARREST_KEY").reindex(order).reset_index()
        policy_frames[name] = _typed(frame)
    by_docket = dockets.drop(columns="_rank")
    by_docket = by_docket.sort_values(["ARREST_KEY", "DOCKET_ID"], na_position="first")
    return RegistryResult(policy_frames, by_docket.reset_index(drop=True), as_of, config)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("since", "seals_on", "excluded_from"):
        frame[column] = frame[column].astype("datetime64[s]")
    for column in (
        "status",
        "statute",
        "access_regime",
        "confidence",
        "reason",
        "trigger_event_id",
        "PERSON_ID",
        "ARREST_KEY",
    ):
        frame[column] = frame[column].astype("str")
    for column in ("destroy_class", "excluded"):
        frame[column] = frame[column].astype(bool)
    return frame


class RegistryResult:
    """The registry's answer for every arrest as of a date: read-only, computed once.

    Like fairlearn's ``MetricFrame``, the result is computed when built and exposed through
    read-only properties (each returns a copy).

    Attributes
    ----------
    by_arrest : DataFrame
        One row per arrest, in the input order, with the columns ``ARREST_COLUMNS``. Its
        ``status`` ... ``trigger_event_id`` come from the roll-up under ``policy``
        (default ``strict``; a multi-docket arrest can be PARTIALLY_SEALED under one policy
        and not under the other); ``excluded_<p>`` / ``excluded_from_<p>`` come from the
        roll-up under each policy ``p``.
    by_docket : DataFrame
        One row per docket (``DOCKET_ID`` null: the arrest's single docket), columns
        ``DOCKET_COLUMNS`` (the docket's own status, before any roll-up, and its rule code).
    as_of : numpy.datetime64
    config : RulesConfig
    rules_version : str
    """

    def __init__(self, policy_frames, by_docket, as_of, config, policy="strict"):
        self._policy_frames = policy_frames
        self._by_docket = by_docket
        self._as_of = as_of
        self._config = config
        self._policy = get_policy(policy).name
        main = policy_frames[self._policy]
        out = main[["ARREST_KEY", "PERSON_ID", *_OUT_COLUMNS, "seals_on"]].copy()
        for name, frame in policy_frames.items():
            out[f"excluded_{name}"] = frame["excluded"].to_numpy()
            out[f"excluded_from_{name}"] = frame["excluded_from"].to_numpy()
        self._by_arrest = out[list(ARREST_COLUMNS)]

    @property
    def by_arrest(self) -> pd.DataFrame:
        """Per-arrest outputs (a copy)."""
        return self._by_arrest.copy()

    @property
    def by_docket(self) -> pd.DataFrame:
        """Per-docket outputs (a copy)."""
        return self._by_docket.copy()

    @property
    def as_of(self) -> np.datetime64:
        """The date the event log was replayed up to."""
        return self._as_of

    @property
    def config(self) -> RulesConfig:
        """The rules configuration used."""
        return self._config

    @property
    def policy(self) -> str:
        """The policy whose roll-up gives ``by_arrest``'s status columns."""
        return self._policy

    @property
    def rules_version(self) -> str:
        """SHA-256 of the engine version and configuration (``rules_version``)."""
        return rules_version(self._config)

    def with_policy(self, policy: str) -> RegistryResult:
        """The same result with ``by_arrest`` rolled up under ``policy``."""
        return RegistryResult(
            self._policy_frames, self._by_docket, self._as_of, self._config, policy
        )

    def for_policy(self, policy: str) -> pd.DataFrame:
        """Per-arrest outputs under ``policy``: status columns, ``excluded``, ``excluded_from``."""
        name = get_policy(policy).name
        return self._policy_frames[name].copy()

    def excluded_keys(self, policy: str = "strict") -> pd.Series:
        """ARREST_KEYs excluded under ``policy`` (what a registry snapshot commits to)."""
        frame = self._policy_frames[get_policy(policy).name]
        return frame.loc[frame["excluded"], "ARREST_KEY"].reset_index(drop=True)

    def counts(self, policy: str = "strict") -> dict[str, int]:
        """Number of arrests per status under ``policy`` (every status listed)."""
        frame = self._policy_frames[get_policy(policy).name]
        counts = frame["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in STATUSES}

    def explain(self, arrest_key: str, policy: str = "strict") -> dict:
        """One arrest as ``registry explain`` prints it (CONTRACT.md)."""
        from .._errors import BadInput

        frame = self._policy_frames[get_policy(policy).name]
        rows = frame[frame["ARREST_KEY"] == str(arrest_key)]
        if rows.empty:
            raise BadInput(f"no arrest with ARREST_KEY {arrest_key!r} in the registry")
        row = rows.iloc[0]

        def day(value):
            return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")

        def text(value):
            return None if pd.isna(value) else str(value)

        return {
            "arrest_key": str(arrest_key),
            "status": row["status"],
            "statute": text(row["statute"]),
            "since": day(row["since"]),
            "access_regime": row["access_regime"],
            "excluded": bool(row["excluded"]),
            "seals_on": day(row["seals_on"]),
            "excluded_from": day(row["excluded_from"]),
            "destroy_class": bool(row["destroy_class"]),
            "confidence": row["confidence"],
            "reason": row["reason"],
            "trigger_event_id": text(row["trigger_event_id"]),
            "policy": get_policy(policy).name,
            "rules_version": self.rules_version,
        }

    def __repr__(self) -> str:
        return (
            f"RegistryResult(as_of={self._as_of}, arrests={len(self._by_arrest)}, "
            f"dockets={len(self._by_docket)}, policy={self._policy!r})"
        )
