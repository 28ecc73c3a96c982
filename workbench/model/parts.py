"""The parts of a threat model: system, scope, objectives, assets, boundaries, elements,
flows and decisions. Every model is strict and frozen; every field is documented."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .kinds import ElementKind
from .statuses import MODEL_NEEDS
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
    Id,
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


class DecisionScope(Strict):
    """Where a scoped decision applies: one trust boundary or one element (exactly one of
    the two). ``scope: all`` (a plain string) applies everywhere."""

    boundary: BoundaryId | None = None
    """Every element inside this boundary (directly or in a boundary nested in it), and
    every flow whose two ends are both inside it (a flow that crosses the boundary's edge
    is not inside it)."""
    element: ElementId | None = None
    """This element, and every flow that starts or ends at it."""

    @model_validator(mode="after")
    def _exactly_one(self) -> DecisionScope:
        if (self.boundary is None) == (self.element is None):
            raise ValueError(
                "a scope names one boundary or one element: {boundary: ID} or {element: ID} "
                "(or write 'scope: all')"
            )
        return self

    @property
    def label(self) -> str:
        """``boundary:ID`` or ``element:ID``."""
        return (
            f"boundary:{self.boundary}" if self.boundary is not None else f"element:{self.element}"
        )


ScopeSpec = Literal["all"] | DecisionScope
"""Where a scoped decision applies: ``all`` (every element and flow), ``{boundary: ID}`` or
``{element: ID}``."""


def decision_problem(
    fields: list[tuple[str, str]], needs: tuple[str, list[str]] | None = None
) -> PydanticCustomError:
    """The error of a decision that lacks or misuses fields: one ``(field, message)`` each.
    The file loader reports each at the decision's line with the field in the path
    (``decisions[3].review_by: ...``); elsewhere (code, the widgets) the message is one
    line: the other problems, then what the status needs (``needs``: the status's words
    and the missing fields), e.g. ``an accepted risk needs owner and rationale``."""
    parts = [f"{field}: {message}" for field, message in fields]
    if needs is not None and needs[1]:
        parts.append(f"{needs[0]} needs {' and '.join(needs[1])}")
    summary = "; ".join(parts)
    fields = [*fields]
    if needs is not None:
        fields += [(name, f"{needs[0]} needs {_noun(name)}") for name in needs[1]]
    return PydanticCustomError(
        "decision_fields", "{summary}", {"summary": summary, "fields": tuple(fields)}
    )


class Decision(Strict):
    """What the team decided about one finding (PASTA stage 7), or, with ``threat`` and
    ``scope``, about one threat on every target in a scope (a suppression).

    Which statuses there are and what each does to residual risk and to the CI gate:
    :mod:`workbench.model.statuses`."""

    model_config = ConfigDict(
        **Strict.model_config,
        json_schema_extra={"anyOf": [{"required": ["finding"]}, {"required": ["threat", "scope"]}]},
    )

    finding: FindingId | None = None
    """The finding, as ``THREAT-ID@element-or-flow-id`` (leave out for a scoped
    decision)."""
    threat: Id | None = None
    """A scoped decision's threat ID (with ``scope``): it applies to every finding of this
    threat in the scope. A decision on one finding beats a scoped one."""
    scope: ScopeSpec | None = None
    """Where a scoped decision applies: ``all``, ``{boundary: ID}`` (elements inside the
    boundary, nested ones included, and flows with both ends inside it) or
    ``{element: ID}`` (the element and the flows that start or end at it). Among scoped
    decisions the most specific wins: element, then the innermost boundary, then all."""
    status: DecisionStatus = "open"
    """open, in_progress, mitigated, accepted, transferred, avoided, false_positive or
    not_applicable (see :mod:`workbench.model.statuses`)."""
    owner: ShortText = ""
    """Who owns the decision or the work (required for accepted and transferred)."""
    rationale: Text = ""
    """Why: required for accepted, transferred, avoided, false_positive and
    not_applicable."""
    mitigations: MitigationRefs = empty_list()
    """Catalog mitigation IDs chosen (or implemented) for this finding."""
    controls: Controls = empty_list()
    """Controls implemented, e.g. 'SP800-53:AC-6', 'ISO42001:A.6.2.6', 'AIRMF:MANAGE 2.4'."""
    due: dt.date | None = Field(default=None, strict=False)
    """When the mitigation is due."""
    decided: dt.date | None = Field(default=None, strict=False)
    """When the decision was taken."""
    review_by: dt.date | None = Field(default=None, strict=False)
    """When the decision must be reviewed (``YYYY-MM-DD``; required for accepted). After
    it the decision has expired: the finding counts as open again."""
    residual_likelihood: Score | None = None
    """Likelihood (1..5) after the decision, if the team assessed it."""
    residual_impact: Score | None = None
    """Impact (1..5) after the decision, if the team assessed it."""
    ticket: Link = ""
    """Link or key of the ticket tracking the work."""

    @field_validator("scope", mode="wrap")
    @classmethod
    def _one_scope_shape(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One message for a scope of the wrong shape (not one per member of the union)."""
        if isinstance(value, dict):
            return DecisionScope.model_validate(value)
        if value is None or value == "all" or isinstance(value, DecisionScope):
            return handler(value)
        raise ValueError(f"expected 'all', {{boundary: ID}} or {{element: ID}}, got {value!r}")

    @model_validator(mode="after")
    def _check_target_and_needs(self) -> Decision:
        problems: list[tuple[str, str]] = []
        if self.finding is not None:
            for name in ("threat", "scope"):
                if getattr(self, name) is not None:
                    problems.append(
                        (
                            name,
                            "a decision names a finding or a threat with a scope, not both: "
                            f"remove '{name}' (or 'finding')",
                        )
                    )
        elif self.threat is None and self.scope is None:
            problems.append(
                (
                    "finding",
                    "required field 'finding' is missing (THREAT-ID@element-or-flow-id; or "
                    "'threat' with 'scope' for a decision on a threat in a scope)",
                )
            )
        elif self.scope is None:
            problems.append(
                (
                    "scope",
                    "a decision on a threat needs a scope: all, {boundary: ID} or {element: ID}",
                )
            )
        elif self.threat is None:
            problems.append(("threat", "a scoped decision needs the threat it applies to"))
        missing = [f for f in MODEL_NEEDS[self.status] if not getattr(self, f).strip()]
        if problems or missing:
            words = f"{_article(self.status)} {_words(self.status)}"
            raise decision_problem(problems, (words, missing))
        return self

    @property
    def scoped(self) -> bool:
        """Whether the decision applies to a threat in a scope rather than one finding."""
        return self.finding is None

    @property
    def key(self) -> str:
        """What identifies the decision: the finding ID, or for a scoped decision
        ``THREAT@boundary:ID``, ``THREAT@element:ID`` or ``THREAT@*`` (all)."""
        if self.finding is not None:
            return self.finding
        return f"{self.threat}@{scope_label(self.scope)}"

    @property
    def threat_id(self) -> str:
        """The threat the decision is about."""
        if self.finding is not None:
            return self.finding.rsplit("@", 1)[0]
        return str(self.threat)


def scope_label(scope: ScopeSpec | None) -> str:
    """``*`` for ``all``, ``boundary:ID`` or ``element:ID``."""
    if isinstance(scope, DecisionScope):
        return scope.label
    return "*"


def _article(status: str) -> str:
    return "an" if status[0] in "aeiou" else "a"


_STATUS_WORDS = {
    "accepted": "accepted risk",
    "transferred": "transferred risk",
    "avoided": "avoided threat",
    "false_positive": "false positive",
    "not_applicable": "not applicable decision",
}


def _words(status: str) -> str:
    return _STATUS_WORDS.get(status, f"{status} decision")


def _noun(field: str) -> str:
    return {"owner": "an owner", "rationale": "a rationale"}.get(field, field)
