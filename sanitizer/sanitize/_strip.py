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
from ..tables import Tables, docket_keys, isin, position_in

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
    """Rows of ``removed``, the columns matched by position (their indexes are ignored).

    ``None`` for ``arrest_keys`` or ``statutes`` leaves that column null.
    """
    keys = pd.Series(keys, dtype="str").reset_index(drop=True)

    def column(values) -> pd.Series:
        if values is None:
            return pd.Series([None] * len(keys), dtype="str")
        return pd.Series(values, dtype="str").reset_index(drop=True)

    return pd.DataFrame(
        {
            "item_type": item_type,
            "key": keys,
            "arrest_key": column(arrest_keys),
            "statute": column(statutes),
        }
    )


def _record_positions(snapshot: Snapshot, columns: list[pd.Series]) -> list[np.ndarray]:
    """Each value's row in ``snapshot.records`` (-1: no record), for several key columns.

    One hash table of the record keys for all of them: at nyc, building one per look-up
    (ten per sanitization, of five million keys each) was most of the sanitizer's time,
    and it runs five times per retrain.
    """
    lengths = np.cumsum([len(column) for column in columns])[:-1]
    joined = pd.concat([column.astype("str") for column in columns], ignore_index=True)
    return np.split(position_in(joined, snapshot.records["arrest_key"]), lengths)


def sanitize(tables: Tables, snapshot: Snapshot) -> SanitizedData:
    """Remove everything the snapshot excludes and everything derived from it."""
    records = snapshot.records
    excluded = records["excluded"].to_numpy(dtype=bool)
    statutes = records["statute"].fillna(records["status"]).astype("str").reset_index(drop=True)

    def out(positions: np.ndarray) -> np.ndarray:
        """Rows whose arrest the snapshot excludes (a key with no record is not)."""
        if not len(excluded):
            return np.zeros(len(positions), dtype=bool)
        return (positions >= 0) & excluded[np.maximum(positions, 0)]

    def statute_at(positions: np.ndarray) -> pd.Series:
        if not len(statutes):
            return pd.Series([None] * len(positions), dtype="str")
        found = statutes.take(np.maximum(positions, 0)).reset_index(drop=True)
        return found.where(pd.Series(positions >= 0), other=None)

    arrests, events = tables["arrests"], tables["court_events"]
    links, patterns = tables["complaint_arrests"], tables["patterns"]
    arrest_at, event_at, link_at, pattern_at = _record_positions(
        snapshot,
        [
            arrests["ARREST_KEY"],
            events["ARREST_KEY"],
            links["ARREST_KEY"],
            patterns["ESTABLISHED_BY_ARREST_KEY"],
        ],
    )
    unknown = arrest_at < 0
    if unknown.any():
        missing = arrests.loc[unknown, "ARREST_KEY"].head(5).tolist()
        raise ValueError(
            f"snapshot {snapshot.snapshot_id} has no status for arrests {missing}; "
            "build the snapshot from these tables"
        )
    arrest_out = out(arrest_at)
    removals = [
        _removal(
            "arrest",
            arrests.loc[arrest_out, "ARREST_KEY"],
            arrests.loc[arrest_out, "ARREST_KEY"],
            statute_at(arrest_at[arrest_out]),
        )
    ]

    # court events: whole excluded arrests, plus excluded dockets of partial arrests
    event_out = out(event_at)
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
            statute_at(event_at[event_out]),
        )
    )

    link_out = out(link_at)
    removed_links = links[link_out]
    removals.append(
        _removal(
            "complaint_link",
            removed_links["CMPLNT_NUM"] + "/" + removed_links["ARREST_KEY"],
            removed_links["ARREST_KEY"],
            statute_at(link_at[link_out]),
        )
    )

    pattern_out = out(pattern_at)
    clean_patterns, pattern_removals = _strip_patterns(
        patterns, pattern_out, statute_at(pattern_at[pattern_out])
    )
    removals += pattern_removals

    clean_arrests = arrests[~arrest_out]
    persons = tables["persons"]
    person_in = isin(persons["PERSON_ID"], clean_arrests["PERSON_ID"])
    removals.append(_removal("person", persons.loc[~person_in, "PERSON_ID"], None, None))
    grants = tables["access_grants"]
    removals.append(_removal("access_grant", grants["GRANT_ID"], None, None))

    destruction = _destruction_list(arrests[arrest_out], arrest_at[arrest_out], records, statute_at)
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


def _strip_patterns(patterns: pd.DataFrame, established_out: np.ndarray, statutes: pd.Series):
    """Drop memberships that excluded arrests established, then patterns left too small.

    ``statutes`` are the excluded arrests' statutes, one per dropped membership.
    """
    gone = patterns[established_out]
    removals = [
        _removal(
            "pattern_membership",
            gone["PATTERN_ID"] + "/" + gone["CMPLNT_NUM"],
            gone["ESTABLISHED_BY_ARREST_KEY"],
            statutes,
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


def _destruction_list(
    excluded_arrests: pd.DataFrame, positions: np.ndarray, records: pd.DataFrame, statute_at
):
    """Photos of excluded arrests (``positions``: their rows in ``records``)."""
    photo = excluded_arrests["PHOTO_ID"].notna().to_numpy(dtype=bool)
    with_photo = excluded_arrests[photo]
    at = positions[photo]
    destroy = (
        records["destroy_class"].to_numpy(dtype=bool)[at]
        if "destroy_class" in records
        else np.zeros(len(at), dtype=bool)
    )
    return pd.DataFrame(
        {
            "arrest_key": with_photo["ARREST_KEY"].to_numpy(),
            "photo_id": with_photo["PHOTO_ID"].to_numpy(),
            "statute": statute_at(at).to_numpy(),
            "action": np.where(destroy, "DESTROY", "MARK"),
        }
    ).astype({"arrest_key": "str", "photo_id": "str", "statute": "str", "action": "str"})
