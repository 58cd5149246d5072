"""Court timelines: every arrest docket follows one scenario of ``_scenarios``.

Events are built column-wise as integer codes per scenario (all rows of a scenario at
once), concatenated, sorted, and only then turned into text, so five million arrests
cost seconds. A few percent of arrests get two or three dockets (named DOCKET_IDs); the
rest have one unnamed docket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..tables._schema import (
    DISPOSITIONS,
    EVENT_SOURCES,
    EVENT_TYPES,
    NOTICE_ACTIONS,
    OFFENSE_CLASSES,
    ORDER_KINDS,
    SUPERVISIONS,
)
from . import _calendar as cal
from . import _offences as off
from ._arrests import ArrestContext
from ._scenarios import SCENARIOS, SECONDARY, Choice, Scenario
from ._util import days_to_dates, join, numbered, take, take_arrow, to_str

__all__ = ["CourtResult", "make_court_events", "FAVOURABLE_BY_RACE", "FAVOURABLE_BY_BORO"]

CPL_SECTIONS = (
    "170.30",
    "170.50",
    "170.55",
    "180.70",
    "180.85",
    "190.75",
    "210.20",
    "210.47",
    "290.10",
    "330.30",
    "440.10",
)
NOTICE_STATUTES = ("CPL 160.57", "CPL 160.50(5)", "CPL 160.58")
_CODED = {
    "DISPOSITION": DISPOSITIONS,
    "CPL_SECTION": CPL_SECTIONS,
    "OFFENSE_CLASS": OFFENSE_CLASSES,
    "PENAL_LAW_SECTION": off.SECTIONS,
    "SUPERVISION": SUPERVISIONS,
    "ORDER_KIND": ORDER_KINDS,
    "NOTICE_ACTION": NOTICE_ACTIONS,
    "NOTICE_STATUTE": NOTICE_STATUTES,
    "SOURCE": EVENT_SOURCES,
}
_BOOLS = {
    "ENTIRE_INSTRUMENT": True,
    "FAMILY_OFFENSE": False,
    "INCARCERATION": False,
    "FOR_PEOPLE": False,
}
#: Disparity in favourable outcomes (multiplies favourable scenario weights).
FAVOURABLE_BY_RACE = np.array([0.96, 1.0, 1.0, 1.14, 1.12, 1.0, 1.0])
FAVOURABLE_BY_BORO = np.array([1.16, 1.03, 0.95, 0.96, 0.80])  # B K M Q S
_COUNTY = ("BX", "KN", "NY", "QN", "RI")
_NO_NEXT = np.iinfo(np.int64).max // 8
_CHUNK = 1 << 19


@dataclass(frozen=True)
class CourtResult:
    """The ``court_events`` frame and the truth about each docket."""

    events: pd.DataFrame
    dockets: pd.DataFrame
    favourable: np.ndarray
    n_dockets: np.ndarray


class _Buffer:
    """Accumulates coded event rows from every scenario run."""

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, rows, docket, seq, etype, dates, fields):
        # narrow integer codes: the nyc world has millions of events
        n = len(rows)
        part = {
            "row": rows.astype(np.int32),
            "docket": np.full(n, docket, dtype=np.int8),
            "seq": np.full(n, seq, dtype=np.int8),
            "type": np.full(n, EVENT_TYPES.index(etype), dtype=np.int8),
            "date": dates.astype(np.int32),
        }
        for col in _CODED:
            part[col] = fields.get(col, np.full(n, -1)).astype(np.int16)
        for col, default in _BOOLS.items():
            part[col] = fields.get(col, np.full(n, default)).astype(bool)
        self.parts.append(part)

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _draw(rng, spec, n) -> tuple[np.ndarray, list]:
    """Per-row option index and the options of a field spec (a constant or a ``Choice``)."""
    if isinstance(spec, Choice):
        values = [v for v, _ in spec.options]
        weights = np.array([w for _, w in spec.options], dtype=float)
        return rng.choice(len(values), size=n, p=weights / weights.sum()), values
    return np.zeros(n, dtype=np.int64), [spec]


def _conviction_fields(rng, spec, offence):
    """OFFENSE_CLASS and PENAL_LAW_SECTION codes for a conviction spec.

    A spec is ``"charged"`` (the arrest charge), ``"lesser"`` (the catalogue's plea), or a
    ``(class, section)`` pair where either part may itself say ``"charged"``/``"lesser"``.
    """
    idx, options = _draw(rng, spec, len(offence))
    columns = {
        "charged": (off.column("conv_class"), off.column("section")),
        "lesser": (off.column("lesser_class"), off.column("lesser_section")),
    }
    cls_code = np.empty(len(offence), dtype=np.int64)
    sec_code = np.empty(len(offence), dtype=np.int64)
    class_of = {c: i for i, c in enumerate(OFFENSE_CLASSES)}
    section_of = {s: i for i, s in enumerate(off.SECTIONS)}
    for k, option in enumerate(options):
        rows = np.flatnonzero(idx == k)
        c, s = (option, option) if isinstance(option, str) else option
        if c in columns:
            table = np.array([class_of[v] for v in columns[c][0]])
            cls_code[rows] = table[offence[rows]]
        else:
            cls_code[rows] = class_of[c]
        if s in columns:
            table = np.array([section_of[v] for v in columns[s][1]])
            sec_code[rows] = table[offence[rows]]
        else:
            sec_code[rows] = section_of[s]
    return cls_code, sec_code


def _fields(rng, step, rows, ctx) -> dict[str, np.ndarray]:
    n = len(rows)
    out: dict[str, np.ndarray] = {}
    for col, spec in step.fields:
        if col == "conv":
            out["OFFENSE_CLASS"], out["PENAL_LAW_SECTION"] = _conviction_fields(
                rng, spec, ctx.offence[rows]
            )
            continue
        idx, options = _draw(rng, spec, n)
        if col in _BOOLS:
            out[col] = np.array(options, dtype=bool)[idx]
        else:
            out[col] = np.array([_CODED[col].index(v) for v in options])[idx]
    idx, options = _draw(rng, step.source, n)
    code = np.array([EVENT_SOURCES.index(v) for v in options])[idx]
    out["SOURCE"] = np.where(rng.random(n) < 0.02, -1, code)
    return out


def _deadline(sc: Scenario, ctx: ArrestContext, rows) -> np.ndarray:
    deadline = np.full(len(rows), cal.END, dtype=np.int64)
    if sc.deadline is not None:
        deadline = np.minimum(deadline, sc.deadline)
    if sc.needs_next:
        deadline = np.minimum(deadline, ctx.next_day[rows] - 1)
    return deadline


def _required(sc: Scenario):
    req = [s for s in sc.steps if not s.optional]
    lo = np.array([s.gap[0] for s in req], dtype=np.int64)
    hi = np.array([s.gap[1] for s in req], dtype=np.int64)
    return req, lo, hi


def _eligible(sc: Scenario, ctx: ArrestContext, rows: np.ndarray) -> np.ndarray:
    group, law, day = ctx.group[rows], ctx.law_cat[rows], ctx.day[rows]
    ok = np.ones(len(rows), dtype=bool)
    if sc.groups is not None:
        ok &= np.isin(group, [off.GROUPS.index(g) for g in sc.groups])
    if sc.exclude:
        ok &= ~np.isin(group, [off.GROUPS.index(g) for g in sc.exclude])
    if sc.law_cats is not None:
        ok &= np.isin(law, ["FMVI".index(c) for c in sc.law_cats])
    if sc.min_arrest is not None:
        ok &= day >= sc.min_arrest
    if sc.max_arrest is not None:
        ok &= day <= sc.max_arrest
    if sc.needs_next:
        ok &= np.isin(ctx.next_law_cat[rows], [0, 1]) & (ctx.next_day[rows] < _NO_NEXT)
    if sc.needs_last:
        ok &= ctx.is_last[rows]
    _, lo, _ = _required(sc)
    ok &= day + lo.sum() <= _deadline(sc, ctx, rows)
    return ok


def _weights(sc: Scenario, ctx: ArrestContext, rows: np.ndarray) -> np.ndarray:
    w = np.where(_eligible(sc, ctx, rows), sc.weight, 0.0)
    if sc.disparity:
        w = w * FAVOURABLE_BY_RACE[ctx.race[rows]] * FAVOURABLE_BY_BORO[ctx.boro[rows]]
    if sc.recency:
        age = cal.END - ctx.day[rows]
        w = w * np.exp(-age / 75.0)
    return w


def _assign(rng, scenarios, ctx: ArrestContext, rows: np.ndarray) -> np.ndarray:
    """A scenario index per row (-1 when none fits), drawn by weight among the eligible."""
    out = np.empty(len(rows), dtype=np.int64)
    u = rng.random(len(rows))
    for start in range(0, len(rows), _CHUNK):
        part = rows[start : start + _CHUNK]
        w = np.column_stack([_weights(sc, ctx, part) for sc in scenarios])
        cum = np.cumsum(w, axis=1)
        total = cum[:, -1]
        pick = (u[start : start + len(part), None] * total[:, None] >= cum).sum(axis=1)
        out[start : start + len(part)] = np.where(
            total > 0, np.minimum(pick, len(scenarios) - 1), -1
        )
    return out


def _run(rng, sc: Scenario, rows, docket, ctx: ArrestContext, buf: _Buffer):
    """Generate one scenario's events for ``rows``; returns (status codes, favourable)."""
    n = len(rows)
    status = np.full(n, sc.status, dtype=object)
    favourable = np.full(n, sc.favourable)
    if n == 0 or not sc.steps:
        return status, favourable
    day = ctx.day[rows]
    req, lo, hi = _required(sc)
    var = (hi - lo)[None, :] * rng.random((n, len(req)))
    avail = (_deadline(sc, ctx, rows) - day - lo.sum()).astype(float)
    total = var.sum(axis=1)
    scale = np.where(total > avail, avail / np.maximum(total, 1e-9), 1.0)
    gaps = lo[None, :] + np.floor(var * scale[:, None]).astype(np.int64)
    req_dates = day[:, None] + np.cumsum(gaps, axis=1)
    current = day.copy()
    alive = np.ones(n, dtype=bool)
    acd_date = None
    acd_family = None
    j = 0
    for seq, step in enumerate(sc.steps):
        if not step.optional:
            date = req_dates[:, j]
            j += 1
            include = np.ones(n, dtype=bool)
        else:
            g = step.gap[0] + np.floor(rng.random(n) * (step.gap[1] - step.gap[0])).astype(np.int64)
            base = (
                np.where(ctx.next_day[rows] < _NO_NEXT, ctx.next_day[rows], cal.END + 1)
                if (step.anchor_next)
                else current
            )
            date = base + g
            if step.not_before is not None:
                a, b = step.not_before
                date = np.maximum(date, a + np.floor(rng.random(n) * (b - a)).astype(np.int64))
            late = date > cal.END
            include = alive & ~late & (rng.random(n) < step.prob)
            if step.only_last:
                include &= ctx.is_last[rows]
            alive &= ~late
        sel = np.flatnonzero(include)
        fields = _fields(rng, step, rows[sel], ctx)
        buf.add(rows[sel], docket, seq, step.event, date[sel], fields)
        current = np.where(include, date, current)
        if step.status is not None:
            status[include] = step.status
        if step.event == "DISPOSITION" and dict(step.fields).get("DISPOSITION") == "ACD_GRANTED":
            acd_date = date
            fam = dict(step.fields).get("FAMILY_OFFENSE", False)
            acd_family = np.full(n, bool(fam))
    if sc.acd and acd_date is not None:
        expiry = acd_date + np.where(acd_family, 365, 183)
        pending = expiry > cal.AS_OF
        status[pending] = "ACD_PENDING"
        favourable = ~pending
    return status, favourable


def make_court_events(
    rng: np.random.Generator, ctx: ArrestContext, arrests: pd.DataFrame
) -> CourtResult:
    """Assign scenarios, generate every docket's events, and assemble ``court_events``."""
    n = len(ctx.day)
    rng_assign, rng_multi, rng_events, rng_ids = (
        np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(4)
    )  # noqa: E501
    rows = np.arange(n)
    primary = _assign(rng_assign, SCENARIOS, ctx, rows)

    names = [sc.name for sc in SCENARIOS]
    multi_ok = np.isin(
        primary,
        [
            names.index(s)
            for s in (
                "DISMISSAL",
                "VIOLATION_PLEA",
                "MISD_CONV_CD",
                "FEL_PLEA_MISD",
                "FEL_PRISON",
                "ACD",
                "DISMISSED_AS_COVERED",
                "MISD_CONV_JAIL",
            )
        ],
    )
    multi = multi_ok & (rng_multi.random(n) < 0.06)
    n_extra = np.where(multi, 1 + (rng_multi.random(n) < 0.25), 0)

    buf = _Buffer()
    truth_rows, truth_docket, truth_scen, truth_status, truth_fav = [], [], [], [], []

    def run_all(assignments, rows_, docket, scenario_list):
        for s, sc in enumerate(scenario_list):
            sel = rows_[assignments == s]
            status, fav = _run(rng_events, sc, sel, docket, ctx, buf)
            truth_rows.append(sel)
            truth_docket.append(np.full(len(sel), docket))
            truth_scen.append(np.full(len(sel), names.index(sc.name)))
            truth_status.append(status)
            truth_fav.append(fav)
        unassigned = rows_[assignments < 0]
        truth_rows.append(unassigned)
        truth_docket.append(np.full(len(unassigned), docket))
        truth_scen.append(np.full(len(unassigned), names.index("OPEN")))
        truth_status.append(np.full(len(unassigned), "OPEN", dtype=object))
        truth_fav.append(np.zeros(len(unassigned), dtype=bool))

    run_all(primary, rows, 1, SCENARIOS)
    secondary = [SCENARIOS[names.index(name)] for name, _ in SECONDARY]
    sec_weights = [w for _, w in SECONDARY]
    for docket in (2, 3):
        extra_rows = np.flatnonzero(n_extra >= docket - 1)
        weighted = [
            Scenario(**{**sc.__dict__, "weight": w, "disparity": False})
            for sc, w in zip(secondary, sec_weights, strict=True)
        ]
        assigned = _assign(rng_assign, weighted, ctx, extra_rows)
        assigned = np.where(assigned < 0, 0, assigned)
        for s, sc in enumerate(weighted):
            sel = extra_rows[assigned == s]
            status, fav = _run(rng_events, sc, sel, docket, ctx, buf)
            truth_rows.append(sel)
            truth_docket.append(np.full(len(sel), docket))
            truth_scen.append(np.full(len(sel), names.index(sc.name)))
            truth_status.append(status)
            truth_fav.append(fav)

    coded = buf.frame()
    order = np.lexsort((coded["seq"], coded["date"], coded["docket"], coded["row"]))
    coded = {k: v[order] for k, v in coded.items()}
    m = len(order)

    docket_id = _docket_ids(coded["row"], coded["docket"], n_extra, ctx)
    penal = coded["PENAL_LAW_SECTION"]
    is_conv = penal >= 0
    code = np.maximum(penal, 0)
    sections = off.SECTIONS
    sora = np.array([s in off.SORA_SECTIONS for s in sections])[code]
    drug = np.array([s.startswith("PL 220.") for s in sections])[code]
    marijuana = np.array([s.startswith(("PL 221.", "PL 222.")) for s in sections])[code]
    concentrated = (ctx.group[coded["row"]] == off.GROUPS.index("conc_cannabis")) & (
        penal == sections.index("PL 220.03")
    )
    cannabis = marijuana | concentrated
    frame = {
        "EVENT_ID": to_str(numbered("E", np.arange(1, m + 1), 9)),
        "ARREST_KEY": ctx.keys.iloc[coded["row"].astype(np.int64)].reset_index(drop=True),
        "DOCKET_ID": docket_id,
        "EVENT_TYPE": take(EVENT_TYPES, coded["type"]),
        "EVENT_DATE": days_to_dates(coded["date"]),
        "SOURCE": take(EVENT_SOURCES, coded["SOURCE"]),
    }
    for col in (
        "DISPOSITION",
        "CPL_SECTION",
        "ENTIRE_INSTRUMENT",
        "FAMILY_OFFENSE",
        "OFFENSE_CLASS",
        "PENAL_LAW_SECTION",
    ):
        frame[col] = coded[col] if col in _BOOLS else take(_CODED[col], coded[col])
    frame["SORA_OFFENSE"] = sora & is_conv
    frame["DRUG_ART220"] = drug & is_conv
    frame["CANNABIS_ONLY"] = cannabis & is_conv
    for col in (
        "INCARCERATION",
        "SUPERVISION",
        "FOR_PEOPLE",
        "ORDER_KIND",
        "NOTICE_ACTION",
        "NOTICE_STATUTE",
    ):
        frame[col] = coded[col] if col in _BOOLS else take(_CODED[col], coded[col])
    for col in _BOOLS:
        frame[col] = np.asarray(frame[col], dtype=bool)
    events = pd.DataFrame(frame)

    t_rows = np.concatenate(truth_rows)
    t_docket = np.concatenate(truth_docket)
    t_order = np.lexsort((t_docket, t_rows))
    t_rows, t_docket = t_rows[t_order], t_docket[t_order]
    dockets = pd.DataFrame(
        {
            "ARREST_KEY": ctx.keys.iloc[t_rows].reset_index(drop=True),
            "DOCKET_ID": _docket_ids(t_rows, t_docket, n_extra, ctx),
            "SCENARIO": take(names, np.concatenate(truth_scen)[t_order]),
            "INTENDED_STATUS": to_str(pa.array(np.concatenate(truth_status)[t_order].astype(str))),
            "FAVOURABLE": np.concatenate(truth_fav)[t_order].astype(bool),
        }
    )
    favourable = np.bincount(t_rows, weights=~dockets["FAVOURABLE"].to_numpy(), minlength=n) == 0
    n_dockets = np.bincount(t_rows, minlength=n)
    return CourtResult(events, dockets, favourable, n_dockets)


def _docket_ids(rows: np.ndarray, docket: np.ndarray, n_extra: np.ndarray, ctx) -> pd.Series:
    """``CR-NNNNNNNN-YYCC`` for dockets of multi-docket arrests, null otherwise."""
    named = n_extra[rows] > 0
    yy = cal.year_of(ctx.day[rows]) % 100
    text = join(
        [
            numbered("CR-", rows * 4 + docket, 8),
            pc.utf8_lpad(pc.cast(pa.array(yy), pa.string()), 2, "0"),
        ],
        "-",
    )
    text = pc.binary_join_element_wise(text, take_arrow(_COUNTY, ctx.boro[rows]), "")
    return to_str(text).where(named)
