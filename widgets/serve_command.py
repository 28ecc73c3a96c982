"""The ``serve`` subcommand under its old path: it lives in :mod:`widgets.serve.command`.

Kept so that ``workbench.cli.COMMAND_MODULES`` and existing imports keep working; like the
module it re-exports, it imports neither Panel nor Bokeh.
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
