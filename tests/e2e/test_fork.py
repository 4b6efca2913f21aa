"""docs/forking.md followed word for word in a fresh clone, as a person forking the portal would.

The clone is `git clone` of this repository, with this working tree's changes and new files
copied over it (so the test checks the code as it is, committed or not), and the shared
virtualenv. In it, `make run` starts on free ports, a person signs in, and then each file of
the forking page's walk-through (a block whose fence names a path) is written as it is, or
changed as its ```diff``` says, in order: the page step (up to its change of app/__init__.py),
then the call step. After each, the running portal reloads by itself, and the new page answers
200: `/me` with the person's account, `/contacts` with the address book, from the emulator's
contacts API.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.auth import sign_in
from tests.support.docs import Block, apply_change, blocks
from tests.support.make_run import MakeRun
from tests.support.processes import ROOT, VENV_BIN

PAGE = "docs/forking.md"
ROBIN = {"email": "robin.collaborator@xy-company.com", "firstName": "Robin", "lastName": "Hood"}
RELOAD_WAIT = 120  # seconds for a reloaded page to answer, on a loaded machine
RESAVE_EVERY = 10  # seconds: a change saved again, as a person would, if no reload showed it


@pytest.fixture(scope="module")
def fork(tmp_path_factory) -> Path:
    """A fresh clone of the repository as it is in this working tree, with the shared venv."""
    folder = tmp_path_factory.mktemp("fork") / "cocoon-portal"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder)], check=True, timeout=120)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    (folder / ".venv").symlink_to(VENV_BIN.parent)
    return folder


@pytest.fixture(scope="module")
def stack(fork, tmp_path_factory) -> Iterator[MakeRun]:
    """`make run` in the fork (the venv as it is: `-o` keeps make from reinstalling it), with
    one worker, so that each page is served by the one worker that reloaded."""
    log = tmp_path_factory.mktemp("fork-run") / "make-run.log"
    run = MakeRun(fork, log, VENV_BIN, make_options=("-o", ".venv/.installed"))
    run.env["WEB_CONCURRENCY"] = "1"
    run.start()
    yield run
    run.stop()


def walkthrough() -> tuple[list[Block], list[Block]]:
    """The page step's files and the call step's, in the page's order."""
    files = [block for block in blocks(PAGE) if block.file is not None]
    first_registration = next(i for i, block in enumerate(files) if block.file == "app/__init__.py")
    return files[: first_registration + 1], files[first_registration + 1 :]


def follow(fork: Path, steps: list[Block]) -> Path:
    """Write or change each file as the page says; the last file changed."""
    for block in steps:
        target = fork / block.file
        if block.language == "diff":
            target.write_text(apply_change(target.read_text(), block.text))
        else:
            assert not target.exists(), f"{block.id} would overwrite {block.file}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text)
    return target


def served(browser: requests.Session, url: str, saved: Path) -> requests.Response:
    """The page at url once the portal has reloaded; the change is saved again (its time
    renewed) now and then, as a person would, should a reload have missed it."""
    deadline, resaved = time.monotonic() + RELOAD_WAIT, time.monotonic()
    while True:
        try:
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass  # the worker is being replaced
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer 200 within {RELOAD_WAIT} s after {saved}")
        if time.monotonic() - resaved > RESAVE_EVERY:
            saved.touch()
            resaved = time.monotonic()
        time.sleep(0.5)


def test_the_walkthrough_has_both_steps():
    page, call = walkthrough()
    assert [block.file for block in page] == [
        "app/me.py",
        "templates/me/me.html",
        "app/__init__.py",
    ]
    assert "app/my_api.py" in [block.file for block in call]
    assert [block.file for block in call][-1] == "app/__init__.py"
    assert "user_api(MyUserApi)" in "".join(block.text for block in call)


def test_a_page_and_a_call_added_as_the_docs_say_answer_200(fork, stack):
    browser = sign_in(stack.portal_url)
    assert browser.get(stack.portal_url + "/me", timeout=10).status_code == 404  # not yet
    page, call = walkthrough()

    me = served(browser, stack.portal_url + "/me", follow(fork, page))
    assert "alex.originator@xy-company.com" in me.text and "Alex Originator" in me.text

    token = requests.post(
        stack.access_service_url + "/api/oauth/token",
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        data={"grant_type": "password", "username": "alex.originator@xy-company.com"}
        | {"password": "password1"},
        timeout=10,
    ).json()["access_token"]
    added = requests.post(
        stack.access_service_url + "/api/v1/users/me/contacts",
        headers={"Authorization": f"Bearer {token}"},
        json={"contacts": [ROBIN]},
        timeout=10,
    )
    assert added.status_code == 201

    contacts = served(browser, stack.portal_url + "/contacts", follow(fork, call))
    assert "Your contacts" in contacts.text and "&lt;robin.collaborator@xy-company.com&gt;" in (
        contacts.text
    )
    searched = browser.get(stack.portal_url + "/contacts?search=nobody", timeout=10)
    assert searched.status_code == 200 and "No contact matches “nobody”." in searched.text
    assert browser.get(stack.portal_url + "/me", timeout=10).status_code == 200  # still signed in
