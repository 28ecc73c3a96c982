"""The core stays free of UI libraries and imports fast enough for a CLI."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "ipywidgets",
    "anywidget",
    "panel",
    "IPython",
    "nbconvert",
    "widgets",
    "weasyprint",
    "playwright",
    "jupyterlab",
    "ruamel",
]


def test_import_workbench_pulls_in_no_ui_library() -> None:
    code = (
        "import sys, json, workbench, workbench.graph, workbench.io, workbench.cli, "
        "workbench.display, workbench.starters\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_no_eval_or_unsafe_yaml_in_the_package() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [
        *root.joinpath("workbench").rglob("*.py"),
        *root.joinpath("widgets").rglob("*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        for bad in (
            "eval(",
            "exec(",
            "yaml.load(",
            "yaml.unsafe_load",
            "UnsafeLoader",
            "FullLoader",
        ):
            if bad in text.replace("literal_eval(", ""):
                offenders.append(f"{path.name}: {bad}")
    assert offenders == []
