"""Lower layers never import a blueprint: the platform client, the sessions and the pages'
plumbing sit below app/auth, app/account and app/pages, and a fork can follow a sign-in top to
bottom without an import climbing back up."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ("app.auth", "app.account", "app.pages")
LOWER = ["app/cocoon", "app/sessions", "app/web", "config"]
LOWER_FILES = ["app/components.py", "app/redis_client.py", "app/extensions.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute names (`from app import auth` gives `app.auth`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def lower_files() -> list[Path]:
    files = [path for folder in LOWER for path in (ROOT / folder).rglob("*.py")]
    return files + [ROOT / name for name in LOWER_FILES]


def test_the_lower_layers_are_there() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in lower_files()}
    assert {"app/sessions/interface.py", "app/web/errors.py", "app/cocoon/client.py"} <= names


def test_no_lower_layer_imports_a_blueprint() -> None:
    climbing = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in lower_files()
        for name in imported_modules(path)
        if name in BLUEPRINTS or name.startswith(tuple(f"{bp}." for bp in BLUEPRINTS))
    }
    assert not climbing, sorted(climbing)


def test_the_check_sees_an_import_that_climbs(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from app import auth\nfrom app.account.blueprint import bp\n")
    assert {"app.auth", "app.account.blueprint"} <= imported_modules(module)
