"""The networkx view: trust, entry points, crown jewels, crossings, paths."""

from __future__ import annotations

import pytest

from workbench import ThreatModel
from workbench.starters import load_template, names


def build(**extra: object) -> ThreatModel:
    doc: dict[str, object] = {
        "system": {"name": "S"},
        "boundaries": [
            {"id": "internet", "name": "Internet", "trust": "untrusted"},
            {"id": "cloud", "name": "Cloud"},
            {"id": "vpc", "name": "VPC", "parent": "cloud"},
        ],
        "assets": [
            {"id": "docs", "name": "Docs", "classification": "confidential"},
            {"id": "weights", "name": "Weights", "classification": "internal", "crown_jewel": True},
            {"id": "faq", "name": "FAQ", "classification": "public"},
        ],
        "elements": [
            {"id": "attacker_site", "kind": "process", "name": "Web page", "boundary": "internet"},
            {"id": "employee", "kind": "user", "name": "Employee", "properties": {"trusted": True}},
            {"id": "customer", "kind": "user", "name": "Customer"},
            {
                "id": "gw",
                "kind": "client_app",
                "name": "Gateway",
                "boundary": "cloud",
                "properties": {"exposure": "internet"},
            },
            {"id": "app", "kind": "llm_app", "name": "App", "boundary": "vpc"},
            {
                "id": "store",
                "kind": "document_store",
                "name": "Store",
                "boundary": "vpc",
                "assets": ["docs"],
            },
            {
                "id": "model",
                "kind": "model_artifact",
                "name": "Model",
                "boundary": "vpc",
                "assets": ["weights"],
            },
            {
                "id": "kb",
                "kind": "document_store",
                "name": "KB",
                "boundary": "vpc",
                "assets": ["faq"],
            },
            {
                "id": "llm",
                "kind": "foundation_model_api",
                "name": "LLM API",
                "properties": {"exposure": "internet"},
            },
        ],
        "flows": [
            {"id": "f1", "source": "customer", "target": "gw"},
            {"id": "f2", "source": "gw", "target": "app"},
            {"id": "f3", "source": "app", "target": "store"},
            {"id": "f3b", "source": "app", "target": "store"},
            {"id": "f4", "source": "store", "target": "app"},
            {"id": "f5", "source": "attacker_site", "target": "app"},
            {"id": "f6", "source": "app", "target": "model"},
            {"id": "f7", "source": "employee", "target": "kb"},
            {"id": "f8", "source": "app", "target": "llm"},
        ],
    }
    doc.update(extra)
    return ThreatModel.model_validate(doc)


def test_graph_shape() -> None:
    g = build().graph()
    assert g.g.number_of_nodes() == 9
    assert g.g.number_of_edges() == 9
    assert g.g.nodes["app"]["layer"] == "deployment"
    assert g.g.nodes["store"]["dfd"] == "data_store"
    assert set(g.g["app"]["store"]) == {"f3", "f3b"}


def test_boundary_chain_and_crossings() -> None:
    g = build().graph()
    assert g.boundary_chain("app") == ("vpc", "cloud")
    assert g.boundary_chain("customer") == ()
    assert [f.id for f in g.boundary_crossings()] == ["f1", "f2", "f5", "f7", "f8"]


def test_untrusted_actors() -> None:
    g = build().graph()
    # explicit trusted wins; untrusted boundary; external actor kinds default untrusted;
    # a third-party process (foundation model API) is not an attacker by default
    assert g.untrusted_actors() == ["attacker_site", "customer"]


def test_the_innermost_boundary_that_says_trust_decides() -> None:
    m = ThreatModel.model_validate(
        {
            "system": {"name": "S"},
            "boundaries": [
                {"id": "net", "name": "Internet", "trust": "untrusted"},
                {"id": "partner", "name": "Partner", "trust": "partner", "parent": "net"},
                {"id": "dmz", "name": "Partner DMZ", "parent": "partner"},
                {"id": "cafe", "name": "Cafe wifi", "trust": "untrusted", "parent": "partner"},
                {"id": "lan", "name": "LAN", "parent": "net"},
            ],
            "elements": [
                {"id": "svc", "kind": "process", "name": "Partner svc", "boundary": "dmz"},
                {"id": "kiosk", "kind": "process", "name": "Kiosk", "boundary": "cafe"},
                {"id": "box", "kind": "process", "name": "Box", "boundary": "lan"},
                {"id": "feed", "kind": "data_source", "name": "Feed", "boundary": "partner"},
                {"id": "home", "kind": "process", "name": "Home"},
            ],
        }
    )
    # a partner inside the internet is a partner, an unmarked boundary inherits, an
    # untrusted boundary inside a partner is untrusted; outside every boundary: by kind
    assert m.graph().untrusted_actors() == ["box", "kiosk"]


def test_entry_points() -> None:
    g = build().graph()
    # gw: internet-exposed and fed by the customer; app: fed by the attacker's web page.
    # kb is fed only by a trusted employee; the third-party LLM API is not ours.
    assert g.entry_points() == ["app", "gw"]


def test_crown_jewels() -> None:
    g = build().graph()
    assert g.crown_jewels() == ["model", "store"]
    assert not g.is_crown_jewel("kb")


def test_paths_are_bounded_sorted_and_deterministic() -> None:
    g = build().graph()
    paths = list(g.paths(g.untrusted_actors(), g.crown_jewels()))
    rendered = [" ".join(p.flows) for p in paths]
    assert rendered == [
        "f5 f6",
        "f5 f3",
        "f5 f3b",
        "f1 f2 f6",
        "f1 f2 f3",
        "f1 f2 f3b",
    ]
    assert paths[0].elements == ("attacker_site", "app", "model")
    assert list(g.paths(["customer"], ["store"], max_length=2)) == []
    assert len(list(g.paths(g.untrusted_actors(), g.crown_jewels(), limit=2))) == 2
    assert rendered == [" ".join(p.flows) for p in g.paths(g.untrusted_actors(), g.crown_jewels())]


def test_paths_stay_bounded_on_a_dense_graph() -> None:
    n = 14
    elements = [{"id": f"e{i}", "kind": "process", "name": f"E{i}"} for i in range(n)]
    elements[0] = {"id": "e0", "kind": "user", "name": "Attacker"}
    flows = [
        {"id": f"f{i}_{j}", "source": f"e{i}", "target": f"e{j}"}
        for i in range(n)
        for j in range(1, n)
        if i != j
    ]
    g = ThreatModel.model_validate(
        {"system": {"name": "dense"}, "elements": elements, "flows": flows}
    ).graph()
    found = list(g.paths(["e0"], [f"e{n - 1}"], max_length=6, limit=500, per_pair=10_000))
    assert len(found) == 500
    assert all(len(p) <= 6 for p in found)
    assert len(found[0]) == 1


def test_reachable_from_untrusted() -> None:
    g = build().graph()
    assert g.reachable_from_untrusted == {"gw", "app", "store", "model", "llm"}


@pytest.mark.parametrize("name", names())
def test_starter_architectures_have_attack_surface(name: str) -> None:
    g = load_template(name).graph()
    jewels = g.crown_jewels()
    assert g.entry_points(), name
    assert jewels, name
    assert g.boundary_crossings(), name
    path = next(iter(g.paths(g.untrusted_actors(), jewels)))
    assert g.is_untrusted(path.elements[0])
    assert path.elements[-1] in jewels


def test_per_pair_bound() -> None:
    g = build().graph()
    per_pair_one = list(g.paths(g.untrusted_actors(), g.crown_jewels(), per_pair=1))
    assert [" ".join(p.flows) for p in per_pair_one] == ["f5 f6", "f5 f3", "f1 f2 f6", "f1 f2 f3"]
