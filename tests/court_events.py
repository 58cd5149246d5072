"""New court events tests add to a world: dismissals that seal arrests under CPL 160.50."""

from __future__ import annotations

import pandas as pd

from sanitizer.tables import make_frame


def dismissals(keys, day: str = "2026-05-01", prefix: str = "TEST-SEAL"):
    """A ``court_events`` frame dismissing each arrest of ``keys`` on ``day``."""
    return make_frame(
        "court_events",
        [
            {
                "EVENT_ID": f"{prefix}-{key}",
                "ARREST_KEY": key,
                "EVENT_TYPE": "DISPOSITION",
                "EVENT_DATE": pd.Timestamp(day),
                "SOURCE": "OCA",
                "DISPOSITION": "DISMISSAL",
                "ENTIRE_INSTRUMENT": True,
            }
            for key in keys
        ],
    )
