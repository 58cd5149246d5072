"""Put the stages together: ``generate`` a world, ``write_world`` it to a directory.

Each stage draws from its own child of one ``SeedSequence`` (seed and scale), so the
world is a pure function of (seed, scale, code version): the same bytes every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..tables import PANDAS_DTYPES, SCHEMA, write_tables
from . import _calendar as cal
from . import _geography as geo
from ._arrests import ORIGINS, Skeleton, assemble, base_skeleton
from ._court import make_court_events
from ._crimes import make_crimes
from ._grants import make_grants
from ._mo import STATEMENTS
from ._people import make_people
from ._util import numbered, take, to_str

__all__ = ["Scale", "SCALES", "World", "generate", "write_world"]


@dataclass(frozen=True)
class Scale:
    """Target sizes of a world (DESIGN.md "Scales")."""

    persons: int
    arrests: int
    complaints: int
    grant_rounds: int


SCALES: dict[str, Scale] = {
    "tiny": Scale(2_000, 5_000, 3_000, 1),
    "small": Scale(20_000, 50_000, 30_000, 4),
    "nyc": Scale(2_000_000, 5_000_000, 1_000_000, 12),
}
#: Expected clearing arrests per complaint (series and one-offs), used to size base arrests.
_CRIME_ARRESTS_PER_COMPLAINT = 0.115


@dataclass(frozen=True)
class World:
    """A generated world: the seven contract tables and the ground truth behind them."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    scale: str
    seed: int


def _conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order and exactly the in-memory dtypes of ``PANDAS_DTYPES``."""
    out = {}
    for column in SCHEMA[name].columns:
        want = PANDAS_DTYPES[column.kind]
        values = frame[column.name]
        if str(values.dtype) != want:
            values = values.astype(want)
        out[column.name] = values.reset_index(drop=True)
    return pd.DataFrame(out)


def generate(
    scale: str = "tiny", seed: int = 0, progress: Callable[[str], None] | None = None
) -> World:
    """Generate a synthetic NYC-like world.

    Parameters
    ----------
    scale : {"tiny", "small", "nyc"}
        Sizes from ``SCALES``.
    seed : int
        Same seed, same scale, same code version: identical tables, byte for byte.
    progress : callable, optional
        Called with a short stage label as each stage starts, so a CLI can show
        progress; the library itself never prints.

    Returns
    -------
    World
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    report = progress or (lambda _label: None)
    size = SCALES[scale]
    root = np.random.SeedSequence([int(seed), list(SCALES).index(scale)])
    s_people, s_arrests, s_crimes, s_assemble, s_court, s_grants = root.spawn(6)

    report("people")
    mean = (size.arrests - _CRIME_ARRESTS_PER_COMPLAINT * size.complaints) / size.persons
    people = make_people(np.random.default_rng(s_people), size.persons, mean)

    report("arrests")
    base = base_skeleton(np.random.default_rng(s_arrests), people)

    report("complaints")
    crimes = make_crimes(s_crimes, people, size.complaints)

    report("assemble")
    skeleton = Skeleton.concat([base, crimes.skeleton])
    arrests, ctx, position = assemble(np.random.default_rng(s_assemble), skeleton, people)
    n_base = len(base)

    report("court")
    court = make_court_events(np.random.default_rng(s_court), ctx, arrests)

    report("links")
    keys = arrests["ARREST_KEY"]
    link_rows = position[n_base + crimes.link_arrest]
    link_person = ctx.person[link_rows]
    age = cal.year_of(ctx.day[link_rows]) - people.birth_year[link_person]
    complaint_arrests = pd.DataFrame(
        {
            "CMPLNT_NUM": crimes.complaints["CMPLNT_NUM"].iloc[crimes.link_complaint].to_numpy(),
            "ARREST_KEY": keys.iloc[link_rows].to_numpy(),
            "ARRESTEE_HEIGHT_IN": people.height[link_person].astype(float),
            "ARRESTEE_WEIGHT_LB": people.weight[link_person].astype(float),
            "ARRESTEE_AGE": pd.array(age, dtype="Int64"),
            "ARRESTEE_STATEMENT": take(STATEMENTS, crimes.link_statement),
        }
    )
    complaint_arrests = complaint_arrests.sort_values(["CMPLNT_NUM", "ARREST_KEY"], kind="stable")
    established = np.where(
        crimes.pattern_arrest >= 0, position[n_base + np.maximum(crimes.pattern_arrest, 0)], -1
    )
    patterns = pd.DataFrame(
        {
            "PATTERN_ID": to_str(numbered("PAT", crimes.pattern_id + 1, 7)),
            "CMPLNT_NUM": crimes.complaints["CMPLNT_NUM"].iloc[crimes.pattern_complaint].to_numpy(),
            "PATTERN_SOURCE": take(("ANALYST", "ARREST_DERIVED"), crimes.pattern_source),
            "ESTABLISHED_BY_ARREST_KEY": keys.iloc[np.maximum(established, 0)].to_numpy(),
        }
    )
    patterns["ESTABLISHED_BY_ARREST_KEY"] = patterns["ESTABLISHED_BY_ARREST_KEY"].where(
        established >= 0
    )
    patterns = patterns.sort_values(["PATTERN_ID", "CMPLNT_NUM"], kind="stable")

    report("grants")
    grants, grant_truth = make_grants(
        np.random.default_rng(s_grants), size.grant_rounds, court.dockets, arrests, court.events
    )

    report("truth")
    persons = pd.DataFrame(
        {
            "PERSON_ID": to_str(numbered("P", np.arange(len(people)) + 1, 8)),
            "BIRTH_YEAR": pd.array(people.birth_year, dtype="Int64"),
            "SEX": take(("M", "F", "U"), people.sex),
            "RACE": take(_races(), people.race),
        }
    )
    tables = {
        "persons": persons,
        "arrests": arrests,
        "court_events": court.events,
        "complaints": crimes.complaints,
        "complaint_arrests": complaint_arrests,
        "patterns": patterns,
        "access_grants": grants
        if len(grants)
        else pd.DataFrame(columns=SCHEMA["access_grants"].column_names),  # noqa: E501
    }
    tables = {name: _conform(name, frame) for name, frame in tables.items()}

    origin = np.empty(len(skeleton), dtype=np.int64)
    origin[position] = skeleton.origin
    dockets = court.dockets
    truth = {
        "arrests": pd.DataFrame(
            {
                "ARREST_KEY": keys.to_numpy(),
                "PERSON_ID": arrests["PERSON_ID"].to_numpy(),
                "ORIGIN": take(ORIGINS, origin),
                "FAVOURABLE": court.favourable,
                "N_DOCKETS": court.n_dockets.astype(np.int64),
            }
        ),
        "dockets": dockets,
        "persons": pd.DataFrame(
            {
                "PERSON_ID": persons["PERSON_ID"],
                "HEIGHT_IN": people.height.astype(float),
                "WEIGHT_LB": people.weight.astype(float),
                "HOME_BORO": take(geo.BORO_NAMES, people.home_boro),
            }
        ),
        "complaint_offenders": crimes.offenders,
        "series": crimes.series,
        "patterns": crimes.pattern_truth,
        "grants": grant_truth,
    }
    truth = {k: v.reset_index(drop=True) for k, v in truth.items()}
    return World(tables, truth, scale, int(seed))


def _races():
    from ..tables._schema import RACES

    return RACES


def write_world(world: World, out_dir: Path | str, fmt: str = "parquet") -> dict[str, int]:
    """Write the seven tables (contract writer) and ``truth/`` beside them.

    Returns rows per contract table. Truth files use the same format as the tables; they
    are for evaluation only and are never read by the pipeline.
    """
    out = Path(out_dir)
    write_tables(world.tables, out, fmt)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in world.truth.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if fmt == "parquet":
            pq.write_table(table, truth_dir / f"{name}.parquet", compression="zstd")
        else:
            table = table.replace_schema_metadata(None)
            pacsv.write_csv(
                table,
                truth_dir / f"{name}.csv",
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
    return {name: len(world.tables[name]) for name in SCHEMA}
