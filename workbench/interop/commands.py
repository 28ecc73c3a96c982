"""Subcommands ``import``, ``export`` and ``diff`` of ``threat-workbench``.

Exit codes follow the CLI's: 0 success, 1 the input is invalid or the command refused
(nothing written), 2 usage error (including an output that is refused or cannot be
written: see :mod:`workbench.outputs`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from ..cli_options import add_catalog_options, add_force_option, add_today_option

IMPORT_FORMATS = ("otm", "threat-dragon", "threagile", "cyclonedx", "threat-composer")
EXPORT_FORMATS = ("otm", "threat-dragon", "threagile", "cyclonedx", "threat-composer")
JSON_ONLY = {
    "threat-dragon": "Threat Dragon",
    "cyclonedx": "CycloneDX",
    "threat-composer": "Threat Composer",
}
YAML_ONLY = {"threagile": "Threagile"}
FORMATS_HELP = (
    "otm: Open Threat Model 0.2.0; threat-dragon: OWASP Threat Dragon v2; threagile: "
    "Threagile YAML; cyclonedx: CycloneDX 2.0 threat-model BOM (PRE-RELEASE: CycloneDX "
    "2.0 is not final, its fields may change); threat-composer: AWS Threat Composer "
    "workspace (.tc.json)"
)


def add_commands(sub: Any) -> None:
    """Add ``import``, ``export`` and ``diff`` to the CLI's subparsers."""
    i = sub.add_parser(
        "import",
        help="import an OTM, Threat Dragon v2, Threagile, CycloneDX 2.0 (pre-release) or "
        "Threat Composer file as a workbench model",
        description="Import another tool's model. Warnings (one per dropped or changed "
        f"item) go to stderr; nothing is written when the import fails. Formats: {FORMATS_HELP}.",
    )
    i.add_argument("file", type=Path, metavar="FILE")
    i.add_argument(
        "--from",
        dest="fmt",
        choices=IMPORT_FORMATS,
        help="the file's format (detected when left out); cyclonedx is a pre-release format",
    )
    i.add_argument(
        "--output", "-o", type=Path, metavar="OUT", help="write the model to OUT (default: stdout)"
    )
    add_force_option(i, "OUT and JSON")
    i.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="write the import report (warnings, "
        "unmapped parts, threats that are not decisions) to JSON",
    )
    i.add_argument(
        "--strict", action="store_true", help="fail (write nothing) when there are warnings"
    )
    i.set_defaults(func=_import)

    e = sub.add_parser(
        "export",
        help="export a model as OTM, Threat Dragon v2, Threagile, CycloneDX 2.0 "
        "(pre-release) or Threat Composer, with its findings as threats",
        description=f"Export a model for another tool. Formats: {FORMATS_HELP}.",
    )
    e.add_argument("file", type=Path, metavar="FILE")
    e.add_argument(
        "--to",
        dest="fmt",
        choices=EXPORT_FORMATS,
        required=True,
        help="the format (cyclonedx is a pre-release format: CycloneDX 2.0 is not final)",
    )
    e.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="OUT",
        required=True,
        help="where to write (OTM: YAML when OUT ends in .yaml or .yml, else JSON; "
        "Threagile: YAML; the others: JSON)",
    )
    e.add_argument(
        "--no-threats", action="store_true", help="export the architecture only, no findings"
    )
    add_catalog_options(e)
    add_force_option(e)
    e.set_defaults(func=_export)

    d = sub.add_parser(
        "diff",
        help="what changed between two models, and the risk delta",
        description="Compare OLD and NEW (files, or REV:PATH from git, e.g. "
        "HEAD~1:model.yaml): elements, flows, boundaries, assets, objectives, decisions and "
        "properties added, removed or changed, and findings added, resolved or changed in "
        "risk.",
    )
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument(
        "--format",
        "-f",
        choices=["text", "markdown", "json"],
        help="default: from OUT's suffix (.md, .json), else text",
    )
    d.add_argument("--output", "-o", type=Path, metavar="OUT", help="write to OUT (atomic)")
    add_force_option(d)
    d.add_argument("--no-risk", action="store_true", help="compare the models only")
    add_catalog_options(d)
    add_today_option(d)
    d.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the models or the risk differ"
    )
    d.set_defaults(func=_diff)


def _problems(exc: Exception, err: TextIO) -> int:
    from ..errors import ModelFileError, print_problems

    if isinstance(exc, ModelFileError):
        print_problems(exc.problems, err)
    else:
        print(exc, file=err)
    return 1


def _import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..errors import ModelFileError
    from ..io import detect_format
    from ..outputs import check_output, write_output
    from ..saving import dumps_model
    from . import import_file

    target: Path | None = args.output
    if target is not None:
        check_output(target, force=args.force)
    if args.report is not None:
        check_output(args.report, force=args.force)
    try:
        result = import_file(args.file, args.fmt)
    except ModelFileError as exc:
        print(f"{args.file}: import failed; nothing was written", file=err)
        return _problems(exc, err)
    for w in result.warnings:
        print(f"warning: {w}", file=err)
    m = result.model
    summary = (
        f"{args.file}: {result.format}: {len(m.elements)} elements, {len(m.flows)} flows, "
        f"{len(m.boundaries)} boundaries, {len(m.assets)} assets, {len(m.decisions)} decisions"
    )
    notes = []
    if result.threats:
        notes.append(f"{len(result.threats)} threat(s) of the other tool are not decisions")
    if result.unmapped:
        notes.append(f"{len(result.unmapped)} part(s) not mapped")
    if notes:
        hint = (
            "write them out with --report FILE.json"
            if args.report is None
            else f"listed in {args.report}"
        )
        summary += f" ({'; '.join(notes)}: {hint})"
    if args.strict and result.warnings:
        print(
            f"{summary}\n{args.file}: {len(result.warnings)} warning(s) and --strict: "
            "nothing was written",
            file=err,
        )
        return 1
    if args.report is not None:
        text = json.dumps(result.report(), indent=2, ensure_ascii=False) + "\n"
        write_output(args.report, text, force=args.force)
    if target is None:
        out.write(m.to_yaml())
    else:
        write_output(target, dumps_model(m, detect_format(target)), force=args.force)
        summary += f" → {target}"
    print(summary, file=err)
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # pragma: no cover - resolve() rarely fails
        return False


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..catalog import load_catalog
    from ..engine import analyze
    from ..errors import ModelFileError
    from ..io import load_model
    from ..outputs import check_output, write_output
    from ..parsing import MAX_FILE_BYTES
    from . import export_model

    if _same_file(args.file, args.output):
        print(f"{args.output}: is the model itself; choose another output", file=err)
        return 1
    check_output(args.output, force=args.force)
    try:
        model = load_model(args.file)
        analysis = None
        if not args.no_threats:
            analysis = analyze(model, load_catalog(*args.catalog, builtin=not args.no_builtin))
    except ModelFileError as exc:
        return _problems(exc, err)
    as_yaml = args.output.suffix.lower() in (".yaml", ".yml")
    if args.fmt in JSON_ONLY and as_yaml:
        print(f"{args.output}: {JSON_ONLY[args.fmt]} files are JSON; use a .json name", file=err)
        return 2
    if args.fmt in YAML_ONLY and args.output.suffix.lower() == ".json":
        print(f"{args.output}: {YAML_ONLY[args.fmt]} files are YAML; use a .yaml name", file=err)
        return 2
    text = export_model(model, args.fmt, analysis, threats=not args.no_threats, yaml=as_yaml)
    write_output(args.output, text, force=args.force)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        print(
            f"warning: {args.output} is {size / 2**20:.1f} MiB, more than the "
            f"{MAX_FILE_BYTES // 2**20} MiB that 'threat-workbench import' reads back "
            "(export with --no-threats, or split the model)",
            file=err,
        )
    found = "" if analysis is None else f", {len(analysis.findings)} findings"
    print(
        f"{args.output}: {args.fmt}: {len(model.elements)} elements, {len(model.flows)} flows"
        f"{found}",
        file=err,
    )
    if args.fmt == "cyclonedx":
        print(
            "note: CycloneDX 2.0 and its threat-model extension are a pre-release: "
            "fields may change before the specification is final",
            file=err,
        )
    return 0


def _diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..catalog import load_catalog
    from ..errors import ModelFileError
    from ..outputs import check_output, output_format, write_output
    from ..register.review import diff_models, load_model_spec, to_json, to_markdown, to_text

    fmt = output_format(
        args.output,
        args.format,
        {".md": "markdown", ".markdown": "markdown", ".json": "json"},
        "text",
    )
    if args.output is not None:
        check_output(args.output, force=args.force)
    try:
        old = load_model_spec(args.old)
        new = load_model_spec(args.new)
        catalog = None if args.no_risk else load_catalog(*args.catalog, builtin=not args.no_builtin)
    except ModelFileError as exc:
        return _problems(exc, err)
    d = diff_models(
        old,
        new,
        catalog=catalog,
        risk=not args.no_risk,
        old_label=args.old,
        new_label=args.new,
        today=args.today,
    )
    render = {"text": to_text, "markdown": to_markdown, "json": to_json}[fmt]
    text = render(d)
    if args.output is not None:
        write_output(args.output, text, force=args.force)
    else:
        out.write(text)
    return 1 if args.exit_code and not d.empty else 0
