"""Model cards for the model elements of a threat model.

A card is Hugging Face style Markdown with YAML front matter holding Hugging Face metadata
keys only (``model_name``, ``tags``, ``pipeline_tag``); its body and a sidecar
``<element>.risk-assessment.json`` carry the risk assessment: the findings, mitigations,
residual risk and references of the model and of the elements of its lifecycle (the jobs
that produce it, its training and evaluation data, its base models, what serves it). The
sections follow Mitchell et al., *Model Cards for Model Reporting* (2019): what the threat
model knows is filled in from real flows (see :mod:`.lineage`), the rest is marked "To be
completed.".

Both are validated locally against ``catalogs/schema/model-card.schema.json`` (no
network). A card also renders to HTML and PDF through the ``risk_html`` / ``risk_pdf``
exporters, and to JSON in the model-card-toolkit v0.0.2 schema.

Every user string is escaped for its target: Markdown (backslash before every character that
starts inline markup, line breaks folded), HTML (:mod:`workbench.export.safehtml`),
YAML (quoted scalars on one line).

The data and its renderers live in separate modules:

- :mod:`.data`: the card's data types (:class:`ModelCard`, its sections and items, the
  :class:`Lineage` of a model) and the kinds that get a card;
- :mod:`.lineage`: the lineage of a model on the graph, and :func:`card_elements`;
- :mod:`.build`: :func:`build_card`, its YAML :func:`front_matter` and :func:`risk_assessment`;
- :mod:`.schema`: local validation of the front matter and the risk assessment;
- :mod:`.markdown`: Markdown with YAML front matter, and :func:`parse_front_matter`;
- :mod:`.html`: HTML sections, one HTML page, PDF;
- :mod:`.mct_json`: model-card-toolkit JSON;
- :mod:`.files`: :func:`write_card`.
"""

from __future__ import annotations

from .build import build_card, front_matter, personal_data, risk_assessment
from .data import (
    BASE_KINDS,
    CARD_KIND,
    CARD_KINDS,
    DATA_KINDS,
    MCT_SCHEMA_VERSION,
    PRODUCER_KINDS,
    SCHEMA_ID,
    SERVING_KINDS,
    STAND_IN_KINDS,
    TBC,
    USER_KINDS,
    CardSection,
    Item,
    Lineage,
    ModelCard,
)
from .files import write_card
from .html import card_html, card_notebook, card_pdf, card_sections
from .lineage import card_elements, lineage
from .markdown import dump_front_matter, md_text, parse_front_matter, to_markdown
from .mct_json import to_mct
from .schema import schema_path, validate_front_matter, validate_risk_assessment

__all__ = [
    "BASE_KINDS",
    "CARD_KIND",
    "CARD_KINDS",
    "DATA_KINDS",
    "MCT_SCHEMA_VERSION",
    "PRODUCER_KINDS",
    "SCHEMA_ID",
    "SERVING_KINDS",
    "STAND_IN_KINDS",
    "TBC",
    "USER_KINDS",
    "CardSection",
    "Item",
    "Lineage",
    "ModelCard",
    "build_card",
    "card_elements",
    "card_html",
    "card_notebook",
    "card_pdf",
    "card_sections",
    "dump_front_matter",
    "front_matter",
    "lineage",
    "md_text",
    "parse_front_matter",
    "personal_data",
    "risk_assessment",
    "schema_path",
    "to_markdown",
    "to_mct",
    "validate_front_matter",
    "validate_risk_assessment",
    "write_card",
]
