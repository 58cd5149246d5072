"""Person history features as of a cutoff date, from clean arrests only.

A person's arrest history is sealed-derived data as soon as it counts a sealed arrest
(SEALING_RULES.md, "Data elements to treat as sealed-derived", B: prior-arrest counts, time
since last arrest, arrest-charge mix). So everything here reads the *clean* tables of
``sanitize`` and nothing else, and every row says which arrests it counted (its
provenance), so the lineage checks can hold each one against the registry.

The population is drawn from the same clean arrests: a person enters it only through a
non-excluded arrest before the cutoff. Someone whose every arrest is sealed is not a
"person with no priors"; they are not in the data at all, or sealing would still leave
a trace (their row, their zero counts) in the model.

Race and sex are never features. They are read (by :func:`person_groups`) only to group
people for the fairness metrics.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..sanitize import KeySets, Provenance
from ..tables import lookup, position_in

__all__ = [
    "LAW_CATEGORIES",
    "PersonHistoryFeatures",
    "person_groups",
    "history_population",
    "history_provenance",
    "rearrest_labels",
    "age_group",
    "MSG_MISSING_COLUMNS",
    "MSG_FORBIDDEN_FEATURE",
]

#: Law categories of NYPD arrest data, in the order their count columns appear.
LAW_CATEGORIES = {"F": "felony", "M": "misdemeanor", "V": "violation", "I": "infraction"}
#: Columns the transformer reads, per table (what ``feature_names_in_`` records).
ARREST_COLUMNS = ("ARREST_KEY", "PERSON_ID", "ARREST_DATE", "LAW_CAT_CD", "KY_CD")
PERSON_COLUMNS = ("PERSON_ID", "BIRTH_YEAR")
#: Never features: they only define fairness groups.
FORBIDDEN = frozenset({"RACE", "SEX", "PERP_RACE", "PERP_SEX"})

MSG_MISSING_COLUMNS = (
    "the {table} table lacks column(s) {missing}; PersonHistoryFeatures reads {expected} "
    "(pass the clean tables of sanitize())"
)
MSG_FORBIDDEN_FEATURE = (
    "feature name {name!r} is a protected attribute; race and sex are used only for "
    "fairness groups, never as features"
)


def _timestamp(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def _iso(value) -> str:
    return _timestamp(value).strftime("%Y-%m-%d")


def _check_columns(frame: pd.DataFrame, table: str, expected: tuple[str, ...]) -> None:
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise ValueError(
            MSG_MISSING_COLUMNS.format(table=table, missing=missing, expected=list(expected))
        )


def history_population(arrests: pd.DataFrame, cutoff) -> np.ndarray:
    """Persons with at least one (clean) arrest before ``cutoff``, sorted by PERSON_ID.

    Sorted so the row order depends on who is in the population, never on the order or
    number of rows that were removed upstream.
    """
    prior = arrests["ARREST_DATE"] < _timestamp(cutoff)
    return np.sort(arrests.loc[prior, "PERSON_ID"].unique().to_numpy(dtype=object))


def rearrest_labels(
    arrests: pd.DataFrame, person_ids, cutoff, horizon_years: int = 2
) -> tuple[np.ndarray, pd.DataFrame]:
    """1 for each person re-arrested in ``[cutoff, cutoff + horizon)``, else 0.

    Returns the labels aligned with ``person_ids`` and the arrests that decided them
    (every arrest in the window of a person in ``person_ids``): they belong in the rows'
    provenance, because a label that counted an arrest is derived from it.
    """
    start = _timestamp(cutoff)
    end = start + pd.DateOffset(years=horizon_years)
    dates = arrests["ARREST_DATE"]
    window = arrests[(dates >= start) & (dates < end)]
    codes = position_in(window["PERSON_ID"], pd.Series(person_ids, dtype="str"))
    counted = window[codes >= 0]
    y = np.zeros(len(person_ids), dtype=np.int64)
    y[codes[codes >= 0]] = 1
    return y, counted


def history_provenance(
    person_ids, prior_arrests: pd.DataFrame, label_arrests: pd.DataFrame | None = None
) -> Provenance:
    """Per row: the person, and every arrest its features (and label) counted."""
    person_ids = pd.Series(person_ids, dtype="str")
    used = prior_arrests if label_arrests is None else pd.concat([prior_arrests, label_arrests])
    rows = position_in(used["PERSON_ID"], person_ids)
    keep = rows >= 0
    return Provenance(
        len(person_ids),
        {
            "persons": KeySets.identity(person_ids.tolist()),
            "arrests": KeySets.from_pairs(
                rows[keep], used["ARREST_KEY"].to_numpy(dtype=object)[keep], len(person_ids)
            ),
        },
    )


class PersonHistoryFeatures(TransformerMixin, BaseEstimator):
    """Arrest-history features of each person as of a cutoff date.

    Input is a mapping with the clean ``arrests`` and ``persons`` tables (``Tables`` or a
    dict); output is one row per person of the population (anyone with a clean arrest
    before the cutoff), indexed by ``PERSON_ID`` and sorted by it.

    Features: prior arrests in total and by law category (F, M, V, I); arrests in the
    last 1, 3 and 5 years (``windows``); days since the last arrest; age at the cutoff
    (from ``BIRTH_YEAR``); and the offence mix, the share of prior arrests in each of the
    ``n_offence_codes`` most frequent offence codes (``KY_CD``) plus "other". The offence
    codes are the only fitted state: they are counted over the clean arrests before the
    cutoff, so a re-fit on clean data alone must reproduce them (the ``fitted_state``
    check).

    Parameters
    ----------
    cutoff : str or date, default="2023-06-01"
        Features count arrests strictly before this date. Pass an ISO string to keep the
        transformer fingerprintable.
    windows : tuple of int, default=(1, 3, 5)
        Look-back windows, in years, for the recent-arrest counts.
    n_offence_codes : int, default=8
        How many offence codes get their own share column.

    Attributes
    ----------
    cutoff_ : str
        The cutoff as ``YYYY-MM-DD``.
    offence_codes_ : ndarray of str
        The offence codes with a share column, most frequent first (ties by code).
    feature_names_in_ : ndarray of str
        The ``table.column`` inputs read, so serving can reject drift by name.
    n_features_in_ : int
        Number of input columns read.
    feature_names_out_ : ndarray of str
        Output feature names, in column order.
    """

    def __init__(self, cutoff="2023-06-01", windows=(1, 3, 5), n_offence_codes=8):
        self.cutoff = cutoff
        self.windows = windows
        self.n_offence_codes = n_offence_codes

    # --- fit / transform -------------------------------------------------------------
    def _validate(self, X: Mapping) -> tuple[pd.DataFrame, pd.DataFrame]:
        if not isinstance(X, Mapping) or "arrests" not in X or "persons" not in X:
            raise TypeError(
                "PersonHistoryFeatures expects a mapping with the clean 'arrests' and "
                f"'persons' tables (sanitize(raw, snapshot).tables), got {type(X).__name__}"
            )
        arrests, persons = X["arrests"], X["persons"]
        _check_columns(arrests, "arrests", ARREST_COLUMNS)
        _check_columns(persons, "persons", PERSON_COLUMNS)
        return arrests, persons

    def fit(self, X: Mapping, y=None):
        """Learn the offence codes of the mix features from clean arrests before the cutoff."""
        windows = tuple(int(w) for w in self.windows)
        if not windows or min(windows) <= 0:
            raise ValueError(f"windows must be positive numbers of years, got {self.windows!r}")
        if int(self.n_offence_codes) < 0:
            raise ValueError(f"n_offence_codes must be >= 0, got {self.n_offence_codes!r}")
        arrests, _ = self._validate(X)
        self.cutoff_ = _iso(self.cutoff)
        prior = arrests[arrests["ARREST_DATE"] < _timestamp(self.cutoff_)]
        counts = prior["KY_CD"].value_counts()
        table = pd.DataFrame({"code": counts.index.astype(str), "n": counts.to_numpy()})
        table = table.sort_values(["n", "code"], ascending=[False, True], kind="stable")
        self.offence_codes_ = table["code"].head(int(self.n_offence_codes)).to_numpy(dtype=object)
        self.feature_names_in_ = np.array(
            [f"arrests.{c}" for c in ARREST_COLUMNS] + [f"persons.{c}" for c in PERSON_COLUMNS],
            dtype=object,
        )
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_names_out_ = np.array(self._names(windows), dtype=object)
        return self

    def _names(self, windows) -> list[str]:
        names = ["prior_arrests"]
        names += [f"prior_{LAW_CATEGORIES[c]}" for c in LAW_CATEGORIES]
        names += [f"arrests_last_{w}y" for w in windows]
        names += ["days_since_last_arrest", "age_at_cutoff"]
        names += [f"share_ky_{code}" for code in self.offence_codes_] + ["share_ky_other"]
        for name in names:
            if name.upper() in FORBIDDEN:
                raise ValueError(MSG_FORBIDDEN_FEATURE.format(name=name))
        return names

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The output column names."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()

    def transform(self, X: Mapping, *, as_of=None) -> pd.DataFrame:
        """Features of the population as of the cutoff (or ``as_of``, for scoring later).

        ``as_of`` moves the date the history is read at (serving scores people today with
        the model trained at an earlier cutoff); the fitted offence codes stay.
        """
        check_is_fitted(self)
        arrests, persons = self._validate(X)
        cutoff = _timestamp(self.cutoff_ if as_of is None else as_of)
        population = history_population(arrests, cutoff)
        prior = arrests[arrests["ARREST_DATE"] < cutoff]
        rows = position_in(prior["PERSON_ID"], pd.Series(population, dtype="str"))
        n = len(population)

        def count(mask=None) -> np.ndarray:
            weights = None if mask is None else np.asarray(mask, dtype=float)
            return np.bincount(rows, weights=weights, minlength=n).astype(float)

        law = prior["LAW_CAT_CD"].to_numpy(dtype=object)
        dates = prior["ARREST_DATE"]
        total = count()
        columns = {"prior_arrests": total}
        for code, name in LAW_CATEGORIES.items():
            columns[f"prior_{name}"] = count(law == code)
        for years in self.windows:
            since = cutoff - pd.DateOffset(years=int(years))
            columns[f"arrests_last_{int(years)}y"] = count((dates >= since).to_numpy())
        days = ((cutoff - dates).dt.days).to_numpy(dtype=float)
        last = np.full(n, np.inf)
        np.minimum.at(last, rows, days)
        columns["days_since_last_arrest"] = last
        birth = lookup(
            pd.Series(population, dtype="str"), persons["PERSON_ID"], persons["BIRTH_YEAR"]
        )
        columns["age_at_cutoff"] = cutoff.year - birth.astype("Float64").to_numpy(
            dtype=float, na_value=np.nan
        )
        codes = prior["KY_CD"].to_numpy(dtype=object)
        listed = np.zeros(len(prior), dtype=bool)
        for code in self.offence_codes_:
            hit = codes == code
            listed |= hit
            columns[f"share_ky_{code}"] = count(hit) / total
        columns["share_ky_other"] = count(~listed) / total
        frame = pd.DataFrame(columns, index=pd.Index(population, name="PERSON_ID", dtype="str"))
        return frame[list(self.feature_names_out_)].astype(float)


#: Age groups of the contract (AGE_GROUP), as lower bounds of age at the cutoff.
_AGE_BINS = ((18, "<18"), (25, "18-24"), (45, "25-44"), (65, "45-64"))


def age_group(ages) -> np.ndarray:
    """The contract's AGE_GROUP label of each age (NaN -> UNKNOWN)."""
    ages = np.asarray(ages, dtype=float)
    out = np.full(len(ages), "65+", dtype=object)
    for upper, label in reversed(_AGE_BINS):
        out[ages < upper] = label
    out[np.isnan(ages)] = "UNKNOWN"
    return out


def person_groups(tables: Mapping, person_ids, cutoff) -> pd.DataFrame:
    """Fairness groups of each person: race, sex, age group at the cutoff, borough.

    The borough is that of the person's last clean arrest before the cutoff. These
    columns are for grouping only: nothing here may become a feature.
    """
    ids = pd.Series(person_ids, dtype="str")
    persons, arrests = tables["persons"], tables["arrests"]
    cutoff = _timestamp(cutoff)
    birth = lookup(ids, persons["PERSON_ID"], persons["BIRTH_YEAR"]).astype("Float64")
    ages = cutoff.year - birth.to_numpy(dtype=float, na_value=np.nan)
    prior = arrests[arrests["ARREST_DATE"] < cutoff].sort_values(
        ["PERSON_ID", "ARREST_DATE", "ARREST_KEY"], kind="stable"
    )
    last = prior.drop_duplicates("PERSON_ID", keep="last")
    return pd.DataFrame(
        {
            "PERSON_ID": ids.to_numpy(dtype=object),
            "race": lookup(ids, persons["PERSON_ID"], persons["RACE"]).fillna("UNKNOWN"),
            "sex": lookup(ids, persons["PERSON_ID"], persons["SEX"]).fillna("U"),
            "age_group": age_group(ages),
            "borough": lookup(ids, last["PERSON_ID"], last["ARREST_BORO"]).fillna("UNKNOWN"),
        }
    ).astype("str")
