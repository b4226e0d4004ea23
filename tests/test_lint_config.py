"""`.pre-commit-config.yaml` runs what `make lint` runs: the same tools, with the same arguments."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def make_lint_commands() -> list[str]:
    """The recipe lines of the Makefile's `lint` target, `$(VENV)` spelt `.venv`."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("lint:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().replace("$(VENV)", ".venv"))
    return commands


def pre_commit_commands() -> list[str]:
    """Each hook's command. Every hook runs over the whole tree (no file names appended), as
    `make lint` does."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    commands = []
    for repo in config["repos"]:
        assert repo["repo"] == "local", "hooks run the venv's tools, the versions CI uses"
        for hook in repo["hooks"]:
            assert hook["language"] == "system"
            assert hook["pass_filenames"] is False, hook["id"]
            commands.append(hook["entry"])
    return commands


def test_pre_commit_runs_what_make_lint_runs() -> None:
    assert make_lint_commands(), "the Makefile has a lint target"
    assert sorted(pre_commit_commands()) == sorted(make_lint_commands())


def test_ruff_checks_naive_datetimes_and_mypy_wants_typed_definitions() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    select = re.search(r"^select = \[(.*)\]$", pyproject, re.MULTILINE)
    assert select is not None
    assert '"DTZ"' in select.group(1)
    mypy = pyproject.split("[tool.mypy]", 1)[1].split("[[tool.mypy.overrides]]", 1)[0]
    assert "disallow_untyped_defs = true" in mypy
