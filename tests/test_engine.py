"""The engine: findings, why, scoring, attack paths, incremental re-analysis, register."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic_model
from workbench import Decision, Element, Flow, ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analyzer, analyze
from workbench.model import ElementProperties
from workbench.register import build_register, diff_analyses

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(HERE / "fixtures" / "engine_catalog", builtin=False)


def model(**extra: object) -> ThreatModel:
    doc: dict[str, object] = {
        "system": {"name": "S"},
        "risk_tolerance": {"accept_up_to": "low"},
        "boundaries": [
            {"id": "inet", "name": "Internet", "trust": "untrusted"},
            {"id": "vpc", "name": "VPC"},
        ],
        "assets": [{"id": "docs", "name": "Docs", "classification": "confidential"}],
        "objectives": [
            {
                "id": "o1",
                "title": "Keep documents secret",
                "impact": "severe",
                "elements": ["store"],
            }
        ],
        "elements": [
            {"id": "customer", "kind": "user", "name": "Customer", "boundary": "inet"},
            {
                "id": "app",
                "kind": "llm_app",
                "name": "Bot",
                "boundary": "vpc",
                "properties": {"exposure": "internet"},
            },
            {
                "id": "store",
                "kind": "document_store",
                "name": "Store",
                "boundary": "vpc",
                "assets": ["docs"],
            },
        ],
        "flows": [
            {"id": "ask", "source": "customer", "target": "app", "name": "question"},
            {"id": "save", "source": "app", "target": "store", "encrypted": True},
        ],
    }
    doc.update(extra)
    return ThreatModel.model_validate(doc)


def test_findings_are_sorted_with_stable_ids(catalog: Catalog) -> None:
    a = analyze(model(), catalog)
    assert [f.id for f in a.findings] == [
        "TEST-DOS-001@app",
        "TEST-FLOW-001@ask",
        "TEST-PI-001@app",
        "TEST-STORE-001@store",
    ]
    assert a.findings == analyze(model(), catalog).findings


def test_finding_explains_why(catalog: Catalog) -> None:
    f = analyze(model(), catalog).finding("TEST-PI-001@app")
    assert f.why == (
        "Bot is an LLM application",
        "content written by outsiders reaches it: Customer → Bot",
    )
    assert f.atlas == ("AML.T0051.001",)
    assert f.owasp == ("LLM01",)
    assert f.stride == ("T", "E")
    assert f.layer == "deployment"
    s = analyze(model(), catalog).finding("TEST-STORE-001@store")
    assert "it is fed (directly or not) by Customer (user)" in s.why


def test_findings_are_ordinary_frozen_findings(catalog: Catalog) -> None:
    """Findings are made through a mutable twin of the class (for speed): what comes out
    is a Finding like any other, frozen, equal to one made field by field."""
    import dataclasses

    from workbench.engine.finding import Finding

    f = analyze(model(), catalog).finding("TEST-PI-001@app")
    assert type(f) is Finding
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.likelihood = 1  # type: ignore[misc]
    values = {x.name: getattr(f, x.name) for x in dataclasses.fields(Finding)}
    values.update(_why=f.why, _source=None)
    assert Finding(**values) == f
    assert dataclasses.replace(f, likelihood=1).likelihood == 1


def test_weakness_and_flow_findings(catalog: Catalog) -> None:
    a = analyze(model(), catalog)
    dos = a.finding("TEST-DOS-001@app")
    assert dos.pasta_stage == 5
    assert "rate limited is not set" in dos.why
    assert a.weaknesses == (dos,)
    flow = a.finding("TEST-FLOW-001@ask")
    assert flow.target_type == "flow"
    assert flow.target_name == "question"
    fixed = model().update_element("app", properties={"exposure": "internet", "rate_limited": True})
    assert "TEST-DOS-001@app" not in {f.id for f in analyze(fixed, catalog).findings}


def test_scoring_raises_for_exposure_and_objectives(catalog: Catalog) -> None:
    a = analyze(model(), catalog)
    pi = a.finding("TEST-PI-001@app")
    assert (pi.likelihood, pi.impact) == (4, 3)  # entry point: +1
    assert pi.scoring == ("likelihood raised: directly reachable by untrusted actors",)
    store = a.finding("TEST-STORE-001@store")
    assert (store.likelihood, store.impact) == (2, 5)  # objective 'severe'
    assert store.risk == "high"
    assert a.finding("TEST-FLOW-001@ask").likelihood == 3  # from an untrusted actor


def test_attack_paths(catalog: Catalog) -> None:
    a = analyze(model(), catalog)
    assert len(a.attack_paths) == 1
    p = a.attack_paths[0]
    assert p.elements == ("customer", "app", "store")
    assert p.steps[0].findings == ("TEST-DOS-001@app", "TEST-FLOW-001@ask", "TEST-PI-001@app")
    assert p.steps[0].likelihood == 5  # DOS-001: 4, +1 at an entry point
    assert p.steps[1].findings == ("TEST-STORE-001@store",)
    assert p.likelihood == 2  # the weakest link
    assert p.impact == 5
    assert p.risk == "high"


def test_edit_rescoring_the_paths_it_touches(catalog: Catalog) -> None:
    """An edit on a path's element rescores that path (here: a defence lowers it); the
    paths of the analysis before stay as they were."""
    inc = Analyzer(catalog)
    before = inc.analyze(model())
    assert before.attack_paths[0].notes == ()
    m = model().update_element("app", properties={"human_in_the_loop": True})
    after = inc.update(m)
    want = Analyzer(catalog).analyze(m)
    assert after.attack_paths == want.attack_paths
    assert after.attack_paths[0].notes == ("likelihood lowered: Bot stands on the path",)
    assert after.attack_paths[0].likelihood == before.attack_paths[0].likelihood - 1
    again = inc.update(model())  # and back
    assert again.attack_paths == before.attack_paths


def test_register_residual_tolerance_and_orphans(catalog: Catalog) -> None:
    m = model(
        decisions=[
            {"finding": "TEST-PI-001@app", "status": "mitigated", "mitigations": ["MIT-TEST"]},
            {
                "finding": "TEST-STORE-001@store",
                "status": "accepted",
                "owner": "ciso",
                "rationale": "documents are public soon",
            },
            {"finding": "TEST-GONE-001@app", "status": "mitigated", "mitigations": ["MIT-NOPE"]},
        ]
    )
    reg = build_register(analyze(m, catalog))
    entries = {e.id: e for e in reg.entries}
    pi = entries["TEST-PI-001@app"]
    assert pi.status == "mitigated"
    assert (pi.residual_likelihood, pi.residual_impact) == (2, 3)
    assert not pi.above_tolerance
    assert entries["TEST-STORE-001@store"].above_tolerance  # accepted above tolerance
    assert entries["TEST-DOS-001@app"].above_tolerance  # open, medium > low
    assert [d.finding for d in reg.orphaned] == ["TEST-GONE-001@app"]
    assert reg.problems == (
        "decision for TEST-GONE-001@app: 'MIT-NOPE' is not a mitigation of the catalog",
    )
    assert [e.id for e in reg.open_at_or_above("medium")] == [
        "TEST-DOS-001@app",
        "TEST-FLOW-001@ask",
    ]
    assert [e.id for e in reg.open_at_or_above("high")] == ["TEST-DOS-001@app"]  # 5 x 2
    assert reg.open_at_or_above("critical") == []


def test_diff_between_analyses(catalog: Catalog) -> None:
    old = analyze(model(), catalog)
    new_model = (
        model()
        .update_flow("ask", encrypted=True)
        .set_decision(Decision(finding="TEST-PI-001@app", status="mitigated"))
    )
    new_model = new_model.add_element(
        Element(id="agent", kind="agent", name="Agent", boundary="vpc")
    )
    new_model = new_model.add_flow(Flow(id="delegate", source="app", target="agent"))
    d = diff_analyses(old, analyze(new_model, catalog))
    assert [e.id for e in d.added] == ["TEST-PI-001@agent"]
    assert [e.id for e in d.resolved] == ["TEST-FLOW-001@ask"]
    assert [c.id for c in d.changed] == ["TEST-PI-001@app"]
    assert not d.empty


def _random_edit(m: ThreatModel, rng: random.Random, i: int) -> ThreatModel:
    choice = rng.randrange(10)
    ids = [e.id for e in m.elements]
    if choice == 8:  # properties that move outsiders' content, screen it or type a model
        el = m.element(rng.choice(ids))
        props = el.properties.model_copy(
            update={
                "input_validation": rng.choice([True, None]),
                "accepts_untrusted_content": rng.choice([True, None]),
                "persistent_memory": rng.choice([True, None]),
                "monitored": rng.choice([True, False]),
                "model_type": rng.choice([None, "llm", "classifier"]),
            }
        )
        return m.update_element(el.id, properties=props)
    if choice == 9 and m.flows:
        f = rng.choice(m.flows)
        return m.update_flow(
            f.id,
            untrusted_content=rng.choice([True, None]),
            initiated_by=rng.choice([None, "source", "target"]),
            query=rng.choice([None, True, False]),
        )
    if choice == 5:
        return m.update_element(rng.choice(ids), name=f"Renamed {i}")
    if choice == 6:
        kinds = ["tool", "agent", "model_hub", "vector_store", "data_source", "llm_app"]
        return m.update_element(rng.choice(ids), kind=rng.choice(kinds))
    if choice == 7:
        return m.update_element(rng.choice(ids), position={"x": i * 10.0, "y": 5.0})
    if choice == 0:
        e = rng.choice(ids)
        return m.update_element(
            e,
            properties={
                "exposure": rng.choice(["internet", "internal"]),
                "rate_limited": rng.random() < 0.5,
            },
        )
    if choice == 1:
        s, t = rng.sample(ids, 2)
        return m.add_flow(Flow(id=f"new{i}", source=s, target=t))
    if choice == 2 and m.flows:
        return m.remove_flow(rng.choice(m.flows).id)
    if choice == 3:
        return m.add_element(
            Element(
                id=f"el{i}",
                kind=rng.choice(["user", "llm_app", "vector_store"]),
                name=f"E{i}",
                boundary=rng.choice([None, "b0"]),
            )
        )
    return m.remove_element(rng.choice(ids), cascade=True)


@pytest.mark.parametrize("seed", [*range(6), 29])  # 29: a store made on a route
@pytest.mark.parametrize("which", ["test", "builtin"])
def test_incremental_equals_full(catalog: Catalog, seed: int, which: str) -> None:
    if which == "builtin":
        catalog = load_catalog()
    rng = random.Random(seed)
    m = synthetic_model(60, seed=seed)
    inc = Analyzer(catalog)
    inc.analyze(m)
    for i in range(25):
        m = _random_edit(m, rng, i)
        got = inc.update(m)
        want = Analyzer(catalog).analyze(m)
        assert got.findings == want.findings, f"edit {i}"
        assert got.attack_paths == want.attack_paths
        assert got.groups == want.groups, f"edit {i}"


@pytest.mark.parametrize("seed", range(3))
def test_reasons_read_late_are_those_of_their_own_analysis(seed: int) -> None:
    """A finding's reasons are written when first read. Read only after many more edits,
    every analysis's reasons are still those of its own model: findings an edit carried
    over read the newer facts (the same reasons), those it replaced the facts they were
    made from."""
    catalog = load_catalog()
    rng = random.Random(seed)
    m = synthetic_model(60, seed=seed)
    inc = Analyzer(catalog)
    history = [(m, inc.analyze(m))]
    for i in range(20):
        m = _standing_edit(m, rng) if i % 2 else _random_edit(m, rng, i)
        history.append((m, inc.update(m)))
    changed = 0
    for n, (model, analysis) in enumerate(history):
        want = {f.id: f.why for f in Analyzer(catalog).analyze(model).findings}
        got = {f.id: f.why for f in analysis.findings}
        assert got == want, f"analysis {n}"
        changed += n > 0 and got != {f.id: f.why for f in history[n - 1][1].findings}
    assert changed  # the edits did change reasons, so reading them late could go wrong


def _standing_edit(m: ThreatModel, rng: random.Random) -> ThreatModel:
    """An edit of what decides who is an outsider, an entry point or a crown jewel, or of
    an element's controls (the analyzer reuses these facts when an edit keeps them)."""
    el = m.element(rng.choice([e.id for e in m.elements]))
    choice = rng.randrange(6)
    if choice == 0:
        return m.update_element(el.id, properties={"trusted": rng.choice([True, False, None])})
    if choice == 1:
        level = rng.choice(["public", "internal", "confidential", "restricted", None])
        return m.update_element(el.id, properties={"data_classification": level})
    if choice == 2:
        assets = rng.sample([a.id for a in m.assets], rng.randrange(0, 3))
        return m.update_element(el.id, assets=assets)
    if choice == 3:
        boundary = rng.choice([None, *(b.id for b in m.boundaries)])
        return m.update_element(el.id, boundary=boundary)
    if choice == 4:
        return m.update_element(el.id, properties={"exposure": rng.choice(["internet", None])})
    control = rng.choice(["input_validation", "human_in_the_loop", "authorization", "logging"])
    return m.update_element(el.id, properties={control: rng.choice([True, False, None])})


@pytest.mark.parametrize("seed", range(4))
def test_incremental_equals_full_on_trust_and_control_edits(seed: int) -> None:
    catalog = load_catalog()
    rng = random.Random(seed)
    m = synthetic_model(80, seed=seed)
    inc = Analyzer(catalog)
    first = inc.analyze(m)
    first.groups  # noqa: B018 - the grouper starts from this analysis's groups
    for i in range(30):
        m = _standing_edit(m, rng)
        got = inc.update(m)
        want = Analyzer(catalog).analyze(m)
        assert got.findings == want.findings, f"edit {i}"
        assert got.untrusted_actors == want.untrusted_actors, f"edit {i}"
        assert got.entry_points == want.entry_points, f"edit {i}"
        assert got.crown_jewels == want.crown_jewels, f"edit {i}"
        assert got.attack_paths == want.attack_paths, f"edit {i}"
        assert got.groups == want.groups, f"edit {i}"


def test_adding_and_removing_an_unconnected_element_reuses_influence(catalog: Catalog) -> None:
    """The canvas adds an element before it is connected: outsiders' influence cannot
    reach it or pass through it, so the analyzer keeps the influence it had (the edit
    took 0.5 s at 2,000 elements without that) — unless the new element lets outsiders'
    content in itself (untrusted, or accepting it), which the full analysis must match."""
    m = synthetic_model(80, seed=3)
    inc = Analyzer(catalog)
    before = inc.analyze(m)
    edits: list[tuple[Element, bool]] = [
        (Element(id="g1", kind="guardrail", name="New guardrail"), True),
        (Element(id="s1", kind="vector_store", name="New store", boundary="b0"), True),
        (
            Element(
                id="u1",
                kind="process",
                name="Inbox",
                properties=ElementProperties(accepts_untrusted_content=True),
            ),
            False,
        ),
        (Element(id="x1", kind="user", name="Visitor", boundary="internet"), False),
    ]
    for element, inert in edits:
        m = m.add_element(element)
        got = inc.update(m)
        want = Analyzer(catalog).analyze(m)
        assert got.findings == want.findings, element.id
        assert got.attack_paths == want.attack_paths, element.id
        assert got.groups == want.groups, element.id
        reused = got._facts.influence() is before._facts.influence()
        assert reused is inert, element.id
        before = got
    for element_id in ("g1", "u1"):
        m = m.remove_element(element_id)
        got = inc.update(m)
        assert got.findings == Analyzer(catalog).analyze(m).findings, element_id
