"""Run the benchmark suite: ``python -m bench --scale small|nyc``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import bench_foundation, lineage_section, models_section, registry_section
from ._harness import ROOT, write_results
from .bench_compliance import run as run_compliance
from .bench_serving import run as run_serving
from .bench_unlearning import run as run_unlearning
from .peers_section import run as run_peers

#: Every section after the foundation one (which makes the data): name -> runner.
SECTIONS = {
    "registry": lambda scale, data, workdir: registry_section.run(scale, data, workdir),
    "lineage": lambda scale, data, _: lineage_section.run(scale, data),
    "models": lambda scale, data, _: models_section.run(scale, data),
    "peers": lambda scale, data, _: run_peers(scale, data),
    "unlearning": lambda scale, data, _: run_unlearning(scale, data),
    "compliance": lambda scale, data, _: run_compliance(scale, data),
    "serving": lambda scale, data, _: run_serving(scale, data),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=["tiny", "small", "nyc"], default="small")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated sections to run (foundation, "
        + ", ".join(SECTIONS)
        + "); the others keep their last results. Without foundation, the world made "
        "by an earlier run in WORKDIR/world-SCALE is used.",
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    only = None if args.only is None else {s.strip() for s in args.only.split(",")}
    unknown = (only or set()) - set(SECTIONS) - {"foundation"}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    sections = []
    data = args.workdir / f"world-{args.scale}"
    if only is None or "foundation" in only:
        section, data = bench_foundation.run(args.scale, args.workdir)
        sections.append(("foundation", section))
    elif not data.exists():
        parser.error(f"{data} does not exist; run the foundation section first")
    for name, runner in SECTIONS.items():
        if only is None or name in only:
            sections.append((name, runner(args.scale, data, args.workdir)))
    path = write_results(args.scale, sections)
    for _, s in sections:
        for r in s.results:
            sys.stdout.write(f"{s.title[:40]:40} {r.name:30} {r.value:12.3f} {r.unit} {r.target}\n")
    sys.stdout.write(f"results written to {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
