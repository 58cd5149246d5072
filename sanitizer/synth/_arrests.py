"""Arrests: when, for what and where each person is arrested.

A person's arrests spread over a career window after their first arrest, so counts per
person are heavy-tailed (a few people have dozens) and most arrests fall after 2006, with
the early careers reaching back to the 1970s. The charge is drawn from the era's offence
mix (``_offences``); place is the person's home borough most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import AGE_GROUPS, RACES, SEXES
from . import _calendar as cal
from . import _geography as geo
from . import _offences as off
from ._people import People
from ._util import days_to_dates, join, numbered, take, take_arrow, to_str

__all__ = ["Skeleton", "base_skeleton", "assemble", "ArrestContext", "age_group_index"]

ORIGINS = ("BASE", "SERIES", "ARREST_DERIVED", "ONE_OFF")
_LAW_CATS = ("F", "M", "V", "I")
_BORO_ELSEWHERE = np.array([0.21, 0.26, 0.33, 0.16, 0.04])


@dataclass
class Skeleton:
    """Arrests before keys are assigned: parallel arrays, ``precinct`` -1 = draw one."""

    person: np.ndarray
    day: np.ndarray
    offence: np.ndarray
    boro: np.ndarray
    precinct: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    origin: np.ndarray

    @staticmethod
    def concat(parts: list[Skeleton]) -> Skeleton:
        return Skeleton(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Skeleton.__dataclass_fields__)
        )

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class ArrestContext:
    """What the court stage needs per arrest, in final (ARREST_KEY) order."""

    person: np.ndarray
    day: np.ndarray
    offence: np.ndarray
    group: np.ndarray
    law_cat: np.ndarray
    boro: np.ndarray
    race: np.ndarray
    is_last: np.ndarray
    next_day: np.ndarray
    next_law_cat: np.ndarray
    keys: pd.Series


def _era(days: np.ndarray) -> np.ndarray:
    return np.where(days < cal.MARIJUANA_2019, 0, np.where(days <= cal.MRTA, 1, 2))


def draw_offences(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """An offence (catalogue row) per arrest, from its era's mix."""
    weights = off.era_weights()
    out = np.empty(len(days), dtype=np.int64)
    era = _era(days)
    for e in range(3):
        rows = np.flatnonzero(era == e)
        out[rows] = rng.choice(weights.shape[1], size=rows.size, p=weights[e] / weights[e].sum())
    return out


def base_skeleton(rng: np.random.Generator, people: People) -> Skeleton:
    """Every person's ordinary arrests (the crime stage adds series and one-off arrests)."""
    counts = people.n_arrests
    person = np.repeat(np.arange(len(people)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(person)) - np.repeat(first, counts)
    start = people.career_start[person]
    span = np.minimum(counts * people.gap_mean, cal.END - people.career_start)[person]
    day = np.where(rank == 0, start, start + (rng.random(len(person)) * span).astype(np.int64))
    day = np.minimum(day, cal.END)
    offence = draw_offences(rng, day)
    away = rng.random(len(person)) < 0.2
    boro = np.where(
        away, rng.choice(5, size=len(person), p=_BORO_ELSEWHERE), people.home_boro[person]
    )
    n = len(person)
    return Skeleton(
        person,
        day,
        offence,
        boro,
        np.full(n, -1),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.zeros(n, dtype=np.int64),
    )


def age_group_index(age: np.ndarray) -> np.ndarray:
    """Index into ``AGE_GROUPS`` for ages in years."""
    return np.searchsorted(np.array([18, 25, 45, 65]), age, side="right")


_ACTS = {
    "assault": (
        "STRUCK C/V IN FACE WITH CLOSED FIST",
        "PUSHED C/V TO GROUND CAUSING INJURY",
        "KICKED C/V MULTIPLE TIMES",
    ),
    "violent": (
        "STABBED C/V WITH A KNIFE",
        "STRUCK C/V WITH A BOTTLE CAUSING LACERATION",
        "BEAT C/V WITH A METAL PIPE",
    ),
    "other": (
        "REFUSED LAWFUL ORDER TO DISPERSE",
        "DAMAGED VEHICLE WINDOWS",
        "REMAINED IN BUILDING AFTER BEING TOLD TO LEAVE",
    ),
    "larceny": (
        "REMOVED MERCHANDISE WITHOUT PAYING",
        "CONCEALED ITEMS AND PASSED REGISTER",
        "ENTERED SUBWAY WITHOUT PAYING FARE",
    ),
    "grand_larceny": (
        "REMOVED WALLET FROM C/V BAG",
        "TOOK C/V PHONE FROM TABLE AND FLED",
        "DROVE AWAY IN VEHICLE NOT BELONGING TO DEFT",
    ),
    "robbery": (
        "FORCIBLY TOOK C/V PHONE",
        "DISPLAYED KNIFE AND DEMANDED PROPERTY",
        "PUNCHED C/V AND TOOK WALLET",
    ),
    "burglary": (
        "ENTERED DWELLING THROUGH WINDOW",
        "FORCED DOOR OF STORE AND ENTERED",
        "WAS FOUND INSIDE APARTMENT WITH PROPERTY",
    ),
    "drug": (
        "WAS OBSERVED IN POSSESSION OF CONTROLLED SUBSTANCE",
        "EXCHANGED SMALL OBJECTS FOR US CURRENCY",
        "DISCARDED BAG OF PILLS",
    ),
    "conc_cannabis": (
        "WAS IN POSSESSION OF CONCENTRATED CANNABIS",
        "HELD VAPE CARTRIDGES",
        "HAD HASHISH IN POCKET",
    ),
    "drug_a": (
        "SOLD LARGE QUANTITY OF NARCOTICS",
        "WAS FOUND WITH KILOGRAM OF NARCOTICS",
        "DIRECTED SALE OF NARCOTICS",
    ),
    "marijuana": (
        "WAS SMOKING MARIHUANA IN PUBLIC VIEW",
        "HAD MARIHUANA IN OPEN VIEW",
        "WAS IN POSSESSION OF MARIHUANA",
    ),
    "cannabis": (
        "SOLD CANNABIS WITHOUT LICENSE",
        "WAS IN POSSESSION OF CANNABIS OVER LIMIT",
        "CULTIVATED CANNABIS PLANTS",
    ),
    "dwai": (
        "OPERATED VEHICLE WHILE INTOXICATED",
        "DROVE ERRATICALLY AND FAILED FIELD TEST",
        "WAS BEHIND WHEEL WITH ODOR OF ALCOHOL",
    ),
    "vtl": (
        "OPERATED VEHICLE WITH SUSPENDED LICENSE",
        "DROVE WITHOUT VALID LICENSE",
        "FLED TRAFFIC STOP",
    ),
    "weapon": (
        "WAS IN POSSESSION OF LOADED FIREARM",
        "HAD GRAVITY KNIFE IN WAISTBAND",
        "DISCARDED HANDGUN DURING PURSUIT",
    ),
    "harass": (
        "SENT THREATENING MESSAGES TO C/V",
        "REPEATEDLY CALLED C/V",
        "FOLLOWED C/V IN PUBLIC PLACE",
    ),
    "sex": (
        "SUBJECTED C/V TO SEXUAL CONTACT",
        "TOUCHED C/V WITHOUT CONSENT ON TRAIN",
        "FORCIBLY ASSAULTED C/V",
    ),
    "murder": (
        "CAUSED DEATH OF C/V WITH FIREARM",
        "STABBED C/V CAUSING DEATH",
        "SHOT C/V MULTIPLE TIMES",
    ),
}
_PLACES = (
    "INSIDE LOCATION",
    "IN FRONT OF LOCATION",
    "ON SUBWAY PLATFORM",
    "IN LOBBY",
    "ON STREET CORNER",
    "INSIDE STORE",
    "IN PARKED VEHICLE",
    "IN STAIRWELL",
)
_BEHAVIOUR = (
    "DEFT WAS APPREHENDED WITHOUT INCIDENT.",
    "DEFT RESISTED ARREST.",
    "DEFT FLED AND WAS APPREHENDED NEARBY.",
    "DEFT WAS IDENTIFIED BY C/V.",
    "DEFT MADE NO STATEMENT.",
    "DEFT WAS APPREHENDED ON SCENE.",
)


def assemble(
    rng: np.random.Generator, skel: Skeleton, people: People
) -> tuple[pd.DataFrame, ArrestContext, np.ndarray]:
    """Sort the skeleton, give ARREST_KEYs, build the ``arrests`` frame.

    Returns the frame, the court context, and ``position``: the final row of each
    skeleton entry (so later stages can find the arrests they planted).
    """
    n = len(skel)
    tie = rng.random(n)
    order = np.lexsort((tie, skel.person, skel.day))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    person = skel.person[order]
    day = skel.day[order]
    offence = skel.offence[order]
    boro = skel.boro[order]
    precinct = skel.precinct[order]
    lat = skel.lat[order]
    lon = skel.lon[order]

    need = precinct < 0
    precinct[need] = geo.random_precinct(rng, boro[need])
    plat, plon = geo.points_near(
        rng, boro, geo.PRECINCT_LAT[precinct], geo.PRECINCT_LON[precinct], 0.006
    )
    lat = np.where(np.isnan(lat), plat, np.round(lat, 6))
    lon = np.where(np.isnan(lon), plon, np.round(lon, 6))

    group_names = off.column("group")
    group = np.array([off.GROUPS.index(g) for g in group_names])[offence]
    law_cat = np.array([_LAW_CATS.index(c) for c in off.column("LAW_CAT_CD")])[offence]

    by_person = np.lexsort((day, person))  # same order as `order` up to ties
    next_day = np.full(n, np.iinfo(np.int64).max // 4)
    next_law = np.full(n, -1)
    p_sorted = person[by_person]
    same = p_sorted[1:] == p_sorted[:-1]
    idx_now, idx_next = by_person[:-1][same], by_person[1:][same]
    next_day[idx_now] = day[idx_next]
    next_law[idx_now] = law_cat[idx_next]
    is_last = next_law < 0

    keys = numbered("", 100000000 + np.arange(n), 9)
    age = cal.year_of(day) - people.birth_year[person]
    act_vocab = [a for g in off.GROUPS for a in _ACTS[g]]
    narrative = join(
        [
            take_arrow(
                ("AT TPO", "AT T/P/O", "AT APPROX TIME AND PLACE OF OCCURRENCE"),
                rng.integers(0, 3, n),
            ),
            "DEFT",
            take_arrow(act_vocab, group * 3 + rng.integers(0, 3, n)),
            take_arrow(_PLACES, rng.integers(0, len(_PLACES), n)),
            take_arrow(_BEHAVIOUR, rng.integers(0, len(_BEHAVIOUR), n)),
        ]
    )
    photo = np.where(rng.random(n) < 0.86, 300000000 + np.arange(n), -1)
    photo_text = take_arrow(("",), np.zeros(n, dtype=np.int64))  # placeholder for nulls
    photo_text = numbered("PH", np.maximum(photo, 0), 9)
    photo_series = to_str(photo_text).where(photo >= 0)

    frame = pd.DataFrame(
        {
            "ARREST_KEY": to_str(keys),
            "PERSON_ID": to_str(numbered("P", person + 1, 8)),
            "ARREST_DATE": days_to_dates(day),
            "PD_CD": take(off.column("PD_CD"), offence),
            "PD_DESC": take(off.column("PD_DESC"), offence),
            "KY_CD": take(off.column("KY_CD"), offence),
            "OFNS_DESC": take(off.column("OFNS_DESC"), offence),
            "LAW_CODE": take(off.column("LAW_CODE"), offence),
            "LAW_CAT_CD": take(_LAW_CATS, law_cat),
            "ARREST_BORO": take(geo.BORO_CODES, boro),
            "ARREST_PRECINCT": take(geo.PRECINCTS, precinct),
            "Latitude": lat,
            "Longitude": lon,
            "AGE_GROUP": take(AGE_GROUPS, age_group_index(age)),
            "PERP_SEX": take(SEXES, people.sex[person]),
            "PERP_RACE": take(RACES, people.race[person]),
            "ARREST_NARRATIVE": to_str(narrative),
            "PHOTO_ID": photo_series.astype("str"),
        }
    )
    ctx = ArrestContext(
        person,
        day,
        offence,
        group,
        law_cat,
        boro,
        people.race[person],
        is_last,
        next_day,
        next_law,
        frame["ARREST_KEY"],
    )
    return frame, ctx, position
