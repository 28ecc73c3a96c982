"""The ``threat-workbench`` command line.

Exit codes: 0 success, 1 the input is invalid (``check``: a finding reaches the level;
``validate``: a file is invalid), 2 usage error: a bad option, an output that is refused or
cannot be written (see :mod:`workbench.outputs`), and for ``check`` a file that does not
load.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .cli_options import add_catalog_options, add_force_option, add_today_option
from .version import __version__

__all__ = ["COMMAND_GROUP", "COMMAND_MODULES", "add_catalog_options", "add_force_option", "main"]
# add_catalog_options and add_force_option live in workbench.cli_options (a leaf that the
# command modules import); re-exported here for one release for code that imports them
# from workbench.cli.

COMMAND_MODULES = (
    "workbench.attack_trees.commands",
    "workbench.export.commands",
    "workbench.interop.commands",
    "workbench.track.commands",
    "workbench.lsp.commands",
)
"""The core's command groups, imported directly: each has ``add_commands(subparsers)`` and
sets ``func=handler(args, out, err) -> int`` on its parsers (imports stay inside handlers).
They import their shared options from :mod:`workbench.cli_options`, never from here."""

COMMAND_GROUP = "ai_threat_workbench.commands"
"""The entry-point group through which other packages add command groups: each entry point
names an ``add_commands(subparsers)`` function like those of :data:`COMMAND_MODULES`. They
come after the core's commands, in the order of their entry-point names. The ``serve``
command of the widget library is registered this way, so the core never names that
package (see ``pyproject.toml``)."""

INSTALL_HINTS = {"serve": "ai-threat-workbench[serve]"}
"""Commands that come from :data:`COMMAND_GROUP` and what installs them, for the one-line
error when one is missing."""

CHECK_EXIT_CODES = (
    "Open findings are those with no decision, open or in_progress, and those whose "
    "decision is past its review_by date (expired: 'accepted until 2026-10-01, expired: "
    "review it'). Exit codes: 0 no open finding at or above the level; 1 some open finding "
    "is at or above it (policy failed); 2 a file did not load, or a usage error. With "
    "several files, the highest code wins."
)

CORE_COMMANDS = frozenset({"validate", "new", "analyze", "check", "templates", "schema"})
"""Commands defined here: running one of them (or ``--version``) neither imports
:data:`COMMAND_MODULES` (``workbench.export`` alone takes about 0.25 s to import) nor reads
the entry points of :data:`COMMAND_GROUP`."""


def _command_word(argv: Sequence[str] | None) -> str | None:
    """The command that the command line names: its first argument that is not an option
    (the top-level parser has only ``-h`` and ``--version``); ``None`` when there is none
    or a top-level ``--help`` comes first."""
    for arg in sys.argv[1:] if argv is None else argv:
        if arg in ("-h", "--help"):
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _core_only(argv: Sequence[str] | None) -> bool:
    """Whether the command line can be parsed without :data:`COMMAND_MODULES` and
    :data:`COMMAND_GROUP`: it names one of :data:`CORE_COMMANDS`, or no command and no
    top-level ``--help`` (which lists every command)."""
    word = _command_word(argv)
    if word is not None:
        return word in CORE_COMMANDS
    args = sys.argv[1:] if argv is None else argv
    return not any(arg in ("-h", "--help") for arg in args)


def _parser(
    *, core_only: bool = False, unavailable: dict[str, str] | None = None
) -> argparse.ArgumentParser:
    """The argument parser; with ``core_only``, without the subcommands of
    :data:`COMMAND_MODULES` and :data:`COMMAND_GROUP`. The commands that are missing or
    failed to load go into ``unavailable`` (command: why, one line)."""
    p = argparse.ArgumentParser(
        prog="threat-workbench",
        description="Threat modeling for AI systems: validate, analyse and report on models.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    v = sub.add_parser("validate", help="check model files; print every problem with its line")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    v.add_argument("-q", "--quiet", action="store_true", help="print problems only")

    n = sub.add_parser("new", help="start a model from a starter architecture")
    n.add_argument("file", type=Path, metavar="FILE")
    n.add_argument(
        "--template",
        "-t",
        default="rag_assistant",
        help="starter architecture (see 'templates'); default: rag_assistant",
    )
    add_force_option(n, "FILE")

    a = sub.add_parser("analyze", help="suggest threats; print the register")
    a.add_argument("file", type=Path, metavar="FILE")
    a.add_argument(
        "--format",
        "-f",
        choices=["table", "json", "sarif", "csv"],
        help="default: from OUT's suffix (.sarif, .json, .csv), else table",
    )
    add_catalog_options(a)
    add_today_option(a)
    a.add_argument("--output", "-o", type=Path, metavar="OUT", help="write to OUT (atomic)")
    add_force_option(a)

    c = sub.add_parser(
        "check",
        help="CI gate: fail when open findings reach a risk level",
        description="CI gate: list the open findings at or above --fail-on.",
        epilog=CHECK_EXIT_CODES,
    )
    c.add_argument("files", nargs="+", type=Path, metavar="FILE")
    c.add_argument(
        "--fail-on",
        choices=["low", "medium", "high", "critical"],
        default="high",
        help="fail when an open finding's residual risk is this or worse (default: high)",
    )
    add_catalog_options(c)
    add_today_option(c)

    sub.add_parser("templates", help="list the starter architectures")
    sub.add_parser("schema", help="print the JSON Schema of model files")
    if core_only:
        return p
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    problems = _add_plugin_commands(sub)
    if unavailable is not None:
        for command, hint in INSTALL_HINTS.items():
            if command not in sub.choices:
                why = problems.get(command) or (
                    f"no '{command}' entry point in the '{COMMAND_GROUP}' group"
                )
                unavailable[command] = (
                    f"the '{command}' command is not available ({why}): install {hint}; "
                    "in a checkout, 'pip install -e .' registers the entry points"
                )
        for command, why in problems.items():
            if command not in sub.choices and command not in unavailable:
                unavailable[command] = f"the '{command}' command could not be loaded: {why}"
    return p


def _add_plugin_commands(sub: Any) -> dict[str, str]:
    """Add the command groups of the :data:`COMMAND_GROUP` entry points, sorted by name
    (so that ``--help`` lists them in a stable order); returns the ones that failed to load
    (entry-point name: why). A broken group does not take the other commands down."""
    from importlib.metadata import entry_points

    problems: dict[str, str] = {}
    groups = {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}
    for name, ep in sorted(groups.items()):
        if ep.module in COMMAND_MODULES:
            continue  # a core group, added above
        try:
            ep.load()(sub)
        except Exception as exc:  # reported if the command is asked for
            problems[name] = f"{ep.value}: {type(exc).__name__}: {exc}"
    return problems


def _validate(files: list[Path], quiet: bool, out: TextIO, err: TextIO) -> int:
    from .errors import ModelFileError, print_problems
    from .io import load_model
    from .terminal import safe_line

    status = 0
    for f in files:
        try:
            m = load_model(f)
        except ModelFileError as exc:
            status = 1
            print_problems(exc.problems, err)
            continue
        _print_warnings(m, err)
        if not quiet:
            print(
                safe_line(
                    f"{f}: ok ({len(m.elements)} elements, {len(m.flows)} flows, "
                    f"{len(m.boundaries)} boundaries)"
                ),
                file=out,
            )
    return status


def _new(file: Path, template: str, force: bool, out: TextIO, err: TextIO) -> int:
    from .io import detect_format
    from .outputs import check_output, write_output
    from .saving import dumps_model
    from .starters import load_template, names

    check_output(file, force=force)
    if template not in names():
        print(f"unknown template '{template}'; available: {', '.join(names())}", file=err)
        return 2
    model = load_template(template)
    path = write_output(file, dumps_model(model, detect_format(file)), force=force)
    print(f"{path}: created from '{template}'", file=out)
    return 0


def _analysis(file: Path, catalogs: list[Path], builtin: bool, err: TextIO) -> Any:
    from .catalog import load_catalog
    from .engine import analyze
    from .errors import ModelFileError, print_problems
    from .io import load_model

    try:
        model = load_model(file)
        catalog = load_catalog(*catalogs, builtin=builtin)
    except ModelFileError as exc:
        print_problems(exc.problems, err)
        return None
    _print_warnings(model, err)
    return analyze(model, catalog)


def _print_warnings(model: Any, err: TextIO) -> None:
    """The warnings of loading ``model`` (an acceptance given a review date ...), one line
    each: ``warning: FILE:LINE:COL PATH: MESSAGE``."""
    from .io import load_warnings

    for w in load_warnings(model):
        print(f"warning: {w}", file=err)


def _analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .outputs import check_output, output_format, write_output
    from .parsing import gc_paused

    fmt = output_format(
        args.output,
        args.format,
        {".sarif": "sarif", ".sarif.json": "sarif", ".json": "json", ".csv": "csv"},
        "table",
        compatible={"json": frozenset({"sarif"})},
    )
    if args.output:
        check_output(args.output, force=args.force)
    # Imports, catalog, model and analysis build large object graphs with little cyclic
    # garbage: the collector would only re-scan them (15-20% of the command's time).
    with gc_paused():
        from .export import to_csv, to_json, to_sarif, to_table
        from .register import build_register

        analysis = _analysis(args.file, args.catalog, not args.no_builtin, err)
        if analysis is None:
            return 1
        register = build_register(analysis, today=args.today)
        render = {"table": to_table, "json": to_json, "sarif": to_sarif, "csv": to_csv}
        text = render[fmt](analysis, register)
    if args.output:
        write_output(args.output, text, force=args.force)
        print(f"{args.output}: {len(analysis.findings)} findings", file=err)
    else:
        out.write(text)
    return 0


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .parsing import gc_paused

    status = 0
    for file in args.files:
        with gc_paused():  # one file at a time (see _analyze)
            status = max(status, _check_one(file, args, out, err))
    return status


def _check_one(file: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .register import build_register, orphan_reason
    from .terminal import safe_line

    analysis = _analysis(file, args.catalog, not args.no_builtin, err)
    if analysis is None:
        return 2  # did not load: not a policy verdict
    register = build_register(analysis, today=args.today)
    failing = sorted(
        register.open_at_or_above(args.fail_on), key=lambda e: (-e.residual_score, e.id)
    )
    for e in failing:
        f = e.finding
        note = f": {e.expiry_note()}" if e.expired else ""
        print(
            safe_line(
                f"{file}: {e.residual_risk.upper():8} {f.id}: {f.title} (on {f.target_name}){note}"
            ),
            file=out,
        )
    failing_ids = {e.id for e in failing}
    for e in register.expired():
        if e.id not in failing_ids:
            print(
                safe_line(
                    f"{file}: note: {e.id}: {e.expiry_note()} (residual risk "
                    f"{e.residual_risk}, below '{args.fail_on}')"
                ),
                file=out,
            )
    for d in register.orphaned:
        print(
            safe_line(
                f"{file}: note: decision for {d.key} matches no finding "
                f"({orphan_reason(d, analysis.model)})"
            ),
            file=out,
        )
    verdict = "FAIL" if failing else "ok"
    decided = sum(e.decision is not None and e.status != "open" for e in register.entries)
    expired = len(register.expired())
    print(
        safe_line(
            f"{file}: {verdict}: {len(failing)} open finding(s) at or above "
            f"'{args.fail_on}' ({len(register.entries)} findings, {decided} decided"
            + (f", {expired} expired" if expired else "")
            + ")"
        ),
        file=out,
    )
    return 1 if failing else 0


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    unavailable: dict[str, str] = {}
    parser = _parser(core_only=_core_only(argv), unavailable=unavailable)
    word = _command_word(argv)
    if word is not None and word in unavailable:
        from .terminal import safe_line

        print(safe_line(f"{parser.prog}: error: {unavailable[word]}"), file=err)
        return 2
    args = parser.parse_args(argv)
    from .errors import OutputError

    try:
        return _run(args, out, err)
    except OutputError as exc:
        from .terminal import safe_line

        print(safe_line(f"error: {exc}"), file=err)
        return 2


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if getattr(args, "func", None) is not None:
        code: int = args.func(args, out, err)
        return code
    if args.command == "validate":
        return _validate(args.files, args.quiet, out, err)
    if args.command == "new":
        return _new(args.file, args.template, args.force, out, err)
    if args.command == "analyze":
        return _analyze(args, out, err)
    if args.command == "check":
        return _check(args, out, err)
    if args.command == "templates":
        from .starters import names

        for name in names():
            print(name, file=out)
        return 0
    if args.command == "schema":
        from .json_schema import model_schema

        print(json.dumps(model_schema(), indent=2), file=out)
        return 0
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
