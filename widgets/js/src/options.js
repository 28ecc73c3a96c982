// vis-network options of the canvas. Pure data, so Node's test runner can check them
// (widgets/js/test/options.test.js).
//
// Physics stays off and positions are stored: 500 nodes paint in ~0.3 s without physics,
// 2.5 s with. Keyboard handling is the canvas's own (keys.js), not vis-network's.

// onAddEdge(data, callback): vis-network's addEdge hook, called when a flow is drawn.
export function networkOptions(onAddEdge) {
  return {
    autoResize: true,
    physics: { enabled: false },
    layout: { randomSeed: 1, improvedLayout: false },
    interaction: {
      hover: true,
      multiselect: true,
      selectConnectedEdges: false,
      keyboard: false,
      tooltipDelay: 400,
    },
    manipulation: { enabled: false, addEdge: onAddEdge },
    nodes: { scaling: { label: { drawThreshold: 3 } } },
    edges: { selfReference: { size: 0 }, scaling: { label: { drawThreshold: 4 } } },
  };
}
