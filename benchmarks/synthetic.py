"""Synthetic threat models of a given size, for benchmarks."""

from __future__ import annotations

import random
from typing import Any

from workbench import ThreatModel

KINDS = [
    "data_source",
    "dataset",
    "data_pipeline",
    "vector_store",
    "training_job",
    "model_artifact",
    "inference_endpoint",
    "llm_app",
    "agent",
    "tool",
    "user",
    "log_store",
]


def synthetic_document(
    n_elements: int, flows_per_element: int = 3, seed: int = 7
) -> dict[str, Any]:
    """A valid document with ``n_elements`` elements and about ``flows_per_element`` flows
    per element, spread over nested boundaries. Nine flows in ten go to one of the next 30
    elements, one in ten anywhere: real architectures are local, and a purely random graph
    would make every element a few flows away from every other."""
    rng = random.Random(seed)
    n_boundaries = max(2, n_elements // 50)
    boundaries = [{"id": "internet", "name": "Internet", "trust": "untrusted"}]
    boundaries += [
        {"id": f"b{i}", "name": f"Zone {i}", **({"parent": f"b{i // 4}"} if i else {})}
        for i in range(n_boundaries)
    ]
    assets = [
        {
            "id": f"a{i}",
            "name": f"Asset {i}",
            "classification": rng.choice(["public", "internal", "confidential", "restricted"]),
            "pii": rng.random() < 0.3,
        }
        for i in range(max(3, n_elements // 20))
    ]
    elements = []
    for i in range(n_elements):
        kind = KINDS[i % len(KINDS)]
        elements.append(
            {
                "id": f"e{i}",
                "kind": kind,
                "name": f"{kind} {i}",
                "boundary": "internet" if kind == "user" else f"b{rng.randrange(n_boundaries)}",
                "assets": [f"a{rng.randrange(len(assets))}"] if rng.random() < 0.3 else [],
                "properties": {
                    "exposure": rng.choice(["internet", "internal", "isolated"]),
                    "logging": rng.random() < 0.5,
                },
                "position": {"x": float(i % 40 * 200), "y": float(i // 40 * 120)},
            }
        )
    flows = []
    for i in range(n_elements):
        for j in range(flows_per_element):
            # mostly to nearby elements (systems are built from local neighbourhoods),
            # one link in ten anywhere
            if rng.random() < 0.1:
                t = rng.randrange(n_elements)
            else:
                t = (i + rng.randint(1, 30)) % n_elements
            if t != i:
                flows.append(
                    {
                        "id": f"f{i}_{j}",
                        "source": f"e{i}",
                        "target": f"e{t}",
                        "encrypted": rng.random() < 0.7,
                    }
                )
    return {
        "system": {"name": f"Synthetic {n_elements}"},
        "boundaries": boundaries,
        "assets": assets,
        "elements": elements,
        "flows": flows,
    }


def synthetic_model(n_elements: int, flows_per_element: int = 3, seed: int = 7) -> ThreatModel:
    """:func:`synthetic_document` validated as a model."""
    return ThreatModel.model_validate(synthetic_document(n_elements, flows_per_element, seed))
