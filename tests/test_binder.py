"""Binder cannot run here, so build what it would build: a fresh virtual environment from
``binder/requirements.txt`` alone, the workbench installed by ``binder/postBuild`` from a
copy of the repository, and every notebook executed in that environment.

This shows that the pins are complete (``pip check``, every module of the project imports)
and that the notebooks need nothing the development environment happens to have.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
COPIED = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "binder",
    "catalogs",
    "notebooks",
    "workbench",
    "widgets",
)
IGNORED = shutil.ignore_patterns(
    "node_modules", "__pycache__", ".ipynb_checkpoints", "*.pyc", "*.bak", ".mypy_cache"
)
INSTALL_TIMEOUT = 600  # seconds for pip to install the pins from the local mirror
RUN_TIMEOUT = 600  # seconds to execute every notebook

# Runs inside the new environment: import every module, check which Python the kernel
# uses, then execute each notebook in a copy of the folder.
RUNNER = textwrap.dedent(
    """
    import importlib, pkgutil, shutil, sys, tempfile
    from pathlib import Path

    import nbclient, nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    import widgets, workbench
    for pkg in (workbench, widgets):
        assert str(Path(pkg.__file__)).startswith(sys.prefix), pkg.__file__
        for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(mod.name)
    # jupyter_client runs a kernelspec whose command is plain "python" with sys.executable.
    kernel = KernelSpecManager().get_kernel_spec("python3").argv[0]
    assert kernel in ("python", "python3") or Path(kernel).resolve() == Path(
        sys.executable
    ).resolve(), kernel

    source = Path(sys.argv[1])
    for path in sorted(source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        work = Path(tempfile.mkdtemp()) / "notebooks"
        shutil.copytree(source, work)
        copy = work / path.relative_to(source)
        nb = nbformat.read(copy, as_version=4)
        nbclient.NotebookClient(
            nb, kernel_name="python3", timeout=180,
            resources={"metadata": {"path": str(copy.parent)}},
        ).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert not errors, (path.name, errors)
        print("ran", path.relative_to(source))
    """
)


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: int) -> str:
    done = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def test_binder_files_are_there():
    requirements = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert pins
    assert all("==" in line for line in pins), "every requirement is pinned with =="
    apt = (BINDER / "apt.txt").read_text(encoding="utf-8").split()
    assert "graphviz" in apt
    assert "libpango-1.0-0" in apt
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    assert "--no-deps" in post.read_text(encoding="utf-8")


def test_pins_cover_the_core_dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = (BINDER / "requirements.txt").read_text(encoding="utf-8").lower()
    pinned = {line.split("==")[0] for line in requirements.splitlines() if "==" in line}
    for dep in project["dependencies"]:
        name = dep.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        assert name in pinned, f"{name} is a core dependency but not pinned in binder/"


@pytest.mark.slow
def test_fresh_binder_environment_runs_every_notebook(tmp_path: Path):
    python = shutil.which("python3") or sys.executable
    venv = tmp_path / "venv"
    probe = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a virtual environment: {probe.stderr.decode()[-300:]}")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=IGNORED)
        elif src.is_file():
            shutil.copy2(src, repo / name)
    bin_dir = venv / "bin"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))
        },
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    py = str(bin_dir / "python")
    _run(
        [py, "-m", "pip", "install", "--quiet", "-r", str(repo / "binder" / "requirements.txt")],
        env=env,
        cwd=repo,
        timeout=INSTALL_TIMEOUT,
    )
    _run(["bash", str(repo / "binder" / "postBuild")], env=env, cwd=repo, timeout=INSTALL_TIMEOUT)
    _run([py, "-m", "pip", "check"], env=env, cwd=repo, timeout=120)
    runner = tmp_path / "run_notebooks.py"
    runner.write_text(RUNNER, encoding="utf-8")
    out = _run(
        [py, str(runner), str(repo / "notebooks")], env=env, cwd=tmp_path, timeout=RUN_TIMEOUT
    )
    ran = [line.removeprefix("ran ") for line in out.splitlines() if line.startswith("ran ")]
    expected = sorted(
        p.relative_to(ROOT / "notebooks").as_posix()
        for p in (ROOT / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    assert sorted(ran) == expected
