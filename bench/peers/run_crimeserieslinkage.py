"""Time crimeserieslinkage's ``compareСrimes`` (Cyrillic С) on given complaint pairs.

Runs inside the peer venv (``bench/out/peer-venv``: pandas < 3), never in the project's:
``peer-venv/bin/python run_crimeserieslinkage.py CRIMES.csv PAIRS.npz``. It imports
nothing from the project. ``CRIMES.csv`` holds ``crimeID, X, Y`` (metres, planar),
``DT.FROM, DT.TO`` and categorical MO columns; ``PAIRS.npz`` holds ``left`` and ``right``
row positions. Prints one JSON object: the pairs compared, the best wall time of the
comparison alone (reading the files and importing are not timed), and the peer's
``spatial`` column so that the caller can check it compared the very same pairs.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from importlib import metadata

import crimeserieslinkage
import numpy as np
import pandas as pd

#: The package spells its function with a Cyrillic capital Es (U+0421).
COMPARE = getattr(crimeserieslinkage, "compare\u0421rimes")  # noqa: B009 (spelt out)


def main(argv: list[str]) -> int:
    crimes_path, pairs_path = argv[0], argv[1]
    repeats = int(argv[2]) if len(argv) > 2 else 1
    crimes = pd.read_csv(crimes_path, dtype={"crimeID": str}, keep_default_na=True)
    crimes["DT.FROM"] = pd.to_datetime(crimes["DT.FROM"])
    crimes["DT.TO"] = pd.to_datetime(crimes["DT.TO"])
    categorical = [c for c in crimes.columns if c not in ("crimeID", "X", "Y", "DT.FROM", "DT.TO")]
    for column in categorical:
        crimes[column] = crimes[column].astype(object)
    varlist = {
        "crimeID": "crimeID",
        "spatial": ["X", "Y"],
        "temporal": ["DT.FROM", "DT.TO"],
        "categorical": categorical,
    }
    positions = np.load(pairs_path)
    ids = crimes["crimeID"].to_numpy(dtype=object)
    pairs = pd.DataFrame({"i1": ids[positions["left"]], "i2": ids[positions["right"]]})
    warnings.simplefilter("ignore")  # the peer's pandas idioms warn on every call
    COMPARE(pairs.iloc[:5].reset_index(drop=True), crimes, varlist)  # warm-up
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = COMPARE(pairs, crimes, varlist, binary=True, longlat=False)
        best = min(best, time.perf_counter() - start)
    out = {
        "pairs": len(pairs),
        "seconds": best,
        "pairs_per_s": len(pairs) / best,
        "columns": [str(c) for c in result.columns],
        "spatial_km": result["spatial"].astype(float).round(6).tolist(),
        "versions": {
            p: metadata.version(p) for p in ("crimeserieslinkage", "pandas", "numpy", "scipy")
        },
        "python": sys.version.split()[0],
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
