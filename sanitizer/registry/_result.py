"""From per-docket decisions to the registry's outputs: texts, exclusion, clocks, roll-up.

Both engines decide, per docket, the status, the date it began, the rule that gave it and
its trigger event, and the waiting-period clocks still running. Everything after that is
table look-ups and one group-by, done here once for both engines: the statute string,
access regime, destroy class, confidence, reason text, per-policy exclusion, ``seals_on``,
``excluded_from``, and the arrest roll-up (SEALING_RULES.md, "Arrest roll-up").

Everything here runs on integer codes (``Decisions``): statuses and rules are indexes
into fixed tables, texts (event ids, keys, sections) are codes into their columns, and
the roll-up is sorts and ``reduceat`` on integers. Text is made once, at the end, by arrow
``take`` from small tables; the reasons, the bulk of the outputs, are built straight in
each frame's row order (``_Reasons``), and a column that two policies share is stored once.

Semantics of the two date columns (CONTRACT.md, "Status fields"):

* ``seals_on`` (policy-free): the earliest future date on which a waiting-period rule (an
  ACD running out, a Clean Slate clock elapsing into CSA_ELIGIBLE_PENDING_NOTICE, the
  configurable end of a 160.55 conditional discharge, or a 160.58 sealing reopened by a
  rearrest resealing when that rearrest's running ACD ends; a rearrest that ended in a
  violation reseals it at the conviction, whenever its own 160.55 sealing follows)
  gives the docket a status of higher precedence than its current one, if nothing else
  happens. "Nothing else happens" includes: an open case (OPEN, APPEAL_PENDING) stays
  pending, so a Clean Slate clock it blocks has no date, while a later charge on a running
  ACD stops pending when the ACD ends, so the clock elapses then at the earliest; a
  supervision without a recorded end continues; an incarceration without a RELEASE
  continues.
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

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._common import (
    APPEAL_DISMISSAL,
    LEGACY_MARIJUANA_ACD,
    NOTE_215_40,
    NOTE_CHARGE_LEVEL,
    NOTE_CSA_RESET,
    RANK,
    as_arrow,
    string_rank,
)
from ._policy import POLICIES, STATUSES, RulesConfig, get_policy, rules_version

__all__ = [
    "RegistryResult",
    "RULE_TEXT",
    "RULES",
    "ARREST_COLUMNS",
    "DOCKET_COLUMNS",
    "Decisions",
    "finish",
    "finish_coded",
]

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
    "clock_s58",
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
    "CSA_AWAITING_RELEASE": "Conviction not sealed: its Clean Slate clock waits for the "
    "release from incarceration on the related arrest's later conviction (no release "
    "recorded); the clock starts on the release from that case (CPL 160.57(1)(b), (8)).",
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
    "S58_RESEALED": " Rearrest that ended favourably or in a violation: ",
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
    ("clock_s58", "COND_SEALED_160_58"),
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


#: Every rule code, in a fixed order: the decisions carry rules as indexes into it.
RULES = tuple(RULE_TEXT)
RULE_CODE = {rule: code for code, rule in enumerate(RULES)}
_STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
_NAT_S = np.datetime64("NaT", "s")
_NAT_D = np.datetime64("NaT", "D")
_LATEST = np.iinfo(np.int64).max


class Decisions:
    """Per-docket decisions of an engine, as integer codes (one row per docket).

    Text columns are codes into a table of values (``-1``: null): the docket id into
    ``docket_values``, the trigger into ``trigger_values`` (for the fast engine: the
    EVENT_ID column itself, the code being the event's row), and so on. ``status`` is the
    precedence rank (index into ``STATUSES``), ``rule`` an index into ``RULES``. Mutable on
    purpose: ``finish_coded`` sorts the arrays in place and drops those it has read, so
    that the texts are built without a second copy of the decisions in memory.
    """

    ARRAYS = (
        "arrest",
        "docket",
        "status",
        "since",
        "rule",
        "trigger",
        "cpl",
        "term",
        "detail",
        "notes",
        "confirmed",
        "clock_acd",
        "clock_csa",
        "clock_v55",
        "clock_s58",
    )
    VALUES = ("docket_values", "trigger_values", "cpl_values", "term_values", "detail_values")
    __slots__ = ARRAYS + VALUES

    def __init__(self, **columns):
        missing = set(self.__slots__) - set(columns)
        if missing:
            raise TypeError(f"Decisions lacks {sorted(missing)}")
        for name, value in columns.items():
            setattr(self, name, value)


def _values(values) -> pa.Array:
    return pa.array(list(values), type=pa.large_string())


def _strings(values: pa.Array, codes: np.ndarray) -> pd.Series:
    """``values[codes]`` (null where the code is -1) as a pandas ``str`` Series."""
    codes = np.asarray(codes, dtype=np.int64)
    taken = values.take(pa.array(codes, mask=codes < 0))
    return pd.Series(taken, dtype="str")


def _factorized(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, pa.Array]:
    codes, uniques = pd.factorize(frame[column].astype("str"), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), _values(str(u) for u in uniques)


def decisions_from_frame(frame: pd.DataFrame, arrest_keys: pd.Series) -> Decisions:
    """The reference engine's decision frame (``DECISION_COLUMNS``) as ``Decisions``."""
    frame = frame.reset_index(drop=True)
    coded = {c: _factorized(frame, c) for c in ("DOCKET_ID", "trigger_event_id")}
    coded.update({c: _factorized(frame, c) for c in ("cpl_section", "term_type", "detail")})
    arrest = pd.Index(arrest_keys.astype("str")).get_indexer(frame["ARREST_KEY"].astype("str"))
    return Decisions(
        arrest=arrest.astype(np.int64),
        docket=coded["DOCKET_ID"][0],
        docket_values=coded["DOCKET_ID"][1],
        status=frame["status"].map(_STATUS_CODE).to_numpy(np.int64),
        since=frame["since"].to_numpy("datetime64[D]"),
        rule=frame["rule"].map(RULE_CODE).to_numpy(np.int64),
        trigger=coded["trigger_event_id"][0],
        trigger_values=coded["trigger_event_id"][1],
        cpl=coded["cpl_section"][0],
        cpl_values=coded["cpl_section"][1],
        term=coded["term_type"][0],
        term_values=coded["term_type"][1],
        detail=coded["detail"][0],
        detail_values=coded["detail"][1],
        notes=frame["notes"].to_numpy(np.int64),
        confirmed=frame["confirmed"].to_numpy(bool),
        clock_acd=frame["clock_acd"].to_numpy("datetime64[D]"),
        clock_csa=frame["clock_csa"].to_numpy("datetime64[D]"),
        clock_v55=frame["clock_v55"].to_numpy("datetime64[D]"),
        clock_s58=frame["clock_s58"].to_numpy("datetime64[D]"),
    )


def _lut(values: pa.Array, func, fill) -> np.ndarray:
    """``func(value)`` for every value of a code table, plus ``fill`` for code -1."""
    return np.array([func(v) for v in values.to_pylist()] + [fill])


def _empty(values: pa.Array) -> np.ndarray:
    """Which values of a code table are empty texts (plus False for code -1)."""
    empty = pc.equal(values, "").fill_null(False).to_numpy(zero_copy_only=False)
    return np.append(empty, False)


def _part(values: pa.Array, empty: np.ndarray, codes: np.ndarray, before, after) -> pa.Array:
    """``before + value + after`` per row, "" where the value is null or empty."""
    codes = np.asarray(codes, dtype=np.int64)
    taken = values.take(pa.array(codes, mask=(codes < 0) | empty[codes]))
    return _join(before, taken, after).fill_null(_large(""))


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and texts (null if any part is null)."""
    parts = [_large(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*parts, _large(""))


class _Table:
    """A growing table of distinct texts and their codes."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def code(self, text) -> int:
        if text is None:
            return -1
        return self.codes.setdefault(text, len(self.codes))

    def values(self) -> pa.Array:
        return _values(self.codes)


_TAILS = _values(
    "".join(t for i, (_, t) in enumerate(_NOTE_TEXT) if code & (1 << i))
    + (_RESET_TEXT if code & 4 else "")
    + (_FEDERAL_TEXT if code & 8 else "")
    for code in range(16)
)
_RULE_TEXTS = _values(RULE_TEXT[r] for r in RULES)
_PREFIXES = _values(_DETAIL_PREFIX.get(r, " Related: ") for r in RULES)
_CHUNK = 1 << 20  # rows of reason text built at a time


class _Reasons:
    """The reason texts of the dockets, built from codes when a frame needs them.

    A reason is the rule's text, then the trigger, the CPL section and the related key
    (each only when present), then the notes. The texts are the bulk of the outputs'
    memory, so they are built straight in each frame's row order, a million rows at a
    time (an arrow ``take`` of built texts would copy them once more).
    """

    def __init__(self, dec: Decisions, tail: np.ndarray):
        self.rule, self.trigger, self.cpl, self.detail = dec.rule, dec.trigger, dec.cpl, dec.detail
        self.tail = tail
        self.values = (dec.trigger_values, dec.cpl_values, dec.detail_values)
        self.empty = tuple(_empty(v) for v in self.values)

    def _build(self, rows: np.ndarray) -> pa.Array:
        rule = pa.array(self.rule[rows])
        (trig_v, cpl_v, detail_v), (trig_e, cpl_e, detail_e) = self.values, self.empty
        return _join(
            _RULE_TEXTS.take(rule),
            _part(trig_v, trig_e, self.trigger[rows], " Trigger event: ", "."),
            _part(cpl_v, cpl_e, self.cpl[rows], " Disposition CPL section: ", "."),
            _part(detail_v, detail_e, self.detail[rows], _PREFIXES.take(rule), "."),
            _TAILS.take(pa.array(self.tail[rows])),
        )

    def texts(self, rows: np.ndarray, replace: dict | None = None) -> pd.Series:
        """The reasons of ``rows`` as a ``str`` Series; ``replace``: position -> text."""
        chunks = []
        at = np.array(sorted(replace), dtype=np.int64) if replace else np.zeros(0, np.int64)
        for start in range(0, max(rows.size, 1), _CHUNK):
            chunk = self._build(rows[start : start + _CHUNK])
            inside = at[(at >= start) & (at < start + _CHUNK)]
            if inside.size:
                mask = np.zeros(len(chunk), bool)
                mask[inside - start] = True
                texts = _values(replace[i] for i in inside.tolist())
                chunk = pc.replace_with_mask(chunk, pa.array(mask), texts)
            chunks.append(chunk)
        return pd.Series(pa.chunked_array(chunks, type=pa.large_string()), dtype="str")


class _Dockets(NamedTuple):
    arrest: np.ndarray
    docket_rank: np.ndarray  # string order of the docket id, -1 for null
    status: np.ndarray
    since: np.ndarray  # datetime64[s]
    statute: np.ndarray
    statute_values: pa.Array
    regime: np.ndarray
    destroy: np.ndarray
    confirmed: np.ndarray
    reasons: _Reasons
    trigger: np.ndarray
    seals_on: np.ndarray
    excluded: dict
    excluded_from: dict


_REGIMES = ("COURT_ORDER_ONLY", "LE_DUTY_PERMITTED", "SUBJECT_ONLY", "UNRESTRICTED")
_CONFIDENCE = _values(["COMPUTED", "NOTICE_CONFIRMED"])


def _docket_outputs(dec: Decisions, docket_rank: np.ndarray, config: RulesConfig) -> _Dockets:
    n = dec.arrest.size
    status, rule = dec.status, dec.rule
    statutes = _Table()
    by_status = np.array([statutes.code(_STATUS_STATUTE.get(s)) for s in STATUSES])
    by_rule = np.array([statutes.code(_RULE_STATUTE.get(r)) for r in RULES])
    statute = np.where(by_rule[rule] >= 0, by_rule[rule], by_status[status])
    fav = rule == RULE_CODE["FAV_SEALED"]
    if fav.any():
        terms = dec.term_values.to_pylist()
        by_term = np.array(
            [statutes.code("CPL 160.50" + _FAV_PARAGRAPH.get(t, "")) for t in terms]
            + [statutes.code("CPL 160.50")]
        )
        dismissal = np.array([t == "DISMISSAL" for t in terms] + [False])
        on_appeal = _lut(dec.cpl_values, lambda v: bool(re.search(APPEAL_DISMISSAL, v)), False)
        term, cpl = dec.term[fav], dec.cpl[fav]
        appeal = dismissal[term] & on_appeal[cpl]
        statute[fav] = np.where(appeal, statutes.code("CPL 160.50(3)(a)"), by_term[term])
    regime_of = {s: _REGIMES.index(_REGIME.get(s, "UNRESTRICTED")) for s in STATUSES}
    regime = np.array([regime_of[s] for s in STATUSES])[status]
    legacy = _lut(dec.cpl_values, lambda v: bool(re.search(LEGACY_MARIJUANA_ACD, v)), False)
    destroy = np.isin(status, [RANK[s] for s in _DESTROY]) & ~legacy[dec.cpl]

    csa = np.isin(rule, [RULE_CODE[r] for r in _CSA_RULES])
    notes = dec.notes
    tail_code = (
        (notes & NOTE_CHARGE_LEVEL > 0) * 1
        + (notes & NOTE_215_40 > 0) * 2
        + (csa & (notes & NOTE_CSA_RESET > 0)) * 4
        + (csa & bool(config.federal_access_enabled)) * 8
    ).astype(np.int8)
    reasons = _Reasons(dec, tail_code)
    rank = status
    seals = np.full(n, _NAT_D)
    excluded_from = {name: seals.copy() for name in POLICIES}
    for column, future in _FUTURE:
        when = getattr(dec, column).astype("datetime64[D]")
        live = ~np.isnat(when) & (RANK[future] < rank)
        seals = _earliest(seals, when, live)
        for name, policy in POLICIES.items():
            if policy.excludes(future):
                excluded_from[name] = _earliest(excluded_from[name], when, live)
    excluded = {}
    for name, policy in POLICIES.items():
        excluded[name] = np.isin(status, [RANK[s] for s in policy.excluded])
        excluded_from[name] = np.where(excluded[name], _NAT_D, excluded_from[name])
    return _Dockets(
        arrest=dec.arrest,
        docket_rank=docket_rank,
        status=status,
        since=dec.since.astype("datetime64[s]"),
        statute=statute,
        statute_values=statutes.values(),
        regime=regime,
        destroy=destroy,
        confirmed=dec.confirmed,
        reasons=reasons,
        trigger=dec.trigger,
        seals_on=seals.astype("datetime64[s]"),
        excluded=excluded,
        excluded_from={k: v.astype("datetime64[s]") for k, v in excluded_from.items()},
    )


def _earliest(current: np.ndarray, when: np.ndarray, live: np.ndarray) -> np.ndarray:
    take = live & (np.isnat(current) | (when < current))
    return np.where(take, when, current)


def _as_int(days: np.ndarray) -> np.ndarray:
    """Dates as int64 with NaT last (sorts and minima ignore it)."""
    out = days.astype(np.int64)
    return np.where(np.isnat(days), _LATEST, out)


def _group_min(order: np.ndarray, starts: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Earliest non-NaT date per run of ``order`` (NaT if none), runs beginning at ``starts``."""
    values = _as_int(days)[order]
    low = np.minimum.reduceat(values, starts) if values.size else values
    return np.where(low == _LATEST, _NAT_S, low.astype("datetime64[s]"))


class _Heads(NamedTuple):
    """The policy-independent part of the roll-up: each arrest's first docket."""

    order: np.ndarray  # dockets by (arrest, precedence, since, docket id)
    starts: np.ndarray  # where each arrest's run of ``order`` begins
    arrests: np.ndarray  # the arrest of each run
    head: np.ndarray  # per arrest: its highest-precedence docket
    seals_on: np.ndarray  # per arrest: earliest seals_on of its dockets
    null_last: np.ndarray  # docket-id order with null last


def _heads(dk: _Dockets, n_a: int) -> _Heads:
    null_last = np.where(dk.docket_rank < 0, _LATEST, dk.docket_rank)
    order = np.lexsort((null_last, _as_int(dk.since), dk.status, dk.arrest))
    run_arrest = dk.arrest[order]
    starts = np.flatnonzero(np.r_[True, run_arrest[1:] != run_arrest[:-1]][: run_arrest.size])
    arrests = run_arrest[starts]
    head = np.full(n_a, -1, dtype=np.int64)
    head[arrests] = order[starts]
    seals = np.full(n_a, _NAT_S)
    seals[arrests] = _group_min(order, starts, dk.seals_on)
    return _Heads(order, starts, arrests, head, seals, null_last)


def _roll_up(dk: _Dockets, dec: Decisions, heads: _Heads, policy_name: str) -> dict:
    """One row per arrest under ``policy_name`` (SEALING_RULES.md, "Arrest roll-up").

    Returns the columns as codes (``_frame`` turns them into text): ``reason`` is the
    docket whose reason the arrest shows, ``reason_replace`` the reasons of the partially
    sealed arrests (arrest row -> text).
    """
    excluded = dk.excluded[policy_name]
    n_a, head, null_last = heads.head.size, heads.head, heads.null_last
    open_from = np.where(excluded, _NAT_S, dk.excluded_from[policy_name])
    frm = np.full(n_a, _NAT_S)
    frm[heads.arrests] = _group_min(heads.order, heads.starts, open_from)
    del open_from
    n = np.bincount(dk.arrest, minlength=n_a)
    n_ex = np.bincount(dk.arrest, weights=excluded, minlength=n_a).astype(np.int64)
    all_ex = n_ex == n
    partial = (n_ex > 0) & (n_ex < n)

    out = {
        "status": dk.status[head],
        "statute": dk.statute[head],
        "since": dk.since[head],
        "access_regime": dk.regime[head],
        "destroy_class": dk.destroy[head].astype(bool),
        "confidence": dk.confirmed[head].astype(np.int64),
        "reason": head.copy(),
        "trigger_event_id": dk.trigger[head],
        "seals_on": heads.seals_on,
        "excluded": all_ex,
        "excluded_from": np.where(all_ex, _NAT_S, frm),
        "reason_replace": {},
    }
    if partial.any():
        rows = np.flatnonzero(excluded & partial[dk.arrest])
        rows = rows[np.lexsort((null_last[rows], _as_int(dk.since[rows]), dk.arrest[rows]))]
        ex_arrest = dk.arrest[rows]
        first = np.r_[True, ex_arrest[1:] != ex_arrest[:-1]]
        ex_head = rows[first]
        keys_p = ex_arrest[first]
        docket_text = _strings(dec.docket_values, dec.docket[rows]).fillna("(single docket)")
        status_text = np.asarray(STATUSES, dtype=object)[dk.status[rows]]
        labels = (docket_text + " (" + status_text + ")").tolist()
        bounds = np.r_[np.flatnonzero(first), rows.size]
        listed = [", ".join(labels[b:e]) for b, e in zip(bounds[:-1], bounds[1:], strict=True)]
        trig = _strings(dec.trigger_values, dk.trigger[ex_head])
        lead = RULE_TEXT["PARTIALLY_SEALED"] + f" Policy: {policy_name}."
        texts = [
            lead
            + _DETAIL_PREFIX["PARTIALLY_SEALED"]
            + text
            + "."
            + ("" if pd.isna(t) else f" Trigger event: {t}.")
            for text, t in zip(listed, trig.tolist(), strict=True)
        ]
        out["status"][keys_p] = RANK["PARTIALLY_SEALED"]
        out["statute"][keys_p] = -1
        out["since"][keys_p] = dk.since[ex_head]
        out["access_regime"][keys_p] = _REGIMES.index("UNRESTRICTED")
        out["destroy_class"][keys_p] = False
        out["confidence"][keys_p] = 0
        out["trigger_event_id"][keys_p] = dk.trigger[ex_head]
        out["reason_replace"] = dict(zip(keys_p.tolist(), texts, strict=True))
    return out


def _frame(
    coded: dict,
    dk: _Dockets,
    dec: Decisions,
    arrests: tuple,
    like: tuple | None,
    explain: bool = True,
) -> tuple[pd.DataFrame, dict]:
    """The per-arrest frame of ``_roll_up``'s codes.

    ``like`` is another policy's (codes, frame): a text column whose codes are the same
    is that frame's column itself (arrow text is immutable, so sharing it is safe), which
    keeps the two policies' reasons in memory once when no arrest is partially sealed.
    """
    keys, persons = arrests
    tables = {
        "status": _values(STATUSES),
        "statute": dk.statute_values,
        "access_regime": _values(_REGIMES),
        "confidence": _CONFIDENCE,
        "trigger_event_id": dec.trigger_values,
    }
    data = {
        "ARREST_KEY": pd.Series(keys, dtype="str"),
        "PERSON_ID": pd.Series(persons, dtype="str"),
    }
    for column in (
        "status",
        "statute",
        "since",
        "access_regime",
        "destroy_class",
        "confidence",
        "reason",
        "trigger_event_id",
        "seals_on",
        "excluded",
        "excluded_from",
    ):
        if column not in tables and column != "reason":
            data[column] = coded[column]
            continue
        same = (
            like is not None
            and np.array_equal(like[0][column], coded[column])
            and not (column == "reason" and (coded["reason_replace"] or like[0]["reason_replace"]))
        )
        if same:
            data[column] = like[1][column]
        elif column == "reason":
            data[column] = (
                dk.reasons.texts(coded["reason"], coded["reason_replace"])
                if explain
                else _unexplained(len(keys))
            )
        else:
            data[column] = _strings(tables[column], coded[column])
    if like is not None:
        data["ARREST_KEY"], data["PERSON_ID"] = like[1]["ARREST_KEY"], like[1]["PERSON_ID"]
    return pd.DataFrame(data), coded


def _unexplained(n: int) -> pd.Series:
    """An empty ``reason`` for each of ``n`` rows (results nobody reads the reasons of)."""
    return pd.Series([""], dtype="str").repeat(n).reset_index(drop=True)


def _by_docket(dk: _Dockets, dec: Decisions, arrests: tuple, explain: bool = True) -> pd.DataFrame:
    """The per-docket frame; ``dec`` is already in the frame's order (``_sort``)."""
    keys, persons = arrests
    take = pa.array(dk.arrest)
    out = {
        "ARREST_KEY": pd.Series(keys.take(take), dtype="str"),
        "PERSON_ID": pd.Series(persons.take(take), dtype="str"),
        "DOCKET_ID": _strings(dec.docket_values, dec.docket),
        "status": _strings(_values(STATUSES), dk.status),
        "statute": _strings(dk.statute_values, dk.statute),
        "since": dk.since,
        "access_regime": _strings(_values(_REGIMES), dk.regime),
        "destroy_class": dk.destroy.astype(bool),
        "confidence": _strings(_CONFIDENCE, dk.confirmed.astype(np.int64)),
        "reason": (
            dk.reasons.texts(np.arange(dk.arrest.size)) if explain else _unexplained(dk.arrest.size)
        ),
        "trigger_event_id": _strings(dec.trigger_values, dk.trigger),
        "rule": _strings(_values(RULES), dec.rule),
        "seals_on": dk.seals_on,
    }
    for name in POLICIES:
        out[f"excluded_{name}"] = dk.excluded[name]
        out[f"excluded_from_{name}"] = dk.excluded_from[name]
    return pd.DataFrame(out)


def _sort(dec: Decisions, key_rank: np.ndarray) -> np.ndarray:
    """Put the decisions in the per-docket frame's order (ARREST_KEY, DOCKET_ID null first).

    Returns the string order of every decision's docket id (-1: null).
    """
    docket_rank = np.full(dec.docket.size, -1, dtype=np.int64)
    if len(dec.docket_values):
        ranks = string_rank(dec.docket_values)
        docket_rank = np.where(dec.docket >= 0, ranks[np.maximum(dec.docket, 0)], -1)
    order = np.lexsort((docket_rank, key_rank[dec.arrest]))
    for name in Decisions.ARRAYS:
        values = getattr(dec, name)
        if values.flags.writeable:
            values[:] = values[order]  # in place: no second copy of the decisions
        else:  # a read-only view of a frame's column (the reference engine's path)
            setattr(dec, name, values[order])
    return docket_rank[order]


def finish(
    decisions: pd.DataFrame, arrest_order: pd.Series, as_of, config: RulesConfig
) -> RegistryResult:
    """Turn the reference engine's per-docket decision frame into a :class:`RegistryResult`."""
    keys = arrest_order.astype("str").reset_index(drop=True)
    frame = decisions.reset_index(drop=True)
    persons = np.full(len(keys), None, dtype=object)
    rows = pd.Index(keys).get_indexer(frame["ARREST_KEY"].astype("str"))
    persons[rows] = frame["PERSON_ID"].astype("str").to_numpy(object)
    arrests = (as_arrow(keys), pa.array(persons, type=pa.large_string()))
    return finish_coded(decisions_from_frame(frame, keys), arrests, as_of, config)


def finish_coded(
    dec: Decisions,
    arrests: tuple[pa.Array, pa.Array],
    as_of,
    config: RulesConfig,
    key_rank: np.ndarray | None = None,
    explain: bool = True,
) -> RegistryResult:
    """Turn coded decisions into a :class:`RegistryResult`.

    ``arrests`` holds the ARREST_KEY and PERSON_ID columns in the input order, which is
    the order of the per-arrest outputs. The texts are built once, in the per-docket
    frame's order, and the per-arrest frames take theirs from them. ``dec`` is consumed:
    sorted in place, and its arrays are dropped as soon as they have been read.
    ``key_rank`` (the string order of every ARREST_KEY) is computed when not given.
    ``explain=False`` leaves every ``reason`` empty (a fifth of the time at nyc).
    """
    if key_rank is None:
        key_rank = string_rank(arrests[0])
    docket_rank = _sort(dec, key_rank)
    dk = _docket_outputs(dec, docket_rank, config)
    for name in ("since", "cpl", "term", "detail", "notes", "confirmed", "clock_acd"):
        setattr(dec, name, None)
    dec.clock_csa = dec.clock_v55 = dec.clock_s58 = dec.cpl_values = dec.term_values = None
    by_docket = _by_docket(dk, dec, arrests, explain)
    policy_frames, like = {}, None
    heads = _heads(dk, len(arrests[0]))
    for name in POLICIES:
        coded = _roll_up(dk, dec, heads, name)
        policy_frames[name], coded = _frame(coded, dk, dec, arrests, like, explain)
        like = (coded, policy_frames[name])
    return RegistryResult(policy_frames, by_docket, as_of, config)


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
