"""Court-timeline scenarios: one per path through SEALING_RULES.md.

A scenario is a short script of court events (``Step``) with day gaps, plus the arrests it
may apply to (charge group, law category, date range, whether the person is arrested
again). Every arrest docket is assigned one scenario by weighted draw among those it is
eligible for, so every rule of the engineering specification is exercised at every
scale, while the common outcomes (dismissal, ACD, plea to a violation) dominate as they do
in NYC, where about half of all arrests end in the accused's favour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import _calendar as cal

__all__ = ["Step", "Scenario", "Choice", "SCENARIOS", "SECONDARY"]

Y = cal.YEAR


@dataclass(frozen=True)
class Choice:
    """A field drawn per row from weighted options."""

    options: tuple[tuple[object, float], ...]


@dataclass(frozen=True)
class Step:
    """One court event of a scenario.

    ``gap`` is days after the previous event (the arrest for the first). Required steps
    come first and are squeezed to fit before the scenario's deadline; optional steps
    follow and are dropped when they would fall after the calendar's end (a sentence still
    being served, a clock still running). ``not_before`` is an absolute window the date is
    pushed into; ``anchor_next`` dates the step from the person's next arrest instead.
    """

    event: str
    gap: tuple[int, int] = (0, 0)
    fields: tuple[tuple[str, object], ...] = ()
    optional: bool = False
    prob: float = 1.0
    not_before: tuple[int, int] | None = None
    anchor_next: bool = False
    only_last: bool = False
    status: str | None = None
    source: object = "OCA"


@dataclass(frozen=True)
class Scenario:
    """A docket's scripted path and the arrests it fits."""

    name: str
    weight: float
    steps: tuple[Step, ...]
    status: str
    favourable: bool = False
    groups: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    law_cats: tuple[str, ...] | None = None
    min_arrest: int | None = None
    max_arrest: int | None = None
    deadline: int | None = None
    needs_next: bool = False
    needs_last: bool = False
    acd: bool = False
    recency: bool = False
    disparity: bool = False
    extra: dict = field(default_factory=dict)


_DISMISS_CPL = Choice(
    (("170.30", 5), ("210.20", 3), ("180.85", 1), ("170.50", 1), ("180.70", 0.5), ("210.47", 0.3))
)
_SPECIAL = ("marijuana", "cannabis", "conc_cannabis", "sex", "murder", "drug_a")
_MODERN = cal.CPL_160_50_EFFECTIVE


def _disp(kind: str, gap, cpl=None, source="OCA", **extra) -> Step:
    fields = [("DISPOSITION", kind)]
    if cpl is not None:
        fields.append(("CPL_SECTION", cpl))
    fields += list(extra.items())
    return Step("DISPOSITION", gap, tuple(fields), source=source)


def _conv(gap, conv="charged") -> Step:
    return Step("CONVICTION", gap, (("conv", conv),))


def _sent(gap=(0, 30), incarceration=False, supervision="NONE") -> Step:
    return Step(
        "SENTENCE",
        gap,
        (("INCARCERATION", incarceration), ("SUPERVISION", supervision)),
        source="COURT",
    )


def _csa_notice(wait_years: int) -> Step:
    """OCA's 160.57 notice, only for a person with no later arrest (so no reset applies)."""
    return Step(
        "NOTICE",
        (wait_years * Y + 30, wait_years * Y + 400),
        (("NOTICE_ACTION", "SEAL"), ("NOTICE_STATUTE", "CPL 160.57")),
        optional=True,
        prob=0.45,
        not_before=(cal.CLEAN_SLATE + 10, cal.CLEAN_SLATE + 420),
        only_last=True,
        status="SEALED_160_57",
    )


def _expunge(gap=(5, 120), not_before=None, prob=0.55) -> Step:
    return Step(
        "NOTICE",
        gap,
        (("NOTICE_ACTION", "EXPUNGE"), ("NOTICE_STATUTE", "CPL 160.50(5)")),
        optional=True,
        prob=prob,
        not_before=not_before,
    )


_CD_OR_NONE = Choice((("CONDITIONAL_DISCHARGE", 0.55), ("NONE", 0.45)))

SCENARIOS: tuple[Scenario, ...] = (
    # --- favourable terminations (CPL 160.50) ---------------------------------------
    Scenario(
        "DISMISSAL",
        11.5,
        (_disp("DISMISSAL", (20, 420), _DISMISS_CPL),),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "ACQUITTAL",
        2,
        (_disp("ACQUITTAL", (150, 800)),),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "DECLINE_PROSECUTE",
        4,
        (_disp("DECLINE_PROSECUTE", (0, 3), source="DCJS"),),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "POLICE_DECLINE",
        1.5,
        (_disp("POLICE_DECLINE", (0, 2), source="POLICE"),),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "NO_TRUE_BILL",
        3,
        (_disp("NO_TRUE_BILL", (10, 120), "190.75", source="COURT"),),
        "SEALED_160_50",
        favourable=True,
        law_cats=("F",),
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "TRIAL_ORDER_DISMISSAL",
        0.8,
        (_disp("TRIAL_ORDER_DISMISSAL", (200, 800), "290.10"),),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "VERDICT_SET_ASIDE",
        0.4,
        (_conv((200, 800)), _disp("VERDICT_SET_ASIDE", (10, 60), "330.30")),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        exclude=_SPECIAL,
        disparity=True,
    ),
    Scenario(
        "JUDGMENT_VACATED",
        0.5,
        (
            _conv((60, 500)),
            _sent(incarceration=Choice(((True, 0.4), (False, 0.6)))),
            _disp("JUDGMENT_VACATED", (200, 2000), "440.10"),
        ),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        exclude=_SPECIAL,
        disparity=True,
    ),
    Scenario(
        "HABEAS_DISCHARGE",
        0.25,
        (
            _conv((60, 500)),
            _sent(incarceration=True),
            _disp("HABEAS_DISCHARGE", (100, 1000), source="COURT"),
        ),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        exclude=_SPECIAL,
        disparity=True,
    ),
    Scenario(
        "ACD",
        7.5,
        (_disp("ACD_GRANTED", (1, 120), "170.55", FAMILY_OFFENSE=False),),
        "SEALED_160_50",
        favourable=True,
        acd=True,
        law_cats=("M", "V", "I"),
        exclude=("sex",),
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "ACD_FAMILY",
        4,
        (_disp("ACD_GRANTED", (1, 120), "170.55", FAMILY_OFFENSE=True),),
        "SEALED_160_50",
        favourable=True,
        acd=True,
        groups=("assault", "harass"),
        law_cats=("M", "V"),
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "ACD_RESTORED_DISMISSED",
        0.5,
        (
            _disp("ACD_GRANTED", (1, 120), "170.55", FAMILY_OFFENSE=False),
            _disp("ACD_RESTORED", (20, 170)),
            _disp("DISMISSAL", (30, 300), "170.30"),
        ),
        "SEALED_160_50",
        favourable=True,
        law_cats=("M", "V"),
        exclude=("sex",),
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "APPEAL_LOST",
        0.6,
        (
            _disp("DISMISSAL", (60, 500), Choice((("210.20", 2), ("170.30", 1)))),
            Step("PEOPLE_APPEAL_FILED", (5, 30), source="COURT"),
            Step("APPEAL_DECIDED", (120, 600), (("FOR_PEOPLE", False),), source="COURT"),
        ),
        "SEALED_160_50",
        favourable=True,
        min_arrest=_MODERN,
        disparity=True,
    ),
    Scenario(
        "SEALING_DENIED_IJ",
        0.5,
        (
            _disp("DISMISSAL", (20, 400), _DISMISS_CPL),
            Step("SEALING_DENIED_IJ", (5, 12), source="COURT"),
        ),
        "SEALING_DENIED_IJ",
        favourable=True,
        min_arrest=_MODERN,
    ),
    Scenario(
        "PRE1976_ACQUITTAL",
        30,
        (
            _disp("ACQUITTAL", (60, 400)),
            Step(
                "COURT_ORDER",
                (30, 400),
                (("ORDER_KIND", "SEAL_160_50_MOTION"),),
                optional=True,
                prob=0.4,
                not_before=(cal.day("1985-01-01"), cal.day("2025-06-01")),
                status="SEALED_160_50",
                source="COURT",
            ),
        ),
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        favourable=True,
        max_arrest=cal.day("1975-06-30"),
        deadline=cal.CPL_160_50_EFFECTIVE - 1,
    ),
    Scenario(
        "PRE1976_DISMISSAL",
        30,
        (
            _disp("DISMISSAL", (20, 300), Choice((("170.30", 1), ("210.20", 1)))),
            Step(
                "COURT_ORDER",
                (30, 400),
                (("ORDER_KIND", "SEAL_160_50_MOTION"),),
                optional=True,
                prob=0.4,
                not_before=(cal.day("1985-01-01"), cal.day("2025-06-01")),
                status="SEALED_160_50",
                source="COURT",
            ),
        ),
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        favourable=True,
        max_arrest=cal.day("1975-06-30"),
        deadline=cal.CPL_160_50_EFFECTIVE - 1,
    ),
    # --- not favourable, or not yet --------------------------------------------------
    Scenario(
        "DISMISSAL_PARTIAL",
        0.8,
        (_disp("DISMISSAL", (20, 300), "170.30", ENTIRE_INSTRUMENT=False),),
        "NOT_SEALED",
        min_arrest=_MODERN,
    ),
    Scenario(
        "DISMISSAL_PARTIAL_CONVICTED",
        0.6,
        (
            _disp("DISMISSAL", (20, 300), "210.20", ENTIRE_INSTRUMENT=False),
            _conv((20, 200), ("MISDEMEANOR", "lesser")),
            _sent(supervision=_CD_OR_NONE),
            _csa_notice(3),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("F",),
        exclude=_SPECIAL,
        min_arrest=_MODERN,
    ),
    Scenario(
        "APPEAL_WON",
        0.25,
        (
            _disp("DISMISSAL", (60, 400), "210.20"),
            Step("PEOPLE_APPEAL_FILED", (5, 30), source="COURT"),
            Step("APPEAL_DECIDED", (120, 500), (("FOR_PEOPLE", True),), source="COURT"),
            _conv((60, 300)),
            _sent(supervision=_CD_OR_NONE),
        ),
        "CLEAN_SLATE_CLOCK",
        exclude=_SPECIAL,
        law_cats=("F", "M"),
        min_arrest=_MODERN,
    ),
    Scenario(
        "APPEAL_PENDING",
        0.6,
        (
            _disp("DISMISSAL", (20, 300), Choice((("210.20", 2), ("170.30", 1)))),
            Step("PEOPLE_APPEAL_FILED", (5, 30), source="COURT"),
        ),
        "APPEAL_PENDING",
        min_arrest=cal.END - 600,
    ),
    Scenario(
        "ACD_RESTORED_CONVICTED",
        1.0,
        (
            _disp("ACD_GRANTED", (1, 120), "170.55", FAMILY_OFFENSE=False),
            _disp("ACD_RESTORED", (20, 170)),
            _conv((30, 300), Choice((("charged", 1), (("VIOLATION", "PL 240.20"), 1)))),
            _sent(supervision=_CD_OR_NONE),
        ),
        "NOT_SEALED",
        law_cats=("M",),
        exclude=_SPECIAL,
        min_arrest=_MODERN,
    ),
    Scenario(
        "DISMISSED_AS_COVERED",
        1.5,
        (_disp("DISMISSED_AS_COVERED", (20, 400)),),
        "NOT_SEALED",
        min_arrest=_MODERN,
    ),
    Scenario(
        "VIOLATION_PLEA",
        9,
        (_conv((14, 300), ("VIOLATION", "PL 240.20")), _sent(supervision=_CD_OR_NONE)),
        "SEALED_160_55",
        law_cats=("F", "M"),
        exclude=_SPECIAL + ("dwai",),
        min_arrest=cal.CPL_160_55_CUTOFF,
    ),
    Scenario(
        "VIOLATION_AS_CHARGED",
        4,
        (_conv((14, 200)), _sent()),
        "SEALED_160_55",
        law_cats=("V",),
        exclude=_SPECIAL,
        min_arrest=cal.CPL_160_55_CUTOFF,
    ),
    Scenario(
        "TRAFFIC_INFRACTION",
        4,
        (_conv((14, 200), ("TRAFFIC_INFRACTION", "VTL 509.1")), _sent()),
        "SEALED_160_55",
        groups=("vtl",),
        min_arrest=cal.CPL_160_55_CUTOFF,
    ),
    Scenario(
        "VIOLATION_PRE1991",
        10,
        (
            _conv((14, 300), ("VIOLATION", "PL 240.20")),
            _sent(),
            Step(
                "COURT_ORDER",
                (30, 400),
                (("ORDER_KIND", "SEAL_160_55_MOTION"),),
                optional=True,
                prob=0.4,
                not_before=(cal.day("1993-01-01"), cal.day("2025-06-01")),
                status="SEALED_160_55",
                source="COURT",
            ),
        ),
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        law_cats=("F", "M"),
        exclude=_SPECIAL + ("dwai",),
        max_arrest=cal.day("1991-06-30"),
        deadline=cal.CPL_160_55_CUTOFF - 1,
    ),
    Scenario(
        "DWAI",
        6,
        (
            _conv((30, 300), ("TRAFFIC_INFRACTION", "VTL 1192.1")),
            _sent(supervision=_CD_OR_NONE),
            _csa_notice(3),
        ),
        "CLEAN_SLATE_CLOCK",
        groups=("dwai",),
    ),
    Scenario(
        "MISD_CONV_CD",
        6,
        (_conv((20, 300)), _sent(supervision="CONDITIONAL_DISCHARGE"), _csa_notice(3)),
        "CLEAN_SLATE_CLOCK",
        law_cats=("M",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "MISD_CONV_JAIL",
        3,
        (
            _conv((20, 300)),
            _sent(incarceration=True),
            Step("RELEASE", (5, 360), source="DCJS"),
            _csa_notice(3),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("M",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "MISD_CONV_PROBATION",
        1.5,
        (
            _conv((20, 300)),
            _sent(supervision="PROBATION"),
            Step("SUPERVISION_END", (3 * Y - 30, 3 * Y + 30), optional=True, source="DCJS"),
            _csa_notice(3),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("M",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "FEL_PLEA_MISD",
        4,
        (
            _conv((60, 400), ("MISDEMEANOR", "lesser")),
            _sent(supervision=_CD_OR_NONE),
            _csa_notice(3),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("F",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "FEL_PRISON",
        3,
        (
            _conv((90, 600)),
            _sent((14, 60), True, "PAROLE"),
            Step("RELEASE", (365, 7 * Y), optional=True, source="DCJS"),
            Step("SUPERVISION_END", (365, 5 * Y), optional=True, source="DCJS"),
            _csa_notice(8),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("F",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "FEL_PAROLE_REVOKED",
        0.7,
        (
            _conv((90, 500)),
            _sent((14, 60), True, "PAROLE"),
            Step("RELEASE", (365, 4 * Y), source="DCJS"),
            Step("SUPERVISION_REVOKED", (60, 700), source="DCJS"),
            Step("RELEASE", (90, 700), optional=True, source="DCJS"),
            Step("SUPERVISION_END", (180, 3 * Y), optional=True, source="DCJS"),
            _csa_notice(8),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("F",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "FEL_PROBATION",
        1.5,
        (
            _conv((60, 500)),
            _sent(supervision="PROBATION"),
            Step("SUPERVISION_END", (5 * Y - 30, 5 * Y + 30), optional=True, source="DCJS"),
            _csa_notice(8),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("F",),
        exclude=_SPECIAL,
    ),
    Scenario(
        "SORA_CONVICTION",
        25,
        (
            _conv((60, 600)),
            _sent((14, 60), Choice(((True, 0.6), (False, 0.4))), "PROBATION"),
            Step("SUPERVISION_END", (3 * Y, 10 * Y), optional=True, source="DCJS"),
        ),
        "NOT_SEALED",
        groups=("sex",),
    ),
    Scenario(
        "MURDER_2",
        40,
        (
            _conv((300, 900)),
            _sent((14, 60), True, "PAROLE"),
            Step("RELEASE", (15 * Y, 25 * Y), optional=True, source="DCJS"),
        ),
        "NOT_SEALED",
        groups=("murder",),
    ),
    Scenario(
        "DRUG_A_FELONY",
        30,
        (
            _conv((90, 600)),
            _sent((14, 60), True, "PAROLE"),
            Step("RELEASE", (2 * Y, 8 * Y), optional=True, source="DCJS"),
            Step("SUPERVISION_END", (2 * Y, 5 * Y), optional=True, source="DCJS"),
            _csa_notice(8),
        ),
        "CLEAN_SLATE_CLOCK",
        groups=("drug_a",),
    ),
    Scenario(
        "DRUG_160_58_REARREST",
        5,
        (
            _conv((30, 200)),
            _sent((0, 30), supervision="CONDITIONAL_DISCHARGE"),
            Step("COURT_ORDER", (150, 500), (("ORDER_KIND", "SEAL_160_58"),), source="COURT"),
            Step(
                "NOTICE",
                (3, 60),
                (("NOTICE_ACTION", "UNSEAL"), ("NOTICE_STATUTE", "CPL 160.58")),
                optional=True,
                prob=0.35,
                anchor_next=True,
                source="DCJS",
            ),
        ),
        "UNSEALED_160_58_REARREST",
        groups=("drug",),
        needs_next=True,
    ),
    Scenario(
        "DRUG_160_58",
        2,
        (
            _conv((30, 200)),
            _sent((0, 30), supervision="CONDITIONAL_DISCHARGE"),
            Step("COURT_ORDER", (150, 500), (("ORDER_KIND", "SEAL_160_58"),), source="COURT"),
        ),
        "COND_SEALED_160_58",
        groups=("drug",),
        needs_last=True,
    ),
    Scenario(
        "CONV_160_59",
        2,
        (
            _conv((30, 300)),
            _sent(supervision="CONDITIONAL_DISCHARGE"),
            Step(
                "COURT_ORDER",
                (10 * Y + 30, 13 * Y),
                (("ORDER_KIND", "SEAL_160_59"),),
                optional=True,
                only_last=True,
                status="SEALED_160_59",
                source="COURT",
                not_before=(cal.CPL_160_59_EFFECTIVE + 30, cal.CPL_160_59_EFFECTIVE + 600),
            ),
        ),
        "CLEAN_SLATE_CLOCK",
        law_cats=("M", "F"),
        groups=("larceny", "grand_larceny", "drug", "other", "vtl", "dwai", "harass"),
        min_arrest=cal.day("1992-01-01"),
        max_arrest=cal.day("2014-06-30"),
    ),
    Scenario(
        "MARIJUANA_221",
        25,
        (
            _conv((10, 200)),
            _sent(),
            _expunge(not_before=(cal.MARIJUANA_2019, cal.MARIJUANA_2019 + Y), prob=0.5),
        ),
        "EXPUNGED_160_50_5",
        groups=("marijuana",),
        deadline=cal.MARIJUANA_2019 - 1,
    ),
    Scenario(
        "CANNABIS_222",
        25,
        (_conv((10, 200)), _sent(), _expunge()),
        "EXPUNGED_160_50_5",
        groups=("cannabis",),
        min_arrest=cal.MRTA + 1,
    ),
    Scenario(
        "CONC_CANNABIS_220_03",
        25,
        (
            _conv((10, 200)),
            _sent(),
            _expunge(not_before=(cal.MRTA + 1, cal.MRTA + 2 * Y), prob=0.5),
        ),
        "EXPUNGED_160_50_5",
        groups=("conc_cannabis",),
        deadline=cal.MRTA - 1,
    ),
    Scenario("OPEN", 60, (), "OPEN", min_arrest=cal.END - 2 * Y, recency=True),
)

#: Extra dockets of a multi-docket arrest draw from these (name, weight).
SECONDARY = (
    ("DISMISSAL", 3),
    ("DISMISSED_AS_COVERED", 5),
    ("VIOLATION_PLEA", 2),
    ("MISD_CONV_CD", 2),
    ("ACD", 1),
    ("DECLINE_PROSECUTE", 1),
)
