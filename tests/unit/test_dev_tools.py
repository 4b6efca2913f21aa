"""The development tools agree: pre-commit runs the checks of `make test`, at the same versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pinned() -> dict[str, str]:
    """Package name -> version, as requirements-dev.txt pins them."""
    text = (ROOT / "requirements-dev.txt").read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, flags=re.MULTILINE))


def hooks() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_runs_the_format_check_the_linter_and_the_type_checker():
    found = hooks()
    assert {"ruff-format", "ruff-check", "mypy"} <= set(found)
    assert found["ruff-format"]["entry"].startswith("ruff format")
    assert found["ruff-check"]["entry"].startswith("ruff check")


def test_pre_commit_uses_the_pinned_versions():
    versions = pinned()
    assert {"ruff", "mypy"} <= set(versions)
    for hook in hooks().values():
        for requirement in hook.get("additional_dependencies", []):
            name, _, version = requirement.partition("==")
            assert versions.get(name) == version, f"{hook['id']}: {requirement}"


def test_make_test_runs_the_same_checks_before_the_tests():
    makefile = (ROOT / "Makefile").read_text()
    test_target = re.search(r"^test:(.*)$", makefile, flags=re.MULTILINE)
    assert test_target is not None
    assert {"lint", "typecheck"} <= set(test_target.group(1).split())
    assert "ruff format --check" in makefile and "ruff check" in makefile
    assert "-m mypy" in makefile
