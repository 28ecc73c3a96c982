// vis-network options of the canvas. Pure data, so Node's test runner can check them
// (widgets/js/test/options.test.js).
//
// Physics stays off and positions are stored: 500 nodes paint in ~0.3 s without physics,
// 2.5 s with. Keyboard handling is the canvas's own (keys.js), not vis-network's.

import { SHOWN_LABEL_THRESHOLD } from "./labels.js";

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
    // Element names: shown at every zoom until the canvas hides them below a zoom level
    // (canvas.js checkLevel sets this one option; elements inherit it).
    nodes: { scaling: { label: { drawThreshold: SHOWN_LABEL_THRESHOLD } } },
    edges: { selfReference: { size: 0 }, scaling: { label: { drawThreshold: 4 } } },
  };
}
