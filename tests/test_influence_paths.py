"""Outsider influence that travels, and directed attack paths with typed steps."""

from __future__ import annotations

from typing import Any

import pytest

from workbench import ThreatModel
from workbench.engine import analyze
from workbench.engine.influence import Influence


def _model(
    elements: list[dict[str, Any]], flows: list[dict[str, Any]], **extra: Any
) -> ThreatModel:
    return ThreatModel.model_validate(
        {
            "system": {"name": "T"},
            "boundaries": [{"id": "inet", "name": "Internet", "trust": "untrusted"}],
            "elements": elements,
            "flows": flows,
            **extra,
        }
    )


def _e(id_: str, kind: str, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id_, "kind": kind, "name": id_.replace("_", " ").title()}
    if kind in ("user", "data_source") and not props.pop("inside", False):
        out["boundary"] = "inet"
    if props:
        out["properties"] = props
    return out


def _f(id_: str, source: str, target: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "source": source, "target": target, **extra}


# a customer writes to a gateway that forwards to a classifier: two hops, no flags
GATEWAY = _model(
    [_e("customer", "user"), _e("gateway", "process"), _e("scorer", "inference_endpoint")],
    [_f("f1", "customer", "gateway"), _f("f2", "gateway", "scorer"), _f("f3", "scorer", "gateway")],
)


def test_influence_passes_through_a_process() -> None:
    inf = Influence(GATEWAY.graph())
    r = inf.best("scorer")
    assert r is not None
    assert r.route == ("customer", "gateway", "scorer")
    assert r.flows == ("f1", "f2")
    assert not r.via_store
    assert not r.screens


def test_routes_are_ordinary_frozen_reaches() -> None:
    """Routes are made through a mutable twin of Reach (for speed): what comes out is a
    frozen Reach, equal to one made through its own constructor."""
    import dataclasses

    from workbench.engine.influence import Reach

    r = Influence(GATEWAY.graph()).best("scorer")
    assert r is not None
    assert type(r) is Reach
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.route = ()  # type: ignore[misc]
    assert r == Reach(r.route, r.flows, r.screens, r.via_store, r.declared)
    assert r.origin == "customer"


STORE = _model(
    [
        _e("web", "data_source"),
        _e("crawler", "data_pipeline"),
        _e("corpus", "document_store"),
        _e("app", "llm_app"),
    ],
    [
        _f("crawl", "web", "crawler"),
        _f("write", "crawler", "corpus"),
        _f("read", "corpus", "app"),
        _f("search", "app", "corpus"),
    ],
)


def test_influence_persists_in_a_store_and_reaches_its_readers() -> None:
    inf = Influence(STORE.graph())
    r = inf.best_via_store("app")
    assert r is not None
    assert r.route == ("web", "crawler", "corpus", "app")
    assert r.via_store
    # the app's similarity search is a query: it writes nothing into the corpus
    assert STORE.graph().is_query(STORE.flow("search"))


def test_clearing_flags_keeps_the_taint_when_the_route_is_drawn() -> None:
    """No flow says untrusted_content: the route alone carries the influence."""
    a = analyze(STORE)
    ids = {f.id for f in a.findings}
    assert any(i.endswith("@app") and "LLM" in i for i in ids), sorted(ids)
    why = [w for f in a.findings if f.target == "app" for w in f.why if "→" in w]
    assert any("Web → Crawler → Corpus → App" in w for w in why), why


def test_a_guardrail_screens_but_does_not_stop() -> None:
    m = _model(
        [
            _e("customer", "user"),
            _e("guard", "guardrail", input_validation=True),
            _e("app", "llm_app"),
        ],
        [_f("ask", "customer", "guard"), _f("pass", "guard", "app")],
    )
    r = Influence(m.graph()).best("app")
    assert r is not None
    assert r.screens == ("guard",)
    # an unscreened route is preferred by the attacker when there is one
    m2 = _model(
        [*(e.model_dump(exclude_defaults=True) for e in m.elements), _e("side", "user")],
        [*(f.model_dump(exclude_defaults=True) for f in m.flows), _f("side_ask", "side", "app")],
    )
    r2 = Influence(m2.graph()).best("app")
    assert r2 is not None
    assert r2.screens == ()
    assert r2.route == ("side", "app")


def test_a_shared_api_does_not_relay_between_callers() -> None:
    """The embedding API answers each caller only: content the app sends it does not
    come back to the ingestion pipeline."""
    m = _model(
        [
            _e("customer", "user"),
            _e("app", "llm_app"),
            _e("embed", "foundation_model_api"),
            _e("ingest", "data_pipeline"),
        ],
        [
            _f("ask", "customer", "app"),
            _f("q", "app", "embed"),
            _f("qv", "embed", "app"),
            _f("chunks", "ingest", "embed"),
            _f("cv", "embed", "ingest"),
        ],
    )
    inf = Influence(m.graph())
    assert inf.best("embed") is not None
    assert inf.best("ingest") is None
    a = analyze(m)
    for p in a.attack_paths:
        assert "ingest" not in p.elements, p


def _paths_model() -> ThreatModel:
    return _model(
        [
            _e("customer", "user"),
            _e("app", "llm_app"),
            _e("tickets", "document_store", data_classification="confidential"),
            _e("guard", "guardrail", input_validation=True),
            _e("db", "data_store", data_classification="restricted"),
            _e("writer", "process"),
        ],
        [
            _f("ask", "customer", "app"),
            _f("answer", "app", "customer"),
            _f("read", "tickets", "app"),  # the app reads the tickets (it initiates)
            _f("to_guard", "app", "guard"),
            _f("to_writer", "guard", "writer"),
            _f("save", "writer", "db"),
            _f("report", "db", "writer"),
        ],
    )


def test_paths_walk_flows_forward_or_use_the_access_of_the_initiator() -> None:
    m = _paths_model()
    g = m.graph()
    a = analyze(m)
    assert a.attack_paths
    for p in a.attack_paths:
        prev = p.source
        for s in p.steps:
            f = m.flow(s.flow)
            if s.direction == "forward":
                assert (f.source, f.target) == (prev, s.element)
                assert s.kind == "send"
            else:
                assert (f.source, f.target) == (s.element, prev)
                assert s.kind == "access"
                assert g.initiator(f) == prev  # only over a flow the element initiates
            prev = s.element
    to_tickets = [p for p in a.attack_paths if p.target == "tickets"]
    assert to_tickets
    assert [(s.kind, s.flow) for s in to_tickets[0].steps] == [("send", "ask"), ("access", "read")]


def test_a_defence_on_the_path_lowers_its_likelihood_and_says_so() -> None:
    m = _paths_model()
    a = analyze(m)
    to_db = [p for p in a.attack_paths if p.target == "db"]
    assert to_db
    p = to_db[0]
    assert "guard" in p.elements
    assert any("Guard" in n for n in p.notes), p.notes
    worst = min(s.likelihood for s in p.steps)
    if not any("gets past it" in n for n in p.notes):
        assert p.likelihood == max(1, worst - 1)


def test_paths_json_lists_typed_steps() -> None:
    import json

    from workbench.export.register_formats import to_json

    a = analyze(_paths_model())
    doc = json.loads(to_json(a))
    step = doc["attack_paths"][0]["steps"][0]
    assert {"flow", "direction", "kind", "element"} <= set(step)


@pytest.mark.parametrize("name", ["rag_assistant", "llm_agent_tools", "fine_tuning_pipeline"])
def test_starter_paths_never_walk_a_flow_backwards_without_access(name: str) -> None:
    m = ThreatModel.from_template(name)
    g = m.graph()
    for p in analyze(m).attack_paths:
        prev = p.source
        for s in p.steps:
            f = m.flow(s.flow)
            if s.direction == "reverse":
                assert g.initiator(f) == prev, (p.id, s)
            prev = s.element


# ----------------------------------------------------------------------------- model types
def _endpoint(model_type: str | None) -> ThreatModel:
    props: dict[str, Any] = {"exposure": "internet"}
    if model_type:
        props["model_type"] = model_type
    return _model(
        [_e("customer", "user"), _e("gateway", "process"), _e("ep", "inference_endpoint", **props)],
        [_f("f1", "customer", "gateway"), _f("f2", "gateway", "ep"), _f("f3", "ep", "gateway")],
    )


@pytest.mark.parametrize(
    ("model_type", "evasion", "injection"),
    [
        (None, True, False),  # an inference endpoint serves a classifier by default
        ("classifier", True, False),
        ("llm", False, True),
        ("text_to_speech", False, False),
    ],
)
def test_model_type_gates_threats(model_type: str | None, evasion: bool, injection: bool) -> None:
    ids = {f.threat_id for f in analyze(_endpoint(model_type)).findings if f.target == "ep"}
    assert ("AITW-MDL-001" in ids) is evasion, sorted(ids)
    assert ("AITW-LLM-001" in ids) is injection, sorted(ids)


def test_evasion_reaches_a_classifier_behind_a_gateway() -> None:
    """The classifier's inputs are written by outsiders two hops away."""
    f = analyze(_endpoint("classifier")).finding("AITW-MDL-001@ep")
    assert any("Customer → Gateway → Ep" in w for w in f.why), f.why


def test_artifacts_inherit_the_type_of_the_model_they_hold() -> None:
    from workbench.engine.rules import Facts

    m = _model(
        [
            _e("train", "training_job"),
            _e("weights", "model_artifact"),
            _e("ep", "inference_endpoint", model_type="vision"),
        ],
        [_f("w", "train", "weights"), _f("load", "weights", "ep")],
    )
    types = Facts(m.graph()).model_types
    assert types == {"train": "vision", "weights": "vision", "ep": "vision"}


# ----------------------------------------------------------------------------- scoring
def test_an_objective_raises_only_the_threats_that_can_break_it() -> None:
    base = _endpoint("classifier")
    data = base.model_dump(exclude_defaults=True)
    data["objectives"] = [
        {
            "id": "o1",
            "title": "Scores never leak",
            "impact": "severe",
            "category": "confidentiality",
            "elements": ["ep"],
        }
    ]
    m = ThreatModel.model_validate(data)
    a = analyze(m)
    raised = {f.threat_id for f in a.findings if any("objective" in n for n in f.scoring)}
    assert raised, "a confidentiality threat on the endpoint is raised"
    for f in a.findings:
        if f.threat_id in raised:
            assert "I" in f.stride, f.id
        elif f.target == "ep":
            assert f.impact < 5 or "I" in f.stride, f.id
    # without a category the objective counts for every threat (as before), and it
    # raises each by one step at most above the catalog's default
    data["objectives"][0].pop("category")
    a2 = analyze(ThreatModel.model_validate(data))
    for f in a2.findings:
        if f.target == "ep":
            default = a2.catalog.threats[f.threat_id].impact
            assert f.impact == min(5, default + 1), f.id
            assert any("objective" in n for n in f.scoring) or default == 5, f.id


def test_controls_in_the_model_lower_likelihood_and_are_named() -> None:
    def evasion(**props: Any) -> Any:
        m = _model(
            [
                _e("customer", "user"),
                _e("gateway", "process"),
                _e("ep", "inference_endpoint", model_type="classifier", **props),
            ],
            [_f("f1", "customer", "gateway"), _f("f2", "gateway", "ep")],
        )
        return analyze(m).finding("AITW-MDL-001@ep")

    bare = evasion()
    watched = evasion(monitored=True)
    both = evasion(monitored=True, adversarially_tested=True)
    assert bare.in_place == ()
    assert watched.likelihood == bare.likelihood - 1
    assert "MIT-ML-QUERY-MONITORING" in watched.in_place
    assert any("monitored is true" in n and "MIT-ML-QUERY-MONITORING" in n for n in watched.scoring)
    assert both.likelihood == max(1, bare.likelihood - 2)
    assert both.likelihood >= 1


def test_a_screen_on_the_route_counts_as_injection_detection() -> None:
    def injection(screened: bool) -> Any:
        guard = _e("guard", "guardrail", input_validation=True)
        hop = _e("hop", "process")
        m = _model(
            [_e("customer", "user"), guard if screened else hop, _e("app", "llm_app")],
            [
                _f("ask", "customer", "guard" if screened else "hop"),
                _f("pass", "guard" if screened else "hop", "app"),
            ],
        )
        return analyze(m).finding("AITW-LLM-001@app")

    open_, guarded = injection(False), injection(True)
    assert "MIT-LLM-INJECTION-DETECTION" in guarded.in_place
    assert "MIT-LLM-INJECTION-DETECTION" not in open_.in_place
    assert guarded.likelihood < open_.likelihood
    assert any("screened on the way by Guard" in n for n in guarded.scoring)


@pytest.mark.parametrize("fmt", ["otm", "threat-dragon"])
def test_new_fields_survive_interchange(fmt: Any) -> None:
    from workbench.interop import export_model, import_text

    m = ThreatModel.from_template("fine_tuning_pipeline")
    first = m.flows[0]
    m = m.update_flow(first.id, initiated_by="target", query=True)
    text = export_model(m, fmt)
    back = import_text(text if isinstance(text, str) else text.decode(), fmt).model
    flow = next(f for f in back.flows if f.id == first.id)
    assert (flow.initiated_by, flow.query) == ("target", True)
    endpoint = back.element("inference_endpoint")
    assert endpoint.properties.model_type == "llm"
    assert endpoint.properties.input_modality == "text"


def test_an_evasion_finding_on_a_defence_gets_past_it() -> None:
    """An untested guardrail has a known way past it (it is evaded, not credited); a
    red-teamed one lowers the path's likelihood."""

    def path_to_db(tested: bool) -> Any:
        m = _paths_model()
        guard = m.element("guard")
        props = guard.properties.model_copy(update={"adversarially_tested": tested})
        a = analyze(m.update_element("guard", properties=props))
        return next(p for p in a.attack_paths if p.target == "db")

    untested, tested = path_to_db(False), path_to_db(True)
    assert any("gets past it" in n for n in untested.notes), untested.notes
    assert not any("gets past it" in n for n in tested.notes), tested.notes
    assert any("Guard" in n for n in tested.notes)
    assert tested.likelihood <= untested.likelihood


def _every_route(graph: Any, source: str, target: str, max_length: int) -> list[list[int]]:
    """Every route of at most ``max_length`` steps from ``source`` to ``target`` in a step
    graph, by brute force (no distances, no pruning), in the order routes are listed:
    shortest first, then by the states' numbers."""
    start = graph.number(source, None)
    assert start is not None
    found: list[list[int]] = []

    def walk(trail: list[int], seen: set[str]) -> None:
        if len(trail) > max_length:
            return
        for nxt in graph.steps(trail[-1]):
            element = graph.element(nxt)
            if element == target:
                found.append([*trail, nxt])
            elif element not in seen:
                walk([*trail, nxt], seen | {element})

    walk([start], {source})
    return sorted(found, key=lambda states: (len(states), states))


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_route_search_from_an_attacker_finds_every_route_in_order(seed: int) -> None:
    """The route search looks only near the attacker and prunes with distances found
    there (workbench.engine.paths.Reachable): it must list the same routes, in the same
    order, as a brute-force walk over the whole step graph."""
    import itertools

    from benchmarks.synthetic import synthetic_model
    from workbench.engine.paths import StepGraph

    model = synthetic_model(60, seed=seed)
    graph = model.graph()
    steps = StepGraph(graph)
    attackers = sorted(graph.untrusted_actors())
    assert attackers
    listed = 0
    for source, target in itertools.product(attackers, sorted(graph.nodes)):
        if source == target:
            continue
        want = _every_route(steps, source, target, 4)
        reach = steps.reach_of(source, 4)
        assert reach is not None
        assert reach.reaches(target) == bool(want), (source, target)
        got = list(steps.routes(source, target, max_length=4, reach=reach))
        expected = [
            [(*steps.steps(a)[b], steps.element(b)) for a, b in itertools.pairwise(states)]
            for states in want
        ]
        assert got == expected, (source, target)
        listed += len(got)
    assert listed > 20  # the models have routes to compare
