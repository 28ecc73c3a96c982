"""Tokens kept out of the server's logs: Tornado writes each request's URI, which the
first visit carries with ``?token=``."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

_QUERY_ITEM = re.compile(r"(?<=[?&;])([^=&;\s'\"?#]+)=([^&;\s'\"#]*)")
_REDACTED_LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def redact_tokens(text: str) -> str:
    """``text`` with the value of every ``token=`` query item hidden (for log lines, which
    Tornado writes with the request's URI)."""

    def hide(match: re.Match[str]) -> str:
        return f"{match[1]}=[redacted]" if unquote_plus(match[1]).lower() == "token" else match[0]

    return _QUERY_ITEM.sub(hide, text)


class RedactTokens(logging.Filter):
    """A log filter that applies :func:`redact_tokens` to every message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Hide tokens in the record's message; every record is kept."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken record: leave it to the handler
            return True
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_token_logs() -> None:
    """Keep tokens out of Tornado's access, application and general logs (idempotent)."""
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
