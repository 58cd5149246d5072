"""The fast rules engine: every arrest at once, vectorised on integer codes.

It computes exactly what the reference engine (``_rules``) computes, and the property
tests hold it to that. Text never reaches the rules: the boundary (``checked_inputs``)
dictionary-encodes every text column once, each test on a column (a vocabulary, a regex
on a statute section) runs on its few distinct values, and the rules see integer codes,
dates and booleans only. Event ids and arrest keys are carried as row numbers; the shared
``finish_coded`` turns them into text once, at the end. The plan, so that nothing loops
per docket or per person:

1. number the dockets (arrest row, docket id) and sort the events once by (docket, date,
   EVENT_ID); "the latest CONVICTION of each docket" is then the last masked row of each
   docket run (``_Events.last`` / ``first``). Ties of (docket, date) are ordered by
   EVENT_ID with integer words (``sort_words``), not by sorting strings;
2. derive the person-independent facts of every docket (favourable termination, ACD,
   appeal, 160.55, expungement, notices, 160.58 start, Clean Slate clock start) as arrays
   indexed by docket;
3. turn each rule into *candidates* (status rank, since, source, rule code, trigger row...),
   sort them once by (docket, precedence, since, source), and keep the first: the
   docket's person-independent ("local") status;
4. join the person-level facts: pending charges and 160.58 rearrests via the two latest
   qualifying arrests of each person (so "another arrest than this one" is a lookup), and
   the Clean Slate reset via a per-person suffix maximum over conviction dates found with
   ``searchsorted``;
5. compare the person-level candidates with the local best and hand the coded decisions
   to the shared ``finish_coded`` (texts, exclusion, clocks, roll-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ._common import (
    ART_221_EFFECTIVE,
    CPL_160_55_EFFECTIVE,
    CRIME_CLASSES,
    CSA_OPERATIVE,
    DWAI,
    FAVOURABLE,
    K_II,
    K_III,
    K_V,
    K_VI,
    LEGACY_MARIJUANA_ACD,
    MARIHUANA_2019,
    MRTA,
    NAT,
    NOT_STARTED,
    NOTE_215_40,
    NOTE_CHARGE_LEVEL,
    NOTE_CSA_RESET,
    PENDING_STATUSES,
    PL_240_37_REPEAL,
    RANK,
    RESEALING_STATUSES,
    SUPERIOR_COURT_ACD,
    SUPERVISED,
    VIOLATION_CLASSES,
    Coded,
    Inputs,
    add_months,
    as_arrow,
    checked_inputs,
    sort_words,
    string_order,
    string_rank,
    to_day,
)
from ._policy import DEFAULT, RulesConfig
from ._result import RULE_CODE, Decisions, RegistryResult, finish_coded
from ._rules import SRC

__all__ = ["evaluate"]

_DAY = "datetime64[D]"
_NONE = 1 << 40  # rank / source of "no candidate"
_ELIGIBLE = -2  # rule placeholder: Clean Slate period elapsed (A or B decided later)
_DEFAULT_ACD_CPL = "CPL 170.55"


def _nanmax(a, b):
    a, b = np.asarray(a, _DAY), np.asarray(b, _DAY)
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.maximum(a, b)))


def _pick(values: np.ndarray, idx: np.ndarray, fill=None):
    """``values[idx]`` with ``fill`` where ``idx`` is -1 (NaT, False or -1 by default)."""
    if values.dtype.kind == "M":
        fill = NAT if fill is None else fill
    elif values.dtype == bool:
        fill = False if fill is None else fill
    else:
        fill = -1 if fill is None else fill
    if values.size == 0:
        return np.full(idx.shape, fill, dtype=values.dtype)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], fill)


def _rule(name: str) -> int:
    return RULE_CODE[name]


class _Events:
    """The kept events sorted by (docket, date, EVENT_ID), with per-docket run helpers."""

    def __init__(self, inp: Inputs, rows: np.ndarray, docket: np.ndarray, n: int):
        self.n = n
        self.inp = inp
        self.rows = rows  # original row of every sorted event
        self.docket = docket
        self.date = inp.e["EVENT_DATE"].to_numpy(_DAY)[rows]

        self._cache: dict[str, np.ndarray] = {}

    def codes(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self.inp.codes[name].codes[self.rows]
        return self._cache[name]

    def is_(self, name: str, *values) -> np.ndarray:
        return _in(self.inp.codes[name], self.codes(name), values)

    def flag(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self.inp.e[name].to_numpy(bool)[self.rows]
        return self._cache[name]

    def _runs(self, mask, last: bool) -> np.ndarray:
        idx = np.flatnonzero(mask)
        out = np.full(self.n, -1, dtype=np.int64)
        if idx.size == 0:
            return out
        d = self.docket[idx]
        if last:
            keep = np.r_[d[1:] != d[:-1], True]
        else:
            keep = np.r_[True, d[1:] != d[:-1]]
        out[d[keep]] = idx[keep]
        return out

    def last(self, mask) -> np.ndarray:
        return self._runs(np.asarray(mask, bool), True)

    def first(self, mask) -> np.ndarray:
        return self._runs(np.asarray(mask, bool), False)

    def any(self, mask) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[self.docket[np.asarray(mask, bool)]] = True
        return out


class _Candidates:
    """Rule proposals as integer columns; ``best`` keeps the first per docket."""

    CODES = ("rule", "trigger", "cpl", "term", "detail")

    def __init__(self, n: int):
        self.n = n
        self.parts: list[dict] = []

    def add(
        self,
        mask,
        status: str,
        since,
        src: str,
        rule,
        trigger=-1,
        cpl=-1,
        term=-1,
        detail=-1,
        confirmed=False,
    ):
        idx = np.flatnonzero(np.asarray(mask, bool))
        if idx.size == 0:
            return

        def sub(value, dtype=np.int64):
            if isinstance(value, np.ndarray) and value.shape == (self.n,):
                return value[idx].astype(dtype)
            return np.full(idx.size, value, dtype=dtype)

        self.parts.append(
            {
                "docket": idx,
                "rank": np.full(idx.size, RANK[status], dtype=np.int64),
                "since": sub(since, _DAY),
                "src": np.full(idx.size, SRC[src], dtype=np.int64),
                "rule": sub(_rule(rule) if isinstance(rule, str) else rule),
                "trigger": sub(trigger),
                "cpl": sub(cpl),
                "term": sub(term),
                "detail": sub(detail),
                "confirmed": sub(confirmed, bool),
            }
        )

    def best(self) -> dict:
        """Per docket (arrays of length n; rank ``_NONE`` where no candidate)."""
        out = {k: np.full(self.n, -1, dtype=np.int64) for k in self.CODES}
        out["rank"] = np.full(self.n, _NONE, dtype=np.int64)
        out["src"] = np.full(self.n, _NONE, dtype=np.int64)
        out["since"] = np.full(self.n, NAT, dtype=_DAY)
        out["confirmed"] = np.zeros(self.n, dtype=bool)
        if not self.parts:
            return out
        cat = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.lexsort((cat["src"], cat["since"].astype(np.int64), cat["rank"], cat["docket"]))
        d = cat["docket"][order]
        keep = order[np.r_[True, d[1:] != d[:-1]]]
        dk = cat["docket"][keep]
        for k in out:
            out[k][dk] = cat[k][keep]
        return out


def _better(a: dict, b: dict) -> np.ndarray:
    """Where candidate set ``b`` beats ``a`` by (rank, since, src)."""
    a_since, b_since = a["since"].astype(np.int64), b["since"].astype(np.int64)
    return (b["rank"] < a["rank"]) | (
        (b["rank"] == a["rank"])
        & ((b_since < a_since) | ((b_since == a_since) & (b["src"] < a["src"])))
    )


def _merge(a: dict, b: dict) -> dict:
    take = _better(a, b)
    return {k: np.where(take, b[k], a[k]) for k in a}


def _top2(person: np.ndarray, date: np.ndarray, keyrank: np.ndarray, n_people: int):
    """The two latest (date, key) entries of each person: (date, keyrank) arrays, 2 x n."""
    order = np.lexsort((-keyrank, -date.astype(np.int64), person))
    p = person[order]
    first = np.r_[True, p[1:] != p[:-1]]
    pos = np.arange(p.size) - np.maximum.accumulate(np.where(first, np.arange(p.size), 0))
    dates = np.full((2, n_people), NAT, dtype=_DAY)
    keys = np.full((2, n_people), -1, dtype=np.int64)
    for k in (0, 1):
        sel = order[pos == k]
        dates[k, person[sel]] = date[sel]
        keys[k, person[sel]] = keyrank[sel]
    return dates, keys


def _other_latest(top_dates, top_keys, person, own_key):
    """The latest entry of ``person`` whose key is not ``own_key`` (date, keyrank)."""
    first_is_own = top_keys[0, person] == own_key
    date = np.where(first_is_own, top_dates[1, person], top_dates[0, person])
    key = np.where(first_is_own, top_keys[1, person], top_keys[0, person])
    return date, key


def _sort_events(inp: Inputs, rows: np.ndarray, key: np.ndarray, date: np.ndarray):
    """Order of ``rows`` by (key, date, EVENT_ID); EVENT_ID only decides ties."""
    order = np.lexsort((date, key))
    k, d = key[order], date[order]
    tied_next = (k[1:] == k[:-1]) & (d[1:] == d[:-1])
    if not tied_next.any():
        return order
    tied = np.r_[tied_next, False] | np.r_[False, tied_next]
    pos = np.flatnonzero(tied)
    group = np.cumsum(np.r_[True, ~tied_next])[pos]  # one group per (key, date) run
    ids = as_arrow(inp.e["EVENT_ID"]).take(pa.array(rows[order[pos]]))
    words = sort_words(ids)
    if words is None:
        within = string_rank(ids)
        sub = np.lexsort((within, group))
    else:
        sub = np.lexsort((*words[::-1], group))
    order[pos] = order[pos][sub]
    return order


def _dockets(inp: Inputs, a_known: np.ndarray, asof):
    """Number the dockets and sort the kept events; (events, docket arrest, docket code)."""
    e_date = inp.e["EVENT_DATE"].to_numpy(_DAY)
    arrest_of = inp.event_arrest
    rows = np.flatnonzero((e_date <= asof) & a_known[arrest_of])
    dcoded = inp.codes["DOCKET_ID"]
    # "" and null are the same (single) docket; others in string order, after it
    values = pa.array(dcoded.uniques, type=pa.large_string())
    rank = string_rank(values) + 1 if len(values) else np.zeros(0, np.int64)
    rank = np.where(np.asarray([u == "" for u in dcoded.uniques], bool), 0, rank)
    width = len(dcoded.uniques) + 1
    d_rank = dcoded.lut(rank, 0)[dcoded.codes[rows]]
    key = arrest_of[rows] * width + d_rank
    order = _sort_events(inp, rows, key, e_date[rows])
    rows, key = rows[order], key[order]
    run_start = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, bool)
    run_keys = key[run_start]
    with_events = np.zeros(a_known.size, bool)
    with_events[arrest_of[rows]] = True
    bare = np.flatnonzero(a_known & ~with_events) * width
    table = np.sort(np.concatenate([run_keys, bare]))
    docket = np.repeat(
        np.searchsorted(table, run_keys), np.diff(np.r_[np.flatnonzero(run_start), key.size])
    )
    d_arrest = table // width
    d_rank_of = table % width
    by_rank = np.full(width, -1, dtype=np.int64)
    by_rank[rank[rank > 0]] = np.flatnonzero(rank > 0)
    d_code = by_rank[d_rank_of]  # index into the DOCKET_ID values, -1 for the bare docket
    return rows, docket, d_arrest, d_code, values


def _decide(inp: Inputs, asof, config: RulesConfig) -> Decisions:
    a = inp.a
    cutoff = np.datetime64(config.pre_1976_cutoff, "D")
    a_date = a["ARREST_DATE"].to_numpy(_DAY)
    n_a = len(a)
    known = a_date <= asof
    a_keys = as_arrow(a["ARREST_KEY"])
    arrest_by_rank = string_order(a_keys)
    key_rank = np.empty(n_a, dtype=np.int64)
    key_rank[arrest_by_rank] = np.arange(n_a)
    person = Coded.of(a["PERSON_ID"]).codes
    n_people = int(person.max()) + 1 if person.size else 0
    fm = Coded.of(a["LAW_CAT_CD"]).isin(["F", "M"])

    rows, ev_docket, d_arrest, d_code, docket_values = _dockets(inp, known, asof)
    n = d_arrest.size
    ev = _Events(inp, rows, ev_docket, n)
    d_person = person[d_arrest]
    d_adate = a_date[d_arrest]

    t = ev.codes("EVENT_TYPE")
    types = inp.codes["EVENT_TYPE"]

    def is_type(name):
        return t == _code_of(types, name)

    date = ev.date
    ids = rows  # an event's id is carried as its row
    cplc = inp.codes["CPL_SECTION"]
    cpl_col = cplc.codes[rows]
    default_cpl = len(cplc.uniques)  # the code of "CPL 170.55" for an ACD without a section
    cpl_text = pd.Series(cplc.uniques, dtype="str")
    legacy_lut = cplc.lut(
        cpl_text.str.contains(LEGACY_MARIJUANA_ACD, regex=True).to_numpy(bool), False
    )
    superior_lut = cplc.lut(
        cpl_text.str.contains(SUPERIOR_COURT_ACD, regex=True).to_numpy(bool), False
    )
    dispc = inp.codes["DISPOSITION"]
    disp = dispc.codes[rows]
    term_acd = len(dispc.uniques)  # the term code of "ACD"
    entire, family = ev.flag("ENTIRE_INSTRUMENT"), ev.flag("FAMILY_OFFENSE")
    is_disp = is_type("DISPOSITION")
    is_notice = is_type("NOTICE")
    is_order = is_type("COURT_ORDER")
    fav_ev = is_disp & ev.is_("DISPOSITION", *(set(FAVOURABLE) - {"ACD"}))
    acd_ev = is_disp & ev.is_("DISPOSITION", "ACD_GRANTED")
    action, skey = ev.codes("NOTICE_ACTION"), ev.codes("STATUTE_KEY")
    order_kind = ev.codes("ORDER_KIND")

    def action_is(name):
        return is_notice & (action == _code_of(inp.codes["NOTICE_ACTION"], name))

    def skey_is(key):
        return skey == _code_of(inp.codes["STATUTE_KEY"], key)

    def order_is(name):
        return is_order & (order_kind == _code_of(inp.codes["ORDER_KIND"], name))

    def at(idx, values, fill=None):
        return _pick(values, idx, fill)

    cands = _Candidates(n)
    notes = np.zeros(n, dtype=np.int64)
    clock_acd = np.full(n, NAT)
    clock_v55 = np.full(n, NAT)
    clock_csa = np.full(n, NAT)
    cands.add(np.ones(n, bool), "OPEN", d_adate, "OPEN", "OPEN")

    i_ij = ev.first(is_type("SEALING_DENIED_IJ"))
    has_ij, ij_date, ij_id = i_ij >= 0, at(i_ij, date), at(i_ij, ids)
    i_m50 = ev.first(order_is("SEAL_160_50_MOTION"))
    i_m55 = ev.first(order_is("SEAL_160_55_MOTION"))
    i_o59 = ev.first(order_is("SEAL_160_59"))
    has_m50, m50_date, m50_id = i_m50 >= 0, at(i_m50, date), at(i_m50, ids)
    has_m55, m55_date, m55_id = i_m55 >= 0, at(i_m55, date), at(i_m55, ids)

    notes |= np.where(ev.any((fav_ev | acd_ev) & ~entire), NOTE_CHARGE_LEVEL, 0)

    # --- favourable terminations and ACDs ----------------------------------------------
    i_fav = ev.last(fav_ev & entire)
    i_acd = ev.last(acd_ev & entire)
    has_fav, has_acd = i_fav >= 0, i_acd >= 0
    acd_date = at(i_acd, date)
    acd_cpl_raw = at(i_acd, cpl_col)
    legacy = legacy_lut[acd_cpl_raw]
    notes |= np.where(superior_lut[acd_cpl_raw], NOTE_215_40, 0)
    months = np.where(
        at(i_acd, family, False),
        config.family_acd_months,
        np.where(legacy, config.legacy_marijuana_acd_months, config.acd_months),
    )
    acd_end = add_months(acd_date, months)
    ev_acd_date, ev_acd_end = acd_date[ev.docket], acd_end[ev.docket]
    restored = ev.any(
        is_disp
        & (disp == _code_of(dispc, "ACD_RESTORED"))
        & has_acd[ev.docket]
        & (date >= ev_acd_date)
        & (date < ev_acd_end)
    )
    acd_cpl = np.where(acd_cpl_raw < 0, default_cpl, acd_cpl_raw)
    acd_id = at(i_acd, ids)
    acd_pending = has_acd & ~restored & (asof < acd_end)
    acd_expired = has_acd & ~restored & (asof >= acd_end)
    cands.add(
        acd_pending,
        "ACD_PENDING",
        acd_date,
        "ACD",
        np.where(legacy, _rule("ACD_PENDING_LEGACY"), _rule("ACD_PENDING")),
        acd_id,
        acd_cpl,
    )
    clock_acd = np.where(
        acd_pending & ~has_ij & ((acd_end >= cutoff) | has_m50), acd_end, clock_acd
    )

    fav_date, fav_id = at(i_fav, date), at(i_fav, ids)
    use_acd = acd_expired & (~has_fav | (acd_end > fav_date))
    tie = np.flatnonzero(acd_expired & has_fav & (acd_end == fav_date))
    if tie.size:
        id_col = as_arrow(inp.e["EVENT_ID"])
        acd_ids = id_col.take(pa.array(acd_id[tie])).to_pylist()
        fav_ids = id_col.take(pa.array(fav_id[tie])).to_pylist()
        use_acd[tie] = [x > y for x, y in zip(acd_ids, fav_ids, strict=True)]
    has_t = has_fav | acd_expired
    t_date = np.where(use_acd, acd_end, fav_date)
    t_id = np.where(use_acd, acd_id, fav_id)
    t_type = np.where(use_acd, term_acd, at(i_fav, disp))
    t_cpl = np.where(use_acd, acd_cpl, at(i_fav, cpl_col))
    window_end = t_date + np.timedelta64(config.people_appeal_window_days, "D")
    i_app = ev.last(
        is_type("PEOPLE_APPEAL_FILED")
        & has_t[ev.docket]
        & (date >= t_date[ev.docket])
        & (date <= window_end[ev.docket])
    )
    has_app, app_date = i_app >= 0, at(i_app, date)
    i_dec = ev.last(is_type("APPEAL_DECIDED") & has_app[ev.docket] & (date >= app_date[ev.docket]))
    has_dec = i_dec >= 0
    for_people = at(i_dec, ev.flag("FOR_PEOPLE"), False)
    app_pending = has_t & has_app & ~has_dec
    reversed_ = has_t & has_app & has_dec & for_people
    lost = has_t & has_app & has_dec & ~for_people
    sealed_from = np.where(lost, at(i_dec, date), t_date)
    s_trig = np.where(lost, at(i_dec, ids), t_id)
    live = has_t & ~app_pending & ~reversed_
    favourable = has_t & ~reversed_
    cands.add(
        app_pending, "APPEAL_PENDING", app_date, "FAV", "FAV_APPEAL", at(i_app, ids), t_cpl, t_type
    )
    pre = t_date < cutoff
    needs_motion = live & pre & ~has_m50
    cands.add(
        needs_motion,
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        sealed_from,
        "FAV",
        "FAV_MOTION",
        s_trig,
        t_cpl,
        t_type,
    )
    cands.add(
        live & ~needs_motion & has_ij,
        "SEALING_DENIED_IJ",
        _nanmax(sealed_from, ij_date),
        "FAV",
        "FAV_IJ",
        ij_id,
        t_cpl,
        t_type,
    )
    c50 = live & ~needs_motion & ~has_ij
    by_motion = pre & has_m50 & (m50_date >= sealed_from)
    c50_since = np.where(by_motion, m50_date, sealed_from)
    c50_trig = np.where(by_motion, m50_id, s_trig)

    i_cov = ev.last(is_disp & (disp == _code_of(dispc, "DISMISSED_AS_COVERED")))
    cands.add(i_cov >= 0, "NOT_SEALED", at(i_cov, date), "COV", "COVERED", at(i_cov, ids))

    # --- convictions -----------------------------------------------------------------
    i_conv = ev.last(is_type("CONVICTION"))
    has_conv = i_conv >= 0
    conv_date, conv_id = at(i_conv, date), at(i_conv, ids)
    clsc, secc = inp.codes["OFFENSE_CLASS"], inp.codes["SECTION"]
    cls = at(i_conv, ev.codes("OFFENSE_CLASS"))
    sec = at(i_conv, ev.codes("SECTION"))

    def sec_lut(pred):
        return secc.lut(np.array([bool(pred(u)) for u in secc.uniques], dtype=bool), False)[sec]

    cannabis = at(i_conv, ev.flag("CANNABIS_ONLY"), False)
    k_i_sec = sec_lut(lambda u: u.startswith("PL 220.") or u == "PL 240.36")
    conditions = [
        sec_lut(lambda u: u in K_II) & (conv_date < MARIHUANA_2019),
        sec_lut(lambda u: u in K_III),
        sec_lut(lambda u: u in K_VI),
        sec_lut(lambda u: u in K_V) & cannabis & (conv_date < MRTA),
        k_i_sec
        & cannabis
        & (conv_date < ART_221_EFFECTIVE)
        & _in(clsc, cls, ["MISDEMEANOR", "VIOLATION"]),
        sec_lut(lambda u: u == "PL 240.37") & (not config.pl_240_37_expunge_on_notice_only),
    ]
    exp_rule = np.select(
        conditions,
        [_rule(r) for r in ("EXP_K_II", "EXP_K_III", "EXP_K_VI", "EXP_K_V", "EXP_K_I", "EXP_K_IV")],
        -1,
    )
    exp_since = np.select(
        conditions,
        [
            np.full(n, MARIHUANA_2019),
            _nanmax(conv_date, np.full(n, MRTA)),
            conv_date,
            np.full(n, MRTA),
            _nanmax(conv_date, np.full(n, MARIHUANA_2019)),
            _nanmax(conv_date, np.full(n, PL_240_37_REPEAL)),
        ],
        NAT,
    ).astype(_DAY)
    has_cexp = has_conv & (exp_rule >= 0) & (exp_since <= asof)
    i_nexp = ev.first(action_is("EXPUNGE"))
    has_nexp, nexp_date = i_nexp >= 0, at(i_nexp, date)
    take_comp = has_cexp & (~has_nexp | (exp_since <= nexp_date))
    expunged = has_cexp | has_nexp
    cands.add(
        expunged,
        "EXPUNGED_160_50_5",
        np.where(take_comp, exp_since, nexp_date),
        "EXP",
        np.where(take_comp, exp_rule, _rule("EXP_NOTICE")),
        np.where(take_comp, conv_id, at(i_nexp, ids)),
        confirmed=has_nexp,
    )

    dwai = has_conv & sec_lut(lambda u: u == DWAI)
    i_sent = ev.last(is_type("SENTENCE"))
    has_sent, sent_date = i_sent >= 0, at(i_sent, date)
    supc = inp.codes["SUPERVISION"]
    sent_sup = at(i_sent, ev.codes("SUPERVISION"))
    viol = has_conv & _in(clsc, cls, VIOLATION_CLASSES) & ~dwai
    use_cd = (
        config.seal_160_55_at_cd_end & has_sent & _in(supc, sent_sup, ["CONDITIONAL_DISCHARGE"])
    )
    seal_date = np.where(
        use_cd, add_months(sent_date, config.conditional_discharge_months), conv_date
    )
    trig55 = np.where(use_cd, at(i_sent, ids), conv_id)
    rule55 = np.where(use_cd, _rule("V55_CD"), _rule("V55_SEALED"))
    pre55 = conv_date < CPL_160_55_EFFECTIVE
    v_motion = viol & pre55 & ~has_m55
    cands.add(v_motion, "MOTION_REQUIRED_PRE_EFFECTIVE", conv_date, "V55", "V55_MOTION", conv_id)
    v_ij = viol & ~v_motion & has_ij
    cands.add(v_ij, "SEALING_DENIED_IJ", _nanmax(conv_date, ij_date), "V55", "V55_IJ", ij_id)
    v_wait = viol & ~v_motion & ~has_ij & (asof < seal_date)
    cands.add(v_wait, "NOT_SEALED", conv_date, "V55", "V55_WAIT", conv_id)
    clock_v55 = np.where(v_wait, seal_date, clock_v55)
    c55 = viol & ~v_motion & ~has_ij & ~(asof < seal_date)
    by_m55 = pre55 & has_m55 & (m55_date >= seal_date)
    c55_since = np.where(by_m55, m55_date, seal_date)
    c55_trig = np.where(by_m55, m55_id, trig55)

    # --- sealing evidence per statute, with NOTICEs ------------------------------------
    none = np.full(n, -1, dtype=np.int64)
    computed = {
        "50": (c50, c50_since, c50_trig, np.full(n, _rule("FAV_SEALED")), t_cpl, t_type),
        "55": (c55, c55_since, c55_trig, rule55, none, none),
        "59": (
            i_o59 >= 0,
            at(i_o59, date),
            at(i_o59, ids),
            np.full(n, _rule("S59_ORDER")),
            none,
            none,
        ),
        "57": (np.zeros(n, bool), np.full(n, NAT), none, none, none, none),
    }
    status_of = {
        "50": "SEALED_160_50",
        "55": "SEALED_160_55",
        "59": "SEALED_160_59",
        "57": "SEALED_160_57",
    }
    for key, (has_c, c_since, c_trig, c_rule, c_cpl, c_term) in computed.items():
        i_u = ev.last(action_is("UNSEAL") & skey_is(key))
        has_u, u_date = i_u >= 0, at(i_u, date)
        seal_n = action_is("SEAL") & skey_is(key)
        ev_has_u, ev_u = has_u[ev.docket], u_date[ev.docket]
        i_n = ev.first(seal_n & (~ev_has_u | (date > ev_u)))
        any_le = ev.any(seal_n & ev_has_u & (date <= ev_u))
        has_n, n_date = i_n >= 0, at(i_n, date)
        kept_c = has_c & (~has_u | (c_since > u_date))
        take_c = kept_c & (~has_n | (c_since <= n_date))
        take_n = ~take_c & has_n
        cands.add(
            take_c | take_n,
            status_of[key],
            np.where(take_c, c_since, n_date),
            f"S{key}",
            np.where(take_c, c_rule, _rule("NOTICE_SEAL")),
            np.where(take_c, c_trig, at(i_n, ids)),
            np.where(take_c, c_cpl, -1),
            np.where(take_c, c_term, -1),
            confirmed=has_n,
        )
        cands.add(
            has_u & ((has_c & (c_since <= u_date)) | any_le),
            "NOT_SEALED",
            u_date,
            f"U{key}",
            "UNSEAL_NOTICE",
            at(i_u, ids),
            confirmed=True,
        )

    best_l = cands.best()

    # --- Clean Slate clock start (person-independent part) -----------------------------
    csa = has_conv & (_in(clsc, cls, CRIME_CLASSES) | dwai)
    base = np.where(has_sent, sent_date, conv_date)
    i_rev = ev.last(is_type("SUPERVISION_REVOKED"))
    inc_start = _nanmax(
        np.where(has_sent & at(i_sent, ev.flag("INCARCERATION"), False), sent_date, NAT),
        at(i_rev, date),
    )
    rel = at(ev.last(is_type("RELEASE")), date)
    has_inc = ~np.isnat(inc_start)
    start = np.where(has_inc, np.where(~np.isnat(rel) & (rel >= inc_start), rel, NOT_STARTED), base)
    # the local placeholder of a Clean Slate docket is NOT_SEALED since the conviction
    placeholder = {
        "rank": np.where(csa, RANK["NOT_SEALED"], _NONE),
        "since": np.where(csa, conv_date, NAT),
        "src": np.full(n, SRC["CSA"]),
    }
    local_rank = np.where(_better(best_l, placeholder), placeholder["rank"], best_l["rank"])
    local_since = best_l["since"]  # for the statuses read below (pending, resealing) only

    # --- person level: pending charges ----------------------------------------------
    pend_docket = np.isin(local_rank, [RANK[s] for s in PENDING_STATUSES])
    pend_arrest = np.zeros(n_a, bool)
    pend_arrest[d_arrest[pend_docket]] = True
    pend_arrest &= known & fm
    pa_ = np.flatnonzero(pend_arrest)
    top_d, top_k = _top2(person[pa_], a_date[pa_], key_rank[pa_], n_people)
    blk_date, blk_key = _other_latest(top_d, top_k, d_person, key_rank[d_arrest])
    blocked = csa & (blk_key >= 0) & (blk_date > conv_date)

    # --- person level: Clean Slate reset ------------------------------------------------
    pool = csa & _in(clsc, cls, CRIME_CLASSES) & ~favourable & ~expunged
    offset = 1_000_000
    day = conv_date.astype(np.int64)
    keys = d_person.astype(np.int64) * (1 << 23) + np.where(pool | csa, day + offset, 0)
    p_idx = np.flatnonzero(pool)
    p_order = p_idx[np.argsort(keys[p_idx], kind="stable")]
    p_keys = keys[p_order]
    p_start = start[p_order].astype(np.int64)
    p_person = d_person[p_order]
    suffix = (
        pd.Series(p_start[::-1]).groupby(p_person[::-1]).cummax().to_numpy()[::-1]
        if p_order.size
        else p_start
    )
    hit = np.searchsorted(p_keys, keys, side="left")
    ok = csa & (hit < p_keys.size)
    hit_c = np.minimum(hit, max(p_keys.size - 1, 0))
    ok &= p_person[hit_c] == d_person if p_keys.size else np.zeros(n, bool)
    own = start.astype(np.int64)
    reset = np.where(ok, np.maximum(own, suffix[hit_c] if p_keys.size else own), own)
    notes |= np.where(csa & (reset > own), NOTE_CSA_RESET, 0)
    reset = reset.astype(_DAY)

    # --- person level: Clean Slate evaluation -------------------------------------------
    felony = clsc.lut(np.array([u.startswith("FELONY") for u in clsc.uniques], dtype=bool), False)[
        cls
    ]
    years = np.where(felony & ~dwai, 8, 3)
    art220 = at(i_conv, ev.flag("DRUG_ART220"), False) | sec_lut(lambda u: u.startswith("PL 220."))
    perm = at(i_conv, ev.flag("SORA_OFFENSE"), False) | (_in(clsc, cls, ["FELONY_A"]) & ~art220)
    started = reset != NOT_STARTED
    supervised = has_sent & _in(supc, sent_sup, SUPERVISED)
    sup_last = at(ev.last(is_type("SUPERVISION_END")), date)
    sup_end = np.where(supervised & (sup_last >= sent_date), sup_last, NAT)
    eligible = add_months(np.where(started, reset, NAT), 12 * years)
    eligible = _nanmax(_nanmax(eligible, np.full(n, CSA_OPERATIVE)), sup_end)
    eligible = np.where(started, eligible, NAT)
    rule = np.select(
        [perm, ~started, supervised & np.isnat(sup_end), blocked, asof >= eligible],
        [
            _rule("CSA_NEVER"),
            _rule("CSA_INCARCERATED"),
            _rule("CSA_SUPERVISION"),
            _rule("CSA_PENDING"),
            _ELIGIBLE,
        ],
        _rule("CSA_WAITING"),
    )
    is_elig = csa & (rule == _ELIGIBLE)
    rule = np.where(is_elig, np.where(dwai, _rule("CSA_ELIGIBLE_A"), _rule("CSA_ELIGIBLE_B")), rule)
    clock_csa = np.where(csa & (rule == _rule("CSA_WAITING")), eligible, clock_csa)
    person_c = _Candidates(n)
    person_c.add(is_elig, "CSA_ELIGIBLE_PENDING_NOTICE", eligible, "CSA", rule, conv_id)
    detail = np.where(
        (rule == _rule("CSA_PENDING")) & (blk_key >= 0), arrest_by_rank[np.maximum(blk_key, 0)], -1
    )
    person_c.add(csa & ~is_elig, "NOT_SEALED", conv_date, "CSA", rule, conv_id, detail=detail)

    # --- person level: 160.58 ------------------------------------------------------------
    i_u58 = ev.last(action_is("UNSEAL") & skey_is("58"))
    has_u58, u58_date = i_u58 >= 0, at(i_u58, date)
    start58 = order_is("SEAL_160_58") | (action_is("SEAL") & skey_is("58"))
    kept58 = start58 & (~has_u58[ev.docket] | (date > u58_date[ev.docket]))
    i_to = ev.first(kept58)
    has_to, to_date = i_to >= 0, at(i_to, date)
    confirmed58 = ev.any(kept58 & is_notice)
    person_c.add(
        has_u58 & ev.any(start58 & ~kept58),
        "UNSEALED_160_58_REARREST",
        u58_date,
        "S58",
        "S58_UNSEAL_NOTICE",
        at(i_u58, ids),
        confirmed=True,
    )
    if has_to.any():
        fa = np.flatnonzero(known & fm)
        top_d, top_k = _top2(person[fa], a_date[fa], key_rank[fa], n_people)
        r_date, r_key = _other_latest(top_d, top_k, d_person, key_rank[d_arrest])
        has_r = has_to & (r_key >= 0) & (r_date > to_date)
        # resealing: every docket of the rearrest is SEALED_160_50/55 or EXPUNGED
        reseal_ok = np.ones(n_a, bool)
        resealing = np.isin(local_rank, [RANK[s] for s in RESEALING_STATUSES])
        reseal_ok[d_arrest[~resealing]] = False
        # the rearrest's latest docket by (since, docket id); dockets are numbered in
        # (arrest, docket id) order, so the docket number breaks the ties
        last = np.lexsort((np.arange(n), local_since.astype(np.int64), d_arrest))
        la = d_arrest[last]
        tail = last[np.r_[la[1:] != la[:-1], True]] if n else last
        tr_since = np.full(n_a, NAT)
        tr_trig = np.full(n_a, -1, dtype=np.int64)
        tr_since[d_arrest[tail]] = local_since[tail]
        tr_trig[d_arrest[tail]] = best_l["trigger"][tail]
        r_arrest = arrest_by_rank[np.maximum(r_key, 0)]
        resealed = has_r & reseal_ok[r_arrest]
        r_keys = np.where(has_r, r_arrest, -1)
        rule58 = np.where(
            at(i_to, t) == _code_of(types, "NOTICE"), _rule("NOTICE_SEAL"), _rule("S58_ORDER")
        )
        person_c.add(
            has_to & ~has_r,
            "COND_SEALED_160_58",
            to_date,
            "S58",
            rule58,
            at(i_to, ids),
            confirmed=confirmed58,
        )
        person_c.add(
            resealed,
            "COND_SEALED_160_58",
            tr_since[r_arrest],
            "S58",
            "S58_RESEALED",
            tr_trig[r_arrest],
            detail=r_keys,
            confirmed=confirmed58,
        )
        person_c.add(
            has_r & ~resealed,
            "UNSEALED_160_58_REARREST",
            r_date,
            "S58",
            "S58_REARREST",
            detail=r_keys,
        )

    final = _merge(best_l, person_c.best())
    later = np.flatnonzero(~known)
    m = later.size

    def cat(values, fill):
        return np.concatenate([values, np.full(m, fill, dtype=np.asarray(values).dtype)])

    return Decisions(
        arrest=np.concatenate([d_arrest, later]).astype(np.int64),
        docket=cat(d_code, -1),
        docket_values=docket_values,
        status=cat(final["rank"], RANK["OPEN"]),
        since=cat(final["since"], NAT),
        rule=np.concatenate([final["rule"], np.full(m, _rule("NOT_YET_ARRESTED"), dtype=np.int64)]),
        trigger=cat(final["trigger"], -1),
        trigger_values=as_arrow(inp.e["EVENT_ID"]),
        cpl=cat(final["cpl"], -1),
        cpl_values=pa.array([*cplc.uniques, _DEFAULT_ACD_CPL], type=pa.large_string()),
        term=cat(final["term"], -1),
        term_values=pa.array([*dispc.uniques, "ACD"], type=pa.large_string()),
        detail=cat(final["detail"], -1),
        detail_values=a_keys,
        notes=cat(notes, 0),
        confirmed=cat(final["confirmed"], False),
        clock_acd=cat(clock_acd, NAT),
        clock_csa=cat(clock_csa, NAT),
        clock_v55=cat(clock_v55, NAT),
    )


def _code_of(coded: Coded, value: str) -> int:
    """The code of ``value`` in a column (-3, matching nothing, when absent)."""
    try:
        return coded.uniques.index(value)
    except ValueError:
        return -3


def _in(coded: Coded, codes: np.ndarray, values) -> np.ndarray:
    """Per-docket codes of ``coded``'s column (-1: none) whose value is in ``values``."""
    allowed = set(values)
    return coded.lut(np.array([u in allowed for u in coded.uniques], dtype=bool), False)[codes]


def evaluate(
    arrests: pd.DataFrame,
    court_events: pd.DataFrame,
    as_of,
    config: RulesConfig = DEFAULT,
    policy: str = "strict",
) -> RegistryResult:
    """Evaluate every arrest's sealing status as of a date (the registry's fast path).

    Parameters
    ----------
    arrests, court_events : DataFrame
        Tables typed as ``sanitizer.tables`` reads them.
    as_of : date-like
        Events after it are ignored; arrests after it are OPEN with nothing sealed.
    config : RulesConfig
        The configurable rules (default ``DEFAULT``).
    policy : {"strict", "statutory"}
        The roll-up shown in ``by_arrest``'s status columns (``for_policy`` gives either).

    Returns
    -------
    RegistryResult

    Raises
    ------
    BadInput
        When an input cannot be interpreted (the message names the EVENT_ID or key).
    """
    inputs = checked_inputs(arrests, court_events)
    asof = to_day(as_of)
    decisions = _decide(inputs, asof, config)
    keys = as_arrow(inputs.a["ARREST_KEY"])
    persons = as_arrow(inputs.a["PERSON_ID"])
    return finish_coded(decisions, (keys, persons), asof, config).with_policy(policy)
