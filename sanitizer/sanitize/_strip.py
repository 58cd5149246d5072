"""Strip sealed and sealed-derived data from the input tables, before anything is fitted.

What leaves with an excluded arrest (DESIGN.md "Data contract"; SEALING_RULES.md "Data
elements to treat as sealed-derived"):

- the arrest row and all its court events (for a PARTIALLY_SEALED arrest, the events of
  its excluded dockets, one by one);
- its ``complaint_arrests`` rows: arrestee descriptions, statements, the link itself;
- every pattern membership row it established (ARREST_DERIVED or ANALYST), after which
  a pattern left with fewer than two members is dropped. Row by row, never whole
  patterns, so that deleting the sealed arrest's rows from the raw data changes nothing;
- the ``persons`` row of anyone left with no usable arrest (they are in the data only
  because of excluded arrests), so no population can be drawn from them;
- ``access_grants``: court orders about sealed records are not training data.

What stays: every complaint and what its victim reported, since a crime was reported
whatever became of the arrest. Photos of 160.50/160.55 arrests are destroy-class: they are
listed for destruction (CSA-sealed ones are listed to be marked), not just hidden.

The function is deterministic and order-preserving: the clean tables keep the input's row
order, so nothing downstream can depend on how many rows were removed or where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..registry import Snapshot
from ..tables import Tables, docket_keys, isin, lookup

__all__ = ["SanitizedData", "sanitize", "ITEM_TYPES"]

#: What the removal counts are broken down by (lineage report: "by item type").
ITEM_TYPES = (
    "arrest",
    "court_event",
    "complaint_link",
    "pattern_membership",
    "pattern",
    "person",
    "access_grant",
    "photo",
)


@dataclass(frozen=True)
class SanitizedData:
    """Clean tables plus an account of what was removed and why; read-only.

    Attributes
    ----------
    tables : Tables
        The clean input tables. Nothing downstream may read the raw ones.
    snapshot : Snapshot
        The registry snapshot that decided what was excluded.
    removed : DataFrame
        One row per removed item: ``item_type``, ``key`` (the item's own key),
        ``arrest_key`` (the excluded arrest that caused it, null for knock-on removals
        such as a pattern left too small) and ``statute``.
    destruction : DataFrame
        Destroy-class items of excluded arrests: ``arrest_key``, ``photo_id``,
        ``statute``, ``action`` (DESTROY for 160.50/160.55, MARK for the rest).
    """

    tables: Tables
    snapshot: Snapshot
    removed: pd.DataFrame = field(repr=False)
    destruction: pd.DataFrame = field(repr=False)

    def removed_counts(self) -> dict[str, int]:
        """Removed items by item type (every type listed, zeros included)."""
        counts = self.removed["item_type"].value_counts()
        return {t: int(counts.get(t, 0)) for t in ITEM_TYPES}

    def removed_by_statute(self) -> dict[str, dict[str, int]]:
        """Removed items caused by an excluded arrest, by statute then item type."""
        caused = self.removed.dropna(subset=["statute"])
        table = caused.groupby(["statute", "item_type"], sort=True).size()
        result: dict[str, dict[str, int]] = {}
        for (statute, item_type), n in table.items():
            result.setdefault(statute, {})[item_type] = int(n)
        return result


def _removal(item_type: str, keys, arrest_keys, statutes) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_type": item_type,
            "key": pd.Series(keys, dtype="str"),
            "arrest_key": pd.Series(arrest_keys, dtype="str"),
            "statute": pd.Series(statutes, dtype="str"),
        }
    )


def sanitize(tables: Tables, snapshot: Snapshot) -> SanitizedData:
    """Remove everything the snapshot excludes and everything derived from it."""
    records = snapshot.records
    record_keys = records["arrest_key"]

    def statute_of(keys: pd.Series) -> pd.Series:
        return lookup(keys, record_keys, records["statute"].fillna(records["status"]))

    excluded_keys = pd.Series(snapshot.excluded_keys, dtype="str")

    arrests = tables["arrests"]
    unknown = ~isin(arrests["ARREST_KEY"], record_keys)
    if unknown.any():
        missing = arrests.loc[unknown, "ARREST_KEY"].head(5).tolist()
        raise ValueError(
            f"snapshot {snapshot.snapshot_id} has no status for arrests {missing}; "
            "build the snapshot from these tables"
        )
    arrest_out = isin(arrests["ARREST_KEY"], excluded_keys)
    removals = [
        _removal(
            "arrest",
            arrests.loc[arrest_out, "ARREST_KEY"],
            arrests.loc[arrest_out, "ARREST_KEY"],
            statute_of(arrests.loc[arrest_out, "ARREST_KEY"]),
        )
    ]

    # court events: whole excluded arrests, plus excluded dockets of partial arrests
    events = tables["court_events"]
    event_out = isin(events["ARREST_KEY"], excluded_keys)
    partial = snapshot.excluded_dockets
    if len(partial):
        wanted = partial["arrest_key"] + "\x1f" + partial["docket_id"].fillna("")
        event_out = event_out | isin(docket_keys(events), wanted)
    removed_events = events[event_out]
    removals.append(
        _removal(
            "court_event",
            removed_events["EVENT_ID"],
            removed_events["ARREST_KEY"],
            statute_of(removed_events["ARREST_KEY"]),
        )
    )

    links = tables["complaint_arrests"]
    link_out = isin(links["ARREST_KEY"], excluded_keys)
    removed_links = links[link_out]
    removals.append(
        _removal(
            "complaint_link",
            removed_links["CMPLNT_NUM"] + "/" + removed_links["ARREST_KEY"],
            removed_links["ARREST_KEY"],
            statute_of(removed_links["ARREST_KEY"]),
        )
    )

    clean_patterns, pattern_removals = _strip_patterns(
        tables["patterns"], excluded_keys, statute_of
    )
    removals += pattern_removals

    clean_arrests = arrests[~arrest_out]
    persons = tables["persons"]
    person_in = isin(persons["PERSON_ID"], clean_arrests["PERSON_ID"])
    removals.append(_removal("person", persons.loc[~person_in, "PERSON_ID"], None, None))
    grants = tables["access_grants"]
    removals.append(_removal("access_grant", grants["GRANT_ID"], None, None))

    destruction = _destruction_list(arrests[arrest_out], records, statute_of)
    removals.append(
        _removal(
            "photo",
            destruction["photo_id"],
            destruction["arrest_key"],
            destruction["statute"],
        )
    )

    clean = tables.replace(
        persons=persons[person_in].reset_index(drop=True),
        arrests=clean_arrests.reset_index(drop=True),
        court_events=events[~event_out].reset_index(drop=True),
        complaint_arrests=links[~link_out].reset_index(drop=True),
        patterns=clean_patterns,
        access_grants=grants.iloc[0:0].reset_index(drop=True),
    )
    removed = pd.concat(removals, ignore_index=True)
    return SanitizedData(clean, snapshot, removed, destruction)


def _strip_patterns(patterns: pd.DataFrame, excluded_keys: pd.Series, statute_of):
    established_out = isin(patterns["ESTABLISHED_BY_ARREST_KEY"], excluded_keys)
    gone = patterns[established_out]
    removals = [
        _removal(
            "pattern_membership",
            gone["PATTERN_ID"] + "/" + gone["CMPLNT_NUM"],
            gone["ESTABLISHED_BY_ARREST_KEY"],
            statute_of(gone["ESTABLISHED_BY_ARREST_KEY"]),
        )
    ]
    kept = patterns[~established_out]
    sizes = kept.groupby("PATTERN_ID", sort=False)["CMPLNT_NUM"].transform("size")
    too_small = (sizes < 2).to_numpy()
    # a pattern that shrank below two members is no pattern: its last row leaves too
    small = kept[too_small]
    removals.append(
        _removal(
            "pattern_membership",
            small["PATTERN_ID"] + "/" + small["CMPLNT_NUM"],
            None,
            None,
        )
    )
    shrunk = pd.Index(gone["PATTERN_ID"].unique())
    dropped = pd.Index(small["PATTERN_ID"].unique())
    whole = dropped[dropped.isin(shrunk)]
    removals.append(_removal("pattern", whole, None, None))
    return kept[~too_small].reset_index(drop=True), removals


def _destruction_list(excluded_arrests: pd.DataFrame, records: pd.DataFrame, statute_of):
    with_photo = excluded_arrests.dropna(subset=["PHOTO_ID"])
    keys = with_photo["ARREST_KEY"]
    destroy = (
        lookup(keys, records["arrest_key"], records["destroy_class"].astype("boolean"))
        .fillna(False)
        .to_numpy(dtype=bool)
        if "destroy_class" in records
        else np.zeros(len(keys), dtype=bool)
    )
    return pd.DataFrame(
        {
            "arrest_key": keys.to_numpy(),
            "photo_id": with_photo["PHOTO_ID"].to_numpy(),
            "statute": statute_of(keys).to_numpy(),
            "action": np.where(destroy, "DESTROY", "MARK"),
        }
    ).astype({"arrest_key": "str", "photo_id": "str", "statute": "str", "action": "str"})
