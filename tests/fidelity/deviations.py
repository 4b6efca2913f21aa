"""Where the emulator answers differently from the real Spring Security OAuth2 2.4.0 server on
purpose: the one list of them. tests/fidelity/test_differential.py reads it (a case named here
must still differ, so the list cannot go stale) and docs/emulator.md explains each.
"""

DEVIATIONS: dict[str, str] = {
    "authorize: loopback redirect URI on another port": (
        "RFC 8252 section 7.3: a registered http://127.0.0.1 or localhost redirect URI matches on "
        "any port, so tests can run portals on free ports; Spring matches the port exactly"
    ),
    "token: PKCE code_verifier that does not match": (
        "PKCE (RFC 7636) is accepted, as newer servers do and the portal sends it; 2.4.0 ignores "
        "code_challenge and code_verifier, so a wrong verifier still gets tokens there"
    ),
    "token: password grant for a two-factor user": (
        "the emulator's two-factor users sign in through the browser only, so a password alone "
        "cannot get round the second factor; the reference server has no second factor at all"
    ),
    "authorize: approval client while the user holds its token": (
        "the demo approval client shows its page every time (remember_approvals false), so the "
        "page can be tested; 2.4.0's default with a token store (TokenApprovalStore) skips it "
        "while the user holds a live token of the client. remember_approvals true is "
        "ApprovalStoreUserApprovalHandler over a stored approval, as the platform's approvals "
        "API suggests"
    ),
    "token: refresh narrowing to a scope the user holds a token for": (
        "2.4.0 with JdbcTokenStore answers 500 server_error (DuplicateKeyException: "
        "DefaultTokenServices.refreshAccessToken stores the narrowed token under the "
        "authentication key another token already has); the emulator grants the narrowed token "
        "rather than copy a crash. A client must treat that 500 as the platform's failure"
    ),
}
