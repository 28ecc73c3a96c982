"""The built-in catalog's content: every threat fires somewhere, and each starter
architecture yields the findings a security reviewer would expect."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, analyze
from workbench.templates import load_template, names

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "catalog"


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def analysis(name: str) -> Analysis:
    return analyze(load_template(name), catalog())


def fixture_models() -> list[ThreatModel]:
    return [ThreatModel.load(p) for p in sorted(FIXTURES.glob("*.yaml"))]


def test_catalog_is_substantial() -> None:
    c = catalog()
    assert len(c.threats) >= 60
    assert len(c.mitigations) >= 40
    stages = {t.pasta_stage for t in c.threats.values()}
    assert stages == {4, 5}
    targets = {t.target for t in c.threats.values()}
    assert targets == {"element", "flow"}


def test_every_threat_fires_on_an_architecture_or_fixture() -> None:
    fired: set[str] = set()
    for name in names():
        fired |= {f.threat_id for f in analysis(name).findings}
    for m in fixture_models():
        fired |= {f.threat_id for f in analyze(m, catalog()).findings}
    never = sorted(set(catalog().threats) - fired)
    assert never == [], f"threats that fire on no architecture or fixture: {never}"


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
