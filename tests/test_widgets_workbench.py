"""The workbench composite without a browser: inspector, threat panel, decisions, save."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pytest

from widgets import Workbench
from widgets.inspector import UNKNOWN, UNSET, choice_options
from widgets.tables import findings_table
from workbench import ThreatModel
from workbench.engine import analyze
from workbench.register import build_register

from .test_widgets_canvas import SMALL


@pytest.fixture
def wb(catalog) -> Workbench:
    bench = Workbench(ThreatModel.from_yaml(SMALL), catalog=catalog)
    bench.canvas.send = lambda content, buffers=None: None
    return bench


# ----------------------------------------------------------------------------- forms
@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (bool | None, [(UNKNOWN, UNSET), ("yes", True), ("no", False)]),
        (Literal["a", "b_c"] | None, [(UNKNOWN, UNSET), ("a", "a"), ("b c", "b_c")]),
        (Literal["x", "y"], [("x", "x"), ("y", "y")]),
        (bool, [("yes", True), ("no", False)]),
        (str, None),
        (int | None, None),
    ],
)
def test_choice_options(annotation: Any, expected):
    assert choice_options(annotation) == expected


def test_inspector_follows_the_selection(wb: Workbench):
    assert "Select one element" in wb.inspector.body.children[0].value
    wb.canvas.selection = ["bot"]
    assert "Bot" in wb.inspector.title.value
    controls = wb.inspector._controls
    assert controls["name"].value == "Bot"
    assert controls["kind"].value == "llm_app"
    assert controls["boundary"].value == "vpc"
    assert controls["properties.exposure"].value == "internet"
    assert controls["properties.rate_limited"].value == UNSET  # unknown
    assert controls["properties.rate_limited"].label == "unknown"  # shown, not blank
    wb.canvas.selection = ["ask"]
    assert "Flow" in wb.inspector.title.value
    assert wb.inspector._controls["encrypted"].label == "unknown"
    wb.canvas.selection = ["customer"]
    assert wb.inspector._controls["boundary"].label == "Internet"
    wb.canvas.selection = ["docs"]
    wb.inspector.apply("boundary", None)
    assert wb.model.element("docs").boundary is None
    assert wb.inspector._controls["boundary"].label == "(none)"
    wb.canvas.selection = ["bot", "ask"]
    assert "2 items selected" in wb.inspector.body.children[0].value


def test_inspector_edits_go_into_the_model(wb: Workbench):
    wb.canvas.selection = ["bot"]
    findings_before = {f.id for f in wb.analysis.findings}
    assert wb.inspector.apply("properties.rate_limited", True)
    assert wb.model.element("bot").properties.rate_limited is True
    assert wb.inspector.apply("properties.exposure", None)
    assert wb.model.element("bot").properties.exposure is None
    assert "exposure" not in wb.model.to_dict()["elements"][0].get("properties", {})
    assert wb.inspector.apply("name", "Shop assistant")
    assert wb.model.element("bot").name == "Shop assistant"
    assert wb.inspector.apply("boundary", "internet")
    assert wb.model.element("bot").boundary == "internet"
    # the analysis follows every edit (incrementally) and equals a full one
    full = analyze(wb.model, wb.catalog)
    assert [f.id for f in wb.analysis.findings] == [f.id for f in full.findings]
    assert {f.id for f in wb.analysis.findings} != findings_before


def test_inspector_refuses_invalid_input_and_keeps_the_model(wb: Workbench):
    wb.canvas.selection = ["bot"]
    before = wb.model
    assert not wb.inspector.apply("name", "   ")
    assert "must not be empty" in wb.inspector.error
    assert wb.model is before
    assert wb.inspector._controls["name"].value == "Bot"  # the form shows the model again
    assert not wb.inspector.apply("id", "customer")
    assert "duplicate ID 'customer'" in wb.inspector.error
    assert not wb.inspector.apply("boundary", "moon")
    assert "not one of the choices" in wb.inspector.error
    assert wb.model is before
    assert wb.inspector.apply("description", "fine")  # a good edit clears the message
    assert wb.inspector.error == ""


def test_inspector_renames_the_id_and_keeps_it_selected(wb: Workbench):
    wb.canvas.selection = ["bot"]
    assert wb.inspector.apply("id", "assistant")
    assert wb.canvas.selection == ["assistant"]
    assert wb.model.flow("ask").target == "assistant"
    assert wb.inspector._controls["id"].value == "assistant"


def test_inspector_edits_flows(wb: Workbench):
    wb.canvas.selection = ["ask"]
    assert wb.inspector.apply("encrypted", True)
    assert wb.inspector.apply("protocol", "HTTPS")
    assert wb.model.flow("ask").encrypted is True
    assert wb.model.flow("ask").protocol == "HTTPS"
    assert wb.inspector.apply("initiated_by", "target")
    assert wb.inspector.apply("query", True)
    assert wb.model.flow("ask").initiated_by == "target"
    assert wb.model.flow("ask").query is True
    assert wb.inspector._controls["initiated_by"].value == "target"


def test_inspector_offers_the_model_type(wb: Workbench):
    wb.canvas.selection = ["bot"]
    control = wb.inspector._controls["properties.model_type"]
    assert "llm" in [v for _, v in control.options]
    assert wb.inspector.apply("properties.model_type", "classifier")
    assert wb.model.element("bot").properties.model_type == "classifier"


# ----------------------------------------------------------------------------- findings
def test_findings_panel_shows_all_or_the_selection(wb: Workbench):
    panel = wb.findings
    total = len(wb.analysis.findings)
    assert len(panel.entries()) == total
    assert f"({total}," in panel.heading.value
    wb.canvas.selection = ["bot"]
    on_bot = [e for e in panel.entries()]
    assert on_bot
    assert all(e.finding.target == "bot" for e in on_bot)
    assert "Findings for Bot" in panel.heading.value
    assert all(value.endswith("@bot") for _, value in panel.finding.options)
    panel.scope.value = "all"
    assert len(panel.entries()) == total
    panel.status_filter.value = "accepted"
    assert panel.entries() == []
    assert "No findings" in panel.table.value


def test_findings_table_escapes_every_text(catalog):
    model = ThreatModel.from_yaml(SMALL).update_element("bot", name="<script>alert(1)</script>")
    register = build_register(analyze(model, catalog))
    html = findings_table(register.entries)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count("<tr data-finding=") == len(register.entries)
    assert findings_table(register.entries, limit=1).count("<tr data-finding=") == 1
    cut = findings_table(register.entries[:1], total=5)
    assert "4 more not shown" in cut
    assert "data-count='5'" in cut


def test_grouped_findings_table_escapes_and_cuts(catalog):
    model = ThreatModel.from_yaml(SMALL).update_element("docs", name="<b>Docs</b>")
    analysis = analyze(model, catalog)
    entries = build_register(analysis).entries
    html = findings_table(entries, groups=analysis.groups)
    assert "<b>Docs</b>" not in html
    assert "&lt;b&gt;Docs&lt;/b&gt;" in html
    assert html.count("<tr data-finding=") == len(entries)
    assert html.count("<tbody class='atw-cause' ") == len(analysis.groups)
    assert html.count("<thead>") == 1  # one table: the columns line up across groups
    # cut after two findings: the worst group's members come first
    first = [m for g in analysis.groups for m in g.members][:2]
    cut = findings_table(entries, limit=2, groups=analysis.groups)
    assert re.findall(r"<tr data-finding='([^']+)'", cut) == first
    assert f"{len(entries) - 2} more not shown" in cut


def test_decisions_are_recorded_or_refused(wb: Workbench):
    panel = wb.findings
    wb.canvas.selection = ["bot"]
    finding = panel.finding.value
    assert finding.endswith("@bot")
    open_before = next(n for n in wb.canvas.payload()["nodes"] if n["id"] == "bot")["open"]
    panel.status.value = "accepted"
    panel.owner.value = ""
    panel.rationale.value = ""
    before = wb.model
    assert not panel.apply()
    assert "needs owner and rationale" in panel.message.value
    assert wb.model is before
    panel.owner.value = "alice"
    panel.rationale.value = "Behind the <WAF>"
    assert panel.apply()
    decision = wb.model.decision(finding)
    assert decision is not None
    assert (decision.status, decision.owner, decision.rationale) == (
        "accepted",
        "alice",
        "Behind the <WAF>",
    )
    assert f"data-finding='{finding}' data-status='accepted'" in panel.table.value
    assert "accepted (alice)" in panel.table.value
    open_after = next(n for n in wb.canvas.payload()["nodes"] if n["id"] == "bot")["open"]
    assert open_after == open_before - 1
    # choosing the finding again loads its decision into the editor
    panel.finding.value = next(v for _, v in panel.finding.options if v != finding)
    assert panel.owner.value == ""
    panel.finding.value = finding
    assert panel.owner.value == "alice"


# ----------------------------------------------------------------------------- workbench
def test_from_template_and_live_model(catalog):
    wb = Workbench.from_template("rag_assistant", catalog=catalog)
    assert wb.model == ThreatModel.from_template("rag_assistant")
    assert wb.path.value == "threat_model.yaml"
    assert wb.analysis.findings
    wb.model = wb.model.remove_element("llm_app", cascade=True)
    assert "llm_app" not in {n["id"] for n in wb.canvas.payload()["nodes"]}
    assert all(f.target != "llm_app" for f in wb.analysis.findings)
    assert wb.register.entries
    assert "Workbench on" in repr(wb)
    bundle = wb._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_save_writes_the_live_model_atomically(wb: Workbench, tmp_path: Path):
    wb.canvas.edit({"op": "add_element", "kind": "guardrail", "x": 5, "y": 6})
    target = tmp_path / "model.yaml"
    wb.path.value = str(target)
    wb._save_clicked()
    assert "Saved model.yaml" in wb.status.value
    saved = ThreatModel.load(target)
    assert saved == wb.model
    assert saved.element("guardrail-1").position is not None
    # saving again keeps the previous file as .bak
    wb.canvas.edit({"op": "rename", "id": "guardrail-1", "name": "Output filter"})
    assert wb.save() == target
    assert ThreatModel.load(target).element("guardrail-1").name == "Output filter"
    assert (tmp_path / "model.yaml.bak").is_file()


def test_save_failure_is_shown(wb: Workbench, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    wb.path.value = str(blocker / "model.yaml")
    wb._save_clicked()
    assert "Not saved" in wb.status.value
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_load_saves_back_to_the_same_file(tmp_path: Path, catalog):
    path = tmp_path / "shop.yaml"
    path.write_text("# my model\n" + SMALL, encoding="utf-8")
    wb = Workbench.load(path, catalog=catalog)
    assert wb.path.value == str(path)
    wb.canvas.selection = ["bot"]
    wb.inspector.apply("properties.rate_limited", False)
    wb.save()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my model")  # comments survive the round trip
    assert ThreatModel.load(path).element("bot").properties.rate_limited is False


def test_refused_canvas_edits_show_in_the_status(wb: Workbench):
    wb.canvas.edit({"op": "add_flow", "source": "bot", "target": "bot"})
    assert "two different elements" in wb.status.value


# ----------------------------------------------------------------------------- catalog
def test_the_first_workbench_takes_the_catalog_loaded_in_the_background(monkeypatch):
    """In a kernel the module starts loading the built-in catalog when it is imported
    (warm_catalog): the first workbench made without a catalog takes that one, the next
    loads its own."""
    import threading

    from widgets import workbench as module
    from workbench.catalog import load_catalog

    release = threading.Event()
    loaded: list[object] = []
    real = load_catalog

    def slow_load() -> Any:
        release.wait(5)
        catalog = real()
        loaded.append(catalog)
        return catalog

    monkeypatch.setattr(module, "_warmed", None)
    monkeypatch.setattr(module, "load_catalog", slow_load)
    module.warm_catalog()
    module.warm_catalog()  # once
    threading.Timer(0.2, release.set).start()
    first = Workbench(ThreatModel.from_yaml(SMALL))  # waits for the background load
    assert loaded
    assert first.catalog is loaded[0]
    assert len(loaded) == 1
    second = Workbench(ThreatModel.from_yaml(SMALL))
    assert len(loaded) == 2
    assert second.catalog is loaded[1]


def test_a_catalog_that_fails_to_load_in_the_background_fails_the_workbench(monkeypatch):
    from widgets import workbench as module
    from workbench.errors import ModelFileError

    def broken() -> Any:
        raise ModelFileError.one("catalogs/x.yaml", "broken on purpose")

    monkeypatch.setattr(module, "_warmed", None)
    monkeypatch.setattr(module, "load_catalog", broken)
    module.warm_catalog()
    with pytest.raises(ModelFileError):
        Workbench(ThreatModel.from_yaml(SMALL))
    assert module._warmed is None  # the next workbench tries again
