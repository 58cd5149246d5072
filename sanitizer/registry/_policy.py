"""Policy profiles and the configurable ([M]) rules of the sealing engine.

Two things decide what the registry says about a record, and both are recorded with every
snapshot so that a reviewer can recompute it:

* the **policy profile** (``strict`` or ``statutory``, SEALING_RULES.md "Which statuses a
  policy excludes"): which statuses are kept out of features, labels, training and
  inference. It does not change what the law says about a record, only what this project
  does with it;
* the **rules configuration** (:class:`RulesConfig`): the rules whose legal basis is only
  believed right ([M] in SEALING_RULES.md). They are switches with documented defaults,
  and every reason text produced by one of them says that it is configurable and
  unconfirmed.

Both are immutable and carry a ``version_hash`` (SHA-256 over a canonical JSON of their
content), so two snapshots built under different settings can never be confused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from types import MappingProxyType

__all__ = [
    "ENGINE_VERSION",
    "STATUSES",
    "PolicyProfile",
    "POLICIES",
    "STRICT",
    "STATUTORY",
    "DEFAULT_POLICY",
    "RulesConfig",
    "DEFAULT",
    "RULES_VERSION",
    "rules_version",
    "get_policy",
]

#: Bumped whenever a rule of the engine changes meaning; part of ``RULES_VERSION``.
ENGINE_VERSION = "registry-rules/1.2.2"

#: Every status, in precedence order (SEALING_RULES.md, "Statuses"): a docket takes the
#: first status whose rule applies.
STATUSES = (
    "EXPUNGED_160_50_5",
    "SEALED_160_50",
    "SEALED_160_55",
    "SEALED_160_59",
    "SEALED_160_57",
    "COND_SEALED_160_58",
    "CSA_ELIGIBLE_PENDING_NOTICE",
    "APPEAL_PENDING",
    "ACD_PENDING",
    "MOTION_REQUIRED_PRE_EFFECTIVE",
    "SEALING_DENIED_IJ",
    "UNSEALED_160_58_REARREST",
    "PARTIALLY_SEALED",
    "NOT_SEALED",
    "OPEN",
)


def _canonical_hash(content: dict) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class PolicyProfile:
    """One training policy: the set of statuses it excludes.

    Parameters
    ----------
    name : str
        ``strict`` or ``statutory``; recorded in every lineage report and certificate.
    excluded : frozenset of str
        Statuses kept out of features, labels, training pairs, populations and inference.
    description : str
        One line on the legal reading the profile follows.
    """

    name: str
    excluded: frozenset[str]
    description: str

    def __post_init__(self):
        unknown = sorted(set(self.excluded) - set(STATUSES))
        if unknown:
            raise ValueError(f"unknown statuses {unknown}; expected some of {list(STATUSES)}")
        if "PARTIALLY_SEALED" in self.excluded:
            raise ValueError("PARTIALLY_SEALED is never excluded as a whole (arrest roll-up)")

    def excludes(self, status: str) -> bool:
        """Whether a record with ``status`` is kept out under this policy."""
        return status in self.excluded

    @property
    def version_hash(self) -> str:
        """SHA-256 over the canonical JSON of the profile (name, sorted statuses)."""
        return _canonical_hash(
            {"name": self.name, "excluded": sorted(self.excluded), "description": self.description}
        )


_ALWAYS = frozenset({"SEALED_160_50", "SEALED_160_55", "EXPUNGED_160_50_5"})
_LE_DUTY = frozenset({"COND_SEALED_160_58", "SEALED_160_59", "SEALED_160_57"})
_ON_THE_WAY = frozenset(
    {
        "ACD_PENDING",
        "APPEAL_PENDING",
        "MOTION_REQUIRED_PRE_EFFECTIVE",
        "CSA_ELIGIBLE_PENDING_NOTICE",
    }
)

STRICT = PolicyProfile(
    "strict",
    _ALWAYS | _LE_DUTY | _ON_THE_WAY,
    "the 2023 implementing order's terms: nothing sealed, expunged or on its way to sealing",
)
STATUTORY = PolicyProfile(
    "statutory",
    _ALWAYS,
    "the letter of the law for police use: 160.50, 160.55 and expunged records excluded; "
    "160.57/58/59 records usable within law-enforcement duties, each use logged",
)
#: Profiles by name (read-only).
POLICIES = MappingProxyType({p.name: p for p in (STRICT, STATUTORY)})
DEFAULT_POLICY = "strict"


def get_policy(name: str | PolicyProfile) -> PolicyProfile:
    """The profile called ``name``; a clear ``BadInput`` for an unknown one."""
    from .._errors import BadInput

    if isinstance(name, PolicyProfile):
        return name
    try:
        return POLICIES[name]
    except KeyError:
        raise BadInput(f"unknown policy {name!r}; expected one of {sorted(POLICIES)}") from None


@dataclass(frozen=True)
class RulesConfig:
    """The configurable rules (legal basis [M] or a practice choice), with defaults.

    Every field is recorded in ``RULES_VERSION``. Reason texts produced by a rule that
    depends on one of these say "configurable, unconfirmed".

    Parameters
    ----------
    seal_160_55_at_cd_end : bool
        Seal a 160.55 violation at the end of its conditional discharge instead of at the
        conviction ("most courts do not seal the violation until the 1 year period is
        over", nycourts). Default False: the statute seals at conviction.
    conditional_discharge_months : int
        Length of a violation's conditional discharge (PL 65.05: one year).
    people_appeal_window_days : int
        A People's notice of appeal counts (suspends sealing) only when filed within this
        many days of the favourable termination (CPL 460.10: 30 days [M]).
    pl_240_37_expunge_on_notice_only : bool
        Treat PL 240.37 convictions as expunged only on an OCA/DCJS notice (default), not
        by computation from (3)(k)(iv).
    legacy_marijuana_acd_months : int
        Length of the historic marijuana ACD under CPL 170.56 / 210.46 [M].
    acd_months, family_acd_months : int
        The ordinary and family-offence ACD periods (CPL 170.55, 530.11).
    pre_1976_cutoff : str
        160.50 terminations before this date need a motion (subd. 4). The statute dates
        from L.1976 ch. 877; the exact effective day is [M], so the default is the start
        of 1976.
    federal_access_enabled : bool
        Whether the out-of-state checks of 160.57(1)(b)(viii)/(ix) are possible. The input
        tables carry no out-of-state data, so setting it only adds a note to reasons.
    """

    seal_160_55_at_cd_end: bool = False
    conditional_discharge_months: int = 12
    people_appeal_window_days: int = 30
    pl_240_37_expunge_on_notice_only: bool = True
    legacy_marijuana_acd_months: int = 12
    acd_months: int = 6
    family_acd_months: int = 12
    pre_1976_cutoff: str = "1976-01-01"
    federal_access_enabled: bool = False

    def __post_init__(self):
        for name in (
            "conditional_discharge_months",
            "people_appeal_window_days",
            "legacy_marijuana_acd_months",
            "acd_months",
            "family_acd_months",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"RulesConfig.{name} must be a non-negative int, got {value!r}")

    def as_dict(self) -> dict:
        """The configuration as plain JSON-able data (what the hash covers)."""
        return asdict(self)

    @property
    def version_hash(self) -> str:
        """SHA-256 over the canonical JSON of the configuration."""
        return _canonical_hash(self.as_dict())


DEFAULT = RulesConfig()


def rules_version(config: RulesConfig = DEFAULT) -> str:
    """SHA-256 over the engine version and the configuration: what a snapshot records."""
    return _canonical_hash({"engine": ENGINE_VERSION, "config": config.as_dict()})


#: The rules version of the default configuration.
RULES_VERSION = rules_version(DEFAULT)
