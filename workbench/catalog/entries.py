"""The catalog's data: threats, mitigations, and the frameworks they cite."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ..model.kinds import Stride
from ..model.types import LifecycleStage, Score
from .predicates import Predicate

CatalogId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]
"""A catalog ID such as ``AITW-LLM-001`` or ``MIT-RATE-LIMIT``: upper-case words and
digits joined by ``-``."""

FrameworkId = Literal[
    "atlas",
    "atlas_mitigation",
    "owasp_llm",
    "owasp_ml",
    "owasp_agentic",
    "aix",
    "cosai",
    "nist_aml",
    "nist_ai_rmf",
    "iso42001",
    "sp800_53",
    "cwe",
    "maestro",
]
"""Frameworks the catalog cites; each has a file in ``catalogs/frameworks/``."""


ThreatSource = Literal[
    "auto",
    "outsider",
    "user",
    "supplier",
    "insider",
    "account",
    "provider",
    "network",
    "device",
    "tenant",
    "package",
]
"""Who realises a threat, for its threat statement (see :mod:`workbench.statements`, which
names them from the model):

* ``outsider``: whoever writes the content that reaches the target by the attacker's best
  route (the route the rule's own ``influenced`` clause follows), else the untrusted actor
  of the top attack path through it, else anyone who can reach it (exposed) or an insider;
* ``user``: the same, but people, client apps and outside callers first (those who
  *ask*), reaching the target or else the nearest service it feeds (a user of what it
  serves); then any outsider reaching such a service; then as ``outsider``;
* ``supplier``: whoever can publish to the nearest public source upstream (a model hub, a
  data source, an external service);
* ``insider``: the operators who feed the target (or whoever has access to it);
* ``account``: whoever holds a stolen account of those operators, or leaked credentials;
* ``provider``: the third party that runs the target (or the end of a flow it runs);
* ``network``: someone on a flow's network path, or who can impersonate an element;
* ``device``: whoever controls the device the target runs on;
* ``tenant``: another tenant of the hardware the target shares;
* ``package``: whoever controls a software package the target installs;
* ``auto``: ``outsider`` when the rule asks for outsiders' influence or exposure,
  ``provider`` when the target is a third party's, else ``insider``."""

_PLACEHOLDER = "{target}"
PHRASE_PATTERN = r"^(?:[^{}\s]|\{target\})(?:[^{}\n]|\{target\})*(?:[^{}.\s]|\{target\})$"
"""One line, no surrounding spaces or final period, ``{target}`` its only placeholder."""


def _phrase(value: str) -> str:
    """Check a statement phrase: one line, ``{target}`` the only placeholder, no final
    period (the statement goes on after it)."""
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line")
    rest = value.replace(_PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        raise ValueError("'{target}' is the only placeholder allowed (no other braces)")
    if value.endswith("."):
        raise ValueError("must not end with a period: the statement continues after it")
    return value


def _action(value: str) -> str:
    """An action must name its target."""
    if _PLACEHOLDER not in value:
        raise ValueError("must say where the target's name goes, with '{target}'")
    return value


Phrase = Annotated[
    str,
    Field(min_length=3, max_length=300, json_schema_extra={"pattern": PHRASE_PATTERN}),
    AfterValidator(_phrase),
]
"""A phrase of a threat statement (see :attr:`Threat.action`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ThreatReferences(_Strict):
    """IDs in public frameworks that describe the same threat."""

    atlas: list[str] = []
    """MITRE ATLAS techniques and sub-techniques, e.g. ``AML.T0051.001``."""
    owasp_llm: list[str] = []
    """OWASP Top 10 for LLM Applications 2025, e.g. ``LLM01``."""
    owasp_ml: list[str] = []
    """OWASP Machine Learning Security Top 10, e.g. ``ML02``."""
    owasp_agentic: list[str] = []
    """OWASP Top 10 for Agentic Applications 2026 (OWASP GenAI Security Project, December
    2025), e.g. ``ASI01`` (Agent Goal Hijack) or ``ASI02`` (Tool Misuse and Exploitation)."""
    aix: list[str] = []
    """OWASP AI Exchange threat permalinks, e.g. ``directpromptinjection``."""
    cosai: list[str] = []
    """CoSAI risk map risks, e.g. ``riskPromptInjection``."""
    nist_aml: list[str] = []
    """NIST AI 100-2 E2025 attack classes, e.g. ``NISTAML.015``."""
    cwe: list[str] = []
    """CWE weaknesses, e.g. ``CWE-502``."""
    maestro: list[str] = []
    """CSA MAESTRO layers of an agentic system where the threat is realised, ``L1``
    (Foundation Models) .. ``L7`` (Agent Ecosystem); ``L6`` (Security and Compliance) cuts
    across the others."""


class Threat(_Strict):
    """A threat the engine suggests where its rule holds."""

    id: CatalogId
    """Stable ID; findings are ``ID@target``."""
    title: str = Field(min_length=3, max_length=120)
    """Short title."""
    description: str = Field(min_length=20)
    """What can happen and how, in the catalog's own words."""
    source: ThreatSource = "auto"
    """Who realises the threat: the statement names them from the model (see
    :data:`ThreatSource`)."""
    action: Annotated[Phrase, AfterValidator(_action)]
    """What the threat source does, as a verb phrase that follows "can", with ``{target}``
    where the target's name goes: ``plant crafted or mislabelled records in {target}``.
    One line, no final period."""
    consequence: Phrase
    """What follows from it, as a phrase that follows the action after a comma: ``so that
    every model trained on it degrades or favours the attacker's cases``. One line, no
    final period; ``{target}`` may appear. (The threat's default *score* is
    :attr:`impact`.)"""
    target: Literal["element", "flow"] = "element"
    """Whether the rule is evaluated on elements or on flows."""
    applies_to: Predicate
    """The rule: where the threat applies (see :mod:`workbench.catalog.predicates`)."""
    stride: list[Stride] = Field(min_length=1)
    """STRIDE categories."""
    pasta_stage: Literal[4, 5] = 4
    """PASTA stage: 4 (threat analysis) or 5 (weakness: a needed control is missing)."""
    lifecycle: list[LifecycleStage] = Field(min_length=1)
    """AI lifecycle stages where the threat is realised."""
    likelihood: Score
    """Default likelihood, 1 (rare) .. 5 (almost certain)."""
    impact: Score
    """Default impact, 1 (negligible) .. 5 (severe)."""
    mitigations: list[CatalogId] = Field(min_length=1)
    """Mitigation IDs that address the threat."""
    limited_by: list[CatalogId] = []
    """Those of :attr:`mitigations` that are recommended and reduce the impact but do not
    stop the threat (an attack tree does not count them as cutting its step)."""
    references: ThreatReferences = ThreatReferences()
    """Framework IDs describing the same threat."""
    detection: list[str] = Field(min_length=1)
    """Signals that show the threat is being realised (for an incident runbook)."""
    response: list[str] = Field(min_length=1)
    """First response steps when it is."""

    @model_validator(mode="after")
    def _limited_by_its_mitigations(self) -> Threat:
        stray = [m for m in self.limited_by if m not in self.mitigations]
        if stray:
            raise ValueError(
                f"threat {self.id}: limited_by names {', '.join(stray)}, "
                "not among the threat's mitigations"
            )
        return self


class ControlRefs(_Strict):
    """Controls that a mitigation implements, per framework.

    For each control framework give the IDs that fit what the mitigation does, or leave the
    list empty and say in the matching ``*_none`` field why nothing fits (for instance an
    information-security control that ISO/IEC 42001 Annex A leaves to ISO/IEC 27001). The
    reasons are documentation: :meth:`model_dump` leaves them out, so a dump lists control
    IDs only (use :meth:`reasons` to read them)."""

    nist_ai_rmf: list[str] = []
    """NIST AI RMF 1.0 subcategories, e.g. ``MANAGE 2.4``."""
    nist_ai_rmf_none: str = Field(default="", exclude=True)
    """Why no AI RMF subcategory fits (required when ``nist_ai_rmf`` is empty)."""
    iso42001: list[str] = []
    """ISO/IEC 42001:2023 Annex A controls, e.g. ``A.6.2.6``."""
    iso42001_none: str = Field(default="", exclude=True)
    """Why no ISO/IEC 42001 Annex A control fits (required when ``iso42001`` is empty)."""
    sp800_53: list[str] = []
    """NIST SP 800-53 r5 controls, e.g. ``AC-6``."""
    sp800_53_none: str = Field(default="", exclude=True)
    """Why no SP 800-53 r5 control fits (required when ``sp800_53`` is empty)."""
    atlas_mitigation: list[str] = []
    """MITRE ATLAS mitigations, e.g. ``AML.M0015``."""
    atlas_none: str = ""
    """Why no ATLAS mitigation applies (required when ``atlas_mitigation`` is empty)."""
    aix: list[str] = []
    """OWASP AI Exchange controls, e.g. ``promptinjectioniohandling`` (optional: only where
    one fits)."""
    cosai: list[str] = []
    """CoSAI risk-map controls, e.g. ``controlInputValidationAndSanitization`` (optional:
    only where one fits)."""

    def _lists_and_reasons(self) -> tuple[tuple[str, str, list[str], str], ...]:
        """(framework, name of its reason field, IDs, reason) for each control framework."""
        return (
            ("nist_ai_rmf", "nist_ai_rmf_none", self.nist_ai_rmf, self.nist_ai_rmf_none),
            ("iso42001", "iso42001_none", self.iso42001, self.iso42001_none),
            ("sp800_53", "sp800_53_none", self.sp800_53, self.sp800_53_none),
            ("atlas_mitigation", "atlas_none", self.atlas_mitigation, self.atlas_none),
        )

    @model_validator(mode="after")
    def _ids_or_reason(self) -> ControlRefs:
        for name, why, ids, reason in self._lists_and_reasons():
            if not ids and not reason.strip():
                raise ValueError(f"give {name} IDs or say in {why} why none applies")
            if ids and reason.strip():
                raise ValueError(f"give either {name} IDs or {why}, not both")
        return self

    def reasons(self) -> dict[str, str]:
        """Why no control fits, for each control framework whose list is empty (keyed by
        the list's field name, e.g. ``iso42001``)."""
        return {name: reason for name, _, ids, reason in self._lists_and_reasons() if not ids}


MitigationKind = Literal["preventive", "detective", "corrective", "governance"]
"""What a mitigation does to an attack: ``preventive``, it stops a step (an attacker cannot
take it while the mitigation is in place); ``detective``, it notices or traces the attack
(monitoring, logging, audit trails) but lets it happen; ``corrective``, it recovers from
it (backups, incident response); ``governance``, it tests, reviews or governs (red teaming,
policy, inventories, training, reviews). Only preventive mitigations cut a step of an
attack tree (:mod:`workbench.attack_trees`): "put monitoring in place and every way is
cut" would be wrong."""


class Mitigation(_Strict):
    """Something a team can do about one or more threats."""

    id: CatalogId
    """Stable ID."""
    title: str = Field(min_length=3, max_length=120)
    """Short title."""
    description: str = Field(min_length=20)
    """What to do, in the catalog's own words."""
    controls: ControlRefs
    """Controls the mitigation implements."""
    in_place: Predicate | None = None
    """How a model shows the mitigation is in place on an element (a rule, e.g.
    ``prop: {rate_limited: true}`` or ``influenced: {screened: true}``). Where it holds on
    a finding's target, the finding's likelihood is lowered and the finding says so."""
    in_place_on_flow: Predicate | None = None
    """The same for a finding on a flow (e.g. ``prop: {encrypted: true}``)."""
    kind: MitigationKind = "preventive"
    """What it does to an attack (see :data:`MitigationKind`); default ``preventive``.
    Only preventive mitigations cut a step of an attack tree."""
    kind_reason: str = ""
    """Why it is not preventive: what it does instead of stopping the step (required
    unless ``kind`` is ``preventive``, where it must be empty)."""

    @model_validator(mode="after")
    def _kind_has_its_reason(self) -> Mitigation:
        if self.kind != "preventive" and len(self.kind_reason.strip()) < 10:
            raise ValueError(
                f"kind: {self.kind} needs kind_reason: what it does instead of stopping"
                " the step (at least 10 characters)"
            )
        if self.kind == "preventive" and self.kind_reason:
            raise ValueError("kind_reason is only for a mitigation that is not preventive")
        return self

    @property
    def cuts(self) -> bool:
        """Whether it stops a step of an attack (``kind`` is ``preventive``)."""
        return self.kind == "preventive"


class FrameworkEntry(_Strict):
    """One ID of a framework, with its short title (a fact)."""

    id: str
    """The framework's own ID."""
    title: str
    """The framework's short title for it."""


class Framework(_Strict):
    """IDs and titles of a framework the catalog cites."""

    id: FrameworkId
    """Which framework."""
    name: str
    """Full name and version."""
    url: str = ""
    """Where it is published."""
    link: str = ""
    """Link to one entry, with ``{id}`` standing for the entry's ID (empty: no links)."""
    entries: list[FrameworkEntry] = Field(min_length=1)
    """The IDs the catalog may cite."""


class OutOfScope(_Strict):
    """A framework entry the catalog deliberately does not cover, and why."""

    id: str
    """The framework's ID."""
    reason: str = Field(min_length=10)
    """Why it is out of scope for a threat model of an AI system's architecture."""


class CatalogFile(_Strict):
    """One YAML file of a catalog directory; every section is optional."""

    threats: list[Threat] = []
    """Threats."""
    mitigations: list[Mitigation] = []
    """Mitigations."""
    frameworks: list[Framework] = []
    """Frameworks cited."""
    out_of_scope: dict[FrameworkId, list[OutOfScope]] = {}
    """Framework entries deliberately not covered, with reasons."""
