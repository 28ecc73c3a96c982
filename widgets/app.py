"""The workshop app under its old path: it lives in the :mod:`widgets.serve` package.

This module re-exports the names of :mod:`widgets.serve.bridge`, ``.panels``,
``.session``, ``.auth``, ``.logs`` and ``.server``, so ``from widgets.app import ...`` keeps
working. Importing it imports Panel (as it always did); new code imports from the
``widgets.serve`` modules.
"""

from __future__ import annotations

from .serve.auth import (
    CONTENT_SECURITY_POLICY,
    CONTINUE_PAGE,
    ORIGIN_REFUSAL,
    REFUSAL_MESSAGE,
    TOKEN_COOKIE,
    Gate,
    SecurityHeaders,
    TokenAuth,
    clean_url,
    loopback_origins,
    origin_host,
    request_token,
    security_headers,
    set_token_cookie,
)
from .serve.bridge import _WRAPPER_ESM as _WRAPPER_ESM
from .serve.bridge import STATIC_ROUTE, CanvasView, bridged_traits
from .serve.logs import RedactTokens, redact_token_logs, redact_tokens
from .serve.panels import Field, InspectorPanel, ThreatPanel
from .serve.server import make_server, static_dir
from .serve.session import WorkshopSession, session_factory

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CONTINUE_PAGE",
    "ORIGIN_REFUSAL",
    "REFUSAL_MESSAGE",
    "STATIC_ROUTE",
    "TOKEN_COOKIE",
    "CanvasView",
    "Field",
    "Gate",
    "InspectorPanel",
    "RedactTokens",
    "SecurityHeaders",
    "ThreatPanel",
    "TokenAuth",
    "WorkshopSession",
    "bridged_traits",
    "clean_url",
    "loopback_origins",
    "make_server",
    "origin_host",
    "redact_token_logs",
    "redact_tokens",
    "request_token",
    "security_headers",
    "session_factory",
    "set_token_cookie",
    "static_dir",
]
