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

// The element a search finds: its ID typed exactly, else the best match of its name
// (case ignored): the whole name, then a name that starts with the query, then one that
// holds it; ties go to the shorter name, then the lower ID. null when nothing matches.
// nodes: [{id, label}].
export function findElement(query, nodes) {
  const q = String(query || "").trim().toLowerCase();
  if (!q) return null;
  let best = null;
  let bestKey = null;
  for (const n of nodes) {
    const id = String(n.id);
    const name = String(n.label || "").toLowerCase();
    let rank;
    if (id.toLowerCase() === q) rank = 0;
    else if (name === q) rank = 1;
    else if (name.startsWith(q)) rank = 2;
    else if (name.includes(q) || id.toLowerCase().includes(q)) rank = 3;
    else continue;
    const key = [rank, name.length, id];
    if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1]
        || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
      best = id;
      bestKey = key;
    }
  }
  return best;
}
