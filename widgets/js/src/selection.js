// Selection bookkeeping between vis-network and the widget's `selection` trait (a list
// of element and flow IDs). Pure, so Node's test runner can import it
// (widgets/js/test/selection.test.js).

// Whether two ID lists hold the same IDs, in any order.
export function sameIds(a, b) {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

// The IDs of a vis-network selection ({nodes, edges}), elements first.
export function selectedIds(sel) {
  return [...sel.nodes, ...sel.edges];
}

// The trait's IDs split into vis-network's {nodes, edges}, dropping IDs no longer drawn
// (the selection is pruned after deletes). isNode(id), isEdge(id): drawn.
export function splitSelection(wanted, isNode, isEdge) {
  return { nodes: wanted.filter((id) => isNode(id)), edges: wanted.filter((id) => isEdge(id)) };
}
