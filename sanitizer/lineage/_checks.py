"""The three training-side checks: ``provenance``, ``invariance`` and ``fitted_state``.

Each check can fail on its own and none takes the sanitizer's word (DESIGN.md, "What no
sealed record influences training or inference means here"):

``provenance``
    Every row's source keys, per source table, against the set of records the snapshot
    excludes, computed here from the raw tables (excluded arrests; their court events and
    those of excluded dockets; their complaint links; the pattern memberships they
    established; persons left with no usable arrest).
``invariance``
    Re-run the whole pipeline (raw tables -> registry -> pipeline) on copies of the raw
    data in which the excluded records are altered, deleted, or joined by new excluded
    records linked to existing complaints, patterns and people. The registry is
    recomputed on each copy; a perturbation that changed any other record's status is
    replaced (reverted for that person) before it is used. The training matrix must come
    out identical on every copy, and a model retrained on one copy must be identical
    (fingerprint and probe predictions). That catches leaks provenance tags miss:
    statistics fitted before filtering, samples that depend on how many rows existed,
    vocabularies that saw sealed text.
``fitted_state``
    First checks that the sanitizer's clean tables really hold no excluded record, then
    has the pipeline re-fit every fitted component on those clean tables alone and
    compares each with the component actually used.

Any pipeline, including a user's own scikit-learn pipeline over the clean tables, can be
run through them by implementing :class:`LineagePipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..features import TrainingSet
from ..registry import Snapshot
from ..sanitize import sanitize
from ..tables import Tables, docket_keys, isin, position_in, value_set
from ._fingerprint import fingerprint

__all__ = [
    "LineagePipeline",
    "CheckResult",
    "LineageChecks",
    "excluded_sources",
    "check_provenance",
    "check_fitted_state",
    "check_invariance",
    "run_checks",
    "PERTURBATIONS",
]

PERTURBATIONS = ("alter", "delete", "add")
#: How many rows a finding lists before "... and N more".
MAX_FINDINGS = 10


@runtime_checkable
class LineagePipeline(Protocol):
    """What the checks need from a training pipeline.

    ``build`` receives the *raw* tables and the registry snapshot and must sanitize
    before computing anything; the checks hand it perturbed raw copies to prove it did.
    """

    name: str

    def build(self, raw: Tables, snapshot: Snapshot) -> TrainingSet:
        """Sanitize, then build the training set (features, labels, provenance)."""

    def fit(self, training: TrainingSet):
        """Fit the model on a training set; deterministic for a given pipeline."""

    def refit_components(self, clean: Tables) -> Mapping[str, object]:
        """Re-fit every component named in ``TrainingSet.components`` on ``clean`` alone."""

    def predict(self, model, training: TrainingSet) -> np.ndarray:
        """Scores of ``model`` on the rows of ``training`` (the probe set)."""


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict, what it found, and how it was run."""

    name: str
    passed: bool
    detail: str
    how: str
    findings: tuple[str, ...] = ()
    figures: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "detail": self.detail,
            "how": self.how,
            "findings": list(self.findings),
            "figures": dict(self.figures),
        }


def _capped(lines: list[str]) -> tuple[str, ...]:
    if len(lines) <= MAX_FINDINGS:
        return tuple(lines)
    return (*lines[:MAX_FINDINGS], f"... and {len(lines) - MAX_FINDINGS} more")


# --- what the snapshot excludes, computed from the raw tables ------------------------------
def excluded_sources(raw: Tables, snapshot: Snapshot) -> dict[str, pd.Series]:
    """Keys of every excluded record, per source table, from the raw tables and snapshot.

    Deliberately independent of ``sanitize``: this is what the checks hold the
    sanitizer's output (and every provenance key) against.
    """
    excluded = pd.Series(snapshot.excluded_keys, dtype="str")
    arrests, events = raw["arrests"], raw["court_events"]
    event_out = isin(events["ARREST_KEY"], excluded)
    if len(snapshot.excluded_dockets):
        dockets = snapshot.excluded_dockets
        wanted = dockets["arrest_key"] + "\x1f" + dockets["docket_id"].fillna("")
        event_out |= isin(docket_keys(events), wanted)
    links = raw["complaint_arrests"]
    link_out = isin(links["ARREST_KEY"], excluded)
    patterns = raw["patterns"]
    pattern_out = isin(patterns["ESTABLISHED_BY_ARREST_KEY"], excluded)
    usable = arrests.loc[~isin(arrests["ARREST_KEY"], excluded), "PERSON_ID"]
    persons = raw["persons"]["PERSON_ID"]
    return {
        "arrests": excluded,
        "court_events": events.loc[event_out, "EVENT_ID"].reset_index(drop=True),
        "complaint_arrests": (
            links.loc[link_out, "CMPLNT_NUM"] + "/" + links.loc[link_out, "ARREST_KEY"]
        ).reset_index(drop=True),
        "patterns": (
            patterns.loc[pattern_out, "PATTERN_ID"] + "/" + patterns.loc[pattern_out, "CMPLNT_NUM"]
        ).reset_index(drop=True),
        "persons": persons[~isin(persons, usable)].reset_index(drop=True),
    }


# --- provenance -------------------------------------------------------------------------------
def check_provenance(
    training: TrainingSet,
    raw: Tables,
    snapshot: Snapshot,
    forbidden: Mapping[str, pd.Series] | None = None,
) -> CheckResult:
    """No row of the training set carries the key of an excluded record.

    ``forbidden`` is ``excluded_sources(raw, snapshot)`` if the caller has it.
    """
    forbidden = excluded_sources(raw, snapshot) if forbidden is None else forbidden
    findings, touched_rows = [], 0
    for source, sets in sorted(training.provenance.sources.items()):
        bad_keys = forbidden.get(source)
        if bad_keys is None or not len(bad_keys):
            continue
        rows = np.flatnonzero(sets.rows_touching(bad_keys))
        touched_rows += len(rows)
        for row in rows[:MAX_FINDINGS]:
            keys = sorted(set(sets.row(int(row))) & set(bad_keys))
            what = ", ".join(_describe_key(source, k, snapshot) for k in keys[:3])
            findings.append(f"training row {row} ({_row_label(training, row)}) carries {what}")
        if len(rows) > MAX_FINDINGS:
            findings.append(f"... {source}: {len(rows) - MAX_FINDINGS} more rows")
    counted = {s: int(len(k)) for s, k in forbidden.items()}
    sources = ", ".join(sorted(training.provenance.sources)) or "none"
    passed = touched_rows == 0
    detail = (
        f"no training row carries an excluded record ({len(training):,} rows; sources: {sources})"
        if passed
        else f"{touched_rows:,} training row(s) carry excluded records"
    )
    return CheckResult(
        "provenance",
        passed,
        detail,
        "every row's source keys, per source table, against the excluded records computed "
        "from the raw tables and the snapshot (not from the sanitizer's output)",
        tuple(findings),
        {"rows": len(training), "excluded_records": counted},
    )


def _describe_key(source: str, key: str, snapshot: Snapshot) -> str:
    if source == "arrests":
        records = snapshot.records
        match = records.loc[records["arrest_key"] == key, "status"]
        status = match.iloc[0] if len(match) else "?"
        return f"excluded arrest {key} ({status})"
    return f"excluded {source} record {key}"


def _row_label(training: TrainingSet, row: int) -> str:
    values = training.row_keys.iloc[int(row)]
    return ", ".join(f"{k}={v}" for k, v in values.items())


# --- fitted state -------------------------------------------------------------------------
def verify_clean(
    clean: Tables,
    raw: Tables,
    snapshot: Snapshot,
    forbidden: Mapping[str, pd.Series] | None = None,
) -> list[str]:
    """Excluded records still present in the sanitizer's clean tables (should be none)."""
    forbidden = excluded_sources(raw, snapshot) if forbidden is None else forbidden
    problems = []
    present = {
        "arrests": clean["arrests"]["ARREST_KEY"],
        "court_events": clean["court_events"]["EVENT_ID"],
        "complaint_arrests": clean["complaint_arrests"]["CMPLNT_NUM"]
        + "/"
        + clean["complaint_arrests"]["ARREST_KEY"],
        "patterns": clean["patterns"]["PATTERN_ID"] + "/" + clean["patterns"]["CMPLNT_NUM"],
        "persons": clean["persons"]["PERSON_ID"],
    }
    for source, keys in present.items():
        leaked = keys[isin(keys, forbidden[source])]
        if len(leaked):
            shown = ", ".join(leaked.head(3).tolist())
            problems.append(f"the clean {source} table still holds {len(leaked):,} ({shown})")
    established = clean["patterns"]["ESTABLISHED_BY_ARREST_KEY"]
    leaked = established[isin(established, forbidden["arrests"])]
    if len(leaked):
        problems.append(f"clean patterns still cite {len(leaked):,} excluded establishing arrests")
    return problems


def _component_difference(name: str, used, refit) -> str:
    vocabulary_used = getattr(used, "vocabulary_", None)
    vocabulary_refit = getattr(refit, "vocabulary_", None)
    if isinstance(vocabulary_used, Mapping) and isinstance(vocabulary_refit, Mapping):
        extra = sorted(set(vocabulary_used) - set(vocabulary_refit))
        missing = sorted(set(vocabulary_refit) - set(vocabulary_used))
        if extra or missing:
            return (
                f"component {name!r} differs from a re-fit on clean data: its vocabulary has "
                f"{len(extra)} term(s) the clean data lacks ({', '.join(extra[:5])})"
                + (f" and lacks {len(missing)}" if missing else "")
            )
    idf_used, idf_refit = getattr(used, "idf_", None), getattr(refit, "idf_", None)
    if idf_used is not None and idf_refit is not None and len(idf_used) == len(idf_refit):
        moved = int(np.sum(np.asarray(idf_used) != np.asarray(idf_refit)))
        if moved:
            return (
                f"component {name!r} differs from a re-fit on clean data: same vocabulary, "
                f"but the IDF weights of {moved} term(s) differ, so its document "
                "frequencies counted text the clean data does not have"
            )
    return (
        f"component {name!r} differs from a re-fit on clean data alone: it was fitted on "
        "something else (data before filtering, or a sample that saw excluded rows)"
    )


def check_fitted_state(
    pipeline: LineagePipeline,
    training: TrainingSet,
    raw: Tables,
    snapshot: Snapshot,
    clean: Tables | None = None,
    forbidden: Mapping[str, pd.Series] | None = None,
) -> CheckResult:
    """Every fitted component equals its re-fit on the (verified) clean tables alone.

    ``clean`` is ``sanitize(raw, snapshot).tables`` when the caller already has it (it is
    verified here all the same); ``forbidden``, ``excluded_sources(raw, snapshot)``.
    """
    clean = sanitize(raw, snapshot).tables if clean is None else clean
    findings = verify_clean(clean, raw, snapshot, forbidden)
    refit = dict(pipeline.refit_components(clean))
    compared = []
    for name, used in sorted(training.components.items()):
        if name not in refit:
            findings.append(
                f"component {name!r} was not re-fitted: refit_components must cover every "
                "component of the training set"
            )
            continue
        same = fingerprint(used) == fingerprint(refit[name])
        compared.append(name)
        if not same:
            findings.append(_component_difference(name, used, refit[name]))
    passed = not findings
    detail = (
        f"{len(compared)} fitted component(s) identical to their re-fit on clean data "
        f"({', '.join(compared) or 'none'})"
        if passed
        else f"{len(findings)} problem(s) with fitted state"
    )
    return CheckResult(
        "fitted_state",
        passed,
        detail,
        "clean tables checked for excluded records, then every component re-fitted on them "
        "alone and compared by canonical fingerprint of its fitted attributes",
        _capped(findings),
        {"components": compared},
    )


# --- invariance -------------------------------------------------------------------------
SnapshotFn = Callable[[Tables], Snapshot]

_ALTERABLE_ARREST_TEXT = (
    "PD_CD",
    "PD_DESC",
    "KY_CD",
    "OFNS_DESC",
    "LAW_CODE",
    "ARREST_PRECINCT",
    "ARREST_NARRATIVE",
    "PHOTO_ID",
)
_ALTERABLE_LINK_TEXT = ("ARRESTEE_STATEMENT",)
#: Charge levels swapped by the alteration: a felony becomes a misdemeanour and back, a
#: violation an infraction and back, so no pending F/M charge appears from nothing.
_OTHER_LAW_CAT = {"F": "M", "M": "F", "V": "I", "I": "V"}
_OTHER_BORO = {"B": "K", "K": "M", "M": "Q", "Q": "S", "S": "B"}
_OTHER_SOURCE = {"ANALYST": "ARREST_DERIVED", "ARREST_DERIVED": "ANALYST"}


def _alter(raw: Tables, keys: pd.Series, rng: np.random.Generator) -> Tables:
    """Every field of the excluded arrests, their links and their memberships changed.

    Only the keys that tie them together stay (ARREST_KEY, PERSON_ID,
    ESTABLISHED_BY_ARREST_KEY); every new value is valid under the contract.
    """
    arrests = raw["arrests"].copy()
    rows = isin(arrests["ARREST_KEY"], keys)
    count = int(rows.sum())
    for column in _ALTERABLE_ARREST_TEXT:
        arrests.loc[rows, column] = "ALTERED " + column.lower() + " zebra quartz"
    for column in ("Latitude", "Longitude"):
        arrests.loc[rows, column] = arrests.loc[rows, column] + 0.0123
    for column, value in (("PERP_SEX", "U"), ("PERP_RACE", "UNKNOWN"), ("AGE_GROUP", "65+")):
        arrests.loc[rows, column] = value
    # earlier by 1 to 400 days (never into the future); an arrest whose new date changes
    # its own or another record's status is replaced by the caller like any other
    shift = pd.to_timedelta(rng.integers(1, 401, count), unit="D")
    arrests.loc[rows, "ARREST_DATE"] = (arrests.loc[rows, "ARREST_DATE"] - shift).to_numpy()
    for column, other in (("LAW_CAT_CD", _OTHER_LAW_CAT), ("ARREST_BORO", _OTHER_BORO)):
        values = arrests.loc[rows, column]
        arrests.loc[rows, column] = values.map(other).fillna(values)
    links = raw["complaint_arrests"].copy()
    link_rows = isin(links["ARREST_KEY"], keys)
    for column in _ALTERABLE_LINK_TEXT:
        links.loc[link_rows, column] = "ALTERED statement zebra quartz"
    for column in ("ARRESTEE_HEIGHT_IN", "ARRESTEE_WEIGHT_LB"):
        links.loc[link_rows, column] = links.loc[link_rows, column] + 7
    links.loc[link_rows, "ARRESTEE_AGE"] = 99
    patterns = raw["patterns"].copy()
    member_rows = isin(patterns["ESTABLISHED_BY_ARREST_KEY"], keys)
    members = int(member_rows.sum())
    complaints = raw["complaints"]["CMPLNT_NUM"]
    if members and len(complaints):
        # a membership moved to another complaint and to a pattern of its own (one per
        # establishing arrest), its source swapped; deleting it must change nothing either
        patterns.loc[member_rows, "PATTERN_ID"] = (
            "ALTERED-" + patterns.loc[member_rows, "ESTABLISHED_BY_ARREST_KEY"]
        )
        patterns.loc[member_rows, "CMPLNT_NUM"] = complaints.iloc[
            rng.integers(0, len(complaints), members)
        ].to_numpy()
        source = patterns.loc[member_rows, "PATTERN_SOURCE"]
        patterns.loc[member_rows, "PATTERN_SOURCE"] = source.map(_OTHER_SOURCE).fillna(source)
        patterns = _without_duplicate_members(patterns, np.asarray(member_rows, dtype=bool))
    return raw.replace(arrests=arrests, complaint_arrests=links, patterns=patterns)


def _without_duplicate_members(patterns: pd.DataFrame, perturbed: np.ndarray) -> pd.DataFrame:
    """``patterns`` without perturbed rows that repeat an earlier (PATTERN_ID, CMPLNT_NUM).

    Unperturbed rows count as earlier than perturbed ones and all stay.
    """
    order = np.argsort(perturbed, kind="stable")
    repeated = np.empty(len(patterns), dtype=bool)
    repeated[order] = (
        patterns.iloc[order].duplicated(["PATTERN_ID", "CMPLNT_NUM"], keep="first").to_numpy()
    )
    return patterns[~(repeated & perturbed)]


def _delete(raw: Tables, keys: pd.Series) -> Tables:
    """The excluded arrests gone from the raw data, with everything that points at them.

    People who existed only through excluded arrests lose their ``persons`` row too.
    """
    arrests = raw["arrests"]
    events = raw["court_events"]
    links = raw["complaint_arrests"]
    patterns = raw["patterns"]
    persons = raw["persons"]
    keys = value_set(keys)  # hashed once for the four tables (4 million keys at nyc)
    kept = arrests[~isin(arrests["ARREST_KEY"], keys)]
    only_excluded = isin(persons["PERSON_ID"], arrests["PERSON_ID"]) & ~isin(
        persons["PERSON_ID"], kept["PERSON_ID"]
    )
    return raw.replace(
        arrests=kept,
        court_events=events[~isin(events["ARREST_KEY"], keys)],
        complaint_arrests=links[~isin(links["ARREST_KEY"], keys)],
        patterns=patterns[~isin(patterns["ESTABLISHED_BY_ARREST_KEY"], keys)],
        persons=persons[~only_excluded],
    )


def _add(raw: Tables, rng: np.random.Generator, count: int) -> Tables:
    """Add new sealed arrests, linked to existing complaints and patterns.

    The DA declined them (CPL 160.50(3)(i)). They are violation-level, so they cannot
    reopen a 160.58 sealing or block a Clean Slate clock; the registry is recomputed
    anyway and any that change another status are dropped. Their dates follow the raw
    arrests' (before and after any cutoff); a third are of new people (with a ``persons``
    row); each establishes an ARREST_DERIVED membership of an existing pattern and
    confirms an ANALYST one, and some form new patterns of their own.
    """
    from ..tables import make_frame

    arrests, complaints, patterns = raw["arrests"], raw["complaints"], raw["patterns"]
    persons = raw["persons"]
    if arrests.empty or complaints.empty:
        return raw
    template = arrests.iloc[rng.integers(0, len(arrests), count)].reset_index(drop=True)
    keys = pd.Series([f"PERTURB-{i:06d}" for i in range(count)], dtype="str")
    dates = arrests["ARREST_DATE"].dropna()
    last = dates.max() - pd.Timedelta(days=2)
    drawn = dates.iloc[rng.integers(0, len(dates), count)].reset_index(drop=True)
    dates = (drawn + pd.to_timedelta(rng.integers(-30, 31, count), unit="D")).clip(
        dates.min(), last
    )
    dates = pd.DatetimeIndex(dates).astype("datetime64[s]")
    new_person = np.arange(count) % 3 == 2
    person_ids = template["PERSON_ID"].astype("str").to_numpy(dtype=object)
    person_ids[new_person] = [f"PERTURB-P{i:06d}" for i in np.flatnonzero(new_person)]
    new_arrests = template.assign(
        ARREST_KEY=keys.to_numpy(),
        PERSON_ID=person_ids,
        ARREST_DATE=dates,
        LAW_CAT_CD="V",
        ARREST_NARRATIVE="perturbation narrative zebra quartz",
        PHOTO_ID=[f"PERTURB-PH-{i}" for i in range(count)],
    )
    like = persons.iloc[
        position_in(template.loc[new_person, "PERSON_ID"], persons["PERSON_ID"])
    ].reset_index(drop=True)
    if len(like) == int(new_person.sum()):
        new_persons = like.assign(PERSON_ID=person_ids[new_person])
    else:  # a template arrest of nobody in persons: new people of the first person's kind
        new_persons = persons.iloc[np.zeros(int(new_person.sum()), dtype=int)].assign(
            PERSON_ID=person_ids[new_person]
        )
    events = make_frame(
        "court_events",
        {
            "EVENT_ID": [f"PERTURB-E{i:06d}" for i in range(count)],
            "ARREST_KEY": keys.to_numpy(),
            "EVENT_TYPE": ["DISPOSITION"] * count,
            "EVENT_DATE": (dates + pd.Timedelta(days=1)).astype("datetime64[s]"),
            "DISPOSITION": ["DECLINE_PROSECUTE"] * count,
            "SOURCE": ["DCJS"] * count,
        },
    )
    linked = complaints["CMPLNT_NUM"].iloc[rng.integers(0, len(complaints), count)].to_numpy()
    # the first arrests (six per new pattern) are linked to complaints of one crime type and
    # form new patterns, three members each, all established by them
    patterns_new = max(1, count // 20)
    in_new = min(count, 3 * patterns_new)
    kind = complaints["KY_CD"].iloc[int(rng.integers(0, len(complaints)))]
    pool = complaints.loc[(complaints["KY_CD"] == kind).to_numpy(dtype=bool), "CMPLNT_NUM"]
    linked[:in_new] = pool.iloc[rng.integers(0, len(pool), in_new)].to_numpy()
    links = make_frame(
        "complaint_arrests",
        {
            "CMPLNT_NUM": linked,
            "ARREST_KEY": keys.to_numpy(),
            "ARRESTEE_HEIGHT_IN": [77.0] * count,
            "ARRESTEE_WEIGHT_LB": [301.0] * count,
            "ARRESTEE_AGE": [66] * count,
            "ARRESTEE_STATEMENT": ["perturbation statement zebra quartz"] * count,
        },
    )
    memberships = [
        pd.DataFrame(
            {
                "PATTERN_ID": [f"PERTURB-PAT-{i // 3:04d}" for i in range(in_new)],
                "CMPLNT_NUM": linked[:in_new],
                "PATTERN_SOURCE": "ARREST_DERIVED",
                "ESTABLISHED_BY_ARREST_KEY": keys.to_numpy()[:in_new],
            }
        )
    ]
    if len(patterns):
        pattern_ids = patterns["PATTERN_ID"].unique()
        for source in ("ARREST_DERIVED", "ANALYST"):
            memberships.append(
                pd.DataFrame(
                    {
                        "PATTERN_ID": pattern_ids[rng.integers(0, len(pattern_ids), count)],
                        "CMPLNT_NUM": linked,
                        "PATTERN_SOURCE": source,
                        "ESTABLISHED_BY_ARREST_KEY": keys.to_numpy(),
                    }
                )
            )
    added = make_frame("patterns", pd.concat(memberships, ignore_index=True).to_dict("list"))
    perturbed = np.arange(len(patterns) + len(added)) >= len(patterns)
    patterns = _without_duplicate_members(
        pd.concat([patterns, added], ignore_index=True), perturbed
    )
    return raw.replace(
        arrests=pd.concat([arrests, new_arrests], ignore_index=True),
        court_events=pd.concat([raw["court_events"], events], ignore_index=True),
        complaint_arrests=pd.concat([raw["complaint_arrests"], links], ignore_index=True),
        patterns=patterns,
        persons=pd.concat([persons, new_persons], ignore_index=True),
    )


def _changed_persons(original: Snapshot, perturbed: Snapshot) -> pd.Series:
    """Persons with a record whose status or exclusion the perturbation changed.

    Records are matched by ``arrest_key`` (a hash join; at nyc the index operations this
    replaced took 12 s per perturbed copy); ``since`` must be equal or missing in both.
    """
    before, after = original.records, perturbed.records
    at = position_in(after["arrest_key"], before["arrest_key"])
    common = at >= 0
    matched = at[common]
    changed = np.zeros(len(matched), dtype=bool)
    for column in ("status", "since", "excluded"):
        old = before[column].take(matched).reset_index(drop=True)
        new = after[column][common].reset_index(drop=True)
        same = (old == new).fillna(False).to_numpy(dtype=bool)
        changed |= ~(same | (old.isna() & new.isna()).to_numpy(dtype=bool))
    persons = before["person_id"].take(matched[changed])
    # an added record must itself be excluded, or it is no perturbation of excluded data
    unexcluded_new = after.loc[~common & ~after["excluded"].to_numpy(dtype=bool), "person_id"]
    return pd.concat([persons, unexcluded_new]).drop_duplicates()


def _spliced(perturbed: pd.DataFrame, raw: pd.DataFrame, column: str, keys) -> pd.DataFrame:
    """``perturbed`` with its rows whose ``column`` is in ``keys`` replaced by ``raw``'s.

    Row order follows the index labels (both frames keep the raw rows' labels). One take
    over the two frames side by side: filtering, concatenating and sorting took three
    copies of every column, 24 s per replacement round at nyc.
    """
    dropped = isin(perturbed[column], keys)
    restored = np.flatnonzero(isin(raw[column], keys))
    if not dropped.any() and not len(restored):
        return perturbed
    kept = np.flatnonzero(~dropped)
    labels = np.concatenate([perturbed.index.to_numpy()[kept], raw.index.to_numpy()[restored]])
    sources = np.concatenate([kept, len(perturbed) + np.arange(len(restored))])
    both = pd.concat([perturbed, raw.iloc[restored]])
    return both.take(sources[np.argsort(labels, kind="stable")])


def _restore_persons(perturbed: Tables, raw: Tables, persons: pd.Series) -> Tables:
    """Undo a perturbation for some persons: their rows as in the raw data, in place.

    Perturbed frames keep the raw rows' index labels (added rows come after them), so
    restored rows go back where they were: row order is an input like any other.
    """
    raw_keys = raw["arrests"].loc[isin(raw["arrests"]["PERSON_ID"], persons), "ARREST_KEY"]
    new_keys = perturbed["arrests"].loc[
        isin(perturbed["arrests"]["PERSON_ID"], persons), "ARREST_KEY"
    ]
    keys = value_set(pd.concat([raw_keys, new_keys]))
    frames = {
        name: _spliced(perturbed[name], raw[name], column, keys)
        for name, column in (
            ("arrests", "ARREST_KEY"),
            ("court_events", "ARREST_KEY"),
            ("complaint_arrests", "ARREST_KEY"),
            ("patterns", "ESTABLISHED_BY_ARREST_KEY"),
        )
    }
    frames["persons"] = _spliced(perturbed["persons"], raw["persons"], "PERSON_ID", persons)
    return perturbed.replace(**frames)


def _normalised(tables: Tables) -> Tables:
    """The same tables with fresh 0..n-1 indexes, as readers produce them."""
    return tables.replace(**{name: frame.reset_index(drop=True) for name, frame in tables.items()})


def _persons_of_added(raw: Tables, perturbed: Tables) -> pd.Series:
    """The persons of the arrests ``perturbed`` has and ``raw`` has not."""
    arrests = perturbed["arrests"]
    new = ~isin(arrests["ARREST_KEY"], raw["arrests"]["ARREST_KEY"])
    return arrests.loc[new, "PERSON_ID"].drop_duplicates()


def _recomputed_for(
    snapshot_fn: SnapshotFn, previous: Snapshot, tables: Tables, persons: pd.Series
) -> Snapshot:
    """``previous`` with the records of ``persons`` recomputed from ``tables``.

    The rules read one person's arrests and court events at a time (a new arrest reopens
    *that person's* 160.58 sealing, *their* pending charge blocks *their* Clean Slate
    clock), so when only these persons' rows differ from the tables ``previous`` was
    computed on, evaluating them alone and keeping everyone else's records gives what a
    recomputation of the whole copy gives: at nyc, one evaluation of a few thousand
    persons instead of 41 s over five million arrests, for the added records and for
    every round of replaced perturbations. (``test_perturbations`` holds the two equal.)
    When most arrests are touched the whole copy is simply recomputed.
    """
    arrests, events = tables["arrests"], tables["court_events"]
    theirs = isin(arrests["PERSON_ID"], persons)
    if 2 * int(theirs.sum()) > len(arrests):
        return snapshot_fn(tables)
    records, dockets = previous.records, previous.excluded_dockets
    gone = isin(records["person_id"], persons)
    kept_records = [records[~gone]]
    kept_dockets = [dockets[~isin(dockets["arrest_key"], records.loc[gone, "arrest_key"])]]
    if theirs.any():  # persons the round removed altogether have no records left
        keys = arrests.loc[theirs, "ARREST_KEY"]
        part = snapshot_fn(
            tables.replace(
                arrests=arrests[theirs], court_events=events[isin(events["ARREST_KEY"], keys)]
            )
        )
        kept_records.append(part.records)
        kept_dockets.append(part.excluded_dockets)
    return replace(
        previous,
        records=pd.concat(kept_records, ignore_index=True),
        excluded_dockets=pd.concat(kept_dockets, ignore_index=True),
        inputs={},
    )


def _perturb(kind, raw, snapshot, snapshot_fn, rng) -> tuple[Tables, Snapshot, int]:
    """A perturbed copy of ``raw`` and its registry, in which no other record's status moved.

    Each round recomputes the registry of the persons whose rows the round changed (all
    of the copy when that is most of it) and replaces the perturbation of every person
    with a record whose status, date or exclusion it changed.
    """
    keys = pd.Series(snapshot.excluded_keys, dtype="str")
    if kind == "alter":
        perturbed = _alter(raw, keys, rng)
    elif kind == "delete":
        perturbed = _delete(raw, keys)
    else:
        count = int(min(200, max(5, len(raw["persons"]) // 50)))
        perturbed = _add(raw, rng, count)
    replaced = 0
    candidate = _normalised(perturbed)
    if kind == "add":
        perturbed_snapshot = _recomputed_for(
            snapshot_fn, snapshot, candidate, _persons_of_added(raw, candidate)
        )
    else:
        perturbed_snapshot = snapshot_fn(candidate)
    for _ in range(4):
        changed = _changed_persons(snapshot, perturbed_snapshot)
        if changed.empty:
            return candidate, perturbed_snapshot, replaced
        replaced += len(changed)
        perturbed = _restore_persons(perturbed, raw, changed)
        candidate = _normalised(perturbed)
        perturbed_snapshot = _recomputed_for(snapshot_fn, perturbed_snapshot, candidate, changed)
    raise RuntimeError(f"the {kind} perturbation kept changing other records' statuses")


def _difference(a: TrainingSet, b: TrainingSet) -> str:
    if a.X.shape != b.X.shape:
        return f"the training matrix has {b.X.shape} instead of {a.X.shape} rows x columns"
    if list(a.X.columns) != list(b.X.columns):
        return "the feature columns differ"
    if not a.row_keys.reset_index(drop=True).equals(b.row_keys.reset_index(drop=True)):
        return "different rows were drawn (the sample depends on excluded records)"
    differing = [
        c for c in a.X.columns if fingerprint(a.X[c].to_numpy()) != fingerprint(b.X[c].to_numpy())
    ]
    if differing:
        return f"feature column(s) {', '.join(differing[:5])} changed"
    if fingerprint(a.y) != fingerprint(b.y):
        return "the labels changed"
    return "the rows' sources changed"


def check_invariance(
    pipeline: LineagePipeline,
    raw: Tables,
    snapshot: Snapshot,
    snapshot_fn: SnapshotFn,
    training: TrainingSet,
    model,
    seed: int = 0,
    retrain_on: str = "add",
) -> CheckResult:
    """Perturb the excluded records; the training matrix and the model must not move."""
    rng = np.random.default_rng(seed)
    reference = fingerprint(training.matrix_state())
    findings, figures = [], {}
    retrained = None
    for kind in PERTURBATIONS:
        perturbed, perturbed_snapshot, replaced = _perturb(kind, raw, snapshot, snapshot_fn, rng)
        again = pipeline.build(perturbed, perturbed_snapshot)
        same = fingerprint(again.matrix_state()) == reference
        figures[kind] = {
            "arrests": int(len(perturbed["arrests"])),
            "excluded": int(len(perturbed_snapshot.excluded_keys)),
            "replaced_persons": int(replaced),
            "matrix_identical": same,
        }
        if not same:
            findings.append(f"{kind}: {_difference(training, again)}")
        if kind == retrain_on:
            retrained = pipeline.fit(again)
    model_same = fingerprint(retrained) == fingerprint(model)
    probe = training
    predictions_same = bool(
        np.array_equal(pipeline.predict(model, probe), pipeline.predict(retrained, probe))
    )
    figures["retrained_on"] = retrain_on
    figures["model_identical"] = model_same
    figures["probe_predictions_identical"] = predictions_same
    if not model_same:
        findings.append(f"{retrain_on}: the model retrained on the perturbed copy differs")
    if not predictions_same:
        findings.append(f"{retrain_on}: probe predictions differ")
    passed = not findings
    detail = (
        "training matrix identical under every perturbation of the excluded records "
        f"({', '.join(PERTURBATIONS)}); model retrained on '{retrain_on}' identical"
        if passed
        else f"excluded records influence the result ({len(findings)} finding(s))"
    )
    return CheckResult(
        "invariance",
        passed,
        detail,
        "raw copies with the excluded records altered (every field but the linking keys, "
        "their memberships included), deleted (with everything pointing at them and people "
        "known only through them), or joined by new sealed arrests spread over the data's "
        "dates, of existing and new people, linked to existing complaints and patterns and "
        "forming new ones; registry recomputed on each copy and "
        "status-changing perturbations replaced; matrices and models compared by canonical "
        f"fingerprint; seed {seed}",
        tuple(findings),
        figures,
    )


# --- all three -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineageChecks:
    """The three checks of one training run, with the training set and model they judged."""

    training: TrainingSet = field(repr=False)
    model: object = field(repr=False)
    results: Mapping[str, CheckResult] = field(default_factory=dict)
    #: The checks' own sanitization of the raw tables (``SanitizeResult``), which the
    #: fitted-state check verified and re-fitted on; commitments and reports reuse it.
    sanitized: object = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results.values())

    def to_dict(self) -> dict:
        return {name: result.to_dict() for name, result in self.results.items()}


#: The steps :func:`run_checks` reports to its ``progress`` callback, in order.
CHECK_STEPS = (
    "sanitize and build the training set",
    "train",
    "lineage check: provenance",
    "lineage check: invariance",
    "lineage check: fitted state",
)


def run_checks(
    pipeline: LineagePipeline,
    raw: Tables,
    snapshot: Snapshot,
    snapshot_fn: SnapshotFn,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> LineageChecks:
    """Build, fit, and run the three checks on one pipeline.

    ``progress`` is called with each of :data:`CHECK_STEPS` as it starts (a progress bar,
    or a benchmark timing the steps).
    """
    say = progress or (lambda _step: None)
    say(CHECK_STEPS[0])
    training = pipeline.build(raw, snapshot)
    sanitized = sanitize(raw, snapshot)
    say(CHECK_STEPS[1])
    model = pipeline.fit(training)
    say(CHECK_STEPS[2])
    # what the snapshot excludes, from the raw tables: computed once for the two checks
    # that hold keys against it (a pure function of raw and snapshot; 7 s at nyc)
    forbidden = excluded_sources(raw, snapshot)
    results = {"provenance": check_provenance(training, raw, snapshot, forbidden)}
    say(CHECK_STEPS[3])
    results["invariance"] = check_invariance(
        pipeline, raw, snapshot, snapshot_fn, training, model, seed
    )
    say(CHECK_STEPS[4])
    results["fitted_state"] = check_fitted_state(
        pipeline, training, raw, snapshot, sanitized.tables, forbidden
    )
    return LineageChecks(training, model, results, sanitized)
