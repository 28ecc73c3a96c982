"""Workshop self-checks: each passes a correct answer and gives specific feedback on an
incomplete one; the exercises notebook says "not yet", the solutions notebook passes."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.notebook_support import RunNotebook
from workbench import Decision, ThreatModel, workshop
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.model import stride_for

EXERCISES = "03-workshop-exercises.ipynb"
SOLUTIONS = "solutions/03-workshop-exercises-solutions.ipynb"
"""The workshop notebooks, relative to ``notebooks/``."""


def _correct_stride() -> dict[str, str]:
    model = ThreatModel.from_template(workshop.STRIDE_TEMPLATE)
    return {e: "".join(stride_for(model.element(e).kind)) for e in workshop.STRIDE_ELEMENTS}


def _reference_untrusted() -> list[str]:
    model = ThreatModel.from_template(workshop.INJECTION_TEMPLATE)
    return [f.id for f in model.flows if f.untrusted_content]


def _mitigate_all(model: ThreatModel, refs: tuple[str, ...]) -> ThreatModel:
    """Mitigate every in-scope finding with the first mitigation the catalog lists."""
    catalog = load_catalog()
    choices = {
        f.threat_id: [catalog.threats[f.threat_id].mitigations[0]]
        for f in workshop.open_findings(model, refs)
    }
    return workshop.apply_mitigations(model, choices)


# ------------------------------------------------------------------ exercise 1
def test_stride_correct_answer_passes():
    result = workshop.check_stride(_correct_stride())
    assert result.passed, result.feedback
    assert result.feedback == ()


def test_stride_answer_may_be_lower_case_or_a_list():
    answers = {e: list(v.lower()) for e, v in _correct_stride().items()}
    assert workshop.check_stride(answers).passed


def test_stride_incomplete_answer_names_missing_letters_and_a_finding():
    answers = _correct_stride()
    answers["llm_app"] = "STRD"  # I and E missing
    answers["customer"] = "SRT"  # T does not belong to an external entity
    del answers["log_store"]
    result = workshop.check_stride(answers)
    assert not result.passed
    lines = "\n".join(result.feedback)
    llm_lines = [line for line in result.feedback if "(llm_app)" in line]
    assert len(llm_lines) == 2
    assert any("add I (Information disclosure)" in line for line in llm_lines)
    assert any("add E (Elevation of privilege)" in line for line in llm_lines)
    # The example names a real finding of that STRIDE category on the element.
    findings = analyze(ThreatModel.from_template("rag_assistant")).for_target("llm_app")
    example = next(f for f in findings if "E" in f.stride)
    assert example.threat_id in next(line for line in llm_lines if "add E" in line)
    assert "(customer) is an external entity: T (Tampering) is not in STRIDE" in lines
    assert "no letters yet for Conversation log store (log_store)" in lines
    assert len(result.feedback) == 4


def test_stride_unknown_element():
    result = workshop.check_stride({**_correct_stride(), "nope": "S"})
    assert result.feedback == ("there is no element 'nope' in the model",)


# ------------------------------------------------------------------ exercise 2
def test_injection_exercise_model_has_no_untrusted_flows():
    model = workshop.injection_exercise_model()
    assert not [f for f in model.flows if f.untrusted_content]


def test_injection_reference_answer_passes():
    result = workshop.check_indirect_injection(_reference_untrusted())
    assert result.passed, result.feedback


def test_injection_empty_answer_names_the_threat_and_the_flows():
    result = workshop.check_indirect_injection([])
    assert not result.passed
    catalog = load_catalog()
    reference = analyze(ThreatModel.from_template("rag_assistant"))
    expected = [
        f
        for f in reference.findings
        if workshop.INDIRECT_INJECTION in catalog.threats[f.threat_id].references.atlas
        and f.id not in {g.id for g in analyze(workshop.injection_exercise_model()).findings}
    ]
    assert expected, "the template must produce indirect-injection findings"
    for finding in expected:
        line = next(x for x in result.feedback if f"flow {finding.target} (" in x)
        assert finding.threat_id in line
        assert "is not found yet" in line
    assert any(
        "f_vectors_to_app" in line and "retrieved chunks" in line for line in result.feedback
    )


def test_injection_partial_answer_lists_only_what_is_missing():
    marked = [f for f in _reference_untrusted() if f != "f_vectors_to_app"]
    result = workshop.check_indirect_injection(marked)
    assert not result.passed
    assert len(result.feedback) == 1
    assert "f_vectors_to_app" in result.feedback[0]
    assert "AITW-RAG-001" in result.feedback[0]


def test_injection_over_marking_and_typos_are_reported():
    result = workshop.check_indirect_injection([*_reference_untrusted(), "f_secrets_to_app", "x"])
    assert not result.passed
    assert "there is no flow 'x' in the model" in result.feedback
    assert any(
        line.startswith("f_secrets_to_app") and "no outsider can reach Secrets store" in line
        for line in result.feedback
    )


# ------------------------------------------------------------------ exercises 3 and 4
@pytest.mark.parametrize(
    ("check", "refs"),
    [
        (workshop.check_poisoning, workshop.POISONING),
        (workshop.check_theft_and_supply_chain, workshop.THEFT_AND_SUPPLY_CHAIN),
    ],
)
def test_family_checks_pass_when_every_finding_is_mitigated(check: Any, refs: tuple[str, ...]):
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    assert workshop.open_findings(model, refs), "the template must have findings to decide on"
    assert not check(model).passed
    result = check(_mitigate_all(model, refs))
    assert result.passed, result.feedback


def test_poisoning_incomplete_answer_names_the_open_threat_and_its_mitigations():
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    todo = workshop.open_findings(model, workshop.POISONING)
    done = _mitigate_all(model, workshop.POISONING)
    left = todo[0]
    decisions = [d for d in done.decisions if d.finding != left.id]
    result = workshop.check_poisoning(done.replace(decisions=decisions))
    assert not result.passed
    assert len(result.feedback) == 1
    line = result.feedback[0]
    threat = load_catalog().threats[left.threat_id]
    assert line.startswith(f"{threat.id} '{threat.title}' on {left.target_name}")
    assert "still open" in line
    assert all(m in line for m in threat.mitigations)


def test_poisoning_unrelated_mitigation_is_named():
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    finding = workshop.open_findings(model, workshop.POISONING)[0]
    done = _mitigate_all(model, workshop.POISONING).set_decision(
        Decision(finding=finding.id, status="mitigated", mitigations=["MIT-TLS"])
    )
    result = workshop.check_poisoning(done)
    assert not result.passed
    assert len(result.feedback) == 1
    assert (
        "marked mitigated, but the mitigations chosen (MIT-TLS) do not address it"
        in (result.feedback[0])
    )


def test_poisoning_accepting_above_tolerance_is_not_enough():
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    finding = workshop.open_findings(model, workshop.POISONING)[0]
    done = _mitigate_all(model, workshop.POISONING).set_decision(
        Decision(finding=finding.id, status="accepted", owner="ML lead", rationale="later")
    )
    result = workshop.check_poisoning(done)
    assert not result.passed
    assert "accepted although the risk is above the model's tolerance" in result.feedback[0]


def test_poisoning_removing_elements_does_not_count():
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    cut = _mitigate_all(model, workshop.POISONING).remove_element("labeling", cascade=True)
    result = workshop.check_poisoning(cut)
    assert not result.passed
    assert result.feedback[0].startswith("Vendor labelling (labeling) was removed")


def test_supply_chain_property_fix_counts():
    """Storing the base model as safetensors removes the pickle findings altogether."""
    model = ThreatModel.from_template(workshop.PIPELINE_TEMPLATE)
    before = {f.threat_id for f in workshop.open_findings(model, workshop.THEFT_AND_SUPPLY_CHAIN)}
    props = model.element("base_model").properties.model_copy(
        update={"model_format": "safetensors"}
    )
    fixed = model.update_element("base_model", properties=props)
    after = {f.threat_id for f in workshop.open_findings(fixed, workshop.THEFT_AND_SUPPLY_CHAIN)}
    assert "AITW-SUP-002" in before - after
    lines = workshop.check_theft_and_supply_chain(fixed).feedback
    assert not [line for line in lines if line.startswith("AITW-SUP-002")]


# ------------------------------------------------------------------ display
def test_result_html_is_escaped_and_says_the_verdict():
    result = workshop.CheckResult("Ex <1>", passed=False, feedback=("<script>x</script>",))
    page = result._repr_html_()
    assert "<script>" not in page
    assert html.escape("<script>x</script>") in page
    assert "not yet" in page
    assert "data-passed='false'" in page
    assert "well done" in str(workshop.check_stride(_correct_stride()))


# ------------------------------------------------------------------ notebooks
# The runs are shared with tests/test_notebooks.py: each notebook is executed once.
def _checks(nb: Any) -> list[str]:
    """The HTML of every self-check result the notebook shows."""
    return [
        out.data["text/html"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "text/html" in out.get("data", {}) and "atw-check" in out.data["text/html"]
    ]


@pytest.mark.slow
def test_exercises_notebook_as_is_says_not_yet(notebook_runs: RunNotebook):
    nb = notebook_runs(EXERCISES).nb
    checks = _checks(nb)
    assert len(checks) == len(workshop.CHECKS)
    assert all("data-passed='false'" in c and "not yet" in c for c in checks)
    assert all("<li>" in c for c in checks), "each check must say what is missing"


@pytest.mark.slow
def test_solutions_notebook_passes_every_check(notebook_runs: RunNotebook):
    nb = notebook_runs(SOLUTIONS).nb
    checks = _checks(nb)
    assert len(checks) == len(workshop.CHECKS)
    assert all("data-passed='true'" in c for c in checks), checks
