"""The fast rules engine: every arrest at once, vectorised with numpy and pandas.

It computes exactly what the reference engine (``_rules``) computes, and the property
tests hold it to that. The plan, so that nothing loops per docket or per person:

1. sort the events once by (docket, date, EVENT_ID); "the latest CONVICTION of each
   docket" is then the last masked row of each docket run (``_last`` / ``_first``);
2. derive the person-independent facts of every docket (favourable termination, ACD,
   appeal, 160.55, expungement, notices, 160.58 start, Clean Slate clock start) as arrays
   indexed by docket;
3. turn each rule into *candidates* (status, since, source, trigger...), sort them once by
   (docket, precedence, since, source), and keep the first: the docket's
   person-independent ("local") status;
4. join the person-level facts: pending charges and 160.58 rearrests via the two latest
   qualifying arrests of each person (so "another arrest than this one" is a lookup), and
   the Clean Slate reset via a per-person suffix maximum over conviction dates found with
   ``searchsorted``;
5. compare the person-level candidates with the local best and hand the decisions to the
   shared ``finish`` (texts, exclusion, clocks, roll-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    SUPERVISED,
    VIOLATION_CLASSES,
    add_months,
    check_inputs,
    to_day,
)
from ._policy import DEFAULT, STATUSES, RulesConfig
from ._result import DECISION_COLUMNS, RegistryResult, finish
from ._rules import SRC

__all__ = ["evaluate"]

_STATUS_ARR = np.array(STATUSES, dtype=object)
_DAY = "datetime64[D]"


def _nanmax(a, b):
    a, b = np.asarray(a, _DAY), np.asarray(b, _DAY)
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.maximum(a, b)))


def _pick(values: np.ndarray, idx: np.ndarray, fill):
    if values.size == 0:
        if values.dtype.kind == "M":
            return np.full(idx.shape, np.datetime64("NaT", "D"))
        out = np.empty(idx.shape, dtype=values.dtype if values.dtype != object else object)
        out[...] = fill if fill is not None or values.dtype == object else 0
        return out
    out = values[np.maximum(idx, 0)]
    if out.dtype.kind == "M":
        return np.where(idx >= 0, out, np.datetime64("NaT", "D"))
    out = out.copy()
    out[idx < 0] = fill
    return out


class _Events:
    """The events sorted by (docket, date, EVENT_ID), with per-docket run helpers."""

    def __init__(self, e: pd.DataFrame, docket: np.ndarray, n_dockets: int):
        rank = pd.factorize(e["EVENT_ID"], sort=True)[0]
        date = e["EVENT_DATE"].to_numpy(_DAY)
        order = np.lexsort((rank, date, docket))
        self.n = n_dockets
        self.docket = docket[order]
        self.date = date[order]
        self.e = e.iloc[order].reset_index(drop=True)

    def col(self, name: str) -> np.ndarray:
        series = self.e[name]
        if series.dtype == bool:
            return series.to_numpy(bool)
        return series.astype(object).where(series.notna(), None).to_numpy(object)

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
    """Rule proposals as columns; ``best`` keeps the first per docket by precedence."""

    FIELDS = ("status", "rule", "trigger", "cpl", "term", "detail")

    def __init__(self, n: int):
        self.n = n
        self.parts: list[dict] = []

    def add(
        self,
        mask,
        status,
        since,
        src,
        rule,
        trigger=None,
        cpl=None,
        term=None,
        detail=None,
        confirmed=False,
    ):
        mask = np.asarray(mask, bool)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return

        def sub(value, dtype=object):
            if isinstance(value, np.ndarray) and value.shape == (self.n,):
                return value[idx]
            out = np.empty(idx.size, dtype=dtype)
            out[:] = value
            return out

        status_arr = sub(status)
        self.parts.append(
            {
                "docket": idx,
                "rank": np.array([RANK[s] for s in status_arr], dtype=np.int64)
                if isinstance(status, np.ndarray)
                else np.full(idx.size, RANK[status], dtype=np.int64),
                "since": sub(since, _DAY).astype(_DAY),
                "src": np.full(idx.size, SRC[src], dtype=np.int64),
                "status": status_arr,
                "rule": sub(rule),
                "trigger": sub(trigger),
                "cpl": sub(cpl),
                "term": sub(term),
                "detail": sub(detail),
                "confirmed": sub(confirmed, bool).astype(bool),
            }
        )

    def best(self) -> dict:
        """Per docket (arrays of length n; rank -1 where no candidate)."""
        keys = self.parts[0].keys()
        cat = {k: np.concatenate([p[k] for p in self.parts]) for k in keys}
        order = np.lexsort((cat["src"], cat["since"].astype(np.int64), cat["rank"], cat["docket"]))
        d = cat["docket"][order]
        keep = order[np.r_[True, d[1:] != d[:-1]]]
        out = {k: np.full(self.n, None, dtype=object) for k in keys}
        out["rank"] = np.full(self.n, 1 << 40, dtype=np.int64)
        out["src"] = np.full(self.n, 1 << 40, dtype=np.int64)
        out["since"] = np.full(self.n, np.datetime64("NaT"), dtype=_DAY)
        out["confirmed"] = np.zeros(self.n, dtype=bool)
        dk = cat["docket"][keep]
        for k in keys:
            if k != "docket":
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
    dates = np.full((2, n_people), np.datetime64("NaT"), dtype=_DAY)
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


def _decide(a: pd.DataFrame, e: pd.DataFrame, asof, config: RulesConfig) -> pd.DataFrame:
    cutoff = np.datetime64(config.pre_1976_cutoff, "D")
    a_date = a["ARREST_DATE"].to_numpy(_DAY)
    known = a_date <= asof
    a_keys = a["ARREST_KEY"].to_numpy(object)
    key_rank = pd.factorize(a["ARREST_KEY"], sort=True)[0].astype(np.int64)
    person, _ = pd.factorize(a["PERSON_ID"])
    n_people = int(person.max()) + 1 if person.size else 0
    fm = a["LAW_CAT_CD"].isin(["F", "M"]).to_numpy(bool)

    # --- dockets: events up to as-of of known arrests, plus implicit dockets --------
    arrest_of = pd.Index(a["ARREST_KEY"]).get_indexer(e["ARREST_KEY"])
    keep = (e["EVENT_DATE"].to_numpy(_DAY) <= asof) & known[arrest_of]
    e = e[keep].reset_index(drop=True)
    arrest_of = arrest_of[keep]
    dstr = e["DOCKET_ID"].fillna("").astype(object).to_numpy(object)
    pairs = pd.DataFrame({"a": arrest_of, "d": dstr})
    bare = np.setdiff1d(np.flatnonzero(known), arrest_of)
    table = pd.concat(
        [pairs.drop_duplicates(), pd.DataFrame({"a": bare, "d": np.full(bare.size, "", object)})],
        ignore_index=True,
    ).sort_values(["a", "d"], kind="stable", ignore_index=True)
    n = len(table)
    if n == 0:
        return _with_later(pd.DataFrame(columns=list(DECISION_COLUMNS)), a, known)
    d_arrest = table["a"].to_numpy(np.int64)
    d_str = table["d"].to_numpy(object)
    code = pd.MultiIndex.from_frame(table).get_indexer(pd.MultiIndex.from_frame(pairs))
    ev = _Events(e, code, n)
    d_person = person[d_arrest]
    d_adate = a_date[d_arrest]

    t, date = ev.col("EVENT_TYPE"), ev.date
    disp, cpl_col, ids = ev.col("DISPOSITION"), ev.col("CPL_SECTION"), ev.col("EVENT_ID")
    entire, family = ev.col("ENTIRE_INSTRUMENT"), ev.col("FAMILY_OFFENSE")
    order_kind, action, skey = ev.col("ORDER_KIND"), ev.col("NOTICE_ACTION"), ev.col("STATUTE_KEY")
    cls_col, section = ev.col("OFFENSE_CLASS"), ev.col("SECTION")
    sup_col = ev.col("SUPERVISION")
    cpl_text = ev.e["CPL_SECTION"].astype("str")
    legacy_ev = cpl_text.str.contains(r"170\.56|210\.46", regex=True).fillna(False).to_numpy(bool)
    superior_ev = cpl_text.str.contains(r"215\.40", regex=True).fillna(False).to_numpy(bool)
    is_disp = t == "DISPOSITION"
    is_notice = t == "NOTICE"
    fav_types = list(set(FAVOURABLE) - {"ACD"})
    fav_ev = is_disp & np.isin(disp, fav_types)
    acd_ev = is_disp & (disp == "ACD_GRANTED")

    def at(idx, values, fill=None):
        return _pick(values, idx, fill)

    cands = _Candidates(n)
    notes = np.zeros(n, dtype=np.int64)
    clock_acd = np.full(n, NAT)
    clock_v55 = np.full(n, NAT)
    clock_csa = np.full(n, NAT)
    cands.add(np.ones(n, bool), "OPEN", d_adate, "OPEN", "OPEN")

    i_ij = ev.first(t == "SEALING_DENIED_IJ")
    has_ij, ij_date, ij_id = i_ij >= 0, at(i_ij, date), at(i_ij, ids)
    i_m50 = ev.first((t == "COURT_ORDER") & (order_kind == "SEAL_160_50_MOTION"))
    i_m55 = ev.first((t == "COURT_ORDER") & (order_kind == "SEAL_160_55_MOTION"))
    i_o59 = ev.first((t == "COURT_ORDER") & (order_kind == "SEAL_160_59"))
    has_m50, m50_date, m50_id = i_m50 >= 0, at(i_m50, date), at(i_m50, ids)
    has_m55, m55_date, m55_id = i_m55 >= 0, at(i_m55, date), at(i_m55, ids)

    notes |= np.where(ev.any((fav_ev | acd_ev) & ~entire), NOTE_CHARGE_LEVEL, 0)

    # --- favourable terminations and ACDs ----------------------------------------------
    i_fav = ev.last(fav_ev & entire)
    i_acd = ev.last(acd_ev & entire)
    has_fav, has_acd = i_fav >= 0, i_acd >= 0
    acd_date = at(i_acd, date)
    legacy = at(i_acd, legacy_ev, False)
    notes |= np.where(at(i_acd, superior_ev, False), NOTE_215_40, 0)
    months = np.where(
        at(i_acd, family, False),
        config.family_acd_months,
        np.where(legacy, config.legacy_marijuana_acd_months, config.acd_months),
    )
    acd_end = add_months(acd_date, months)
    ev_acd_date, ev_acd_end = acd_date[ev.docket], acd_end[ev.docket]
    restored = ev.any(
        is_disp
        & (disp == "ACD_RESTORED")
        & has_acd[ev.docket]
        & (date >= ev_acd_date)
        & (date < ev_acd_end)
    )
    acd_cpl = at(i_acd, cpl_col)
    acd_cpl = np.where(pd.isna(acd_cpl), "CPL 170.55", acd_cpl).astype(object)
    acd_id = at(i_acd, ids)
    acd_pending = has_acd & ~restored & (asof < acd_end)
    acd_expired = has_acd & ~restored & (asof >= acd_end)
    cands.add(
        acd_pending,
        "ACD_PENDING",
        acd_date,
        "ACD",
        np.where(legacy, "ACD_PENDING_LEGACY", "ACD_PENDING").astype(object),
        acd_id,
        acd_cpl,
    )
    clock_acd = np.where(
        acd_pending & ~has_ij & ((acd_end >= cutoff) | has_m50), acd_end, clock_acd
    )

    fav_date, fav_id = at(i_fav, date), at(i_fav, ids)
    fav_rank = at(i_fav, pd.factorize(ev.e["EVENT_ID"], sort=True)[0], -1)
    acd_rank = at(i_acd, pd.factorize(ev.e["EVENT_ID"], sort=True)[0], -1)
    use_acd = acd_expired & (
        ~has_fav | (acd_end > fav_date) | ((acd_end == fav_date) & (acd_rank > fav_rank))
    )
    has_t = has_fav | acd_expired
    t_date = np.where(use_acd, acd_end, fav_date)
    t_id = np.where(use_acd, acd_id, fav_id)
    t_type = np.where(use_acd, "ACD", at(i_fav, disp)).astype(object)
    t_cpl = np.where(use_acd, acd_cpl, at(i_fav, cpl_col)).astype(object)
    window_end = t_date + np.timedelta64(config.people_appeal_window_days, "D")
    i_app = ev.last(
        (t == "PEOPLE_APPEAL_FILED")
        & has_t[ev.docket]
        & (date >= t_date[ev.docket])
        & (date <= window_end[ev.docket])
    )
    has_app, app_date = i_app >= 0, at(i_app, date)
    i_dec = ev.last((t == "APPEAL_DECIDED") & has_app[ev.docket] & (date >= app_date[ev.docket]))
    has_dec = i_dec >= 0
    for_people = at(i_dec, ev.col("FOR_PEOPLE"), False)
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

    i_cov = ev.last(is_disp & (disp == "DISMISSED_AS_COVERED"))
    cands.add(i_cov >= 0, "NOT_SEALED", at(i_cov, date), "COV", "COVERED", at(i_cov, ids))

    # --- convictions -----------------------------------------------------------------
    i_conv = ev.last(t == "CONVICTION")
    has_conv = i_conv >= 0
    conv_date, conv_id = at(i_conv, date), at(i_conv, ids)
    cls = at(i_conv, cls_col)
    sec = at(i_conv, section)
    cannabis = at(i_conv, ev.col("CANNABIS_ONLY"), False)
    sec_s = pd.Series(sec, dtype="object").astype("str")
    k_i_sec = (
        sec_s.str.startswith("PL 220.").fillna(False) | (sec_s == "PL 240.36").fillna(False)
    ).to_numpy(bool)
    conditions = [
        np.isin(sec, list(K_II)) & (conv_date < MARIHUANA_2019),
        np.isin(sec, list(K_III)),
        np.isin(sec, list(K_VI)),
        np.isin(sec, list(K_V)) & cannabis & (conv_date < MRTA),
        k_i_sec
        & cannabis
        & (conv_date < ART_221_EFFECTIVE)
        & np.isin(cls, ["MISDEMEANOR", "VIOLATION"]),
        (sec == "PL 240.37") & (not config.pl_240_37_expunge_on_notice_only),
    ]
    exp_rule = np.select(
        conditions, ["EXP_K_II", "EXP_K_III", "EXP_K_VI", "EXP_K_V", "EXP_K_I", "EXP_K_IV"], ""
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
    has_cexp = has_conv & (exp_rule != "") & (exp_since <= asof)
    i_nexp = ev.first(is_notice & (action == "EXPUNGE"))
    has_nexp, nexp_date = i_nexp >= 0, at(i_nexp, date)
    take_comp = has_cexp & (~has_nexp | (exp_since <= nexp_date))
    expunged = has_cexp | has_nexp
    cands.add(
        expunged,
        "EXPUNGED_160_50_5",
        np.where(take_comp, exp_since, nexp_date),
        "EXP",
        np.where(take_comp, exp_rule, "EXP_NOTICE").astype(object),
        np.where(take_comp, conv_id, at(i_nexp, ids)),
        confirmed=has_nexp,
    )

    dwai = has_conv & (sec == DWAI)
    i_sent = ev.last(t == "SENTENCE")
    has_sent, sent_date = i_sent >= 0, at(i_sent, date)
    sent_sup = at(i_sent, sup_col)
    viol = has_conv & np.isin(cls, list(VIOLATION_CLASSES)) & ~dwai
    use_cd = config.seal_160_55_at_cd_end & has_sent & (sent_sup == "CONDITIONAL_DISCHARGE")
    seal_date = np.where(
        use_cd, add_months(sent_date, config.conditional_discharge_months), conv_date
    )
    trig55 = np.where(use_cd, at(i_sent, ids), conv_id)
    rule55 = np.where(use_cd, "V55_CD", "V55_SEALED").astype(object)
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
    o59_date = at(i_o59, date)
    computed = {
        "50": (c50, c50_since, c50_trig, "FAV_SEALED", t_cpl, t_type),
        "55": (c55, c55_since, c55_trig, rule55, None, None),
        "59": (i_o59 >= 0, o59_date, at(i_o59, ids), "S59_ORDER", None, None),
        "57": (np.zeros(n, bool), np.full(n, NAT), None, None, None, None),
    }
    status_of = {
        "50": "SEALED_160_50",
        "55": "SEALED_160_55",
        "59": "SEALED_160_59",
        "57": "SEALED_160_57",
    }
    for key, (has_c, c_since, c_trig, c_rule, c_cpl, c_term) in computed.items():
        i_u = ev.last(is_notice & (action == "UNSEAL") & (skey == key))
        has_u, u_date = i_u >= 0, at(i_u, date)
        seal_n = is_notice & (action == "SEAL") & (skey == key)
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
            np.where(take_c, c_rule, "NOTICE_SEAL").astype(object),
            np.where(take_c, c_trig, at(i_n, ids)) if c_trig is not None else at(i_n, ids),
            np.where(take_c, c_cpl, None) if c_cpl is not None else None,
            np.where(take_c, c_term, None) if c_term is not None else None,
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
    csa = has_conv & (np.isin(cls, list(CRIME_CLASSES)) | dwai)
    base = np.where(has_sent, sent_date, conv_date)
    i_rev = ev.last(t == "SUPERVISION_REVOKED")
    inc_start = _nanmax(
        np.where(has_sent & at(i_sent, ev.col("INCARCERATION"), False), sent_date, NAT),
        at(i_rev, date),
    )
    rel = at(ev.last(t == "RELEASE"), date)
    has_inc = ~np.isnat(inc_start)
    start = np.where(has_inc, np.where(~np.isnat(rel) & (rel >= inc_start), rel, NOT_STARTED), base)
    # the local placeholder of a Clean Slate docket is NOT_SEALED since the conviction
    placeholder = {
        "rank": np.where(csa, RANK["NOT_SEALED"], 1 << 40),
        "since": np.where(csa, conv_date, NAT),
        "src": np.full(n, SRC["CSA"]),
    }
    local_rank = np.where(_better(best_l, placeholder), placeholder["rank"], best_l["rank"])
    local_status = _STATUS_ARR[local_rank]
    local_since = best_l["since"]  # for the statuses read below (pending, resealing) only

    # --- person level: pending charges ----------------------------------------------
    pend_docket = np.isin(local_status, list(PENDING_STATUSES))
    pend_arrest = np.zeros(len(a), bool)
    pend_arrest[d_arrest[pend_docket]] = True
    pend_arrest &= known & fm
    pa = np.flatnonzero(pend_arrest)
    top_d, top_k = _top2(person[pa], a_date[pa], key_rank[pa], n_people)
    blk_date, blk_key = _other_latest(top_d, top_k, d_person, key_rank[d_arrest])
    blocked = csa & (blk_key >= 0) & (blk_date > conv_date)
    key_by_rank = np.empty(len(a), dtype=object)
    key_by_rank[key_rank] = a_keys

    # --- person level: Clean Slate reset ------------------------------------------------
    pool = csa & np.isin(cls, list(CRIME_CLASSES)) & ~favourable & ~expunged
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
    felony = pd.Series(cls, dtype="object").astype("str").str.startswith("FELONY").fillna(False)
    years = np.where(felony.to_numpy(bool) & ~dwai, 8, 3)
    art220 = at(i_conv, ev.col("DRUG_ART220"), False) | sec_s.str.startswith("PL 220.").fillna(
        False
    ).to_numpy(bool)
    perm = at(i_conv, ev.col("SORA_OFFENSE"), False) | ((cls == "FELONY_A") & ~art220)
    started = reset != NOT_STARTED
    supervised = has_sent & np.isin(sent_sup, list(SUPERVISED))
    sup_last = at(ev.last(t == "SUPERVISION_END"), date)
    sup_end = np.where(supervised & (sup_last >= sent_date), sup_last, NAT)
    eligible = add_months(np.where(started, reset, NAT), 12 * years)
    eligible = _nanmax(_nanmax(eligible, np.full(n, CSA_OPERATIVE)), sup_end)
    eligible = np.where(started, eligible, NAT)
    rule = np.select(
        [perm, ~started, supervised & np.isnat(sup_end), blocked, asof >= eligible],
        ["CSA_NEVER", "CSA_INCARCERATED", "CSA_SUPERVISION", "CSA_PENDING", "ELIGIBLE"],
        "CSA_WAITING",
    ).astype(object)
    is_elig = csa & (rule == "ELIGIBLE")
    rule = np.where(is_elig, np.where(dwai, "CSA_ELIGIBLE_A", "CSA_ELIGIBLE_B"), rule)
    clock_csa = np.where(csa & (rule == "CSA_WAITING"), eligible, clock_csa)
    person_c = _Candidates(n)
    person_c.add(is_elig, "CSA_ELIGIBLE_PENDING_NOTICE", eligible, "CSA", rule, conv_id)
    detail = np.where(rule == "CSA_PENDING", _pick(key_by_rank, blk_key, None), None)
    person_c.add(csa & ~is_elig, "NOT_SEALED", conv_date, "CSA", rule, conv_id, detail=detail)

    # --- person level: 160.58 ------------------------------------------------------------
    i_u58 = ev.last(is_notice & (action == "UNSEAL") & (skey == "58"))
    has_u58, u58_date = i_u58 >= 0, at(i_u58, date)
    start58 = ((t == "COURT_ORDER") & (order_kind == "SEAL_160_58")) | (
        is_notice & (action == "SEAL") & (skey == "58")
    )
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
        arrest_by_rank = np.empty(len(a), dtype=np.int64)
        arrest_by_rank[key_rank] = np.arange(len(a))
        reseal_ok = np.ones(len(a), bool)
        np.logical_and.at(reseal_ok, d_arrest, np.isin(local_status, list(RESEALING_STATUSES)))
        dk = pd.DataFrame(
            {
                "a": d_arrest,
                "since": local_since.astype(np.int64),
                "d": d_str,
                "trig": best_l["trigger"],
            }
        )
        lastd = dk.sort_values(["a", "since", "d"], kind="stable").groupby("a").tail(1)
        tr_since = np.full(len(a), NAT)
        tr_trig = np.full(len(a), None, dtype=object)
        tr_since[lastd["a"].to_numpy()] = lastd["since"].to_numpy().astype(_DAY)
        tr_trig[lastd["a"].to_numpy()] = lastd["trig"].to_numpy(object)
        r_arrest = arrest_by_rank[np.maximum(r_key, 0)]
        resealed = has_r & reseal_ok[r_arrest]
        r_keys = np.where(has_r, a_keys[r_arrest], None)
        rule58 = np.where(at(i_to, t) == "NOTICE", "NOTICE_SEAL", "S58_ORDER").astype(object)
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

    final = _merge(best_l, person_c.best()) if person_c.parts else best_l
    out = pd.DataFrame(
        {
            "ARREST_KEY": a_keys[d_arrest],
            "PERSON_ID": a["PERSON_ID"].to_numpy(object)[d_arrest],
            "DOCKET_ID": np.where(d_str == "", None, d_str),
            "status": final["status"],
            "since": final["since"],
            "rule": final["rule"],
            "trigger_event_id": final["trigger"],
            "cpl_section": final["cpl"],
            "term_type": final["term"],
            "detail": final["detail"],
            "notes": notes,
            "confirmed": final["confirmed"].astype(bool),
            "clock_acd": clock_acd,
            "clock_csa": clock_csa,
            "clock_v55": clock_v55,
        }
    )
    return _with_later(out, a, known)


def _with_later(out: pd.DataFrame, a: pd.DataFrame, known: np.ndarray) -> pd.DataFrame:
    """Append the arrests made after the as-of date: OPEN, nothing sealed."""
    a_keys = a["ARREST_KEY"].to_numpy(object)
    unknown = np.flatnonzero(~known)
    if unknown.size:
        later = pd.DataFrame(
            {
                "ARREST_KEY": a_keys[unknown],
                "PERSON_ID": a["PERSON_ID"].to_numpy(object)[unknown],
                "DOCKET_ID": None,
                "status": "OPEN",
                "since": NAT,
                "rule": "NOT_YET_ARRESTED",
                "trigger_event_id": None,
                "cpl_section": None,
                "term_type": None,
                "detail": None,
                "notes": 0,
                "confirmed": False,
                "clock_acd": NAT,
                "clock_csa": NAT,
                "clock_v55": NAT,
            }
        )
        out = pd.concat([out, later], ignore_index=True) if len(out) else later
    for column in ("since", "clock_acd", "clock_csa", "clock_v55"):
        out[column] = out[column].astype("datetime64[s]")
    out["notes"] = out["notes"].astype(np.int64)
    return out[list(DECISION_COLUMNS)]


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
    a, e = check_inputs(arrests, court_events)
    asof = to_day(as_of)
    decisions = _decide(a, e, asof, config)
    return finish(decisions, a["ARREST_KEY"], asof, config).with_policy(policy)
