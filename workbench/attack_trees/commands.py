"""Subcommand ``attack-tree`` of ``threat-workbench``.

Exit codes follow the CLI's: 0 written, 1 the model did not load, 2 usage error (a goal
the model does not have, several trees for a one-tree format without a folder to put
them in, an output that cannot be written).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..cli_options import add_catalog_options, add_force_option, add_today_option

FORMATS = ("text", "svg", "mermaid", "yaml", "json")
SUFFIXES = {
    ".svg": "svg",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".txt": "text",
}
EXTENSION = {"text": ".txt", "svg": ".svg", "mermaid": ".mmd", "yaml": ".yaml", "json": ".json"}

EPILOG = (
    "Without --goal: one tree per crown jewel. svg, mermaid and yaml hold one tree each: "
    "with several, give -o a folder (ending in '/'; one file per goal, named after it). "
    "A mitigation counts as in place when a mitigated decision names it; a mitigated, "
    "avoided, false_positive or not_applicable decision cuts its finding. Exit codes: 0 "
    "written, 1 the model did not load, 2 usage error."
)


def add_commands(sub: Any) -> None:
    """Add ``attack-tree`` to the CLI's subparsers."""
    t = sub.add_parser(
        "attack-tree",
        help="attack trees per crown jewel or objective (text, SVG, Mermaid, YAML, JSON)",
        description="Build the attack tree of a crown jewel (or any element) or a business "
        "objective from the engine's attack paths and findings: the ways in, the steps "
        "each needs, the findings behind each step and the mitigations that cut them, "
        "with the cut sets (mitigations that, put in place, cut every way).",
        epilog=EPILOG,
    )
    t.add_argument("file", type=Path, metavar="FILE", help="the model (.yaml or .json)")
    t.add_argument(
        "--goal",
        "-g",
        action="append",
        default=[],
        metavar="ELEMENT_OR_OBJECTIVE",
        help="an element or objective ID (repeatable; default: every crown jewel)",
    )
    t.add_argument(
        "--objectives",
        action="store_true",
        help="without --goal: the business objectives' trees too",
    )
    t.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="default: from OUT's suffix (.svg, .mmd, .yaml, .json, .txt), else text",
    )
    t.add_argument(
        "--output",
        "-o",
        metavar="OUT",
        help="write to OUT (atomic); a folder (ending in '/') takes one file per goal",
    )
    add_catalog_options(t)
    add_today_option(t)
    add_force_option(t)
    t.set_defaults(func=_attack_tree)


def _attack_tree(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..outputs import check_output, output_format, write_output
    from ..terminal import safe_line
    from . import AttackTree, TreeBuilder, to_deciduous, to_mermaid, to_svg
    from .formats import to_text

    folder = args.output is not None and args.output.endswith(("/", "\\"))
    target = None if folder or args.output is None else Path(args.output)
    fmt = output_format(target, args.format, SUFFIXES, "text")
    if target is not None:
        check_output(target, force=args.force)
    analysis = _analysis(args, err)
    if analysis is None:
        return 1
    builder = TreeBuilder(analysis, today=args.today)
    goals = args.goal or [
        g for g, kind, _ in builder.goals() if kind == "element" or args.objectives
    ]
    try:
        trees = [builder.tree(g) for g in dict.fromkeys(goals)]
    except KeyError as exc:
        print(safe_line(f"error: {exc.args[0]}"), file=err)
        return 2
    if not trees:
        print(safe_line(f"{args.file}: no crown jewel: name a --goal"), file=err)
        return 2
    renderers: dict[str, Callable[[AttackTree], str]] = {
        "text": to_text,
        "svg": to_svg,
        "mermaid": to_mermaid,
        "yaml": to_deciduous,
        "json": AttackTree.to_json,
    }
    render = renderers[fmt]
    if folder:
        for tree in trees:
            path = Path(args.output) / f"{tree.goal}{EXTENSION[fmt]}"
            write_output(path, render(tree), force=args.force)
            print(safe_line(f"{path}: {tree.title}"), file=err)
        return 0
    if len(trees) > 1 and fmt in ("svg", "mermaid", "yaml"):
        print(
            safe_line(
                f"error: {fmt} holds one tree: name one --goal, or give -o a folder "
                f"(ending in '/'); goals: {', '.join(t.goal for t in trees)}"
            ),
            file=err,
        )
        return 2
    if fmt == "json" and len(trees) > 1:
        import json

        text = json.dumps([t.to_dict() for t in trees], indent=2, ensure_ascii=False) + "\n"
    else:
        text = "\n".join(render(t) for t in trees)
    if target is not None:
        write_output(target, text, force=args.force)
        print(safe_line(f"{target}: {len(trees)} attack tree(s)"), file=err)
    else:
        out.write(text)
    return 0


def _analysis(args: argparse.Namespace, err: TextIO) -> Any:
    """The analysis of ``args.file`` with the catalogs asked for; ``None`` (the problems
    printed) when the model or a catalog does not load."""
    from ..catalog import load_catalog
    from ..engine import analyze
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
    return analyze(model, catalog)
