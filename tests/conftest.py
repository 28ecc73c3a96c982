"""Shared fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.notebook_support import RunNotebook, run_once
from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
"""Published data the checks compare against (MITRE ATLAS, OWASP, NIST, CoSAI, the SARIF and
Model Card Toolkit schemas, other tools' sample files), read in place from a ``shared``
folder beside the repository and never copied into it (README, Development)."""


TEST_TODAY = "2026-12-01"
"""The date review dates are compared with in every test (``THREAT_WORKBENCH_TODAY``, set
here unless the environment sets it): a starter's acceptance expiring some day must not
change what a test sees. Tests of expiry pass their own ``today``."""
os.environ.setdefault("THREAT_WORKBENCH_TODAY", TEST_TODAY)


def reference_missing(*parts: str) -> str:
    """Why a test that needs ``REFERENCE/<parts>`` skips: what to get and where to put it,
    with the path relative to the repository, never this machine's."""
    what = "/".join(("../shared/reference", *parts))
    if not REFERENCE.is_dir():
        return (
            "needs the reference data in ../shared/reference beside the repository "
            "(published MITRE ATLAS, OWASP, NIST files, schemas and other tools' samples); "
            "see README, Development"
        )
    return f"needs {what} from the reference data; see README, Development"


def needs_reference(*parts: str) -> pytest.MarkDecorator:
    """Skip the test unless ``REFERENCE/<parts>`` (a file or a folder) is there."""
    return pytest.mark.skipif(
        not REFERENCE.joinpath(*parts).exists(), reason=reference_missing(*parts)
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the Binder build (two minutes of pip and kernels in child processes) in the
    background as soon as its test is known to run, so that it overlaps the tests before it
    (``tests/test_binder.py``)."""
    binder = sys.modules.get("tests.test_binder")
    if binder is None or session.config.option.collectonly:
        return
    test = binder.test_fresh_binder_environment_runs_every_notebook
    if any(getattr(item, "function", None) is test for item in session.items):
        binder.BUILD.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the Binder build if it still runs (``-x``, Ctrl-C) and delete its folder."""
    binder = sys.modules.get("tests.test_binder")
    if binder is not None:
        binder.BUILD.stop()


MINIMAL = """\
format_version: 1
# The system under analysis
system:
  name: Support bot   # keep this name
  owners: [sec-team]
boundaries:
  - id: internet
    name: Internet
    trust: untrusted
  - id: vpc
    name: Production VPC
elements:
  # people first
  - id: customer
    kind: user
    name: Customer
    boundary: internet
  - id: bot
    kind: llm_app
    name: Support bot
    boundary: vpc
    properties:
      exposure: internet
      rate_limited: false
  - id: docs
    kind: document_store
    name: Help-centre articles
    boundary: vpc
    assets: [articles]
assets:
  - id: articles
    name: Articles
    classification: confidential
flows:
  - id: ask
    source: customer
    target: bot
    name: question
  - id: retrieve
    source: docs
    target: bot
    name: chunks
"""


@pytest.fixture
def minimal_text() -> str:
    return MINIMAL


@pytest.fixture
def minimal(tmp_path: Path) -> ThreatModel:
    p = tmp_path / "model.yaml"
    p.write_text(MINIMAL, encoding="utf-8")
    return ThreatModel.load(p)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The built-in catalog, loaded once (catalogs are not changed by tests)."""
    return load_catalog()


@pytest.fixture(scope="session")
def rich() -> ThreatModel:
    """A model that uses every part of the format (the interchange tests' fixture)."""
    return ThreatModel.load(Path(__file__).resolve().parent / "fixtures" / "interop" / "rich.yaml")


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory: pytest.TempPathFactory) -> RunNotebook:
    """``notebook_runs(name)``: the notebook ``notebooks/<name>`` executed top to bottom in a
    temporary copy of the folder, once per session (the notebook and workshop tests share
    the run)."""
    return run_once(tmp_path_factory)
