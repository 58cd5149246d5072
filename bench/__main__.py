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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=["tiny", "small", "nyc"], default="small")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    sections = []
    section, data = bench_foundation.run(args.scale, args.workdir)
    sections.append(section)
    sections.append(registry_section.run(args.scale, data, args.workdir))
    sections.append(lineage_section.run(args.scale, data))
    sections.append(models_section.run(args.scale, data))
    sections.append(run_peers(args.scale, data))
    sections.append(run_unlearning(args.scale, data))
    sections.append(run_compliance(args.scale, data))
    sections.append(run_serving(args.scale, data))
    path = write_results(args.scale, sections)
    for s in sections:
        for r in s.results:
            sys.stdout.write(f"{s.title[:40]:40} {r.name:30} {r.value:12.3f} {r.unit} {r.target}\n")
    sys.stdout.write(f"results written to {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
