"""Supervision records: on which case a person was on parole or probation on a given day.

The evidence behind the access gate's two supervision bases (CPL 160.50(1)(d)(iv) and
(vi), and the same paragraphs of 160.55): DOCCS may see a sealed record "when the accused
is on parole supervision for a conviction in a different case", the probation department
"where the arrest occurred while the accused was under its supervision" (SEALING_RULES.md,
"Who may access"). Supervision is read from the person's court events (CONTRACT.md,
``court_events``): a ``SENTENCE`` with ``SUPERVISION`` PROBATION or PAROLE starts it (the
contract's spelling of SEALING_RULES.md's SUPERVISION_START), ``RELEASE``,
``SUPERVISION_REVOKED`` and ``SUPERVISION_END`` move it on.

Where the contract is silent, the choices (and why):

* A case is a docket: ``(ARREST_KEY, DOCKET_ID)``, a null DOCKET_ID being the arrest's
  single docket. Only a case's latest SENTENCE on or before the day counts (a resentence
  replaces the sentence before it, as the rules engine reads sentences), and only events
  dated on or before the day: what happened later is not known then.
* Probation commences on the day it is imposed (PL 65.15(1)), a split sentence's jail term
  included, and lasts until a SUPERVISION_REVOKED or a SUPERVISION_END.
* Parole follows prison: a PAROLE sentence with INCARCERATION starts it at the next
  RELEASE, one without at the sentence itself. A SUPERVISION_REVOKED (revocation and
  reincarceration) suspends it until the next RELEASE (re-release to parole); a
  SUPERVISION_END ends it for good.
* Events of one day are taken in the order SENTENCE, RELEASE, SUPERVISION_REVOKED,
  SUPERVISION_END, so a stop on the day of a start wins: the gate denies by default, and a
  doubt about the supervision record goes against access.
* CONDITIONAL_DISCHARGE and NONE are no supervision.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..tables import isin

__all__ = ["SUPERVISION_EVENT_TYPES", "supervising_cases"]

#: The court events that start, suspend or end a supervision, in their same-day order.
SUPERVISION_EVENT_TYPES = ("SENTENCE", "RELEASE", "SUPERVISION_REVOKED", "SUPERVISION_END")
_RANK = {etype: rank for rank, etype in enumerate(SUPERVISION_EVENT_TYPES)}
_STOPS = ("SUPERVISION_REVOKED", "SUPERVISION_END")
_CASE = ["ARREST_KEY", "DOCKET"]
_COLUMNS = ["ARREST_KEY", "DOCKET_ID", "SINCE"]


def supervising_cases(
    events: pd.DataFrame, kind: str, day: date, *, start_on_day: bool = True
) -> pd.DataFrame:
    """The cases under which ``kind`` supervision was running on ``day``.

    Parameters
    ----------
    events : DataFrame
        Court events (``court_events`` columns), typically one person's: every case in
        them is considered, so the caller leaves out the case a request is about.
    kind : {"PAROLE", "PROBATION"}
        The supervision asked about.
    day : date
        The day of the question: the request's as-of date for parole, the arrest's date
        for probation.
    start_on_day : bool, default True
        Whether a stint that starts on ``day`` itself counts. False where the order of two
        things on that day is unknown and matters (a probation sentence imposed on the day
        of the arrest it should cover): the doubt goes against access. A resentence on
        ``day`` still ends the sentence before it.

    Returns
    -------
    DataFrame
        ``ARREST_KEY``, ``DOCKET_ID`` (null for an arrest's single docket) and ``SINCE``
        (the start of the running stint: the sentence, or the latest release to parole),
        one row per supervising case, sorted by ``SINCE`` then key.
    """
    if kind not in ("PAROLE", "PROBATION"):
        raise ValueError(f"kind must be PAROLE or PROBATION, not {kind!r}")
    cutoff = pd.Timestamp(day)
    ev = events.loc[
        isin(events["EVENT_TYPE"], list(SUPERVISION_EVENT_TYPES)),
        ["ARREST_KEY", "DOCKET_ID", "EVENT_TYPE", "EVENT_DATE", "INCARCERATION", "SUPERVISION"],
    ]
    ev = ev[(ev["EVENT_DATE"] <= cutoff).to_numpy(dtype=bool)]
    if ev.empty:
        return pd.DataFrame(columns=_COLUMNS)
    ev = ev.assign(
        DOCKET=ev["DOCKET_ID"].fillna("").astype(str),
        RANK=ev["EVENT_TYPE"].map(_RANK),
    ).sort_values([*_CASE, "EVENT_DATE", "RANK"], kind="stable")
    # each case's rows from its latest SENTENCE on: the sentence is the segment's first row
    sentence = ev["EVENT_TYPE"].eq("SENTENCE")
    segment = sentence.groupby([ev[c] for c in _CASE], sort=False).cumsum()
    latest = segment.groupby([ev[c] for c in _CASE], sort=False).transform("max")
    ev = ev[(segment.eq(latest) & segment.gt(0)).to_numpy(dtype=bool)]
    # the sentence's SUPERVISION and INCARCERATION on every row of its case
    first = ~ev.duplicated(_CASE).to_numpy()
    sentenced = pd.DataFrame({c: ev[c].where(first) for c in ("SUPERVISION", "INCARCERATION")})
    sentenced = sentenced.groupby([ev[c] for c in _CASE], sort=False).ffill()
    ev = ev[sentenced["SUPERVISION"].eq(kind).fillna(False).to_numpy(dtype=bool)]
    if ev.empty:
        return pd.DataFrame(columns=_COLUMNS)
    etype = ev["EVENT_TYPE"]
    jailed = sentenced.loc[ev.index, "INCARCERATION"].fillna(False).astype(bool)
    if kind == "PROBATION":
        starts, stops = etype.eq("SENTENCE"), etype.isin(_STOPS)
    else:  # PAROLE: at liberty after the sentence (no prison) or a release; back in on revocation
        starts = (etype.eq("SENTENCE") & ~jailed) | etype.eq("RELEASE")
        stops = (etype.eq("SENTENCE") & jailed) | etype.isin(_STOPS)
    ev["MARK"] = np.select([starts.to_numpy(), stops.to_numpy()], [1.0, 0.0], np.nan)
    ev["START"] = ev["EVENT_DATE"].where(starts)
    ev["ENDED"] = etype.eq("SUPERVISION_END")
    per_case = ev.groupby(_CASE, sort=False).agg(
        MARK=("MARK", "last"),  # the last start or stop: skips rows that are neither
        SINCE=("START", "max"),
        ENDED=("ENDED", "any"),
        DOCKET_ID=("DOCKET_ID", "first"),
    )
    running = per_case["MARK"].eq(1.0) & ~per_case["ENDED"]
    if not start_on_day:
        running &= per_case["SINCE"] < cutoff
    running = per_case[running].reset_index()
    return running.sort_values(["SINCE", *_CASE], kind="stable")[_COLUMNS].reset_index(drop=True)
