"""What the approval page says of each scope a client asks for: words for people, by topic.

The platform's documents give the scopes as codes only (the document's example token carries
these 37); the words are the emulator's reading of each code. A scope not listed here (a client
of your own data file may ask for any) is shown under "Other permissions" as its code in
lower case, without `SCOPE_` and underscores.
"""

from __future__ import annotations

ACCOUNT = "Your account"
FILES = "Your files and folders"
CONTACTS = "Your contacts"
ACCESS = "Applications, devices and sign-ins"
OTHER = "Other permissions"
TOPICS = (ACCOUNT, FILES, CONTACTS, ACCESS, OTHER)

SCOPE_WORDS: dict[str, tuple[str, str]] = {
    "SCOPE_USERINFO_GETSELF": (ACCOUNT, "See your account details"),
    "SCOPE_USERINFO_UPDATE": (ACCOUNT, "Change your account details"),
    "SCOPE_USERINFO_GET_NOTIFY_PREF": (ACCOUNT, "See how often you get email notifications"),
    "SCOPE_USERINFO_EDIT_NOTIFY_PREF": (ACCOUNT, "Change how often you get email notifications"),
    "SCOPE_SELF_REVOKE_TOKENS": (ACCOUNT, "Sign you out of your other applications"),
    "SCOPE_VIEW": (FILES, "View files"),
    "SCOPE_DOWNLOAD": (FILES, "Download files"),
    "SCOPE_PRINT": (FILES, "Print files"),
    "SCOPE_FILE_ADD": (FILES, "Add files"),
    "SCOPE_FILE_DELETE": (FILES, "Delete files"),
    "SCOPE_FOLDER_ADD": (FILES, "Create folders"),
    "SCOPE_FOLDER_DELETE": (FILES, "Delete folders"),
    "SCOPE_MOVE": (FILES, "Move files and folders"),
    "SCOPE_COPY": (FILES, "Copy files and folders"),
    "SCOPE_RENAME": (FILES, "Rename files and folders"),
    "SCOPE_SHARE": (FILES, "Share files and folders"),
    "SCOPE_SEND_ITEM_NOTIFICATION": (FILES, "Tell people about items shared with them"),
    "SCOPE_REMOVE_SELF": (FILES, "Take you off items shared with you"),
    "SCOPE_VIEW_OTHER": (FILES, "View other people's items"),
    "SCOPE_DELETE_OTHER": (FILES, "Delete other people's items"),
    "SCOPE_ACL_ADMIN": (FILES, "Change who may use an item"),
    "SCOPE_CONTACTS_LIST": (CONTACTS, "See your contacts"),
    "SCOPE_CONTACTS_CREATE": (CONTACTS, "Add contacts"),
    "SCOPE_CONTACTS_UPDATE": (CONTACTS, "Change contacts"),
    "SCOPE_CONTACTS_DELETE": (CONTACTS, "Remove contacts"),
    "SCOPE_ADDRESSBOOK_LIST": (CONTACTS, "See your organisation's address book"),
    "SCOPE_APP_APPROVAL_LIST": (ACCESS, "See the applications you approved"),
    "SCOPE_APP_APPROVAL_REVOKE": (ACCESS, "Withdraw your approval of applications"),
    "SCOPE_OAUTH_TOKEN_LIST": (ACCESS, "See where you are signed in"),
    "SCOPE_OAUTH_TOKEN_LIST_BY_CLIENT": (ACCESS, "See where you are signed in, by application"),
    "SCOPE_OAUTH_TOKEN_REVOKE": (ACCESS, "End your sign-ins"),
    "SCOPE_DEVICE_AUTHENTICATION": (ACCESS, "Sign in your devices"),
    "SCOPE_APICLIENT_LIST": (ACCESS, "See your API clients"),
    "SCOPE_APICLIENT_ADD": (ACCESS, "Register API clients"),
    "SCOPE_API_V1_ACCESS": (ACCESS, "Use Cocoon Data's API for you"),
    "SCOPE_API_OAUTH_ACCESS": (ACCESS, "Use Cocoon Data's sign-in service for you"),
    "SCOPE_API_ACCOUNT_ACCESS": (ACCESS, "Use Cocoon Data's account service for you"),
    "SCOPE_CONSOLE_ADMIN_ACCESS": (ACCESS, "Use the administration console"),
}


def in_words(scope: str) -> tuple[str, str]:
    """(topic, words) for a scope code; an unknown one under OTHER, as its code in words."""
    known = SCOPE_WORDS.get(scope)
    if known is not None:
        return known
    words = scope.removeprefix("SCOPE_").replace("_", " ").strip().lower() or scope
    return OTHER, words[:1].upper() + words[1:]


def by_topic(scopes: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The scopes as [(topic, [(words, code), ...]), ...], topics in TOPICS' order, each
    scope in the order given; topics without a scope left out."""
    grouped: dict[str, list[tuple[str, str]]] = {topic: [] for topic in TOPICS}
    for scope in scopes:
        topic, words = in_words(scope)
        grouped[topic].append((words, scope))
    return [(topic, items) for topic, items in grouped.items() if items]
