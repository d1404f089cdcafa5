"""Issue 19 item 2: the layers of docs/architecture.md hold, and ``lint-imports`` (``make lint``) fails on
a reverse import, one written inside a function as much as one at the top of a module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The packages the contracts name (pyproject.toml's root_packages), so a new app is copied with the rest.
PACKAGES = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_layers_hold():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the catalogue below the groups; an import written inside a function counts the same
        ("catalogue/plan_names.py", "def late():\n    from enrollment import models\n", "point one way"),
        # the groups below their members
        ("enrollment/finalize.py", "from members import selectors  # noqa\n", "point one way"),
        ("sandbox/models.py", "from carrier import client  # noqa\n", "imports nothing of the portal"),
        ("groupsales/codes.py", "import django  # noqa\n", "plain Python"),
    ],
)
def test_a_reverse_import_breaks_the_layers(tmp_path, module, line, contract):
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    assert lint_imports(tree).returncode == 0  # the copy holds, as the tree does

    with open(tree / module, "a") as f:
        f.write("\n\n" + line)
    run = lint_imports(tree)
    assert run.returncode != 0
    broken = [row for row in run.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(contract in row for row in broken), run.stdout
