"""The PASTA and controls tabs in a real JupyterLab: the seven stages are there, choosing
an attack path highlights it on the canvas (and dims the rest), clearing restores the
drawing, and the controls tab lists what a mitigate decision put in place. Through the UI
only; screenshots go to ``$ATW_ARTIFACTS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .test_canvas import PANEL, SMOKE, choose, open_workbench, template
from .test_jupyterlab import copy_notebook

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import JupyterLab, PageGuard


def _look(page: Page, item_id: str) -> str | None:
    style: dict[str, Any] | None = page.evaluate(
        "(id) => document.querySelector('.atw-canvas').atw.style(id)", item_id
    )
    return None if style is None else str(style["look"])


def _tab(page: Page, title: str) -> None:
    page.locator(".lm-TabBar-tab", has_text=title).first.click()


@pytest.mark.browser
@pytest.mark.slow
def test_pasta_path_highlight_and_controls_tab(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    from workbench.catalog import load_catalog
    from workbench.engine import analyze
    from workbench.register.coverage import controls_of

    analysis = analyze(template(), load_catalog())
    path = analysis.attack_paths[0]
    on_path = set(path.elements)
    off_path = next(e.id for e in template().elements if e.id not in on_path)

    notebook = copy_notebook(jupyter_lab, SMOKE, "smoke-views.ipynb")
    canvas = open_workbench(page, jupyter_lab, notebook)

    _tab(page, "PASTA")
    pasta = page.locator(".atw-pasta")
    expect(pasta).to_be_visible()
    titles = pasta.locator(".lm-AccordionPanel-title, .jupyter-widget-Collapse-header")
    expect(titles).to_have_count(7)
    titles.nth(5).click()  # stage 6: attack paths
    paths = page.locator(".atw-pasta-paths select")
    expect(paths).to_be_visible()
    options = paths.locator("option")
    assert options.count() >= 1
    paths.select_option(index=0)
    page.wait_for_function(
        "([on, off]) => { const s = document.querySelector('.atw-canvas').atw;"
        " return s.style(on).look === 'on' && s.style(off).look === 'dim'; }",
        arg=[path.elements[0], off_path],
    )
    assert {_look(page, e) for e in on_path} == {"on"}
    assert _look(page, off_path) == "dim"
    canvas.screenshot(path=artifacts / "1-path-highlighted.png")
    pasta.screenshot(path=artifacts / "2-pasta.png")
    # step by step: the first step forward shows only the source, the next adds step 1
    steps = pasta.locator(".atw-path-steps tbody tr")
    expect(steps).to_have_count(len(path.steps) + 1)
    page.locator(".atw-pasta-step-forward button, button.atw-pasta-step-forward").first.click()
    page.wait_for_function(
        "([src, end]) => { const s = document.querySelector('.atw-canvas').atw;"
        " return s.style(src).look === 'on' && s.style(end).look === 'dim'; }",
        arg=[path.source, path.target],
    )
    page.locator(".atw-pasta-step-forward button, button.atw-pasta-step-forward").first.click()
    first = path.steps[0]
    page.wait_for_function(
        "(id) => document.querySelector('.atw-canvas').atw.style(id).look === 'on'",
        arg=first.element,
    )
    current = pasta.locator(".atw-path-steps tr[data-state=current]")
    expect(current).to_have_attribute("data-step", "1")
    expect(current).to_have_attribute("data-kind", first.kind)
    pasta.screenshot(path=artifacts / "3-pasta-step.png")
    page.locator(".atw-pasta-clear").click()
    page.wait_for_function(
        "(id) => document.querySelector('.atw-canvas').atw.style(id).look === 'normal'",
        arg=off_path,
    )

    # a mitigate decision with a mitigation puts its controls in place
    _tab(page, "Inspector and threats")
    finding = next(f for f in analysis.findings if f.mitigations)
    page.locator(f"{PANEL} .atw-scope button", has_text="All").click()
    mitigation = finding.mitigations[0]
    label = f"{finding.risk}: {finding.title} @ {finding.target_name}"
    page.locator(f"{PANEL} .atw-decision-finding select").select_option(label)
    choose(page.locator(f"{PANEL} .atw-decision-status select"), "mitigated")
    page.locator(f"{PANEL} .atw-decision-owner input").fill("Platform team")
    chosen = page.locator(f"{PANEL} .atw-decision-mitigations select")
    # the list is rebuilt for the chosen finding (its threat's mitigations first, starred):
    # wait for that list, and choose again if it is rebuilt between reading and choosing
    ours = chosen.locator("option", has_text=f"({mitigation})").filter(has_text="★")
    for attempt in range(5):
        expect(ours.first).to_be_attached()
        value = ours.first.get_attribute("value")
        assert value is not None
        try:
            chosen.select_option(value=value, timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 4:
                raise
    expect(page.locator(f"{PANEL} .atw-decision-controls")).to_contain_text("Controls")
    page.locator(f"{PANEL} .atw-decision-apply").click()
    expect(page.locator(f"{PANEL} .atw-decision-message")).to_contain_text(
        f"Recorded: {finding.id} is mitigated"
    )
    _tab(page, "Controls")
    view = page.locator(".atw-controls-view")
    expect(view).to_be_visible()
    # with the controls of the decisions the starter already records as mitigated
    already = {m for d in template().decisions if d.status == "mitigated" for m in d.mitigations}
    expected = controls_of(sorted(already | {mitigation}), load_catalog())
    shown = view.locator("[data-control]")
    expect(shown.first).to_be_visible()
    got = {
        (c.get_attribute("data-framework"), c.get_attribute("data-control")) for c in shown.all()
    }
    assert got == {(fw, c) for fw, ids in expected.items() for c in ids}
    view.screenshot(path=artifacts / "3-controls.png")


@pytest.mark.browser
@pytest.mark.slow
def test_threat_panel_groups_findings_by_cause(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    """The threat panel shows one block per finding group, worst first, with the group's
    title, fix and count above its findings; a click on the heading folds the group and
    another unfolds it; choosing a member in the decision editor still records a
    decision on it."""
    from playwright.sync_api import expect

    from workbench.catalog import load_catalog
    from workbench.engine import analyze

    analysis = analyze(template(), load_catalog())
    groups = analysis.groups
    group = next(g for g in groups if len(g.members) > 1)

    notebook = copy_notebook(jupyter_lab, SMOKE, "smoke-groups.ipynb")
    open_workbench(page, jupyter_lab, notebook)
    _tab(page, "Inspector and threats")
    page.locator(f"{PANEL} .atw-scope button", has_text="All").click()
    blocks = page.locator(f"{PANEL} tbody.atw-cause")
    expect(blocks).to_have_count(len(groups))
    assert [b.get_attribute("data-group") for b in blocks.all()] == [g.id for g in groups]
    worst = blocks.first.locator(".atw-cause-head")
    expect(worst).to_be_visible()
    expect(worst).to_contain_text(groups[0].risk)
    expect(worst).to_contain_text(groups[0].title)
    if groups[0].fix:
        expect(worst).to_contain_text(groups[0].fix)

    block = page.locator(f"{PANEL} tbody.atw-cause[data-group='{group.id}']")
    summary = block.locator(".atw-cause-head label")
    rows = block.locator("tr[data-finding]")
    expect(rows).to_have_count(len(group.members))
    assert [r.get_attribute("data-finding") for r in rows.all()] == list(group.members)
    expect(summary).to_contain_text(f"{len(group.members)} findings")
    summary.scroll_into_view_if_needed()
    expect(rows.first).to_be_visible()
    top = summary.bounding_box()
    below = rows.first.bounding_box()
    assert top is not None
    assert below is not None
    assert top["y"] < below["y"]  # the group's header is above its findings
    page.locator(PANEL).screenshot(path=artifacts / "1-groups.png")
    summary.click()  # fold
    expect(rows.first).to_be_hidden()
    expect(summary).to_be_visible()
    summary.click()  # unfold
    expect(rows.first).to_be_visible()

    member = analysis.finding(group.members[-1])
    label = f"{member.risk}: {member.title} @ {member.target_name}"
    page.locator(f"{PANEL} .atw-decision-finding select").select_option(label)
    choose(page.locator(f"{PANEL} .atw-decision-status select"), "mitigated")
    page.locator(f"{PANEL} .atw-decision-apply").click()
    expect(page.locator(f"{PANEL} .atw-decision-message")).to_contain_text(
        f"Recorded: {member.id} is mitigated"
    )
    row = block.locator(f"tr[data-finding='{member.id}']")
    expect(row).to_have_attribute("data-status", "mitigated")
    page.locator(PANEL).screenshot(path=artifacts / "2-decided.png")
    guard.assert_clean()
