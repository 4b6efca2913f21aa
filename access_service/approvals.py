"""The approvals users give clients on the approval page, per user, in the store.

Like Spring's `ApprovalStore`, but one approval per user and client (the user API lists them that
way): `{"id", "clientId", "scope", "createdAt", "expiresAt", "tokens"}`, times in epoch seconds.
`tokens` holds `[jti, exp]` of the access tokens issued under the approval, so withdrawing it
can refuse them at once, as `TokenApprovalStore.revokeApprovals` removes them from the store.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from .store import Store

# How long an approval spares the user the approval page (`ApprovalStoreUserApprovalHandler`'s
# default expiry: one month).
APPROVAL_VALIDITY = 30 * 86_400

Record = dict[str, Any]


def _new_id() -> str:
    """A long numeric string, as the platform's ids are."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


class Approvals:
    """Record, find, list and withdraw the approvals of users."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def approve(self, username: str, client_id: str, scope: list[str]) -> str:
        """Record that username approved client_id for scope; the approval's id (kept when the
        user approves the same client again)."""
        now = int(self.clock())
        approval: Record = {}

        def change(approvals: dict[str, Record]) -> None:
            old = approvals.get(client_id) or {"id": _new_id(), "createdAt": now, "scope": []}
            approval.update(
                old,
                clientId=client_id,
                scope=sorted(set(old["scope"]) | set(scope)),
                expiresAt=now + APPROVAL_VALIDITY,
                tokens=old.get("tokens", []),
            )
            approvals[client_id] = approval

        self._update(username, change)
        return approval["id"]

    def find(self, username: str, client_id: str, scope: list[str]) -> str | None:
        """The id of an unexpired approval of client_id that covers scope, if any."""
        approval = self._all(username).get(client_id)
        if (
            approval
            and approval["expiresAt"] > self.clock()
            and set(scope) <= set(approval["scope"])
        ):
            return approval["id"]
        return None

    def exists(self, username: str, approval_id: str) -> bool:
        """Whether the approval is still there (not withdrawn)."""
        return any(a["id"] == approval_id for a in self._all(username).values())

    def list(self, username: str) -> list[Record]:
        """The user's approvals, oldest first."""
        return sorted(self._all(username).values(), key=lambda a: a["createdAt"])

    def withdraw(self, username: str, approval_id: str) -> Record | None:
        """Remove one of the user's approvals; the removed record, or None if there is none."""
        removed: list[Record] = []

        def change(approvals: dict[str, Record]) -> None:
            removed.clear()  # a retried transaction starts again
            for client_id, approval in list(approvals.items()):
                if approval["id"] == approval_id:
                    removed.append(approvals.pop(client_id))

        self._update(username, change)
        return removed[0] if removed else None

    def remember_token(self, username: str, approval_id: str, jti: str, exp: int) -> None:
        """Note an access token issued under an approval (expired ones are dropped)."""
        now = self.clock()

        def change(approvals: dict[str, Record]) -> None:
            for approval in approvals.values():
                if approval["id"] == approval_id:
                    live = [t for t in approval["tokens"] if t[1] > now]
                    approval["tokens"] = [*live, [jti, exp]]

        self._update(username, change)

    def _all(self, username: str) -> dict[str, Record]:
        """The user's approvals by client id."""
        return (self.store.get(f"approvals:{username}") or {}).get("approvals", {})

    def _update(self, username: str, change: Callable[[dict[str, Record]], None]) -> None:
        """Apply change to the user's approvals atomically (across workers)."""

        def apply(record: Record | None) -> Record:
            approvals = (record or {}).get("approvals", {})
            change(approvals)
            return {"approvals": approvals}

        self.store.update(f"approvals:{username}", apply, None)
