"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

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
