"""Foundation benchmarks: synthesising the world and validating it (issue: foundation).

Targets at `nyc`: synth ≤ 10 minutes with ≤ 12 GB peak memory; validate ≤ 60 s.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ._harness import Section, run_child, sanitizer_cmd

TARGETS = {"nyc": {"synth_s": 600, "synth_mb": 12 * 1024, "validate_s": 60}}


def run(scale: str, workdir: Path) -> tuple[Section, Path]:
    """Synthesise ``scale`` into ``workdir`` and validate it; returns the data folder too."""
    section = Section(f"Synthetic world and validation (`synth`, `validate`), scale {scale}")
    out = workdir / f"world-{scale}"
    if out.exists():
        shutil.rmtree(out)
    seconds, peak_mb, stdout = run_child(
        sanitizer_cmd("synth", "--scale", scale, "--seed", "0", "--out", str(out), "--json")
    )
    rows = json.loads(stdout)["tables"]
    target = TARGETS.get(scale, {})
    section.add(
        "synth wall time",
        seconds,
        "s",
        f"≤ {target['synth_s']} s" if target else "",
        seconds <= target["synth_s"] if target else None,
        ", ".join(f"{k} {v:,}" for k, v in rows.items()),
    )
    section.add(
        "synth peak memory",
        peak_mb,
        "MiB",
        f"≤ {target['synth_mb']} MiB" if target else "",
        peak_mb <= target["synth_mb"] if target else None,
    )
    seconds, peak_mb, stdout = run_child(sanitizer_cmd("validate", str(out), "--json"))
    valid = json.loads(stdout)["valid"]
    section.add(
        "validate wall time",
        seconds,
        "s",
        f"≤ {target['validate_s']} s" if target else "",
        (seconds <= target["validate_s"]) and valid if target else None,
        f"valid={valid}; includes interpreter start-up",
    )
    section.add("validate peak memory", peak_mb, "MiB")
    return section, out
