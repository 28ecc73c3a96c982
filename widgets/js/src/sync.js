// Applying what Python sends ("reset" and "patch" messages) to the drawn items. Pure
// apart from the DataSet-like stores it is handed (anything with add, update, remove
// and clear, such as vis-data's DataSet or a test's fake).
//
// A patch carries, per section (nodes, edges, boundaries), `add` and `update` (whole
// items) and `remove` (IDs), and the revision it applies to (`base`) and leads to (`rev`).

// Remove, add, then update one section's items in a DataSet.
export function applySection(ds, changes, convert) {
  if (!changes) return;
  if (changes.remove.length) ds.remove(changes.remove);
  if (changes.add.length) ds.add(changes.add.map(convert));
  if (changes.update.length) ds.update(changes.update.map(convert));
}

// A patch made for another revision than the one drawn: the view missed an update and
// must ask for the whole payload.
export function isStale(msg, rev) {
  return msg.base !== rev;
}

// The boundary list after a patch's boundary changes (unchanged when it has none):
// removed IDs dropped, added and updated ones replaced by ID, order kept.
export function mergeBoundaries(boundaries, changes) {
  if (!changes) return boundaries;
  const gone = new Set(changes.remove);
  const byId = new Map(boundaries.filter((b) => !gone.has(b.id)).map((b) => [b.id, b]));
  for (const b of [...changes.add, ...changes.update]) byId.set(b.id, b);
  return [...byId.values()];
}

// Apply a patch to the node and edge stores and return the new boundary list. Flows go
// first out and last in: a removed flow may point at a removed element, and an added
// flow may point at an added one.
export function applyPatch({ nodes, edges, toNode, toEdge }, boundaries, msg) {
  if (msg.edges) applySection(edges, { add: [], update: [], remove: msg.edges.remove }, toEdge);
  applySection(nodes, msg.nodes, toNode);
  if (msg.edges) applySection(edges, { ...msg.edges, remove: [] }, toEdge);
  return mergeBoundaries(boundaries, msg.boundaries);
}

// Replace everything drawn with a whole payload (a "reset" message or the snapshot) and
// return its boundary list.
export function applyReset({ nodes, edges, toNode, toEdge }, msg) {
  nodes.clear();
  edges.clear();
  nodes.add(msg.nodes.map(toNode));
  edges.add(msg.edges.map(toEdge));
  return msg.boundaries;
}

// The counts the root element shows in its data attributes and the status line.
export function statusText(nodeCount, edgeCount) {
  return `${nodeCount} elements · ${edgeCount} flows`;
}
