"""The attack tree view (PASTA stage 6): the attack tree of one crown jewel or business
objective (:mod:`workbench.attack_trees`) as an HTML tree that folds and unfolds
(``<details>``), with a list of its nodes. Unfolding a node (its toggle: a click on its
summary, or Enter on it) highlights its route on the canvas
(:meth:`widgets.Canvas.highlight_path`), as choosing it in the list does; folding the
highlighted node (or one above it) clears the highlight.

Every text is escaped: the HTML is built with the safe-HTML kit
(:mod:`workbench.export.safehtml`). The view follows nothing by itself: its owner (the
PASTA view) calls :meth:`AttackTreeView.refresh` when the model or the analysis changed.
"""

from __future__ import annotations

import anywidget
import ipywidgets as w
import traitlets

from workbench.attack_trees import AttackTree, TreeBuilder, TreeNode
from workbench.attack_trees.formats import MARKS, cut_set_words, risk
from workbench.export.safehtml import Html, join
from workbench.export.safehtml import h_single as h

from .canvas import Canvas

STYLE = (
    ".atw-tree details{margin-left:14px}"
    ".atw-tree>details{margin-left:0}"
    ".atw-tree summary{cursor:pointer;padding:1px 0}"
    ".atw-tree .atw-gate{display:inline-block;min-width:28px;font-size:11px;font-weight:600;"
    "color:#475569;border:1px solid #94a3b8;border-radius:3px;text-align:center;"
    "margin-right:4px;padding:0 2px}"
    ".atw-tree [data-cut=true]>summary,.atw-tree div[data-cut=true]{color:#15803d}"
    ".atw-tree .atw-tree-leaf{margin-left:14px;padding:1px 0}"
    ".atw-tree .atw-tree-more{color:#64748b;font-style:italic}"
    ".atw-tree .atw-tree-detail{margin:0 0 2px 32px;color:#475569;font-size:12px}"
    ".atw-tree .atw-risk{color:#b45309;font-size:12px;margin-left:6px}"
)
"""The tree's style sheet (a constant)."""

GATES = {"or": "OR", "and": "AND", "leaf": ""}


TREE_ESM = """
function render({ model, el }) {
  const draw = () => { el.innerHTML = model.get("value"); };
  draw();
  model.on("change:value", draw);
  // a node's toggle: a click on its summary (Enter and Space on it click too); read
  // before the browser flips it, so only people's toggles count (not the open
  // attribute of a fresh drawing)
  el.addEventListener("click", (event) => {
    const summary = event.target.closest("summary");
    if (!summary || !el.contains(summary)) return;
    const node = summary.parentElement;
    if (!node || node.tagName !== "DETAILS" || !node.dataset.node) return;
    const count = (model.get("toggled").count || 0) + 1;
    model.set("toggled", { node: node.dataset.node, open: !node.open, count });
    model.save_changes();
  });
}
export default { render };
"""
"""The tree's browser side: draws :attr:`TreeHTML.value` and reports each toggle."""


class TreeHTML(anywidget.AnyWidget):
    """The tree's HTML (:func:`tree_html`), drawn like an ``ipywidgets.HTML``, that
    tells Python when someone unfolds or folds a node (:attr:`toggled`)."""

    _esm = TREE_ESM
    value = traitlets.Unicode("").tag(sync=True)
    """The HTML drawn (built with the safe-HTML kit: every text escaped)."""
    toggled = traitlets.Dict().tag(sync=True)
    """The last toggle in the browser: ``{"node": ID, "open": bool, "count": n}``
    (``count`` grows with each, so the same toggle twice still changes it)."""


def tree_html(tree: AttackTree) -> Html:
    """The tree as nested ``<details>`` (the root and the entry points open), each node
    marked with ``data-node``, ``data-kind`` and ``data-cut``; the cut sets below it."""
    cuts = cut_set_words(tree)
    return join(
        h("style", STYLE),
        h("div", _node_html(tree, tree.root, 0), class_="atw-tree", data_goal=tree.goal),
        h("p", h("b", "Cut sets"), " (mitigations that, put in place, cut every way):")
        if cuts
        else h("p", h("i", "No cut set of at most 4 mitigations.")),
        h("ol", [h("li", c) for c in cuts], class_="atw-cut-sets") if cuts else None,
        h(
            "p",
            h(
                "small",
                "OR: any one child is enough; AND: every step is needed. ✓ in place (a "
                "mitigated decision names it), ◐ shown in the model (lowers the likelihood, "
                "does not cut), ✗ not in place. Green: cut.",
            ),
        ),
    )


def _head(node: TreeNode) -> list[object]:
    parts: list[object] = []
    gate = GATES[node.gate]
    if gate:
        parts.append(h("span", gate, class_="atw-gate"))
    parts.append(node.label)
    if node.kind in ("goal", "element", "entry", "way") and node.score:
        parts.append(h("span", risk(node.score), class_="atw-risk"))
    if node.kind == "finding":
        parts.append(h("small", f" {node.findings[0]}"))
    if node.cut:
        parts.append(h("b", " ✓ cut"))
    return parts


def _detail(node: TreeNode) -> Html | None:
    lines: list[object] = []
    if node.detail:
        lines.append(h("div", node.detail))
    if node.references:
        lines.append(h("div", "Techniques: ", ", ".join(dict.fromkeys(node.references))))
    cutters = [m for m in node.mitigations if m.cuts]
    if cutters:
        words = ", ".join(f"{m.title} {MARKS[m.state]}" for m in cutters)
        what = "Cut by any one of" if node.kind == "finding" else "Cut on their own by"
        lines.append(h("div", f"{what}: {words}"))
    if node.kind != "finding" and node.cut_sets and not node.mitigations:
        sets = "; ".join(" + ".join(s) for s in node.cut_sets)
        lines.append(h("div", f"Cut sets: {sets}"))
    return h("div", lines, class_="atw-tree-detail") if lines else None


def _node_html(tree: AttackTree, node: TreeNode, depth: int) -> Html:
    attrs = {"data_node": node.id, "data_kind": node.kind, "data_cut": str(node.cut).lower()}
    if not node.children:
        cls = "atw-tree-leaf atw-tree-more" if node.kind == "more" else "atw-tree-leaf"
        return h("div", h("div", *_head(node)), _detail(node), class_=cls, **attrs)
    opened = node.kind in ("goal", "element", "entry")
    return h(
        "details",
        h("summary", *_head(node)),
        _detail(node),
        [_node_html(tree, c, depth + 1) for c in node.children],
        open=opened,
        **attrs,
    )


def node_options(tree: AttackTree) -> list[tuple[str, str]]:
    """(label, node ID) of every node, indented by depth (non-breaking spaces), for the
    list that highlights a node's route."""
    out: list[tuple[str, str]] = []

    def visit(node: TreeNode, depth: int) -> None:
        gate = GATES[node.gate]
        label = f"{gate} · {node.label}" if gate else node.label
        out.append(("\u00a0\u00a0" * depth + label, node.id))
        for child in node.children:
            visit(child, depth + 1)

    visit(tree.root, 0)
    return out


class AttackTreeView:
    """The attack tree of a goal chosen among the crown jewels and business objectives of
    ``canvas.model``; ``view.widget`` is the ipywidgets view."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.tree: AttackTree | None = None
        self.goal = w.Dropdown(description="Goal", layout=w.Layout(width="100%"))
        self.html = TreeHTML()
        self.nodes = w.Select(rows=8, layout=w.Layout(width="100%"))
        self.clear_button = w.Button(description="Clear highlight", icon="eraser")
        self.goal.observe(lambda _: self._goal_chosen(), names="value")
        self.nodes.observe(lambda _: self._node_chosen(), names="value")
        self.html.observe(lambda change: self._toggled(change["new"]), names="toggled")
        self.clear_button.on_click(lambda _: self.highlight(None))
        self.widget = w.VBox(
            [
                w.HTML(h("b", "Attack trees")),
                self.goal,
                self.html,
                w.HTML(h("small", "Choose a node to highlight its route on the canvas:")),
                self.nodes,
                self.clear_button,
            ]
        )
        for control, name in (
            (self.widget, "attack-trees"),
            (self.goal, "attack-tree-goal"),
            (self.html, "attack-tree"),
            (self.nodes, "attack-tree-nodes"),
            (self.clear_button, "attack-tree-clear"),
        ):
            control.add_class(f"atw-{name}")

    def refresh(self) -> None:
        """Offer the model's goals again and redraw the chosen goal's tree."""
        analysis = self.canvas.analysis
        if analysis is None:
            self.goal.options, self.tree = [], None
            self.html.value = h("i", "No analysis.")
            self.nodes.options = []
            return
        builder = TreeBuilder(analysis)
        options = [(title, goal) for goal, _, title in builder.goals()]
        current = self.goal.value
        if tuple(self.goal.options) != tuple(options):
            self.goal.options = options
        ids = [goal for _, goal in options]
        chosen = current if current in ids else (ids[0] if ids else None)
        if self.goal.value != chosen:
            self.goal.value = chosen  # draws through _goal_chosen
        else:
            self.show(chosen, builder)

    def _goal_chosen(self) -> None:
        analysis = self.canvas.analysis
        if analysis is not None:
            self.show(self.goal.value, TreeBuilder(analysis))

    def show(self, goal: str | None, builder: TreeBuilder | None = None) -> None:
        """Draw the tree of ``goal`` (an element or objective ID; ``None``: nothing)."""
        analysis = self.canvas.analysis
        if goal is None or analysis is None:
            self.tree = None
            self.html.value = h("p", h("i", "The model has no crown jewel or objective."))
            self.nodes.options = []
            return
        builder = builder or TreeBuilder(analysis)
        self.tree = builder.tree(goal)
        self.html.value = tree_html(self.tree)
        chosen = self.nodes.value
        options = node_options(self.tree)
        if tuple(self.nodes.options) != tuple(options):
            self.nodes.options = options
        self.nodes.value = chosen if chosen in {i for _, i in options} else None

    def _node_chosen(self) -> None:
        self.highlight(self.nodes.value)

    def _toggled(self, toggle: dict[str, object]) -> None:
        """Someone unfolded a node: highlight its route; folded the highlighted node or
        one above it: clear the highlight."""
        node_id = toggle.get("node")
        if self.tree is None or not isinstance(node_id, str):
            return
        if not any(n.id == node_id for n in self.tree.nodes()):
            return  # a toggle on a tree drawn before
        if toggle.get("open"):
            self.highlight(node_id)
            return
        chosen = self.nodes.value
        if chosen is not None and (chosen == node_id or chosen.startswith(node_id + ".")):
            self.highlight(None)

    def highlight(self, node_id: str | None) -> None:
        """Highlight the route of the node ``node_id`` on the canvas (``None``: clear)."""
        if node_id is None or self.tree is None:
            self.canvas.clear_highlight()
            if self.nodes.value is not None:
                self.nodes.value = None
            return
        node = self.tree.node(node_id)
        if node.route:
            self.canvas.highlight_path(list(node.route))
        else:
            self.canvas.clear_highlight()
        if self.nodes.value != node_id:
            self.nodes.value = node_id
