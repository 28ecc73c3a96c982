"""Text safe to print on a terminal or in a CI log.

Everything the command line prints that comes from a file (names, keys, IDs, file names,
messages quoting them) goes through :func:`safe_line` or :func:`safe_text`:

- control characters (C0 such as ESC, BEL, CR, backspace; DEL; C1 such as CSI ``\\x9b``)
  and the bidirectional overrides are shown as escapes (``\\x1b``, ``\\u202e``), so a name
  can neither move the cursor, recolour or retitle the terminal, nor hide text;
- a line that would start (after blanks) with ``::`` is printed with its first colon
  escaped (``\\x3a:error::…``), and ``##[`` becomes ``\\x23#[``: GitHub Actions reads
  such lines as workflow commands (``::error``, ``::add-mask::``, ``::stop-commands::``).
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_WORKFLOW_START = re.compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)  # the runner trims blanks
_LEGACY_COMMAND = "##["


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def _no_commands(text: str) -> str:
    text = _WORKFLOW_START.sub(lambda m: m.group(1) + "\\x3a", text)
    return text.replace(_LEGACY_COMMAND, "\\x23#[")


def safe_line(text: object) -> str:
    """``text`` as one printable line: every control character escaped (newline and tab
    too), and no workflow command."""
    return _no_commands(_CONTROL.sub(_escape, str(text)))


def safe_text(text: object) -> str:
    """Text that we formatted over several lines: control characters escaped except
    newline and tab, and no line that is a workflow command."""
    return _no_commands(_CONTROL_KEEP_LINES.sub(_escape, str(text)))
