"""The reference rules engine: one person's history, replayed in plain Python.

This is the readable statement of the rules (SEALING_RULES.md, "Engineering
specification"); the fast engine (``_engine``) must give the same answer for every input
and is property-tested against it. Each docket is evaluated rule by rule: every rule that
applies proposes a *candidate* (status, since, trigger), and the docket takes the
highest-precedence candidate (ties: the earliest ``since``, then a fixed rule order), so
the precedence list in "Statuses" wins over the pseudo-code's order of returns.

Choices where SEALING_RULES.md is silent or ambiguous (each also said in a reason text or
listed in the report):

* A docket's "favourable termination" is its latest entire-instrument favourable
  DISPOSITION, or the deemed dismissal of an ACD that ran its course, whichever is
  *earlier* (the sealing began then: an early dismissal during a running ACD seals from
  the dismissal). A CONVICTION on the docket dated after the DISPOSITION (or after the
  ACD's grant) supersedes it (a new trial; an ACD so ended is as if restored). A
  DISMISSED_AS_COVERED on the docket ends every favourable termination and ACD of it.
* A People's appeal counts only for the terminations of 160.50(3)(b), (d), (e), (f)
  (``PEOPLE_APPEALABLE``: not an acquittal, a dismissal on appeal under CPL art. 470, a
  habeas discharge or a certification), and only if filed within
  ``people_appeal_window_days`` of it; if the People win, the termination no longer counts.
* A SEALING_DENIED_IJ applies to the termination it follows: the first one dated on or
  after the favourable DISPOSITION (the ACD's grant; the violation conviction for 160.55).
* The latest CONVICTION, SENTENCE of a docket are the ones that count. A conviction without
  a SENTENCE starts its Clean Slate clock at the conviction date.
* Incarceration starts with an incarcerating SENTENCE or a SUPERVISION_REVOKED; the clock
  starts at the latest RELEASE on or after the latest such start, and has not started if
  there is none. A RELEASE without any incarceration is ignored.
* Supervision: the latest SENTENCE with PROBATION or PAROLE blocks until a SUPERVISION_END
  on or after that sentence; that end date is a floor for the eligible date.
* Reset rule: every other crime conviction of the person (MISDEMEANOR or FELONY_*), still a
  conviction at the as-of date (no favourable termination, not expunged), with a
  conviction date on or after this one, pushes this clock's start to its own start. The
  reset is applied to DWAI clocks too, as the pseudo-code does.
* Pending charge: another arrest of the person, LAW_CAT_CD F or M, made after the
  conviction, with a docket whose *person-independent* status (Clean Slate and 160.58
  rearrest rules left out) is OPEN, ACD_PENDING or APPEAL_PENDING. Leaving out the
  person-level rules avoids circular dependencies between a person's arrests. A blocked
  clock elapses, if nothing else happens, when the last such charge stops pending: a
  running ACD at its end (unless the docket would then be OPEN again), an OPEN or
  APPEAL_PENDING case never (no date). A charge that stopped pending did so when its case
  ended (``_Docket.term_end``), whatever sealing, motion order, interests-of-justice
  denial or NOTICE followed: at its favourable termination (an ACD's deemed dismissal;
  the decision of a People's appeal it survived, having been pending on appeal until
  then), but at an earlier conviction on the docket if it terminated a conviction (a
  vacatur, a verdict set aside); else at its conviction or dismissal as covered; without
  any of these, at its local status's ``since``, and never after that ``since``. The
  clock's eligible date is not before it (so CSA_ELIGIBLE's ``since`` is when the last
  pending charge ended).
* 160.58: the sealing starts at the earliest SEAL_160_58 order or 160.58 SEAL notice;
  the latest later F/M arrest of the person reopens it, and it reseals when every docket
  of that arrest has terminated favourably (160.50) or by a violation (160.55), from the
  latest of the days they so terminated (the pseudo-code's ``tr``). Read literally, that
  is a fact about how the case *ended*, not about the rearrest's own sealing, so the day
  a docket terminated is (the earliest of):

  - its favourable termination that still counts (``_Docket.fav58``): the DISPOSITION,
    the deemed dismissal of an ACD that ran its course, or the decision of a People's
    appeal it survived (until then it had not terminated favourably under 160.50(3));
    even when its own sealing then needs a pre-1976 motion (dated the termination, not
    the motion order) or was denied in the interests of justice;
  - its violation or traffic-infraction conviction (not DWAI, which 160.55 excludes):
    the conviction date, even when its own 160.55 sealing waits for the end of a
    conditional discharge (``seal_160_55_at_cd_end`` dates only the violation's own
    sealing), needs a pre-1991 motion or was denied in the interests of justice;
  - its status's ``since`` when that is SEALED_160_50, SEALED_160_55 (e.g. a NOTICE
    alone) or EXPUNGED (a (3)(k) expungement deems the case terminated in favour).

  A later UNSEAL NOTICE of the rearrest's own 160.50/160.55 sealing does not undo how
  its case ended. Court orders are honoured as recorded, whether or not a conviction is
  on file. If nothing else happens, a reopened sealing reseals when the rearrest's last
  docket terminates: a running ACD at its end (no earlier favourable termination
  deciding it); otherwise never (no date).
* NOTICEs: SEAL (statute 160.50/55/57/58/59) is evidence of that sealing from its date and
  makes the status NOTICE_CONFIRMED; UNSEAL cancels that statute's sealing evidence dated
  on or before it (the docket is then NOT_SEALED, or UNSEALED_160_58_REARREST for 160.58);
  EXPUNGE expunges whatever the statute.
* DISMISSED_AS_COVERED gives NOT_SEALED (terminated, never sealed).
* Expungement: every matching (3)(k) paragraph proposes a date; the earliest wins (ties:
  the order (ii), (iii), (vi), (v), (i), (iv)).
* A Clean Slate clock reset to a later conviction still being served (no RELEASE) is
  CSA_AWAITING_RELEASE naming that arrest, not CSA_INCARCERATED (kept for the docket's own
  sentence).
* 160.50(3)(k)(i) uses the art. 221 start date 1977-07-29 [M]; (k)(iv) (PL 240.37), when
  computed at all, runs from 2021-02-02 [M].
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._common import (
    APPEAL_DISMISSAL,
    ART_221_EFFECTIVE,
    CPL_160_55_EFFECTIVE,
    CRIME_CLASSES,
    CSA_OPERATIVE,
    DWAI,
    FAVOURABLE,
    K_II,
    K_III,
    K_V,
    K_VI,
    MARIHUANA_2019,
    MRTA,
    NAT,
    NEVER,
    NOT_STARTED,
    NOTE_215_40,
    NOTE_CHARGE_LEVEL,
    NOTE_CSA_RESET,
    PENDING_STATUSES,
    PEOPLE_APPEALABLE,
    PL_240_37_REPEAL,
    RANK,
    RESEALING_STATUSES,
    SUPERVISED,
    VIOLATION_CLASSES,
    add_months,
    check_inputs,
    to_day,
)
from ._policy import DEFAULT, RulesConfig
from ._result import DECISION_COLUMNS, RegistryResult, finish

__all__ = ["evaluate_reference", "SRC"]

#: Fixed order of candidate sources: the last tie-break between candidates.
SRC = {
    "EXP": 0,
    "S50": 1,
    "FAV": 2,
    "ACD": 3,
    "S55": 4,
    "V55": 5,
    "S59": 6,
    "S57": 7,
    "S58": 8,
    "CSA": 9,
    "U50": 10,
    "U55": 11,
    "U59": 12,
    "U57": 13,
    "COV": 14,
    "OPEN": 15,
}
_SEALED_BY_KEY = {
    "50": "SEALED_160_50",
    "55": "SEALED_160_55",
    "59": "SEALED_160_59",
    "57": "SEALED_160_57",
}


class Cand(NamedTuple):
    """One rule's proposal for a docket."""

    status: str
    since: np.datetime64
    src: str
    rule: str
    trigger: str | None = None
    cpl: str | None = None
    term: str | None = None
    detail: str | None = None
    confirmed: bool = False

    def key(self):
        return (RANK[self.status], self.since, SRC[self.src])


def _d(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).date(), "D") if not pd.isna(value) else NAT


def _months(day: np.datetime64, months: int) -> np.datetime64:
    return add_months(np.array([day]), months)[0]


def _s(value):
    return None if pd.isna(value) else str(value)


class _Docket:
    """Everything the rules know about one docket after its person-independent rules."""

    def __init__(self, arrest, docket_id, events, asof, config):
        self.arrest = arrest
        self.docket_id = docket_id
        self.events = sorted(events, key=lambda e: (e.date, e.id))
        self.asof = asof
        self.config = config
        self.notes = 0
        self.clock_acd = NAT
        self.clock_v55 = NAT
        self.clock_csa = NAT
        self.clock_s58 = NAT
        self.acd_end = NAT  # end of a running (not restored) ACD
        self.term_end = NAT  # the day its case ended, by the disposition that ended it
        self.has_fav = False  # an entire-instrument favourable DISPOSITION that still counts
        self.fav58 = None  # (day, trigger) of a favourable termination that still counts
        self.v58 = None  # (day, trigger) of a violation conviction (160.55, not DWAI)
        self.cands: list[Cand] = []
        self.person_cands: list[Cand] = []
        self.favourable = False
        self.expunged = False
        self.conv = None
        self.start = None
        self._local()

    # helpers over the sorted events ---------------------------------------------
    def last(self, pred):
        found = None
        for e in self.events:
            if pred(e):
                found = e
        return found

    def first(self, pred):
        for e in self.events:
            if pred(e):
                return e
        return None

    def all(self, pred):
        return [e for e in self.events if pred(e)]

    def _local(self):
        cfg, asof = self.config, self.asof
        a = self.arrest
        self.cands.append(Cand("OPEN", a.date, "OPEN", "OPEN"))

        def denial_after(day):
            """The interests-of-justice denial of a termination on ``day`` (on or after it)."""
            return self.first(lambda e: e.type == "SEALING_DENIED_IJ" and e.date >= day)

        def order(kind):
            return self.first(lambda e: e.type == "COURT_ORDER" and e.order == kind)

        motion50, motion55, order59 = (
            order("SEAL_160_50_MOTION"),
            order("SEAL_160_55_MOTION"),
            order("SEAL_160_59"),
        )
        cutoff = np.datetime64(cfg.pre_1976_cutoff, "D")
        conv = self.last(lambda e: e.type == "CONVICTION")
        covered = self.last(lambda e: e.type == "DISPOSITION" and e.disp == "DISMISSED_AS_COVERED")

        def superseded(day):
            """Whether a favourable event of ``day`` no longer counts.

            A dismissal as covered ends every favourable termination of the docket (never
            sealed); a later conviction on the docket (a new trial) ends one made before it.
            """
            return covered is not None or (conv is not None and conv.date > day)

        # favourable terminations (160.50) and ACDs
        fav_types = set(FAVOURABLE) - {"ACD"}
        if any(
            e.type == "DISPOSITION"
            and not e.entire
            and (e.disp in fav_types or e.disp == "ACD_GRANTED")
            for e in self.events
        ):
            self.notes |= NOTE_CHARGE_LEVEL
        fav = self.last(lambda e: e.type == "DISPOSITION" and e.disp in fav_types and e.entire)
        acd = self.last(lambda e: e.type == "DISPOSITION" and e.disp == "ACD_GRANTED" and e.entire)
        if fav is not None and superseded(fav.date):
            fav = None
        if acd is not None and superseded(acd.date):
            acd = None
        self.has_fav = fav is not None
        terms = []  # (sealing date, trigger id, type, CPL section, date of its event)
        if fav is not None:
            terms.append((fav.date, fav.id, fav.disp, fav.cpl, fav.date))
        if acd is not None:
            cpl = acd.cpl or ""
            legacy = bool(pd.Series([cpl]).str.contains(r"170\.56|210\.46").iloc[0])
            if pd.Series([cpl]).str.contains(r"215\.40").iloc[0]:
                self.notes |= NOTE_215_40
            months = (
                cfg.family_acd_months
                if acd.family
                else cfg.legacy_marijuana_acd_months
                if legacy
                else cfg.acd_months
            )
            end = _months(acd.date, months)
            restored = any(
                e.type == "DISPOSITION" and e.disp == "ACD_RESTORED" and acd.date <= e.date < end
                for e in self.events
            )
            acd_cpl = acd.cpl if acd.cpl is not None else "CPL 170.55"
            if not restored and asof < end:
                rule = "ACD_PENDING_LEGACY" if legacy else "ACD_PENDING"
                self.cands.append(Cand("ACD_PENDING", acd.date, "ACD", rule, acd.id, acd_cpl))
                self.acd_end = end
                if denial_after(acd.date) is None and (end >= cutoff or motion50 is not None):
                    self.clock_acd = end
            elif not restored:
                terms.append((end, acd.id, "ACD", acd_cpl, acd.date))
        computed50 = None
        if terms:
            # the sealing began at the earliest favourable termination
            t_date, t_id, t_type, t_cpl, t_event = min(terms, key=lambda t: (t[0], t[1]))
            window = t_date + np.timedelta64(cfg.people_appeal_window_days, "D")
            appealable = t_type in PEOPLE_APPEALABLE and not (
                t_type == "DISMISSAL" and re.search(APPEAL_DISMISSAL, t_cpl or "")
            )
            appeal = (
                self.last(lambda e: e.type == "PEOPLE_APPEAL_FILED" and t_date <= e.date <= window)
                if appealable
                else None
            )
            sealed_from, trig, live = t_date, t_id, True
            if appeal is not None:
                decision = self.last(lambda e: e.type == "APPEAL_DECIDED" and e.date >= appeal.date)
                if decision is None:
                    self.cands.append(
                        Cand(
                            "APPEAL_PENDING",
                            appeal.date,
                            "FAV",
                            "FAV_APPEAL",
                            appeal.id,
                            t_cpl,
                            t_type,
                        )
                    )
                    self.favourable = True
                    live = False
                elif decision.for_people:
                    live = False
                else:
                    sealed_from, trig = decision.date, decision.id
            ij = denial_after(t_event)
            if live:
                self.favourable = True
                # what a 160.58 resealing reads: the termination, whatever its own sealing
                self.fav58 = (sealed_from, trig)
                # the case ended at the termination (at the decision of a People's appeal
                # it survived); one that ended a conviction (a vacatur) ended nothing new
                self.term_end = sealed_from
                if appeal is None and t_type != "ACD" and conv is not None:
                    self.term_end = min(sealed_from, conv.date)
                if t_date < cutoff and motion50 is None:
                    self.cands.append(
                        Cand(
                            "MOTION_REQUIRED_PRE_EFFECTIVE",
                            sealed_from,
                            "FAV",
                            "FAV_MOTION",
                            trig,
                            t_cpl,
                            t_type,
                        )
                    )
                elif ij is not None:
                    since = max(sealed_from, ij.date)
                    self.cands.append(
                        Cand("SEALING_DENIED_IJ", since, "FAV", "FAV_IJ", ij.id, t_cpl, t_type)
                    )
                else:
                    since = sealed_from
                    if t_date < cutoff and motion50.date >= since:
                        since, trig = motion50.date, motion50.id
                    computed50 = Cand(
                        "SEALED_160_50", since, "S50", "FAV_SEALED", trig, t_cpl, t_type
                    )

        if covered is not None:
            self.cands.append(Cand("NOT_SEALED", covered.date, "COV", "COVERED", covered.id))
        if np.isnat(self.term_end):
            # no favourable termination: the case ended at its conviction or its dismissal
            # as covered, whatever sealing (160.55, expungement, a NOTICE) came later
            ended = [e.date for e in (conv, covered) if e is not None]
            self.term_end = min(ended) if ended else NAT

        # convictions
        self.conv = conv
        computed55 = None
        computed_exp = None
        if conv is not None:
            sec, cls = conv.section, conv.cls
            # every (k) paragraph that matches proposes a date: the earliest wins
            k_rules = []
            if sec in K_II and conv.date < MARIHUANA_2019:
                k_rules.append((MARIHUANA_2019, "EXP_K_II"))
            if sec in K_III:
                k_rules.append((max(conv.date, MRTA), "EXP_K_III"))
            if sec in K_VI:
                k_rules.append((conv.date, "EXP_K_VI"))
            if sec in K_V and conv.cannabis and conv.date < MRTA:
                k_rules.append((MRTA, "EXP_K_V"))
            if (
                sec is not None
                and (sec.startswith("PL 220.") or sec == "PL 240.36")
                and conv.cannabis
                and conv.date < ART_221_EFFECTIVE
                and cls in ("MISDEMEANOR", "VIOLATION")
            ):
                k_rules.append((max(conv.date, MARIHUANA_2019), "EXP_K_I"))
            if sec == "PL 240.37" and not cfg.pl_240_37_expunge_on_notice_only:
                k_rules.append((max(conv.date, PL_240_37_REPEAL), "EXP_K_IV"))
            if k_rules:
                # ties: the first in the order above
                since, rule = min(k_rules, key=lambda k: k[0])
                if since <= asof:
                    computed_exp = Cand("EXPUNGED_160_50_5", since, "EXP", rule, conv.id)
            dwai = sec == DWAI
            sent = self.last(lambda e: e.type == "SENTENCE")
            self.sent = sent
            if cls in VIOLATION_CLASSES and not dwai:
                # what a 160.58 resealing reads: the conviction, whatever its own sealing
                self.v58 = (conv.date, conv.id)
                if (
                    cfg.seal_160_55_at_cd_end
                    and sent is not None
                    and sent.sup == "CONDITIONAL_DISCHARGE"
                ):
                    seal_date = _months(sent.date, cfg.conditional_discharge_months)
                    trig, rule55 = sent.id, "V55_CD"
                else:
                    seal_date, trig, rule55 = conv.date, conv.id, "V55_SEALED"
                pre = conv.date < CPL_160_55_EFFECTIVE
                if pre and motion55 is None:
                    self.cands.append(
                        Cand(
                            "MOTION_REQUIRED_PRE_EFFECTIVE", conv.date, "V55", "V55_MOTION", conv.id
                        )
                    )
                elif (ij := denial_after(conv.date)) is not None:
                    self.cands.append(
                        Cand("SEALING_DENIED_IJ", max(conv.date, ij.date), "V55", "V55_IJ", ij.id)
                    )
                elif asof < seal_date:
                    self.cands.append(Cand("NOT_SEALED", conv.date, "V55", "V55_WAIT", conv.id))
                    self.clock_v55 = seal_date
                else:
                    since = seal_date
                    if pre and motion55.date >= since:
                        since, trig = motion55.date, motion55.id
                    computed55 = Cand("SEALED_160_55", since, "S55", rule55, trig)
            elif cls in CRIME_CLASSES or dwai:
                self.csa = True
                self.cands_local_csa = Cand("NOT_SEALED", conv.date, "CSA", "CSA_WAITING", conv.id)
                self._clock_start(sent)

        # expungement
        expunge = self.first(lambda e: e.type == "NOTICE" and e.action == "EXPUNGE")
        exp_cands = [c for c in (computed_exp,) if c is not None]
        if expunge is not None:
            exp_cands.append(
                Cand("EXPUNGED_160_50_5", expunge.date, "EXP", "EXP_NOTICE", expunge.id)
            )
        if exp_cands:
            best = min(exp_cands, key=lambda c: (c.since, 0 if c.rule != "EXP_NOTICE" else 1))
            self.cands.append(best._replace(confirmed=expunge is not None))
            self.expunged = True

        # sealing evidence per statute, with NOTICEs
        computed59 = (
            Cand("SEALED_160_59", order59.date, "S59", "S59_ORDER", order59.id)
            if order59 is not None
            else None
        )
        for key, computed in (
            ("50", computed50),
            ("55", computed55),
            ("59", computed59),
            ("57", None),
        ):
            self._evidence(key, computed)

        # 160.58 starts (person-level rules come later)
        u58 = self.last(lambda e: e.type == "NOTICE" and e.action == "UNSEAL" and e.skey == "58")
        starts = self.all(
            lambda e: (
                (e.type == "COURT_ORDER" and e.order == "SEAL_160_58")
                or (e.type == "NOTICE" and e.action == "SEAL" and e.skey == "58")
            )
        )
        kept = [s for s in starts if u58 is None or s.date > u58.date]
        self.start58 = kept[0] if kept else None
        self.confirmed58 = any(s.type == "NOTICE" for s in kept)
        if u58 is not None and len(kept) < len(starts):
            self.person_cands.append(
                Cand(
                    "UNSEALED_160_58_REARREST",
                    u58.date,
                    "S58",
                    "S58_UNSEAL_NOTICE",
                    u58.id,
                    confirmed=True,
                )
            )

    def _evidence(self, key, computed):
        u = self.last(lambda e: e.type == "NOTICE" and e.action == "UNSEAL" and e.skey == key)
        seals = self.all(lambda e: e.type == "NOTICE" and e.action == "SEAL" and e.skey == key)
        kept_c = (
            computed if computed is not None and (u is None or computed.since > u.date) else None
        )
        kept_n = [n for n in seals if u is None or n.date > u.date]
        notice = kept_n[0] if kept_n else None
        status = _SEALED_BY_KEY[key]
        if kept_c is not None and (notice is None or kept_c.since <= notice.date):
            self.cands.append(kept_c._replace(confirmed=notice is not None))
        elif notice is not None:
            self.cands.append(
                Cand(status, notice.date, f"S{key}", "NOTICE_SEAL", notice.id, confirmed=True)
            )
        if u is not None and (
            (computed is not None and computed.since <= u.date) or len(kept_n) < len(seals)
        ):
            self.cands.append(
                Cand("NOT_SEALED", u.date, f"U{key}", "UNSEAL_NOTICE", u.id, confirmed=True)
            )

    def _clock_start(self, sent):
        conv = self.conv
        base = sent.date if sent is not None else conv.date
        starts = [e.date for e in self.events if e.type == "SUPERVISION_REVOKED"]
        if sent is not None and sent.incarc:
            starts.append(sent.date)
        releases = [e.date for e in self.events if e.type == "RELEASE"]
        if starts:
            inc = max(starts)
            rel = max(releases) if releases else None
            self.start = rel if rel is not None and rel >= inc else NOT_STARTED
        else:
            self.start = base

    def local_best(self) -> Cand:
        cands = list(self.cands)
        if getattr(self, "csa", False):
            cands.append(self.cands_local_csa)
        return min(cands, key=Cand.key)

    def pending_end(self) -> np.datetime64:
        """When this docket stops (stopped) being a pending charge, if nothing else happens.

        A docket that is not pending stopped when its case ended (``term_end``), not later
        than its local status's ``since`` (a later sealing by motion, at the end of a
        conditional discharge, a denial in the interests of justice or a NOTICE does not
        move it); an OPEN or APPEAL_PENDING docket never stops (``NEVER``); a running ACD
        stops at its end, unless the docket would then be OPEN again (its earlier
        favourable termination no longer counts and no other rule gives it a status).
        """
        best = self.local_best()
        if best.status == "ACD_PENDING":
            others = getattr(self, "csa", False) or any(
                c.status not in ("OPEN", "ACD_PENDING") for c in self.cands
            )
            if not self.has_fav or others:
                return self.acd_end
        if best.status in PENDING_STATUSES:
            return NEVER
        return best.since if np.isnat(self.term_end) else min(best.since, self.term_end)

    def ended_well(self):
        """(day, trigger) this docket terminated favourably or by violation; None if not.

        What reseals a reopened 160.58 sealing (module docstring): the earliest of its
        favourable termination that still counts, its violation conviction and, for a
        SEALED_160_50/55 or EXPUNGED status, that status's ``since`` (ties in that order).
        Its own sealing (a conditional discharge's end, a motion order, a denial in the
        interests of justice, an UNSEAL NOTICE) does not move or cancel it.
        """
        options = [(x[0], i, x[1]) for i, x in enumerate((self.fav58, self.v58)) if x]
        best = self.local_best()
        if best.status in RESEALING_STATUSES:
            options.append((best.since, 2, best.trigger))
        if not options:
            return None
        day, _, trigger = min(options, key=lambda o: (o[0], o[1]))
        return day, trigger

    def reseal_on(self) -> np.datetime64:
        """When this docket terminates (terminated) well for 160.58 if nothing else happens.

        The day of ``ended_well`` if it already did; else a running ACD's end (its deemed
        dismissal, when no earlier favourable termination decides the docket); else
        ``NEVER``.
        """
        ended = self.ended_well()
        if ended is not None:
            return ended[0]
        if not self.has_fav and not np.isnat(self.acd_end):
            return self.acd_end
        return NEVER


class _Arrest(NamedTuple):
    key: str
    person: str
    date: np.datetime64
    law_cat: str | None


class _Event(NamedTuple):
    id: str
    type: str
    date: np.datetime64
    disp: str | None
    cpl: str | None
    entire: bool
    family: bool
    cls: str | None
    section: str | None
    sora: bool
    art220: bool
    cannabis: bool
    incarc: bool
    sup: str | None
    for_people: bool
    order: str | None
    action: str | None
    skey: str | None


def _events_by_arrest(e: pd.DataFrame) -> dict[str, list[tuple[str, _Event]]]:
    out = defaultdict(list)
    for r in e.itertuples(index=False):
        out[r.ARREST_KEY].append(
            (
                "" if pd.isna(r.DOCKET_ID) else str(r.DOCKET_ID),
                _Event(
                    r.EVENT_ID,
                    r.EVENT_TYPE,
                    _d(r.EVENT_DATE),
                    _s(r.DISPOSITION),
                    _s(r.CPL_SECTION),
                    bool(r.ENTIRE_INSTRUMENT),
                    bool(r.FAMILY_OFFENSE),
                    _s(r.OFFENSE_CLASS),
                    _s(r.SECTION),
                    bool(r.SORA_OFFENSE),
                    bool(r.DRUG_ART220),
                    bool(r.CANNABIS_ONLY),
                    bool(r.INCARCERATION),
                    _s(r.SUPERVISION),
                    bool(r.FOR_PEOPLE),
                    _s(r.ORDER_KIND),
                    _s(r.NOTICE_ACTION),
                    _s(r.STATUTE_KEY),
                ),
            )
        )
    return out


def evaluate_person(arrests: list[_Arrest], events_by_arrest, asof, config) -> list[dict]:
    """Per-docket decisions for one person's arrests (see the module docstring)."""
    rows = []
    dockets: dict[str, list[_Docket]] = {}
    for a in arrests:
        if a.date > asof:
            rows.append(_decision(a, None, "OPEN", NAT, "NOT_YET_ARRESTED"))
            continue
        grouped = defaultdict(list)
        for docket_id, ev in events_by_arrest.get(a.key, []):
            if ev.date <= asof:
                grouped[docket_id].append(ev)
        if not grouped:
            grouped[""] = []
        dockets[a.key] = [_Docket(a, d, evs, asof, config) for d, evs in sorted(grouped.items())]
    known = [a for a in arrests if a.key in dockets]
    pending = [
        a
        for a in known
        if a.law_cat in ("F", "M")
        and any(d.local_best().status in PENDING_STATUSES for d in dockets[a.key])
    ]
    # when each F/M arrest stops (stopped) being a pending charge (NEVER: not foreseeable)
    ends = {
        a.key: (a.date, max(d.pending_end() for d in dockets[a.key]))
        for a in known
        if a.law_cat in ("F", "M")
    }
    pool = [
        (d.conv.date, d.start, a.key)
        for a in known
        for d in dockets[a.key]
        if d.conv is not None
        and d.conv.cls in CRIME_CLASSES
        and d.start is not None
        and not d.favourable
        and not d.expunged
    ]
    for a in known:
        for d in dockets[a.key]:
            if getattr(d, "csa", False):
                _clean_slate(d, a, pool, pending, ends, asof)
            if d.start58 is not None:
                _rule_160_58(d, a, known, dockets)
            best = min(d.cands + d.person_cands, key=Cand.key)
            rows.append(_decision(a, d, best.status, best.since, best.rule, best))
    return rows


def _clean_slate(d: _Docket, a: _Arrest, pool, pending, pending_ends, asof) -> None:
    conv, sent = d.conv, d.sent
    later = [(s, key) for c_date, s, key in pool if c_date >= conv.date]
    reset = max([d.start] + [s for s, _ in later])
    if reset > d.start:
        d.notes |= NOTE_CSA_RESET
    dwai = conv.section == DWAI
    years = 8 if (conv.cls.startswith("FELONY") and not dwai) else 3
    perm = conv.sora or (
        conv.cls == "FELONY_A" and not (conv.art220 or (conv.section or "").startswith("PL 220."))
    )
    supervised = sent is not None and sent.sup in SUPERVISED
    ends = [e.date for e in d.events if e.type == "SUPERVISION_END"]
    sup_end = max(ends) if supervised and ends and max(ends) >= sent.date else None
    blockers = [p for p in pending if p.key != a.key and p.date > conv.date]
    blocker = max(blockers, key=lambda p: (p.date, p.key)) if blockers else None
    # the last day a later F/M arrest of the person is (was) a pending charge: the clock
    # cannot elapse before it (NEVER: an open case, no foreseeable end)
    free = max(
        (e for key, (day, e) in pending_ends.items() if key != a.key and day > conv.date),
        default=NAT,
    )
    started = reset != NOT_STARTED
    rule, detail = None, None
    if perm:
        rule = "CSA_NEVER"
    elif not started and d.start == NOT_STARTED:
        rule = "CSA_INCARCERATED"
    elif not started:
        # this conviction's own clock started, but the reset rule ties it to a later
        # conviction whose sentence is still being served (no RELEASE yet): name that arrest
        rule, detail = "CSA_AWAITING_RELEASE", max(key for s, key in later if s == NOT_STARTED)
    elif supervised and sup_end is None:
        rule = "CSA_SUPERVISION"
    else:
        eligible = max(_months(reset, 12 * years), CSA_OPERATIVE)
        if sup_end is not None:
            eligible = max(eligible, sup_end)
        if not np.isnat(free):
            # not before the later charges stop (stopped) pending: blocked until then, and
            # eligible only since then
            eligible = max(eligible, free)
        if blocker is not None:
            rule, detail = "CSA_PENDING", blocker.key
            if eligible < NEVER:
                d.clock_csa = eligible
        elif asof >= eligible:
            rule = "CSA_ELIGIBLE_A" if dwai else "CSA_ELIGIBLE_B"
            d.person_cands.append(
                Cand("CSA_ELIGIBLE_PENDING_NOTICE", eligible, "CSA", rule, conv.id)
            )
            return
        else:
            rule = "CSA_WAITING"
            d.clock_csa = eligible
    d.person_cands.append(Cand("NOT_SEALED", conv.date, "CSA", rule, conv.id, detail=detail))


def _rule_160_58(d: _Docket, a: _Arrest, known, dockets) -> None:
    start = d.start58
    rule = "S58_ORDER" if start.type == "COURT_ORDER" else "NOTICE_SEAL"
    rearrests = [
        r for r in known if r.key != a.key and r.law_cat in ("F", "M") and r.date > start.date
    ]
    if not rearrests:
        d.person_cands.append(
            Cand("COND_SEALED_160_58", start.date, "S58", rule, start.id, confirmed=d.confirmed58)
        )
        return
    r = max(rearrests, key=lambda x: (x.date, x.key))
    ends = [(x.ended_well(), x.docket_id) for x in dockets[r.key]]
    if all(e is not None for e, _ in ends):
        # resealed on the day the rearrest's case terminated (its last docket: "tr")
        (tr, trigger), _ = max(ends, key=lambda e: (e[0][0], e[1]))
        d.person_cands.append(
            Cand(
                "COND_SEALED_160_58",
                tr,
                "S58",
                "S58_RESEALED",
                trigger,
                detail=r.key,
                confirmed=d.confirmed58,
            )
        )
    else:
        d.person_cands.append(
            Cand("UNSEALED_160_58_REARREST", r.date, "S58", "S58_REARREST", detail=r.key)
        )
        # if nothing else happens, it reseals when the rearrest's last docket terminates
        reseal = max(x.reseal_on() for x in dockets[r.key])
        if reseal < NEVER:
            d.clock_s58 = reseal


def _decision(a: _Arrest, d: _Docket | None, status, since, rule, cand: Cand | None = None):
    return {
        "ARREST_KEY": a.key,
        "PERSON_ID": a.person,
        "DOCKET_ID": (d.docket_id or None) if d is not None else None,
        "status": status,
        "since": since,
        "rule": rule,
        "trigger_event_id": cand.trigger if cand else None,
        "cpl_section": cand.cpl if cand else None,
        "term_type": cand.term if cand else None,
        "detail": cand.detail if cand else None,
        "notes": d.notes if d is not None else 0,
        "confirmed": bool(cand.confirmed) if cand else False,
        "clock_acd": d.clock_acd if d is not None else NAT,
        "clock_csa": d.clock_csa if d is not None else NAT,
        "clock_v55": d.clock_v55 if d is not None else NAT,
        "clock_s58": d.clock_s58 if d is not None else NAT,
    }


def evaluate_reference(
    arrests: pd.DataFrame,
    court_events: pd.DataFrame,
    as_of,
    config: RulesConfig = DEFAULT,
    policy: str = "strict",
) -> RegistryResult:
    """Evaluate every person's history with the reference engine, person by person.

    Parameters
    ----------
    arrests, court_events : DataFrame
        Tables typed as ``sanitizer.tables`` reads them (the rows of one person suffice:
        a person's status never depends on other people's rows).
    as_of : date-like
        Events after it are ignored; arrests after it are OPEN with nothing sealed.
    config : RulesConfig
        The configurable rules.
    policy : {"strict", "statutory"}
        The roll-up shown in ``by_arrest``'s status columns.

    Returns
    -------
    RegistryResult

    Raises
    ------
    BadInput
        When an input cannot be interpreted (the message names the EVENT_ID or key).
    """
    a, e = check_inputs(arrests, court_events)
    asof = to_day(as_of)
    by_arrest = _events_by_arrest(e)
    people = defaultdict(list)
    for r in a.itertuples(index=False):
        people[r.PERSON_ID].append(
            _Arrest(r.ARREST_KEY, r.PERSON_ID, _d(r.ARREST_DATE), _s(r.LAW_CAT_CD))
        )
    rows = []
    for person_arrests in people.values():
        rows.extend(evaluate_person(person_arrests, by_arrest, asof, config))
    frame = pd.DataFrame(rows, columns=list(DECISION_COLUMNS))
    for column in ("since", "clock_acd", "clock_csa", "clock_v55", "clock_s58"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    frame["notes"] = frame["notes"].astype(np.int64)
    frame["confirmed"] = frame["confirmed"].astype(bool)
    return finish(frame, a["ARREST_KEY"], asof, config).with_policy(policy)
