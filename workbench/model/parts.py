"""The parts of a threat model: system, scope, objectives, assets, boundaries, elements,
flows and decisions. Every model is strict and frozen; every field is documented."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .kinds import ElementKind
from .types import (
    AssetId,
    AssetRefs,
    BoundaryId,
    Classification,
    Controls,
    DecisionStatus,
    ElementId,
    ElementRefs,
    Exposure,
    FindingId,
    FlowId,
    ImpactLevel,
    InputModality,
    Label,
    LifecycleStage,
    Link,
    MitigationRefs,
    ModelType,
    Name,
    ObjectiveId,
    Owners,
    RiskLevel,
    Score,
    ShortText,
    Tags,
    Term,
    Text,
    Texts,
    empty_list,
)


class Strict(BaseModel):
    """Base of every model part: unknown keys are errors, values are not coerced."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        use_attribute_docstrings=True,
        validate_default=False,
    )


class SystemInfo(Strict):
    """What system the threat model describes."""

    name: Name
    """Name of the AI system."""
    description: Text = ""
    """What the system does and for whom."""
    version: Term = ""
    """Version of the system (or of this threat model) the analysis refers to."""
    owners: Owners = empty_list()
    """People or teams accountable for the system and for this threat model."""
    repository: Link = ""
    """Where the system's code lives (URL or path), for reviewers."""


class Scope(Strict):
    """PASTA stage 2: the technical scope of the analysis."""

    description: Text = ""
    """What the analysis covers, in a sentence or two."""
    in_scope: Texts = empty_list()
    """Components, data and activities inside the scope."""
    out_of_scope: Texts = empty_list()
    """What is deliberately left out, so readers do not assume it was analysed."""
    assumptions: Texts = empty_list()
    """Assumptions the analysis rests on (e.g. 'the cloud provider's IAM is sound')."""
    lifecycle: list[LifecycleStage] = empty_list()
    """AI lifecycle stages in scope; empty means all."""


class Objective(Strict):
    """PASTA stage 1: a business objective whose failure has an impact."""

    id: ObjectiveId
    """Unique ID of the objective."""
    title: Name
    """The objective, e.g. 'Answers never leak another customer's data'."""
    description: Text = ""
    """Why it matters."""
    impact: ImpactLevel = "moderate"
    """Business impact if the objective fails."""
    category: (
        Literal[
            "confidentiality",
            "integrity",
            "availability",
            "safety",
            "privacy",
            "fairness",
            "compliance",
            "financial",
            "reputation",
        ]
        | None
    ) = None
    """What kind of harm a failure causes."""
    elements: ElementRefs = empty_list()
    """Elements this objective depends on; threats to them score at least this impact."""


class RiskTolerance(Strict):
    """PASTA stage 1: how much risk the organisation accepts without a decision."""

    accept_up_to: RiskLevel = "low"
    """Highest residual risk that may stay open without an explicit decision."""
    review_cadence_days: int = Field(default=90, ge=1, le=3660)
    """How often the threat model must be reviewed, in days."""
    statement: Text = ""
    """The risk appetite in the organisation's words."""


class Asset(Strict):
    """Data or another thing of value that the system stores, processes or produces."""

    id: AssetId
    """Unique ID of the asset."""
    name: Name
    """Display name, e.g. 'Customer support tickets'."""
    description: Text = ""
    """What the asset is."""
    classification: Classification = "internal"
    """How sensitive the asset is."""
    pii: bool = False
    """Whether the asset contains personal data."""
    crown_jewel: bool = False
    """Whether the asset is a crown jewel even if its classification does not say so
    (e.g. model weights that embody the company's advantage)."""


class Boundary(Strict):
    """A trust boundary: a region whose members share a level of trust. Nestable."""

    id: BoundaryId
    """Unique ID of the boundary."""
    name: Name
    """Display name, e.g. 'Corporate VPC'."""
    description: Text = ""
    """What the boundary is and what enforces it."""
    parent: BoundaryId | None = None
    """Enclosing boundary, if this one is nested."""
    trust: Literal["untrusted", "partner", "trusted"] = "trusted"
    """Trust level of what runs inside: elements in an ``untrusted`` boundary are treated as
    attacker-controlled (e.g. 'Internet')."""


class Position(Strict):
    """Where an element is drawn on the canvas."""

    x: float = Field(allow_inf_nan=False)
    """Horizontal position in canvas units."""
    y: float = Field(allow_inf_nan=False)
    """Vertical position in canvas units."""


class ElementProperties(Strict):
    """Security-relevant facts about an element. Every property is optional: leaving one
    out means *unknown*, which the weakness analysis reports where it matters."""

    exposure: Exposure | None = None
    """Who can reach the element over the network."""
    trusted: bool | None = None
    """Whether the element (or actor) is trusted; defaults by kind (users, data sources,
    model hubs and external services are untrusted unless set)."""
    third_party: bool | None = None
    """Operated or supplied by a third party."""
    authentication: (
        Literal["none", "password", "api_key", "oauth", "sso", "mtls", "workload_identity"] | None
    ) = None
    """How callers prove who they are."""
    authorization: bool | None = None
    """Whether access is checked per caller (least privilege, per-document ACLs)."""
    data_classification: Classification | None = None
    """Most sensitive data the element holds or handles."""
    contains_pii: bool | None = None
    """Whether the element holds or handles personal data."""
    encrypted_at_rest: bool | None = None
    """Whether stored data is encrypted."""
    logging: bool | None = None
    """Whether security-relevant events (and prompts/responses where lawful) are logged."""
    monitored: bool | None = None
    """Whether behaviour is monitored (abuse, drift, anomalies) with alerts."""
    rate_limited: bool | None = None
    """Whether request rates or quotas are enforced per caller."""
    input_validation: bool | None = None
    """Whether inputs are validated or screened before use."""
    output_filtering: bool | None = None
    """Whether outputs are filtered, encoded or checked before use downstream."""
    provenance_tracked: bool | None = None
    """Whether the origin and lineage of data or models is recorded."""
    artifacts_signed: bool | None = None
    """Whether artifacts (datasets, weights, packages) are signed and verified."""
    versions_pinned: bool | None = None
    """Whether dependencies, models and datasets are pinned to verified versions."""
    model_format: (
        Literal["safetensors", "onnx", "gguf", "pickle", "pytorch", "tensorflow", "joblib", "other"]
        | None
    ) = None
    """Serialization format of model weights; pickle-based formats can run code on load."""
    human_in_the_loop: bool | None = None
    """Whether a person approves consequential actions or outputs."""
    autonomy: Literal["none", "suggest", "act_with_approval", "autonomous"] | None = None
    """How far an agent or tool acts on its own."""
    privilege: Literal["read", "write", "execute", "admin"] | None = None
    """Highest privilege the element holds on other systems."""
    executes_code: bool | None = None
    """Whether the element runs code or commands derived from model output."""
    sandboxed: bool | None = None
    """Whether code or tools run in an isolated sandbox."""
    egress_restricted: bool | None = None
    """Whether outbound network access is restricted to an allow-list."""
    accepts_untrusted_content: bool | None = None
    """Whether the element takes in content authored by outsiders (web pages, e-mails,
    uploaded files, tickets) that may carry instructions."""
    persistent_memory: bool | None = None
    """Whether an agent or app keeps memory across sessions."""
    secrets_in_prompt: bool | None = None
    """Whether system prompts or context hold secrets or internal details."""
    online_learning: bool | None = None
    """Whether the model keeps learning from production data or feedback."""
    exposes_scores: bool | None = None
    """Whether predictions come with confidence scores, logits or embeddings."""
    adversarially_tested: bool | None = None
    """Whether the model is red-teamed or tested for robustness before release."""
    privacy_preserving_training: bool | None = None
    """Whether training uses differential privacy or equivalent protection."""
    multi_tenant: bool | None = None
    """Whether data or requests of several customers share the element."""
    on_device: bool | None = None
    """Whether the element runs on a device the organisation does not control."""
    backups: bool | None = None
    """Whether data is backed up and restorable."""

    def keys(self) -> list[str]:
        """The properties that are set, so that ``{**element.properties}`` gives them."""
        return list(self.model_dump(exclude_defaults=True))

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    model_type: ModelType | None = None
    """What the model does (on model-bearing elements): ``classifier``, ``regressor``,
    ``ranker`` (also recommenders), ``llm`` (generative language model), ``embedding``,
    ``speech_to_text``, ``text_to_speech``, ``vision`` (image recognition or detection),
    ``image_generation`` or ``other``. Unset: the kind's default (an LLM app, agent or
    foundation-model API serves an LLM; an inference endpoint a classifier) or, for
    artifacts, registries and jobs, the type of the model they train, hold or serve."""
    input_modality: InputModality | None = None
    """What the model takes in: ``text``, ``tabular``, ``image``, ``audio``, ``video``,
    ``time_series`` or ``multimodal``. Unset: inferred from the model type."""


class Element(Strict):
    """A node of the architecture: a data source, job, model, endpoint, agent, user ..."""

    id: ElementId
    """Unique ID, used in flows, findings and decisions."""
    kind: ElementKind
    """What the element is; sets its DFD type, its layer and the threats that apply."""
    name: Name
    """Display name."""
    description: Text = ""
    """What the element does."""
    boundary: BoundaryId | None = None
    """Innermost trust boundary the element sits in."""
    properties: ElementProperties = ElementProperties()
    """Security-relevant facts; unknown ones are left out."""
    assets: AssetRefs = empty_list()
    """Assets the element stores or processes."""
    owner: ShortText = ""
    """Person or team responsible for the element."""
    tags: Tags = empty_list()
    """Free labels for filtering."""
    position: Position | None = None
    """Where the element is drawn on the canvas."""


class Flow(Strict):
    """A data flow from one element to another."""

    id: FlowId
    """Unique ID, used in findings and decisions."""
    source: ElementId
    """Element the data comes from."""
    target: ElementId
    """Element the data goes to."""
    name: Label = ""
    """Short label, e.g. 'retrieved chunks'."""
    description: Text = ""
    """What moves and why."""
    data: AssetRefs = empty_list()
    """Assets carried by the flow."""
    protocol: Term = ""
    """Transport or API, e.g. 'HTTPS', 'gRPC', 'S3 API'."""
    encrypted: bool | None = None
    """Whether the flow is encrypted in transit."""
    authenticated: bool | None = None
    """Whether both ends are authenticated (the receiver checks who sent it)."""
    untrusted_content: bool | None = None
    """Whether the flow carries content that outsiders could have written."""
    query: bool | None = None
    """Whether the flow asks for data (a search, a lookup, a read request) rather than
    handing over content the target keeps or acts on. A query into a store writes nothing
    there, so outsiders' content in it does not persist. Unset: a flow into a store from
    an element that also reads from that store is a query, unless the element keeps
    persistent memory."""
    initiated_by: Literal["source", "target"] | None = None
    """Which end opens the exchange: ``source`` sends or pushes its data (a request, a
    write, an upload); ``target`` fetches it (a read from a store, the response to its own
    call). Attack paths use it: whoever controls the initiator can use the flow. Unset:
    inferred from the two ends (a store is read by whoever it flows to; a response flows
    back to the element that called)."""
    tags: Tags = empty_list()
    """Free labels for filtering."""


class Decision(Strict):
    """What the team decided about one finding (PASTA stage 7)."""

    finding: FindingId
    """The finding, as ``THREAT-ID@element-or-flow-id``."""
    status: DecisionStatus = "open"
    """open, mitigated, accepted or transferred."""
    owner: ShortText = ""
    """Who owns the decision or the work (required for accepted and transferred)."""
    rationale: Text = ""
    """Why: required when a risk is accepted or transferred."""
    mitigations: MitigationRefs = empty_list()
    """Catalog mitigation IDs chosen (or implemented) for this finding."""
    controls: Controls = empty_list()
    """Controls implemented, e.g. 'SP800-53:AC-6', 'ISO42001:A.6.2.6', 'AIRMF:MANAGE 2.4'."""
    due: dt.date | None = Field(default=None, strict=False)
    """When the mitigation is due."""
    decided: dt.date | None = Field(default=None, strict=False)
    """When the decision was taken."""
    residual_likelihood: Score | None = None
    """Likelihood (1..5) after the decision, if the team assessed it."""
    residual_impact: Score | None = None
    """Impact (1..5) after the decision, if the team assessed it."""
    ticket: Link = ""
    """Link or key of the ticket tracking the work."""

    @model_validator(mode="after")
    def _needs_owner_and_rationale(self) -> Decision:
        if self.status in ("accepted", "transferred"):
            missing = [f for f in ("owner", "rationale") if not getattr(self, f).strip()]
            if missing:
                article = "an" if self.status == "accepted" else "a"
                raise ValueError(
                    f"{article} {self.status} risk needs {' and '.join(missing)} "
                    f"(finding {self.finding})"
                )
        return self
