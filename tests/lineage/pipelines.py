"""Small pipelines for the lineage checks: two honest ones and six that leak on purpose.

Each leaky pipeline makes one mistake the lineage checks must catch and name (issue:
"Leak tests"). They all receive the raw tables and the snapshot, as real pipelines do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sanitizer.features import TrainingSet
from sanitizer.sanitize import KeySets, Provenance, sanitize
from sanitizer.tables import isin

CUTOFF = pd.Timestamp("2023-06-01")
HORIZON = CUTOFF + pd.DateOffset(years=2)


class PersonPipeline:
    """Re-arrest within two years from the number of earlier arrests (recidivism-like)."""

    name = "toy-person"

    # -- the pieces a leaky variant overrides ------------------------------------------
    def population_arrests(self, raw, clean):
        return clean["arrests"]

    def label_arrests(self, raw, clean):
        return clean["arrests"]

    def scaler_arrests(self, raw, clean):
        return clean["arrests"]

    # -- shared -------------------------------------------------------------------------
    @staticmethod
    def prior_counts(arrests, population):
        prior = arrests[arrests["ARREST_DATE"] < CUTOFF]
        counts = prior.groupby("PERSON_ID").size()
        return counts.reindex(population, fill_value=0).to_numpy(dtype=float)

    @staticmethod
    def fit_scaler(arrests):
        prior = arrests[arrests["ARREST_DATE"] < CUTOFF]
        population = np.sort(prior["PERSON_ID"].unique())
        counts = PersonPipeline.prior_counts(arrests, population)
        return StandardScaler().fit(counts.reshape(-1, 1))

    def build(self, raw, snapshot):
        clean = sanitize(raw, snapshot).tables
        arrests = clean["arrests"]
        source = self.population_arrests(raw, clean)
        population = np.sort(source.loc[source["ARREST_DATE"] < CUTOFF, "PERSON_ID"].unique())
        scaler = self.fit_scaler(self.scaler_arrests(raw, clean))
        counts = self.prior_counts(arrests, population)
        labels_from = self.label_arrests(raw, clean)
        later = labels_from[
            (labels_from["ARREST_DATE"] >= CUTOFF) & (labels_from["ARREST_DATE"] < HORIZON)
        ]
        y = isin(pd.Series(population, dtype="str"), later["PERSON_ID"]).astype(int)
        position = pd.Series(np.arange(len(population)), index=population)
        used = pd.concat(
            [arrests[arrests["ARREST_DATE"] < CUTOFF], later], ignore_index=True
        ).drop_duplicates("ARREST_KEY")
        used = used[used["PERSON_ID"].isin(position.index)]
        provenance = Provenance(
            len(population),
            {
                "persons": KeySets.identity(population),
                "arrests": KeySets.from_pairs(
                    position[used["PERSON_ID"]].to_numpy(), used["ARREST_KEY"], len(population)
                ),
            },
        )
        X = pd.DataFrame({"prior_arrests": scaler.transform(counts.reshape(-1, 1))[:, 0]})
        return TrainingSet(
            X, y, pd.DataFrame({"PERSON_ID": population}), provenance, {"scaler": scaler}
        )

    def fit(self, training):
        return LogisticRegression(random_state=0).fit(training.X, training.y)

    def refit_components(self, clean):
        return {"scaler": self.fit_scaler(clean["arrests"])}

    def predict(self, model, training):
        return model.predict_proba(training.X)[:, 1]


class ScalerFittedBeforeFiltering(PersonPipeline):
    name = "leak: scaler fitted before filtering"

    def scaler_arrests(self, raw, clean):
        return raw["arrests"]


class PopulationFromAllArrests(PersonPipeline):
    name = "leak: population defined from all arrests"

    def population_arrests(self, raw, clean):
        return raw["arrests"]


class LabelCountsExcludedArrests(PersonPipeline):
    name = "leak: re-arrest label counts excluded arrests"

    def label_arrests(self, raw, clean):
        return raw["arrests"]


class PairPipeline:
    """Same-pattern complaint pairs against sampled negatives (Patternizr-like)."""

    name = "toy-pairs"
    seed = 7

    def text_links(self, raw, clean):
        return clean["complaint_arrests"]

    def height_links(self, raw, clean):
        return clean["complaint_arrests"]

    def negative_pool(self, raw, clean):
        return clean["complaints"]["CMPLNT_NUM"]

    @staticmethod
    def texts(complaints, links):
        statements = links.groupby("CMPLNT_NUM")["ARRESTEE_STATEMENT"].agg(
            lambda s: " ".join(sorted(s.dropna()))
        )
        extra = statements.reindex(complaints["CMPLNT_NUM"]).fillna("").to_numpy()
        return (complaints["NARRATIVE"].fillna("").to_numpy() + " " + extra).astype(str)

    def build(self, raw, snapshot):
        clean = sanitize(raw, snapshot).tables
        complaints = clean["complaints"].sort_values("CMPLNT_NUM").reset_index(drop=True)
        patterns = clean["patterns"].sort_values(["PATTERN_ID", "CMPLNT_NUM"])
        left, right = [], []
        for _, members in patterns.groupby("PATTERN_ID", sort=True)["CMPLNT_NUM"]:
            members = members.tolist()
            left += members[:-1]
            right += members[1:]
        positives = pd.DataFrame({"left": left, "right": right})
        pool = np.sort(self.negative_pool(raw, clean).unique())
        rng = np.random.default_rng(self.seed)
        draws = rng.integers(0, len(pool), size=(len(positives), 2))
        negatives = pd.DataFrame({"left": pool[draws[:, 0]], "right": pool[draws[:, 1]]})
        pairs = pd.concat([positives, negatives], ignore_index=True)
        y = np.r_[np.ones(len(positives), int), np.zeros(len(negatives), int)]

        vectorizer = TfidfVectorizer().fit(self.texts(complaints, self.text_links(raw, clean)))
        matrix = vectorizer.transform(self.texts(complaints, clean["complaint_arrests"]))
        index = pd.Series(np.arange(len(complaints)), index=complaints["CMPLNT_NUM"])
        li, ri = index[pairs["left"]].to_numpy(), index[pairs["right"]].to_numpy()
        cosine = np.asarray(matrix[li].multiply(matrix[ri]).sum(axis=1)).ravel()
        heights = self.height_links(raw, clean).groupby("CMPLNT_NUM")["ARRESTEE_HEIGHT_IN"].mean()
        height = (
            heights.reindex(complaints["CMPLNT_NUM"])
            .fillna(complaints.set_index("CMPLNT_NUM")["SUSP_HEIGHT_IN"])
            .fillna(68.0)
            .to_numpy()
        )
        X = pd.DataFrame(
            {"narrative_cosine": cosine, "height_gap": np.abs(height[li] - height[ri])}
        )

        links = clean["complaint_arrests"]
        sides = []
        for side in ("left", "right"):
            rows = np.arange(len(pairs))
            joined = pd.DataFrame({"row": rows, "CMPLNT_NUM": pairs[side]}).merge(
                links, on="CMPLNT_NUM"
            )
            sides.append(
                KeySets.from_pairs(joined["row"].to_numpy(), joined["ARREST_KEY"], len(pairs))
            )
        provenance = Provenance(
            len(pairs),
            {
                "complaints": KeySets.identity(pairs["left"]).union(
                    KeySets.identity(pairs["right"])
                ),
                "arrests": sides[0].union(sides[1]),
            },
        )
        return TrainingSet(X, y, pairs, provenance, {"tfidf": vectorizer})

    def fit(self, training):
        return LogisticRegression(random_state=0).fit(training.X, training.y)

    def refit_components(self, clean):
        complaints = clean["complaints"].sort_values("CMPLNT_NUM").reset_index(drop=True)
        return {"tfidf": TfidfVectorizer().fit(self.texts(complaints, clean["complaint_arrests"]))}

    def predict(self, model, training):
        return model.predict_proba(training.X)[:, 1]


class TfidfFittedBeforeFiltering(PairPipeline):
    name = "leak: TF-IDF fitted before filtering"

    def text_links(self, raw, clean):
        return raw["complaint_arrests"]


class FeatureReadsExcludedLinks(PairPipeline):
    name = "leak: feature reads complaint_arrests of excluded arrests"

    def height_links(self, raw, clean):
        return raw["complaint_arrests"]


class NegativesFromUnfilteredPool(PairPipeline):
    name = "leak: negatives sampled from the unfiltered pool"

    def negative_pool(self, raw, clean):
        # complaints with an arrest link, counted before sealed links were removed
        return raw["complaint_arrests"]["CMPLNT_NUM"]
