"""``sanitizer evaluate``: the evaluation table and the fairness report of the four models.

One run trains every model asked for (nothing is registered, nothing goes to MLflow) and
writes four files into the output folder:

``evaluation.md`` / ``evaluation.json``
    The pattern models rebuilding held-out patterns as Patternizr was evaluated (perfect
    and partial rebuild, recall@k) beside the paper's published figures, against the
    held-out clean patterns and, when the data folder has ``truth/``, the generator's
    true series; each trained on sanitized data and, for comparison, on the raw data.
    The recidivism model's held-out quality before and after sanitization.
``fairness.md`` / ``fairness.json``
    Per model: the ``fairness`` and ``quality`` gates with every criterion, metrics by
    race, sex, age group and borough with bootstrap intervals, disparities, the groups
    reported as insufficient evidence, Patternizr's race test for the pattern models,
    and the same figures for the model trained before sanitization.

Gates failing is a finding, not an error: the files are written and the command exits 0.
The unsanitized models exist only inside this run, to measure what sanitizing costs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import BadInput
from ._home import Home
from .fairness import (
    MITIGATIONS,
    PatternFairnessReport,
    SanitizationComparison,
    load_gates,
    pattern_fairness_report,
    recidivism_report,
)
from .registry import Snapshot, build_snapshot
from .sanitize import sanitize
from .tables import Tables
from .train import (
    CRIME_TYPES,
    PUBLISHED,
    PatternEvaluation,
    PatternPipeline,
    RecidivismPipeline,
    evaluate_pattern_pipeline,
    load_recidivism_config,
)

__all__ = [
    "EVALUATE_MODELS",
    "EvaluationRun",
    "evaluate_models",
    "evaluation_plan",
    "evaluation_stages",
    "home_snapshot",
]

#: What ``--model`` accepts.
EVALUATE_MODELS = ("patternizr", "recidivism", "all")
#: The files an evaluation writes, in its output folder.
FILES = ("evaluation.md", "evaluation.json", "fairness.md", "fairness.json")

_TARGETS = {
    "patterns": "held-out patterns",
    "truth": "true series (truth/)",
}
_MODELS = {
    "sanitized": "sanitized",
    "raw": "raw (before sanitization)",
    "sanitized+blocking": "sanitized, 3 km blocking",
}
#: Rows of the recidivism before/after table that count people or rows.
_COUNT_ROWS = ("population", "rows carrying an excluded arrest", "held-out persons")
_CHANGE = ("before", "after", "change")
_REBUILD_COLUMNS = (
    ("sets", "sets"),
    ("perfect_rebuild", "perfect rebuild"),
    ("partial_rebuild", "partial rebuild"),
    ("perfect_at_10", "perfect@10"),
    ("partial_at_10", "partial@10"),
)


#: A crime type whose patterns cannot be ranked (none, or none on one side of the split).
MSG_NOTHING_TO_JUDGE = (
    "cannot evaluate {name} {side} sanitization: {reason}; leave it out with --crime-type"
)


def evaluation_plan(
    model: str, crime_types: Sequence[str] | None, mitigate: str | None
) -> tuple[list[str], bool]:
    """Which pattern models (crime type names) and whether the recidivism model to evaluate.

    Raises ``BadInput`` naming the option for anything it cannot run.
    """
    if model not in EVALUATE_MODELS:
        raise BadInput(f"--model {model!r} is not one of {', '.join(EVALUATE_MODELS)}")
    names = {**{n: n for n in CRIME_TYPES}, **{code: n for n, code in CRIME_TYPES.items()}}
    unknown = [c for c in crime_types or () if c not in names]
    if unknown:
        raise BadInput(
            f"--crime-type {unknown[0]!r} is not a crime type; expected one of "
            f"{', '.join(CRIME_TYPES)} (or a KY_CD: {', '.join(CRIME_TYPES.values())})"
        )
    if crime_types and model == "recidivism":
        raise BadInput("--crime-type applies to the pattern models; drop it or use --model all")
    if mitigate is not None and mitigate not in MITIGATIONS:
        raise BadInput(f"--mitigate {mitigate!r} is not one of {', '.join(MITIGATIONS)}")
    if mitigate is not None and model == "patternizr":
        raise BadInput(
            "--mitigate applies to the recidivism model (the pattern models rank, they do "
            "not decide); use --model recidivism or all"
        )
    chosen = list(dict.fromkeys(names[c] for c in crime_types)) if crime_types else []
    patterns = [] if model == "recidivism" else (chosen or list(CRIME_TYPES))
    return patterns, model in ("recidivism", "all")


def evaluation_stages(patterns: Sequence[str], recidivism: bool) -> int:
    """How many ``progress`` calls :func:`evaluate_models` makes for this plan."""
    return 3 + 2 * len(patterns) + int(recidivism)


def home_snapshot(home: Home, tables: Tables, as_of: date, policy: str) -> Snapshot:
    """The registry snapshot, with the events a home recorded (``events apply``) if it has any.

    Evaluating creates no state: a home without a registry database is not created, and
    the snapshot is then that of the data folder alone.
    """
    if home.db_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(home.db_url).database
        if not database or not Path(database).exists():
            return build_snapshot(tables, as_of, policy)
    from .registry import Registry

    return Registry(home).snapshot(tables, as_of, policy)


@dataclass
class EvaluationRun:
    """What one ``evaluate`` wrote and what it found."""

    out: Path
    models: dict[str, dict] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"out": str(self.out), "models": self.models, "files": self.files}


def evaluate_models(
    tables: Tables,
    out: Path,
    *,
    as_of: date,
    policy: str = "strict",
    seed: int = 0,
    model: str = "all",
    crime_types: Sequence[str] | None = None,
    mitigate: str | None = None,
    snapshot: Snapshot | None = None,
    truth_dir: Path | None = None,
    n_estimators: int | None = None,
    gates: Mapping | None = None,
    progress: Callable[[str], None] | None = None,
    **evidence,
) -> EvaluationRun:
    """Train, evaluate and judge the chosen models; write the four files into ``out``.

    Parameters
    ----------
    tables : Tables
        The raw input tables (the sanitized ones are derived here; the raw ones also
        train the never-registered "before sanitization" models).
    out : Path
        Output folder (created; existing evaluation files in it are replaced).
    as_of, policy : date, str
        The registry snapshot to sanitize with (ignored when ``snapshot`` is given).
    seed : int
        Seeds every pipeline.
    model, crime_types, mitigate
        See :func:`evaluation_plan`.
    snapshot : Snapshot, optional
        A snapshot already built (e.g. with a home's recorded events).
    truth_dir : Path, optional
        The data folder's ``truth/``: adds the true-series target.
    n_estimators : int, optional
        Fewer trees for a quick trial (both model kinds).
    gates : mapping, optional
        As returned by :func:`~sanitizer.fairness.load_gates`.
    progress : callable, optional
        Called with a stage name as each stage starts.
    **evidence
        Overrides of ``min_group_size``, ``n_boot``, ``confidence``, ``seed`` for the
        fairness reports.

    Returns
    -------
    EvaluationRun
    """
    patterns, recidivism = evaluation_plan(model, crime_types, mitigate)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    say = progress or (lambda stage: None)
    gates = load_gates() if gates is None else gates
    say("registry snapshot")
    snapshot = build_snapshot(tables, as_of, policy) if snapshot is None else snapshot
    say("sanitize")
    clean = sanitize(tables, snapshot).tables

    sections: dict[str, dict] = {}
    for crime_type in patterns:
        pipeline = PatternPipeline(crime_type, seed=seed, n_estimators=n_estimators)
        say(f"{pipeline.name}: train and rebuild")
        evaluation = evaluate_pattern_pipeline(
            pipeline, tables, snapshot, truth_dir=truth_dir, clean=clean
        )
        lacking = {
            side: pipeline.insufficient_data(evaluation.fitted[name][1])
            for side, name in (("after", "sanitized"), ("before", "raw"))
            if name in evaluation.fitted
        }
        if any(lacking.values()):
            side, reason = next((k, v) for k, v in lacking.items() if v)
            raise BadInput(
                MSG_NOTHING_TO_JUDGE.format(name=pipeline.name, side=side, reason=reason)
            )
        say(f"{pipeline.name}: fairness")
        reports = {
            side: pattern_fairness_report(
                pipeline, clean, *evaluation.fitted[name], gates=gates, **evidence
            )
            for side, name in (("after", "sanitized"), ("before", "raw"))
        }
        sections[pipeline.name] = _pattern_section(evaluation, reports)
    if recidivism:
        say("recidivism: train, before and after sanitization")
        sections["recidivism"] = _recidivism_section(
            tables, clean, snapshot, seed, mitigate, n_estimators, gates, evidence
        )

    say("write")
    context = {
        "data": str(getattr(tables, "directory", "") or ""),
        "as_of": snapshot.as_of.isoformat(),
        "policy": snapshot.policy,
        "seed": int(seed),
        "snapshot_digest": snapshot.digest,
        "truth": truth_dir is not None,
        "mitigation": mitigate,
        "evidence": _evidence_settings(gates, evidence),
    }
    run = EvaluationRun(out)
    documents = _documents(context, sections)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        path = out / name
        staging = path.with_name(f".{name}.tmp")
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, path)
        run.files[name] = str(path)
    run.models = {
        name: {"gates": section["gates"], "metrics": section["metrics"]}
        for name, section in sections.items()
    }
    return run


# --- the pattern models -------------------------------------------------------------------------
def _pattern_section(
    evaluation: PatternEvaluation, reports: Mapping[str, PatternFairnessReport]
) -> dict:
    after, before = reports["after"], reports["before"]
    document = after.to_dict()
    rebuilds = {name: _clean(r.summary()) for name, r in evaluation.results.items()}
    metrics = {
        **rebuilds["sanitized/patterns"],
        f"fairness_recall_at_{document['k']}": _none(_first_recall(after.overall)),
        "race_test_max_abs_difference": _none(after.race_test.max_abs_difference),
        f"recall_at_{document['k']}_ratio_race": _none(_ratio_of(after, "race")),
        "truth": rebuilds.get("sanitized/truth"),
        "before_sanitization": rebuilds.get("raw/patterns"),
        "blocking": rebuilds.get("sanitized+blocking/patterns"),
    }
    return {
        "kind": "patternizr",
        "gates": after.gates,
        "metrics": metrics,
        "evaluation": {
            **evaluation.to_dict(),
            "results": rebuilds,
            "table": _rows(evaluation.table()),
        },
        "fairness": document,
        "before": before.to_dict(),
        "comparison": _pattern_comparison(before, after, document["k"]),
    }


def _pattern_comparison(
    before: PatternFairnessReport, after: PatternFairnessReport, k: int
) -> list[dict]:
    rows = []
    for label, pick in (
        ("held-out queries", lambda r: r.overall["queries"]),
        ("partial-rebuild rate", lambda r: r.overall["partial_rebuild_rate"]),
        (f"recall@{k}", lambda r: _first_recall(r.overall)),
        ("race test: max |recommended - random share|", lambda r: r.race_test.max_abs_difference),
        (f"recall@{k} ratio across race", lambda r: _ratio_of(r, "race")),
        ("fairness gate passed", lambda r: r.gates.get("fairness", {}).get("passed")),
        ("quality gate passed", lambda r: r.gates.get("quality", {}).get("passed")),
    ):
        rows.append({"metric": label, "before": _none(pick(before)), "after": _none(pick(after))})
    return rows


def _first_recall(overall: Mapping) -> float:
    return next(v for k, v in overall.items() if k.startswith("recall_at_"))


def _ratio_of(report, dimension: str):
    table = report.disparities.set_index("dimension")
    return float(table.loc[dimension, "value"]) if dimension in table.index else None


# --- the recidivism model -----------------------------------------------------------------------
def _recidivism_section(tables, clean, snapshot, seed, mitigate, n_estimators, gates, evidence):
    config = load_recidivism_config()
    if n_estimators:
        config["classifier"]["n_estimators"] = int(n_estimators)
    pipeline = RecidivismPipeline(seed=seed, config=config)
    comparison = SanitizationComparison(tables, snapshot, pipeline, gates=gates, **evidence)
    after = comparison.after
    judged = after
    section: dict = {"kind": "recidivism"}
    if mitigate is not None:
        judged = recidivism_report(clean, pipeline, mitigate=mitigate, gates=gates, **evidence)
        section["mitigated"] = judged.to_dict()
    metrics = {k: _none(v) for k, v in judged.overall.items()}
    for row in judged.disparities.itertuples():
        if row.dimension == "race":
            metrics[f"{row.metric}_race"] = _none(row.value)
    metrics["mitigation"] = mitigate
    rows = _rows(comparison.table)
    for row in rows:  # counts, not rates: keep them integers in the table
        if row["metric"] in _COUNT_ROWS:
            row.update({k: None if row[k] is None else int(row[k]) for k in _CHANGE})
    section.update(
        gates=judged.gates,
        metrics=metrics,
        fairness=after.to_dict(),
        before=comparison.before.to_dict(),
        comparison=rows,
    )
    return section


# --- documents ----------------------------------------------------------------------------------
def _documents(context: dict, sections: dict[str, dict]) -> dict[str, str]:
    evaluation = {
        **context,
        "published": {"patternizr": dict(PUBLISHED)},
        "models": {
            name: (
                s["evaluation"]
                if s["kind"] == "patternizr"
                else {"comparison": s["comparison"], "overall": s["fairness"]["overall"]}
            )
            for name, s in sections.items()
        },
    }
    fairness = {
        **context,
        "models": {
            name: {
                "gates": s["gates"],
                "report": s.get("mitigated", s["fairness"]),
                "unmitigated": s["fairness"] if "mitigated" in s else None,
                "before_sanitization": s["before"],
                "comparison": s["comparison"],
            }
            for name, s in sections.items()
        },
    }
    return {
        "evaluation.json": _json(evaluation),
        "evaluation.md": _evaluation_markdown(context, sections),
        "fairness.json": _json(fairness),
        "fairness.md": _fairness_markdown(context, sections),
    }


def _header(title: str, context: dict) -> list[str]:
    return [
        f"# {title}",
        "",
        f"Data `{context['data']}`, registry as of {context['as_of']} under the "
        f"`{context['policy']}` policy (snapshot digest `{context['snapshot_digest'][:16]}…`), "
        f"seed {context['seed']}. Every model here was trained by `sanitizer evaluate`, "
        'none registered; the "before sanitization" models were trained on the raw tables '
        "only to measure what sanitizing changes.",
        "",
    ]


def _evaluation_markdown(context: dict, sections: dict[str, dict]) -> str:
    lines = _header("Model evaluation", context)
    patterns = {n: s for n, s in sections.items() if s["kind"] == "patternizr"}
    if patterns:
        lines += [
            "## Pattern models: rebuilding held-out patterns",
            "",
            "As in Chohlas-Wood & Levine (2019): each held-out pattern is seeded with its "
            "latest complaint, the type's three years of history before it are ranked by "
            "the model, and we count what comes back. *Perfect rebuild*: every other member "
            "in the top size-1; *partial*: at least one; *@10*: within the top 10; "
            "*recall@k*: share of the other members in the top k, averaged over patterns. "
            "Held-out patterns are the clean test patterns (split by a hash of PATTERN_ID)"
            + (
                "; true series are the generator's series (`truth/`) no training pattern covers."
                if context["truth"]
                else "; the data folder has no `truth/`, so there is no true-series row."
            ),
            "",
        ]
        for name, section in patterns.items():
            lines += [f"### {name}", ""]
            lines += _rebuild_table(section["evaluation"])
            figures = section["evaluation"]["figures"]
            lines += [""] + [
                f"- trained {side}: {f['train_rows']:,} training pairs, "
                f"{f['train_positives']:,} positives, {f['patterns']:,} patterns"
                for side, f in figures.items()
            ]
            gate = section["evaluation"]["gate"]
            lines += [
                f"- quality gate: partial rebuild {_fmt(gate['partial_rebuild'])} "
                f"≥ {gate['threshold']}: **{'pass' if gate['passed'] else 'FAIL'}**",
                "",
            ]
    if "recidivism" in sections:
        section = sections["recidivism"]
        lines += [
            "## Recidivism model: held-out persons",
            "",
            "Two-year re-arrest risk, held-out persons (a seeded hash of PERSON_ID). "
            "*Before*: population, features and labels from every arrest, sealed ones "
            "included; *after*: the certified path, clean arrests only.",
            "",
        ]
        lines += _table(
            section["comparison"],
            [("metric", "metric"), ("before", "before"), ("after", "after"), ("change", "change")],
        )
        lines.append("")
    return "\n".join(lines)


def _rebuild_table(evaluation: dict) -> list[str]:
    recall = sorted(
        {k for r in evaluation["results"].values() for k in r if k.startswith("recall_at_")},
        key=lambda k: int(k.rsplit("_", 1)[1]),
    )
    columns = [("model", "model"), ("target", "target"), *_REBUILD_COLUMNS]
    columns += [(k, f"recall@{k.rsplit('_', 1)[1]}") for k in recall]
    rows = []
    for name, summary in evaluation["results"].items():
        model, target = name.split("/")
        rows.append(
            {"model": _MODELS.get(model, model), "target": _TARGETS.get(target, target), **summary}
        )
    rows.append(
        {
            "model": "**Patternizr (published)**",
            "target": "NYPD test patterns",
            **{k: v for k, v in evaluation["published"].items()},
        }
    )
    return _table(rows, columns)


def _fairness_markdown(context: dict, sections: dict[str, dict]) -> str:
    evidence = context["evidence"]
    lines = _header("Fairness report", context)
    lines += [
        f"Groups with fewer than {evidence['min_group_size']} members are reported as "
        "*insufficient evidence*: their figures are shown but no gate decides on them. "
        f"Intervals: {evidence['confidence']:.0%} bootstrap, {evidence['n_bootstrap']} "
        "resamples (seeded). Pattern-model groups describe each query's suspect as victims "
        "reported it (the seed complaint's, or the pattern's most frequent known value) and "
        "the seed's borough; the model never reads them.",
        "",
        "## Gates",
        "",
    ]
    rows = []
    for name, section in sections.items():
        rows.append(
            {
                "model": name,
                **{g: _verdict(section["gates"].get(g)) for g in ("fairness", "quality")},
            }
        )
    lines += _table(rows, [("model", "model"), ("fairness", "fairness"), ("quality", "quality")])
    if context["mitigation"]:
        lines += ["", f"Recidivism gates judge the decisions after `{context['mitigation']}`."]
    for name, section in sections.items():
        report = section.get("mitigated", section["fairness"])
        lines += ["", f"## {name}", "", "### Gate criteria", ""]
        for gate, verdict in section["gates"].items():
            lines.append(f"- **{gate}**: {_verdict(verdict)}")
            lines += [f"  - {c['detail']}" for c in verdict["criteria"]]
        if section["kind"] == "patternizr":
            lines += _pattern_fairness_lines(report)
        else:
            lines += _recidivism_fairness_lines(report)
        notes = report.get("notes") or [
            f"{r['dimension']}={r['group']}: {r['n']} members"
            for r in report["by_group"]
            if r["status"] != "ok"
        ]
        lines += ["", "### Insufficient evidence", ""]
        lines += [f"- {n}" for n in notes] or ["- none: every group has enough members"]
        lines += ["", "### Before vs after sanitization", ""]
        columns = [("metric", "metric"), ("before", "before"), ("after", "after")]
        if section["kind"] == "recidivism":
            columns.append(("change", "change"))
        lines += _table(section["comparison"], columns)
    return "\n".join(lines) + "\n"


def _pattern_fairness_lines(report: dict) -> list[str]:
    k = report["k"]
    lines = [
        "",
        f"### Recall@{k} by group",
        "",
        f"One query per held-out pattern; partial-rebuild rate "
        f"{_fmt(report['partial_rebuild_rate'])}, overall recall@{k} "
        f"{_fmt(report['overall'].get(f'recall_at_{k}'))} over "
        f"{report['overall']['queries']} queries.",
        "",
    ]
    rows = [
        {**r, "interval": _interval(r.get("recall_at_k_low"), r.get("recall_at_k_high"))}
        for r in report["by_group"]
    ]
    lines += _table(
        rows,
        [
            ("dimension", "dimension"),
            ("group", "group"),
            ("n", "queries"),
            ("recall_at_k", f"recall@{k}"),
            ("interval", "interval"),
            ("status", "status"),
        ],
    )
    lines += ["", "### Disparities", ""]
    lines += _disparity_table(report["disparities"])
    race = report.get("race_test")
    if race:
        lines += [
            "",
            "### Patternizr's race test",
            "",
            f"Suspect-race shares of the top {k} recommendations of every query against "
            "random samples of the same size from the same query's candidates "
            f"({race['settings']['n_samples']} samples), leaving out the query's own pattern "
            "members (true links share the offender, hence the race) and complaints whose "
            "victim reported no suspect race. Max |difference| over judged races: "
            f"{_fmt(race['max_abs_difference'])} (tolerance {race['settings']['tolerance']}).",
            "",
        ]
        rows = [
            {**r, "interval": _interval(r.get("random_low"), r.get("random_high"))}
            for r in race["by_race"]
        ]
        lines += _table(
            rows,
            [
                ("race", "suspect race"),
                ("recommended", "recommended"),
                ("recommended_share", "recommended share"),
                ("random_share", "random share"),
                ("interval", "random interval"),
                ("difference", "difference"),
                ("status", "status"),
            ],
        )
    return lines


def _recidivism_fairness_lines(report: dict) -> list[str]:
    overall = report["overall"]
    lines = [
        "",
        "### Decisions by group (held-out persons)",
        "",
        f"{overall['n']:,} held-out persons; AUC {_fmt(overall.get('auc'))} "
        f"{_interval(overall.get('auc_low'), overall.get('auc_high'))}, selection rate "
        f"{_fmt(overall.get('selection_rate'))}, base rate {_fmt(overall.get('base_rate'))}.",
        "",
    ]
    rates = ("selection_rate", "false_positive_rate", "false_negative_rate")
    rows = [
        {
            **r,
            **{
                f"{rate}_text": _with_interval(
                    r.get(rate), r.get(f"{rate}_low"), r.get(f"{rate}_high")
                )
                for rate in rates
            },
        }
        for r in report["by_group"]
    ]
    lines += _table(
        rows,
        [
            ("dimension", "dimension"),
            ("group", "group"),
            ("n", "n"),
            ("selection_rate_text", "selection rate"),
            ("false_positive_rate_text", "FPR"),
            ("false_negative_rate_text", "FNR"),
            ("status", "status"),
        ],
    )
    lines += ["", "### Disparities", ""]
    lines += _disparity_table(report["disparities"])
    return lines


def _disparity_table(rows: list[dict]) -> list[str]:
    rows = [{**r, "interval": _interval(r.get("low"), r.get("high"))} for r in rows]
    return _table(
        rows,
        [
            ("dimension", "dimension"),
            ("metric", "metric"),
            ("value", "value"),
            ("interval", "interval"),
            ("groups_judged", "groups judged"),
            ("groups_insufficient", "insufficient evidence"),
        ],
    )


# --- small helpers ------------------------------------------------------------------------------
def _evidence_settings(gates: Mapping, evidence: Mapping) -> dict:
    base = dict(gates["evidence"])
    base.update({k: v for k, v in evidence.items() if v is not None})
    return {
        "min_group_size": int(base["min_group_size"]),
        "n_bootstrap": int(base.get("n_boot", base.get("n_bootstrap"))),
        "confidence": float(base["confidence"]),
        "seed": int(base["seed"]),
    }


def _none(value):
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value


def _clean(mapping: Mapping) -> dict:
    return {k: _none(v) for k, v in mapping.items()}


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [_clean(r) for r in frame.to_dict(orient="records")]


def _json(document) -> str:
    return json.dumps(document, indent=2, default=str, allow_nan=False) + "\n"


def _fmt(value) -> str:
    value = _none(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) > 1 else f"{value:.3f}"
    return str(value).replace("|", "\\|")


def _with_interval(value, low, high) -> str:
    if _none(value) is None:
        return "—"
    return f"{float(value):.3f} {_interval(low, high)}"


def _interval(low, high) -> str:
    low, high = _none(low), _none(high)
    if low is None or high is None:
        return "—"
    return f"[{low:.3f}, {high:.3f}]"


def _verdict(gate: Mapping | None) -> str:
    if not gate:
        return "—"
    if not gate["passed"]:
        return "FAIL"
    undecided = all(c["status"] == "insufficient evidence" for c in gate.get("criteria", []))
    return "pass (insufficient evidence: no verdict)" if undecided else "pass"


def _table(rows: Sequence[Mapping], columns: Sequence[tuple[str, str]]) -> list[str]:
    """A markdown table of ``rows`` (dicts), ``columns`` as (key, heading)."""
    lines = [
        "| " + " | ".join(h for _, h in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(k)) for k, _ in columns) + " |")
    return lines
