"""The cache of rendered pages (app/web/templating.py: render_cached): a page served from it is
the page rendering would give, for this session only, and a change of anything it shows is a
new page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, meta

from app.web import templating
from app.web.templating import render_cached, rendered_page
from tests.support.auth import AuthActions, portal_client

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# What every template gets (templating.template_globals), besides what its view passes.
EVERY_TEMPLATE_GETS = {"current_user", "links", "csrf_token", "retry_url"}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def cached_renders() -> list[tuple[str, frozenset[str], str]]:
    """Every render_cached call in app/: its template, the names it passes, where it is."""
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.id if isinstance(node.func, ast.Name) else None
            called = node.func.attr if isinstance(node.func, ast.Attribute) else called
            if called != "render_cached":
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            template = node.args[0] if node.args else None
            # Only literal names can be checked: a template or values chosen at run time cannot.
            assert isinstance(template, ast.Constant), f"{where}: name the template literally"
            assert all(keyword.arg for keyword in node.keywords), f"{where}: no **values"
            passed = frozenset(str(keyword.arg) for keyword in node.keywords)
            found.append((str(template.value), passed, where))
    return found


CACHED = cached_renders()


def template_chain(name: str) -> list[str]:
    """The template and every template it extends or includes."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES))
    chain, pending = [], [name]
    while pending:
        current = pending.pop()
        chain.append(current)
        source = environment.loader.get_source(environment, current)[0]
        pending += [ref for ref in meta.find_referenced_templates(environment.parse(source)) if ref]
    return chain


def test_the_profile_is_among_the_cached_pages():
    assert "pages/profile.html" in [template for template, _, _ in CACHED]


@pytest.mark.parametrize(("template", "passed", "where"), CACHED, ids=[c[2] for c in CACHED])
def test_a_cached_template_reads_only_what_its_key_holds(template, passed, where):
    # A template that read `request`, `session`, `g` or `config` would be served to requests
    # its key does not describe.
    environment = Environment(loader=FileSystemLoader(TEMPLATES))
    for name in template_chain(template):
        source = environment.loader.get_source(environment, name)[0]
        read = meta.find_undeclared_variables(environment.parse(source))
        assert read, name  # the check sees the template's names
        unknown = read - passed - EVERY_TEMPLATE_GETS
        assert not unknown, f"{name} (rendered at {where}) reads {sorted(unknown)}"


def test_the_guard_sees_a_template_that_reads_the_request():
    environment = Environment()
    read = meta.find_undeclared_variables(environment.parse("{{ request.path }}{{ links.home }}"))
    assert not read <= EVERY_TEMPLATE_GETS


def test_what_every_template_gets_is_in_the_key(app):
    with app.test_request_context("/"):
        assert set(templating.template_globals()) == EVERY_TEMPLATE_GETS


def signed_in(app):
    client = portal_client(app)
    assert AuthActions(client).login().status_code == 302
    return client


def test_the_cached_page_is_the_rendered_page(app):
    client = signed_in(app)
    rendered_page.cache_clear()
    first = client.get("/profile")
    assert first.status_code == 200 and rendered_page.cache_info().currsize == 1
    again = client.get("/profile")
    assert rendered_page.cache_info().hits >= 1
    assert again.get_data() == first.get_data()
    assert CSRF_INPUT.search(first.get_data(as_text=True))


def test_two_sessions_of_one_user_get_their_own_csrf_tokens(app):
    rendered_page.cache_clear()
    one, other = signed_in(app), signed_in(app)
    page_one = one.get("/profile").get_data(as_text=True)
    page_other = other.get("/profile").get_data(as_text=True)
    token_one = CSRF_INPUT.search(page_one).group(1)
    token_other = CSRF_INPUT.search(page_other).group(1)
    assert token_one != token_other
    # And each is the token its own session accepts: sign-out works from the cached page.
    assert one.get("/profile").get_data(as_text=True) == page_one
    assert one.post("/logout", data={"csrf_token": token_one}).status_code == 303
    assert other.get("/profile").status_code == 200


def test_a_change_of_what_the_page_shows_is_a_new_page(app):
    with app.test_request_context("/profile"):
        from flask import session

        session["csrf_token"] = "a-secret-of-this-session"
        rendered_page.cache_clear()
        values = {
            "user": "alex",
            "name": "Alex",
            "role_words": "Originator",
            "person_known": True,
            "client_id": "portal",
            "roles": (0, ""),
            "permissions": (0, ""),
            "scopes": (0, ""),
            "expires_iso": None,
            "expires_text": None,
            "can_refresh": True,
        }
        first = render_cached("pages/profile.html", **values)
        assert render_cached("pages/profile.html", **values) == first
        changed = render_cached("pages/profile.html", **{**values, "name": "Morgan"})
        assert "Morgan" in changed and "Morgan" not in first
        assert rendered_page.cache_info().currsize == 2


def test_a_session_without_a_csrf_secret_is_never_cached(app):
    with app.test_request_context("/profile"):
        rendered_page.cache_clear()
        page = render_cached("pages/index.html", user=None)
        assert "Sign in" in page
        assert rendered_page.cache_info().currsize == 0


def test_a_value_that_cannot_be_a_key_is_refused(app):
    with app.test_request_context("/profile"):
        from flask import session

        session["csrf_token"] = "a-secret"
        with pytest.raises(TypeError):
            render_cached("pages/index.html", user=["not", "hashable"])


def test_the_cache_is_bounded():
    assert rendered_page.cache_info().maxsize == templating.RENDERED_PAGES
