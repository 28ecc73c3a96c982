"""The built-in catalog's content: every threat fires somewhere, and each starter
architecture yields the findings a security reviewer would expect."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, analyze
from workbench.starters import load_template, names

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "catalog"
ATLAS_CASES = Path(__file__).resolve().parents[1] / "benchmarks" / "atlas_cases"


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def analysis(name: str) -> Analysis:
    return analyze(load_template(name), catalog())


def fixture_models() -> list[ThreatModel]:
    return [ThreatModel.load(p) for p in sorted(FIXTURES.glob("*.yaml"))]


def case_models() -> list[ThreatModel]:
    """The ATLAS case studies drawn as their owners would have (benchmarks/atlas_cases)."""
    return [ThreatModel.load(p) for p in sorted(ATLAS_CASES.glob("AML.CS*.yaml"))]


def test_catalog_is_substantial() -> None:
    c = catalog()
    assert len(c.threats) >= 60
    assert len(c.mitigations) >= 40
    stages = {t.pasta_stage for t in c.threats.values()}
    assert stages == {4, 5}
    targets = {t.target for t in c.threats.values()}
    assert targets == {"element", "flow"}


def test_every_threat_fires_on_an_architecture_fixture_or_case() -> None:
    """Every threat is suggested somewhere: on a starter, a test fixture or one of the
    real incidents drawn for the ATLAS benchmark (a rule that fires nowhere is dead)."""
    fired: set[str] = set()
    for name in names():
        fired |= {f.threat_id for f in analysis(name).findings}
    for m in fixture_models() + case_models():
        fired |= {f.threat_id for f in analyze(m, catalog()).findings}
    never = sorted(set(catalog().threats) - fired)
    assert never == [], f"threats that fire on no architecture, fixture or case: {never}"


def test_every_mitigation_is_used() -> None:
    used = {m for t in catalog().threats.values() for m in t.mitigations}
    unused = sorted(set(catalog().mitigations) - used)
    assert len(unused) <= len(catalog().mitigations) // 4, unused


def test_stride_baseline_covers_every_dfd_type() -> None:
    from workbench.catalog.predicates import DfdIn

    covered: dict[str, set[str]] = {}
    for t in catalog().threats.values():
        if not t.id.startswith("AITW-STRIDE-"):
            continue
        ops = getattr(t.applies_to, "all", [t.applies_to])
        dfds = [o for o in ops if isinstance(o, DfdIn)]
        kinds = [d.value for o in dfds for d in o.dfd] if dfds else [t.target]
        for k in kinds:
            covered.setdefault(k, set()).update(t.stride)
    assert covered.get("external_entity", set()) >= {"S", "R"}
    assert covered.get("process", set()) >= {"S", "T", "R", "I", "D", "E"}
    assert covered.get("data_store", set()) >= {"T", "I", "D"}
    assert covered.get("flow", set()) >= {"T", "I", "D"}


def _has(
    a: Analysis,
    *,
    target: set[str] | None = None,
    atlas: str | None = None,
    owasp: str | None = None,
) -> list[str]:
    hits = []
    for f in a.findings:
        if target is not None and f.target not in target:
            continue
        if atlas is not None and not any(x == atlas or x.startswith(atlas + ".") for x in f.atlas):
            continue
        if owasp is not None and owasp not in f.owasp:
            continue
        hits.append(f.id)
    return hits


def _flows(
    a: Analysis, *, into: set[str] | None = None, out_of: set[str] | None = None
) -> set[str]:
    return {
        f.id
        for f in a.model.flows
        if (into is None or f.target in into) and (out_of is None or f.source in out_of)
    }


RAG_PATH = {"ingestion_pipeline", "vector_store", "llm_app", "document_store"}


def test_rag_assistant_expectations() -> None:
    a = analysis("rag_assistant")
    path = RAG_PATH | _flows(a, into=RAG_PATH)
    assert _has(a, target=path, atlas="AML.T0051.001", owasp="LLM01"), (
        "indirect prompt injection on the ingestion/retrieval path"
    )
    assert _has(a, target={"vector_store"}, owasp="LLM08"), "vector store poisoning"
    to_model = {"llm_app", "llm_api"} | _flows(a, into={"llm_api", "llm_app"})
    assert _has(a, target=to_model, owasp="LLM02"), "PII flowing to the model"
    assert _has(a, owasp="LLM10"), "unbounded consumption"
    paths = [p for p in a.attack_paths if p.source == "customer"]
    assert any(p.target == "document_store" for p in paths) or any(
        "document_store" in p.elements for p in paths
    ), "attack path to the document store"


def test_llm_agent_tools_expectations() -> None:
    a = analysis("llm_agent_tools")
    tools = {"sql_tool", "email_tool", "code_interpreter", "crm_mcp", "web_browser", "agent"}
    assert _has(a, target=tools, owasp="LLM06"), "excessive agency"
    assert _has(a, atlas="AML.T0110") or _has(a, owasp="LLM03"), "tool / MCP poisoning"
    assert _has(a, target={"agent", "agent_memory"}, atlas="AML.T0080"), "memory poisoning"
    assert _has(a, atlas="AML.T0086"), "exfiltration via tool invocation"


def test_fine_tuning_pipeline_expectations() -> None:
    a = analysis("fine_tuning_pipeline")
    assert _has(a, atlas="AML.T0010"), "supply chain compromise from the model hub"
    assert _has(a, owasp="ML06") or _has(a, owasp="LLM03")
    assert _has(a, atlas="AML.T0020"), "poisoning of the fine-tuning data"


def test_fraud_classifier_expectations() -> None:
    a = analysis("fraud_classifier")
    assert _has(a, target={"scoring_endpoint", "fraud_model"}, atlas="AML.T0015"), "evasion"
    assert _has(a, owasp="ML08") or _has(a, owasp="ML02"), "skewing / poisoning via feedback"
    assert _has(a, owasp="ML04") or _has(a, owasp="ML05"), "inference or extraction via scores"


def test_on_device_model_expectations() -> None:
    a = analysis("on_device_model")
    assert _has(
        a, target={"on_device_model", "mobile_app", "inference_runtime"}, owasp="ML05"
    ) or _has(a, atlas="AML.T0044"), "model theft from the device"
    assert _has(a, atlas="AML.T0020") or _has(a, owasp="ML02"), "telemetry poisoning"


@pytest.mark.parametrize("name", sorted(names()))
def test_findings_are_explained_and_not_noise(name: str) -> None:
    a = analysis(name)
    assert a.findings
    assert all(f.why for f in a.findings)
    per_element = len(a.findings) / max(1, len(a.model.elements) + len(a.model.flows))
    assert per_element < 6, f"{per_element:.1f} findings per element or flow: too noisy"
    assert {f.pasta_stage for f in a.findings} == {4, 5}


# ----------------------------------------------------------------------------- review feedback
# Findings a reviewer called noise or wrong on the starters (issue 12): each check keeps one
# fixed rule from coming back. Small inline models stand for patterns no starter draws.

STARTER_CEILING = 40
"""Most findings a starter may yield: beyond this, the useful ones drown in noise."""


def _targets(a: Analysis, threat: str) -> set[str]:
    return {f.target for f in a.findings if f.threat_id == threat}


def _model(elements: list[dict[str, Any]], flows: list[dict[str, Any]]) -> ThreatModel:
    return ThreatModel.model_validate(
        {
            "system": {"name": "T"},
            "boundaries": [{"id": "inet", "name": "Internet", "trust": "untrusted"}],
            "elements": elements,
            "flows": flows,
        }
    )


def _e(id_: str, kind: str, boundary: str | None = None, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id_, "kind": kind, "name": id_.replace("_", " ").title()}
    if boundary:
        out["boundary"] = boundary
    if props:
        out["properties"] = props
    return out


def _f(id_: str, source: str, target: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "source": source, "target": target, **extra}


@pytest.mark.parametrize("name", sorted(names()))
def test_starters_stay_reviewable(name: str) -> None:
    a = analysis(name)
    assert len(a.findings) <= STARTER_CEILING, (
        f"{name}: {len(a.findings)} findings; a reviewer reads at most {STARTER_CEILING}"
    )


@pytest.mark.parametrize("name", sorted(names()))
def test_generic_stride_checks_step_aside_for_people_and_ai_variants(name: str) -> None:
    a = analysis(name)
    kinds = {e.id: e.kind for e in a.model.elements}
    untrusted = set(a.untrusted_actors)
    # people are not asked to keep logs, and outsiders are not asked to authenticate
    assert not {t for t in _targets(a, "AITW-STRIDE-002") if kinds[t] == "user"}
    flows = {f.id: f for f in a.model.flows}
    assert not {t for t in _targets(a, "AITW-STRIDE-016") if flows[t].source in untrusted}
    # a public service's reply to the system's own request is not a flood
    assert not {
        t for t in _targets(a, "AITW-STRIDE-017") if kinds[flows[t].source] == "external_service"
    }
    # one missing control, one finding: the AI-specific variant wins
    for generic, specific in [
        ("AITW-STRIDE-008", "AITW-MDL-008"),
        ("AITW-STRIDE-008", "AITW-LLM-013"),
        ("AITW-STRIDE-005", "AITW-RAG-006"),
        ("AITW-STRIDE-005", "AITW-DATA-002"),
        ("AITW-STRIDE-009", "AITW-SUP-007"),
        ("AITW-STRIDE-009", "AITW-AGT-015"),
        ("AITW-LLM-007", "AITW-OPS-004"),
    ]:
        both = _targets(a, generic) & _targets(a, specific)
        assert not both, f"{generic} and {specific} both on {both}"


def test_rag_assistant_wrong_targets_stay_fixed() -> None:
    a = analysis("rag_assistant")
    # the output guardrail filters answers before the client renders them
    assert "web_client" not in _targets(a, "AITW-LLM-009")
    # the app's similarity search is a query: it writes nothing into the vector store
    assert not _targets(a, "AITW-AGT-009")
    # the app calls no tools
    assert "llm_app" not in _targets(a, "AITW-AGT-002")
    # retrieved chunks reach the model unscreened: the input guardrail sees only questions
    assert "llm_app" in _targets(a, "AITW-LLM-003")
    # the provider element is recorded as holding the data: one finding there, not per flow
    assert {"llm_api", "embedding_api"} <= _targets(a, "AITW-OPS-004")
    assert not _targets(a, "AITW-LLM-007")


def test_llm_agent_tools_wrong_targets_stay_fixed() -> None:
    a = analysis("llm_agent_tools")
    # only the agent's own memory writes (it keeps persistent memory) are memory poisoning
    assert _targets(a, "AITW-AGT-009") == {"f_agent_to_memory"}
    # the deceptive page arrives on the browser's fetch, where it is planted
    assert "f_web_to_browser" in _targets(a, "AITW-AGT-023")
    # the chat client renders output inertly (output filtering): no exfiltration finding
    assert "chat_client" not in _targets(a, "AITW-LLM-008")
    # the e-mail tool waits for a named approver: not a confused deputy acting alone
    assert "email_tool" not in _targets(a, "AITW-AGT-005")


def test_a_router_does_not_repeat_the_agents_llm_findings() -> None:
    m = _model(
        [
            _e("user", "user", "inet"),
            _e("front", "llm_app", exposure="internet", authentication="oauth"),
            _e("agent", "agent"),
            _e("model", "foundation_model_api"),
            _e("tool", "tool", privilege="read"),
        ],
        [
            _f("f1", "user", "front"),
            _f("f2", "front", "agent"),
            _f("f3", "agent", "model"),
            _f("f4", "model", "agent"),
            _f("f5", "agent", "tool"),
            _f("f6", "tool", "agent"),
            _f("f7", "agent", "front"),
            _f("f8", "front", "user"),
        ],
    )
    a = analyze(m, catalog())
    model_behaviour = {"AITW-LLM-001", "AITW-LLM-002", "AITW-LLM-004", "AITW-LLM-006"}
    model_behaviour |= {"AITW-LLM-011", "AITW-AGT-002"}
    on_front = {f.threat_id for f in a.for_target("front")}
    on_agent = {f.threat_id for f in a.for_target("agent")}
    assert not on_front & model_behaviour, "the router prompts no model itself"
    assert {"AITW-LLM-001", "AITW-AGT-002"} <= on_agent


def test_a_plugin_behind_a_plugin_host_is_still_a_supply_chain_risk() -> None:
    m = _model(
        [
            _e("user", "user", "inet"),
            _e("agent", "agent"),
            _e("model", "foundation_model_api"),
            _e("host", "tool"),
            _e("plugin", "tool", third_party=True),
            _e("web", "external_service", "inet"),
        ],
        [
            _f("f1", "user", "agent"),
            _f("f2", "agent", "model"),
            _f("f3", "model", "agent"),
            _f("f4", "agent", "host"),
            _f("f5", "host", "plugin"),
            _f("f6", "plugin", "host", initiated_by="target"),
            _f("f7", "host", "agent"),
            _f("f8", "web", "plugin", untrusted_content=True),
        ],
    )
    a = analyze(m, catalog())
    assert "plugin" in _targets(a, "AITW-AGT-010"), "tool poisoning travels through the host"
    assert "plugin" in _targets(a, "AITW-AGT-007"), "data can leave through the plugin"
    # the host relays outsiders' content into the agent's context
    assert "f7" in _targets(a, "AITW-AGT-001")


def test_findings_sit_where_the_attack_lands() -> None:
    """Planting, credential harvesting and software supply chain are found at the store,
    the configuration or the download, not only on the agent that suffers them."""
    m = _model(
        [
            _e("sharer", "user", "inet"),
            _e("drive", "document_store"),
            _e("connector", "tool", privilege="read"),
            _e("agent", "agent", privilege="execute", persistent_memory=True),
            _e("model", "foundation_model_api"),
            _e("shell", "tool", executes_code=True, privilege="execute"),
            _e("config", "secrets_store", encrypted_at_rest=False),
            _e("index", "external_service", "inet"),
            _e("installer", "data_pipeline", versions_pinned=False),
            _e("memory", "data_store"),
        ],
        [
            _f("plant", "sharer", "drive", untrusted_content=True),
            _f("read", "drive", "connector"),
            _f("docs", "connector", "agent"),
            _f("ask", "agent", "connector"),
            _f("prompt", "agent", "model"),
            _f("answer", "model", "agent"),
            _f("run", "agent", "shell"),
            _f("out", "shell", "agent"),
            _f("keys", "config", "shell"),
            _f("fetch", "index", "installer"),
            _f("install", "installer", "shell"),
            _f("remember", "agent", "memory"),
            _f("recall", "memory", "agent"),
        ],
    )
    a = analyze(m, catalog())
    assert "drive" in _targets(a, "AITW-RAG-002")
    assert "config" in _targets(a, "AITW-AGT-021")
    assert "fetch" in _targets(a, "AITW-SUP-010")
    assert "remember" in _targets(a, "AITW-AGT-009")
    assert "docs" in _targets(a, "AITW-AGT-001")


# The risk each starter's header comment names as the one to look at first, as finding
# IDs the top group must contain. Two IDs where the header names two risks of equal
# weight (the phone is the attacker's: evasion offline; telemetry feeds training).
KEY_RISK = {
    # one customer's ticket retrieved into another customer's answer
    "rag_assistant": {"AITW-RAG-003@vector_store"},
    # attacker-written pages and mail steer the agent into misusing its tools
    "llm_agent_tools": {"AITW-AGT-002@agent"},
    # the base model arrives unsigned and unpinned from a public hub
    "fine_tuning_pipeline": {"AITW-SUP-003@model_import", "AITW-SUP-001@base_model"},
    # an attacker probes the approve/decline answer until fraud slips through
    "fraud_classifier": {"AITW-MDL-001@scoring_endpoint"},
    # telemetry written by whoever runs the app feeds training; weights probed offline
    "on_device_model": {
        "AITW-DATA-002@telemetry_collector",
        "AITW-MDL-001@inference_runtime",
    },
}


@pytest.mark.parametrize("name", sorted(KEY_RISK))
def test_each_starters_top_group_is_its_key_risk(name: str) -> None:
    a = analysis(name)
    top = a.groups[0]
    assert KEY_RISK[name] & set(top.members), (name, top.id, top.members)


@pytest.mark.parametrize("name", sorted(KEY_RISK))
def test_each_starters_key_risk_stands_out(name: str) -> None:
    """The top group scores well above the typical finding: calibration discriminates."""
    a = analysis(name)
    scores = sorted(f.score for f in a.findings)
    median = scores[len(scores) // 2]
    assert a.groups[0].score >= 2 * median, (name, a.groups[0].score, median)
    assert a.groups[0].risk in ("high", "critical")


@pytest.mark.parametrize("name", sorted(names()))
def test_reviewed_starters_keep_at_most_half_above_tolerance(name: str) -> None:
    """A reviewed starter tells its key risks from the rest: at most half of its findings
    stay above the tolerance (decisions recorded for the handled ones), and its key risk
    is still open and above it."""
    from workbench.register import build_register

    register = build_register(analysis(name))
    above = {e.finding.id for e in register.above_tolerance()}
    assert len(above) <= len(register.entries) / 2, (name, len(above), len(register.entries))
    assert KEY_RISK[name] & above, (name, "its key risk must stay open")
