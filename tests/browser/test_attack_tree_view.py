"""The attack tree in the PASTA view, in a real JupyterLab: stage 6 shows the tree of the
first crown jewel; unfolding a way (its toggle) shows its steps and highlights its route on
the canvas (and dims the rest), read back through the canvas's test hook; folding it
clears the highlight; choosing a node in the list highlights its route too. Through the
UI only; screenshots go to ``$ATW_ARTIFACTS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .test_canvas import SMOKE, open_workbench, template
from .test_jupyterlab import copy_notebook
from .test_workbench_views import _look, _tab

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import JupyterLab, PageGuard


@pytest.mark.browser
@pytest.mark.slow
def test_unfolding_a_tree_node_highlights_its_route(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    from workbench.attack_trees import attack_tree
    from workbench.catalog import load_catalog
    from workbench.engine import analyze

    analysis = analyze(template(), load_catalog())
    tree = attack_tree(analysis, analysis.crown_jewels[0])  # the view's first goal
    order = [n.id for n in tree.nodes()]
    way = next(n for n in tree.nodes() if n.kind == "way")
    on_route = [i for i in way.route if i in {e.id for e in template().elements}]
    off_route = next(e.id for e in template().elements if e.id not in way.route)
    step = way.children[0]

    notebook = copy_notebook(jupyter_lab, SMOKE, "smoke-attack-tree.ipynb")
    canvas = open_workbench(page, jupyter_lab, notebook)
    _tab(page, "PASTA")
    pasta = page.locator(".atw-pasta")
    expect(pasta).to_be_visible()
    pasta.locator(".lm-AccordionPanel-title, .jupyter-widget-Collapse-header").nth(5).click()
    view = page.locator(".atw-attack-tree")
    expect(view.locator(f".atw-tree[data-goal='{tree.goal}']")).to_be_attached()

    looks = (
        "([on, off]) => { const s = document.querySelector('.atw-canvas').atw;"
        " return on.every((id) => s.style(id).look === 'on') && s.style(off).look === 'dim'; }"
    )
    normal = "(id) => document.querySelector('.atw-canvas').atw.style(id).look === 'normal'"
    assert _look(page, off_route) == "normal"

    # unfold the way through its toggle: its steps appear, and its route is highlighted on
    # the canvas, the rest dimmed (read back through the canvas's test hook)
    node = view.locator(f"details[data-node='{way.id}']")
    expect(node).to_have_count(1)
    node.scroll_into_view_if_needed()
    expect(node).not_to_have_attribute("open", "")
    inner = node.locator(f":scope > [data-node='{step.id}']")
    expect(inner).to_be_hidden()
    node.locator(":scope > summary").click()
    expect(node).to_have_attribute("open", "")
    expect(inner).to_be_visible()
    expect(inner).to_contain_text(step.label)
    page.wait_for_function(looks, arg=[on_route, off_route])
    assert {_look(page, i) for i in on_route} == {"on"}
    assert _look(page, off_route) == "dim"
    canvas.screenshot(path=artifacts / "1-route-highlighted.png")
    view.screenshot(path=artifacts / "2-attack-tree.png")

    # fold it again: the highlight goes
    node.locator(":scope > summary").click()
    expect(node).not_to_have_attribute("open", "")
    page.wait_for_function(normal, arg=off_route)

    # choose it in the node list: the same highlight
    nodes = page.locator(".atw-attack-tree-nodes select")
    expect(nodes.locator("option")).to_have_count(len(order))
    nodes.select_option(index=order.index(way.id))
    page.wait_for_function(looks, arg=[on_route, off_route])

    page.locator(".atw-attack-tree-clear").click()
    page.wait_for_function(normal, arg=off_route)
    guard.assert_clean()
