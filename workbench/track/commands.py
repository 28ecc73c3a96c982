"""Subcommand ``track`` of ``threat-workbench``.

Exit codes follow the CLI's: 0 done (or nothing to do), 1 the model did not load or a
tracker request failed (what was made before is recorded in the file), 2 usage error:
no token in the environment, no project, a bad URL or label, a model file that cannot be
written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from ..cli_options import add_catalog_options, add_today_option
from . import TOKEN_VARIABLES, TRACKERS

EPILOG = (
    "Tokens are read from the environment only: "
    + ", ".join(f"{v} ({t})" for t, v in TOKEN_VARIABLES.items())
    + ", and JIRA_USER for Jira Cloud (basic authentication with an API token; without it "
    "JIRA_TOKEN is a Data Center personal access token). Issues carry the label "
    "'threat-workbench' and a marker line naming the model and the group; re-running "
    "updates them and never creates one twice. Each issue's URL is recorded in the "
    "'ticket' of its findings' decisions as soon as the issue exists (the file before the "
    "run is kept as FILE.bak). Exit codes: 0 done, 1 the model did not load or a tracker "
    "request failed (what was made before is recorded), 2 usage error (no token, no "
    "project, a file that cannot be written)."
)


def add_commands(sub: Any) -> None:
    """Add ``track`` to the CLI's subparsers."""
    t = sub.add_parser(
        "track",
        help="open an issue per open finding group in GitHub, GitLab or Jira; "
        "--sync reads their state back",
        description="Open (or update) one issue per open group of findings, or per "
        "finding, whose residual risk reaches --level, and record each issue in the "
        "decisions' 'ticket'. With --sync: read the recorded issues' state and propose "
        "'mitigated' for those closed as done, shown as a diff.",
        epilog=EPILOG,
    )
    t.add_argument("file", type=Path, metavar="FILE")
    t.add_argument("--to", dest="tracker", choices=TRACKERS, required=True)
    t.add_argument(
        "--repo", metavar="OWNER/NAME", help="the GitHub repository (GitLab: the project path)"
    )
    t.add_argument(
        "--project",
        metavar="PROJECT",
        help="the GitLab project (ID or group/name) or the Jira project key",
    )
    t.add_argument(
        "--api-url",
        metavar="URL",
        help="the API's base URL: default https://api.github.com and "
        "https://gitlab.com/api/v4; GitHub Enterprise https://HOST/api/v3, self-managed "
        "GitLab https://HOST/api/v4; Jira (required) https://SITE.atlassian.net or the "
        "Data Center's address",
    )
    t.add_argument(
        "--level",
        choices=["low", "medium", "high", "critical"],
        default="high",
        help="track the groups with an open finding at this residual risk or worse (default: high)",
    )
    t.add_argument(
        "--per",
        choices=["group", "finding"],
        default="group",
        help="one issue per group of findings with one cause (default), or per finding",
    )
    t.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="LABEL",
        help="another label for new issues (repeatable; 'threat-workbench' is always set)",
    )
    t.add_argument(
        "--issue-type", default="Task", metavar="TYPE", help="Jira: the type of new issues"
    )
    t.add_argument(
        "--sync",
        action="store_true",
        help="read the recorded issues' state back; propose 'mitigated' for closed ones",
    )
    t.add_argument(
        "--write",
        action="store_true",
        help="with --sync: write the proposed decisions without asking",
    )
    t.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change; create, update and write nothing (the tracker is "
        "read, so the token is still needed)",
    )
    add_catalog_options(t)
    add_today_option(t)
    t.set_defaults(func=_track)


def _project(args: argparse.Namespace) -> str | None:
    if args.repo and args.project and args.repo != args.project:
        raise ValueError("give --repo or --project, not both")
    if args.tracker == "jira" and args.repo:
        raise ValueError("jira: give the project key with --project")
    return str(args.repo or args.project or "") or None


def _track(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..terminal import safe_line
    from .trackers import TrackConfigError, make_tracker

    if args.write and not args.sync:
        print("error: --write goes with --sync (track records tickets anyway)", file=err)
        return 2
    if args.write and args.dry_run:
        print("error: --write and --dry-run contradict each other", file=err)
        return 2
    try:
        tracker = make_tracker(
            args.tracker,
            _project(args),
            api_url=args.api_url,
            env=os.environ,
            labels=tuple(args.label),
            issue_type=args.issue_type,
        )
    except (TrackConfigError, ValueError) as exc:
        print(safe_line(f"error: {exc}"), file=err)
        return 2
    if args.sync:
        return _sync(args, tracker, out, err)
    return _push(args, tracker, out, err)


def _load(args: argparse.Namespace, err: TextIO) -> tuple[Any, Any] | None:
    """The model and the catalog, or ``None`` (problems printed)."""
    from ..catalog import load_catalog
    from ..errors import ModelFileError, print_problems
    from ..io import load_model, load_warnings

    try:
        model = load_model(args.file)
        catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    except ModelFileError as exc:
        print_problems(exc.problems, err)
        return None
    for w in load_warnings(model):
        print(f"warning: {w}", file=err)
    return model, catalog


def _push(args: argparse.Namespace, tracker: Any, out: TextIO, err: TextIO) -> int:
    from ..engine import analyze
    from ..outputs import check_output
    from ..register import build_register
    from ..terminal import safe_line
    from .run import Outcome, TrackRunError, push

    if not args.dry_run:
        check_output(args.file, force=True)  # refuse a file that cannot be written first
    loaded = _load(args, err)
    if loaded is None:
        return 1
    model, catalog = loaded
    analysis = analyze(model, catalog)
    register = build_register(analysis, today=args.today)

    def report(o: Outcome) -> None:
        where = f"{tracker.shown(o.issue)} {o.issue.url}" if o.issue is not None else "(new)"
        n = len(o.item.entries)
        line = (
            f"{o.action:12} {o.item.key} ({o.item.risk}, {n} open finding{'s' if n != 1 else ''})"
            f": {where}"
        )
        if o.recorded:
            verb = "would record" if args.dry_run else "ticket recorded for"
            line += f"; {verb} {', '.join(o.recorded)}"
        print(safe_line(line), file=out)

    try:
        result = push(
            model,
            analysis,
            register,
            tracker,
            path=args.file,
            level=args.level,
            per=args.per,
            labels=tuple(args.label),
            dry_run=args.dry_run,
            on_outcome=report,
        )
    except TrackRunError as exc:
        print(safe_line(f"error: {exc}"), file=err)
        made = [o for o in exc.outcomes if o.action == "created"]
        if made:
            print(
                safe_line(
                    f"{args.file}: the {len(made)} issue(s) created before the failure are "
                    "recorded in it; running track again continues"
                ),
                file=err,
            )
        return 1
    for note in result.notes:
        print(safe_line(f"note: {note}"), file=err)
    counts = ", ".join(
        f"{result.count(a)} {a}"
        for a in ("created", "updated", "unchanged", "would create", "would update")
        if result.count(a) or a in ("created", "updated", "unchanged")
    )
    recorded = sum(len(o.recorded) for o in result.outcomes)
    tail = (
        "dry run: nothing created, updated or written"
        if args.dry_run
        else f"tickets recorded for {recorded} finding(s) in {args.file}"
        + (f" (the file before: {args.file}.bak)" if result.saved else "")
    )
    print(
        safe_line(
            f"{args.file}: {tracker.where}: {len(result.outcomes)} issue(s) at or above "
            f"'{args.level}': {counts}; {tail}"
        ),
        file=err,
    )
    return 0


def _confirm(path: Path, err: TextIO) -> bool:
    if not sys.stdin.isatty():
        return False
    print(f"Write these changes to {path}? [y/N] ", end="", file=err, flush=True)
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _sync(args: argparse.Namespace, tracker: Any, out: TextIO, err: TextIO) -> int:
    from ..model.statuses import today as current_date
    from ..outputs import check_output
    from ..register.review import diff_models, to_text
    from ..saving import save_model
    from ..terminal import safe_line, safe_text
    from .run import TrackRunError, sync

    if args.write:
        check_output(args.file, force=True)
    before = args.file.read_bytes() if args.file.is_file() else b""
    loaded = _load(args, err)
    if loaded is None:
        return 1
    model, catalog = loaded
    day = current_date(args.today)
    try:
        result = sync(model, tracker, today=day)
    except TrackRunError as exc:
        print(safe_line(f"error: {exc}"), file=err)
        return 1
    for note in result.notes:
        print(safe_line(f"note: {note}"), file=err)
    if not result.proposals:
        print(
            safe_line(
                f"{args.file}: {tracker.where}: {result.read} issue(s) read; nothing to change"
            ),
            file=err,
        )
        return 0
    d = diff_models(
        model,
        result.model,
        catalog=catalog,
        old_label=str(args.file),
        new_label=f"{args.file} with the state of {tracker.where}",
        today=day,
    )
    out.write(safe_text(to_text(d)))
    n = len(result.proposals)
    summary = f"{args.file}: {n} decision(s) proposed as mitigated ({result.read} issue(s) read)"
    if args.dry_run:
        print(safe_line(f"{summary}; dry run: nothing written"), file=err)
        return 0
    if not (args.write or _confirm(args.file, err)):
        print(safe_line(f"{summary}; nothing written: pass --write to write them"), file=err)
        return 0
    check_output(args.file, force=True)
    if args.file.read_bytes() != before:
        print(
            safe_line(f"error: {args.file}: changed on disk meanwhile; nothing written"), file=err
        )
        return 1
    save_model(result.model, args.file, backup=True)
    print(safe_line(f"{summary}; written (the old file kept as {args.file}.bak)"), file=err)
    return 0
