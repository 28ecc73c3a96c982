"""The ``threat-workbench`` command line.

Exit codes: 0 success, 1 the input is invalid (or a check failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__


def _parser() -> argparse.ArgumentParser:
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
    n.add_argument(
        "--force", action="store_true", help="overwrite FILE (the old one is kept as FILE.bak)"
    )

    sub.add_parser("templates", help="list the starter architectures")
    sub.add_parser("schema", help="print the JSON Schema of model files")
    return p


def _validate(files: list[Path], quiet: bool, out: TextIO, err: TextIO) -> int:
    from .errors import ModelFileError
    from .io import load_model

    status = 0
    for f in files:
        try:
            m = load_model(f)
        except ModelFileError as exc:
            status = 1
            for problem in exc.problems:
                print(problem, file=err)
            continue
        if not quiet:
            print(
                f"{f}: ok ({len(m.elements)} elements, {len(m.flows)} flows, "
                f"{len(m.boundaries)} boundaries)",
                file=out,
            )
    return status


def _new(file: Path, template: str, force: bool, out: TextIO, err: TextIO) -> int:
    from .templates import load_template, names

    if file.exists() and not force:
        print(f"{file}: exists; pass --force to overwrite (a .bak copy is kept)", file=err)
        return 1
    if template not in names():
        print(f"unknown template '{template}'; available: {', '.join(names())}", file=err)
        return 2
    path = load_template(template).save(file)
    print(f"{path}: created from '{template}'", file=out)
    return 0


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.files, args.quiet, out, err)
    if args.command == "new":
        return _new(args.file, args.template, args.force, out, err)
    if args.command == "templates":
        from .templates import names

        for name in names():
            print(name, file=out)
        return 0
    if args.command == "schema":
        from .schema import model_schema

        print(json.dumps(model_schema(), indent=2), file=out)
        return 0
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
