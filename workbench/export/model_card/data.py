"""The data of a model card: the kinds that get one, its sections and their items,
the lineage of a model, and the card itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...engine import Analysis
from ...model import Element
from ...register import Entry

CARD_KINDS = ("model_artifact", "foundation_model_api")
"""Kinds that get a card."""
STAND_IN_KINDS = ("training_job", "fine_tuning_job", "inference_endpoint")
"""Kinds that get a card when the model draws no element of :data:`CARD_KINDS`."""
DATA_KINDS = (
    "dataset",
    "feature_store",
    "document_store",
    "vector_store",
    "data_source",
    "data_store",
    "data_pipeline",
    "labeling",
)
BASE_KINDS = ("model_artifact", "model_hub", "foundation_model_api", "model_registry")
SERVING_KINDS = ("inference_endpoint", "llm_app", "agent")
USER_KINDS = ("user", "external_service", "external_entity")
"""Kinds that are a model's users when they call what serves it (operators configure a
system; they are not its intended users)."""
PRODUCER_KINDS = ("training_job", "fine_tuning_job")
TBC = "To be completed."
CARD_KIND = "model_card"
SCHEMA_ID = "ai-threat-workbench/model-card/v1"
MCT_SCHEMA_VERSION = "0.0.2"


@dataclass(frozen=True)
class Item:
    """One fact of a card section; ``value`` ``None`` means "To be completed."."""

    label: str
    value: str | None


@dataclass(frozen=True)
class CardSection:
    """A section of a model card."""

    title: str
    items: tuple[Item, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lineage:
    """The elements around a model that its card talks about."""

    producers: tuple[Element, ...] = ()
    training_data: tuple[Element, ...] = ()
    data_sources: tuple[Element, ...] = ()
    base_models: tuple[Element, ...] = ()
    evaluations: tuple[Element, ...] = ()
    evaluation_data: tuple[Element, ...] = ()
    serving: tuple[Element, ...] = ()
    users: tuple[Element, ...] = ()
    callers: tuple[Element, ...] = ()
    """What sends requests to the elements that serve the model (past guardrails)."""
    obtained_from: tuple[Element, ...] = ()
    """With no producer drawn: the model hubs it was obtained from."""
    derived: tuple[Element, ...] = ()
    """For a base model: the model artifacts written by the jobs it feeds."""

    def elements(self) -> list[Element]:
        """Every element of the lineage, once."""
        seen: dict[str, Element] = {}
        for group in (
            self.producers,
            self.training_data,
            self.base_models,
            self.evaluations,
            self.evaluation_data,
            self.serving,
        ):
            for e in group:
                seen.setdefault(e.id, e)
        return list(seen.values())


@dataclass(frozen=True)
class ModelCard:
    """A model card: front matter, Mitchell et al. sections, and the risk assessment."""

    element: Element
    system: str
    front_matter: dict[str, Any]
    """Hugging Face model-card metadata only."""
    sections: tuple[CardSection, ...]
    entries: tuple[Entry, ...] = field(repr=False)
    analysis: Analysis = field(repr=False, compare=False)
    risk_assessment: dict[str, Any] = field(default_factory=dict, repr=False)
    """The risk assessment as data (the sidecar JSON; its schema:
    ``$defs/risk_assessment`` of ``catalogs/schema/model-card.schema.json``)."""

    @property
    def title(self) -> str:
        """The card's title."""
        return f"Model card: {self.element.name}"
