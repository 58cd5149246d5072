"""Pairwise similarity of two complaints, in Patternizr's five families.

Patternizr (Chohlas-Wood & Levine 2019) scores a *pair* of complaints with the probability
that one offender (or crew) committed both. Its random forest reads pairwise similarities,
never the raw descriptions, in five families:

``location``
    ``distance_m`` between the two places, and ``density_distance``: how many complaints of
    the type one would expect within that distance given how busy the area is (a 300 m
    gap means more in Staten Island than in Midtown). The density is learned in ``fit``
    as counts on a square grid.
``date and time``
    ``days_apart`` (start to start), ``window_gap_days`` (between the FR/TO windows, 0
    when they overlap), ``window_overlap`` (share of the narrower window that the other covers;
    a complaint without a TO time is a point, covered when inside the other window),
    ``time_of_day_gap_h`` (circular, 0-12) and ``day_of_week_gap`` (circular, 0-3).
``categorical modus operandi``
    One ``*_match`` per MO column: the rarity ``-log p`` of the shared value when both
    complaints have the same one (sharing a rare premise type says more than sharing
    "STREET"), 0 when they differ, NaN when either is missing; plus
    ``property_item_overlap``, a rarity-weighted Jaccard overlap of the items taken.
``suspect description``
    Gaps in the *victim-reported* height, weight, age group (ordinal steps) and number of
    suspects. Suspect race and sex are never read, nor precinct (``ADDR_PCT_CD``) or
    borough: Patternizr hid them so that the model could not link crimes by race or by
    administrative boundary, and this class cannot read them because it selects the
    columns it uses by name (:data:`PAIR_INPUT_COLUMNS`).
``narrative``
    ``narrative_cosine``: cosine similarity of TF-IDF vectors of the narratives.

Only complaint fields are read, never ``complaint_arrests``: arrestee descriptions and
statements are sealed-derived when their arrest is sealed (SEALING_RULES.md, A.6), and a
complaint pair must score the same whatever became of any arrest.

Everything fitted (vocabulary and IDF, MO value frequencies, property-item weights, the
density grid) is learned in :meth:`PairFeaturizer.fit` from the complaints it is given,
which the pipeline guarantees are sanitized ones. Pair features are fully vectorised: a
complaint table is encoded once (:meth:`PairFeaturizer.encode`, O(complaints)), then any
number of pairs are gathered from the encoded arrays (:meth:`PairFeaturizer.pair_features`,
O(pairs), a few dozen numpy passes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from ..tables import arrow_strings, position_in, time_seconds

__all__ = [
    "EncodedComplaints",
    "FAMILIES",
    "FORBIDDEN_COLUMNS",
    "MO_COLUMNS",
    "PAIR_INPUT_COLUMNS",
    "PairFeaturizer",
]

#: Modus-operandi columns compared by rarity-weighted match (PD_CD: the offence subtype).
MO_COLUMNS = ("PREM_TYP_DESC", "METHOD_OF_ENTRY", "FORCE_USED", "WEAPON", "PROPERTY_TAKEN", "PD_CD")
#: Columns the featurizer must never read (Patternizr hid them; see the module docstring).
FORBIDDEN_COLUMNS = ("SUSP_RACE", "SUSP_SEX", "ADDR_PCT_CD", "BORO_NM")
#: The only complaint columns read, by name.
PAIR_INPUT_COLUMNS = (
    "CMPLNT_NUM",
    "CMPLNT_FR_DT",
    "CMPLNT_FR_TM",
    "CMPLNT_TO_DT",
    "CMPLNT_TO_TM",
    "Latitude",
    "Longitude",
    *MO_COLUMNS,
    "SUSP_AGE_GROUP",
    "SUSP_HEIGHT_IN",
    "SUSP_WEIGHT_LB",
    "SUSP_COUNT",
    "NARRATIVE",
)
#: Ordinal positions of the suspect age groups (UNKNOWN and null are missing).
AGE_ORDER = {"<18": 0, "18-24": 1, "25-44": 2, "45-64": 3, "65+": 4}
#: A fixed origin for the local metric projection (Manhattan), so it never depends on data.
_LAT0, _LON0 = 40.7128, -74.0060
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(_LAT0))
_DAY = 86_400.0

MSG_MISSING_COLUMNS = (
    "complaints lack column(s) {missing}; PairFeaturizer needs {needed} (the contract's "
    "complaint columns)"
)
MSG_FORBIDDEN = "{column} must never be a pair feature input (Patternizr hid it)"


def _location_names():
    return ["distance_m", "density_distance"]


def _time_names():
    return [
        "days_apart",
        "window_gap_days",
        "window_overlap",
        "time_of_day_gap_h",
        "day_of_week_gap",
    ]


def _mo_names(columns):
    return [f"{c.lower()}_match" for c in columns] + ["property_item_overlap"]


def _suspect_names():
    return ["susp_height_gap", "susp_weight_gap", "susp_age_gap", "susp_count_gap"]


#: Family name -> feature names (for explanations; MO names use the default columns).
FAMILIES = {
    "location": tuple(_location_names()),
    "date_time": tuple(_time_names()),
    "modus_operandi": tuple(_mo_names(MO_COLUMNS)),
    "suspect": tuple(_suspect_names()),
    "narrative": ("narrative_cosine",),
}


@dataclass(frozen=True, eq=False)
class EncodedComplaints:
    """A complaint table turned into per-complaint arrays, ready for pair gathers.

    Produced by :meth:`PairFeaturizer.encode`; every array has one entry per complaint,
    in the order of the table that was encoded.
    """

    keys: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    density: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    tod_h: np.ndarray
    dow: np.ndarray
    mo_codes: tuple[np.ndarray, ...]
    mo_weights: tuple[np.ndarray, ...]
    property_bytes: np.ndarray
    height: np.ndarray
    weight: np.ndarray
    age: np.ndarray
    count: np.ndarray
    text: sparse.csr_matrix

    def __len__(self) -> int:
        return len(self.keys)


def _text(values: pd.Series) -> list[str]:
    return values.fillna("").astype(str).tolist()


def _categories(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct non-null values and their counts (Arrow kernels, no Python loop)."""
    array = arrow_strings(values)
    counts = pc.value_counts(array.drop_null())
    if isinstance(counts, pa.ChunkedArray):
        counts = counts.combine_chunks()
    if not len(counts):
        return np.array([], dtype=object), np.zeros(0, np.int64)
    found = counts.field("values").to_numpy(zero_copy_only=False).astype(object)
    n = counts.field("counts").to_numpy().astype(np.int64)
    order = np.argsort(found.astype(str), kind="stable")
    return found[order], n[order]


def _property_items(values) -> pa.ListArray:
    array = arrow_strings(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.split_pattern_regex(pc.utf8_trim_whitespace(array), r"\s*,\s*")


def _grid_cells(x_m: np.ndarray, y_m: np.ndarray, cell_m: float) -> np.ndarray:
    gx = np.floor(x_m / cell_m).astype(np.int64)
    gy = np.floor(y_m / cell_m).astype(np.int64)
    return gx * 1_000_003 + gy


def _project(complaints: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lat = complaints["Latitude"].to_numpy(dtype=np.float64, na_value=np.nan)
    lon = complaints["Longitude"].to_numpy(dtype=np.float64, na_value=np.nan)
    return (lon - _LON0) * _M_PER_DEG_LON, (lat - _LAT0) * _M_PER_DEG_LAT


class PairFeaturizer(BaseEstimator):
    """Patternizr-style pair features, fitted on sanitized complaints of one crime type.

    Parameters
    ----------
    mo_columns : tuple of str, default MO_COLUMNS
        Categorical MO columns compared by rarity-weighted match.
    cell_m : float, default 500.0
        Side of the density grid's square cells, in metres; the density around a
        complaint is the count in its cell and the eight neighbouring ones.
    max_property_items : int, default 64
        The most frequent property items kept for ``property_item_overlap`` (rarer ones
        are ignored there; the whole ``PROPERTY_TAKEN`` value still counts in its match).
    ngram_range : tuple, default (1, 2)
        TF-IDF n-grams of the narrative.
    min_df : int, default 2
        TF-IDF minimum document frequency: a term seen in one narrative identifies that
        complaint rather than a way of committing crimes.

    Attributes
    ----------
    n_complaints_ : int
        Complaints seen in ``fit``.
    tfidf_ : TfidfVectorizer
        Vocabulary and IDF weights fitted on the narratives.
    mo_values_ : dict of str to ndarray
        Sorted distinct values of each MO column.
    mo_rarity_ : dict of str to ndarray
        ``-log p`` of each value (add-one smoothed), aligned with ``mo_values_``.
    property_items_ : ndarray
        The property items kept, most frequent first.
    property_rarity_ : ndarray
        ``-log p`` of each kept item.
    grid_cells_ : ndarray
        Sorted ids of the occupied density-grid cells.
    grid_counts_ : ndarray
        Complaints per occupied cell.
    feature_names_out_ : ndarray
        Names of the pair features, in output order.
    """

    def __init__(
        self,
        mo_columns=MO_COLUMNS,
        cell_m: float = 500.0,
        max_property_items: int = 64,
        ngram_range=(1, 2),
        min_df: int = 2,
    ):
        self.mo_columns = mo_columns
        self.cell_m = cell_m
        self.max_property_items = max_property_items
        self.ngram_range = ngram_range
        self.min_df = min_df

    # -- validation ------------------------------------------------------------------------
    def _needed(self) -> list[str]:
        needed = [c for c in PAIR_INPUT_COLUMNS if c not in MO_COLUMNS]
        return needed[:7] + list(self.mo_columns) + needed[7:]

    def _select(self, complaints: pd.DataFrame) -> pd.DataFrame:
        """The columns this class reads, and nothing else (race, sex, precinct never)."""
        bad = sorted(set(self.mo_columns) & set(FORBIDDEN_COLUMNS))
        if bad:
            raise ValueError(MSG_FORBIDDEN.format(column=bad[0]))
        needed = self._needed()
        missing = [c for c in needed if c not in complaints.columns]
        if missing:
            raise ValueError(MSG_MISSING_COLUMNS.format(missing=missing, needed=needed))
        return complaints[needed]

    # -- fit -----------------------------------------------------------------------------
    def fit(self, complaints: pd.DataFrame, y=None) -> PairFeaturizer:
        """Learn the text vocabulary, MO rarities and location density from ``complaints``.

        Parameters
        ----------
        complaints : DataFrame
            Sanitized complaints of one crime type (the contract's columns). Their order
            does not matter: every fitted attribute is order-free.
        y : ignored
            For scikit-learn compatibility.

        Returns
        -------
        self
        """
        data = self._select(complaints)
        self.n_complaints_ = int(len(data))
        n = max(self.n_complaints_, 1)
        self.tfidf_ = TfidfVectorizer(
            ngram_range=tuple(self.ngram_range),
            min_df=min(self.min_df, n),
            dtype=np.float32,
            lowercase=True,
        )
        narratives = _text(data["NARRATIVE"])
        if any(narratives):
            self.tfidf_.fit(narratives)
        else:  # an empty vocabulary is legitimate for an empty or silent type
            self.tfidf_.set_params(min_df=1).fit(["__empty__"])
        self.mo_values_, self.mo_rarity_ = {}, {}
        for column in self.mo_columns:
            values, counts = _categories(data[column])
            self.mo_values_[column] = values
            self.mo_rarity_[column] = -np.log((counts + 1.0) / (n + 1.0))
        items, counts = _categories(pc.list_flatten(_property_items(data["PROPERTY_TAKEN"])))
        order = np.lexsort((items.astype(str), -counts))[: self.max_property_items]
        self.property_items_ = items[order]
        self.property_rarity_ = -np.log((counts[order] + 1.0) / (n + 1.0))
        x_m, y_m = _project(data)
        ok = np.isfinite(x_m) & np.isfinite(y_m)
        cells, counts = np.unique(_grid_cells(x_m[ok], y_m[ok], self.cell_m), return_counts=True)
        self.grid_cells_ = cells
        self.grid_counts_ = counts.astype(np.int64)
        self.feature_names_out_ = np.array(
            _location_names()
            + _time_names()
            + _mo_names(self.mo_columns)
            + _suspect_names()
            + ["narrative_cosine"],
            dtype=object,
        )
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the pair features, in the order :meth:`transform` returns them."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()

    # -- encode --------------------------------------------------------------------------
    def _density(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Complaints per square metre around each point (3 x 3 cells), from the fit."""
        ok = np.isfinite(x_m) & np.isfinite(y_m)
        gx = np.floor(np.where(ok, x_m, 0.0) / self.cell_m).astype(np.int64)
        gy = np.floor(np.where(ok, y_m, 0.0) / self.cell_m).astype(np.int64)
        total = np.zeros(len(x_m), np.float64)
        cells, counts = self.grid_cells_, self.grid_counts_
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                wanted = (gx + dx) * 1_000_003 + (gy + dy)
                at = np.searchsorted(cells, wanted)
                at = np.minimum(at, max(len(cells) - 1, 0))
                if len(cells):
                    total += np.where(cells[at] == wanted, counts[at], 0)
        density = total / (9.0 * self.cell_m**2)
        return np.where(ok, density, np.nan)

    def encode(self, complaints: pd.DataFrame) -> EncodedComplaints:
        """Per-complaint arrays for pair gathers (O(complaints), done once per table).

        Parameters
        ----------
        complaints : DataFrame
            Any complaints (training history, a query, candidates); only the columns in
            :data:`PAIR_INPUT_COLUMNS` are read.

        Returns
        -------
        EncodedComplaints
        """
        check_is_fitted(self)
        data = self._select(complaints)
        x_m, y_m = _project(data)
        start_day = data["CMPLNT_FR_DT"].to_numpy("datetime64[s]").astype(np.int64)
        start_tod = time_seconds(data["CMPLNT_FR_TM"]).astype(np.float64)
        start = start_day + start_tod
        has_end = data["CMPLNT_TO_DT"].notna().to_numpy()
        end_day = data["CMPLNT_TO_DT"].to_numpy("datetime64[s]").astype(np.int64)
        end = np.where(has_end, end_day + time_seconds(data["CMPLNT_TO_TM"]), start)
        end = np.maximum(end, start)
        tod = np.where(data["CMPLNT_FR_TM"].notna().to_numpy(), start_tod / 3600.0, np.nan)
        # 1970-01-01 was a Thursday; weekday 0 = Monday
        dow = ((start_day // 86_400) + 3) % 7
        codes, weights = [], []
        for column in self.mo_columns:
            values = arrow_strings(data[column])
            code = position_in(values, self.mo_values_[column].astype(str))
            # values the fit never saw: codes from a stable hash of the value, so that a
            # query and a history encoded separately agree (equal values still match each
            # other, different ones never do), with the rarity of a value seen once
            unseen = (code < 0) & data[column].notna().to_numpy()
            if unseen.any():
                raw = data[column].to_numpy(dtype=object)[unseen].astype(str)
                hashed = pd.util.hash_array(raw.astype(object)) & np.uint64(0x3FFFFFFF)
                code[unseen] = len(self.mo_values_[column]) + hashed.astype(np.int64)
            rarity = self.mo_rarity_[column]
            unseen_rarity = np.log(self.n_complaints_ + 1.0)
            weight = np.where(code >= 0, unseen_rarity, np.nan)
            known = (code >= 0) & (code < len(rarity))
            weight[known] = rarity[code[known]]
            codes.append(code.astype(np.int32))
            weights.append(weight.astype(np.float32))
        property_bytes = self._property_bytes(data["PROPERTY_TAKEN"])
        age = data["SUSP_AGE_GROUP"].to_numpy(dtype=object, na_value=None)
        age_code = position_in(age, list(AGE_ORDER))
        text = self.tfidf_.transform(_text(data["NARRATIVE"])).tocsr()
        return EncodedComplaints(
            keys=data["CMPLNT_NUM"].to_numpy(dtype=object),
            x_m=x_m.astype(np.float32),
            y_m=y_m.astype(np.float32),
            density=self._density(x_m, y_m).astype(np.float32),
            start_s=start.astype(np.float64),
            end_s=end.astype(np.float64),
            tod_h=tod.astype(np.float32),
            dow=dow.astype(np.int8),
            mo_codes=tuple(codes),
            mo_weights=tuple(weights),
            property_bytes=property_bytes,
            height=data["SUSP_HEIGHT_IN"].to_numpy(np.float32, na_value=np.nan),
            weight=data["SUSP_WEIGHT_LB"].to_numpy(np.float32, na_value=np.nan),
            age=np.where(age_code >= 0, age_code, np.nan).astype(np.float32),
            count=pd.to_numeric(data["SUSP_COUNT"]).to_numpy(np.float32, na_value=np.nan),
            text=text,
        )

    def _property_bytes(self, values: pd.Series) -> np.ndarray:
        """Each complaint's kept items as a bit set, split into bytes (n, n_bytes)."""
        n_bytes = max(1, -(-len(self.property_items_) // 8))
        lists = _property_items(values)
        flat = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        bit = position_in(flat, self.property_items_.astype(str))
        keep = bit >= 0
        out = np.zeros((len(values), n_bytes), np.uint8)
        np.bitwise_or.at(
            out,
            (parents[keep], bit[keep] // 8),
            (np.uint8(1) << (bit[keep] % 8).astype(np.uint8)).astype(np.uint8),
        )
        return out

    def _byte_weights(self) -> np.ndarray:
        """Table (n_bytes, 256): summed item rarity of every byte value."""
        n_bytes = max(1, -(-len(self.property_items_) // 8))
        rarity = np.zeros(n_bytes * 8)
        rarity[: len(self.property_rarity_)] = self.property_rarity_
        bits = (np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1
        return np.stack([bits @ rarity[8 * b : 8 * b + 8] for b in range(n_bytes)]).astype(
            np.float32
        )

    # -- pair features ---------------------------------------------------------------------
    def pair_features(
        self,
        encoded: EncodedComplaints,
        left: np.ndarray,
        right: np.ndarray,
        text: bool = True,
        right_encoded: EncodedComplaints | None = None,
    ) -> pd.DataFrame:
        """Pair features of ``(left[i], right[i])``, positions into ``encoded``.

        Parameters
        ----------
        encoded : EncodedComplaints
            From :meth:`encode`.
        left, right : array of int
            Positions of each pair's two complaints.
        text : bool, default True
            Compute ``narrative_cosine`` (sparse products, the slowest family); when False
            it is left out, for timing the other four families.
        right_encoded : EncodedComplaints, optional
            Encoded table the ``right`` positions index (a query against a history);
            defaults to ``encoded``.

        Returns
        -------
        DataFrame
            One float32 column per feature, in ``feature_names_out_`` order.
        """
        check_is_fitted(self)
        a = encoded
        b = encoded if right_encoded is None else right_encoded
        li = np.asarray(left, dtype=np.intp)
        ri = np.asarray(right, dtype=np.intp)
        out: dict[str, np.ndarray] = {}
        f32 = np.float32

        # location
        dx = a.x_m[li] - b.x_m[ri]
        dy = a.y_m[li] - b.y_m[ri]
        distance = np.sqrt(dx * dx + dy * dy)
        out["distance_m"] = distance
        density = (a.density[li] + b.density[ri]) * f32(0.5)
        out["density_distance"] = np.log1p(density * f32(np.pi) * distance * distance)

        # date and time
        s1, s2, e1, e2 = a.start_s[li], b.start_s[ri], a.end_s[li], b.end_s[ri]
        out["days_apart"] = (np.abs(s1 - s2) / _DAY).astype(f32)
        overlap = np.minimum(e1, e2) - np.maximum(s1, s2)
        out["window_gap_days"] = (np.maximum(-overlap, 0.0) / _DAY).astype(f32)
        shorter = np.minimum(e1 - s1, e2 - s2)
        covered = np.divide(
            np.maximum(overlap, 0.0), shorter, out=np.zeros(len(li)), where=shorter > 0
        )
        # a point in time (no TO) is covered when it lies inside the other window
        out["window_overlap"] = np.where(shorter > 0, covered, overlap >= 0).astype(f32)
        tod = np.abs(a.tod_h[li] - b.tod_h[ri])
        out["time_of_day_gap_h"] = np.minimum(tod, f32(24.0) - tod)
        dow = np.abs(a.dow[li] - b.dow[ri])
        out["day_of_week_gap"] = np.minimum(dow, 7 - dow).astype(f32)

        # categorical modus operandi
        for column, c1, c2, w in zip(
            self.mo_columns, a.mo_codes, b.mo_codes, a.mo_weights, strict=True
        ):
            x, y = c1[li], c2[ri]
            match = np.where(x == y, w[li], f32(0.0))
            out[f"{column.lower()}_match"] = np.where((x < 0) | (y < 0), f32(np.nan), match)
        table = self._byte_weights()
        p1, p2 = a.property_bytes[li], b.property_bytes[ri]
        shared = np.zeros(len(li), f32)
        either = np.zeros(len(li), f32)
        for byte in range(table.shape[0]):
            shared += table[byte][p1[:, byte] & p2[:, byte]]
            either += table[byte][p1[:, byte] | p2[:, byte]]
        out["property_item_overlap"] = np.divide(
            shared, either, out=np.full(len(li), np.nan, f32), where=either > 0
        )

        # suspect description (victim-reported; never race, sex, precinct)
        out["susp_height_gap"] = np.abs(a.height[li] - b.height[ri])
        out["susp_weight_gap"] = np.abs(a.weight[li] - b.weight[ri])
        out["susp_age_gap"] = np.abs(a.age[li] - b.age[ri])
        out["susp_count_gap"] = np.abs(a.count[li] - b.count[ri])

        if text:
            out["narrative_cosine"] = _row_dots(a.text, li, b.text, ri)
        names = [n for n in self.feature_names_out_ if n in out]
        return pd.DataFrame({n: np.asarray(out[n], dtype=f32) for n in names})

    def transform(self, complaints: pd.DataFrame, left_idx, right_idx) -> pd.DataFrame:
        """Pair features of complaints ``left_idx[i]`` and ``right_idx[i]`` (positions).

        Parameters
        ----------
        complaints : DataFrame
            The complaints the positions index.
        left_idx, right_idx : array of int
            Positional indices of each pair's two complaints.

        Returns
        -------
        DataFrame
            One float32 column per feature (:meth:`get_feature_names_out`).
        """
        return self.pair_features(self.encode(complaints), left_idx, right_idx)


def _row_dots(
    m1: sparse.csr_matrix, rows1: np.ndarray, m2: sparse.csr_matrix, rows2: np.ndarray
) -> np.ndarray:
    """Row-wise dot products ``m1[rows1[i]] . m2[rows2[i]]`` (cosine of L2-normed rows)."""
    if not len(rows1):
        return np.zeros(0, np.float32)
    product = m1[rows1].multiply(m2[rows2])
    return np.asarray(product.sum(axis=1)).ravel().astype(np.float32)
