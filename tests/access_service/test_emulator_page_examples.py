"""The user API's curl examples in docs/emulator.md, run as they are written.

Only the host changes (`http://127.0.0.1:9000`, where `make run` puts the emulator, becomes this
test's own emulator, so `users/me/expire` ends nobody else's tokens).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.access_service.helpers import APPROVAL, DOC_REDIRECT, Browser
from tests.support.processes import AccessService
from tests.support.tools import command

PAGE = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MAKE_RUN = "http://127.0.0.1:9000"


@pytest.fixture(autouse=True)
def curl() -> str:
    """curl, which these examples are written for (tools.command)."""
    return command("curl")


def user_api_examples() -> list[str]:
    """The shell blocks of the page's user API section, in order."""
    section = PAGE.read_text().split("## The user API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh[^\n]*\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory):
    service = AccessService(tmp_path_factory.mktemp("readme")).start()
    yield service.url
    service.stop()


def test_every_user_api_endpoint_has_an_example():
    examples = "\n".join(user_api_examples())
    for path in (
        "/api/v1 ",
        "/api/v1/config",
        "-X PUT http://127.0.0.1:9000/api/v1/users/me ",
        "/api/v1/users/me/expire",
        "/applications/approvals/$APPROVAL_ID",
        "-X PUT http://127.0.0.1:9000/api/v1/users/me/notifications/email",
        "-X POST http://127.0.0.1:9000/api/v1/users/me/contacts ",
        "/api/v1/users/me/contacts?search=",
        "-X PUT http://127.0.0.1:9000/api/v1/users/me/contacts/$CONTACT_ID",
        "-X DELETE http://127.0.0.1:9000/api/v1/users/me/contacts/$CONTACT_ID",
    ):
        assert path in examples, path


def test_the_examples_run_against_the_emulator(own_emulator):
    browser = Browser(own_emulator)  # an approval to withdraw, as the page asks first
    page = browser.authorize(response_type="code", client_id=APPROVAL[0], redirect_uri=DOC_REDIRECT)
    assert browser.answer(page, approve=True).status_code == 303
    blocks = user_api_examples()
    assert len(blocks) == 5
    script = "set -euo pipefail\n" + "".join(
        f"{block}\necho '=== end of block {n}'\n" for n, block in enumerate(blocks)
    )
    result = subprocess.run(
        ["bash", "-c", script.replace(MAKE_RUN, own_emulator)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outputs = re.split(r"=== end of block \d\n", result.stdout)
    assert outputs[0] == ""  # the token is only kept in $TOKEN
    calls = outputs[1]
    assert '"services":[' in calls and '"content.service.url"' in calls
    assert '"email":"alex.originator@xy-company.com"' in calls
    assert '"notificationPreferences"' in calls and '"code":"DAILY","selected":true' in calls
    assert '"clientId":"approvalClientApplication"' in calls
    assert '"error"' not in result.stdout
    book = outputs[2]  # the search finds the contact added, then PUT answers it changed
    assert '"count":1' in book and '"email":"robin.collaborator@xy-company.com"' in book
    assert '"email":"robin@xy-company.com"' in book
    assert outputs[3] == outputs[4] == ""  # DELETE and expire answer 200 with no body
