"""Package-wide conventions (STYLE.md): public names, one-way imports, tests per stage."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import sanitizer

PACKAGE_DIR = Path(sanitizer.__file__).parent
TESTS_DIR = Path(__file__).parent

#: The pipeline's direction: a stage may import only from stages before it.
FLOW = [
    "tables",
    "registry",
    "sanitize",
    "features",
    "train",
    "fairness",
    "lineage",
    "certify",
    "serve",
    "report",
]
#: Stages off the main line: only the CLI, tests and benchmarks may use them.
SIDE_BRANCHES = {"synth"}
#: The end of the flow: it may import every stage, and nothing imports it.
CLI = "cli"
SUBPACKAGES = sorted(p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_has_docstring_and_all(name):
    module = importlib.import_module(f"sanitizer.{name}")
    assert module.__doc__ and module.__doc__.strip(), f"sanitizer.{name} needs a docstring"
    assert hasattr(module, "__all__"), f"sanitizer.{name} needs __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"sanitizer.{name}.__all__ names {missing}, which do not exist"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_has_tests(name):
    assert list((TESTS_DIR / name).glob("test_*.py")), f"tests/{name}/ has no test module"


def _imported_stages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    package = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level])
                target = base + (node.module.split(".") if node.module else [])
            else:
                target = (node.module or "").split(".")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name.split(".")
                if target[0] == "sanitizer" and len(target) > 1:
                    found.add(target[1])
            continue
        else:
            continue
        if target and target[0] == "sanitizer" and len(target) > 1:
            found.add(target[1])
    return found


def test_imports_flow_downstream_only():
    problems = []
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR).parts
        stage = parts[0] if len(parts) > 1 else None
        for target in _imported_stages(path):
            if target == CLI and stage != CLI and path.name != "__main__.py":
                problems.append(f"{path.name} imports the CLI")
            if stage in (None, CLI) or target == stage or target.startswith("_"):
                continue
            if target in SIDE_BRANCHES:
                problems.append(f"{stage}/{path.name} imports {target} (a side branch)")
            elif stage in FLOW and target in FLOW and FLOW.index(target) > FLOW.index(stage):
                problems.append(f"{stage}/{path.name} imports {target}, which is downstream")
    assert not problems, "\n".join(problems)


def test_every_module_imports():
    for info in pkgutil.walk_packages(sanitizer.__path__, "sanitizer."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
