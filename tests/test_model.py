"""The pydantic model: strictness, cross-references, edits."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from workbench import Boundary, Decision, Element, Flow, ThreatModel
from workbench.model import KINDS, ElementKind, stride_for
from workbench.model.kinds import DfdType


def model(**extra: object) -> ThreatModel:
    base: dict[str, object] = {
        "system": {"name": "S"},
        "elements": [
            {"id": "u", "kind": "user", "name": "U"},
            {"id": "app", "kind": "llm_app", "name": "App"},
        ],
        "flows": [{"id": "f1", "source": "u", "target": "app"}],
    }
    base.update(extra)
    return ThreatModel.model_validate(base)


def test_kind_literal_matches_table() -> None:
    assert set(typing.get_args(ElementKind)) == set(KINDS)


@pytest.mark.parametrize(
    ("kind", "letters"),
    [
        ("user", ("S", "R")),
        ("llm_app", ("S", "T", "R", "I", "D", "E")),
        ("vector_store", ("T", "I", "D")),
        ("log_store", ("T", "R", "I", "D")),
        ("foundation_model_api", ("S", "T", "R", "I", "D", "E")),
    ],
)
def test_stride_per_element(kind: str, letters: tuple[str, ...]) -> None:
    assert stride_for(kind) == letters


def test_every_layer_has_kinds() -> None:
    layers = {k.layer.value for k in KINDS.values()}
    assert layers == {"data", "model", "deployment", "generic"}
    assert {k.dfd for k in KINDS.values()} == set(DfdType)


def test_strict_types_are_not_coerced() -> None:
    with pytest.raises(ValidationError, match="boolean"):
        Element.model_validate(
            {"id": "a", "kind": "user", "name": "A", "properties": {"encrypted_at_rest": "yes"}}
        )
    with pytest.raises(ValidationError, match="Extra inputs"):
        Element.model_validate({"id": "a", "kind": "user", "name": "A", "colour": "red"})


def test_models_are_frozen() -> None:
    m = model()
    with pytest.raises(ValidationError):
        m.system = m.system  # type: ignore[misc]


def test_dangling_references_are_all_named() -> None:
    with pytest.raises(ValidationError) as info:
        model(
            flows=[
                {"id": "f1", "source": "u", "target": "ap"},
                {"id": "f2", "source": "nobody", "target": "app", "data": ["x"]},
            ],
        )
    text = str(info.value)
    assert "flows[0].target: 'ap' is not an element ID; did you mean 'app'?" in text
    assert "flows[1].source: 'nobody' is not an element ID" in text
    assert "flows[1].data[0]: 'x' is not an asset ID" in text


def test_ids_are_unique_across_sections() -> None:
    with pytest.raises(ValidationError, match="duplicate ID 'u'"):
        model(boundaries=[{"id": "u", "name": "B"}])


def test_boundary_cycle_is_refused() -> None:
    with pytest.raises(ValidationError, match="boundary cycle: a -> b -> a"):
        model(
            boundaries=[
                {"id": "a", "name": "A", "parent": "b"},
                {"id": "b", "name": "B", "parent": "a"},
            ]
        )


def test_self_loop_is_refused() -> None:
    with pytest.raises(ValidationError, match="to itself"):
        model(flows=[{"id": "f1", "source": "u", "target": "u"}])


def test_lists_are_kept_sorted_by_id() -> None:
    m = model(
        elements=[
            {"id": "z", "kind": "user", "name": "Z"},
            {"id": "app", "kind": "llm_app", "name": "App"},
            {"id": "u", "kind": "user", "name": "U"},
        ]
    )
    assert [e.id for e in m.elements] == ["app", "u", "z"]


def test_accepted_decision_needs_owner_and_rationale() -> None:
    with pytest.raises(ValidationError, match="needs owner and rationale"):
        Decision(finding="T1@app", status="accepted")
    d = Decision(finding="T1@app", status="accepted", owner="ciso", rationale="low value")
    assert d.status == "accepted"


def test_finding_id_format() -> None:
    with pytest.raises(ValidationError, match="pattern"):
        Decision(finding="no-at-sign")


def test_edit_api_returns_new_valid_models() -> None:
    m = model()
    m2 = m.add_element(Element(id="db", kind="vector_store", name="DB"))
    assert [e.id for e in m.elements] == ["app", "u"]
    assert [e.id for e in m2.elements] == ["app", "db", "u"]
    m3 = m2.add_flow(Flow(id="f2", source="db", target="app"))
    with pytest.raises(ValueError, match="has flows f2"):
        m3.remove_element("db")
    m4 = m3.remove_element("db", cascade=True)
    assert m4 == m
    with pytest.raises(ValidationError):
        m.add_flow(Flow(id="f9", source="u", target="ghost"))


def test_rename_element_updates_references() -> None:
    m = model(
        objectives=[{"id": "o1", "title": "T", "elements": ["app"]}],
        decisions=[{"finding": "LLM01@app", "status": "open"}],
    )
    m2 = m.update_element("app", id="bot")
    assert m2.flows[0].target == "bot"
    assert m2.objectives[0].elements == ["bot"]
    assert m2.decisions[0].finding == "LLM01@bot"


def test_remove_boundary_moves_members_to_parent() -> None:
    m = model(
        boundaries=[{"id": "outer", "name": "O"}, {"id": "inner", "name": "I", "parent": "outer"}]
    )
    m = m.update_element("app", boundary="inner")
    m2 = m.remove_boundary("inner")
    assert m2.element("app").boundary == "outer"
    m3 = m.add_boundary(Boundary(id="b3", name="B3", parent="inner")).remove_boundary("inner")
    assert m3.boundary("b3").parent == "outer"


def test_set_decision_replaces_previous() -> None:
    m = model().set_decision(Decision(finding="T@app"))
    m = m.set_decision(Decision(finding="T@app", status="mitigated", mitigations=["M1"]))
    assert len(m.decisions) == 1
    decision = m.decision("T@app")
    assert decision is not None
    assert decision.status == "mitigated"


def test_equality_ignores_where_it_came_from(minimal: ThreatModel) -> None:
    again = ThreatModel.model_validate(minimal.model_dump())
    assert again == minimal
    assert minimal.source_path is not None
    assert again.source_path is None


def test_update_element_merges_a_mapping_of_properties() -> None:
    """Issue 11: a partial update keeps the other properties; None unsets one; an
    ElementProperties object replaces them all; the properties unpack like a mapping."""
    from workbench.model import ElementProperties

    m = ThreatModel.model_validate(
        {
            "system": {"name": "T"},
            "elements": [
                {
                    "id": "a",
                    "kind": "process",
                    "name": "A",
                    "properties": {"logging": True, "exposure": "internet"},
                }
            ],
        }
    )
    merged = m.update_element("a", properties={"rate_limited": True})
    assert {**merged.element("a").properties} == {
        "exposure": "internet",
        "logging": True,
        "rate_limited": True,
    }
    unset = merged.update_element("a", properties={"logging": None})
    assert unset.element("a").properties.logging is None
    assert unset.element("a").properties.exposure == "internet"
    replaced = m.update_element("a", properties=ElementProperties(monitored=True))
    assert {**replaced.element("a").properties} == {"monitored": True}
