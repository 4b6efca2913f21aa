"""app/ and config/ use libraries through their public names only.

A private name (one leading underscore: `_current_window_key`, `_Limiter__inject_headers`) can
change or vanish in any release, and a fork inherits the trap. Read from the source:
- no import of a library's private module or name (`from flask_session.base import _x`);
- no attribute access to a private name except on `self` and `cls`: reading code cannot tell a
  library's object (`store._current_window_key`) from ours, and our own modules have no
  business in each other's privates either; `getattr(obj, "_name")` counts too;
- no override or use through `self` of a private name of a library base class (`def
  _upsert_session`, `self._generate_sid()`): the base class is imported to find out;
- no assignment to a library module's globals (`logging.logThreads = False`).
Dunder names (`__init__`, `__dict__`) are public."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("app", "config")
PROJECT = {"app", "config", "access_service", "tests", "bench", "scripts", "wsgi"}
OWN = {"self", "cls"}
NAMED_ACCESS = {"getattr", "setattr", "hasattr", "delattr"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_library(module: str | None, level: int = 0) -> bool:
    return level == 0 and module is not None and module.split(".")[0] not in PROJECT


def library_imports(tree: ast.AST) -> dict[str, tuple[str, str | None]]:
    """The names that imports from libraries bind: name -> (module, attribute or None)."""
    bound: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_library(alias.name):
                    name = alias.asname or alias.name.split(".")[0]
                    bound[name] = (alias.name if alias.asname else name, None)
        elif isinstance(node, ast.ImportFrom) and is_library(node.module, node.level):
            for alias in node.names:
                bound[alias.asname or alias.name] = (node.module or "", alias.name)
    return bound


def dotted(node: ast.expr) -> list[str]:
    """["a", "b", "C"] for `a.b.C`; [] for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        parts = dotted(node.value)
        return [*parts, node.attr] if parts else []
    return []


class PrivateUses(ast.NodeVisitor):
    """Collects, in `found`, each private import, private access and library-global
    assignment of a module."""

    def __init__(self, tree: ast.AST):
        self.imports = library_imports(tree)
        self.modules = {name for name, (_, attribute) in self.imports.items() if not attribute}
        self.found: list[str] = []
        self.visit(tree)

    def note(self, node: ast.AST, text: str) -> None:
        self.found.append(f"line {getattr(node, 'lineno', '?')}: {text}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if any(map(is_private, alias.name.split("."))):
                self.note(node, f"import {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = (node.module or "").split(".") + [alias.name for alias in node.names]
        if is_library(node.module, node.level) and any(map(is_private, names)):
            self.note(node, ast.unparse(node))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if is_private(node.attr) and not is_own(node.value):
            self.note(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        is_getattr = isinstance(node.func, ast.Name) and node.func.id in NAMED_ACCESS
        if is_getattr and len(node.args) > 1 and not is_own(node.args[0]):
            name = node.args[1]
            if isinstance(name, ast.Constant) and is_private(str(name.value)):
                self.note(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [base for base in map(self.library_class, node.bases) if base is not None]
        for child in ast.walk(node) if bases else ():
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            elif isinstance(child, ast.Attribute) and is_own(child.value):
                name = child.attr
            else:
                continue
            if is_private(name) and any(hasattr(base, name) for base in bases):
                self.note(child, f"{node.name}: {name}, private to its base class")
        self.generic_visit(node)

    def library_class(self, node: ast.expr) -> type | None:
        """The library class a base-class expression names, imported; None for ours."""
        parts = dotted(node)
        if not parts or parts[0] not in self.imports:
            return None
        module, attribute = self.imports[parts[0]]
        found: Any = importlib.import_module(module)
        for name in ([attribute] if attribute else []) + parts[1:]:
            found = getattr(found, name)
        return found if isinstance(found, type) else None

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.library_global(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.library_global(node.target)
        self.generic_visit(node)

    def library_global(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            if target.value.id in self.modules:
                self.note(target, ast.unparse(target) + " = ...")


def is_own(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in OWN


def private_uses(source: str) -> list[str]:
    """Each private import, private access and library-global assignment in source."""
    return PrivateUses(ast.parse(source)).found


def checked_files() -> list[Path]:
    return sorted(path for folder in CHECKED for path in (ROOT / folder).rglob("*.py"))


def test_the_check_reads_the_whole_portal():
    names = {path.relative_to(ROOT).as_posix() for path in checked_files()}
    assert {
        "app/__init__.py",
        "app/sessions/interface.py",
        "app/sessions/backend.py",
        "app/web/logs.py",
        "config/settings.py",
    } <= names


def test_the_check_covers_flask_session_and_cachelib():
    """The session layer is flask-session on a cachelib backend of ours: both are imported by
    the files checked, so a private name of either would be caught (the cases below)."""
    imported = {
        module.split(".")[0]
        for path in checked_files()
        for module, _ in library_imports(ast.parse(path.read_text())).values()
    }
    assert {"flask_session", "cachelib"} <= imported


@pytest.mark.parametrize(
    "path", checked_files(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_no_private_name_of_a_library(path):
    assert private_uses(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "app.before_request_funcs[None].remove(limiter._check_request_limit)",
        "key = store._current_window_key(rate.key_for(address))",
        "hook = getattr(Limiter, '_Limiter__inject_headers', 0)",
        "from flask_session.base import _retrieve",
        "from flask_session._utils import retry_query",
        "import werkzeug._internal",
        "import logging\nlogging.logThreads = logging.logProcesses = False",
        "import logging as log\nlog.raiseExceptions = False",
        "interface._get_store_id(sid)",
        "from flask_session.cachelib import CacheLibSessionInterface as C\nclass P(C):\n"
        "    def _upsert_session(self, lifetime, session, key): pass",
        "from flask_session.base import ServerSideSessionInterface\n"
        "class P(ServerSideSessionInterface):\n    def f(self): return self._generate_sid(16)",
        "from cachelib import BaseCache\nclass B(BaseCache):\n"
        "    def set(self, k, v, timeout=None): return self._normalize_timeout(timeout)",
        "app.session_interface._delete_session(key)",
        "current_app.session_interface._upsert_session(None, s, key)",
        "from limits.strategies import SlidingWindowCounterRateLimiter as S\nclass M(S):\n"
        "    def _weighted_count(s): 0",
        "import limits.strategies\nclass L(limits.strategies.SlidingWindowCounterRateLimiter):\n"
        "    def f(self):\n        return self._weighted_count()",
    ],
)
def test_a_private_use_is_caught(source):
    assert private_uses(source)


@pytest.mark.parametrize(
    "source",
    [
        "self._client.get(key)",
        "cls._instances.clear()",
        "super().__init__(app)\nrecord.__dict__.items()",
        "from __future__ import annotations",
        "from app.cocoon.refresh import _lock_key",
        "import logging\nlog = logging.getLogger(__name__)\nlog.level = 10",
        "getattr(self, '_cache', None)",
        "strategy.get_window_stats(rate, *names).reset_time + rate.GRANULARITY.seconds",
        "from flask.sessions import SessionInterface\nclass S(SessionInterface):\n"
        "    def _decode(self, raw): return self._cache",
        "from cachelib import BaseCache\nclass B(BaseCache):\n"
        "    def get(self, key): return self._own(key)\n    def _own(self, key): return key",
        "from flask_session import Session\nSession(app)\ninterface.regenerate(session)",
    ],
)
def test_public_and_own_names_pass(source):
    assert private_uses(source) == []
