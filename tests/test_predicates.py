"""The rule language: one table row per operator, each with a case that holds and one that
does not, and the reason it gives; load errors for bad rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from workbench import ThreatModel
from workbench.catalog import OPERATORS, Predicate, load_catalog
from workbench.engine.matchers import ANY_ELEMENT, ANY_FLOW, explainer, matcher
from workbench.engine.rules import Facts, evaluate
from workbench.errors import ModelFileError

RULE: TypeAdapter[Any] = TypeAdapter(Predicate)

MODEL = ThreatModel.model_validate(
    {
        "system": {"name": "P"},
        "boundaries": [
            {"id": "inet", "name": "Internet", "trust": "untrusted"},
            {"id": "vpc", "name": "VPC"},
        ],
        "assets": [
            {"id": "pii", "name": "Customer data", "classification": "restricted", "pii": True},
            {"id": "pub", "name": "FAQ", "classification": "public"},
        ],
        "elements": [
            {"id": "web", "kind": "user", "name": "Visitor", "boundary": "inet"},
            {
                "id": "src",
                "kind": "data_source",
                "name": "Partner feed",
                "properties": {"trusted": True},
            },
            {
                "id": "app",
                "kind": "llm_app",
                "name": "Bot",
                "boundary": "vpc",
                "properties": {"exposure": "internet", "rate_limited": False},
            },
            {
                "id": "vs",
                "kind": "vector_store",
                "name": "Index",
                "boundary": "vpc",
                "assets": ["pii"],
            },
            {"id": "pipe", "kind": "data_pipeline", "name": "Ingest", "boundary": "vpc"},
            {
                "id": "tool",
                "kind": "tool",
                "name": "Mailer",
                "boundary": "vpc",
                "properties": {"privilege": "write"},
            },
            {
                "id": "kb",
                "kind": "document_store",
                "name": "KB",
                "boundary": "vpc",
                "assets": ["pub"],
            },
        ],
        "flows": [
            {"id": "f_ask", "source": "web", "target": "app", "name": "question"},
            {
                "id": "f_feed",
                "source": "src",
                "target": "pipe",
                "untrusted_content": True,
                "encrypted": True,
            },
            {"id": "f_index", "source": "pipe", "target": "vs", "data": ["pii"]},
            {"id": "f_ctx", "source": "vs", "target": "app"},
            {"id": "f_mail", "source": "app", "target": "tool", "encrypted": False},
            {"id": "f_kb", "source": "kb", "target": "pipe", "data": ["pub"]},
        ],
    }
)
FACTS = Facts(MODEL.graph())

# (rule, target, holds, a reason it gives)
TABLE: list[tuple[dict[str, Any], str, bool, str]] = [
    ({"kind": ["llm_app", "agent"]}, "app", True, "Bot is an LLM application"),
    ({"kind": ["agent"]}, "app", False, "Bot is an LLM application"),
    ({"layer": ["data"]}, "vs", True, "Index is in the data layer"),
    ({"layer": ["model"]}, "vs", False, "Index is in the data layer"),
    ({"dfd": ["data_store"]}, "vs", True, "Index is a data store"),
    ({"dfd": ["process"]}, "web", False, "Visitor is an external entity"),
    ({"prop": {"exposure": "internet"}}, "app", True, "exposure is internet"),
    ({"prop": {"rate_limited": [False, None]}}, "app", True, "rate limited is false"),
    ({"prop": {"rate_limited": [False, None]}}, "vs", True, "rate limited is not set"),
    ({"prop": {"rate_limited": True}}, "app", False, "rate limited is false"),
    ({"prop": {"privilege": ["write", "admin"]}}, "tool", True, "privilege is write"),
    ({"prop": {"encrypted": False}}, "f_mail", True, "encrypted is false"),
    ({"prop": {"untrusted_content": True}}, "f_feed", True, "untrusted content is true"),
    ({"missing": ["logging", "monitored"]}, "app", True, "logging is not set"),
    ({"missing": ["exposure"]}, "app", False, "exposure is internet"),
    ({"classification_at_least": "confidential"}, "vs", True, "it holds restricted data"),
    ({"classification_at_least": "confidential"}, "kb", False, "it holds public data"),
    ({"classification_at_least": "restricted"}, "f_index", True, "it carries restricted data"),
    ({"pii": True}, "vs", True, "Index holds personal data"),
    ({"pii": True}, "kb", False, "KB holds no personal data"),
    ({"pii": True}, "f_index", True, "it carries personal data"),
    (
        {"incoming_from": ["vector_store"]},
        "app",
        True,
        "it receives data from Index (vector store)",
    ),
    ({"incoming_from": ["model_hub"]}, "app", False, "nothing of kind model_hub feeds it"),
    ({"outgoing_to": ["tool"]}, "app", True, "it feeds Mailer (tool)"),
    ({"outgoing_to": ["tool"]}, "vs", False, "it feeds nothing of kind tool"),
    (
        {"incoming_untrusted": True},
        "app",
        True,
        "it receives data from Visitor (user), which is untrusted",
    ),
    (
        {"incoming_untrusted": True},
        "pipe",
        True,
        "flow 'f_feed' brings it content that outsiders can write",
    ),
    ({"incoming_untrusted": True}, "vs", False, "it receives nothing from untrusted sources"),
    ({"untrusted": True}, "web", True, "Visitor is untrusted"),
    ({"untrusted": True}, "src", False, "Partner feed is trusted"),
    ({"entry_point": True}, "app", True, "Bot is an entry point for untrusted actors"),
    ({"entry_point": True}, "vs", False, "Index is not an entry point"),
    ({"crown_jewel": True}, "vs", True, "Index holds a crown jewel"),
    ({"crown_jewel": True}, "kb", False, "KB holds no crown jewel"),
    (
        {"reachable_from_untrusted": True},
        "tool",
        True,
        "content written by outsiders reaches it: Visitor → Bot → Mailer",
    ),
    (  # the partner feed is trusted, but its flow carries outsiders' content
        {"reachable_from_untrusted": True},
        "vs",
        True,
        "content that outsiders can write reaches it: Partner feed → Ingest → Index",
    ),
    ({"reachable_from_untrusted": True}, "kb", False, "no untrusted data reaches KB"),
    (
        {"influenced": True},
        "tool",
        True,
        "content written by outsiders reaches it: Visitor → Bot → Mailer",
    ),
    (
        {"influenced": {"via_store": True}},
        "app",
        True,
        "content that outsiders can write reaches it: Partner feed → Ingest → Index → Bot"
        " (kept in Index on the way)",
    ),
    (
        {"influenced": {"via_store": True}},
        "pipe",
        False,
        "no content written by outsiders reaches Ingest",
    ),
    (
        {"influenced": {"from": ["user"]}},
        "vs",
        False,
        "no content written by outsiders reaches Index",
    ),
    (
        {"influenced": {"screened": False}},
        "tool",
        True,
        "content written by outsiders reaches it: Visitor → Bot → Mailer",
    ),
    ({"influenced": True}, "kb", False, "no content written by outsiders reaches KB"),
    ({"influenced": True}, "web", False, "no content written by outsiders reaches Visitor"),
    (
        {"influenced": True},
        "f_mail",
        True,
        "content written by outsiders reaches it: Visitor → Bot → Mailer",
    ),
    ({"model_type": ["llm"]}, "app", True, "Bot serves a generative language (LLM) model"),
    ({"model_type": ["classifier"]}, "app", False, "Bot serves a generative language (LLM) model"),
    ({"model_type": ["classifier"]}, "vs", False, "Index bears no model of a known type"),
    ({"modality": ["text"]}, "app", True, "its model takes text input"),
    ({"modality": ["image"]}, "app", False, "its model takes text input"),
    ({"crosses_boundary": True}, "f_ask", True, "the flow crosses a trust boundary"),
    ({"crosses_boundary": True}, "f_index", False, "the flow stays inside one boundary"),
    ({"crosses_boundary": True}, "pipe", True, "flow 'f_feed' crosses a trust boundary"),
    (
        {"upstream": {"kind": ["data_source"], "max_hops": 3}},
        "app",
        True,
        "it is fed (directly or not) by Partner feed (data source)",
    ),
    (
        {"upstream": {"kind": ["data_source"], "max_hops": 1}},
        "app",
        False,
        "nothing of kind data_source feeds it",
    ),
    (
        {"downstream": {"kind": ["tool"], "max_hops": 2}},
        "vs",
        True,
        "it feeds (directly or not) Mailer (tool)",
    ),
    (
        {"downstream": {"kind": ["tool"], "max_hops": 1}},
        "vs",
        False,
        "it feeds nothing of kind tool",
    ),
    ({"source": {"untrusted": True}}, "f_ask", True, "Visitor is untrusted"),
    ({"target": {"kind": ["tool"]}}, "f_mail", True, "Mailer is a tool"),
    ({"target": {"kind": ["tool"]}}, "f_ask", False, "Bot is an LLM application"),
    (
        {"all": [{"kind": ["llm_app"]}, {"entry_point": True}]},
        "app",
        True,
        "Bot is an entry point for untrusted actors",
    ),
    (
        {"all": [{"kind": ["llm_app"]}, {"prop": {"rate_limited": True}}]},
        "app",
        False,
        "rate limited is false",
    ),
    (
        {"any": [{"kind": ["agent"]}, {"kind": ["llm_app"]}]},
        "app",
        True,
        "Bot is an LLM application",
    ),
    ({"any": [{"kind": ["agent"]}, {"kind": ["tool"]}]}, "app", False, "Bot is an LLM application"),
    ({"not": {"prop": {"rate_limited": True}}}, "app", True, "rate limited is false"),
    ({"not": {"kind": ["llm_app"]}}, "app", False, "Bot is an LLM application"),
]


def _target(target_id: str) -> Any:
    return FACTS.elements.get(target_id) or FACTS.flows[target_id]


@pytest.mark.parametrize(
    ("rule", "target", "holds", "reason"),
    TABLE,
    ids=[f"{next(iter(r))}-{t}-{h}" for r, t, h, _ in TABLE],
)
def test_predicate_table(rule: dict[str, Any], target: str, holds: bool, reason: str) -> None:
    match = evaluate(RULE.validate_python(rule), FACTS, _target(target))
    assert match.ok is holds
    assert reason in match.reasons


@pytest.mark.parametrize(
    ("rule", "target", "holds", "reason"),
    TABLE,
    ids=[f"{next(iter(r))}-{t}-{h}" for r, t, h, _ in TABLE],
)
def test_fast_test_agrees_with_evaluation(
    rule: dict[str, Any], target: str, holds: bool, reason: str
) -> None:
    pred, t = RULE.validate_python(rule), _target(target)
    assert matcher(pred)(FACTS, t) is holds
    if target in FACTS.elements:  # specialised for the element's kind, or any element
        assert matcher(pred, t.kind)(FACTS, t) is holds
        assert matcher(pred, ANY_ELEMENT)(FACTS, t) is holds
    else:
        assert matcher(pred, ANY_FLOW)(FACTS, t) is holds


def _models_to_test() -> list[tuple[str, ThreatModel]]:
    from benchmarks.synthetic import synthetic_model
    from workbench.io import load_model

    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "starters").glob("*.yaml"))
    files += sorted((root / "benchmarks" / "atlas_cases").glob("*.yaml"))[:12]
    out = [(f.stem, load_model(f)) for f in files]
    return out + [(f"synthetic-{s}", synthetic_model(120, seed=s)) for s in range(3)]


def test_fast_test_agrees_with_evaluation_on_every_threat_and_target() -> None:
    """The engine tests a rule before it evaluates it for reasons: on the starters, some
    ATLAS cases and synthetic models, every built-in rule on every element and flow, the
    test and the evaluation agree (so no finding is lost or invented by the fast path)."""
    catalog = load_catalog()
    checked = explained = in_place_checked = 0
    for name, m in _models_to_test():
        facts = Facts(m.graph())
        for threat in catalog.threats.values():
            rule = threat.applies_to
            targets: list[Any] = list(m.flows) if threat.target == "flow" else list(m.elements)
            for t in targets:
                match = evaluate(rule, facts, t)
                want = match.ok
                kind: Any = t.kind if threat.target == "element" else None
                if threat.target == "flow":
                    kind = (facts.elements[t.source].kind, facts.elements[t.target].kind)
                    assert matcher(rule)(facts, t) is want, (name, threat.id, t.id)
                assert matcher(rule, kind)(facts, t) is want, (name, threat.id, t.id)
                if want:  # the reasons the engine writes are the evaluation's, word for word
                    assert explainer(rule, kind)(facts, t) == match.reasons, (name, threat.id, t.id)
                    assert explainer(rule)(facts, t) == match.reasons, (name, threat.id, t.id)
                    explained += 1
                checked += 1
        # mitigations' in-place rules (scoring compiles them for any element or flow)
        for mitigation in catalog.mitigations.values():
            for in_place, on, any_kind in (
                (mitigation.in_place, list(m.elements), ANY_ELEMENT),
                (mitigation.in_place_on_flow, list(m.flows), ANY_FLOW),
            ):
                if in_place is None:
                    continue
                for t in on:
                    want = evaluate(in_place, facts, t).ok
                    assert matcher(in_place, any_kind)(facts, t) is want, (mitigation.id, t.id)
                    in_place_checked += 1
    assert checked > 50_000
    assert explained > 1_500
    assert in_place_checked > 5_000


def test_every_operator_has_a_row_that_holds_and_one_that_does_not() -> None:
    seen = {(next(iter(rule)), holds) for rule, _, holds, _ in TABLE}
    for op in OPERATORS:
        if op == "source":
            continue  # `source` delegates; `target` has both rows
        assert (op, True) in seen, op
        assert (op, False) in seen, op


def test_kind_prefilter() -> None:
    assert RULE.validate_python(
        {"all": [{"kind": ["agent", "tool"]}, {"kind": ["tool"]}]}
    ).kinds() == {"tool"}
    assert (
        RULE.validate_python(
            {"any": [{"kind": ["agent"]}, {"prop": {"exposure": "internet"}}]}
        ).kinds()
        is None
    )
    assert RULE.validate_python({"layer": ["model"]}).kinds() >= {"training_job"}
    assert RULE.validate_python({"not": {"kind": ["agent"]}}).kinds() is None


BAD_RULES = [
    ({"kind": ["vectorstore"]}, "element", "'vectorstore' is not a known kind; did you mean"),
    ({"prop": {"exposre": "internet"}}, "element", "unknown element property 'exposre'; did you"),
    ({"prop": {"exposure": "web"}}, "element", "'web' is not a possible value of 'exposure'"),
    ({"missing": ["colour"]}, "element", "unknown element property 'colour'"),
    ({"prop": {"rate_limited": True}}, "flow", "unknown flow property 'rate_limited'"),
    ({"kind": ["tool"]}, "flow", "'kind' applies to elements; on a flow use source: or target:"),
    ({"source": {"kind": ["tool"]}}, "element", "'source' applies to flows"),
    ({"crossing": True}, "element", "exactly one operator key"),
    ({"kind": ["tool"], "layer": ["data"]}, "element", "exactly one operator key"),
]


@pytest.mark.parametrize(("rule", "target", "message"), BAD_RULES)
def test_bad_rules_are_load_errors(
    tmp_path: Path, rule: dict[str, Any], target: str, message: str
) -> None:
    import yaml

    threat = {
        "id": "ORG-BAD-001",
        "title": "Bad rule",
        "target": target,
        "description": "A threat whose rule is wrong in one way or another.",
        "action": "misuse {target}",
        "consequence": "so that something goes wrong",
        "applies_to": rule,
        "stride": ["T"],
        "lifecycle": ["operation"],
        "likelihood": 3,
        "impact": 3,
        "mitigations": ["MIT-X"],
        "detection": ["x"],
        "response": ["y"],
    }
    mitigation = {
        "id": "MIT-X",
        "title": "Fix",
        "description": "Something to do about it, really.",
        "controls": {
            "nist_ai_rmf": ["MANAGE 2.4"],
            "iso42001": ["A.6.2.6"],
            "sp800_53": ["SI-10"],
            "atlas_none": "test",
        },
    }
    (tmp_path / "org.yaml").write_text(
        yaml.safe_dump({"threats": [threat], "mitigations": [mitigation]})
    )
    with pytest.raises(ModelFileError) as info:
        load_catalog(tmp_path, builtin=False)
    assert message in str(info.value)
    assert str(tmp_path / "org.yaml") in str(info.value)


def _org_catalog(tmp_path: Path, threat_id: str, disabled: list[str] | None = None) -> Path:
    import yaml

    threat = {
        "id": threat_id,
        "title": "Org rule",
        "description": "An organisation's own threat.",
        "action": "misuse {target}",
        "consequence": "so that the organisation's policy is broken",
        "applies_to": {"kind": ["llm_app"]},
        "stride": ["I"],
        "lifecycle": ["operation"],
        "likelihood": 2,
        "impact": 2,
        "mitigations": ["MIT-LOGGING"],
        "detection": ["x"],
        "response": ["y"],
    }
    doc: dict[str, Any] = {"threats": [threat]}
    if disabled:
        doc["disabled"] = disabled
    (tmp_path / "org.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def test_user_catalog_adds_to_the_builtin(tmp_path: Path) -> None:
    builtin = load_catalog()
    merged = load_catalog(_org_catalog(tmp_path, "ORG-LLM-001"))
    assert set(merged.threats) == set(builtin.threats) | {"ORG-LLM-001"}
    assert merged.origin["threats:ORG-LLM-001"] == str(tmp_path / "org.yaml")


def test_duplicate_ids_across_catalogs_are_errors(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _org_catalog(a, "ORG-LLM-001")
    _org_catalog(b, "ORG-LLM-001")
    with pytest.raises(ModelFileError, match="duplicate ID 'ORG-LLM-001' \\(also in"):
        load_catalog(a, b)


def test_disable_is_explicit(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _org_catalog(a, "ORG-LLM-001")
    _org_catalog(b, "ORG-LLM-002", disabled=["ORG-LLM-001"])
    merged = load_catalog(a, b)
    assert "ORG-LLM-001" not in merged.threats
    assert "ORG-LLM-002" in merged.threats
    c = tmp_path / "c"
    c.mkdir()
    _org_catalog(c, "ORG-LLM-003", disabled=["ORG-NOPE-001"])
    with pytest.raises(ModelFileError, match="'ORG-NOPE-001' is not a threat ID"):
        load_catalog(c)
