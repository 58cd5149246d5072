"""Modus-operandi and narrative vocabularies for the three Patternizr crime types.

Each vocabulary has one weight row per crime type (robbery 105, burglary 107, grand
larceny 109); zero means "never for that type". A series keeps one preferred value per
field and per narrative slot, so its complaints resemble each other the way a real
pattern's do, with noise.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KY",
    "OFNS",
    "PD",
    "PREMISES",
    "ENTRY",
    "FORCE",
    "WEAPON",
    "PROPERTY",
    "GL_METHOD",
    "OPENERS",
    "SUBJECTS",
    "FLIGHT",
    "DESCRIPTORS",
    "FILLER",
    "STATEMENTS",
    "ENTRY_PHRASE",
    "FORCE_PHRASE",
    "WEAPON_PHRASE",
    "TAKE_VERBS",
    "HOURS",
]

KY = ("105", "107", "109")
OFNS = ("ROBBERY", "BURGLARY", "GRAND LARCENY")
#: (PD_CD, weight per KY row)
PD = (
    ("397", (5, 0, 0)),
    ("361", (2, 0, 0)),
    ("386", (2, 0, 0)),
    ("221", (0, 4, 0)),
    ("223", (0, 3, 0)),
    ("213", (0, 2, 0)),
    ("438", (0, 0, 5)),
    ("409", (0, 0, 2)),
    ("441", (0, 0, 1.5)),
)
PREMISES = (
    ("STREET", (8, 0, 5)),
    ("TRANSIT - NYC SUBWAY", (3, 0, 4)),
    ("GROCERY/BODEGA", (2, 1, 0.5)),
    ("CHAIN STORE", (1.5, 1, 3)),
    ("BANK", (0.5, 0.2, 0)),
    ("FAST FOOD", (1, 0.5, 0.5)),
    ("RESIDENCE - APT. HOUSE", (2, 6, 2)),
    ("RESIDENCE-HOUSE", (0.5, 4, 1)),
    ("RESIDENCE - PUBLIC HOUSING", (1.5, 2, 0.5)),
    ("COMMERCIAL BUILDING", (0.5, 3, 1.5)),
    ("DEPARTMENT STORE", (0, 0.5, 3)),
    ("CLOTHING/BOUTIQUE", (0.3, 1, 2)),
    ("CONSTRUCTION SITE", (0, 1.5, 0.5)),
    ("PARKING LOT/GARAGE (PUBLIC)", (0.5, 0.3, 1.5)),
    ("RESTAURANT/DINER", (0.5, 1, 1.5)),
    ("DRUG STORE", (0.5, 0.5, 1.5)),
    ("BAR/NIGHT CLUB", (0.5, 0.3, 1.5)),
    ("HOTEL/MOTEL", (0.2, 0.3, 0.8)),
)
ENTRY = (
    ("FORCED - FRONT DOOR", (0, 4, 0)),
    ("FORCED - REAR WINDOW", (0, 3, 0)),
    ("FIRE ESCAPE WINDOW", (0, 3, 0)),
    ("PRIED LOCK", (0, 3, 0)),
    ("UNLOCKED DOOR", (0, 2, 0)),
    ("ROOF ACCESS", (0, 1, 0)),
    ("SMASHED GLASS", (0, 2, 0)),
    ("PUSH-IN", (1, 0.5, 0)),
)
ENTRY_PHRASE = (
    "ENTERED BY FORCING THE FRONT DOOR",
    "GAINED ENTRY THROUGH A REAR WINDOW",
    "CLIMBED THE FIRE ESCAPE AND ENTERED THROUGH WINDOW",
    "PRIED THE LOCK AND ENTERED",
    "ENTERED THROUGH AN UNLOCKED DOOR",
    "ENTERED FROM THE ROOF",
    "SMASHED THE GLASS AND ENTERED",
    "PUSHED C/V INTO APARTMENT",
)
FORCE = (
    ("NONE", (0, 4, 8)),
    ("PHYSICAL FORCE", (5, 0.5, 0.5)),
    ("DISPLAYED WEAPON", (4, 0.2, 0)),
    ("IMPLIED WEAPON", (3, 0, 0)),
    ("THREAT OF FORCE", (3, 0.2, 0.3)),
    ("RESTRAINED VICTIM", (0.8, 0.2, 0)),
)
FORCE_PHRASE = (
    "APPROACHED C/V",
    "PUNCHED C/V AND",
    "DISPLAYED A WEAPON AND",
    "IMPLIED HE HAD A GUN AND",
    "THREATENED TO HURT C/V AND",
    "HELD C/V DOWN AND",
)
WEAPON = (
    ("NONE", (4, 6, 9)),
    ("KNIFE", (3, 0.3, 0)),
    ("HANDGUN", (2, 0.2, 0)),
    ("BLUNT OBJECT", (1, 0.3, 0)),
    ("BOX CUTTER", (1, 0.2, 0)),
    ("SCREWDRIVER", (0.3, 1.5, 0)),
    ("PEPPER SPRAY", (0.5, 0, 0)),
)
WEAPON_PHRASE = (
    None,
    "WITH A KNIFE",
    "WITH A HANDGUN",
    "WITH A BAT",
    "WITH A BOX CUTTER",
    "WITH A SCREWDRIVER",
    "WITH PEPPER SPRAY",
)
PROPERTY = (
    ("CELL PHONE", (6, 1, 4)),
    ("CASH", (4, 3, 2)),
    ("JEWELRY", (2, 3, 1.5)),
    ("ELECTRONICS", (1, 3, 1.5)),
    ("WALLET", (3, 0.5, 3)),
    ("HANDBAG", (1.5, 0.3, 2.5)),
    ("LAPTOP", (0.5, 2.5, 2)),
    ("BICYCLE", (0.5, 0.5, 1.5)),
    ("CLOTHING", (0.5, 1, 2.5)),
    ("CREDIT CARDS", (1, 1, 2)),
    ("PACKAGES", (0.2, 1.5, 1)),
    ("TOOLS", (0, 1.5, 0.8)),
    ("MOTOR VEHICLE", (0.3, 0, 1.5)),
    ("CATALYTIC CONVERTER", (0, 0, 0.8)),
    ("DESIGNER HANDBAGS", (0, 0.5, 1.5)),
    ("COSMETICS", (0, 0.3, 1.5)),
)
GL_METHOD = (
    "REMOVED PROPERTY FROM C/V UNATTENDED BAG",
    "PICKED C/V POCKET ON CROWDED TRAIN",
    "TOOK PROPERTY WHILE C/V WAS DISTRACTED",
    "WALKED OUT WITH MERCHANDISE WITHOUT PAYING",
    "DROVE OFF WITH VEHICLE",
    "SNATCHED PROPERTY FROM C/V HAND",
    "USED C/V CARD WITHOUT PERMISSION",
    "TOOK PACKAGE FROM LOBBY",
)
OPENERS = ("C/V STATES", "COMPLAINANT STATES", "VICTIM REPORTS THAT", "C/V REPORTS", "R/P STATES")
SUBJECTS = ("UNKNOWN PERP", "TWO UNKNOWN PERPS", "THREE OR MORE PERPS")
TAKE_VERBS = ("AND REMOVED", "AND TOOK", "AND FLED WITH", "AND REMOVED C/V")
FLIGHT = (
    "PERP FLED ON FOOT",
    "PERP FLED IN A DARK SEDAN",
    "PERP FLED ON A BICYCLE",
    "PERP FLED INTO THE SUBWAY",
    "PERP FLED NORTHBOUND",
    "PERP FLED ON A MOPED",
    "PERP FLED IN A WHITE VAN",
    "PERP FLED SOUTHBOUND",
)
DESCRIPTORS = (
    "PERP WEARING BLACK HOODIE",
    "PERP WEARING SURGICAL MASK",
    "PERP CARRYING A BACKPACK",
    "PERP WEARING GLOVES",
    "PERP HAS A TATTOO ON NECK",
    "PERP WEARING RED JACKET",
    "PERP WEARING BASEBALL CAP",
    "PERP WEARING SKI MASK",
    "PERP HAS A BEARD",
    "PERP WEARING GRAY SWEATPANTS",
)
FILLER = (
    "NO INJURIES.",
    "C/V REFUSED MEDICAL ATTENTION.",
    "CANVASS NEGATIVE.",
    "VIDEO REQUESTED.",
    "C/V CAN IDENTIFY.",
    "NO FURTHER INFO.",
)
STATEMENTS = (
    "I DIDNT DO ANYTHING",
    "I WAS JUST WALKING",
    "THAT AINT MINE",
    "I WANT MY LAWYER",
    "I NEEDED THE MONEY",
    "SOMEBODY GAVE ME THAT",
    "I FOUND IT",
    "I WAS NOT THERE",
    "I WAS WITH MY GIRL",
    "YOU GOT THE WRONG GUY",
)
#: Hour-of-day weights (24) per KY: robbery evenings, burglary daytime, larceny afternoons.
HOURS = np.array(
    [
        [4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 6, 6, 6, 6, 5],
        [2, 2, 2, 2, 1, 1, 1, 2, 4, 6, 7, 7, 7, 7, 7, 6, 5, 4, 3, 3, 3, 3, 2, 2],
        [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 6, 5, 4, 3, 2, 1],
    ],
    dtype=float,
)


def names(vocab) -> tuple[str, ...]:
    """The values of a (value, weights) vocabulary."""
    return tuple(v for v, _ in vocab)


def weight_rows(vocab) -> np.ndarray:
    """(3, n) weights: one row per crime type."""
    return np.array([w for _, w in vocab], dtype=float).T
