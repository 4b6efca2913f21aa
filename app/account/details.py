"""Account details: GET /users/me, and a form that changes them with PUT /users/me."""

from __future__ import annotations

import re

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.account.blueprint import bp, notice
from app.auth.platform import remember_person, user_api
from app.cocoon.errors import Rejected
from app.cocoon.resources import Account, AccountDetails, role_names
from app.sessions.tokens import login_required

# The four details by their names on the platform: label, autocomplete token (WCAG 1.3.5),
# input type and hint.
FIELDS = (
    ("firstName", "First name", "given-name", "text", None),
    ("lastName", "Last name", "family-name", "text", None),
    ("otherName", "Other name", "additional-name", "text", None),
    (
        "mobileNumber",
        "Mobile number",
        "tel",
        "tel",
        # The platform document's own example, which its refusals repeat.
        "Start with + and the country calling code, for example +1 234 567 8910.",
    ),
)
MAX_LENGTH = 255  # characters: the platform's limit, kept by the form too


@bp.route("", methods=["GET", "POST"])
@login_required
def details() -> str | Response | tuple[str, int]:
    """The person's account, and the form that changes its four details (all four are sent:
    the platform clears a member left out)."""
    api = user_api()
    if request.method == "POST":
        change = AccountDetails(*(submitted(field[0]) for field in FIELDS))
        try:
            remember_person(api.update_me(change))
        except Rejected as refused:
            return render_details(api.me(), change, refused), 400
        return redirect(url_for("account.details", saved=1), 303)
    account = api.me()
    remember_person(account)
    return render_details(account, account.details())


def in_words(message: str) -> str:
    """The platform's message as people read it: every member name it uses (`mobileNumber`)
    becomes that field's label (`Mobile number`)."""
    for name, label, *_ in FIELDS:
        message = re.sub(rf"\b{name}\b", label, message)
    return message


def submitted(name: str) -> str | None:
    """A detail as typed, trimmed; None (cleared) when empty."""
    return request.form.get(name, "").strip() or None


def render_details(
    account: Account, values: AccountDetails, refused: Rejected | None = None
) -> str:
    """The page, its form filled with `values`, the platform's refusal beside its field."""
    typed = (values.first_name, values.last_name, values.other_name, values.mobile_number)
    fields = []
    for (name, label, autocomplete, kind, hint), value in zip(FIELDS, typed, strict=True):
        error = in_words(refused.message) if refused and refused.field == name else None
        described = [f"{name}-{part}" for part, text in (("hint", hint), ("error", error)) if text]
        fields.append(
            {
                "name": name,
                "label": label,
                "autocomplete": autocomplete,
                "type": kind,
                "hint": hint,
                "error": error,
                "value": value or "",
                "described_by": " ".join(described),
            }
        )
    return render_template(
        "account/details.html",
        account=account,
        roles=role_names(account.roles),
        fields=fields,
        form_error=in_words(refused.message) if refused and not refused.field else None,
        notice=notice(),
        max_length=MAX_LENGTH,
    )
