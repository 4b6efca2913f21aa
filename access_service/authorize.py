"""The authorize endpoint: sign-in, approval, then a redirect with a code or a token.

Errors about the client or its redirect URI show an error page: redirecting to a URI nobody
registered would make this server an open redirector. Every other error goes back to the client.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, make_response, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from .data import Client, User
from .errors import NO_STORE, OAuthError, bare_redirect, error_page, invalid_request
from .extensions import components
from .forms import ApprovalForm
from .grants import parse_scope, validate_scope
from .parameters import query_parameters
from .pkce import SUPPORTED_METHODS, is_valid_challenge
from .scopes import by_topic
from .signin import PENDING_AUTHORIZE, current_user

bp = Blueprint("authorize", __name__)

AUTHORIZATION_REQUEST = "authorization_request"  # awaiting the user's approval
GRANT_FOR_RESPONSE_TYPE = {"code": "authorization_code", "token": "implicit"}


@bp.get("/api/oauth/authorize")
def authorize() -> Response | str | tuple[str, int]:
    """Start an authorization: sign the user in, check client and URI, approve, redirect."""
    params = query_parameters()
    user = current_user()
    if user is None:
        # Spring Security's filters run before the endpoint: a visitor not signed in is sent to
        # the sign-in page (`LoginUrlAuthenticationEntryPoint`, a 302) before anything in the
        # request is looked at, and comes back to it afterwards.
        session[PENDING_AUTHORIZE] = params
        return bare_redirect(url_for("signin.login"), 302)
    try:
        client, redirect_uri = _client_and_redirect(params)
    except ClientProblem as problem:
        return error_page(problem.error, problem.description, problem.status)
    fragment = "token" in parse_scope(params.get("response_type"))
    auth_request: dict[str, Any] = {"redirect_uri": redirect_uri, "state": params.get("state")}
    try:
        auth_request = _authorization_request(params, client, user, redirect_uri)
    except OAuthError as exc:
        return _error_redirect(auth_request, exc, fragment)
    if client.auto_approve:
        return _approved(auth_request, client, user)
    if client.remember_approvals:
        # `ApprovalStoreUserApprovalHandler.checkForPreApproval`: approved before, not again.
        approvals = components().approvals
        approval_id = approvals.find(user.username, client.client_id, auth_request["scope"])
        if approval_id:
            return _approved({**auth_request, "approval_id": approval_id}, client, user)
    session[AUTHORIZATION_REQUEST] = auth_request
    page = render_template(
        "approve.html",
        form=ApprovalForm(),
        auth=auth_request,
        application=client.description or client.client_id,
        topics=by_topic(auth_request["scope"]),
        return_to=breakable(auth_request["redirect_uri"]),
    )
    return endpoint_answer(make_response(page))


def breakable(url: str) -> Markup:
    """url as HTML that a narrow screen may wrap after its `//`, slashes, `?`, `&` and dots,
    never inside a word such as the scheme (the stylesheet breaks a part longer than the line
    only as a last resort)."""
    pieces = re.split(r"(?<=//)|(?<=[/?&.])(?!/)", url)
    return Markup("<wbr>").join(piece for piece in pieces if piece)


@bp.post("/api/oauth/authorize")
def approve_or_deny() -> Response | tuple[str, int]:
    """The approval page's answer: `user_oauth_approval=true` approves, anything else denies."""
    form = ApprovalForm()
    if not form.validate_on_submit():
        return error_page("invalid_request", "The approval form expired. Please start again.")
    auth_request = session.pop(AUTHORIZATION_REQUEST, None)
    user = current_user()
    if auth_request is None or user is None or user.username != auth_request["user_name"]:
        return error_page("invalid_request", "Cannot approve uninitialized authorization request.")
    client = components().directory.client(auth_request["client_id"])
    if client is None:
        return error_page("invalid_client", "Bad client credentials", 401)
    if request.form.get("user_oauth_approval") != "true":
        fragment = auth_request["response_type"] == "token"
        denied = OAuthError(400, "access_denied", "User denied access")
        return endpoint_answer(_error_redirect(auth_request, denied, fragment))
    # Recorded for the user's list of approved applications (and, for clients that remember
    # approvals, to skip this page next time); withdrawing it ends the tokens made under it.
    approval_id = components().approvals.approve(
        user.username, client.client_id, auth_request["scope"]
    )
    return _approved({**auth_request, "approval_id": approval_id}, client, user)


class ClientProblem(Exception):
    """The client or its redirect URI is wrong: shown on the error page, never redirected."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _client_and_redirect(params: dict[str, str]) -> tuple[Client, str]:
    """The client and the redirect URI to use; raises ClientProblem.

    An unknown or missing client id fails first, inside `DefaultOAuth2RequestFactory`
    (`NoSuchClientException`), and `AuthorizationEndpoint.handleClientRegistrationException`
    shows it as a 401 `BadClientCredentialsException`. The URI rules are
    `DefaultRedirectResolver`'s; both kinds of error show a page, never a redirect.
    """
    client = components().directory.client(params.get("client_id"))
    if client is None:
        raise ClientProblem("invalid_client", "Bad client credentials", 401)
    if not (client.allows("authorization_code") or client.allows("implicit")):
        raise ClientProblem(
            "invalid_grant",
            "A redirect_uri can only be used by implicit or authorization_code grant types.",
        )
    if not client.registered_redirect_uris:
        raise ClientProblem(
            "invalid_request", "At least one redirect_uri must be registered with the client."
        )
    requested = params.get("redirect_uri")
    redirect_uri = client.resolve_redirect(requested)
    if redirect_uri is None:
        raise ClientProblem(
            "invalid_grant",
            # Java prints a missing value as "null".
            f"Invalid redirect: {requested or 'null'} does not match one of the registered values.",
        )
    return client, redirect_uri


def _authorization_request(
    params: dict[str, str], client: Client, user: User, redirect_uri: str
) -> dict[str, Any]:
    """Check response type, scope and PKCE; the request to approve, or an OAuthError.

    Response types are a set (`OAuth2Utils.parseParameterList`): one holding `token` is
    answered as implicit, else one holding `code` with a code, others ignored; a set with
    neither is refused (`AuthorizationEndpoint.authorize`).
    """
    response_types = parse_scope(params.get("response_type"))
    if "token" not in response_types and "code" not in response_types:
        raise OAuthError(
            400,
            "unsupported_response_type",
            f"Unsupported response types: [{', '.join(response_types)}]",
        )
    response_type = "token" if "token" in response_types else "code"
    scope = validate_scope(parse_scope(params.get("scope")), client)
    challenge = params.get("code_challenge")
    if challenge:
        if params.get("code_challenge_method", "plain") not in SUPPORTED_METHODS:
            raise invalid_request("Transform algorithm not supported")
        if not is_valid_challenge(challenge):
            raise invalid_request("Invalid code_challenge")
    grant_type = GRANT_FOR_RESPONSE_TYPE[response_type]
    if not client.allows(grant_type):
        raise OAuthError(400, "unauthorized_client", f"Unauthorized grant type: {grant_type}")
    return {
        "client_id": client.client_id,
        "response_type": response_type,
        "redirect_uri": redirect_uri,
        "redirect_uri_param": params.get("redirect_uri"),
        "state": params.get("state"),
        "scope": scope,
        "user_name": user.username,
        "code_challenge": challenge or None,
    }


def _approved(auth_request: dict[str, Any], client: Client, user: User) -> Response:
    """Redirect with a fresh code, or with an access token in the fragment (implicit)."""
    tokens = components().tokens
    if auth_request["response_type"] == "code":
        # The code remembers who approved what, for whom, and the PKCE challenge it must meet.
        code = tokens.new_code({**auth_request, "authorities": user.authorities})
        values = {"code": code, "state": auth_request["state"]}
        return endpoint_answer(_redirect(auth_request, values, fragment=False))
    auth = {
        "user_name": user.username,
        "authorities": user.authorities,
        "scope": auth_request["scope"],
        "approval_id": auth_request.get("approval_id"),
    }
    access = tokens.access_token(client, auth)
    response = {
        "access_token": access["value"],
        "token_type": "bearer",
        "state": auth_request["state"],
        "expires_in": str(tokens.access_validity(client)),
        "scope": " ".join(auth_request["scope"]),
        "jti": access["jti"],
    }
    redirect = _redirect(auth_request, response, fragment=True)
    redirect.headers.update(NO_STORE)  # `AuthorizationEndpoint.setCacheControlHeaders`
    return redirect


def endpoint_answer(response: Response) -> Response:
    """What `AuthorizationEndpoint` itself returns (the approval page, a code, a denial) with
    the header Spring MVC gives a handler that keeps session attributes (it has
    `@SessionAttributes`; `RequestMappingHandlerAdapter` applies
    `cacheSecondsForSessionAttributeHandlers`, 0): `Cache-Control: no-store`. Errors it raises
    go through its exception handlers and keep Spring Security's default headers."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_redirect(auth_request: dict[str, Any], error: OAuthError, fragment: bool) -> Response:
    """Send an error back to the client, as `AuthorizationEndpoint.getUnsuccessfulRedirect`
    builds it (RFC 6749 section 4.1.2.1): `error`, `error_description`, `state`, then the
    error's additional information (`scope=<the client's scopes>` for `invalid_scope`)."""
    values = {
        "error": error.error,
        "error_description": error.description,
        "state": auth_request["state"],
        **error.extra,
    }
    return _redirect(auth_request, values, fragment)


# What `UriComponents.encode()` (spring-web 5.3, `HierarchicalUriComponents.Type`) leaves
# unencoded besides the unreserved characters: in a query parameter, pchar, `/` and `?` but
# not `=` and `&`; in a fragment, pchar, `/` and `?`. So a `+` stays a raw `+`.
_QUERY_PARAM_SAFE = "!$'()*+,;:@/?"
_FRAGMENT_SAFE = "!$&'()*+,;=:@/?"


def spring_encoded(values: dict[str, Any], fragment: bool) -> str:
    """`name=value&...` as `AuthorizationEndpoint.append` expands and encodes the values:
    UTF-8 percent-encoding of every character the component does not allow (None skipped)."""
    safe = _FRAGMENT_SAFE if fragment else _QUERY_PARAM_SAFE
    return "&".join(
        f"{quote(str(key), safe=safe)}={quote(str(value), safe=safe)}"
        for key, value in values.items()
        if value is not None
    )


def _redirect(auth_request: dict[str, Any], values: dict[str, Any], fragment: bool) -> Response:
    """A 303 to the client's redirect URI with values in the query or the fragment, no body
    (`RedirectView` with `HttpStatus.SEE_OTHER`)."""
    encoded = spring_encoded(values, fragment)
    base = auth_request["redirect_uri"]
    if fragment:
        location = f"{base.split('#', 1)[0]}#{encoded}"
    else:
        location = f"{base}{'&' if '?' in base else '?'}{encoded}"
    return bare_redirect(location, 303)
