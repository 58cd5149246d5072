"""The command tree itself: help on every command, one option block for both retrains."""

from __future__ import annotations

from importlib.metadata import entry_points

import click
import pytest
import typer
from typer.testing import CliRunner

from sanitizer.cli import app, main
from sanitizer.cli import retrain as retrain_module
from sanitizer.cli.retrain import RetrainOptions

runner = CliRunner()
ROOT = typer.main.get_command(app)


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(ROOT))


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "-" for p, _ in COMMANDS]
)
def test_every_command_has_help(path, command):
    assert (command.help or "").strip(), f"sanitizer {' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help"


def _options(name: str) -> list[tuple]:
    command = ROOT.commands["retrain"].commands[name]
    return [
        (p.name, tuple(p.opts), p.required, p.default, p.help, getattr(p, "envvar", None))
        for p in command.params
    ]


def test_retrain_commands_share_every_option_but_crime_type():
    patternizr = _options("patternizr")
    assert [o[0] for o in patternizr][:2] == ["data", "crime_type"]
    assert [o for o in patternizr if o[0] != "crime_type"] == _options("recidivism")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["patternizr", "--data", "d", "--crime-type", "grand-larceny"],
            ("patternizr", "grand-larceny", "strict", 0, False, None, False),
        ),
        (
            [
                "recidivism",
                "--data",
                "d",
                "--policy",
                "statutory",
                "--seed",
                "3",
                "--mitigate",
                "--trees",
                "5",
                "--home",
                "h",
                "--json",
            ],
            ("recidivism", None, "statutory", 3, True, 5, True),
        ),
    ],
)
def test_retrain_options_reach_the_shared_body(monkeypatch, args, expected):
    seen = []
    monkeypatch.setattr(
        retrain_module,
        "run_retrain",
        lambda kind, crime, options: seen.append((kind, crime, options)),
    )
    result = runner.invoke(app, ["retrain", *args])
    assert result.exit_code == 0, result.output
    [(kind, crime, options)] = seen
    assert isinstance(options, RetrainOptions)
    got = (
        kind,
        crime,
        options.policy.value,
        options.seed,
        options.mitigate,
        options.trees,
        options.as_json,
    )
    assert got == expected
    assert str(options.data) == "d" and options.mitigation == "threshold_optimizer"


def test_console_script_points_at_main():
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "sanitizer"]
    assert script.load() is main
