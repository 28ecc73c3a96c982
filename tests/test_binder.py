"""Binder cannot run here, so build what it would build: a fresh virtual environment from
``binder/requirements.txt`` alone, the workbench installed by ``binder/postBuild`` from a
copy of the repository, and every notebook executed in that environment.

This shows that the pins are complete (``pip check``, every module of the project imports)
and that the notebooks need nothing the development environment happens to have.

The build is two minutes of child processes (pip, the kernels), so it starts in a background
thread as soon as the session knows the test will run (``pytest_collection_finish`` in
``tests/conftest.py``) and overlaps the tests before it; the test waits for it and checks every
step. Its folder (700 MB) is deleted at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from dataclasses import dataclass, field
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
    "starters",
    "notebooks",
    "workbench",
    "widgets",
    "labextension",
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
    import importlib, json, pkgutil, shutil, sys, tempfile
    from pathlib import Path

    import nbclient, nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    import widgets, workbench
    for pkg in (workbench, widgets):
        assert str(Path(pkg.__file__)).startswith(sys.prefix), pkg.__file__
        for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if not mod.name.startswith("workbench.lsp"):  # the lsp extra: not on Binder
                importlib.import_module(mod.name)
    # jupyter_client runs a kernelspec whose command is plain "python" with sys.executable.
    kernel = KernelSpecManager().get_kernel_spec("python3").argv[0]
    assert kernel in ("python", "python3") or Path(kernel).resolve() == Path(
        sys.executable
    ).resolve(), kernel

    # The front-end extension (labextension/) that the wheel puts where Jupyter looks.
    ext = Path(sys.prefix, "share", "jupyter", "labextensions", "ai-threat-workbench")
    load = json.loads((ext / "package.json").read_text())["jupyterlab"]["_build"]["load"]
    assert (ext / load).is_file() and (ext / "install.json").is_file(), ext

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


@dataclass(frozen=True)
class Step:
    """One command of the build and how it ended (``returncode`` ``None``: timed out)."""

    cmd: list[str]
    returncode: int | None
    stdout: str
    stderr: str

    def failure(self) -> str:
        ended = "timed out" if self.returncode is None else f"exited with {self.returncode}"
        return f"{' '.join(self.cmd)} {ended}:\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"


@dataclass
class BinderBuild:
    """The Binder environment built and the notebooks run in it, in a background thread.

    ``start()`` may be called early and more than once; ``wait()`` starts it if need be and
    returns when it is over; ``stop()`` kills what still runs and deletes the folder."""

    skip: str | None = None
    """Why the test cannot run here (no ``venv``), or ``None``."""
    steps: list[Step] = field(default_factory=list)
    """The commands run, in order; the build stops at the first one that fails."""
    error: BaseException | None = None
    """An unexpected error of the build itself (copying the repository ...)."""
    _thread: threading.Thread | None = None
    _proc: subprocess.Popen[str] | None = None
    _stopping: bool = False
    _folder: Path | None = None

    def start(self) -> None:
        if self._thread is None:
            self._folder = Path(tempfile.mkdtemp(prefix="atw-binder-"))
            self._thread = threading.Thread(target=self._work, name="binder-build", daemon=True)
            self._thread.start()

    def wait(self) -> None:
        self.start()
        assert self._thread is not None
        self._thread.join()

    def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _step(self, cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: int) -> bool:
        """Run ``cmd`` in a process group of its own (``stop()`` kills kernels too)."""
        if self._stopping:
            return False
        with subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            self._proc = proc
            try:
                out, err = proc.communicate(timeout=timeout)
                code: int | None = proc.returncode
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
                code = None
        self.steps.append(Step(cmd, code, out, err))
        return code == 0

    def _work(self) -> None:
        try:
            self._build()
        except BaseException as exc:  # reported by the test, never by the thread
            self.error = exc

    def _build(self) -> None:
        assert self._folder is not None
        tmp = self._folder
        python = shutil.which("python3") or sys.executable
        venv = tmp / "venv"
        probe = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, check=False)
        if probe.returncode != 0:
            self.skip = f"cannot create a virtual environment: {probe.stderr.decode()[-300:]}"
            return
        repo = tmp / "repo"
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
            "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        py = str(bin_dir / "python")
        runner = tmp / "run_notebooks.py"
        runner.write_text(RUNNER, encoding="utf-8")
        # --no-compile: pip would byte-compile all 700 MB it installs (a quarter to a third
        # of its time); Python compiles what the notebooks import when they import it.
        requirements = str(repo / "binder" / "requirements.txt")
        install = [py, "-m", "pip", "install", "--quiet", "--no-compile", "-r", requirements]
        post_build = ["bash", str(repo / "binder" / "postBuild")]
        run_notebooks = [py, str(runner), str(repo / "notebooks")]
        _ = (
            self._step(install, env=env, cwd=repo, timeout=INSTALL_TIMEOUT)
            and self._step(post_build, env=env, cwd=repo, timeout=INSTALL_TIMEOUT)
            and self._step([py, "-m", "pip", "check"], env=env, cwd=repo, timeout=120)
            and self._step(run_notebooks, env=env, cwd=tmp, timeout=RUN_TIMEOUT)
        )


BUILD = BinderBuild()
"""The session's one build (started early by ``tests/conftest.py``)."""


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
def test_fresh_binder_environment_runs_every_notebook():
    BUILD.wait()
    if BUILD.error is not None:
        raise BUILD.error
    if BUILD.skip is not None:
        pytest.skip(BUILD.skip)
    assert BUILD.steps, "the build ran no command"
    for step in BUILD.steps:
        assert step.returncode == 0, step.failure()
    assert len(BUILD.steps) == 4, [step.cmd for step in BUILD.steps]
    out = BUILD.steps[-1].stdout
    ran = [line.removeprefix("ran ") for line in out.splitlines() if line.startswith("ran ")]
    expected = sorted(
        p.relative_to(ROOT / "notebooks").as_posix()
        for p in (ROOT / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    assert sorted(ran) == expected
