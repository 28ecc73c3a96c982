"""Threat statements (issue #15, "sentences, not traces"): every built-in threat has the
phrases of its statement, and every finding of the starters reads as a threat statement
that names who, what, which assets, by which route, and what would stop it."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from workbench.catalog import Catalog, Threat, load_catalog
from workbench.catalog.entries import PHRASE_PATTERN
from workbench.engine import Analysis, analyze
from workbench.starters import load_starter, names
from workbench.statements import Statement, statement, statements

STARTERS = names()

TRACE_FRAGMENTS = (
    " is trusted;",
    " is trusted.",
    " is a data store",
    " is not set",
    " is false",
    " is true",
    "content written by outsiders reaches it",
    "it feeds (directly or not)",
    "it is fed (directly or not)",
    " holds a crown jewel",
)
"""Pieces of a rule trace (``Finding.why``) that must never appear in a statement."""


@cache
def _catalog() -> Catalog:
    return load_catalog()


@cache
def _analysis(name: str) -> Analysis:
    return analyze(load_starter(name), _catalog())


@cache
def _statements(name: str) -> dict[str, Statement]:
    return statements(_analysis(name))


def _text(name: str, finding_id: str) -> str:
    return _statements(name)[finding_id].text


# ----------------------------------------------------------------------------- catalog
def test_starters_are_the_five() -> None:
    assert len(STARTERS) == 5


@pytest.mark.parametrize("threat_id", sorted(_catalog().threats))
def test_every_builtin_threat_has_statement_phrases_that_format(threat_id: str) -> None:
    t = _catalog().threats[threat_id]
    assert t.source != "auto", "built-in threats say who realises them"
    assert "{target}" in t.action
    for phrase in (t.action, t.consequence):
        assert re.fullmatch(PHRASE_PATTERN, phrase), phrase
        filled = phrase.replace("{target}", "Vector store")
        assert "{" not in filled
        assert "}" not in filled
        assert not filled.endswith(".")
        assert phrase[0].islower(), "phrases go inside a sentence"
    assert t.consequence.startswith("so that ")
    assert t.action.split()[0] not in ("can", "to"), "the action follows 'can'"


def test_builtin_phrases_are_distinct() -> None:
    actions = [t.action for t in _catalog().threats.values()]
    assert len(set(actions)) == len(actions)


def _threat_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "ORG-TEST-001",
        "title": "A test threat",
        "description": "A threat used to check how statement phrases are validated.",
        "action": "misuse {target}",
        "consequence": "so that something goes wrong",
        "applies_to": {"kind": ["llm_app"]},
        "stride": ["T"],
        "lifecycle": ["operation"],
        "likelihood": 3,
        "impact": 3,
        "mitigations": ["MIT-LOGGING"],
        "detection": ["x"],
        "response": ["y"],
    }
    doc.update(overrides)
    return doc


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", "", "at least 3 characters"),
        ("action", "misuse the system", "with '{target}'"),
        ("action", "misuse {target}.", "must not end with a period"),
        ("action", "misuse {name} and {target}", "the only placeholder"),
        ("action", "misuse {target} }", "the only placeholder"),
        ("action", " misuse {target}", "must not start or end with spaces"),
        ("consequence", "so that it breaks\nbadly", "must be one line"),
        ("consequence", "so that {asset} leaks", "the only placeholder"),
        ("consequence", "so that it breaks.", "must not end with a period"),
        ("source", "somebody", "Input should be"),
    ],
)
def test_bad_statement_phrases_are_refused(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Threat.model_validate(_threat_doc(**{field: value}))
    assert message in str(info.value)


@pytest.mark.parametrize("field", ["action", "consequence"])
def test_statement_phrases_are_required(field: str) -> None:
    doc = _threat_doc()
    del doc[field]
    with pytest.raises(ValidationError, match=field):
        Threat.model_validate(doc)


def test_consequence_may_name_the_target() -> None:
    t = Threat.model_validate(_threat_doc(consequence="so that {target} fails"))
    assert t.consequence == "so that {target} fails"


# ----------------------------------------------------------------------------- starters
def _doubled(text: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"\b(\w+)\s+\1\b", text, flags=re.IGNORECASE)]


@pytest.mark.parametrize("name", STARTERS)
def test_every_finding_of_every_starter_reads_as_a_statement(name: str) -> None:
    analysis = _analysis(name)
    written = _statements(name)
    assert list(written) == [f.id for f in analysis.findings]
    assert analysis.findings
    for f in analysis.findings:
        s = written[f.id]
        text = s.text
        assert f.target_name in text, (f.id, text)
        assert "{" not in text, (f.id, text)
        assert "}" not in text, (f.id, text)
        assert not _doubled(text), (f.id, _doubled(text), text)
        for fragment in TRACE_FRAGMENTS:
            assert fragment not in text, (f.id, fragment, text)
        assert text.startswith(s.source), (f.id, text)
        assert " can " in text, (f.id, text)
        assert ", so that " in text, (f.id, text)
        assert text.endswith("."), (f.id, text)
        # one or two sentences: the statement, then what stops it
        assert len(re.findall(r"\.\s+[A-Z“]", text)) == 1, (f.id, text)
        assert s.stops, f.id
        assert any(c.title in text for c in s.stops), (f.id, text)
        if s.route:
            assert s.route[0] in text, (f.id, s.route, text)


@pytest.mark.parametrize("name", STARTERS)
def test_a_statement_names_the_origin_of_the_route_its_why_names(name: str) -> None:
    """Where the finding's evidence names outsiders' route, the statement says who is at
    its start and by which route."""
    catalog = _catalog()
    for f in _analysis(name).findings:
        s = _statements(name)[f.id]
        if catalog.threats[f.threat_id].source != "outsider":
            continue
        if not any("reaches it: " in w for w in f.why):
            continue
        assert s.route, (f.id, f.why)
        assert s.source_kind in ("outsider", "user"), f.id
        assert s.route[0] in s.text, (f.id, s.route, s.text)
        why_routes = [w.split(": ", 1)[1] for w in f.why if "reaches it: " in w]
        assert any(w.startswith(s.route[0]) or s.route[1] in w for w in why_routes), (
            f.id,
            why_routes,
            s.route,
        )


def test_statements_are_deterministic_and_match_one_by_one() -> None:
    a = _analysis("rag_assistant")
    again = statements(analyze(load_starter("rag_assistant"), _catalog()))
    assert again == _statements("rag_assistant")
    f = a.finding("AITW-RAG-003@vector_store")
    assert statement(a, f) == _statements("rag_assistant")[f.id]


def test_statement_as_plain_data_is_json() -> None:
    s = _statements("rag_assistant")["AITW-LLM-001@llm_app"]
    data = json.loads(json.dumps(s.to_dict()))
    assert data["text"] == s.text
    assert set(data) >= {
        "source",
        "prerequisites",
        "action",
        "impact",
        "assets",
        "route",
        "in_place",
        "recommended",
    }
    assert data["route_ids"][0] == "customer"
    assert data["goals"] == ["integrity", "authorization"]


# ----------------------------------------------------------------------------- spot checks
def test_rag_planted_content_in_the_vector_store() -> None:
    assert _text("rag_assistant", "AITW-RAG-002@vector_store") == (
        "An outsider who can put content into Ticket system can plant documents or hidden "
        "instructions in Vector store, via Ingestion pipeline, so that the AI that reads it "
        "repeats false information or acts on the planted instructions, for many users and "
        "possibly weeks later, affecting Customer support tickets (confidential, personal "
        "data, crown jewel), Chunk embeddings (confidential) and Internal knowledge articles "
        "(confidential). The threat model shows no control against it: nothing screens this "
        "route; the recommended controls are “Vet, sanitise and trace documents before they are "
        "indexed”, “Data lineage and source vetting” and “Backups, restore and rollback of data "
        "and models”."
    )


def test_rag_direct_injection_names_the_customer_and_the_guardrail_on_the_way() -> None:
    s = _statements("rag_assistant")["AITW-LLM-001@llm_app"]
    assert s.source == "A user (Customer or remote staff member)"
    assert s.route_ids == ("customer", "web_client", "api_gateway", "prompt_guard", "llm_app")
    assert s.screens == ("Input guardrail",)
    assert s.text.startswith(
        "A user (Customer or remote staff member) can override the instructions of "
        "Assistant orchestrator (LLM app) with their own, via Help-centre chat widget → "
        "API gateway and WAF → Input guardrail, so that they steer its answers"
    )
    assert "Input guardrail screens this route but cannot be counted on to stop it" in s.text


def test_rag_retrieval_without_permissions_is_a_user_asking_the_assistant() -> None:
    s = _statements("rag_assistant")["AITW-RAG-003@vector_store"]
    assert s.source_kind == "user"
    assert s.route_ids[-1] == "llm_app"  # the store is reached by asking the assistant
    assert s.text.startswith(
        "A user (Customer or remote staff member) can retrieve other tenants' or "
        "restricted chunks from Vector store by asking the right question, via "
        "Help-centre chat widget → API gateway and WAF → Input guardrail → Assistant "
        "orchestrator (LLM app), so that they read, through the assistant, data they "
        "could never open at its source, affecting Customer support tickets"
    )
    assert s.recommended[0].id == "MIT-LLM-RAG-ACCESS-FILTER"


def test_rag_provider_keeps_personal_data() -> None:
    s = _statements("rag_assistant")["AITW-OPS-004@llm_api"]
    assert s.source == "The provider of Hosted foundation model API or anyone who compromises it"
    assert [a.name for a in s.assets][:2] == ["Customer support tickets", "User questions"]
    assert "can store, read or reuse the personal or confidential data sent to Hosted" in s.text


def test_rag_insider_changes_the_prompt() -> None:
    text = _text("rag_assistant", "AITW-LLM-017@llm_app")
    assert text.startswith(
        "An insider (Assistant operator) or anyone holding their access can change the "
        "system prompt, tool definitions, knowledge sources or model routing of Assistant "
        "orchestrator (LLM app), so that hidden instructions persist for every user"
    )


def test_rag_cleartext_flow_is_someone_on_the_path() -> None:
    s = _statements("rag_assistant")["AITW-STRIDE-015@f_gateway_to_guard"]
    assert s.target == "the question to screen flow (API gateway and WAF → Input guardrail)"
    assert s.text.startswith(
        "Someone on the network path from API gateway and WAF to Input guardrail can read "
        "and change the data on the question to screen flow (API gateway and WAF → Input "
        "guardrail), so that"
    )
    assert s.assets[0].name == "User questions"


def test_rag_controls_in_place_are_said_before_the_rest() -> None:
    s = _statements("rag_assistant")["AITW-LLM-012@api_gateway"]
    assert [c.id for c in s.in_place] == list(
        _analysis("rag_assistant").finding(s.finding).in_place
    )
    assert (
        "“Cap tokens, context size and spend per request, user and tenant”, “Rate limits, "
        "quotas and cost caps” and “Monitoring, anomaly detection and alerting” are in place "
        "and lower its likelihood; the further recommended control is “Capacity, timeouts, "
        "resource limits and graceful degradation”."
    ) in s.text
    # the gateway holds no asset: the crown jewels it leads to are named
    assert s.assets[0].name == "Customer support tickets"
    assert s.assets[0].held_in.startswith("Assistant orchestrator (LLM app) and ")


def test_agent_injection_through_mail_names_the_senders() -> None:
    text = _text("llm_agent_tools", "AITW-AGT-001@f_email_to_agent")
    assert text.startswith(
        "An outsider who controls content from External mail senders and recipients can "
        "plant instructions in content carried into the agent's context over the inbox "
        "messages flow (E-mail tool → Operations agent runtime), so that they hijack the "
        "agent's plan for as long as the text stays in its context"
    )


def test_agent_third_party_tool_is_whoever_controls_it() -> None:
    s = _statements("llm_agent_tools")["AITW-AGT-010@crm_mcp"]
    assert s.source_kind == "provider"
    assert s.text.startswith(
        "Whoever controls CRM connector (third-party MCP server) can hide instructions in "
        "the tool names, descriptions and results that CRM connector (third-party MCP "
        "server) gives the agent"
    )
    assert "is in place and lowers its likelihood" in s.text


def test_agent_user_is_the_employee() -> None:
    s = _statements("llm_agent_tools")["AITW-LLM-001@agent"]
    assert s.source == "A user (Employee)"
    assert ", via Chat client, so that they steer its answers" in s.text


def test_supplier_is_the_hub_upstream() -> None:
    s = _statements("fine_tuning_pipeline")["AITW-MDL-012@fine_tuning_job"]
    assert s.source_kind == "supplier"
    assert s.text.startswith(
        "An outsider who can publish to Public model hub can plant a backdoor or a "
        "deliberate skew in the base model that LoRA fine-tuning job starts from, via Base "
        "model import job → Base model checkpoint, so that"
    )


# ----------------------------------------------------------------------------- robustness
def test_model_text_is_inserted_as_it_is() -> None:
    model = load_starter("rag_assistant")
    model = model.update_element("vector_store", name="Vector {target} store.")
    a = analyze(model, _catalog())
    s = statement(a, a.finding("AITW-RAG-003@vector_store"))
    assert "chunks from Vector {target} store. by asking the right question, via" in s.text
    assert s.text.count("{target}") == s.text.count("Vector {target} store.") == 1


def test_a_user_catalog_threat_without_a_source_gets_one(tmp_path: Path) -> None:
    doc = {
        "threats": [
            _threat_doc(
                id="ORG-LLM-001",
                applies_to={"all": [{"kind": ["llm_app"]}, {"influenced": True}]},
            ),
            _threat_doc(id="ORG-LLM-002", applies_to={"kind": ["foundation_model_api"]}),
            _threat_doc(id="ORG-LLM-003", applies_to={"kind": ["log_store"]}),
        ]
    }
    (tmp_path / "org.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    catalog = load_catalog(tmp_path)
    a = analyze(load_starter("rag_assistant"), catalog)
    written = statements(a)
    assert written["ORG-LLM-001@llm_app"].source_kind == "outsider"
    assert written["ORG-LLM-001@llm_app"].route
    assert written["ORG-LLM-002@llm_api"].source_kind == "provider"
    assert written["ORG-LLM-003@log_store"].source == "An insider"
    assert written["ORG-LLM-003@log_store"].text.startswith(
        "An insider with access to Conversation log store can misuse Conversation log store"
    )
