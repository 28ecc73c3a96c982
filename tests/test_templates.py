"""The starter architectures are valid, realistic models."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from workbench import ThreatModel
from workbench.model import KINDS
from workbench.resources import starters_dir
from workbench.starters import load_template, names

EXPECTED = {
    "rag_assistant",
    "llm_agent_tools",
    "fine_tuning_pipeline",
    "fraud_classifier",
    "on_device_model",
}


def test_all_five_are_shipped() -> None:
    assert set(names()) >= EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_is_realistic(name: str) -> None:
    m = load_template(name)
    assert 10 <= len(m.elements) <= 30
    assert len(m.flows) >= len(m.elements)
    assert len(m.boundaries) >= 3
    assert any(b.parent for b in m.boundaries), "boundaries should nest"
    assert any(b.trust == "untrusted" for b in m.boundaries)
    assert m.assets
    assert m.objectives
    assert m.system.owners
    assert m.scope.description
    layers = Counter(KINDS[e.kind].layer.value for e in m.elements)
    assert layers["deployment"] >= 1
    assert all(e.position is not None for e in m.elements), "the canvas needs positions"
    with_props = [e for e in m.elements if e.properties.model_dump(exclude_none=True)]
    assert len(with_props) >= len(m.elements) // 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_saves_with_comments(name: str, tmp_path: Path) -> None:
    m = ThreatModel.from_template(name)
    assert m.source_path is None
    out = m.save(tmp_path / "copy.yaml")
    text = out.read_text(encoding="utf-8")
    source = (starters_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    assert text == source, "an unchanged template is copied byte for byte"
    assert ThreatModel.load(out) == m


def test_unknown_template_suggests() -> None:
    with pytest.raises(KeyError, match="did you mean 'rag_assistant'"):
        load_template("rag_asistant")
