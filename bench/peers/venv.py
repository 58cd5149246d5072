"""The crimeserieslinkage peer's own virtualenv, created on first use.

crimeserieslinkage needs pandas < 3 (and igraph, matplotlib, tqdm), which cannot live in
the project's venv (pandas 3), so the peer runs in ``bench/out/peer-venv`` (gitignored)
as a child process. The venv is built from PyPI the first time and reused while its
stamp matches :data:`REQUIREMENTS`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .._harness import ROOT

VENV = ROOT / "bench" / "out" / "peer-venv"
#: The peer pinned, so that a re-run measures the same code; pandas < 3 is what it needs.
#: numpy is left to the resolver (2.4 today): numpy >= 2.4 is what turns the peer's
#: one-element-array assignment on zero-width time windows into an error.
REQUIREMENTS = ("crimeserieslinkage==1.1.0", "pandas>=2.2,<3")
_STAMP = ".peer-requirements"


def peer_python(venv: Path = VENV) -> Path:
    """The peer venv's interpreter, creating or refreshing the venv when needed."""
    python = venv / "bin" / "python"
    stamp = venv / _STAMP
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if venv.exists():
        shutil.rmtree(venv)
    _run([sys.executable, "-m", "venv", str(venv)])
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *REQUIREMENTS,
        ]
    )
    stamp.write_text(wanted)
    return python


def _run(args: list[str]) -> None:
    """Run quietly; on failure show the tail of what the command said."""
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write((done.stdout + done.stderr)[-4000:])
        raise RuntimeError(f"{' '.join(args[:4])} ... exited {done.returncode}")
