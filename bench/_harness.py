"""Shared benchmark plumbing: timing child processes, describing the machine, writing results.

Each measured step runs as its own process so that its peak memory (``ru_maxrss`` of the
child) is its own; figures are wall-clock seconds on a shared, noisy machine, so peers are
run side by side in the same session and compared as ratios.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


@dataclass
class Result:
    """One measured figure, with the target it is held to."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass
class Section:
    title: str
    results: list[Result] = field(default_factory=list)

    def add(self, *args, **kwargs) -> Result:
        result = Result(*args, **kwargs)
        self.results.append(result)
        return result


def run_child(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MiB of that very child, stdout).

    ``os.wait4`` gives the resource usage of this child alone, unlike
    ``RUSAGE_CHILDREN``, which keeps the maximum over every child so far.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        sys.stderr.write(stderr[-4000:])
        raise RuntimeError(f"{' '.join(args)} exited {child.returncode}")
    return seconds, usage.ru_maxrss / 1024.0, stdout


def sanitizer_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "sanitizer", *args]


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("numpy", "pandas", "pyarrow", "scikit-learn", "duckdb", "SQLAlchemy")
    )
    return (
        f"{cpu}; {os.cpu_count()} cores; {memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}"
    )


#: The order sections appear in within a scale's block.
SECTION_ORDER = (
    "foundation",
    "registry",
    "lineage",
    "models",
    "peers",
    "unlearning",
    "compliance",
    "serving",
)


def render_section(key: str, section: Section) -> str:
    """One section's table, between markers, with when and where it was measured."""
    lines = [
        f"<!-- section:{key} -->",
        f"### {section.title}",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine_description()}.",
        "",
        "| measure | value | target | met | note |",
        "|---|---|---|---|---|",
    ]
    for r in section.results:
        met = "" if r.passed is None else ("yes" if r.passed else "**no**")
        value = f"{r.value:,.3g}" if abs(r.value) < 1000 else f"{r.value:,.0f}"
        lines.append(f"| {r.name} | {value} {r.unit} | {r.target} | {met} | {r.note} |")
    lines += ["", f"<!-- /section:{key} -->"]
    return "\n".join(lines)


#: Section titles of blocks written before sections had markers, by key.
_LEGACY_TITLES = {
    "foundation": "Synthetic world",
    "registry": "Sealing registry",
    "lineage": "Sanitizer and lineage",
    "models": "Pattern model",
    "peers": "Pattern-model peers",
    "unlearning": "Unlearning",
    "compliance": "Continuous compliance",
    "serving": "Certified serving",
}


def _sections_of(block: str) -> dict[str, str]:
    found = re.finditer(r"<!-- section:(\w+) -->.*?<!-- /section:\1 -->", block, re.S)
    sections = {m.group(1): m.group(0) for m in found}
    if sections or "### " not in block:
        return sections
    # an older block: one "Measured" line, then "### title" tables; keep each table
    measured = re.search(r"^Measured .*$", block, re.M)
    when = measured.group(0) if measured else ""
    body = block.split("<!-- /scale:")[0]
    for chunk in re.split(r"^(?=### )", body, flags=re.M)[1:]:
        title, _, table = chunk.partition("\n")
        matches = [k for k, t in _LEGACY_TITLES.items() if title[4:].startswith(t)]
        key = max(matches, key=lambda k: len(_LEGACY_TITLES[k]), default=None)
        if key is not None:
            sections[key] = (
                f"<!-- section:{key} -->\n{title}\n\n{when}\n{table.rstrip()}\n\n"
                f"<!-- /section:{key} -->"
            )
    return sections


def render(scale: str, sections: list[tuple[str, Section]], previous: str = "") -> str:
    """The scale's block: these sections, plus the previous block's other sections."""
    kept = _sections_of(previous)
    kept.update({key: render_section(key, section) for key, section in sections})
    order = [k for k in SECTION_ORDER if k in kept] + sorted(set(kept) - set(SECTION_ORDER))
    lines = [f"<!-- scale:{scale} -->", f"## Scale `{scale}`", ""]
    for key in order:
        lines += [kept[key], ""]
    lines.append(f"<!-- /scale:{scale} -->")
    return "\n".join(lines)


def write_results(scale: str, sections: list[tuple[str, Section]]) -> Path:
    """Replace these sections in this scale's block of docs/benchmarks.md.

    Other scales, and sections of this scale that were not run (``--only``), keep their
    last results, each with its own date.
    """
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench [SCALE=small|nyc]` (`python -m bench`); each section is\n"
        "replaced by the latest run of it at that scale. Wall-clock figures from a shared 2-core\n"
        "machine: compare ratios measured in the same run, not absolute seconds across runs.\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else header
    pattern = re.compile(rf"<!-- scale:{scale} -->.*?<!-- /scale:{scale} -->", re.S)
    found = pattern.search(text)
    block = render(scale, sections, found.group(0) if found else "")
    text = pattern.sub(lambda _: block, text) if found else text + "\n" + block + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    return RESULTS
