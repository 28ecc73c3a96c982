"""The workbench panels without a browser: threat filters, the decision editor with
mitigations, the PASTA stages, the controls view, Load and Export."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path

import pytest

from widgets import Workbench
from widgets.pasta import ACCESS_ARROW, step_ids
from workbench import ThreatModel
from workbench.engine.risk import at_least
from workbench.model import Decision, Objective
from workbench.model.types import DecisionStatus
from workbench.register import build_register
from workbench.register.coverage import controls_of

from .test_widgets_canvas import SMALL

FINDING = "AITW-LLM-013@bot"


def _bench(model: ThreatModel, catalog, **kwargs) -> Workbench:
    bench = Workbench(model, catalog=catalog, **kwargs)
    bench.canvas.send = lambda content, buffers=None: None
    return bench


@pytest.fixture
def wb(catalog) -> Workbench:
    return _bench(ThreatModel.from_yaml(SMALL), catalog)


@pytest.fixture
def rag(catalog) -> Workbench:
    return _bench(ThreatModel.from_template("rag_assistant").replace(decisions=[]), catalog)


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr data-finding='([^']+)'", html)


# ----------------------------------------------------------------------------- filters
@pytest.mark.parametrize(
    ("control", "value", "keep"),
    [
        ("stride_filter", "D", lambda f: "D" in f.stride),
        ("stride_filter", "S", lambda f: "S" in f.stride),
        ("layer_filter", "data", lambda f: f.layer == "data"),
        ("layer_filter", "deployment", lambda f: f.layer == "deployment"),
        ("risk_filter", "high", lambda f: at_least(f.risk, "high")),
        ("risk_filter", "critical", lambda f: f.risk == "critical"),
    ],
)
def test_filters_keep_exactly_the_matching_findings(rag: Workbench, control, value, keep):
    panel = rag.findings
    panel.scope.value = "all"
    everything = rag.analysis.findings
    expected = sorted(f.id for f in everything if keep(f))
    assert 0 < len(expected) < len(everything) or value in ("critical", "S")
    getattr(panel, control).value = value
    assert sorted(e.id for e in panel.entries()) == expected
    assert sorted(_rows(panel.table.value)) == expected
    assert f"({len(expected)}," in panel.heading.value


def test_filters_combine_with_status(rag: Workbench):
    panel = rag.findings
    panel.scope.value = "all"
    panel.layer_filter.value = "deployment"
    first = panel.entries()[0].id
    rag.model = rag.model.set_decision(_decision(first, "mitigated"))
    panel.status_filter.value = "mitigated"
    assert [e.id for e in panel.entries()] == [first]
    panel.layer_filter.value = "data"
    assert panel.entries() == [] or all(e.finding.layer == "data" for e in panel.entries())
    assert first not in [e.id for e in panel.entries()]


def _decision(finding: str, status: DecisionStatus) -> Decision:
    return Decision(finding=finding, status=status)


# ----------------------------------------------------------------------------- groups
def _blocks(html: str) -> list[tuple[str, str, list[str]]]:
    """Each group of the threat table: its ID, its heading (markup removed, entities
    decoded) and the finding IDs of its rows, in order."""
    out = []
    for block in html.split("<tbody class='atw-cause' ")[1:]:
        block = block[: block.index("</tbody>")]
        gid = re.search(r"data-group='([^']+)'", block)
        head = re.search(r"<tr class='atw-cause-head'>(.*?)</tr>", block)
        assert gid
        assert head
        text = unescape(re.sub(r"<[^>]+>", "", head.group(1)))
        out.append((unescape(gid.group(1)), text, _rows(block)))
    return out


def test_threat_panel_shows_groups_worst_first_with_members_under_them(rag: Workbench):
    panel = rag.findings
    panel.scope.value = "all"
    groups = rag.analysis.groups
    assert any(len(g.members) > 1 for g in groups)
    blocks = _blocks(panel.table.value)
    assert [(gid, rows) for gid, _, rows in blocks] == [(g.id, list(g.members)) for g in groups]
    assert f"data-groups='{len(groups)}'" in panel.table.value
    for g, (_, summary, _) in zip(groups, blocks, strict=True):
        assert summary.startswith(f"{g.risk} {g.title} ")
        n = len(g.members)
        assert f"{n} finding{'s' if n > 1 else ''}" in summary
        if g.fix:
            assert g.fix in summary
    # every group is unfolded, so its findings can be seen and chosen
    assert panel.table.value.count("<input type='checkbox' class='atw-fold'") == len(groups)
    assert " checked" not in panel.table.value
    # the decision editor lists the findings in the same order
    assert [v for _, v in panel.finding.options] == [m for g in groups for m in g.members]


def test_threat_panel_groups_follow_the_filters():
    from tests.test_register_formats import by_cause

    a = by_cause()
    wb = _bench(a.model, a.catalog)
    panel = wb.findings
    panel.scope.value = "all"
    blocks = {gid: (summary, rows) for gid, summary, rows in _blocks(panel.table.value)}
    assert list(blocks) == [
        "missing:store:authorization",
        "threat:GRP-FLOW-001",
        "finding:GRP-PI-001@app",
    ]
    summary, rows = blocks["missing:store:authorization"]
    assert rows == ["GRP-LEAK-001@store", "GRP-TAMPER-001@store"]
    assert "2 findings" in summary
    assert "GRP-MIT-AUTHZ" in summary
    assert "Authorize every request" in summary
    # a filter that keeps one of the two says so; groups left without a finding go
    panel.stride_filter.value = "T"
    blocks = {gid: (summary, rows) for gid, summary, rows in _blocks(panel.table.value)}
    assert list(blocks) == [
        "missing:store:authorization",
        "threat:GRP-FLOW-001",
        "finding:GRP-PI-001@app",
    ]
    summary, rows = blocks["missing:store:authorization"]
    assert rows == ["GRP-TAMPER-001@store"]
    assert "1 of 2 findings" in summary
    panel.stride_filter.value = "E"
    assert [gid for gid, _, _ in _blocks(panel.table.value)] == ["finding:GRP-PI-001@app"]
    # the selection narrows the groups to the findings on the selected element or flow
    panel.stride_filter.value = "any"
    wb.canvas.selection = ["reply"]
    panel.scope.value = "selection"
    assert [(gid, rows) for gid, _, rows in _blocks(panel.table.value)] == [
        ("threat:GRP-FLOW-001", ["GRP-FLOW-001@reply"])
    ]


def test_group_titles_in_the_threat_panel_are_escaped():
    from tests.test_register_formats import by_cause

    evil = "<img src=x onerror=alert(1)>"
    a = by_cause(store=evil)
    wb = _bench(a.model, a.catalog)
    panel = wb.findings
    panel.scope.value = "all"
    html = panel.table.value
    assert evil not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    summaries = [summary for _, summary, _ in _blocks(html)]
    assert summaries[0].startswith(f"high {evil} does not say whether it authorizes each request ")


# ----------------------------------------------------------------------------- decisions
def test_mitigations_offer_the_threats_suggestions_first(wb: Workbench, catalog):
    panel = wb.findings
    panel.finding.value = FINDING
    suggested = list(wb.analysis.finding(FINDING).mitigations)
    values = [v for _, v in panel.mitigations.options]
    assert values[: len(suggested)] == suggested
    assert sorted(values) == sorted(catalog.mitigations)
    labels = [label for label, _ in panel.mitigations.options]
    assert all(label.startswith("★") for label in labels[: len(suggested)])
    assert not any(label.startswith("★") for label in labels[len(suggested) :])
    assert "No mitigation chosen" in panel.controls.value


def test_mitigate_with_mitigations_shows_controls_and_records_them(wb: Workbench, catalog):
    panel = wb.findings
    panel.finding.value = FINDING
    chosen = ("MIT-RATE-LIMIT", "MIT-MONITOR")
    panel.mitigations.value = chosen
    expected = controls_of(chosen, catalog)
    shown = panel.controls.value
    for ids in expected.values():
        for cid in ids:
            assert cid in shown
    other = next(m for m in catalog.mitigations.values() if "SC-7" in m.controls.sp800_53)
    assert "SC-7" not in expected["sp800_53"]
    assert "SC-7" not in shown, other.id
    panel.status.value = "mitigated"
    assert panel.apply()
    decision = wb.model.decision(FINDING)
    assert decision is not None
    assert decision.status == "mitigated"
    assert decision.mitigations == list(chosen)
    entry = next(e for e in build_register(wb.analysis).entries if e.id == FINDING)
    assert entry.residual_score < entry.finding.score
    # another finding and back: the editor shows the recorded mitigations
    panel.finding.value = next(v for _, v in panel.finding.options if v != FINDING)
    assert panel.mitigations.value == ()
    panel.finding.value = FINDING
    assert panel.mitigations.value == chosen
    assert panel.status.value == "mitigated"


def test_reopen_and_transfer(wb: Workbench):
    panel = wb.findings
    panel.finding.value = FINDING
    panel.status.value = "transferred"
    assert not panel.apply()
    assert "needs owner and rationale" in panel.message.value
    assert wb.model.decision(FINDING) is None
    panel.owner.value = "insurer"
    panel.rationale.value = "covered by the <policy>"
    assert panel.apply()
    assert _status(wb, FINDING) == "transferred"
    assert "transferred" in panel.message.value
    panel.status.value = "open"
    assert panel.apply()
    assert _status(wb, FINDING) == "open"
    assert f"data-finding='{FINDING}' data-status='open'" in panel.table.value


def test_accept_with_a_review_date_then_it_expires(wb: Workbench):
    panel = wb.findings
    panel.scope.value = "all"
    panel.finding.value = FINDING
    assert "can " in unescape(panel.statement.value)  # the finding as a threat statement
    panel.status.value = "accepted"
    panel.owner.value = "Risk owner"
    panel.rationale.value = "low exposure until launch"
    panel.review_by.value = dt.date(2027, 3, 1)
    assert panel.apply()
    decision = wb.model.decision(FINDING)
    assert decision is not None
    assert decision.review_by == dt.date(2027, 3, 1)
    assert "review by 2027-03-01" in unescape(panel.table.value)
    panel.finding.value = FINDING
    assert "review by 2027-03-01" in unescape(panel.statement.value)
    # a date in the past: the acceptance has expired and the finding counts as open again
    panel.review_by.value = dt.date(2026, 11, 1)
    assert panel.apply()
    table = unescape(panel.table.value)
    assert f"data-finding='{FINDING}' data-status='accepted' data-expired='true'" in table
    assert "accepted until 2026-11-01, expired: review it" in table
    assert "expired: review it" in unescape(panel.statement.value)
    # clearing the date of an acceptance gives it today's date plus the review cadence
    panel.review_by.value = None
    assert panel.apply()
    decision = wb.model.decision(FINDING)
    assert decision is not None
    assert decision.review_by is not None
    assert decision.review_by > dt.date(2026, 12, 1)


def _status(wb: Workbench, finding: str) -> str | None:
    decision = wb.model.decision(finding)
    return decision.status if decision else None


# ----------------------------------------------------------------------------- PASTA
def _stage(wb: Workbench, number: int):
    return wb.pasta.statuses[number - 1]


def test_pasta_shows_done_and_missing_and_follows_edits(wb: Workbench):
    wb.tabs.selected_index = 1  # a hidden view does not follow edits (see below)
    pasta = wb.pasta
    assert "no objectives recorded" in _stage(wb, 1).missing
    assert "no objectives recorded" in pasta.stage_status[0].value
    assert "to do" in pasta.accordion.get_title(0)
    pasta.objective_title.value = "Never leak <customer> data"
    pasta.objective_impact.value = "severe"
    pasta.objective_elements.value = ("bot",)
    assert pasta.add_objective_clicked()
    objective = wb.model.objectives[0]
    assert (objective.title, objective.impact, objective.elements) == (
        "Never leak <customer> data",
        "severe",
        ["bot"],
    )
    assert "no objectives recorded" not in _stage(wb, 1).missing
    assert "&lt;customer&gt;" in pasta.details[0].value
    assert "<customer>" not in pasta.details[0].value
    # the objective raises impact (one step above the catalog's default): the analysis
    # followed the edit
    default = wb.analysis.catalog.threats[FINDING.split("@")[0]].impact
    assert wb.analysis.finding(FINDING).impact == min(5, default + 1)
    assert any("objective" in n for n in wb.analysis.finding(FINDING).scoring)

    pasta.accept_up_to.value = "medium"
    pasta.statement.value = "We accept medium risks."
    assert pasta.set_tolerance_clicked()
    assert wb.model.risk_tolerance.accept_up_to == "medium"
    assert _stage(wb, 1).complete
    assert pasta.accordion.get_title(0).endswith("✓")

    before = [m for m in _stage(wb, 5).missing if "without a decision" in m]
    wb.model = wb.model.set_decision(_decision(FINDING, "mitigated"))
    after = [m for m in _stage(wb, 5).missing if "without a decision" in m]
    count = int(before[0].split()[0])
    assert (int(after[0].split()[0]) if after else 0) == count - 1


def test_hidden_views_catch_up_when_their_tab_is_shown(wb: Workbench):
    assert wb.tabs.selected_index == 0
    assert wb.pasta.stale  # never drawn yet: the threats tab is shown first
    assert wb.pasta.statuses == ()
    wb.tabs.selected_index = 1
    missing = list(_stage(wb, 1).missing)
    assert "no objectives recorded" in missing
    wb.tabs.selected_index = 0
    objective = Objective(id="obj-x", title="Keep data private", impact="severe")
    wb.model = wb.model.replace(objectives=[objective])
    assert wb.pasta.stale  # hidden: not recomputed on the edit
    assert wb.controls.stale
    assert list(_stage(wb, 1).missing) == missing
    wb.tabs.selected_index = 1
    assert not wb.pasta.stale
    assert "no objectives recorded" not in _stage(wb, 1).missing
    assert wb.controls.stale  # still hidden
    wb.tabs.selected_index = 2
    assert not wb.controls.stale


def test_pasta_refuses_invalid_objectives(wb: Workbench):
    pasta = wb.pasta
    assert not pasta.add_objective_clicked()  # no title
    assert "Refused" in pasta.message.value
    pasta.objective_title.value = "x" * 500  # longer than a name may be
    before = wb.model
    assert not pasta.add_objective_clicked()
    assert "Refused" in pasta.message.value
    assert wb.model is before


def test_pasta_navigation(wb: Workbench):
    wb.tabs.selected_index = 1  # the PASTA tab
    pasta = wb.pasta
    assert pasta.accordion.selected_index == 0
    pasta.previous.click()
    assert pasta.accordion.selected_index == 0
    for _ in range(10):
        pasta.next.click()
    assert pasta.accordion.selected_index == 6
    assert "data-role='inherent'" in pasta.details[6].value


def test_pasta_threat_and_weakness_stages_are_grouped(rag: Workbench):
    rag.tabs.selected_index = 1  # the PASTA tab
    a = rag.analysis
    order = [m for g in a.groups for m in g.members]
    for detail, stage in ((rag.pasta.details[3], 4), (rag.pasta.details[4], 5)):
        blocks = _blocks(detail.value)
        assert blocks
        shown = [f for _, _, rows in blocks for f in rows]
        assert {a.finding(f).pasta_stage for f in shown} == {stage}
        assert shown == [f for f in order if f in set(shown)]  # worst group first


def test_choosing_an_attack_path_highlights_it(rag: Workbench):
    rag.tabs.selected_index = 1  # the PASTA tab
    pasta = rag.pasta
    paths = rag.analysis.attack_paths
    assert len(pasta.path_list.options) == min(len(paths), 100)
    path = paths[1]
    pasta.path_list.value = path.id
    highlighted = list(rag.canvas.highlight)
    assert highlighted[0] == path.source
    assert set(path.elements) <= set(highlighted)
    assert {f for s in path.steps for f in s.flows} <= set(highlighted)
    assert set(highlighted) <= set(rag.model.ids())
    pasta.clear_button.click()
    assert list(rag.canvas.highlight) == []
    assert pasta.path_list.value is None


def test_an_attack_path_is_walked_step_by_step_in_its_direction(rag: Workbench):
    rag.tabs.selected_index = 1
    pasta = rag.pasta
    paths = rag.analysis.attack_paths
    path = next(p for p in paths if any(s.kind == "access" for s in p.steps) and len(p.steps) > 1)
    pasta.path_list.value = path.id
    rows = re.findall(r"<tr data-step='(\d+)'[^>]*?data-state='(\w+)'", pasta.steps.value)
    assert [int(i) for i, _ in rows] == list(range(len(path.steps) + 1))
    assert {state for _, state in rows} == {"walked", "current"}
    flows = {f.id: f for f in rag.model.flows}
    # the first step forward starts again at the source: only the source is highlighted
    pasta.step_forward.click()
    assert list(rag.canvas.highlight) == [path.source]
    assert pasta.step_back.disabled
    for n, step in enumerate(path.steps, start=1):
        before = set(rag.canvas.highlight)
        pasta.step_forward.click()
        added = set(rag.canvas.highlight) - before
        assert added == {step.flow, step.element} - before
        flow = flows[step.flow]
        reached_from = path.elements[n - 1]
        if step.kind == "send":  # along the flow's direction
            assert (flow.source, flow.target) == (reached_from, step.element)
        else:  # the access of the element before, over a flow it initiates
            assert (flow.target, flow.source) == (reached_from, step.element)
        current = re.search(r"<tr data-step='(\d+)' data-kind='(\w+)'[^>]*data-state='current'",
                            pasta.steps.value)  # fmt: skip
        assert current is not None
        assert current.groups() == (str(n), step.kind)
    pasta.step_back.click()
    assert step_ids(path, len(path.steps) - 1) == list(rag.canvas.highlight)
    label = next(lab for lab, pid in pasta.path_list.options if pid == path.id)
    assert ACCESS_ARROW.strip() in label


def test_risk_matrix_cells_match_the_register(wb: Workbench):
    wb.tabs.selected_index = 1  # the PASTA tab
    html = wb.pasta.details[6].value
    entries = build_register(wb.analysis).entries
    for e in entries:
        lk, im = e.finding.likelihood, e.finding.impact
        n = sum(1 for x in entries if (x.finding.likelihood, x.finding.impact) == (lk, im))
        assert f"data-likelihood='{lk}' data-impact='{im}' data-count='{n}'" in html
    counts = [int(n) for n in re.findall(r"data-count='(\d+)'", html)]
    assert sum(counts) == 2 * len(entries)  # inherent and residual grids


# ----------------------------------------------------------------------------- controls
def test_controls_view_lists_a_control_only_after_a_mitigate_decision(wb: Workbench, catalog):
    wb.tabs.selected_index = 2
    view = wb.controls
    assert "data-control=" not in view.table.value
    assert all(fc.in_place == 0 for fc in view.coverage)
    panel = wb.findings
    panel.finding.value = FINDING
    panel.mitigations.value = ("MIT-RATE-LIMIT",)
    panel.status.value = "open"  # chosen, not yet implemented
    assert panel.apply()
    assert "data-control=" not in view.table.value
    view.show.value = "planned"
    assert "data-control='SC-5'" in view.table.value
    view.show.value = "in_place"
    panel.status.value = "mitigated"
    assert panel.apply()
    expected = controls_of(["MIT-RATE-LIMIT"], catalog)
    shown = re.findall(r"data-framework='(\w+)' data-control='([^']+)'", view.table.value)
    assert sorted(shown) == sorted((fw, c) for fw, ids in expected.items() for c in ids)
    assert FINDING in view.table.value
    # cross-check against the register: each in-place control is addressed by FINDING
    for fc in view.coverage:
        for c in fc.addressed:
            assert c.addressed_by == (FINDING,)
    view.show.value = "all"
    assert len(re.findall("data-control=", view.table.value)) == sum(
        len(fc.controls) for fc in view.coverage
    )


# ----------------------------------------------------------------------------- load / export
def test_load_replaces_the_live_model(wb: Workbench, tmp_path: Path):
    other = ThreatModel.from_template("rag_assistant")
    path = tmp_path / "rag.yaml"
    other.save(path)
    wb.path.value = str(path)
    wb.load_button.click()
    assert "Loaded" in wb.status.value
    assert wb.model == other
    assert other.system.name in wb.title.value
    assert {f.target for f in wb.analysis.findings} <= other.ids()
    assert "bot" not in {n["id"] for n in wb.canvas.payload()["nodes"]}


def test_load_errors_keep_the_model(wb: Workbench, tmp_path: Path):
    before = wb.model
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("kind: llm_app", "kind: <llm>"), encoding="utf-8")
    wb.path.value = str(bad)
    wb.load_button.click()
    assert "Not loaded" in wb.status.value
    assert "bad.yaml" in wb.status.value
    assert "<llm>" not in wb.status.value
    assert wb.model is before
    wb.path.value = str(tmp_path / "missing.yaml")
    wb.load_button.click()
    assert "Not loaded" in wb.status.value
    assert wb.model is before


@pytest.mark.slow
def test_export_html_and_model_cards(catalog, tmp_path: Path):
    model = ThreatModel.from_template("rag_assistant")
    path = tmp_path / "rag.yaml"
    model.save(path)
    wb = _bench(ThreatModel.load(path), catalog)
    wb.export_format.value = "html"
    wb.export_button.click()
    assert "Exported rag.html" in wb.status.value, wb.status.value
    report = (tmp_path / "rag.html").read_text(encoding="utf-8")
    assert model.system.name in report
    assert wb.progress.value == wb.progress.max
    assert wb.progress.bar_style == "success"
    wb.export_format.value = "md"
    wb.export_button.click()
    cards = sorted(tmp_path.glob("*.model-card.md"))
    assert cards
    assert all(p.name in wb.status.value for p in cards)
    assert cards[0].read_text(encoding="utf-8").startswith("---")


def test_failing_export_shows_the_error(rag: Workbench, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    rag.path.value = str(blocker / "model.yaml")  # its folder is a file
    before = rag.model
    rag.export_format.value = "md"
    rag.export_button.click()
    assert "Export failed" in rag.status.value
    assert rag.progress.bar_style == "danger"
    assert rag.model is before
    assert blocker.read_text(encoding="utf-8") == "x"


def test_tab_hooks(wb: Workbench):
    pasta_box, controls_box = wb.tabs.children[1:]
    assert "atw-tab-pasta" in pasta_box._dom_classes
    assert "atw-tab-controls" in controls_box._dom_classes
    assert pasta_box.children == ()  # built when first shown
    wb.tabs.selected_index = 1
    assert pasta_box.children == (wb.pasta.widget,)
    assert controls_box.children == ()
    assert wb.controls.widget in controls_box.children  # or when first used
    for control, hook in (
        (wb.load_button, "atw-load"),
        (wb.export_button, "atw-export"),
        (wb.export_format, "atw-export-format"),
        (wb.findings.stride_filter, "atw-filter-stride"),
        (wb.findings.layer_filter, "atw-filter-layer"),
        (wb.findings.risk_filter, "atw-filter-risk"),
        (wb.findings.mitigations, "atw-decision-mitigations"),
        (wb.findings.controls, "atw-decision-controls"),
    ):
        assert hook in control._dom_classes
    assert [wb.tabs.get_title(i) for i in range(3)] == [
        "Inspector and threats",
        "PASTA",
        "Controls",
    ]


def test_in_a_kernel_the_first_table_follows_the_cell(catalog, monkeypatch: pytest.MonkeyPatch):
    """In a kernel the threat panel's first table is written just after the cell that
    built it (the canvas is shown first); outside one at once."""
    import widgets.findings

    later: list[object] = []

    class Loop:
        def call_soon(self, callback: object, *args: object) -> None:
            later.append(lambda: callback(*args))  # type: ignore[operator]

    monkeypatch.setattr(widgets.findings, "kernel_loop", lambda: Loop())
    bench = _bench(ThreatModel.from_yaml(SMALL), catalog)
    panel = bench.findings
    assert "(…)" in panel.heading.value
    assert panel.table.value == ""
    for run in later:
        run()  # type: ignore[operator]
    assert "All findings" in panel.heading.value
    assert "(…)" not in panel.heading.value
    assert "data-finding" in panel.table.value


class _Timer:
    def __init__(self, callback: object) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Loop:
    """A kernel's event loop as the workbench uses it: timers kept, run by hand."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, _Timer]] = []

    def call_later(self, delay: float, callback: object) -> _Timer:
        timer = _Timer(callback)
        self.timers.append((delay, timer))
        return timer


def test_in_a_kernel_the_panels_follow_the_canvas_first_frame(
    catalog, monkeypatch: pytest.MonkeyPatch
):
    """In a kernel the inspector and the threat panel are built when the canvas says it
    drew its first frame (the browser draws the canvas first), once; the tab holds them
    then."""
    import widgets.workbench

    loop = _Loop()
    monkeypatch.setattr(widgets.workbench, "kernel_loop", lambda: loop)
    bench = _bench(ThreatModel.from_yaml(SMALL), catalog)
    assert bench._threats.children == ()
    assert bench._findings is None
    assert bench._inspector is None
    [(delay, timer)] = loop.timers
    assert delay == widgets.workbench.PANELS_AT_THE_LATEST
    bench.canvas._on_front_end_msg(bench.canvas, {"op": "painted"}, [])
    assert timer.cancelled
    panel, inspector = bench._findings, bench._inspector
    assert panel is not None
    assert inspector is not None
    assert bench._threats.children == (inspector.widget, panel.widget)
    assert "atw-findings-panel" in panel.widget._dom_classes
    # another view's first frame, or the timer, builds nothing again
    bench.canvas._on_front_end_msg(bench.canvas, {"op": "painted"}, [])
    timer.callback()
    assert bench.findings is panel
    assert bench.inspector is inspector
    assert bench.canvas.last_refusal == ""  # "painted" is no edit


def test_in_a_kernel_the_panels_come_without_a_frame(catalog, monkeypatch: pytest.MonkeyPatch):
    """No view draws (the workbench is not shown): the panels come after
    PANELS_AT_THE_LATEST seconds, or at once when used."""
    import widgets.workbench

    loop = _Loop()
    monkeypatch.setattr(widgets.workbench, "kernel_loop", lambda: loop)
    bench = _bench(ThreatModel.from_yaml(SMALL), catalog)
    [(_, timer)] = loop.timers
    timer.callback()  # type: ignore[operator]
    assert len(bench._threats.children) == 2
    used = _bench(ThreatModel.from_yaml(SMALL), catalog)
    assert used.findings.register is not None  # built (and refreshed) on first use
    assert len(used._threats.children) == 2


def test_in_a_kernel_the_panels_come_before_the_next_cell(catalog, monkeypatch: pytest.MonkeyPatch):
    """A notebook run without a front end (nbconvert --execute) draws no frame: the panels
    are built before the next cell runs, so that the widget state it saves holds them."""
    import types

    import IPython
    from IPython.core.events import EventManager, available_events

    import widgets.workbench

    loop = _Loop()
    events = EventManager(None, available_events)  # type: ignore[arg-type]  # no shell needed
    monkeypatch.setattr(widgets.workbench, "kernel_loop", lambda: loop)
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(events=events))
    bench = _bench(ThreatModel.from_yaml(SMALL), catalog)
    assert bench._findings is None
    events.trigger("pre_run_cell", object())
    panel = bench._findings
    assert panel is not None
    assert len(bench._threats.children) == 2
    [(_, timer)] = loop.timers
    assert timer.cancelled
    assert events.callbacks["pre_run_cell"] == []  # once: the next cells run as before
    bench.canvas._on_front_end_msg(bench.canvas, {"op": "painted"}, [])
    assert bench.findings is panel
