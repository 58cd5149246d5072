"""What each kind of model answers, computed from clean tables only.

A service never sees raw data: the guard hands it a :class:`~sanitizer.serve._guard.Current`
whose ``clean`` tables were sanitized against the registry of the moment, and it reads
those. The raw tables are consulted for one thing only, counting what was withheld for
the audit entry; nothing computed from them reaches an answer.

``patternizr``
    Per query complaint, the top ``k`` of the type's history (:class:`HistoryIndex`):
    ``query, rank, CMPLNT_NUM, score, sim_<family>..., distance_m, days_apart,
    narrative_cosine`` and ``pattern_ids``, the candidate's patterns among *clean*
    memberships (a membership an excluded arrest established is gone, and so is a
    pattern it left with one member).
``recidivism``
    Per ``PERSON_ID`` (and optional ``AS_OF``), ``risk`` and ``recidivist`` from clean
    arrests only, and the certified decision ``high_risk`` (``risk >= risk_threshold``,
    the threshold fitted into the model's weights: the decision its fairness and quality
    gates judged). A person with no clean arrest before the date gets the no-history
    answer (``risk`` null, ``recidivist`` and ``high_risk`` false), the same whether they
    have sealed arrests, none, or are unknown, so the answer cannot reveal a sealed record.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..tables import isin, make_frame, position_in
from ..train import HistoryIndex, RecidivismScorer, pattern_members
from ._guard import Current, InferenceBadInput, InferenceRefused

__all__ = ["PatternService", "RecidivismService", "make_service"]

MSG_UNKNOWN_COMPLAINT = (
    "complaint(s) {keys} are not in the data folder; send the complaint's columns "
    "({columns}) instead of CMPLNT_NUM alone"
)
MSG_WRONG_TYPE = "complaint(s) {keys} have KY_CD {got}; this model ranks KY_CD {ky_cd} complaints"
MSG_BAD_VALUES = "request column values cannot be read as complaint columns: {error}"
MSG_BAD_AS_OF = "AS_OF value(s) {values} are not dates YYYY-MM-DD"
MSG_BAD_PERSON = "PERSON_ID must be given on every row; row(s) {rows} are empty"
MSG_THRESHOLD_MISMATCH = (
    "the model config says risk_threshold={config} but the weights hold threshold_={weights}; "
    "the folder was edited after packaging: refusing to serve a decision nobody certified"
)


class PatternService:
    """Rank a crime type's clean history for query complaints.

    Parameters
    ----------
    featurizer : PairFeaturizer
    model : fitted classifier (forest or sharded forest)
    config : mapping
        ``ky_cd``, ``k`` (10), ``history_days`` (1095), ``block_m`` (None).
    """

    kind = "patternizr"

    def __init__(self, featurizer, model, config):
        self.featurizer = featurizer
        self.model = model
        self.ky_cd = str(config["ky_cd"])
        self.k = int(config.get("k") or 10)
        self.history_days = float(config.get("history_days") or 1095)
        block = config.get("block_m")
        self.block_m = float(block) if block not in (None, "") else None
        self.columns = list(config.get("input_columns", []))

    def prepare(self, current: Current) -> dict:
        """The history index, clean pattern ids and withheld-membership counts."""
        clean = current.clean.tables
        complaints, members = pattern_members(clean, self.ky_cd)
        ids = members.groupby("CMPLNT_NUM", sort=True)["PATTERN_ID"].agg(
            lambda s: ",".join(sorted(s.astype(str)))
        )
        removed = current.clean.removed
        gone = removed.loc[(removed["item_type"] == "pattern_membership").to_numpy(), "key"]
        gone_complaints = gone.str.split("/", n=1).str[1]
        withheld = gone_complaints.value_counts()
        return {
            "index": HistoryIndex(self.featurizer, complaints),
            "complaints": clean["complaints"],
            "pattern_keys": pd.Series(ids.index, dtype="str"),
            "pattern_ids": pd.Series(ids.to_numpy(), dtype="str"),
            "withheld_keys": pd.Series(withheld.index, dtype="str"),
            "withheld_counts": withheld.to_numpy(dtype=np.int64),
        }

    def _queries(self, state: dict, frame: pd.DataFrame) -> pd.DataFrame:
        keys = frame["CMPLNT_NUM"].astype("str")
        if set(frame.columns) <= {"CMPLNT_NUM", "KY_CD"}:
            known = state["complaints"]
            at = position_in(keys, known["CMPLNT_NUM"])
            if (at < 0).any():
                missing = keys[at < 0].head(10).tolist()
                raise InferenceBadInput(
                    MSG_UNKNOWN_COMPLAINT.format(keys=missing, columns=", ".join(self.columns))
                )
            queries = known.iloc[at].reset_index(drop=True)
        else:
            try:
                queries = make_frame("complaints", frame.reset_index(drop=True))
            except (ValueError, TypeError, KeyError) as error:
                raise InferenceBadInput(MSG_BAD_VALUES.format(error=error)) from None
        ky = queries["KY_CD"].astype("str")
        wrong = queries["KY_CD"].notna().to_numpy() & (ky != self.ky_cd).to_numpy()
        if wrong.any():
            raise InferenceBadInput(
                MSG_WRONG_TYPE.format(
                    keys=queries.loc[wrong, "CMPLNT_NUM"].head(10).tolist(),
                    got=sorted(set(ky[wrong])),
                    ky_cd=self.ky_cd,
                )
            )
        return queries

    def predict(self, state: dict, frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
        """The top ``k`` candidates of each query complaint, with clean pattern ids."""
        queries = self._queries(state, frame)
        out = state["index"].query_many(
            self.model, queries, self.k, self.history_days, self.block_m
        )
        at = position_in(out["CMPLNT_NUM"], state["pattern_keys"])
        ids = state["pattern_ids"].to_numpy(dtype=object)
        out["pattern_ids"] = pd.Series(
            np.where(at >= 0, ids[np.maximum(at, 0)] if len(ids) else "", ""), dtype="str"
        )
        return out.reset_index(drop=True)

    def withheld(self, state: dict, frame: pd.DataFrame, out: pd.DataFrame) -> int:
        """Memberships of the returned candidates that sanitizing removed (for the audit)."""
        w = position_in(out["CMPLNT_NUM"], state["withheld_keys"])
        counts = state["withheld_counts"]
        return int(counts[w[w >= 0]].sum()) if len(counts) else 0


class RecidivismService:
    """Score persons from their clean arrests (see the module docstring).

    Parameters
    ----------
    features : PersonHistoryFeatures
    classifier : fitted classifier
    config : mapping
        ``min_arrests``, ``window_years``, and ``risk_threshold`` when the classifier has
        a fitted threshold (it must equal the classifier's ``threshold_``).
    """

    kind = "recidivism"
    #: :meth:`withheld` reads the request only, so the guard counts while the model scores.
    withheld_from_request = True

    def __init__(self, features, classifier, config):
        self.scorer = RecidivismScorer(
            features=features,
            classifier=classifier,
            min_arrests=int(config.get("min_arrests", 3)),
            window_years=int(config.get("window_years", 2)),
        )
        self.threshold = self.scorer.threshold
        stated = config.get("risk_threshold")
        if stated is not None or self.threshold is not None:
            same = stated is not None and self.threshold is not None
            if not same or float(stated) != self.threshold:
                raise InferenceRefused(
                    MSG_THRESHOLD_MISMATCH.format(config=stated, weights=self.threshold)
                )

    def prepare(self, current: Current) -> dict:
        """Clean arrests and persons, and whose arrests were excluded (for the audit)."""
        raw_arrests = current.raw["arrests"]
        clean = current.clean.tables
        excluded = ~isin(raw_arrests["ARREST_KEY"], clean["arrests"]["ARREST_KEY"])
        # excluded arrests per person: a request probes each person once, not each
        # excluded arrest (4.2 million at nyc: 70-110 ms a request, against 1.5 million
        # persons); Arrow's probe releases the GIL, so it overlaps the scoring
        counts = raw_arrests.loc[excluded, "PERSON_ID"].value_counts()
        return {
            "arrests": clean["arrests"],
            "persons": clean["persons"],
            "excluded_people": pd.Series(counts.index, dtype="str"),
            "excluded_counts": counts.to_numpy(dtype=np.int64),
        }

    def score(self, arrests, persons, person_ids: pd.Series, as_of) -> pd.DataFrame:
        """The scorer on the rows of ``person_ids`` only (same answer, less work)."""
        mine = arrests[isin(arrests["PERSON_ID"], person_ids)]
        if not (mine["ARREST_DATE"] < pd.Timestamp(as_of)).any():
            return pd.DataFrame({"PERSON_ID": pd.Series([], dtype="str")})  # nobody to score
        tables = {"arrests": mine, "persons": persons[isin(persons["PERSON_ID"], person_ids)]}
        return self.scorer.score(tables, as_of=as_of)

    def predict(self, state: dict, frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
        """``PERSON_ID, risk, recidivist, high_risk, risk_threshold`` per request row, in order.

        The last two only for a model with a fitted threshold (see ``RecidivismScorer``).
        """
        people = frame["PERSON_ID"]
        empty = people.isna().to_numpy()
        if empty.any():
            raise InferenceBadInput(MSG_BAD_PERSON.format(rows=np.flatnonzero(empty)[:10].tolist()))
        people = people.astype("str").reset_index(drop=True)
        distinct = pd.Series(pd.unique(people), dtype="str")
        groups = [(pd.Timestamp(as_of), None)]  # (date, rows): None is every row
        if "AS_OF" in frame and frame["AS_OF"].notna().any():
            given = frame["AS_OF"].reset_index(drop=True)
            parsed = pd.to_datetime(given, errors="coerce", format="ISO8601")
            bad = given.notna().to_numpy() & parsed.isna().to_numpy()
            if bad.any():
                raise InferenceBadInput(
                    MSG_BAD_AS_OF.format(values=sorted(set(given[bad].astype(str)))[:10])
                )
            dates = parsed.fillna(pd.Timestamp(as_of)).to_numpy("datetime64[s]")
            groups = [(pd.Timestamp(d), np.flatnonzero(dates == d)) for d in np.unique(dates)]
        risk = np.full(len(people), np.nan)
        flag = np.zeros(len(people), dtype=bool)
        for day, rows in groups:
            asked = people if rows is None else people.iloc[rows]
            wanted = distinct if rows is None else pd.Series(pd.unique(asked), dtype="str")
            scored = self.score(state["arrests"], state["persons"], wanted, day)
            if not len(scored):
                continue
            at = position_in(asked, scored["PERSON_ID"])
            hit = at >= 0
            where = np.flatnonzero(hit) if rows is None else rows[hit]
            risk[where] = scored["risk"].to_numpy()[at[hit]]
            flag[where] = scored["recidivist"].to_numpy()[at[hit]]
        out = pd.DataFrame({"PERSON_ID": people, "risk": risk, "recidivist": flag})
        if self.threshold is not None:
            # NaN risk (no clean history) is never >= anything: high_risk False
            out["high_risk"] = risk >= self.threshold
            out["risk_threshold"] = self.threshold
        return out

    def withheld(self, state: dict, frame: pd.DataFrame, out=None) -> int:
        """Excluded arrests of the asked persons, left out of their scores (for the audit)."""
        asked = frame["PERSON_ID"].dropna().astype("str")
        return int(state["excluded_counts"][isin(state["excluded_people"], asked)].sum())


def make_service(config, weights):
    """The service of a packaged model's kind, from its loaded weights."""
    kind = config.get("kind")
    if kind == "patternizr":
        return PatternService(weights["featurizer"], weights["model"], config)
    if kind == "recidivism":
        return RecidivismService(weights["features"], weights["classifier"], config)
    raise ValueError(f"unknown model kind {kind!r} in the model config")
