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
   ``searchsorted``; the same over the arrests' dates gives when the later charges stop
   pending (``_later_arrests_max``: the day each case ended, ``term_end``, not a sealing
   that followed), what dates a blocked Clean Slate clock;
5. compare the person-level candidates with the local best and hand the coded decisions
   to the shared ``finish_coded`` (texts, exclusion, clocks, roll-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ._common import (
    APPEAL_DISMISSAL,
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
    NEVER,
    NOT_STARTED,
    NOTE_215_40,
    NOTE_CHARGE_LEVEL,
    NOTE_CSA_RESET,
    PENDING_STATUSES,
    PEOPLE_APPEALABLE,
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


def _nanmin(a, b):
    a, b = np.asarray(a, _DAY), np.asarray(b, _DAY)
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.minimum(a, b)))


def _per_arrest_max(c, values: np.ndarray) -> np.ndarray:
    """The latest of a per-docket date (never NaT) over each arrest's dockets (NaT: none)."""
    out = np.full(c.n_a, NAT)
    if c.n:
        # dockets are numbered in (arrest, docket id) order: each arrest's dockets are a run
        starts = np.flatnonzero(np.r_[True, c.d_arrest[1:] != c.d_arrest[:-1]])
        low = np.maximum.reduceat(values.astype(np.int64), starts)
        out[c.d_arrest[starts]] = low.view(_DAY)
    return out


def _later_arrests_max(c, a_value: np.ndarray, after: np.ndarray, rows: np.ndarray):
    """Per docket of ``rows``: the latest ``a_value`` over the person's later F/M arrests.

    Those are the known F/M arrests of the docket's person, other than the docket's own,
    made after ``after``; NaT where there is none. With the person's arrests sorted by
    (person, date, key), it is a per-person suffix maximum from the first arrest after
    ``after``. A docket whose own arrest lies in that suffix (an arrest dated after its own
    conviction) takes the suffix after its own arrest's date plus, pair by pair, the
    arrests from ``after`` up to that date (rare: those pairs are few).
    """
    none = np.iinfo(np.int64).min  # NaT's own bits: the smallest int64
    out = np.full(rows.size, none, dtype=np.int64)
    fa = np.flatnonzero(c.known & c.fm)
    if fa.size == 0 or rows.size == 0:
        return out.view(_DAY)
    s_arr = fa[np.lexsort((c.key_rank[fa], c.a_date[fa], c.person[fa]))]
    s_person = c.person[s_arr].astype(np.int64)
    shift, offset = 1 << 23, 1_000_000
    s_key = s_person * shift + c.a_date[s_arr].astype(np.int64) + offset
    s_val = a_value[s_arr].astype(np.int64)
    rev = pd.Series(s_val[::-1]).groupby(s_person[::-1]).cummax()
    suffix = rev.to_numpy(np.int64)[::-1]
    del rev
    person = c.d_person[rows].astype(np.int64)
    own = c.d_arrest[rows]
    own_date = c.a_date[own]
    late = c.fm[own] & (own_date > after)  # own arrest among "after": excluded by hand

    def first_after(who, day):
        return np.searchsorted(s_key, who * shift + day.astype(np.int64) + offset, side="right")

    pos = first_after(person, np.where(late, own_date, after))
    posc = np.minimum(pos, s_key.size - 1)
    ok = (pos < s_key.size) & (s_person[posc] == person)
    out = np.where(ok, suffix[posc], none)
    r = np.flatnonzero(late)
    if r.size:
        lo = first_after(person[r], after[r])
        lengths = pos[r] - lo
        rep = np.repeat(r, lengths)
        at = np.repeat(lo - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        keep = s_arr[at] != own[rep]
        np.maximum.at(out, rep[keep], s_val[at[keep]])
    return out.view(_DAY)


def _pick(values: np.ndarray, idx: np.ndarray, fill=None):
    """``values[idx]`` with ``fill`` where ``idx`` is -1 (NaT, False or -1 by default)."""
    if values.dtype.kind == "M":
        fill = NAT if fill is None else fill
    elif values.dtype == bool:
        fill = False if fill is None else fill
    else:
        fill = -1 if fill is None else fill
    out = np.full(idx.shape, fill, dtype=values.dtype)
    sel = np.flatnonzero(idx >= 0)
    out[sel] = values[idx[sel]]
    return out


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
    """Rule proposals, merged as they come: per docket the best by (rank, since, source).

    A proposal replaces the current one only when strictly better, so among equal
    proposals the first added stays (what a stable sort of all proposals would keep).
    """

    CODES = ("rule", "trigger", "cpl", "term", "detail")

    def __init__(self, n: int):
        self.n = n
        self.top = {k: np.full(n, -1, dtype=np.int64) for k in self.CODES}
        self.top["rank"] = np.full(n, _NONE, dtype=np.int64)
        self.top["src"] = np.full(n, _NONE, dtype=np.int64)
        self.top["since"] = np.full(n, NAT, dtype=_DAY)
        self.top["confirmed"] = np.zeros(n, dtype=bool)
        #: dockets with a proposal other than OPEN and ACD_PENDING (what a running ACD
        #: leaves when it ends, if the docket has an earlier favourable termination)
        self.other = np.zeros(n, dtype=bool)

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
        rank, source = RANK[status], SRC[src]
        if status not in ("OPEN", "ACD_PENDING"):
            self.other[idx] = True
        since = np.asarray(since, _DAY)
        day = (since[idx] if since.shape == (self.n,) else np.full(idx.size, since)).view(np.int64)
        top = self.top
        cur_day = top["since"][idx].view(np.int64)
        cur_rank, cur_src = top["rank"][idx], top["src"][idx]
        better = (rank < cur_rank) | (
            (rank == cur_rank) & ((day < cur_day) | ((day == cur_day) & (source < cur_src)))
        )
        sel = idx[better]
        if sel.size == 0:
            return
        top["rank"][sel] = rank
        top["src"][sel] = source
        top["since"][sel] = day[better].view(_DAY)
        values = {
            "rule": _rule(rule) if isinstance(rule, str) else rule,
            "trigger": trigger,
            "cpl": cpl,
            "term": term,
            "detail": detail,
            "confirmed": confirmed,
        }
        for k, value in values.items():
            if isinstance(value, np.ndarray) and value.shape == (self.n,):
                top[k][sel] = value[sel]
            else:
                top[k][sel] = value

    def best(self) -> dict:
        """Per docket (arrays of length n; rank ``_NONE`` where no candidate)."""
        return self.top


def _better(a: dict, b: dict) -> np.ndarray:
    """Where candidate set ``b`` beats ``a`` by (rank, since, src)."""
    a_since, b_since = a["since"].view(np.int64), b["since"].view(np.int64)
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
    day = date.view(np.int64)
    low = int(day.min()) if day.size else 0
    span = (int(day.max()) - low + 1) if day.size else 1
    if key.size and (int(key.max()) + 1) < (1 << 62) // span:
        # one int64 key, and an unstable sort: ties are ordered by EVENT_ID below anyway
        order = np.argsort(key * span + (day - low))
    else:
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


class _Ctx:
    """What every rule phase reads: the sorted events, the dockets, the arrests, the config.

    The phases (``_favourable``, ``_convictions``, ``_evidence``, ``_clean_slate``,
    ``_rule_160_58``) are separate functions so that their many per-docket temporaries
    are freed when each returns; only what a later phase reads is handed on.
    """

    def __init__(self, inp: Inputs, asof, config: RulesConfig):
        a = inp.a
        self.inp, self.asof, self.config = inp, asof, config
        self.cutoff = np.datetime64(config.pre_1976_cutoff, "D")
        self.a_date = a["ARREST_DATE"].to_numpy(_DAY)
        self.n_a = len(a)
        self.known = self.a_date <= asof
        self.a_keys = as_arrow(a["ARREST_KEY"])
        self.arrest_by_rank = inp.arrest_order
        self.key_rank = np.empty(self.n_a, dtype=np.int64)
        self.key_rank[self.arrest_by_rank] = np.arange(self.n_a)
        self.person = Coded.of(a["PERSON_ID"]).codes
        self.n_people = int(self.person.max()) + 1 if self.person.size else 0
        self.fm = Coded.of(a["LAW_CAT_CD"]).isin(["F", "M"])
        rows, ev_docket, self.d_arrest, self.d_code, self.docket_values = _dockets(
            inp, self.known, asof
        )
        self.n = n = self.d_arrest.size
        self.ev = _Events(inp, rows, ev_docket, n)
        self.d_person = self.person[self.d_arrest]
        self.ids = rows.astype(np.int64)  # an event's id is carried as its row
        self.types = inp.codes["EVENT_TYPE"]
        self.t = self.ev.codes("EVENT_TYPE")
        self.cplc = inp.codes["CPL_SECTION"]
        self.dispc = inp.codes["DISPOSITION"]
        self.clsc = inp.codes["OFFENSE_CLASS"]
        self.secc = inp.codes["SECTION"]
        self.supc = inp.codes["SUPERVISION"]
        self.is_notice = self.is_type("NOTICE")
        self.sec = None  # the latest conviction's section code per docket (``_Conviction``)
        self.notes = np.zeros(n, dtype=np.int64)
        self.cands = _Candidates(n)

    def is_type(self, name: str) -> np.ndarray:
        return self.t == _code_of(self.types, name)

    def disp_is(self, name: str) -> np.ndarray:
        return self.is_type("DISPOSITION") & (
            self.ev.codes("DISPOSITION") == _code_of(self.dispc, name)
        )

    def action_is(self, name: str) -> np.ndarray:
        code = _code_of(self.inp.codes["NOTICE_ACTION"], name)
        return self.is_notice & (self.ev.codes("NOTICE_ACTION") == code)

    def skey_is(self, key: str) -> np.ndarray:
        return self.ev.codes("STATUTE_KEY") == _code_of(self.inp.codes["STATUTE_KEY"], key)

    def order_is(self, name: str) -> np.ndarray:
        code = _code_of(self.inp.codes["ORDER_KIND"], name)
        return self.is_type("COURT_ORDER") & (self.ev.codes("ORDER_KIND") == code)

    def date_at(self, idx: np.ndarray) -> np.ndarray:
        return _pick(self.ev.date, idx)

    def id_at(self, idx: np.ndarray) -> np.ndarray:
        return _pick(self.ids, idx)

    def sec_is(self, pred) -> np.ndarray:
        """Per-docket: the latest conviction's section satisfies ``pred``."""
        lut = np.array([bool(pred(u)) for u in self.secc.uniques], dtype=bool)
        return self.secc.lut(lut, False)[self.sec]


def _denial_after(c: _Ctx, day: np.ndarray):
    """Per docket: the first SEALING_DENIED_IJ dated on or after ``day`` (NaT: none).

    A denial applies to the termination it follows (``_rules``); returns (has, date, id).
    """
    ev = c.ev
    i = ev.first(c.is_type("SEALING_DENIED_IJ") & (ev.date >= day[ev.docket]))
    return i >= 0, c.date_at(i), c.id_at(i)


def _orders(c: _Ctx) -> dict:
    ev = c.ev
    out = {}
    for name, mask in (
        ("m50", c.order_is("SEAL_160_50_MOTION")),
        ("m55", c.order_is("SEAL_160_55_MOTION")),
        ("o59", c.order_is("SEAL_160_59")),
    ):
        i = ev.first(mask)
        out[name] = (i >= 0, c.date_at(i), c.id_at(i))
    return out


def _favourable(c: _Ctx, orders: dict):
    """Favourable terminations and ACDs: candidates, and the 160.50 sealing evidence."""
    ev, asof, config = c.ev, c.asof, c.config
    date = ev.date
    has_m50, m50_date, m50_id = orders["m50"]
    cpl_col = ev.codes("CPL_SECTION")
    disp = ev.codes("DISPOSITION")
    cpl_text = pd.Series(c.cplc.uniques, dtype="str")
    legacy_lut = c.cplc.lut(
        cpl_text.str.contains(LEGACY_MARIJUANA_ACD, regex=True).to_numpy(bool), False
    )
    superior_lut = c.cplc.lut(
        cpl_text.str.contains(SUPERIOR_COURT_ACD, regex=True).to_numpy(bool), False
    )
    entire = ev.flag("ENTIRE_INSTRUMENT")
    is_disp = c.is_type("DISPOSITION")
    fav_ev = is_disp & ev.is_("DISPOSITION", *(set(FAVOURABLE) - {"ACD"}))
    acd_ev = is_disp & ev.is_("DISPOSITION", "ACD_GRANTED")
    c.notes |= np.where(ev.any((fav_ev | acd_ev) & ~entire), NOTE_CHARGE_LEVEL, 0)

    i_fav = ev.last(fav_ev & entire)
    i_acd = ev.last(acd_ev & entire)
    del fav_ev, acd_ev
    # a dismissal as covered ends every favourable termination of the docket; a later
    # conviction on the docket (a new trial) ends one made before it
    i_cov = ev.last(c.disp_is("DISMISSED_AS_COVERED"))
    has_cov = i_cov >= 0
    conv_date = c.date_at(ev.last(c.is_type("CONVICTION")))
    i_fav = np.where(has_cov | (conv_date > c.date_at(i_fav)), -1, i_fav)
    i_acd = np.where(has_cov | (conv_date > c.date_at(i_acd)), -1, i_acd)
    has_fav, has_acd = i_fav >= 0, i_acd >= 0
    has_fav_kept = has_fav
    acd_date = c.date_at(i_acd)
    acd_cpl_raw = _pick(cpl_col, i_acd)
    legacy = legacy_lut[acd_cpl_raw]
    c.notes |= np.where(superior_lut[acd_cpl_raw], NOTE_215_40, 0)
    months = np.where(
        _pick(ev.flag("FAMILY_OFFENSE"), i_acd),
        config.family_acd_months,
        np.where(legacy, config.legacy_marijuana_acd_months, config.acd_months),
    )
    acd_end = add_months(acd_date, months)
    del months
    restored = ev.any(
        c.disp_is("ACD_RESTORED")
        & has_acd[ev.docket]
        & (date >= acd_date[ev.docket])
        & (date < acd_end[ev.docket])
    )
    acd_cpl = np.where(acd_cpl_raw < 0, len(c.cplc.uniques), acd_cpl_raw)
    del acd_cpl_raw
    acd_id = c.id_at(i_acd)
    acd_pending = has_acd & ~restored & (asof < acd_end)
    acd_expired = has_acd & ~restored & (asof >= acd_end)
    del restored
    c.cands.add(
        acd_pending,
        "ACD_PENDING",
        acd_date,
        "ACD",
        np.where(legacy, _rule("ACD_PENDING_LEGACY"), _rule("ACD_PENDING")),
        acd_id,
        acd_cpl,
    )
    acd_running_end = np.where(acd_pending, acd_end, NAT)
    has_ij_acd = _denial_after(c, acd_date)[0]
    clock_acd = np.where(
        acd_pending & ~has_ij_acd & ((acd_end >= c.cutoff) | has_m50), acd_end, NAT
    )
    del acd_pending, legacy, has_ij_acd

    # the sealing began at the earliest favourable termination (ties: the smaller EVENT_ID)
    fav_date, fav_id = c.date_at(i_fav), c.id_at(i_fav)
    use_acd = acd_expired & (~has_fav | (acd_end < fav_date))
    tie = np.flatnonzero(acd_expired & has_fav & (acd_end == fav_date))
    if tie.size:
        id_col = as_arrow(c.inp.e["EVENT_ID"])
        acd_ids = id_col.take(pa.array(acd_id[tie])).to_pylist()
        fav_ids = id_col.take(pa.array(fav_id[tie])).to_pylist()
        use_acd[tie] = [x < y for x, y in zip(acd_ids, fav_ids, strict=True)]
    has_t = has_fav | acd_expired
    t_date = np.where(use_acd, acd_end, fav_date)
    t_event = np.where(use_acd, acd_date, fav_date)  # the DISPOSITION (the ACD's grant)
    t_id = np.where(use_acd, acd_id, fav_id)
    fav_type, fav_cpl = _pick(disp, i_fav), _pick(cpl_col, i_fav)
    t_type = np.where(use_acd, len(c.dispc.uniques), fav_type)
    t_cpl = np.where(use_acd, acd_cpl, fav_cpl)
    # only (b), (d), (e), (f) terminations are suspended by a People's appeal
    appealable_lut = c.dispc.lut(
        np.array([u in PEOPLE_APPEALABLE for u in c.dispc.uniques], dtype=bool), False
    )
    dismissal_lut = c.dispc.lut(
        np.array([u == "DISMISSAL" for u in c.dispc.uniques], dtype=bool), False
    )
    on_appeal_lut = c.cplc.lut(
        cpl_text.str.contains(APPEAL_DISMISSAL, regex=True).to_numpy(bool), False
    )
    appealable = use_acd | (
        appealable_lut[fav_type] & ~(dismissal_lut[fav_type] & on_appeal_lut[fav_cpl])
    )
    del acd_end, acd_id, fav_date, fav_id, acd_cpl, acd_expired, has_fav, has_acd
    del fav_type, fav_cpl, acd_date
    window_end = t_date + np.timedelta64(config.people_appeal_window_days, "D")
    i_app = ev.last(
        c.is_type("PEOPLE_APPEAL_FILED")
        & (has_t & appealable)[ev.docket]
        & (date >= t_date[ev.docket])
        & (date <= window_end[ev.docket])
    )
    del window_end
    has_app, app_date = i_app >= 0, c.date_at(i_app)
    i_dec = ev.last(
        c.is_type("APPEAL_DECIDED") & has_app[ev.docket] & (date >= app_date[ev.docket])
    )
    has_dec = i_dec >= 0
    for_people = _pick(ev.flag("FOR_PEOPLE"), i_dec)
    app_pending = has_t & has_app & ~has_dec
    reversed_ = has_t & has_app & has_dec & for_people
    lost = has_t & has_app & has_dec & ~for_people
    sealed_from = np.where(lost, c.date_at(i_dec), t_date)
    s_trig = np.where(lost, c.id_at(i_dec), t_id)
    del lost, for_people, has_dec, t_id
    live = has_t & ~app_pending & ~reversed_
    favourable = has_t & ~reversed_
    # what a 160.58 resealing reads: the termination, whatever its own sealing
    fav58 = (np.where(live, sealed_from, NAT).astype(_DAY), np.where(live, s_trig, -1))
    del reversed_
    # the day the case ended (what a pending charge stops at, whatever sealing follows):
    # the termination (the decision of a People's appeal it survived), an earlier
    # conviction if it ended one (a vacatur); else the conviction or dismissal as covered
    fav_end = np.where(use_acd | has_app, sealed_from, _nanmin(sealed_from, conv_date))
    term_end = np.where(live, fav_end, _nanmin(conv_date, c.date_at(i_cov))).astype(_DAY)
    del fav_end, use_acd, has_app, conv_date
    c.cands.add(
        app_pending,
        "APPEAL_PENDING",
        app_date,
        "FAV",
        "FAV_APPEAL",
        c.id_at(i_app),
        t_cpl,
        t_type,
    )
    del app_pending, app_date, i_app
    has_ij, ij_date, ij_id = _denial_after(c, np.where(has_t, t_event, NAT))
    del t_event
    pre = t_date < c.cutoff
    needs_motion = live & pre & ~has_m50
    c.cands.add(
        needs_motion,
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        sealed_from,
        "FAV",
        "FAV_MOTION",
        s_trig,
        t_cpl,
        t_type,
    )
    c.cands.add(
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
    del by_motion, pre, needs_motion, live, sealed_from, s_trig

    c.cands.add(has_cov, "NOT_SEALED", c.date_at(i_cov), "COV", "COVERED", c.id_at(i_cov))
    evidence = (c50, c50_since, c50_trig, _rule("FAV_SEALED"), t_cpl, t_type)
    return clock_acd, favourable, evidence, (acd_running_end, has_fav_kept, term_end), fav58


class _Conviction:
    """The latest conviction and sentence of every docket (what Clean Slate reads)."""

    def __init__(self, c: _Ctx):
        ev = c.ev
        self.i_conv = ev.last(c.is_type("CONVICTION"))
        self.has = self.i_conv >= 0
        self.date = c.date_at(self.i_conv)
        self.id = c.id_at(self.i_conv)
        self.cls = _pick(ev.codes("OFFENSE_CLASS"), self.i_conv)
        c.sec = _pick(ev.codes("SECTION"), self.i_conv)
        self.dwai = self.has & c.sec_is(lambda u: u == DWAI)
        self.i_sent = ev.last(c.is_type("SENTENCE"))
        self.has_sent = self.i_sent >= 0
        self.sent_date = c.date_at(self.i_sent)
        self.sent_sup = _pick(ev.codes("SUPERVISION"), self.i_sent)

    def cls_in(self, c: _Ctx, values) -> np.ndarray:
        return _in(c.clsc, self.cls, values)


def _convictions(c: _Ctx, cv: _Conviction, orders: dict):
    """Expungement and 160.55: candidates, and the 160.55 sealing evidence.

    Also returns what a 160.58 resealing reads of a violation conviction: its day and
    trigger (NaT and -1 without one), whatever its own sealing.
    """
    ev, n, asof, config = c.ev, c.n, c.asof, c.config
    has_m55, m55_date, m55_id = orders["m55"]
    conv_date, conv_id = cv.date, cv.id
    cannabis = _pick(ev.flag("CANNABIS_ONLY"), cv.i_conv)
    k_i_sec = c.sec_is(lambda u: u.startswith("PL 220.") or u == "PL 240.36")
    conditions = [
        c.sec_is(lambda u: u in K_II) & (conv_date < MARIHUANA_2019),
        c.sec_is(lambda u: u in K_III),
        c.sec_is(lambda u: u in K_VI),
        c.sec_is(lambda u: u in K_V) & cannabis & (conv_date < MRTA),
        k_i_sec
        & cannabis
        & (conv_date < ART_221_EFFECTIVE)
        & cv.cls_in(c, ["MISDEMEANOR", "VIOLATION"]),
        c.sec_is(lambda u: u == "PL 240.37") & (not config.pl_240_37_expunge_on_notice_only),
    ]
    del k_i_sec, cannabis
    # every matching (k) paragraph proposes a date: the earliest wins (ties: list order)
    k_since = np.stack(
        [
            np.full(n, MARIHUANA_2019),
            _nanmax(conv_date, np.full(n, MRTA)),
            conv_date,
            np.full(n, MRTA),
            _nanmax(conv_date, np.full(n, MARIHUANA_2019)),
            _nanmax(conv_date, np.full(n, PL_240_37_REPEAL)),
        ]
    ).astype(_DAY)
    matches = np.stack([np.asarray(m, bool) & np.ones(n, bool) for m in conditions])
    matches &= ~np.isnat(k_since)
    del conditions
    k_days = np.where(matches, k_since.view(np.int64), np.iinfo(np.int64).max)
    pick = np.argmin(k_days, axis=0) if n else np.zeros(0, np.int64)
    any_k = matches.any(axis=0)
    k_codes = np.array(
        [_rule(r) for r in ("EXP_K_II", "EXP_K_III", "EXP_K_VI", "EXP_K_V", "EXP_K_I", "EXP_K_IV")]
    )
    exp_rule = np.where(any_k, k_codes[pick], -1)
    exp_since = np.where(any_k, k_since[pick, np.arange(n)], NAT).astype(_DAY)
    del k_since, matches, k_days, pick, any_k
    has_cexp = cv.has & (exp_rule >= 0) & (exp_since <= asof)
    i_nexp = ev.first(c.action_is("EXPUNGE"))
    has_nexp, nexp_date = i_nexp >= 0, c.date_at(i_nexp)
    take_comp = has_cexp & (~has_nexp | (exp_since <= nexp_date))
    expunged = has_cexp | has_nexp
    c.cands.add(
        expunged,
        "EXPUNGED_160_50_5",
        np.where(take_comp, exp_since, nexp_date),
        "EXP",
        np.where(take_comp, exp_rule, _rule("EXP_NOTICE")),
        np.where(take_comp, conv_id, c.id_at(i_nexp)),
        confirmed=has_nexp,
    )
    del take_comp, exp_rule, exp_since, has_cexp, has_nexp, nexp_date, i_nexp

    viol = cv.has & cv.cls_in(c, VIOLATION_CLASSES) & ~cv.dwai
    v58 = (np.where(viol, conv_date, NAT).astype(_DAY), np.where(viol, conv_id, -1))
    use_cd = (
        config.seal_160_55_at_cd_end
        & cv.has_sent
        & _in(c.supc, cv.sent_sup, ["CONDITIONAL_DISCHARGE"])
    )
    seal_date = np.where(
        use_cd, add_months(cv.sent_date, config.conditional_discharge_months), conv_date
    )
    trig55 = np.where(use_cd, c.id_at(cv.i_sent), conv_id)
    rule55 = np.where(use_cd, _rule("V55_CD"), _rule("V55_SEALED"))
    del use_cd
    pre55 = conv_date < CPL_160_55_EFFECTIVE
    v_motion = viol & pre55 & ~has_m55
    c.cands.add(v_motion, "MOTION_REQUIRED_PRE_EFFECTIVE", conv_date, "V55", "V55_MOTION", conv_id)
    has_ij, ij_date, ij_id = _denial_after(c, np.where(viol, conv_date, NAT))
    v_ij = viol & ~v_motion & has_ij
    c.cands.add(v_ij, "SEALING_DENIED_IJ", _nanmax(conv_date, ij_date), "V55", "V55_IJ", ij_id)
    del v_ij
    v_wait = viol & ~v_motion & ~has_ij & (asof < seal_date)
    c.cands.add(v_wait, "NOT_SEALED", conv_date, "V55", "V55_WAIT", conv_id)
    clock_v55 = np.where(v_wait, seal_date, NAT)
    c55 = viol & ~v_motion & ~has_ij & ~(asof < seal_date)
    del v_wait, v_motion, viol
    by_m55 = pre55 & has_m55 & (m55_date >= seal_date)
    c55_since = np.where(by_m55, m55_date, seal_date)
    c55_trig = np.where(by_m55, m55_id, trig55)
    return expunged, clock_v55, (c55, c55_since, c55_trig, rule55, -1, -1), v58


def _evidence(c: _Ctx, computed: dict) -> None:
    """Sealing evidence per statute (computed, or a NOTICE), and UNSEAL notices."""
    ev = c.ev
    date = ev.date
    status_of = {
        "50": "SEALED_160_50",
        "55": "SEALED_160_55",
        "59": "SEALED_160_59",
        "57": "SEALED_160_57",
    }
    for key, (has_c, c_since, c_trig, c_rule, c_cpl, c_term) in computed.items():
        i_u = ev.last(c.action_is("UNSEAL") & c.skey_is(key))
        has_u, u_date = i_u >= 0, c.date_at(i_u)
        seal_n = c.action_is("SEAL") & c.skey_is(key)
        ev_has_u, ev_u = has_u[ev.docket], u_date[ev.docket]
        i_n = ev.first(seal_n & (~ev_has_u | (date > ev_u)))
        any_le = ev.any(seal_n & ev_has_u & (date <= ev_u))
        del seal_n, ev_has_u, ev_u
        has_n, n_date = i_n >= 0, c.date_at(i_n)
        kept_c = has_c & (~has_u | (c_since > u_date))
        take_c = kept_c & (~has_n | (c_since <= n_date))
        take_n = ~take_c & has_n
        c.cands.add(
            take_c | take_n,
            status_of[key],
            np.where(take_c, c_since, n_date),
            f"S{key}",
            np.where(take_c, c_rule, _rule("NOTICE_SEAL")),
            np.where(take_c, c_trig, c.id_at(i_n)),
            np.where(take_c, c_cpl, -1),
            np.where(take_c, c_term, -1),
            confirmed=has_n,
        )
        c.cands.add(
            has_u & ((has_c & (c_since <= u_date)) | any_le),
            "NOT_SEALED",
            u_date,
            f"U{key}",
            "UNSEAL_NOTICE",
            c.id_at(i_u),
            confirmed=True,
        )
        computed[key] = None  # free the evidence arrays of this statute


def _clean_slate(c: _Ctx, cv: _Conviction, best_l: dict, favourable, expunged, person_c, acd):
    """Clean Slate (160.57): the clock, the reset rule, pending charges.

    ``acd`` is (the end of each docket's running ACD, whether the docket has a favourable
    termination that still counts, whether it has a local proposal other than OPEN and
    ACD_PENDING, the day its case ended or NaT). Returns the clock and each docket's
    local (person-independent) status and since.
    """
    ev, n, asof = c.ev, c.n, c.asof
    csa = cv.has & (cv.cls_in(c, CRIME_CLASSES) | cv.dwai)
    base = np.where(cv.has_sent, cv.sent_date, cv.date)
    i_rev = ev.last(c.is_type("SUPERVISION_REVOKED"))
    inc_start = _nanmax(
        np.where(cv.has_sent & _pick(ev.flag("INCARCERATION"), cv.i_sent), cv.sent_date, NAT),
        c.date_at(i_rev),
    )
    rel = c.date_at(ev.last(c.is_type("RELEASE")))
    has_inc = ~np.isnat(inc_start)
    start = np.where(has_inc, np.where(~np.isnat(rel) & (rel >= inc_start), rel, NOT_STARTED), base)
    del base, inc_start, rel, has_inc, i_rev
    # the local placeholder of a Clean Slate docket is NOT_SEALED since the conviction
    placeholder = {
        "rank": np.where(csa, RANK["NOT_SEALED"], _NONE),
        "since": np.where(csa, cv.date, NAT),
        "src": np.full(n, SRC["CSA"]),
    }
    take_placeholder = _better(best_l, placeholder)
    local_rank = np.where(take_placeholder, placeholder["rank"], best_l["rank"])
    local_since = np.where(take_placeholder, placeholder["since"], best_l["since"])
    del placeholder, take_placeholder

    # pending charges
    pend_docket = np.isin(local_rank, [RANK[s] for s in PENDING_STATUSES])
    pend_arrest = np.zeros(c.n_a, bool)
    pend_arrest[c.d_arrest[pend_docket]] = True
    pend_arrest &= c.known & c.fm
    pa_ = np.flatnonzero(pend_arrest)
    top_d, top_k = _top2(c.person[pa_], c.a_date[pa_], c.key_rank[pa_], c.n_people)
    blk_date, blk_key = _other_latest(top_d, top_k, c.d_person, c.key_rank[c.d_arrest])
    del top_d, top_k, pend_arrest, pa_
    blocked = csa & (blk_key >= 0) & (blk_date > cv.date)
    del blk_date
    # when each docket stops (stopped) pending: a non-pending one when its case ended
    # (not after its local since; a later sealing does not move it), a running ACD at its
    # end (unless the docket would be OPEN again), an open case never
    acd_end, has_fav, has_other, term_end = acd
    acd_stops = (local_rank == RANK["ACD_PENDING"]) & (~has_fav | has_other | csa)
    ended = _nanmin(local_since, term_end)
    d_end = np.where(pend_docket, np.where(acd_stops, acd_end, NEVER), ended).astype(_DAY)
    del acd_stops, pend_docket, ended, term_end
    csa_rows = np.flatnonzero(csa)
    free = np.full(n, NAT)
    free[csa_rows] = _later_arrests_max(c, _per_arrest_max(c, d_end), cv.date[csa_rows], csa_rows)
    del d_end, csa_rows

    # the reset rule
    pool = csa & cv.cls_in(c, CRIME_CLASSES) & ~favourable & ~expunged
    offset = 1_000_000
    day = cv.date.astype(np.int64)
    keys = c.d_person.astype(np.int64) * (1 << 23) + np.where(pool | csa, day + offset, 0)
    del day
    p_idx = np.flatnonzero(pool)
    p_order = p_idx[np.argsort(keys[p_idx], kind="stable")]
    p_keys = keys[p_order]
    p_start = start[p_order].astype(np.int64)
    p_person = c.d_person[p_order]
    # and, for a reset to a conviction still being served, the latest such arrest (by key)
    p_served = np.where(
        p_start == NOT_STARTED.astype(np.int64), c.key_rank[c.d_arrest[p_order]], -1
    )
    if p_order.size:
        rev = pd.DataFrame({"s": p_start[::-1], "k": p_served[::-1]}).groupby(p_person[::-1])
        suffixes = rev.cummax().to_numpy()[::-1]
        suffix, suffix_served = suffixes[:, 0].copy(), suffixes[:, 1].copy()
        del rev, suffixes
    else:
        suffix, suffix_served = p_start, p_served
    hit = np.searchsorted(p_keys, keys, side="left")
    del keys
    ok = csa & (hit < p_keys.size)
    hit_c = np.minimum(hit, max(p_keys.size - 1, 0))
    ok &= p_person[hit_c] == c.d_person if p_keys.size else np.zeros(n, bool)
    own = start.astype(np.int64)
    reset = np.where(ok, np.maximum(own, suffix[hit_c] if p_keys.size else own), own)
    served_rank = np.where(ok, suffix_served[hit_c] if p_keys.size else -1, -1)
    c.notes |= np.where(csa & (reset > own), NOTE_CSA_RESET, 0)
    reset = reset.astype(_DAY)
    own_started = start != NOT_STARTED
    del hit, hit_c, ok, own, suffix, suffix_served, p_served, p_keys, p_start, p_person
    del p_order, p_idx, pool, start

    # evaluation
    felony = c.clsc.lut(
        np.array([u.startswith("FELONY") for u in c.clsc.uniques], dtype=bool), False
    )[cv.cls]
    years = np.where(felony & ~cv.dwai, 8, 3)
    art220 = _pick(ev.flag("DRUG_ART220"), cv.i_conv) | c.sec_is(lambda u: u.startswith("PL 220."))
    perm = _pick(ev.flag("SORA_OFFENSE"), cv.i_conv) | (cv.cls_in(c, ["FELONY_A"]) & ~art220)
    started = reset != NOT_STARTED
    supervised = cv.has_sent & _in(c.supc, cv.sent_sup, SUPERVISED)
    sup_last = c.date_at(ev.last(c.is_type("SUPERVISION_END")))
    sup_end = np.where(supervised & (sup_last >= cv.sent_date), sup_last, NAT)
    eligible = add_months(np.where(started, reset, NAT), 12 * years)
    eligible = _nanmax(_nanmax(eligible, np.full(n, CSA_OPERATIVE)), sup_end)
    # not before the later charges stop (stopped) pending: blocked until then, eligible since
    eligible = np.where(started, _nanmax(eligible, free), NAT)
    del free
    # own clock started, reset to a later conviction still being served: waiting on it
    served = ~started & own_started
    rule = np.select(
        [
            perm,
            ~started & ~own_started,
            served,
            supervised & np.isnat(sup_end),
            blocked,
            asof >= eligible,
        ],
        [
            _rule("CSA_NEVER"),
            _rule("CSA_INCARCERATED"),
            _rule("CSA_AWAITING_RELEASE"),
            _rule("CSA_SUPERVISION"),
            _rule("CSA_PENDING"),
            _ELIGIBLE,
        ],
        _rule("CSA_WAITING"),
    )
    is_elig = csa & (rule == _ELIGIBLE)
    rule = np.where(
        is_elig, np.where(cv.dwai, _rule("CSA_ELIGIBLE_A"), _rule("CSA_ELIGIBLE_B")), rule
    )
    clocked = (rule == _rule("CSA_WAITING")) | ((rule == _rule("CSA_PENDING")) & (eligible < NEVER))
    clock_csa = np.where(csa & clocked, eligible, NAT)
    del clocked
    person_c.add(is_elig, "CSA_ELIGIBLE_PENDING_NOTICE", eligible, "CSA", rule, cv.id)
    detail_rank = np.where(
        rule == _rule("CSA_PENDING"),
        blk_key,
        np.where(served & ~perm, served_rank, -1),
    )
    detail = np.where(detail_rank >= 0, c.arrest_by_rank[np.maximum(detail_rank, 0)], -1)
    person_c.add(csa & ~is_elig, "NOT_SEALED", cv.date, "CSA", rule, cv.id, detail=detail)
    return clock_csa, local_rank, local_since


def _rule_160_58(c: _Ctx, best_l: dict, local_rank, person_c, local) -> np.ndarray:
    """160.58: conditional sealing, reopened by a later F/M arrest, resealed if it ends well.

    It reseals when every docket of the rearrest has terminated favourably or by a
    violation, from the latest of those days (``tr``; ``_rules`` module docstring and
    ``_Docket.ended_well``): per docket the earliest of its favourable termination that
    still counts, its violation conviction (each whatever its own sealing) and the
    ``since`` of a SEALED_160_50/55 or EXPUNGED local status (ties in that order).
    ``local`` is (the day and trigger of each docket's favourable termination, of its
    violation conviction, whether it has a favourable termination that still counts, the
    end of its running ACD). Returns the 160.58 clock: the date a reopened sealing reseals
    if nothing else happens (the rearrest's last docket terminated).
    """
    ev, n = c.ev, c.n
    date = ev.date
    i_u58 = ev.last(c.action_is("UNSEAL") & c.skey_is("58"))
    has_u58, u58_date = i_u58 >= 0, c.date_at(i_u58)
    start58 = c.order_is("SEAL_160_58") | (c.action_is("SEAL") & c.skey_is("58"))
    kept58 = start58 & (~has_u58[ev.docket] | (date > u58_date[ev.docket]))
    i_to = ev.first(kept58)
    has_to, to_date = i_to >= 0, c.date_at(i_to)
    confirmed58 = ev.any(kept58 & c.is_notice)
    person_c.add(
        has_u58 & ev.any(start58 & ~kept58),
        "UNSEALED_160_58_REARREST",
        u58_date,
        "S58",
        "S58_UNSEAL_NOTICE",
        c.id_at(i_u58),
        confirmed=True,
    )
    clock_s58 = np.full(n, NAT)
    if not has_to.any():
        return clock_s58
    fa = np.flatnonzero(c.known & c.fm)
    top_d, top_k = _top2(c.person[fa], c.a_date[fa], c.key_rank[fa], c.n_people)
    r_date, r_key = _other_latest(top_d, top_k, c.d_person, c.key_rank[c.d_arrest])
    has_r = has_to & (r_key >= 0) & (r_date > to_date)
    # the day each docket terminated favourably or by violation (NaT: it has not), and
    # its trigger: the earliest of the three, ties in the order favourable, violation,
    # sealed status
    (fav_day, fav_trig), (v_day, v_trig), has_fav, acd_running_end = local
    resealing = np.isin(local_rank, [RANK[s] for s in RESEALING_STATUSES])
    s_day = np.where(resealing, best_l["since"], NAT).astype(_DAY)
    use_v = ~np.isnat(v_day) & (np.isnat(fav_day) | (v_day < fav_day))
    d_tr = np.where(use_v, v_day, fav_day).astype(_DAY)
    d_trig = np.where(use_v, v_trig, fav_trig)
    use_s = ~np.isnat(s_day) & (np.isnat(d_tr) | (s_day < d_tr))
    d_tr = np.where(use_s, s_day, d_tr).astype(_DAY)
    d_trig = np.where(use_s, best_l["trigger"], d_trig)
    del fav_day, fav_trig, v_day, v_trig, use_v, s_day, use_s
    ended = ~np.isnat(d_tr)
    # resealing: every docket of the rearrest has so terminated
    reseal_ok = np.ones(c.n_a, bool)
    reseal_ok[c.d_arrest[~ended]] = False
    # the rearrest's latest docket by (tr, docket id); dockets are numbered in
    # (arrest, docket id) order, so the docket number breaks the ties
    last = np.lexsort((np.arange(n), d_tr.astype(np.int64), c.d_arrest))
    la = c.d_arrest[last]
    tail = last[np.r_[la[1:] != la[:-1], True]] if n else last
    tr_since = np.full(c.n_a, NAT)
    tr_trig = np.full(c.n_a, -1, dtype=np.int64)
    tr_since[c.d_arrest[tail]] = d_tr[tail]
    tr_trig[c.d_arrest[tail]] = d_trig[tail]
    r_arrest = c.arrest_by_rank[np.maximum(r_key, 0)]
    resealed = has_r & reseal_ok[r_arrest]
    r_keys = np.where(has_r, r_arrest, -1)
    rule58 = np.where(
        _pick(c.t, i_to) == _code_of(c.types, "NOTICE"), _rule("NOTICE_SEAL"), _rule("S58_ORDER")
    )
    person_c.add(
        has_to & ~has_r,
        "COND_SEALED_160_58",
        to_date,
        "S58",
        rule58,
        c.id_at(i_to),
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
    # when each docket terminates (terminated) well if nothing else happens: its tr if
    # it did, else the end of its running ACD (if no earlier favourable termination
    # decides it)
    acd_day = np.where(has_fav, NAT, acd_running_end)
    d_reseal = np.where(ended, d_tr, np.where(np.isnat(acd_day), NEVER, acd_day))
    a_reseal = _per_arrest_max(c, d_reseal.astype(_DAY))[r_arrest]
    return np.where(has_r & ~resealed & (a_reseal < NEVER), a_reseal, NAT)


def _decide(inp: Inputs, asof, config: RulesConfig) -> Decisions:
    c = _Ctx(inp, asof, config)
    n = c.n
    c.cands.add(np.ones(n, bool), "OPEN", c.a_date[c.d_arrest], "OPEN", "OPEN")
    orders = _orders(c)
    clock_acd, favourable, evidence50, (acd_running_end, has_fav, term_end), fav58 = _favourable(
        c, orders
    )
    cv = _Conviction(c)
    expunged, clock_v55, evidence55, v58 = _convictions(c, cv, orders)
    has_o59, o59_date, o59_id = orders.pop("o59")
    del orders
    computed = {
        "50": evidence50,
        "55": evidence55,
        "59": (has_o59, o59_date, o59_id, _rule("S59_ORDER"), -1, -1),
        "57": (np.zeros(n, bool), np.full(n, NAT), -1, -1, -1, -1),
    }
    del evidence50, evidence55, has_o59, o59_date, o59_id
    _evidence(c, computed)
    del computed
    best_l = c.cands.best()
    has_other = c.cands.other
    c.cands = None
    person_c = _Candidates(n)
    clock_csa, local_rank, local_since = _clean_slate(
        c,
        cv,
        best_l,
        favourable,
        expunged,
        person_c,
        (acd_running_end, has_fav, has_other, term_end),
    )
    del cv, favourable, expunged, has_other, term_end
    clock_s58 = _rule_160_58(
        c, best_l, local_rank, person_c, (fav58, v58, has_fav, acd_running_end)
    )
    del local_rank, local_since, has_fav, fav58, v58, acd_running_end
    final = _merge(best_l, person_c.best())
    del best_l, person_c
    later = np.flatnonzero(~c.known)
    m = later.size

    def cat(values, fill):
        values = np.asarray(values)
        return np.concatenate([values, np.full(m, fill, dtype=values.dtype)])

    return Decisions(
        arrest=np.concatenate([c.d_arrest, later]).astype(np.int64),
        docket=cat(c.d_code, -1),
        docket_values=c.docket_values,
        status=cat(final["rank"], RANK["OPEN"]),
        since=cat(final["since"], NAT),
        rule=cat(final["rule"], _rule("NOT_YET_ARRESTED")),
        trigger=cat(final["trigger"], -1),
        trigger_values=as_arrow(inp.e["EVENT_ID"]),
        cpl=cat(final["cpl"], -1),
        cpl_values=pa.array([*c.cplc.uniques, _DEFAULT_ACD_CPL], type=pa.large_string()),
        term=cat(final["term"], -1),
        term_values=pa.array([*c.dispc.uniques, "ACD"], type=pa.large_string()),
        detail=cat(final["detail"], -1),
        detail_values=c.a_keys,
        notes=cat(c.notes, 0),
        confirmed=cat(final["confirmed"], False),
        clock_acd=cat(clock_acd, NAT),
        clock_csa=cat(clock_csa, NAT),
        clock_v55=cat(clock_v55, NAT),
        clock_s58=cat(clock_s58, NAT),
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
    explain: bool = True,
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
    explain : bool, default True
        Write each record's ``reason``; without, the reasons are empty (what only
        compares statuses, e.g. the invariance check's perturbed copies, skips them).

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
    arrest_columns = (as_arrow(inputs.a["ARREST_KEY"]), as_arrow(inputs.a["PERSON_ID"]))
    key_rank = np.empty(len(inputs.arrest_order), dtype=np.int64)
    key_rank[inputs.arrest_order] = np.arange(key_rank.size)
    decisions = _decide(inputs, asof, config)
    del inputs  # the codes are not needed any more; free them before the texts are built
    result = finish_coded(
        decisions, arrest_columns, asof, config, key_rank=key_rank, explain=explain
    )
    return result.with_policy(policy)
