"""Length caps and clean text (issue 11, point 15): every text field has a limit that fits
it, names and other one-line fields hold one line without control characters, and free
text holds no control character but newline and tab. A value over a limit is refused with
one clear line naming file, line, field and what to change; importers clean foreign text
instead, with a warning, and keep the original."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from workbench import ThreatModel
from workbench.errors import ModelFileError
from workbench.interop import import_text
from workbench.interop.otm import from_otm
from workbench.io import loads_model
from workbench.json_schema import model_schema
from workbench.model import Decision, Element, Flow, SystemInfo

HEAD = "format_version: 1\nsystem:\n  name: S\n"


def element(**fields: Any) -> dict[str, Any]:
    return {"id": "a", "kind": "llm_app", "name": "App", **fields}


def doc_with(**parts: Any) -> dict[str, Any]:
    return {"format_version": 1, "system": {"name": "S"}, **parts}


def two_elements_and_a_flow(**flow: Any) -> dict[str, Any]:
    return doc_with(
        elements=[element(), {"id": "b", "kind": "user", "name": "B"}],
        flows=[{"id": "f", "source": "b", "target": "a", **flow}],
    )


def refused(doc: dict[str, Any], fmt: str = "yaml") -> list[str]:
    """The problems of loading ``doc`` from a file, each as ``path: message``; quickly."""
    if fmt == "json":
        text = json.dumps(doc)
    else:
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10**9)
    started = time.perf_counter()
    with pytest.raises(ModelFileError) as info:
        loads_model(text, f"m.{fmt}", fmt="json" if fmt == "json" else None)
    assert time.perf_counter() - started < 10, "an over-long value must be refused quickly"
    for p in info.value.problems:
        assert p.file == f"m.{fmt}"
        assert p.line is not None
    return [f"{p.path}: {p.message}" for p in info.value.problems]


# --------------------------------------------------------------------------- the caps
def test_megabyte_owner_is_refused_with_the_field_and_the_limit() -> None:
    problems = refused(doc_with(elements=[element(owner="x" * 1_000_000)]))
    assert problems == ["elements[0].owner: at most 200 characters (got 1,000,000); shorten it"]


def test_five_megabyte_protocol_is_refused() -> None:
    problems = refused(two_elements_and_a_flow(protocol="p" * 5_000_000), fmt="json")
    assert problems == ["flows[0].protocol: at most 100 characters (got 5,000,000); shorten it"]


def test_two_hundred_thousand_tags_give_one_problem() -> None:
    problems = refused(doc_with(elements=[element(tags=[f"t{i}" for i in range(200_000)])]))
    assert problems == ["elements[0].tags: at most 100 tags (got 200,000); remove some"]


def test_the_problem_names_file_line_and_column() -> None:
    text = HEAD + 'elements:\n  - id: a\n    kind: user\n    name: "Two\\nlines"\n'
    with pytest.raises(ModelFileError) as info:
        loads_model(text, "model.yaml")
    assert str(info.value) == (
        "model.yaml:7:11 elements[0].name: must be one line: contains a newline (U+000A) "
        "at character 4; join the lines (longer text belongs in the description)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "Web\nApplication",
            "must be one line: contains a newline (U+000A) at character 4; join the lines "
            "(longer text belongs in the description)",
        ),
        (
            "Tab\tseparated",
            "must be one line: contains a tab (U+0009) at character 4; join the lines "
            "(longer text belongs in the description)",
        ),
        (
            "Customer \x1b[31mred",
            "contains an escape character (ESC, U+001B) at character 10; remove it",
        ),
        ("Bell\x07", "contains a control character (U+0007) at character 5; remove it"),
        ("Del\x7f", "contains a delete character (DEL, U+007F) at character 4; remove it"),
        ("C1 \x9b31m", "contains a control character (U+009B) at character 4; remove it"),
        (
            "Line\u2028separator",
            "must be one line: contains a line separator (U+2028) at character 5; join the "
            "lines (longer text belongs in the description)",
        ),
        (
            "invoice\u202efdp.exe",
            "contains a bidirectional control, right-to-left override (U+202E) at character "
            "8, which can make text display in another order than it is stored; remove it",
        ),
        (
            "isolate\u2066x\u2069",
            "contains a bidirectional control, left-to-right isolate (U+2066) at character 8, "
            "which can make text display in another order than it is stored; remove it",
        ),
        (
            "N" * 1_000,
            "at most 200 characters (got 1,000); shorten it (longer text belongs in the "
            "description)",
        ),
        ("   ", "must not be empty"),
    ],
    ids=[
        "newline",
        "tab",
        "esc",
        "bel",
        "del",
        "c1",
        "line-separator",
        "rlo",
        "isolate",
        "too-long",
        "blank",
    ],
)
def test_bad_names_are_refused_with_a_clear_message(name: str, message: str) -> None:
    assert refused(doc_with(elements=[element(name=name)])) == [f"elements[0].name: {message}"]
    assert refused(doc_with(elements=[element(name=name)]), fmt="json") == [
        f"elements[0].name: {message}"
    ]


def test_position_counts_leading_blanks_of_the_value() -> None:
    assert refused(doc_with(system={"name": "  ab\x1b"})) == [
        "system.name: contains an escape character (ESC, U+001B) at character 5; remove it"
    ]


@pytest.mark.parametrize(
    ("where", "doc", "message"),
    [
        ("system.version", doc_with(system={"name": "S", "version": "v" * 101}), "100"),
        ("system.repository", doc_with(system={"name": "S", "repository": "r" * 2001}), "2,000"),
        ("system.owners[0]", doc_with(system={"name": "S", "owners": ["o" * 201]}), "200"),
        ("elements[0].tags[0]", doc_with(elements=[element(tags=["t" * 101])]), "100"),
        (
            "elements[0].description",
            doc_with(elements=[element(description="d" * 20_001)]),
            "20,000",
        ),
        ("flows[0].name", two_elements_and_a_flow(name="n" * 201), "200"),
        (
            "decisions[0].ticket",
            doc_with(decisions=[{"finding": "T@a", "ticket": "k" * 2001}]),
            "2,000",
        ),
        (
            "decisions[0].controls[0]",
            doc_with(decisions=[{"finding": "T@a", "controls": ["c" * 201]}]),
            "200",
        ),
        ("scope.assumptions[0]", doc_with(scope={"assumptions": ["a" * 20_001]}), "20,000"),
        (
            "risk_tolerance.statement",
            doc_with(risk_tolerance={"statement": "s" * 20_001}),
            "20,000",
        ),
    ],
)
def test_one_character_over_any_limit_is_refused(
    where: str, doc: dict[str, Any], message: str
) -> None:
    (problem,) = refused(doc)
    assert problem.startswith(f"{where}: at most {message} characters (got ")


@pytest.mark.parametrize(
    ("where", "doc", "message"),
    [
        (
            "system.owners",
            doc_with(system={"name": "S", "owners": ["o"] * 101}),
            "100 owners (got 101)",
        ),
        ("flows[0].tags", two_elements_and_a_flow(tags=["t"] * 101), "100 tags (got 101)"),
        (
            "elements[0].assets",
            doc_with(assets=[{"id": "x", "name": "X"}], elements=[element(assets=["x"] * 1_001)]),
            "1,000 assets (got 1,001)",
        ),
        ("scope.in_scope", doc_with(scope={"in_scope": ["x"] * 1_001}), "1,000 items (got 1,001)"),
        (
            "decisions[0].controls",
            doc_with(decisions=[{"finding": "T@a", "controls": ["c"] * 501}]),
            "500 controls (got 501)",
        ),
        (
            "decisions[0].mitigations",
            doc_with(decisions=[{"finding": "T@a", "mitigations": ["m"] * 501}]),
            "500 mitigations (got 501)",
        ),
        (
            "objectives[0].elements",
            doc_with(
                elements=[element()],
                objectives=[{"id": "o", "title": "O", "elements": ["a"] * 10_001}],
            ),
            "10,000 elements (got 10,001)",
        ),
    ],
)
def test_lists_over_their_limit_are_refused(where: str, doc: dict[str, Any], message: str) -> None:
    assert refused(doc) == [f"{where}: at most {message}; remove some"]


def test_control_characters_in_free_text_are_refused_but_lines_and_tabs_are_not() -> None:
    assert refused(doc_with(elements=[element(description="ok\nthen \x1b[2J")])) == [
        "elements[0].description: contains an escape character (ESC, U+001B) at character 9; "
        "remove it"
    ]
    assert refused(doc_with(elements=[element(description="a\u2029b")])) == [
        "elements[0].description: contains a paragraph separator (U+2029) at character 2; "
        "use a plain newline instead"
    ]
    # right-to-left writing may use bidirectional controls in free text (views isolate it)
    rtl = "\u202bעברית\u202c and \u2067عربي\u2069"
    assert ThreatModel.model_validate(doc_with(scope={"description": rtl})).scope.description == rtl
    m = ThreatModel.model_validate(
        doc_with(elements=[element(description="Line one\n\tindented\r\nWindows line")])
    )
    assert m.elements[0].description == "Line one\n\tindented\nWindows line"


def test_owner_with_a_newline_and_decision_owner_are_refused() -> None:
    assert refused(doc_with(elements=[element(owner="Alice\nBob")])) == [
        "elements[0].owner: must be one line: contains a newline (U+000A) at character 6; "
        "join the lines"
    ]
    doc = doc_with(
        decisions=[
            {
                "finding": "T@a",
                "status": "accepted",
                "owner": "o" * 300,
                "rationale": "r",
                "review_by": "2027-01-01",
            }
        ]
    )
    assert refused(doc) == ["decisions[0].owner: at most 200 characters (got 300); shorten it"]


# --------------------------------------------------------------------------- what is accepted
def test_values_at_every_limit_are_accepted_and_survive_a_round_trip(tmp_path: Path) -> None:
    text = "\n".join(["Line\twith a tab"] * 2_000)[:19_999] + "é"
    doc = doc_with(
        system={
            "name": "S" * 200,
            "description": text,
            "version": "v" * 100,
            "owners": [f"Owner {i}".ljust(200, "o") for i in range(100)],
            "repository": "https://example.com/" + "r" * 1_980,
        },
        scope={"in_scope": ["x" * 20_000] * 3, "assumptions": [f"a{i}" for i in range(1_000)]},
        elements=[
            element(
                name="N" * 200,
                owner="O" * 200,
                tags=[f"{i:03d}".ljust(100, "t") for i in range(100)],
                description=text,
            ),
            {"id": "b", "kind": "user", "name": "B"},
        ],
        flows=[{"id": "f", "source": "b", "target": "a", "name": "F" * 200, "protocol": "P" * 100}],
        decisions=[
            {
                "finding": "T@a",
                "status": "accepted",
                "owner": "O" * 200,
                "rationale": text,
                "review_by": "2027-01-01",
                "ticket": "https://tickets.example.com/" + "k" * 1_972,
                "controls": [f"C{i}".ljust(200, "c") for i in range(500)],
            }
        ],
    )
    m = ThreatModel.model_validate(doc)
    assert len(m.system.repository) == 2_000
    assert len(m.decisions[0].ticket) == 2_000
    assert len(m.system.description) == 20_000
    p = tmp_path / "limits.yaml"
    m.save(p)
    assert ThreatModel.load(p) == m
    q = tmp_path / "limits.json"
    m.save(q)
    assert ThreatModel.load(q) == m


def test_markup_unicode_and_trailing_blanks_still_load() -> None:
    names = [
        "<script>alert(1)</script>",
        "Customer <img src=x onerror=alert(1)>",
        "Ünïcödé – 日本語 – עברית \u200f mark",
        "\"quotes\" & 'apostrophes'",
    ]
    m = ThreatModel.model_validate(
        doc_with(elements=[element(name=n, id=f"e{i}") for i, n in enumerate(names)])
    )
    assert [e.name for e in m.elements] == names
    # a YAML block scalar ends in a newline: surrounding blanks of one-line fields go
    m = loads_model(HEAD + "elements:\n  - id: a\n    kind: user\n    name: |\n      Folded\n")
    assert m.elements[0].name == "Folded"


def test_python_api_gives_the_same_messages() -> None:
    with pytest.raises(ValidationError, match=r"must be one line: contains a newline"):
        Element(id="a", kind="user", name="a\nb")
    with pytest.raises(ValidationError, match=r"at most 100 characters \(got 5,000,000\)"):
        Flow(id="f", source="a", target="b", protocol="p" * 5_000_000)
    with pytest.raises(ValidationError, match=r"at most 100 tags \(got 200,000\)"):
        Element(id="a", kind="user", name="A", tags=["t"] * 200_000)
    with pytest.raises(ValidationError, match=r"at most 200 characters \(got 1,000,000\)"):
        SystemInfo(name="S", owners=["o" * 1_000_000])
    with pytest.raises(ValidationError, match=r"at most 200 characters"):
        Decision(finding="T@a", owner="o" * 201)


def test_json_schema_carries_the_limits() -> None:
    validator = jsonschema.Draft202012Validator(model_schema())
    good = doc_with(elements=[element(name="<b>A</b>", description="one\ntwo\tthree")])
    assert validator.is_valid(good)
    for bad in (
        doc_with(elements=[element(name="a\nb")]),
        doc_with(elements=[element(name="a\u202eb")]),
        doc_with(elements=[element(owner="o" * 201)]),
        doc_with(elements=[element(tags=["t"] * 101)]),
        doc_with(elements=[element(description="a\x1bb")]),
        two_elements_and_a_flow(protocol="p" * 101),
    ):
        assert not validator.is_valid(bad), bad


# --------------------------------------------------------------------------- importers
def otm(**component: Any) -> dict[str, Any]:
    return {
        "otmVersion": "0.2.0",
        "project": {"name": "Imported\nproject", "id": "p"},
        "trustZones": [{"id": "z", "name": "Zone", "risk": {"trustRating": 90}}],
        "components": [
            {"id": "c", "name": "C", "type": "llm_app", "parent": {"trustZone": "z"}, **component},
        ],
    }


def warnings_of(result: Any) -> list[str]:
    return [f"{w.path}: {w.message}" for w in result.warnings]


def test_import_joins_a_multi_line_name_and_says_so() -> None:
    result = from_otm(otm(name="Web\n  Application\r\n"), "m.otm.json")
    m = result.model
    assert m.system.name == "Imported project"
    assert m.element("c").name == "Web Application"
    assert warnings_of(result) == [
        "system: name: line breaks and tabs replaced by spaces",
        "components[0]: name: line breaks and tabs replaced by spaces",
    ]


def test_import_removes_control_characters_with_a_warning() -> None:
    result = from_otm(otm(name="Cus\x1b[31mtomer\u202e", description="ok\x07\nfine"))
    e = result.model.element("c")
    assert (e.name, e.description) == ("Cus[31mtomer", "ok\nfine")
    assert warnings_of(result)[1:] == [
        "components[0]: name: 2 control character(s) removed: an escape character (ESC, "
        "U+001B), a bidirectional control, right-to-left override (U+202E)",
        "components[0]: description: 1 control character(s) removed: a control character (U+0007)",
    ]


def test_import_shortens_an_over_long_name_and_keeps_it_in_the_description() -> None:
    long_name = "Payment " + "service " * 60  # 488 characters
    result = from_otm(otm(name=long_name, description="Takes payments."))
    e = result.model.element("c")
    assert len(e.name) == 200
    assert e.name.endswith("…")
    assert long_name.startswith(e.name[:-1])
    assert e.description == (
        "Takes payments.\n\nFull name (shortened on import): " + long_name.strip()
    )
    assert warnings_of(result)[1:] == [
        f"components[0]: name: shortened from {len(long_name.strip())} to 200 characters; "
        "the full text is kept in the description"
    ]


def test_import_fits_owner_protocol_and_tags_keeping_what_did_not_fit() -> None:
    tags = [f"tag{i}" for i in range(150)] + ["multi\nline"]
    doc = otm(
        tags=tags,
        attributes={"workbench": {"owner": "Team " + "x" * 300}},
    )
    doc["components"].append({"id": "d", "name": "D", "type": "vector_store"})
    doc["dataflows"] = [
        {
            "id": "f",
            "name": "Query\nresults",
            "source": "c",
            "destination": "d",
            "attributes": {"workbench": {"protocol": "SQL " + "p" * 200}},
        }
    ]
    result = from_otm(doc)
    m = result.model
    e = m.element("c")
    assert e.owner == ("Team " + "x" * 300)[:199] + "…"
    assert e.tags == [f"tag{i}" for i in range(100)]
    assert "Full owner (shortened on import): Team " + "x" * 300 in e.description
    assert "Tags left out on import: " + ", ".join(tags[100:]) in e.description
    f = m.flow("f")
    assert f.name == "Query results"
    assert f.protocol == ("SQL " + "p" * 200)[:99] + "…"
    assert "Full protocol (shortened on import): SQL " + "p" * 200 in f.description
    text = "\n".join(warnings_of(result))
    assert (
        "components[0]: owner: shortened from 305 to 200 characters; the full text is kept" in text
    )
    assert (
        "components[0]: tags: 151 tags, more than the 100 allowed; the first 100 were kept, "
        "the others are listed in the description"
    ) in text
    assert "dataflows[0]: name: line breaks and tabs replaced by spaces" in text
    assert "dataflows[0]: protocol: shortened from 204 to 100 characters" in text


def test_import_of_a_megabyte_owner_and_200_000_tags_is_bounded() -> None:
    doc = otm(
        tags=[f"t{i}" for i in range(200_000)], attributes={"workbench": {"owner": "o" * 1_000_000}}
    )
    started = time.perf_counter()
    result = import_text(json.dumps(doc), "otm", "big.otm.json")
    assert time.perf_counter() - started < 20
    e = result.model.element("c")
    assert len(e.tags) == 100
    assert len(e.owner) == 200
    assert len(e.description) == 20_000
    text = "\n".join(warnings_of(result))
    assert "components[0]: owner: shortened from 1,000,000 to 200 characters" in text
    assert "components[0]: tags: 200,000 tags, more than the 100 allowed" in text
    assert "components[0]: description: shortened from" in text
    assert "the rest was left out" in text  # what could not be kept is said, not hidden


def test_threat_dragon_and_threagile_names_are_cleaned_too() -> None:
    td = {
        "version": "2.2.0",
        "summary": {"title": "TD\nmodel"},
        "detail": {
            "diagrams": [
                {
                    "diagramType": "STRIDE",
                    "cells": [
                        {
                            "id": "p",
                            "shape": "process",
                            "zIndex": 1,
                            "position": {"x": 1, "y": 2},
                            "data": {"type": "tm.Process", "name": "Web\nApplication\x1b"},
                        }
                    ],
                }
            ]
        },
    }
    result = import_text(json.dumps(td), "threat-dragon", "td.json")
    assert result.model.system.name == "TD model"
    assert result.model.element("p").name == "Web Application"
    assert any("name: line breaks and tabs replaced by spaces" in w for w in warnings_of(result))
    assert any("1 control character(s) removed" in w for w in warnings_of(result))
    threagile = (
        'threagile_version: 1.0.0\ntitle: "Shop\\nsystem"\n'
        "technical_assets:\n"
        '  "Web\\nshop":\n    id: shop\n    type: process\n    owner: "Shop\\tteam"\n'
    )
    result = import_text(threagile, "threagile", "t.yaml")
    assert result.model.system.name == "Shop system"
    shop = result.model.element("shop")
    assert (shop.name, shop.owner) == ("Web shop", "Shop team")


def test_import_of_a_name_of_control_characters_only_falls_back() -> None:
    doc = otm(name="\x1b\x07", tags=["ok", "\x1b", "two\nlines"])
    doc["project"]["name"] = "\u202e"
    result = from_otm(doc)
    m = result.model
    assert m.system.name == "Imported OTM model"
    e = m.element("c")
    assert e.name == "c"  # its ID
    assert e.tags == ["ok", "two lines"]
    text = "\n".join(warnings_of(result))
    assert "system: name: 1 control character(s) removed" in text
    assert "nothing was left; 'Imported OTM model' is used instead" in text
    assert "components[0]: name: 2 control character(s) removed" in text
    assert "nothing was left; 'c' is used instead" in text
    assert "components[0]: tags[1]: 1 control character(s) removed" in text
    assert "nothing was left; left out" in text
