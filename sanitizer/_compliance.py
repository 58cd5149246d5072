"""Continuous compliance: new court events, then decertification, then retraining.

``events apply`` records the events (registry), then :func:`decertify_affected` asks the
lineage index which certified versions used a newly excluded arrest *under that model's
policy* and takes each out of service at once (alias removed, version tagged with the
reason and time, audit entry with the seconds since the events were recorded). Versions
whose ``valid_until`` has passed are taken out the same way. :func:`retrain_decertified`
then retrains each with the settings its certificate recorded.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ._home import Home
from ._verify import load_certificate
from .certify import LineageIndex, ModelStore, ModelVersionRef
from .registry import Registry
from .tables import Tables

__all__ = [
    "Decertification",
    "RECORD_STEP",
    "apply_events",
    "decertify_affected",
    "retrain_decertified",
]

#: The first step ``apply_events`` reports; each retrain's ``STEPS`` follow it.
RECORD_STEP = "record the events, decertify the models that used what they seal"


@contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """No cyclic garbage collection from recording a sealing to decertifying its models.

    A full collection walks every object the process holds (about 400,000 once MLflow,
    SQLAlchemy and pandas are imported): 0.1-0.4 s, measured inside this section at
    ``small`` and ``nyc``, of the one second allowed between recording a sealing and the
    models that used it being out of service. The section allocates little; whatever it
    leaves is collected right after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Decertification:
    """One version taken out of service, and why."""

    ref: ModelVersionRef
    reason: str
    keys: tuple[str, ...] = ()
    seconds: float | None = None


@dataclass
class EnforcementResult:
    """The CONTRACT.md fields of ``events apply`` beyond ``newly_excluded``."""

    decertified: list[Decertification] = field(default_factory=list)
    recertified: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    retrains: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "decertified": [d.ref.uri for d in self.decertified],
            "recertified": list(self.recertified),
            "refused": list(self.refused),
            "reasons": {d.ref.uri: d.reason for d in self.decertified},
        }


def _seconds_since(stamp: str | None) -> float | None:
    if not stamp:
        return None
    then = datetime.fromisoformat(stamp)
    return round((datetime.now(UTC) - then).total_seconds(), 3)


def decertify_affected(
    home: Home,
    registry: Registry,
    newly_excluded: Mapping[str, list[str]],
    *,
    as_of: date,
    actor: str = "cli",
    store: ModelStore | None = None,
) -> list[Decertification]:
    """Take out of service every certified version that used a newly excluded arrest.

    Not only the arrests ``newly_excluded`` names: every exclusion this home has recorded
    under the version's policy is checked too (the question serving asks,
    ``LineageIndex.excluded_since``), so events recorded by a run that stopped before
    decertifying (a crash, a refused home) still take the versions they affect out of
    service at the next ``events apply``. Also takes out versions whose certificate's
    ``valid_until`` is on or before ``as_of``.
    """
    store = ModelStore.for_home(home) if store is None else store
    serving = {ref.name: ref for ref in store.certified_versions()}
    if not serving:
        return []
    index = LineageIndex(registry.store.engine)
    keys = sorted({k for ks in newly_excluded.values() for k in ks})
    uses = index.versions_using(keys) if keys else None
    recorded = registry.store.exclusions()
    out = []
    for name, ref in serving.items():
        policy = ref.tag("policy")
        hit = set(index.excluded_since(name, ref.version, policy))
        if uses is not None and len(uses):
            mine = uses[(uses["model"] == name) & (uses["version"] == ref.version)]
            wanted = set(newly_excluded.get(policy, ()))
            hit |= {k for k in mine["arrest_key"].tolist() if k in wanted}
        hit = sorted(hit)
        until = ref.tag("valid_until")
        if hit:
            stamps = recorded.loc[
                (recorded["policy"] == policy) & recorded["arrest_key"].isin(hit), "recorded_at"
            ]
            recorded_at = min(stamps) if len(stamps) else None
            reason = f"{len(hit)} arrest(s) it used are now excluded under {policy}: " + ", ".join(
                hit[:10]
            )
        elif until and date.fromisoformat(until) <= as_of:
            recorded_at, reason = None, f"valid_until {until} reached (as of {as_of})"
        else:
            continue
        store.decertify(name, ref.version, reason, hit or "valid_until")
        seconds = _seconds_since(recorded_at)
        registry.audit.append(
            {
                "actor": actor,
                "action": "MODEL_DECERTIFIED",
                "outcome": "DONE",
                "record_ids": hit,
                "detail": {
                    "model": name,
                    "version": ref.version,
                    "uri": ref.uri,
                    "reason": reason,
                    "event_recorded_at": recorded_at,
                    "seconds_to_decertify": seconds,
                },
            }
        )
        out.append(Decertification(ref, reason, tuple(hit), seconds))
    return out


def retrain_decertified(
    home: Home,
    registry: Registry,
    tables: Tables,
    decertified: list[Decertification],
    *,
    as_of: date,
    actor: str = "cli",
    progress: Callable[[str], None] | None = None,
    store: ModelStore | None = None,
) -> tuple[list[str], list[str], list]:
    """Retrain each decertified model with its certificate's settings.

    Returns (recertified URIs, refused URIs of the versions left without a successor, the
    RetrainResults).
    """
    from ._retrain import retrain

    store = ModelStore.for_home(home) if store is None else store
    recertified, refused, results = [], [], []
    for item in decertified:
        certificate = load_certificate(store, item.ref)
        extra = dict(certificate.extra)
        name = item.ref.name
        result = retrain(
            home,
            tables,
            extra.get("kind", "patternizr"),
            crime_type=extra.get("crime_type"),
            as_of=as_of,
            policy=certificate.snapshot["policy"],
            seed=int(extra.get("seed", 0)),
            mitigate=extra.get("mitigate"),
            overrides=extra.get("overrides") or {},
            registry=registry,
            progress=None
            if progress is None
            else lambda step, name=name: progress(f"{name}: {step}"),
            actor=actor,
            previous=item.ref,
        )
        results.append(result)
        if result.certified:
            recertified.append(result.model_uri)
        else:
            refused.append(item.ref.uri)
    return recertified, refused, results


def apply_events(
    home: Home,
    tables: Tables,
    path: Path,
    *,
    as_of: date,
    retrain: bool = True,
    actor: str = "cli",
    progress: Callable[[str], None] | None = None,
    planned: Callable[[int], None] | None = None,
    registry: Registry | None = None,
) -> dict:
    """Record the events, decertify what they affect, retrain it: ``events apply``.

    ``progress`` is called with ``RECORD_STEP``, then with each retrain's steps (the
    model's name first); ``planned`` (a progress bar's length) learns the number of
    steps once the decertifications say how many retrains follow.
    """
    registry = Registry(home) if registry is None else registry
    from ._retrain import STEPS

    say = progress or (lambda _step: None)
    say(RECORD_STEP)
    # the model store first: a home copied from elsewhere is refused here, before any
    # event is recorded, not after (the events would stay recorded, their models serving)
    store = ModelStore.for_home(home)
    enforcement = EnforcementResult()
    with _no_collector_pauses():
        applied = registry.apply_events(tables, path, as_of, actor=actor)
        enforcement.decertified = decertify_affected(
            home, registry, applied["newly_excluded"], as_of=as_of, actor=actor, store=store
        )
    if planned is not None:
        planned(1 + (len(STEPS) * len(enforcement.decertified) if retrain else 0))
    if retrain and enforcement.decertified:
        recertified, refused, results = retrain_decertified(
            home,
            registry,
            tables,
            enforcement.decertified,
            as_of=as_of,
            actor=actor,
            progress=progress,
            store=store,
        )
        enforcement.recertified, enforcement.refused = recertified, refused
        enforcement.retrains = results
    shards = {r.model_uri: r.retrained_shards for r in enforcement.retrains if r.certified}
    return {
        **applied,
        **enforcement.to_dict(),
        "retrained_shards": shards,
        "_results": enforcement.retrains,
        "_decertifications": enforcement.decertified,
    }
