"""The JSON log line format, shared by the app's logs, its access lines and gunicorn's own (no
app imports here, so gunicorn's master can load it before any worker exists)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import msgspec

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}
_encoder = msgspec.json.Encoder(enc_hook=str)  # a value JSON has no type for is written as text


def json_line(
    created: float, level: str, logger: str, message: str, fields: Mapping[str, Any] | None = None
) -> str:
    """One log line: a JSON object of the time (`created`, epoch seconds, written in UTC to the
    millisecond), level, logger and message, then `fields`; no newline."""
    entry: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created * 1000) % 1000:03d}Z",
        "level": level,
        "logger": logger,
        "message": message,
        **(fields or {}),
    }
    return _encoder.encode(entry).decode()


class JsonFormatter(logging.Formatter):
    """json_line for a record: its `extra=` fields, and its exception as text."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _RESERVED and not key.startswith("_")
        }
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json_line(record.created, record.levelname, record.name, record.getMessage(), fields)
