"""The HTML forms; flask-wtf gives each a CSRF field tied to the emulator's session."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Regexp


class SignInForm(FlaskForm):
    """Email and password; the CSRF field stops a forged post signing someone in (login CSRF)."""

    username = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])


class CodeForm(FlaskForm):
    """The authenticator code of a two-factor user, after the password."""

    code = StringField(
        "Authenticator code",
        validators=[InputRequired(), Regexp(r"^\d{6}$", message="Enter the 6 digits.")],
        filters=[lambda value: (value or "").replace(" ", "")],
    )


class ApprovalForm(FlaskForm):
    """Approve or Deny; the CSRF field stops another site approving access for the user."""

    # The choice arrives as `user_oauth_approval` from the pressed button, as Spring's page does.


class SignOutForm(FlaskForm):
    """Sign out; the CSRF field stops another site signing the user out (logout CSRF)."""
