"""Complaints, the true crime series behind them, their arrests, and analysts' patterns.

Complaints are robberies, burglaries and grand larcenies.

Ground truth is known by construction: a series is one offender (a person of the
world) repeating one modus operandi near an anchor point, days to weeks apart. Victims
describe the offender noisily (often not at all for burglaries). Some series end in an
arrest linked to the complaints it cleared; some offenders are arrested twice within two
days for the same offence, which is Patternizr's "arrest-derived" pattern label.
Analysts' patterns cover only part of the truth and carry their errors (a missed member,
a wrong complaint, a series split in two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import AGE_GROUPS, RACES, SEXES
from . import _calendar as cal
from . import _geography as geo
from . import _mo as mo
from . import _offences as off
from ._arrests import Skeleton, age_group_index
from ._people import RACE_ARREST_SHARE, People
from ._util import (
    child_rngs,
    days_to_dates,
    join,
    numbered,
    pick_by_group,
    take,
    take_arrow,
    to_str,
)

__all__ = ["Crimes", "make_crimes"]

_P_MISSING = np.array([0.12, 0.55, 0.35])  # description missing, per KY row


@dataclass
class Crimes:
    """Everything the crime stage makes; arrest references are local skeleton indices."""

    complaints: pd.DataFrame
    skeleton: Skeleton
    link_complaint: np.ndarray
    link_arrest: np.ndarray
    link_statement: np.ndarray
    pattern_id: np.ndarray
    pattern_complaint: np.ndarray
    pattern_source: np.ndarray
    pattern_arrest: np.ndarray
    pattern_truth: pd.DataFrame
    offenders: pd.DataFrame
    series: pd.DataFrame


def _group_rank(group: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal (sorted) group values."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, group[1:] != group[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first


def _offence_for(pd_cd: str, group: str) -> int:
    pds, groups = off.column("PD_CD"), off.column("group")
    return int(np.flatnonzero((pds == pd_cd) & (groups == group))[0])


def make_crimes(seed: np.random.SeedSequence, people: People, n_complaints: int) -> Crimes:
    """Draw series and one-off complaints, their clearing arrests and the patterns."""
    r_series, r_cmp, r_noise, r_text, r_arrest, r_pattern = child_rngs(seed, 6)
    n_people = len(people)

    # --- series ------------------------------------------------------------------------
    mean_size = 5.6
    n_series = max(3, int(round(0.38 * n_complaints / mean_size)))
    size = 2 + np.minimum(
        r_series.negative_binomial(1.3, 1.3 / (1.3 + mean_size - 2), n_series), 38
    )
    n_series_cmp = int(size.sum())
    male = people.sex == 0
    pool = np.flatnonzero(male & (people.birth_year >= 1960))
    offender = r_series.choice(pool, size=min(n_series, len(pool)), replace=False)
    n_series = len(offender)
    size = size[:n_series]
    n_series_cmp = int(size.sum())
    s_ky = r_series.choice(3, size=n_series, p=[0.3, 0.4, 0.3])
    away = r_series.random(n_series) < 0.15
    s_boro = np.where(away, r_series.integers(0, 5, n_series), people.home_boro[offender])
    s_prec = geo.random_precinct(r_series, s_boro)
    s_lat, s_lon = geo.points_near(
        r_series, s_boro, geo.PRECINCT_LAT[s_prec], geo.PRECINCT_LON[s_prec], 0.006
    )
    s_radius = r_series.uniform(0.002, 0.010, n_series)
    s_gap = r_series.uniform(3, 21, n_series)
    s_hour = pick_by_group(r_series, s_ky, mo.HOURS)
    s_count = 1 + pick_by_group(
        r_series, np.zeros(n_series, dtype=np.int64), np.array([[0.72, 0.23, 0.05]])
    )
    s_pd = pick_by_group(r_series, s_ky, mo.weight_rows(mo.PD))
    s_prem = pick_by_group(r_series, s_ky, mo.weight_rows(mo.PREMISES))
    s_entry = pick_by_group(r_series, s_ky, mo.weight_rows(mo.ENTRY))
    s_force = pick_by_group(r_series, s_ky, mo.weight_rows(mo.FORCE))
    s_weapon = pick_by_group(r_series, s_ky, mo.weight_rows(mo.WEAPON))
    s_prop = pick_by_group(r_series, s_ky, mo.weight_rows(mo.PROPERTY))
    s_gl = r_series.integers(0, len(mo.GL_METHOD), n_series)
    s_flight = r_series.integers(0, len(mo.FLIGHT), n_series)
    s_desc = r_series.integers(0, len(mo.DESCRIPTORS), n_series)

    sid = np.repeat(np.arange(n_series), size)
    rank = _group_rank(sid)
    gaps = np.where(rank == 0, 0, 1 + r_series.exponential(s_gap[sid]).astype(np.int64))
    offset = np.cumsum(gaps)
    offset = offset - np.repeat(offset[np.r_[0, np.cumsum(size)[:-1]]], size)
    span = offset[np.cumsum(size) - 1]
    window = cal.COMPLAINT_END - cal.COMPLAINT_START - 45
    span_c = np.minimum(span, window)
    s_start = cal.COMPLAINT_START + (r_series.random(n_series) * (window - span_c)).astype(np.int64)
    squeeze = np.where(span > window, window / np.maximum(span, 1), 1.0)
    c_day_s = s_start[sid] + (offset * squeeze[sid]).astype(np.int64)

    # --- one-offs ------------------------------------------------------------------------
    n_one = max(n_complaints - n_series_cmp, 0)
    o_ky = r_cmp.choice(3, size=n_one, p=[0.33, 0.27, 0.40])
    o_known = r_cmp.random(n_one) < 0.5
    o_person = np.where(o_known, r_cmp.integers(0, n_people, n_one), -1)
    o_boro = np.where(
        o_known,
        people.home_boro[np.maximum(o_person, 0)],
        r_cmp.choice(5, size=n_one, p=[0.22, 0.3, 0.25, 0.19, 0.04]),
    )
    o_boro = np.where(r_cmp.random(n_one) < 0.2, r_cmp.integers(0, 5, n_one), o_boro)
    o_prec = geo.random_precinct(r_cmp, o_boro)
    o_day = cal.COMPLAINT_START + (
        r_cmp.random(n_one) * (cal.COMPLAINT_END - cal.COMPLAINT_START)
    ).astype(np.int64)  # noqa: E501

    # --- all complaints, series first ------------------------------------------------------
    n = n_series_cmp + n_one
    is_series = np.r_[np.ones(n_series_cmp, bool), np.zeros(n_one, bool)]
    series_of = np.r_[sid, np.full(n_one, -1)]
    ky = np.r_[s_ky[sid], o_ky]
    boro = np.r_[s_boro[sid], o_boro]
    c_day = np.r_[c_day_s, o_day]
    person = np.r_[offender[sid], o_person]
    center_lat = np.r_[s_lat[sid], geo.PRECINCT_LAT[o_prec]]
    center_lon = np.r_[s_lon[sid], geo.PRECINCT_LON[o_prec]]
    lat, lon = geo.points_near(
        r_cmp, boro, center_lat, center_lon, np.r_[s_radius[sid], np.full(n_one, 0.008)]
    )
    precinct = geo.nearest_precinct(boro, lat, lon)
    hour_pref = np.r_[s_hour[sid], pick_by_group(r_cmp, o_ky, mo.HOURS)]
    hour = np.where(
        is_series, (hour_pref + np.round(r_cmp.normal(0, 1.2, n))).astype(np.int64) % 24, hour_pref
    )
    minute = hour * 60 + r_cmp.integers(0, 60, n)

    def field(series_values, vocab_rows, p_keep=0.88):
        drawn = pick_by_group(r_cmp, ky, vocab_rows)
        keep = is_series & (r_cmp.random(n) < p_keep)
        pref = np.r_[series_values[sid], np.zeros(n_one, dtype=np.int64)]
        return np.where(keep, pref, drawn)

    pd_idx = field(s_pd, mo.weight_rows(mo.PD), 0.92)
    prem = field(s_prem, mo.weight_rows(mo.PREMISES))
    entry = field(s_entry, mo.weight_rows(mo.ENTRY))
    force = field(s_force, mo.weight_rows(mo.FORCE))
    weapon = field(s_weapon, mo.weight_rows(mo.WEAPON))
    prop = field(s_prop, mo.weight_rows(mo.PROPERTY), 0.75)
    prop2 = np.where(
        r_cmp.random(n) < 0.3, pick_by_group(r_cmp, ky, mo.weight_rows(mo.PROPERTY)), -1
    )
    prop2 = np.where(prop2 == prop, -1, prop2)
    entry = np.where((ky == 1) | ((ky == 0) & (entry == len(mo.ENTRY) - 1)), entry, -1)
    count = np.r_[
        s_count[sid],
        1 + pick_by_group(r_cmp, np.zeros(n_one, dtype=np.int64), np.array([[0.75, 0.2, 0.05]])),
    ]

    # --- true offender attributes and the victim's description -----------------------------
    known = person >= 0
    pidx = np.maximum(person, 0)
    u_race = r_noise.choice(7, size=n, p=RACE_ARREST_SHARE)
    u_sex = r_noise.choice(2, size=n, p=[0.88, 0.12])
    t_race = np.where(known, people.race[pidx], u_race)
    t_sex = np.where(known, people.sex[pidx], u_sex)
    t_age = np.where(
        known,
        cal.year_of(c_day) - people.birth_year[pidx],
        np.clip(16 + r_noise.gamma(2.2, 5.0, n), 14, 70).astype(np.int64),
    )
    t_height = np.where(known, people.height[pidx], np.round(r_noise.normal(69, 3.2, n)))
    t_weight = np.where(known, people.weight[pidx], np.round(r_noise.normal(178, 32, n)))
    miss = r_noise.random((n, 6)) < _P_MISSING[ky][:, None] * np.array([1, 1, 0.6, 1.2, 1.3, 0.5])
    age_g = np.clip(
        age_group_index(t_age) + np.where(r_noise.random(n) < 0.12, r_noise.choice([-1, 1], n), 0),
        0,
        4,
    )
    unknown_or_null = np.where(r_noise.random(n) < 0.5, -1, AGE_GROUPS.index("UNKNOWN"))
    susp_age = np.where(miss[:, 0], unknown_or_null, age_g)
    race_d = np.where(r_noise.random(n) < 0.08, r_noise.integers(0, 6, n), t_race)
    susp_race = np.where(
        miss[:, 1], np.where(unknown_or_null < 0, -1, RACES.index("UNKNOWN")), race_d
    )
    sex_d = np.where(r_noise.random(n) < 0.03, 1 - np.minimum(t_sex, 1), t_sex)
    susp_sex = np.where(miss[:, 2], np.where(unknown_or_null < 0, -1, SEXES.index("U")), sex_d)
    susp_h = np.where(miss[:, 3], np.nan, np.round(t_height + r_noise.normal(0, 2.5, n)))
    susp_w = np.where(miss[:, 4], np.nan, np.round((t_weight + r_noise.normal(0, 15, n)) / 5) * 5)
    count_d = np.maximum(
        1, count + np.where(r_noise.random(n) < 0.1, r_noise.choice([-1, 1], n), 0)
    )
    susp_count = pd.array(np.where(miss[:, 5], 0, count_d), dtype="Int64")
    susp_count[miss[:, 5]] = pd.NA

    # --- complaint window --------------------------------------------------------------
    has_to = r_cmp.random(n) < np.array([0.15, 0.7, 0.45])[ky]
    duration = np.where(
        ky == 0,
        r_cmp.integers(1, 20, n),
        np.where(ky == 1, r_cmp.integers(30, 720, n), r_cmp.integers(10, 600, n)),
    )
    to_abs = c_day * 1440 + minute + duration
    to_day = np.where(has_to, to_abs // 1440, -1)
    to_min = np.where(has_to, to_abs % 1440, -1)
    to_day = np.where(has_to & (to_day > cal.COMPLAINT_END), -1, to_day)
    to_min = np.where(to_day < 0, -1, to_min)

    # --- narrative -------------------------------------------------------------------------
    pref = lambda values, k: np.where(  # noqa: E731
        is_series & (r_text.random(n) < 0.75),
        np.r_[values[sid], np.zeros(n_one, int)],
        r_text.integers(0, k, n),
    )
    gl = pref(s_gl, len(mo.GL_METHOD))
    flight = pref(s_flight, len(mo.FLIGHT))
    desc = pref(s_desc, len(mo.DESCRIPTORS))
    modus_vocab = list(mo.FORCE_PHRASE) + list(mo.ENTRY_PHRASE) + list(mo.GL_METHOD)
    modus = np.where(
        ky == 0,
        force,
        np.where(
            ky == 1,
            len(mo.FORCE_PHRASE) + np.maximum(entry, 0),
            len(mo.FORCE_PHRASE) + len(mo.ENTRY_PHRASE) + gl,
        ),
    )
    weapon_phrase = np.where((ky == 0) & (weapon > 0), weapon, -1)
    narrative = join(
        [
            take_arrow(mo.OPENERS, r_text.integers(0, len(mo.OPENERS), n)),
            take_arrow(mo.SUBJECTS, np.minimum(count, 3) - 1),
            take_arrow(modus_vocab, modus),
            take_arrow([w or "" for w in mo.WEAPON_PHRASE], weapon_phrase),
            take_arrow(mo.TAKE_VERBS, r_text.integers(0, len(mo.TAKE_VERBS), n)),
            take_arrow(mo.names(mo.PROPERTY), prop),
            take_arrow(mo.names(mo.PROPERTY), prop2),
            ".",
            take_arrow(mo.FLIGHT, np.where(r_text.random(n) < 0.85, flight, -1)),
            take_arrow(mo.DESCRIPTORS, np.where(r_text.random(n) < 0.7, desc, -1)),
            take_arrow(
                mo.FILLER,
                np.where(r_text.random(n) < 0.5, r_text.integers(0, len(mo.FILLER), n), -1),
            ),
        ]
    )
    property_text = join(
        [take_arrow(mo.names(mo.PROPERTY), prop), take_arrow(mo.names(mo.PROPERTY), prop2)], ", "
    )

    # --- order and numbers ---------------------------------------------------------------------
    order = np.lexsort((r_cmp.random(n), minute, c_day))
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(n)
    cmplnt_num = to_str(numbered("", 200000000 + rank_of, 9))
    times = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]
    complaints = (
        pd.DataFrame(
            {
                "CMPLNT_NUM": cmplnt_num,
                "CMPLNT_FR_DT": days_to_dates(c_day),
                "CMPLNT_FR_TM": take(times, minute),
                "CMPLNT_TO_DT": days_to_dates(np.maximum(to_day, 0)).where(to_day >= 0),
                "CMPLNT_TO_TM": take(times, to_min),
                "KY_CD": take(mo.KY, ky),
                "OFNS_DESC": take(mo.OFNS, ky),
                "PD_CD": take(mo.names(mo.PD), pd_idx),
                "LAW_CAT_CD": take(("FELONY",), np.zeros(n, dtype=np.int64)),
                "BORO_NM": take(geo.BORO_NAMES, boro),
                "ADDR_PCT_CD": take(geo.PRECINCTS, precinct),
                "PREM_TYP_DESC": take(mo.names(mo.PREMISES), prem),
                "Latitude": lat,
                "Longitude": lon,
                "METHOD_OF_ENTRY": take(mo.names(mo.ENTRY), entry),
                "FORCE_USED": take(mo.names(mo.FORCE), force),
                "WEAPON": take(mo.names(mo.WEAPON), weapon),
                "PROPERTY_TAKEN": to_str(property_text),
                "SUSP_AGE_GROUP": take(AGE_GROUPS, susp_age),
                "SUSP_RACE": take(RACES, susp_race),
                "SUSP_SEX": take(SEXES, susp_sex),
                "SUSP_HEIGHT_IN": susp_h,
                "SUSP_WEIGHT_LB": susp_w,
                "SUSP_COUNT": susp_count,
                "NARRATIVE": to_str(narrative),
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )

    offenders = (
        pd.DataFrame(
            {
                "CMPLNT_NUM": cmplnt_num,
                "OFFENDER_ID": to_str(numbered("P", person + 1, 8)).where(
                    known, to_str(numbered("U", np.arange(n) + 1, 8))
                ),  # noqa: E501
                "PERSON_ID": to_str(numbered("P", pidx + 1, 8)).where(known),
                "SERIES_ID": to_str(numbered("S", np.maximum(series_of, 0) + 1, 6)).where(
                    is_series
                ),
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )

    # --- arrests that clear complaints --------------------------------------------------------
    ends = np.cumsum(size) - 1
    last_day = c_day_s[ends]
    arrest_day = last_day + 1 + r_arrest.exponential(12, n_series).astype(np.int64)
    cleared = (r_arrest.random(n_series) < 0.45) & (arrest_day <= cal.END)
    linked = cleared[sid] & ((r_arrest.random(n_series_cmp) < 0.75) | (rank == size[sid] - 1))
    n_linked = np.bincount(sid, weights=linked, minlength=n_series).astype(np.int64)
    derived = cleared & (n_linked >= 2) & (r_arrest.random(n_series) < 0.35)
    second_day = np.minimum(arrest_day + r_arrest.integers(1, 3, n_series), cal.END)
    ky_offence = np.array(
        [
            _offence_for("397", "robbery"),
            _offence_for("221", "burglary"),
            _offence_for("438", "grand_larceny"),
        ]
    )
    # arrest A for every cleared series, arrest B for derived ones
    a_series = np.flatnonzero(cleared)
    b_series = np.flatnonzero(derived)
    a_local = np.full(n_series, -1)
    a_local[a_series] = np.arange(len(a_series))
    b_local = np.full(n_series, -1)
    b_local[b_series] = len(a_series) + np.arange(len(b_series))
    s_arrest_series = np.r_[a_series, b_series]
    s_arrest_day = np.r_[arrest_day[a_series], second_day[b_series]]
    csum = np.cumsum(linked)
    firsts = np.r_[0, np.cumsum(size)[:-1]]
    lrank = csum - (csum[firsts] - linked[firsts])[sid] - 1  # rank among linked, per series
    link_rows = np.flatnonzero(linked)
    use_b = derived[sid[link_rows]] & (lrank[link_rows] % 2 == 1)
    link_arrest_s = np.where(use_b, b_local[sid[link_rows]], a_local[sid[link_rows]])

    # one-off clearances
    o_rows = np.flatnonzero(o_known)
    o_arrest_day = o_day[o_rows] + r_arrest.integers(0, 60, len(o_rows))
    o_clear = (r_arrest.random(len(o_rows)) < 0.25) & (o_arrest_day <= cal.END)
    o_rows, o_arrest_day = o_rows[o_clear], o_arrest_day[o_clear]
    n_sa = len(s_arrest_series)
    link_complaint = np.r_[link_rows, n_series_cmp + o_rows]
    link_arrest = np.r_[link_arrest_s, n_sa + np.arange(len(o_rows))]

    arrest_person = np.r_[offender[s_arrest_series], o_person[o_rows]]
    arrest_days = np.r_[s_arrest_day, o_arrest_day]
    arrest_ky = np.r_[s_ky[s_arrest_series], o_ky[o_rows]]
    # place: near the last complaint of the series / the one-off complaint
    last_of_series = ends[s_arrest_series]
    where_c = np.r_[last_of_series, n_series_cmp + o_rows]
    a_boro = boro[where_c]
    a_lat, a_lon = geo.points_near(r_arrest, a_boro, lat[where_c], lon[where_c], 0.003)
    a_prec = geo.nearest_precinct(a_boro, a_lat, a_lon)
    origin = np.r_[np.where(derived[s_arrest_series], 2, 1), np.full(len(o_rows), 3)]
    skeleton = Skeleton(
        arrest_person, arrest_days, ky_offence[arrest_ky], a_boro, a_prec, a_lat, a_lon, origin
    )
    statement = np.where(
        r_arrest.random(len(link_complaint)) < 0.25,
        -1,
        r_arrest.integers(0, len(mo.STATEMENTS), len(link_complaint)),
    )

    # --- patterns ----------------------------------------------------------------------------
    pr = r_pattern
    analyst = (size >= 3) & (pr.random(n_series) < 0.55)
    split = analyst & (size >= 6) & (pr.random(n_series) < 0.12)
    wrong = analyst & (pr.random(n_series) < 0.12)
    member = analyst[sid] & (pr.random(n_series_cmp) < 0.88)
    second_half = split[sid] & (rank >= size[sid] // 2)
    pat_base = np.full(n_series, -1)
    pat_base[analyst] = np.arange(int(analyst.sum())) * 2
    p_id = pat_base[sid] + second_half
    p_cmp = np.arange(n_series_cmp)
    p_id, p_cmp = p_id[member], p_cmp[member]
    is_extra = np.zeros(len(p_id), dtype=bool)
    # a wrong complaint: a one-off of the same crime type
    w_series = np.flatnonzero(wrong)
    for k in range(3):
        cand = np.flatnonzero(o_ky == k)
        ws = w_series[s_ky[w_series] == k]
        if len(cand) and len(ws):
            p_id = np.r_[p_id, pat_base[ws]]
            p_cmp = np.r_[p_cmp, n_series_cmp + cand[pr.integers(0, len(cand), len(ws))]]
            is_extra = np.r_[is_extra, np.ones(len(ws), dtype=bool)]
    sizes = np.bincount(p_id, minlength=2 * int(analyst.sum()) + 2)
    keep = sizes[p_id] >= 2
    p_id, p_cmp, is_extra = p_id[keep], p_cmp[keep], is_extra[keep]
    # established by the arrest that cleared the complaint, sometimes
    arrest_of_cmp = np.full(n, -1)
    arrest_of_cmp[link_complaint] = link_arrest
    p_arrest = np.where(pr.random(len(p_cmp)) < 0.5, arrest_of_cmp[p_cmp], -1)
    # renumber analyst patterns densely, then add arrest-derived ones
    uniq, p_id = np.unique(p_id, return_inverse=True)
    n_an = len(uniq)
    d_rows = link_rows[derived[sid[link_rows]]]
    d_id = n_an + np.searchsorted(b_series, sid[d_rows])
    pattern_id = np.r_[p_id, d_id]
    pattern_complaint = np.r_[p_cmp, d_rows]
    pattern_source = np.r_[
        np.zeros(len(p_id), dtype=np.int64), np.ones(len(d_rows), dtype=np.int64)
    ]
    pattern_arrest = np.r_[p_arrest, arrest_of_cmp[d_rows]]
    an_series = np.flatnonzero(analyst)[uniq // 2]
    series_of_pattern = np.r_[an_series, b_series]
    covered = np.bincount(sid[p_cmp[~is_extra]], minlength=n_series)
    missing = np.r_[covered[an_series] < size[an_series], np.zeros(len(b_series), dtype=bool)]
    wrong_p = np.r_[np.bincount(p_id[is_extra], minlength=n_an) > 0, np.zeros(len(b_series), bool)]
    split_p = np.r_[split[an_series], np.zeros(len(b_series), dtype=bool)]
    labels = []
    for m_, w_, s_ in zip(missing, wrong_p, split_p, strict=True):
        parts = [p for p, on in (("MISSING_MEMBER", m_), ("WRONG_MEMBER", w_), ("SPLIT", s_)) if on]
        labels.append(";".join(parts) if parts else "NONE")
    n_pat = len(series_of_pattern)
    pattern_truth = pd.DataFrame(
        {
            "PATTERN_ID": to_str(numbered("PAT", np.arange(n_pat) + 1, 7)),
            "SERIES_ID": to_str(numbered("S", series_of_pattern + 1, 6)),
            "PATTERN_SOURCE": take(
                ("ANALYST", "ARREST_DERIVED"),
                np.r_[np.zeros(n_an, int), np.ones(len(b_series), int)],
            ),
            "ERRORS": pd.Series(labels, dtype="str"),
        }
    )

    series = pd.DataFrame(
        {
            "SERIES_ID": to_str(numbered("S", np.arange(n_series) + 1, 6)),
            "KY_CD": take(mo.KY, s_ky),
            "OFFENDER_ID": to_str(numbered("P", offender + 1, 8)),
            "N_COMPLAINTS": size.astype(np.int64),
            "BORO_NM": take(geo.BORO_NAMES, s_boro),
            "ANCHOR_LAT": s_lat,
            "ANCHOR_LON": s_lon,
            "PREM_TYP_DESC": take(mo.names(mo.PREMISES), s_prem),
            "METHOD_OF_ENTRY": take(mo.names(mo.ENTRY), np.where(s_ky == 1, s_entry, -1)),
            "FORCE_USED": take(mo.names(mo.FORCE), s_force),
            "WEAPON": take(mo.names(mo.WEAPON), s_weapon),
            "PROPERTY_TAKEN": take(mo.names(mo.PROPERTY), s_prop),
            "CLEARED_BY_ARREST": cleared,
            "ARREST_DERIVED": derived,
        }
    )
    return Crimes(
        complaints,
        skeleton,
        rank_of[link_complaint],
        link_arrest,
        statement,
        pattern_id,
        rank_of[pattern_complaint],
        pattern_source,
        pattern_arrest,
        pattern_truth,
        offenders,
        series,
    )
