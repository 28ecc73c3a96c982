"""The ``serve`` subcommand under its old path: it lives in :mod:`widgets.serve.command`.

Kept so that existing imports keep working (the CLI finds the command through the
``ai_threat_workbench.commands`` entry point, see ``pyproject.toml``); like the module it
re-exports, it imports neither Panel nor Bokeh.
"""

from __future__ import annotations

from .serve.command import (
    DEFAULT_PORTS,
    LOOPBACK_NAMES,
    ORIGIN_HOST,
    REFUSAL,
    add_commands,
    app_url,
    check_address,
    free_port,
    is_loopback,
    origin,
    port_number,
)

__all__ = [
    "DEFAULT_PORTS",
    "LOOPBACK_NAMES",
    "ORIGIN_HOST",
    "REFUSAL",
    "add_commands",
    "app_url",
    "check_address",
    "free_port",
    "is_loopback",
    "origin",
    "port_number",
]
