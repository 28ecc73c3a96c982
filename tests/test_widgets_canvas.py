"""The canvas without a browser: its payload, its diffs, and the edit messages the front
end sends (applied through the model's edit API, refused with a reason when invalid)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest

from widgets import _payload
from widgets._edits import EditError, apply_edit
from widgets.canvas import Canvas
from workbench import Decision, Element, Flow, ThreatModel
from workbench.engine import Analyzer, analyze
from workbench.layout import boxes_around
from workbench.model import KINDS, DecisionScope, Position

SMALL = """\
format_version: 1
system: {name: Shop bot}
boundaries:
  - {id: internet, name: Internet, trust: untrusted}
  - {id: vpc, name: VPC}
elements:
  - {id: customer, kind: user, name: Customer, boundary: internet}
  - id: bot
    kind: llm_app
    name: Bot
    boundary: vpc
    properties: {exposure: internet}
    position: {x: 300, y: 40}
  - {id: docs, kind: vector_store, name: Docs, boundary: vpc}
flows:
  - {id: ask, source: customer, target: bot}
  - {id: retrieve, source: docs, target: bot, name: chunks}
"""


@pytest.fixture
def model() -> ThreatModel:
    return ThreatModel.from_yaml(SMALL)


class Recorder:
    """Stands in for ``Canvas.send``: keeps every message sent to the browser."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.sent.append(content)

    def ops(self) -> list[str]:
        return [m["op"] for m in self.sent]

    def last(self, op: str) -> dict[str, Any]:
        return next(m for m in reversed(self.sent) if m["op"] == op)


@pytest.fixture
def canvas(model: ThreatModel, catalog) -> Canvas:
    c = Canvas(model, analyzer=Analyzer(catalog))
    c.send = Recorder()
    return c


def sent(canvas: Canvas) -> Recorder:
    recorder = canvas.send
    assert isinstance(recorder, Recorder)
    return recorder


# ----------------------------------------------------------------------------- payload
def test_payload_nodes_edges_and_boundaries(model: ThreatModel):
    payload = _payload.build(model)
    nodes = {n["id"]: n for n in payload["nodes"]}
    assert set(nodes) == {"customer", "bot", "docs"}
    bot = nodes["bot"]
    assert (bot["x"], bot["y"], bot["auto"]) == (300.0, 40.0, False)
    assert bot["label"] == "Bot"
    assert bot["kind"] == "llm_app"
    assert bot["layer"] == "deployment"
    assert bot["boundary"] == "vpc"
    assert bot["shape"] == "ellipse"
    assert nodes["customer"]["shape"] == "box"
    assert nodes["customer"]["dashed"] is True  # an external entity
    assert nodes["docs"]["shape"] == "database"
    assert nodes["docs"]["auto"] is True
    edges = {e["id"]: e for e in payload["edges"]}
    assert edges["ask"]["from"] == "customer"
    assert edges["ask"]["to"] == "bot"
    assert edges["ask"]["crossing"] is True  # internet -> vpc
    assert edges["retrieve"]["crossing"] is False
    assert edges["retrieve"]["label"] == "chunks"
    bounds = {b["id"]: b for b in payload["boundaries"]}
    assert bounds["internet"]["trust"] == "untrusted"
    assert bounds["internet"]["label"] == "Internet"
    assert bounds["vpc"]["depth"] == 0


def test_payload_is_plain_json(model: ThreatModel, catalog):
    import json

    payload = _payload.build(model, Analyzer(catalog).analyze(model))
    assert json.loads(json.dumps(payload)) == payload


def test_auto_layout_runs_left_to_right_by_layer():
    model = ThreatModel.from_yaml(
        "system: {name: x}\nelements:\n"
        "  - {id: app, kind: llm_app, name: App}\n"
        "  - {id: data, kind: dataset, name: Data}\n"
        "  - {id: train, kind: training_job, name: Train}\n"
        "  - {id: etl, kind: data_pipeline, name: ETL}\n"
    )
    pos = _payload.auto_layout(model)
    assert pos["data"][0] == pos["etl"][0] < pos["train"][0] < pos["app"][0]
    assert pos["data"][1] != pos["etl"][1]


def test_auto_layout_places_missing_elements_by_the_container_rules(model: ThreatModel):
    pos = _payload.auto_layout(model)
    assert set(pos) == {"customer", "docs"}  # the stored one stays where it is
    boxes = boxes_around(model, {**pos, "bot": (300.0, 40.0)})
    # docs joins bot in the VPC, to its right; the customer is outside the VPC
    assert pos["docs"][0] > 300
    assert _inside(pos["docs"], boxes["vpc"])
    assert not _inside(pos["customer"], boxes["vpc"])
    assert _inside(pos["customer"], boxes["internet"])
    everything = _payload.auto_layout(model, only_missing=False)
    assert set(everything) == {"customer", "bot", "docs"}


def _inside(p: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


def test_a_boundary_changed_from_python_places_the_element_inside_it(catalog) -> None:
    from tests.test_layout import check_containers
    from workbench.layout import drawing

    model = ThreatModel.from_template("rag_assistant")
    canvas = Canvas(model, analyzer=Analyzer(catalog))
    canvas.send = Recorder()
    before = model.element("vector_store").position
    canvas.model = model.update_element("vector_store", boundary="app_subnet")
    moved = canvas.model.element("vector_store")
    assert moved.boundary == "app_subnet"
    assert moved.position != before
    check_containers(canvas.model, drawing(canvas.model))
    canvas.undo()  # one step: the boundary and the place it took
    assert canvas.model.element("vector_store").boundary == model.element("vector_store").boundary
    assert canvas.model.element("vector_store").position == before
    assert canvas.model == model


def test_palette_groups_every_kind_by_layer_with_distinct_looks():
    items = _payload.palette()
    assert [i["kind"] for i in items if i["layer"] == "data"][:2] == ["data_source", "dataset"]
    assert {i["kind"] for i in items} == set(KINDS)
    layers = [i["layer"] for i in items]
    assert layers == sorted(layers, key=["data", "model", "deployment", "generic"].index)
    looks = {(i["shape"], i["color"], i["border"]) for i in items}
    assert len(looks) == len(KINDS)


def test_overlay_counts_open_findings_and_keeps_the_highest_risk(model: ThreatModel, catalog):
    analysis = Analyzer(catalog).analyze(model)
    on_bot = [f for f in analysis.findings if f.target == "bot"]
    assert len(on_bot) >= 2
    over = _payload.overlay(analysis, model)
    assert over.open["bot"] == len(on_bot)
    ranks = ["info", "low", "medium", "high", "critical"]
    assert over.risk["bot"] == max((f.risk for f in on_bot), key=ranks.index)
    # a decided finding no longer counts as open
    decided = model.set_decision(
        Decision(finding=on_bot[0].id, status="accepted", owner="me", rationale="ok")
    )
    assert _payload.overlay(analysis, decided).open["bot"] == len(on_bot) - 1
    assert _payload.overlay(None, model).open == {}
    # in progress still counts; an expired acceptance counts again; a scoped decision
    # closes every finding of its threat on the element
    busy = model.set_decision(Decision(finding=on_bot[0].id, status="in_progress"))
    assert _payload.overlay(analysis, busy).open["bot"] == len(on_bot)
    old = model.set_decision(
        Decision(
            finding=on_bot[0].id,
            status="accepted",
            owner="me",
            rationale="ok",
            review_by=dt.date(2020, 1, 1),
        )
    )
    assert _payload.overlay(analysis, old).open["bot"] == len(on_bot)
    threat = on_bot[0].threat_id
    same = [f for f in on_bot if f.threat_id == threat]
    scoped = model.set_decision(
        Decision(
            threat=threat,
            scope=DecisionScope(element="bot"),
            status="not_applicable",
            rationale="the bot has no such channel",
        )
    )
    assert _payload.overlay(analysis, scoped).open.get("bot", 0) == len(on_bot) - len(same)


def _reference_overlay(analysis, model: ThreatModel) -> tuple[dict[str, int], dict[str, str]]:
    """The overlay worked out the plain way: every open finding, highest risk by rank."""
    from workbench.register import Decider

    decider = Decider(model)
    ranks = ["info", "low", "medium", "high", "critical"]
    counts: dict[str, int] = {}
    risk: dict[str, str] = {}
    for f in analysis.findings:
        if decider.is_open(f):
            counts[f.target] = counts.get(f.target, 0) + 1
            if f.target not in risk or ranks.index(f.risk) > ranks.index(risk[f.target]):
                risk[f.target] = f.risk
    return counts, risk


def test_payload_builder_reuses_items_and_builds_what_a_fresh_build_does(catalog):
    """One builder through a run of edits gives, each time, the payload a fresh build
    gives (and the overlay the plain count gives); items nothing touched are the same
    objects as before, so a diff skips them."""
    from benchmarks.synthetic import synthetic_model

    model = synthetic_model(60)
    analyzer = Analyzer(catalog)
    builder = _payload.Builder()
    first = builder.build(model, analyzer.analyze(model))
    e0, e1 = model.elements[0], model.elements[1]
    f0 = model.flows[0]
    edits: list[Callable[[ThreatModel], ThreatModel]] = [
        lambda m: m.add_element(Element(id="g1", kind="guardrail", name="G", boundary="b0")),
        lambda m: m.update_element(e0.id, name="Renamed"),
        lambda m: m.update_element(e1.id, position=Position(x=5, y=7)),
        lambda m: m.update_element(e0.id, boundary="internet"),
        lambda m: m.add_flow(Flow(id="again", source=f0.source, target=f0.target)),
        lambda m: m.add_flow(Flow(id="back", source=f0.target, target=f0.source)),
        lambda m: m.set_decision(
            Decision(
                finding=next(f.id for f in analyzer.analyze(m).findings if f.target == e1.id),
                status="mitigated",
            )
        ),
        lambda m: m.remove_element("g1"),
    ]
    before = first
    for edit in edits:
        model = edit(model)
        analysis = analyzer.update(model)
        payload = builder.build(model, analysis)
        assert payload == _payload.build(model, analysis)
        counts, risk = _reference_overlay(analysis, model)
        over = _payload.overlay(analysis, model)
        assert (over.open, over.risk) == (counts, risk)
        old = {i["id"]: i for section in ("nodes", "edges") for i in before[section]}
        changed = _payload.diff(before, payload)
        touched = {i["id"] for c in changed.values() for i in c["update"]}
        reused = [
            i for section in ("nodes", "edges") for i in payload[section] if old.get(i["id"]) is i
        ]
        assert reused  # most items are the very same objects
        assert not touched & {i["id"] for i in reused}
        before = payload


def test_overlay_matches_the_plain_count_with_decisions(model: ThreatModel, catalog):
    analysis = Analyzer(catalog).analyze(model)
    findings = [f for f in analysis.findings if f.target == "bot"]
    decided = model.set_decision(
        Decision(finding=findings[0].id, status="accepted", owner="me", rationale="ok")
    )
    for m in (model, decided):
        over = _payload.overlay(analysis, m)
        assert (over.open, over.risk) == _reference_overlay(analysis, m)


def test_canvas_opens_with_its_drawing_and_sends_nothing_first(
    model: ThreatModel, catalog, monkeypatch: pytest.MonkeyPatch
):
    """The first payload is in the state the widget opens with: no message goes out
    before a view exists (a reset sent then would reach nobody)."""
    sent: list[Any] = []
    monkeypatch.setattr(Canvas, "send", lambda self, content, buffers=None: sent.append(content))
    canvas = Canvas(model, analyzer=Analyzer(catalog))
    assert sent == []
    state = canvas.get_state()
    assert state["snapshot"]["rev"] == canvas.revision == 1
    assert state["snapshot"]["nodes"] == canvas.payload()["nodes"]


def test_diff_by_id():
    old = {"nodes": [{"id": "a", "x": 1}, {"id": "b", "x": 2}], "edges": [], "boundaries": []}
    new = {"nodes": [{"id": "a", "x": 1}, {"id": "b", "x": 3}, {"id": "c", "x": 0}]}
    changes = _payload.diff(old, new)
    assert changes == {
        "nodes": {"add": [{"id": "c", "x": 0}], "update": [{"id": "b", "x": 3}], "remove": []}
    }
    assert _payload.change_count(changes) == 2
    assert _payload.diff(new, new) == {}
    assert _payload.diff(new, {"nodes": []})["nodes"]["remove"] == ["a", "b", "c"]


# ----------------------------------------------------------------------------- edits
def test_add_element_from_the_palette(model: ThreatModel):
    result = apply_edit(model, {"op": "add_element", "kind": "agent", "x": 10, "y": -5.5})
    new = result.model.element("agent-1")
    assert new.kind == "agent"
    assert new.name == "Agent 1"
    assert new.position == Position(x=10, y=-5.5)
    assert new.boundary is None
    assert result.select == ["agent-1"]
    assert len(result.model.elements) == len(model.elements) + 1
    again = apply_edit(result.model, {"op": "add_element", "kind": "agent", "x": 0, "y": 0})
    assert again.model.element("agent-2").name == "Agent 2"


def test_add_element_inside_a_boundary(model: ThreatModel):
    result = apply_edit(
        model, {"op": "add_element", "kind": "tool", "x": 0, "y": 0, "boundary": "vpc"}
    )
    assert result.model.element("tool-1").boundary == "vpc"


@pytest.mark.parametrize(
    ("msg", "why"),
    [
        ({"op": "add_element", "kind": "robot", "x": 0, "y": 0}, "not an element kind"),
        ({"op": "add_element", "kind": "agent", "x": "1", "y": 0}, "'x' must be a number"),
        ({"op": "add_element", "kind": "agent", "x": math.inf, "y": 0}, "out of range"),
        ({"op": "add_element", "kind": "agent", "x": True, "y": 0}, "'x' must be a number"),
        ({"op": "add_element", "kind": "agent", "y": 0}, "'x' must be a number"),
        (
            {"op": "add_element", "kind": "agent", "x": 0, "y": 0, "boundary": "moon"},
            "'moon' is not a boundary ID",
        ),
        ({"op": "add_element", "kind": 3, "x": 0, "y": 0}, "'kind' must be text"),
        ({"op": "fly"}, "unknown edit 'fly'"),
        ({"kind": "agent"}, "unknown edit None"),
        ({"op": "move", "positions": {"ghost": {"x": 0, "y": 0}}}, "'ghost' is not an element"),
        ({"op": "move", "positions": {"bot": {"x": 0}}}, "'y' must be a number"),
        ({"op": "move", "positions": [1, 2]}, "'positions' must map"),
        ({"op": "rename", "id": "bot", "name": "   "}, "an element needs a name"),
        ({"op": "rename", "id": "bot", "name": "x" * 201}, "at most 200 characters"),
        ({"op": "rename", "id": "ghost", "name": "x"}, "not an element or flow"),
        ({"op": "delete", "nodes": [], "edges": []}, "nothing is selected"),
        ({"op": "delete", "nodes": ["ghost"]}, "'ghost' does not exist"),
        ({"op": "delete", "nodes": "bot"}, "must be a list of IDs"),
        ({"op": "add_flow", "source": "bot", "target": "bot"}, "two different elements"),
        ({"op": "add_flow", "source": "bot", "target": "ghost"}, "'ghost' is not an element"),
        ({"op": "add_flow", "source": "bot"}, "'target' must be text"),
        ({"op": "set_boundary", "id": "bot", "boundary": "moon"}, "'moon' is not a boundary"),
        ({"op": "set_boundary", "id": "ghost", "boundary": None}, "'ghost' does not exist"),
    ],
)
def test_invalid_edits_are_refused_with_a_reason(model: ThreatModel, msg, why):
    assert_refused(model, msg, why)


def assert_refused(model: ThreatModel, msg: dict[str, Any], why: str) -> None:
    """``apply_edit`` refuses ``msg`` with ``why`` in its reason and changes nothing."""
    before = model.model_dump()
    with pytest.raises(EditError) as refused:
        apply_edit(model, msg)
    assert why in refused.value.reason
    assert model.model_dump() == before


def test_non_object_messages_are_refused(model: ThreatModel):
    with pytest.raises(EditError, match="JSON object"):
        apply_edit(model, ["add_element"])


def test_move_stores_positions_and_pins_automatic_ones(model: ThreatModel):
    shown = _payload.auto_layout(model)
    result = apply_edit(model, {"op": "move", "positions": {"bot": {"x": 7, "y": 8}}})
    new = result.model
    assert new.element("bot").position == Position(x=7, y=8)
    # elements that were placed automatically stay where they were drawn
    x, y = shown["docs"]
    assert new.element("docs").position == Position(x=x, y=y)
    assert all(e.position is not None for e in new.elements)
    assert result.select is None


def test_layout_places_every_element(model: ThreatModel):
    new = apply_edit(model, {"op": "layout"}).model
    positions = {e.id: e.position for e in new.elements}
    assert all(p is not None for p in positions.values())
    assert positions["bot"] != Position(x=300, y=40)


def test_rename_element_and_flow(model: ThreatModel):
    new = apply_edit(model, {"op": "rename", "id": "bot", "name": "Shop assistant"}).model
    assert new.element("bot").name == "Shop assistant"
    new = apply_edit(new, {"op": "rename", "id": "ask", "name": " question "}).model
    assert new.flow("ask").name == "question"
    assert new.element("bot").name == "Shop assistant"


def test_delete_elements_takes_their_flows(model: ThreatModel):
    result = apply_edit(model, {"op": "delete", "nodes": ["docs"], "edges": []})
    assert {e.id for e in result.model.elements} == {"customer", "bot"}
    assert {f.id for f in result.model.flows} == {"ask"}
    assert result.select == []
    result = apply_edit(model, {"op": "delete", "nodes": [], "edges": ["ask"]})
    assert {f.id for f in result.model.flows} == {"retrieve"}
    assert len(result.model.elements) == 3


def test_add_flow_gets_a_readable_unique_id(model: ThreatModel):
    result = apply_edit(model, {"op": "add_flow", "source": "bot", "target": "docs"})
    flow = result.model.flow("bot-to-docs")
    assert (flow.source, flow.target) == ("bot", "docs")
    assert result.select == ["bot-to-docs"]
    again = apply_edit(result.model, {"op": "add_flow", "source": "bot", "target": "docs"})
    assert again.model.flow("bot-to-docs-2").target == "docs"


def test_set_boundary(model: ThreatModel):
    new = apply_edit(model, {"op": "set_boundary", "id": "docs", "boundary": None}).model
    assert new.element("docs").boundary is None


# ----------------------------------------------------------------------------- widget
def test_canvas_holds_the_model_and_syncs_a_payload(canvas: Canvas, model: ThreatModel):
    assert canvas.model == model
    assert "model" not in canvas.keys  # the pydantic model is never synced
    assert "analysis" not in canvas.keys
    snap = canvas.snapshot
    assert snap["rev"] == canvas.revision
    assert {n["id"] for n in snap["nodes"]} == {"customer", "bot", "docs"}
    assert [b["id"] for b in snap["boundaries"]] == ["internet", "vpc"]
    assert any(n["open"] > 0 for n in snap["nodes"])  # the overlay is there
    assert {i["kind"] for i in canvas.palette} == set(KINDS)


def test_front_end_edit_updates_the_model_and_sends_a_patch(canvas: Canvas):
    rev = canvas.revision
    canvas._on_front_end_msg(
        canvas, {"op": "add_element", "kind": "agent", "x": 1, "y": 2, "req": 7}, []
    )
    assert canvas.model.element("agent-1").kind == "agent"
    assert canvas.selection == ["agent-1"]
    assert canvas.last_refusal == ""
    patch = sent(canvas).last("patch")
    assert patch["rev"] == rev + 1
    assert patch["base"] == rev
    assert [n["id"] for n in patch["nodes"]["add"]] == ["agent-1"]
    assert patch["nodes"]["remove"] == []
    assert sent(canvas).last("done")["req"] == 7
    assert canvas.revision == rev + 1


def test_panels_hear_of_an_edit_before_the_patch_goes_out(canvas: Canvas):
    """The panels' updates reach the browser before the drawing's patch (whose redraw
    would hold them up there); they already see the new revision."""
    seen: list[tuple[list[str], int]] = []
    canvas.on_update(lambda: seen.append((sent(canvas).ops(), canvas.revision)))
    rev = canvas.revision
    canvas.edit({"op": "add_element", "kind": "agent", "x": 1, "y": 2})
    assert seen == [([], rev + 1)]
    assert sent(canvas).ops() == ["patch", "done"]


def test_refused_edit_leaves_the_model_and_says_why(canvas: Canvas, model: ThreatModel):
    reasons: list[str] = []
    canvas.on_refused(lambda why, msg: reasons.append(why))
    before = canvas.model
    rev = canvas.revision
    assert canvas.edit({"op": "add_flow", "source": "bot", "target": "bot", "req": 3}) is None
    assert canvas.model is before
    assert canvas.revision == rev
    refused = sent(canvas).last("refused")
    assert refused["req"] == 3
    assert "two different elements" in refused["reason"]
    assert canvas.last_refusal == refused["reason"]
    assert reasons == [refused["reason"]]
    assert "patch" not in sent(canvas).ops()


def test_refused_move_restores_the_nodes_in_the_browser(canvas: Canvas):
    canvas.edit({"op": "move", "positions": {"bot": {"x": math.nan, "y": 0}}})
    refused = sent(canvas).last("refused")
    assert [n["id"] for n in refused["restore"]] == ["bot"]
    assert refused["restore"][0]["x"] == 300.0


def test_python_side_change_sends_only_what_changed(canvas: Canvas):
    rev = canvas.revision
    canvas.model = canvas.model.update_element("bot", name="Renamed bot")
    patch = sent(canvas).last("patch")
    assert patch["base"] == rev
    updated = {n["id"] for n in patch["nodes"]["update"]}
    assert "bot" in updated
    assert next(n for n in patch["nodes"]["update"] if n["id"] == "bot")["label"] == "Renamed bot"
    assert patch["nodes"]["add"] == []
    assert "boundaries" not in patch
    assert canvas.snapshot["rev"] == canvas.revision  # small model: snapshot kept current
    canvas.model = canvas.model  # same model: nothing to send
    assert len(sent(canvas).sent) == 1


def test_large_change_sends_a_reset(canvas: Canvas):
    elements = [
        Element(id=f"e{i}", kind="dataset", name=f"E{i}", position=Position(x=i, y=0))
        for i in range(40)
    ]
    canvas.model = canvas.model.replace(elements=[*canvas.model.elements, *elements])
    reset = sent(canvas).last("reset")
    assert len(reset["nodes"]) == 43
    assert reset["rev"] == canvas.revision


def test_big_models_do_not_resend_the_snapshot(model: ThreatModel):
    canvas = Canvas(model)
    canvas.send = Recorder()
    canvas.snapshot_limit = 3
    rev = canvas.snapshot["rev"]
    canvas.model = canvas.model.update_element("bot", name="Other")
    assert canvas.snapshot["rev"] == rev  # stale on purpose
    # a view that starts from the stale snapshot asks for the rest
    canvas._on_front_end_msg(canvas, {"op": "hello", "rev": rev}, [])
    assert sent(canvas).last("reset")["rev"] == canvas.revision
    n = len(sent(canvas).sent)
    canvas._on_front_end_msg(canvas, {"op": "hello", "rev": canvas.revision}, [])
    assert len(sent(canvas).sent) == n  # up to date: nothing to send


def test_selection_is_pruned_after_a_delete(canvas: Canvas):
    seen: list[list[str]] = []
    canvas.on_select(seen.append)
    canvas.selection = ["docs", "retrieve", "bot"]
    canvas.model = canvas.model.remove_element("docs", cascade=True)
    assert canvas.selection == ["bot"]
    assert seen[-1] == ["bot"]
    canvas.on_select(seen.append, remove=True)
    canvas.selection = []
    assert seen[-1] == ["bot"]


def test_incremental_analysis_matches_a_full_one(canvas: Canvas, catalog):
    canvas.edit({"op": "add_element", "kind": "agent", "x": 0, "y": 0})
    canvas.edit({"op": "add_flow", "source": "bot", "target": "agent-1"})
    canvas.edit({"op": "rename", "id": "docs", "name": "Knowledge"})
    canvas.edit({"op": "delete", "nodes": ["customer"]})
    assert canvas.analysis is not None
    full = analyze(canvas.model, catalog)
    assert [f.id for f in canvas.analysis.findings] == [f.id for f in full.findings]
    overlay = {n["id"]: n["open"] for n in canvas.payload()["nodes"]}
    assert overlay["agent-1"] == len(full.for_target("agent-1"))


def test_overlay_follows_decisions(canvas: Canvas):
    assert canvas.analysis is not None
    finding = next(f for f in canvas.analysis.findings if f.target == "bot")
    before = next(n for n in canvas.payload()["nodes"] if n["id"] == "bot")["open"]
    canvas.model = canvas.model.set_decision(
        Decision(finding=finding.id, status="mitigated", owner="me")
    )
    after = next(n for n in canvas.payload()["nodes"] if n["id"] == "bot")["open"]
    assert after == before - 1


def test_auto_layout_method_stores_positions(canvas: Canvas):
    canvas.auto_layout()
    assert all(e.position is not None for e in canvas.model.elements)


def test_canvas_without_analyzer_has_no_overlay(model: ThreatModel):
    canvas = Canvas(model)
    assert canvas.analysis is None
    assert all(n["open"] == 0 for n in canvas.snapshot["nodes"])
    canvas.send = Recorder()
    canvas.edit({"op": "add_flow", "source": "customer", "target": "docs"})
    assert canvas.model.flow("customer-to-docs") == Flow(
        id="customer-to-docs", source="customer", target="docs"
    )


# ----------------------------------------------------------------------------- boundaries
NESTED = """\
format_version: 1
system: {name: Nested}
boundaries:
  - {id: internet, name: Internet, trust: untrusted}
  - {id: cloud, name: Cloud, trust: partner}
  - {id: app, name: App subnet, parent: cloud, trust: partner}
  - {id: data, name: Data subnet, parent: cloud, trust: partner}
elements:
  - {id: user, kind: user, name: User, boundary: internet}
  - {id: bot, kind: llm_app, name: Bot, boundary: app}
  - {id: guard, kind: guardrail, name: Guard, boundary: app}
  - {id: docs, kind: vector_store, name: Docs, boundary: data}
  - {id: loose, kind: tool, name: Loose}
flows:
  - {id: ask, source: user, target: bot}
"""


@pytest.fixture
def nested() -> ThreatModel:
    return ThreatModel.from_yaml(NESTED)


def _new_boundaries(before: ThreatModel, after: ThreatModel) -> list[Any]:
    old = {b.id for b in before.boundaries}
    return [b for b in after.boundaries if b.id not in old]


@pytest.mark.parametrize(
    ("members", "parent", "trust"),
    [
        (["bot", "guard"], "app", "partner"),  # same boundary: nests inside it, its trust
        (["bot", "docs"], "cloud", "partner"),  # sibling subnets: inside their common parent
        (["user", "bot"], None, "trusted"),  # nothing in common: top level, schema default
        (["loose"], None, "trusted"),
    ],
)
def test_add_boundary_around_members(nested: ThreatModel, members, parent, trust):
    result = apply_edit(nested, {"op": "add_boundary", "members": members})
    (new,) = _new_boundaries(nested, result.model)
    assert new.id == "boundary-5"  # four boundaries already
    assert new.name == "Trust boundary 5"
    assert (new.parent, new.trust) == (parent, trust)
    inside = {e.id for e in result.model.elements if e.boundary == new.id}
    assert inside == set(members)
    others = {e.id: e.boundary for e in result.model.elements if e.id not in members}
    assert others == {e.id: e.boundary for e in nested.elements if e.id not in members}


def test_add_boundary_picks_a_free_id_and_name_and_takes_a_given_one(nested: ThreatModel):
    first = apply_edit(nested, {"op": "add_boundary", "members": ["bot"]}).model
    second = apply_edit(first, {"op": "add_boundary", "members": ["guard"]}).model
    (b2,) = _new_boundaries(first, second)
    assert (b2.id, b2.name) == ("boundary-6", "Trust boundary 6")
    named = apply_edit(
        nested,
        {"op": "add_boundary", "members": ["docs"], "name": " Vault ", "trust": "trusted"},
    ).model
    (b,) = _new_boundaries(nested, named)
    assert (b.name, b.trust, b.parent) == ("Vault", "trusted", "data")


def test_add_boundary_skips_ids_and_names_in_use(nested: ThreatModel):
    busy = apply_edit(nested, {"op": "add_element", "kind": "tool", "x": 0, "y": 0}).model
    busy = busy.update_element("tool-1", id="boundary-5")
    result = apply_edit(busy, {"op": "add_boundary", "members": ["bot"]})
    (b,) = _new_boundaries(busy, result.model)
    assert (b.id, b.name) == ("boundary-6", "Trust boundary 6")


def test_rename_and_delete_boundary_keep_the_elements(nested: ThreatModel):
    renamed = apply_edit(nested, {"op": "rename_boundary", "id": "app", "name": " Apps "}).model
    assert renamed.boundary("app").name == "Apps"
    assert renamed.boundary("app").parent == "cloud"
    gone = apply_edit(renamed, {"op": "delete_boundary", "id": "app"}).model
    assert "app" not in {b.id for b in gone.boundaries}
    assert {e.id for e in gone.elements} == {e.id for e in nested.elements}
    # its members move to the enclosing boundary
    assert gone.element("bot").boundary == "cloud"
    assert gone.element("guard").boundary == "cloud"
    assert [f.id for f in gone.flows] == ["ask"]


def test_move_into_a_boundary_is_one_edit(nested: ThreatModel):
    result = apply_edit(
        nested,
        {
            "op": "move",
            "positions": {"loose": {"x": 5, "y": 6}, "bot": {"x": 1, "y": 2}},
            "boundaries": {"loose": "data", "bot": None},
        },
    )
    new = result.model
    assert new.element("loose").boundary == "data"
    assert new.element("loose").position == Position(x=5, y=6)
    assert new.element("bot").boundary is None
    assert new.element("guard").boundary == "app"


def test_a_boundary_drag_is_one_step(nested: ThreatModel):
    """What the canvas sends when a boundary is dragged by its label: every element it
    holds (nested boundaries' too) moved by one offset, plus the elements pushed out of
    its way, in one move message: one undo step puts them all back."""
    canvas = Canvas(nested)
    canvas.send = Recorder()
    shown = {n["id"]: (n["x"], n["y"]) for n in canvas.payload()["nodes"]}
    moved = {i: {"x": shown[i][0] + 300, "y": shown[i][1] - 40} for i in ("bot", "guard", "docs")}
    pushed = {"loose": {"x": shown["loose"][0], "y": shown["loose"][1] + 500}}
    canvas.edit({"op": "move", "positions": {**moved, **pushed}})
    after = {e.id: e.position for e in canvas.model.elements}
    for i, p in {**moved, **pushed}.items():
        assert after[i] == Position(x=p["x"], y=p["y"])
    assert [e.boundary for e in canvas.model.elements] == [e.boundary for e in nested.elements]
    assert canvas.can_undo
    canvas.undo()
    assert canvas.model == nested
    assert canvas.can_undo is False
    assert {n["id"]: (n["x"], n["y"]) for n in canvas.payload()["nodes"]} == shown


def test_placing_an_element_pushes_others_in_the_same_step(nested: ThreatModel):
    """What the canvas sends when an element placed from the palette reaches over a
    region: the other elements it pushes aside come in the same message, one undo step.
    Elements still placed automatically are pinned where they were shown."""
    canvas = Canvas(nested)
    canvas.send = Recorder()
    shown = {n["id"]: (n["x"], n["y"]) for n in canvas.payload()["nodes"]}
    pushed = {"docs": {"x": shown["docs"][0], "y": shown["docs"][1] + 120}}
    place = {"op": "add_element", "kind": "tool", "x": 7, "y": 8, "boundary": "app"}
    canvas.edit({**place, "positions": pushed})
    new = canvas.model
    assert new.element("tool-1").position == Position(x=7, y=8)
    assert new.element("tool-1").boundary == "app"
    assert new.element("docs").position == Position(x=pushed["docs"]["x"], y=pushed["docs"]["y"])
    for e in new.elements:  # nothing else moved, and nothing is placed automatically any more
        if e.id not in ("tool-1", "docs"):
            assert e.position is not None
            assert (e.position.x, e.position.y) == shown[e.id], e.id
    assert canvas.selection == ["tool-1"]
    canvas.undo()
    assert canvas.model == nested
    assert canvas.can_undo is False


def test_placing_without_pushes_keeps_stored_positions(model: ThreatModel):
    result = apply_edit(model, {"op": "add_element", "kind": "agent", "x": 1, "y": 2})
    assert result.model.element("bot").position == Position(x=300, y=40)
    shown = {n["id"]: (n["x"], n["y"]) for n in _payload.build(model)["nodes"]}
    for e in result.model.elements:  # the automatic ones are pinned where they were shown
        assert e.position is not None
        if e.id != "agent-1":
            assert (e.position.x, e.position.y) == shown[e.id]


def test_a_new_boundary_keeps_the_drawing_as_shown(nested: ThreatModel):
    """Elements placed automatically stay where they were shown: the layout does not run
    again around the new boundary."""
    shown = {n["id"]: (n["x"], n["y"]) for n in _payload.build(nested)["nodes"]}
    new = apply_edit(nested, {"op": "add_boundary", "members": ["user", "docs"]}).model
    assert {e.id: (e.position.x, e.position.y) for e in new.elements if e.position} == shown


def test_a_new_boundary_pushes_others_in_the_same_step(nested: ThreatModel):
    canvas = Canvas(nested)
    canvas.send = Recorder()
    moved = {"loose": {"x": -400, "y": 900}, "docs": {"x": 10, "y": 700}}
    canvas.edit({"op": "add_boundary", "members": ["user", "bot"], "positions": moved})
    new = canvas.model
    assert new.element("user").boundary == new.element("bot").boundary == "boundary-5"
    assert new.element("loose").position == Position(x=-400, y=900)
    assert new.element("docs").position == Position(x=10, y=700)
    canvas.undo()
    assert canvas.model == nested


@pytest.mark.parametrize(
    "msg",
    [
        {"op": "add_element", "kind": "agent", "x": 0, "y": 0, "positions": {"ghost": {"x": 1}}},
        {"op": "add_element", "kind": "agent", "x": 0, "y": 0, "positions": [1]},
        {"op": "add_boundary", "members": ["bot"], "positions": {"bot": {"x": "1", "y": 0}}},
    ],
)
def test_pushes_sent_with_an_edit_are_checked(nested: ThreatModel, msg):
    with pytest.raises(EditError):
        apply_edit(nested, msg)


@pytest.mark.parametrize(
    ("msg", "why"),
    [
        ({"op": "add_boundary", "members": []}, "select the elements"),
        ({"op": "add_boundary"}, "select the elements"),
        ({"op": "add_boundary", "members": ["ghost"]}, "'ghost' is not an element"),
        ({"op": "add_boundary", "members": ["ask"]}, "'ask' is not an element"),
        ({"op": "add_boundary", "members": "bot"}, "must be a list of IDs"),
        ({"op": "add_boundary", "members": ["bot"], "name": "  "}, "needs a name"),
        ({"op": "add_boundary", "members": ["bot"], "name": 5}, "'name' must be text"),
        ({"op": "add_boundary", "members": ["bot"], "trust": "sort of"}, "trust"),
        ({"op": "rename_boundary", "id": "app", "name": ""}, "needs a name"),
        ({"op": "rename_boundary", "id": "app"}, "'name' must be text"),
        ({"op": "rename_boundary", "id": "app", "name": "x" * 201}, "at most 200"),
        ({"op": "rename_boundary", "id": "bot", "name": "x"}, "'bot' is not a trust boundary"),
        ({"op": "delete_boundary", "id": "moon"}, "'moon' is not a trust boundary"),
        ({"op": "delete_boundary"}, "'id' must be text"),
        (
            {"op": "move", "positions": {"bot": {"x": 0, "y": 0}}, "boundaries": {"bot": "moon"}},
            "'moon' is not a boundary",
        ),
        (
            {"op": "move", "positions": {"bot": {"x": 0, "y": 0}}, "boundaries": {"docs": "app"}},
            "'docs' is not being moved",
        ),
        (
            {"op": "move", "positions": {"bot": {"x": 0, "y": 0}}, "boundaries": {"bot": 3}},
            "must be an ID or null",
        ),
        (
            {"op": "move", "positions": {"bot": {"x": 0, "y": 0}}, "boundaries": ["app"]},
            "'boundaries' must map",
        ),
    ],
)
def test_invalid_boundary_edits_are_refused(nested: ThreatModel, msg, why):
    assert_refused(nested, msg, why)


# ----------------------------------------------------------------------------- undo / redo
def test_undo_and_redo_walk_canvas_edits(canvas: Canvas, model: ThreatModel):
    assert (canvas.can_undo, canvas.can_redo) == (False, False)
    assert {"can_undo", "can_redo", "highlight"} <= set(canvas.keys)
    canvas.edit({"op": "add_boundary", "members": ["bot", "docs"]})
    after_add = canvas.model
    canvas.edit({"op": "rename_boundary", "id": "boundary-3", "name": "Core"})
    assert canvas.model.boundary("boundary-3").name == "Core"
    assert (canvas.can_undo, canvas.can_redo) == (True, False)

    assert canvas.undo() is True
    assert canvas.model == after_add
    assert canvas.can_redo is True
    assert canvas.undo() is True
    assert canvas.model == model
    assert (canvas.can_undo, canvas.can_redo) == (False, True)
    assert canvas.undo() is False
    assert canvas.model == model

    assert canvas.redo() is True
    assert canvas.redo() is True
    assert canvas.model.boundary("boundary-3").name == "Core"
    assert canvas.redo() is False
    assert (canvas.can_undo, canvas.can_redo) == (True, False)


def test_undo_updates_the_browser_and_the_analysis(canvas: Canvas, catalog):
    canvas.edit({"op": "add_element", "kind": "agent", "x": 0, "y": 0})
    rev = canvas.revision
    canvas.undo()
    patch = sent(canvas).last("patch")
    assert patch["base"] == rev
    assert patch["nodes"]["remove"] == ["agent-1"]
    assert canvas.selection == []  # the undone element is no longer selected
    assert canvas.analysis is not None
    full = analyze(canvas.model, catalog)
    assert [f.id for f in canvas.analysis.findings] == [f.id for f in full.findings]


def test_python_assignment_is_undoable_and_a_new_change_drops_redo(canvas: Canvas, model):
    canvas.model = canvas.model.update_element("bot", name="Renamed")
    canvas.undo()
    assert canvas.model == model
    assert canvas.can_redo
    canvas.model = canvas.model.update_element("docs", name="Other")  # a new branch
    assert canvas.can_redo is False
    assert canvas.redo() is False
    assert canvas.model.element("bot").name == "Bot"
    canvas.model = canvas.model  # no change: no step
    canvas.undo()
    assert canvas.model == model
    assert canvas.can_undo is False


def test_a_batch_and_a_drag_are_one_step_each(canvas: Canvas, model: ThreatModel):
    with canvas.batch():
        canvas.model = canvas.model.update_element("bot", name="One")
        canvas.model = canvas.model.update_element("docs", name="Two")
        canvas.selection = ["bot"]
    canvas.edit(
        {
            "op": "move",
            "positions": {"customer": {"x": 1, "y": 1}, "docs": {"x": 2, "y": 2}},
            "boundaries": {"customer": "vpc"},
        }
    )
    assert canvas.model.element("customer").boundary == "vpc"
    canvas.undo()
    assert canvas.model.element("customer").boundary == "internet"
    assert canvas.model.element("docs").name == "Two"
    canvas.undo()
    assert canvas.model == model
    assert canvas.can_undo is False


def test_refused_edits_and_decisions_in_history(canvas: Canvas, model: ThreatModel):
    canvas.edit({"op": "add_flow", "source": "bot", "target": "bot"})
    assert canvas.can_undo is False  # a refused edit is no step
    assert canvas.analysis is not None
    finding = canvas.analysis.findings[0].id
    canvas.model = canvas.model.set_decision(
        Decision(finding=finding, status="accepted", owner="me", rationale="fine")
    )
    canvas.undo()
    assert canvas.model.decision(finding) is None


def test_history_is_bounded(model: ThreatModel):
    canvas = Canvas(model)
    canvas.send = Recorder()
    canvas.history_limit = 3
    for i in range(6):
        canvas.model = canvas.model.update_element("bot", name=f"Bot {i}")
    steps = 0
    while canvas.undo():
        steps += 1
    assert steps == 3
    assert canvas.model.element("bot").name == "Bot 2"
    canvas.clear_history()
    assert (canvas.can_undo, canvas.can_redo) == (False, False)


def test_front_end_undo_and_redo_messages(canvas: Canvas, model: ThreatModel):
    canvas._on_front_end_msg(canvas, {"op": "undo", "req": 1}, [])
    refused = sent(canvas).last("refused")
    assert (refused["req"], refused["reason"]) == (1, "nothing to undo")
    assert canvas.last_refusal == "nothing to undo"
    canvas._on_front_end_msg(canvas, {"op": "delete", "nodes": ["docs"], "req": 2}, [])
    canvas._on_front_end_msg(canvas, {"op": "undo", "req": 3}, [])
    assert sent(canvas).last("done")["req"] == 3
    assert canvas.model == model
    assert canvas.last_refusal == ""
    canvas._on_front_end_msg(canvas, {"op": "redo", "req": 4}, [])
    assert sent(canvas).last("done")["req"] == 4
    assert "docs" not in {e.id for e in canvas.model.elements}
    canvas._on_front_end_msg(canvas, {"op": "redo", "req": 5}, [])
    assert sent(canvas).last("refused")["reason"] == "nothing to redo"


# ----------------------------------------------------------------------------- highlight
def test_highlight_an_attack_path(catalog):
    model = ThreatModel.from_template("rag_assistant")
    canvas = Canvas(model, analyzer=Analyzer(catalog))
    assert canvas.analysis is not None
    paths = canvas.analysis.attack_paths
    assert paths, "the template has attack paths"
    path = max(paths, key=lambda p: len(p.steps))
    canvas.highlight_path(path)
    flows = [f for step in path.steps for f in step.flows]
    assert flows
    assert canvas.highlight == list(dict.fromkeys([*path.elements, *flows]))
    assert set(canvas.highlight) <= {e.id for e in model.elements} | {f.id for f in model.flows}
    assert canvas.highlight[0] == path.source
    canvas.clear_highlight()
    assert canvas.highlight == []


def test_highlight_ids_and_a_single_id(canvas: Canvas):
    canvas.highlight_path(["customer", "ask", "bot", "ask"])
    assert canvas.highlight == ["customer", "ask", "bot"]
    canvas.highlight_path("bot")
    assert canvas.highlight == ["bot"]
    canvas.highlight = ["docs"]  # the trait itself, as the PASTA view sets it
    assert canvas.get_state("highlight")["highlight"] == ["docs"]


# ----------------------------------------------------------------------------- layout
def test_auto_layout_is_stable_and_stored_in_the_file(canvas: Canvas, tmp_path):
    canvas.auto_layout()
    once = canvas.model
    xs = {e.kind: e.position.x for e in once.elements if e.position is not None}
    # data -> model -> deployment, left to right
    assert xs["vector_store"] < xs["llm_app"]
    assert all(not n["auto"] for n in canvas.payload()["nodes"])
    canvas.auto_layout()
    assert canvas.model == once  # laying out again changes nothing
    path = once.save(tmp_path / "model.yaml")
    loaded = ThreatModel.load(path)
    assert {e.id: e.position for e in loaded.elements} == {e.id: e.position for e in once.elements}
    canvas.undo()
    assert any(e.position is None for e in canvas.model.elements)


# ----------------------------------------------------------------------------- collapsed
def test_collapsed_boundaries_are_view_state(nested: ThreatModel):
    """Collapsing draws a boundary as one node on the canvas: the model, the payload and
    the undo history stay as they are."""
    canvas = Canvas(nested)
    canvas.send = Recorder()
    assert "collapsed" in canvas.keys
    assert canvas.collapsed == []
    rev = canvas.revision
    canvas.collapse("cloud", "internet")
    canvas.collapse("cloud")
    assert canvas.collapsed == ["cloud", "internet"]
    assert canvas.model == nested
    assert canvas.revision == rev  # nothing sent: the browser draws it from the trait
    assert (canvas.can_undo, canvas.can_redo) == (False, False)
    canvas.expand("internet")
    assert canvas.collapsed == ["cloud"]
    canvas.expand()
    assert canvas.collapsed == []
    with pytest.raises(KeyError):
        canvas.collapse("moon")


def test_a_collapsed_boundary_lasts_while_it_exists(nested: ThreatModel):
    canvas = Canvas(nested)
    canvas.send = Recorder()
    canvas.collapse("app", "internet")
    canvas.edit({"op": "rename_boundary", "id": "app", "name": "Apps"})
    canvas.edit({"op": "add_element", "kind": "tool", "x": 0, "y": 0, "boundary": "app"})
    assert canvas.collapsed == ["app", "internet"]  # edits keep it
    canvas.edit({"op": "delete_boundary", "id": "app"})
    assert canvas.collapsed == ["internet"]  # a deleted boundary is dropped
    canvas.undo()
    assert canvas.collapsed == ["internet"]  # and does not come back collapsed
