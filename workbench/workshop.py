"""Self-checks for the workshop exercises (``notebooks/03-workshop-exercises.ipynb``).

Each exercise has one check function. It takes the participant's answer (STRIDE letters,
flow IDs or an edited :class:`~workbench.model.ThreatModel`) and returns a
:class:`CheckResult` whose feedback says what is still missing: which element, which flow,
which catalog threat. The expected answers are never written down here: they come from
the element kinds (STRIDE per element), the engine's findings on the starter architecture
and the catalog's framework references and mitigations, so the checks follow the catalog
as it grows.

>>> from workbench import workshop
>>> workshop.check_stride({"vector_store": "TID"}).passed
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .catalog import Catalog, Threat
from .engine import Analysis, Finding, analyze, at_least, level
from .export.safehtml import h_single
from .model import STRIDE_NAMES, KindInfo, ThreatModel, kind_info, stride_for
from .register import Entry, build_register

STRIDE_TEMPLATE = "rag_assistant"
"""Starter architecture of exercise 1 (STRIDE per element)."""
INJECTION_TEMPLATE = "rag_assistant"
"""Starter architecture of exercise 2 (indirect prompt injection)."""
PIPELINE_TEMPLATE = "fine_tuning_pipeline"
"""Starter architecture of exercises 3 and 4 (poisoning; model theft and supply chain)."""
STRIDE_ELEMENTS = ("customer", "llm_app", "vector_store", "log_store")
"""Elements whose STRIDE letters exercise 1 asks for: one of each DFD type."""

INDIRECT_INJECTION = "AML.T0051.001"
"""MITRE ATLAS: LLM Prompt Injection: Indirect."""
POISONING = ("ML02", "AML.T0020")
"""OWASP ML Top 10 ML02 Data Poisoning Attack; ATLAS Poison Training Data."""
THEFT_AND_SUPPLY_CHAIN = ("ML05", "ML06", "LLM03")
"""OWASP ML05 Model Theft, ML06 AI Supply Chain Attacks, LLM03 Supply Chain."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check."""

    exercise: str
    """Title of the exercise."""
    passed: bool
    """Whether the answer is complete."""
    feedback: tuple[str, ...]
    """What is missing or wrong, one specific point per line (empty when passed)."""

    def __str__(self) -> str:
        head = f"{self.exercise}: " + ("well done" if self.passed else "not yet")
        return "\n".join([head, *(f"- {line}" for line in self.feedback)])

    def _repr_html_(self) -> str:
        colour, verdict = ("#047857", "well done") if self.passed else ("#b45309", "not yet")
        listing = h_single("ul", [h_single("li", line) for line in self.feedback])
        return str(
            h_single(
                "div",
                h_single("b", self.exercise),
                ": ",
                h_single("span", h_single("b", verdict), style=f"color:{colour}"),
                listing if self.feedback else None,
                class_="atw-check",
                data_passed=str(self.passed).lower(),
            )
        )


def _result(exercise: str, feedback: list[str]) -> CheckResult:
    return CheckResult(exercise=exercise, passed=not feedback, feedback=tuple(feedback))


def _label(model: ThreatModel, element_id: str) -> str:
    return f"{model.element(element_id).name} ({element_id})"


def _threat_label(threat: Threat) -> str:
    return f"{threat.id} '{threat.title}'"


# --------------------------------------------------------------------------- exercise 1
def _letters(answer: str | Iterable[str]) -> set[str]:
    text = answer if isinstance(answer, str) else "".join(answer)
    return {c for c in text.upper() if c.isalpha()}


def _example(analysis: Analysis, element_id: str, letter: str) -> str:
    for finding in analysis.for_target(element_id):
        if letter in finding.stride:
            return f" — the workbench finds e.g. {finding.threat_id} '{finding.title}' there"
    return ""


def _stride_feedback(
    model: ThreatModel, analysis: Analysis, element_id: str, answer: str | Iterable[str]
) -> list[str]:
    element = model.element(element_id)
    info: KindInfo = kind_info(element.kind)
    expected = set(stride_for(element.kind))
    given = _letters(answer)
    dfd = info.dfd.value.replace("_", " ")
    dfd = ("an " if dfd[0] in "aeiou" else "a ") + dfd
    lines = [
        f"{_label(model, element_id)} is {dfd}: add {c} ({STRIDE_NAMES[c]})"
        + _example(analysis, element_id, c)
        for c in "STRIDE"
        if c in expected - given
    ]
    lines += [
        f"{_label(model, element_id)} is {dfd}: {c} ({STRIDE_NAMES.get(c, 'not a STRIDE letter')})"
        " is not in STRIDE per element for it"
        for c in sorted(given - expected)
    ]
    return lines


def check_stride(
    answers: Mapping[str, str | Iterable[str]],
    model: ThreatModel | None = None,
    elements: Iterable[str] = STRIDE_ELEMENTS,
) -> CheckResult:
    """Exercise 1: the STRIDE-per-element letters of some elements.

    Parameters
    ----------
    answers
        Element ID to the letters the participant assigns, e.g. ``{"llm_app": "STRIDE"}``.
    model
        The model the elements belong to (default: the RAG assistant).
    elements
        The elements the exercise asks about (default: :data:`STRIDE_ELEMENTS`).

    Returns
    -------
    CheckResult
        Per element, the letters missing (with a finding of that category on the element
        where the engine has one) and the letters that do not belong.
    """
    model = model if model is not None else ThreatModel.from_template(STRIDE_TEMPLATE)
    analysis = analyze(model)
    known = model.ids()
    feedback = [f"there is no element '{e}' in the model" for e in answers if e not in known]
    for element_id in elements:
        if element_id not in answers:
            feedback.append(f"no letters yet for {_label(model, element_id)}")
            continue
        feedback += _stride_feedback(model, analysis, element_id, answers[element_id])
    return _result("Exercise 1: STRIDE per element", feedback)


# --------------------------------------------------------------------------- exercise 2
def injection_exercise_model() -> ThreatModel:
    """The RAG assistant with no flow marked as carrying untrusted content (exercise 2)."""
    model = ThreatModel.from_template(INJECTION_TEMPLATE)
    flows = [f.model_copy(update={"untrusted_content": None}) for f in model.flows]
    return model.replace(flows=flows)


def mark_untrusted(model: ThreatModel, flow_ids: Iterable[str]) -> ThreatModel:
    """``model`` with exactly ``flow_ids`` marked as carrying untrusted content."""
    marked = set(flow_ids)
    flows = [
        f.model_copy(update={"untrusted_content": True if f.id in marked else None})
        for f in model.flows
    ]
    return model.replace(flows=flows)


def _reachable_from_untrusted(model: ThreatModel) -> set[str]:
    """Elements that untrusted actors are or can send data to, along flows."""
    graph = model.graph()
    seen = set(graph.untrusted_actors())
    frontier = list(seen)
    while frontier:
        current = frontier.pop()
        for flow in model.flows:
            if flow.source == current and flow.target not in seen:
                seen.add(flow.target)
                frontier.append(flow.target)
    return seen


def _family(catalog: Catalog, refs: Iterable[str]) -> set[str]:
    """IDs of catalog threats citing any of ``refs`` (ATLAS, OWASP LLM or OWASP ML IDs)."""
    wanted = set(refs)
    return {
        t.id
        for t in catalog.threats.values()
        if wanted & {*t.references.atlas, *t.references.owasp_llm, *t.references.owasp_ml}
    }


def _flow_text(model: ThreatModel, flow_id: str) -> str:
    flow = model.flow(flow_id)
    route = f"{model.element(flow.source).name} -> {model.element(flow.target).name}"
    return f"{flow_id} ({route}: '{flow.name}')"


def _injection_hint(reference: ThreatModel, finding: Finding, marked: set[str]) -> str:
    """Unmarked flows that the reference marks untrusted and that carry content to the
    finding's target: the flow itself (for a flow finding) and the flows into its source
    or into the element."""
    flow_ids = {f.id for f in reference.flows}
    if finding.target in flow_ids:
        candidates = {
            finding.target,
            *(f.id for f in reference.flows if f.target == reference.flow(finding.target).source),
        }
    else:
        candidates = {f.id for f in reference.flows if f.target == finding.target}
    feeding = sorted(
        f for f in candidates if reference.flow(f).untrusted_content and f not in marked
    )
    if not feeding:
        return ""
    return "; which of these carry content outsiders wrote? " + ", ".join(
        _flow_text(reference, f) for f in feeding
    )


def _where(reference: ThreatModel, finding: Finding) -> str:
    if finding.target_type == "flow":
        return "flow " + _flow_text(reference, finding.target)
    return _label(reference, finding.target)


def check_indirect_injection(marked: Iterable[str]) -> CheckResult:
    """Exercise 2: mark the flows that carry content outsiders could have written.

    The answer is the set of flow IDs the participant marks in
    :func:`injection_exercise_model`. The check marks them, analyses the model, and
    compares the indirect prompt injection findings (catalog threats citing ATLAS
    AML.T0051.001) with those of the starter architecture as shipped.

    Parameters
    ----------
    marked
        Flow IDs the participant marks as carrying untrusted content.

    Returns
    -------
    CheckResult
        Each injection finding not yet found (threat ID, title, where, and the unmarked
        flows feeding it), unknown flow IDs, and flows marked although no outsider can
        reach their source.
    """
    reference = ThreatModel.from_template(INJECTION_TEMPLATE)
    chosen = set(marked)
    flow_ids = {f.id for f in reference.flows}
    feedback = [f"there is no flow '{f}' in the model" for f in sorted(chosen - flow_ids)]
    chosen &= flow_ids
    answer = mark_untrusted(injection_exercise_model(), chosen)
    expected, got = analyze(reference), analyze(answer)
    family = _family(expected.catalog, [INDIRECT_INJECTION])
    found = {f.id for f in got.findings}
    for finding in expected.findings:
        if finding.threat_id in family and finding.id not in found:
            threat = expected.catalog.threats[finding.threat_id]
            feedback.append(
                f"{_threat_label(threat)} on {_where(reference, finding)} is not found yet"
                + _injection_hint(reference, finding, chosen)
            )
    exposed = _reachable_from_untrusted(reference)
    feedback += [
        f"{_flow_text(reference, f)} is marked, but no outsider can reach "
        f"{reference.element(reference.flow(f).source).name}, so nothing on it comes from one"
        for f in sorted(chosen)
        if reference.flow(f).source not in exposed
    ]
    return _result("Exercise 2: indirect prompt injection", feedback)


# ---------------------------------------------------------------- exercises 3 and 4
def apply_mitigations(
    model: ThreatModel,
    choices: Mapping[str, Iterable[str]],
    *,
    owner: str = "workshop",
    analysis: Analysis | None = None,
) -> ThreatModel:
    """Record a *mitigated* decision on every finding of each chosen threat.

    Parameters
    ----------
    model
        The model to decide on.
    choices
        Threat ID to the catalog mitigation IDs chosen against it.
    owner
        Owner written into each decision.
    analysis
        The analysis of ``model`` (computed when not given).
    """
    from .model import Decision

    analysis = analysis if analysis is not None else analyze(model)
    for finding in analysis.findings:
        mitigations = list(choices.get(finding.threat_id, ()))
        if mitigations:
            decision = Decision(
                finding=finding.id, status="mitigated", owner=owner, mitigations=mitigations
            )
            model = model.set_decision(decision)
    return model


def _in_scope(finding: Finding, family: set[str], tolerance: str) -> bool:
    """A finding of the family whose inherent risk is above the model's tolerance."""
    return finding.threat_id in family and not at_least(tolerance, level(finding.score))


def _problem(entry: Entry, threat: Threat) -> str:
    """What is wrong with the decision on a finding in scope ('' when nothing is)."""
    chosen = entry.decision.mitigations if entry.decision else []
    if entry.is_open:
        return "open"
    if entry.status == "mitigated" and not set(chosen) & set(threat.mitigations):
        return "wrong mitigations"
    return "above tolerance" if entry.above_tolerance else ""


def _problem_line(problem: str, threat: Threat, entries: list[Entry], catalog: Catalog) -> str:
    targets = ", ".join(f"{e.finding.target_name} ({e.finding.risk} risk)" for e in entries)
    where = f"{_threat_label(threat)} on {targets}"
    options = ", ".join(f"{m} '{catalog.mitigations[m].title}'" for m in threat.mitigations)
    if problem == "open":
        why = "; ".join(entries[0].finding.why)
        return (
            f"{where}: still open. Mitigate it with one of {options}, or change what it was "
            f"suggested for ({why})"
        )
    if problem == "wrong mitigations":
        picked = sorted({m for e in entries if e.decision for m in e.decision.mitigations})
        chosen = ", ".join(picked) or "none"
        return (
            f"{where}: marked mitigated, but the mitigations chosen ({chosen}) "
            f"do not address it; the catalog lists {options}"
        )
    return (
        f"{where}: {entries[0].status} although the risk is above the model's tolerance; "
        f"mitigate it with one of {options}"
    )


def _decision_feedback(analysis: Analysis, family: set[str]) -> list[str]:
    """One line per threat and problem: open, mitigated with unrelated mitigations, or
    accepted/transferred above the risk tolerance."""
    catalog = analysis.catalog
    tolerance = analysis.model.risk_tolerance.accept_up_to
    grouped: dict[tuple[str, str], list[Entry]] = {}
    for entry in build_register(analysis).entries:
        if not _in_scope(entry.finding, family, tolerance):
            continue
        problem = _problem(entry, catalog.threats[entry.finding.threat_id])
        if problem:
            grouped.setdefault((entry.finding.threat_id, problem), []).append(entry)
    return [
        _problem_line(problem, catalog.threats[threat_id], entries, catalog)
        for (threat_id, problem), entries in sorted(grouped.items())
    ]


def _removed_feedback(reference: ThreatModel, model: ThreatModel) -> list[str]:
    kept = model.ids()
    return [
        f"{_label(reference, e.id)} was removed: keep the architecture and counter the "
        "threats instead"
        for e in reference.elements
        if e.id not in kept
    ]


def _check_family(
    exercise: str, model: ThreatModel, refs: Iterable[str], template: str
) -> CheckResult:
    analysis = analyze(model)
    reference = ThreatModel.from_template(template)
    family = _family(analysis.catalog, refs)
    feedback = _removed_feedback(reference, model) + _decision_feedback(analysis, family)
    return _result(exercise, feedback)


def check_poisoning(model: ThreatModel) -> CheckResult:
    """Exercise 3: counter training-data poisoning in the fine-tuning pipeline.

    Every finding of a poisoning threat (catalog threats citing OWASP ML02 or ATLAS
    AML.T0020) whose inherent risk is above the model's risk tolerance must be gone (a
    property, boundary or flow changed so that its rule no longer holds) or mitigated with
    one of the mitigations the catalog lists for it; accepting it needs a risk within the
    tolerance. Removing elements does not count.

    Parameters
    ----------
    model
        The participant's edited fine-tuning pipeline.
    """
    return _check_family("Exercise 3: training-data poisoning", model, POISONING, PIPELINE_TEMPLATE)


def check_theft_and_supply_chain(model: ThreatModel) -> CheckResult:
    """Exercise 4: counter model theft and supply-chain threats (OWASP ML05, ML06, LLM03),
    by the same rule as :func:`check_poisoning`.

    Parameters
    ----------
    model
        The participant's edited fine-tuning pipeline.
    """
    return _check_family(
        "Exercise 4: model theft and supply chain",
        model,
        THEFT_AND_SUPPLY_CHAIN,
        PIPELINE_TEMPLATE,
    )


def open_findings(model: ThreatModel, refs: Iterable[str]) -> list[Finding]:
    """Findings of the threats citing ``refs`` that an exercise asks to decide on: inherent
    risk above the model's tolerance (what exercises 3 and 4 look at)."""
    analysis = analyze(model)
    family = _family(analysis.catalog, refs)
    tolerance = model.risk_tolerance.accept_up_to
    return [f for f in analysis.findings if _in_scope(f, family, tolerance)]


CHECKS: dict[str, Callable[..., CheckResult]] = {
    "stride": check_stride,
    "indirect_injection": check_indirect_injection,
    "poisoning": check_poisoning,
    "theft_and_supply_chain": check_theft_and_supply_chain,
}
"""The self-checks by exercise, in workshop order."""

__all__ = [
    "CHECKS",
    "INDIRECT_INJECTION",
    "POISONING",
    "THEFT_AND_SUPPLY_CHAIN",
    "CheckResult",
    "apply_mitigations",
    "check_indirect_injection",
    "check_poisoning",
    "check_stride",
    "check_theft_and_supply_chain",
    "injection_exercise_model",
    "mark_untrusted",
    "open_findings",
]
