"""Continuous-compliance benchmark (issue 6): sealing -> decertification -> recertification.

In a fresh home on the benchmark world, the burglary pattern model and the recidivism
model are certified with ``retrain`` (each timed: the full flow, lineage checks, gates,
certificate and MLflow included). Then one court-events file sealing an arrest each model
used is applied through the Python API, side by side with the full retrains:

- from recording the events to both models decertified (``Registry.apply_events`` +
  ``decertify_affected``), target ≤ 1 s, in a fresh home and again for a later sealing in
  a home that has recorded events; the CLI's ``events apply`` is timed as well
  (a second sealing, in a copy of the home; interpreter start-up and table reading
  included, and its retrain too);
- recertification (``retrain`` with ``previous=``: only affected SISA shards refitted)
  against the full retrain of the same model, target ≤ 15%, and the fingerprint of the
  recertified model against a from-scratch retrain on the new snapshot.

Each retrain's seconds by step (``sanitizer._retrain.STEPS``: snapshot, build, train,
each lineage check, the gates, logging with certificate and MLflow) are reported beside
the ratio, and so is the floor: the steps a recertification needs even if it checked
nothing (snapshot, build, train, logging) against the full retrain. Only the forest
fit is incremental: the three lineage checks (four training-set builds, three registry
recomputes on perturbed copies, one retrain on a perturbed copy), the fairness and
quality gates and the MLflow logging run in full on every recertification, because a
certificate may not rest on an argument about which shards a leak could have reached.
At ``small`` one forest fit is a small share of a whole retrain, so those steps decide
the ratio.

At ``nyc`` only the recidivism model is measured, without the from-scratch comparison
and the CLI run (each another whole retrain; the unlearning section compares the
fingerprints there).

Wall-clock seconds on a shared machine, one run each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ._harness import Section

AS_OF = date(2026, 6, 1)
MODELS = (("patternizr", "burglary"), ("recidivism", None))
#: Retrain steps (``sanitizer._retrain.STEPS``) a recertification needs whatever it checks.
UNAVOIDABLE = ("registry snapshot", "sanitize and build the training set", "train", "log the run")


class Phases:
    """A ``retrain`` progress callback that times its steps (wall seconds per step)."""

    def __init__(self):
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.marks.append((step, time.perf_counter()))

    def done(self) -> dict[str, float]:
        ends = [t for _, t in self.marks[1:]] + [time.perf_counter()]
        return {step: end - t for (step, t), end in zip(self.marks, ends, strict=True)}


def _compare(recert: dict[str, float], full: dict[str, float]) -> str:
    return "; ".join(
        f"{step} {recert.get(step, 0):.1f} vs {seconds:.1f}" for step, seconds in full.items()
    )


def _seal(home, registry, tables, events: Path) -> tuple[float, list]:
    """Record ``events`` and decertify what they affect: (seconds, decertifications).

    ``apply_events`` without its retrains: what ``events apply`` runs before retraining,
    opening the model store included.
    """
    from sanitizer._compliance import apply_events

    start = time.perf_counter()
    applied = apply_events(
        home, tables, events, as_of=AS_OF, retrain=False, actor="bench", registry=registry
    )
    return time.perf_counter() - start, applied["_decertifications"]


def run(scale: str, data: Path) -> Section:
    from sanitizer._demo import sealing_events
    from sanitizer._home import Home
    from sanitizer._retrain import retrain
    from sanitizer.certify import copy_home
    from sanitizer.registry import Registry
    from sanitizer.tables import read_tables

    section = Section(f"Continuous compliance (certify, seal, decertify, recertify), scale {scale}")
    # at nyc a full burglary retrain takes most of an hour: the recidivism model only, and
    # neither the from-scratch comparison (the unlearning section checks the fingerprints
    # there) nor the CLI run, each another whole retrain
    nyc = scale == "nyc"
    models = MODELS[1:] if nyc else MODELS
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    workdir = Path(tempfile.mkdtemp(prefix="bench-compliance-"))
    try:
        home = Home.resolve(workdir / "home").ensure()
        tables = read_tables(data)
        registry = Registry(home)
        full = {}
        for kind, crime in models:
            phases = Phases()
            start = time.perf_counter()
            result = retrain(
                home, tables, kind, crime_type=crime, as_of=AS_OF, registry=registry,
                progress=phases,
            )  # fmt: skip
            full[result.name] = (time.perf_counter() - start, result, phases.done())
        events = sealing_events(tables, registry, workdir / "events.csv", AS_OF)
        if events is None:
            section.add("no sealable arrest found", 0, "")
            return section
        cli_home = None if nyc else copy_home(home, workdir / "cli-home", actor="bench").path
        decert_s, gone = _seal(home, registry, tables, events)
        section.add(
            "events recorded -> models decertified (Python API)",
            decert_s,
            "s",
            "≤ 1 s",
            decert_s <= 1.0,
            f"{len(gone)} version(s) decertified: {', '.join(d.ref.uri for d in gone)}",
        )
        for item in gone:
            seconds, _, full_phases = full[item.ref.name]
            pattern = item.ref.name != "recidivism"

            def again_(previous=None, name=item.ref.name, pattern=pattern, progress=None):
                return retrain(
                    home,
                    tables,
                    "patternizr" if pattern else "recidivism",
                    crime_type=name[len("patternizr-") :] if pattern else None,
                    as_of=AS_OF,
                    registry=registry,
                    previous=previous,
                    progress=progress,
                )

            phases = Phases()
            start = time.perf_counter()
            again = again_(item.ref, progress=phases)
            recert_s = time.perf_counter() - start
            recert_phases = phases.done()
            if nyc:
                compared = "not compared with a from-scratch retrain at nyc"
            else:
                same = again_().fingerprint == again.fingerprint
                compared = (
                    f"fingerprint {'identical to' if same else 'DIFFERS from'} a from-scratch "
                    "retrain"
                )
            floor = sum(recert_phases.get(step, 0.0) for step in UNAVOIDABLE)
            section.add(
                f"{item.ref.name}: recertification without lineage checks and gates / full retrain",
                floor / seconds,
                "x",
                "",
                None,
                f"{floor:.1f} s of the recertification went to {', '.join(UNAVOIDABLE)}: what "
                "any recertification needs even if the checks and gates were skipped, so no "
                "recertification that re-runs the sanitizer can be faster than this",
            )
            section.add(
                f"{item.ref.name}: recertification / full retrain",
                recert_s / seconds,
                "x",
                "≤ 0.15x",
                recert_s / seconds <= 0.15,
                f"recertified in {recert_s:.1f} s ({len(again.retrained_shards or [])} of 16 "
                f"shards refitted) vs full retrain {seconds:.1f} s; {compared}; "
                f"certified={again.certified} (refusal reasons: {len(again.reasons)}); "
                f"seconds by step, recertification vs full: {_compare(recert_phases, full_phases)}",
            )
        # a later sealing, in a home that now has recorded events (the first one's cost
        # hid this: joining recorded events onto the data's made each recording slower)
        later = sealing_events(tables, registry, workdir / "later.csv", AS_OF)
        if later is not None:
            later_s, gone = _seal(home, registry, tables, later)
            section.add(
                "a later sealing -> models decertified, home with recorded events (Python API)",
                later_s,
                "s",
                "≤ 1 s",
                later_s <= 1.0,
                f"{len(gone)} version(s) decertified",
            )
        if cli_home is None:
            return section
        start = time.perf_counter()
        child = subprocess.run(
            [
                sys.executable, "-m", "sanitizer", "events", "apply", str(events),
                "--data", str(data), "--as-of", AS_OF.isoformat(), "--home", str(cli_home),
                "--json",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "SANITIZER_HOME": str(cli_home)},
        )  # fmt: skip
        cli_s = time.perf_counter() - start
        section.add(
            "events apply (CLI): record, decertify, retrain affected models",
            cli_s,
            "s",
            note=f"exit {child.returncode}; includes start-up, reading the tables and the "
            "recertifying retrains",
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return section
