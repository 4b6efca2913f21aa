"""A scripted user agent for the emulator's sign-in and approval pages, over real HTTP.

It reads the pages' forms the way a browser without JavaScript would, so the integration and
end-to-end tests exercise the same HTML a person sees.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pyotp
import requests


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action", ""),
                    "method": (attrs.get("method") or "get").lower(),
                    "fields": {},
                    "buttons": [],
                }
            )
        elif self.forms and tag == "input" and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = (
                attrs.get("type") or "text",
                attrs.get("value") or "",
            )
        elif self.forms and tag == "button" and attrs.get("name"):
            self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))


def parse_forms(html: str) -> list[dict]:
    """The forms of a page: action, method, fields {name: (type, value)}, named buttons."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class SignInAgent:
    """Signs a user in at the access-service and returns where it sends the browser back."""

    def __init__(
        self,
        username: str = "alex.originator@xy-company.com",
        password: str = "password1",
        approve: bool = True,
        totp_secret: str | None = None,
    ):
        self.username, self.password, self.approve = username, password, approve
        self.totp_secret = totp_secret  # for an account with two-factor sign-in
        self.http = requests.Session()
        self.pages: list[requests.Response] = []

    def authorize(self, authorize_url: str, max_steps: int = 10) -> str:
        """Follow authorize_url through sign-in and approval; return the redirect to the client."""
        origin = urlsplit(authorize_url)[:2]
        response = self.http.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(max_steps):
            self.pages.append(response)
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if urlsplit(target)[:2] != origin:
                    return target  # leaving the access-service: back to the client
                response = self.http.get(target, allow_redirects=False, timeout=10)
                continue
            response = self.submit(response)
        raise AssertionError(f"no redirect back after {max_steps} steps: {response.status_code}")

    def submit(self, page: requests.Response) -> requests.Response:
        """Fill in and post the sign-in, code or approval form of page; the answer."""
        if page.status_code != 200:
            raise AssertionError(f"access-service answered {page.status_code}: {page.text[:300]}")
        forms = parse_forms(page.text)
        # The button pressed, in the form that holds it: Spring's approval page may put Approve
        # and Deny in two forms, each with its own hidden fields.
        button = ("user_oauth_approval", "true" if self.approve else "false")
        for form in forms:
            data = {
                name: value for name, (kind, value) in form["fields"].items() if kind == "hidden"
            }
            if any(kind == "password" for kind, _ in form["fields"].values()):
                data.update(username=self.username, password=self.password)
            elif "code" in form["fields"] and self.totp_secret:
                data["code"] = pyotp.TOTP(self.totp_secret).now()
            elif button in form["buttons"]:
                data.update([button])
            else:
                continue
            return self.http.post(
                urljoin(page.url, form["action"]), data=data, allow_redirects=False, timeout=10
            )
        raise AssertionError(f"no sign-in or approval form on {page.url}")
