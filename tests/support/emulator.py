"""Reading the emulated access-service's counters, to prove what the portal did (or did not) ask."""

from __future__ import annotations

import requests


def token_requests(base_url: str, grant_type: str) -> int:
    """How many token requests of grant_type the emulator has served since its start/reset."""
    stats = requests.get(base_url + "/emulator/stats", timeout=5).json()
    return stats["token_requests"].get(grant_type, 0)


def revocations(base_url: str) -> int:
    return requests.get(base_url + "/emulator/stats", timeout=5).json()["revocations"]
