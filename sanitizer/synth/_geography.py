"""New York City as the generator sees it: boroughs, real precincts, coordinate boxes.

The boxes are disjoint rectangles drawn inside each borough, so a point's borough can be
read back from its coordinates; precinct centroids are laid out inside the box with a
fixed generator (independent of the world's seed), so the map is the same for every
world and an arrest or complaint point always lies near its precinct.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BORO_CODES",
    "BORO_NAMES",
    "BOXES",
    "PRECINCTS",
    "PRECINCT_BORO",
    "PRECINCT_LAT",
    "PRECINCT_LON",
    "BORO_PRECINCT_INDEX",
    "points_near",
    "nearest_precinct",
    "random_precinct",
]

#: Arrest table codes and complaint table names, in the same order.
BORO_CODES = ("B", "K", "M", "Q", "S")
BORO_NAMES = ("BRONX", "BROOKLYN", "MANHATTAN", "QUEENS", "STATEN ISLAND")
#: (lat_min, lat_max, lon_min, lon_max) per borough, disjoint.
BOXES = np.array(
    [
        (40.805, 40.910, -73.925, -73.785),  # Bronx
        (40.575, 40.695, -74.035, -73.870),  # Brooklyn
        (40.700, 40.875, -74.020, -73.935),  # Manhattan
        (40.600, 40.790, -73.860, -73.710),  # Queens
        (40.505, 40.640, -74.245, -74.060),  # Staten Island
    ]
)
_PRECINCTS_BY_BORO = (
    (40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 52),
    (60, 61, 62, 63, 66, 67, 68, 69, 70, 71, 72, 73, 75, 76, 77, 78, 79, 81, 83, 84, 88, 90, 94),
    (1, 5, 6, 7, 9, 10, 13, 14, 17, 18, 19, 20, 22, 23, 24, 25, 26, 28, 30, 32, 33, 34),
    (100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115),
    (120, 121, 122, 123),
)
PRECINCTS = tuple(str(p) for ps in _PRECINCTS_BY_BORO for p in ps)
PRECINCT_BORO = np.array([b for b, ps in enumerate(_PRECINCTS_BY_BORO) for _ in ps])
#: Per borough, the indices into ``PRECINCTS`` of its precincts.
BORO_PRECINCT_INDEX = tuple(np.flatnonzero(PRECINCT_BORO == b) for b in range(len(BORO_CODES)))

_layout = np.random.default_rng(20160601)
_MARGIN = 0.12
_u = _layout.random((len(PRECINCTS), 2)) * (1 - 2 * _MARGIN) + _MARGIN
PRECINCT_LAT = BOXES[PRECINCT_BORO, 0] + _u[:, 0] * (
    BOXES[PRECINCT_BORO, 1] - BOXES[PRECINCT_BORO, 0]
)
PRECINCT_LON = BOXES[PRECINCT_BORO, 2] + _u[:, 1] * (
    BOXES[PRECINCT_BORO, 3] - BOXES[PRECINCT_BORO, 2]
)
del _layout, _u


def points_near(
    rng: np.random.Generator, boro: np.ndarray, lat: np.ndarray, lon: np.ndarray, spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian points around (lat, lon), kept inside the borough's box.

    Coordinates are rounded to six decimals (about 10 cm), as in NYC Open Data, so the
    CSV and Parquet forms print the same numbers.
    """
    spread = np.broadcast_to(np.asarray(spread, dtype=float), np.shape(lat))
    box = BOXES[boro]
    plat = np.clip(lat + rng.normal(0, 1, len(lat)) * spread, box[:, 0], box[:, 1])
    plon = np.clip(lon + rng.normal(0, 1, len(lon)) * spread * 1.3, box[:, 2], box[:, 3])
    return np.round(plat, 6), np.round(plon, 6)


def nearest_precinct(boro: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Index into ``PRECINCTS`` of the nearest precinct centroid in the point's borough."""
    out = np.empty(len(boro), dtype=np.int64)
    for b, members in enumerate(BORO_PRECINCT_INDEX):
        rows = np.flatnonzero(boro == b)
        if rows.size == 0:
            continue
        d = (lat[rows, None] - PRECINCT_LAT[members]) ** 2 + (
            (lon[rows, None] - PRECINCT_LON[members]) * 0.76
        ) ** 2
        out[rows] = members[np.argmin(d, axis=1)]
    return out


def random_precinct(rng: np.random.Generator, boro: np.ndarray) -> np.ndarray:
    """A uniformly drawn precinct of each row's borough (index into ``PRECINCTS``)."""
    sizes = np.array([len(m) for m in BORO_PRECINCT_INDEX])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    order = np.concatenate(BORO_PRECINCT_INDEX)
    k = (rng.random(len(boro)) * sizes[boro]).astype(np.int64)
    return order[offsets[boro] + k]
