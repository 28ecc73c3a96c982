"""Malformed and hostile input: a clear error for the document, or one warning per dropped
item; never a model that silently lost something."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from workbench import ThreatModel, io
from workbench.errors import ModelFileError
from workbench.interop import detect_format, import_file, import_text
from workbench.interop.otm import from_otm, to_otm
from workbench.interop.threat_dragon import from_threat_dragon, to_threat_dragon

from .interop_support import FIXTURES

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def otm_doc(rich: ThreatModel) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(to_otm(rich, threats=False)))
    return doc


@pytest.fixture(scope="module")
def td_doc(rich: ThreatModel) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(to_threat_dragon(rich, threats=False)))
    return doc


def messages(result: Any) -> list[str]:
    return [f"{w.path}: {w.message}" for w in result.warnings]


# --------------------------------------------------------------------------- documents
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"otmVersion": "0.2.0", "otmVersion": "0.2.0"}', "duplicate key 'otmVersion'"),
        ('{"otmVersion": "0.2.0", "project": {"name": NaN}}', "'NaN' is not a JSON number"),
        ('{"otmVersion": "0.2.0", "x": 1e400}', "number 1e400 is too large"),
        ('{"otmVersion": "0.2.0",', "JSON syntax error"),
        ("[1, 2]", "cannot tell the format"),
        ('{"hello": "world"}', "cannot tell the format"),
        ("threagile_version: 1\ntitle: [unclosed\n", "YAML syntax error"),
        ("threagile_version: 1\nx: !!python/object:os.system {}\n", "is not allowed"),
        ("a: &a [*a]\nthreagile_version: 1\n", "recursive alias"),
        ('{"format_version": 1, "system": {"name": "x"}}', "already a workbench model"),
        ('{"otmVersion": "0.2.0", "project": "nope"}', "project: expected an object"),
        (
            '{"otmVersion": "0.2.0", "project": {"name": "p", "id": "p"}, "components": 3}',
            "components: expected a list, got int",
        ),
        ('{"summary": {}, "detail": {"diagrams": {}}}', "detail.diagrams: missing"),
        ('{"summary": {}, "detail": {"diagrams": [{"cells": 1}]}}', "expected a list of cells"),
    ],
)
def test_bad_documents_are_refused_clearly(text: str, expected: str) -> None:
    with pytest.raises(ModelFileError) as info:
        import_text(text, filename="bad.json")
    assert expected in str(info.value)
    assert str(info.value).startswith("bad.json")


def test_format_mismatch_is_named(otm_doc: dict[str, Any]) -> None:
    with pytest.raises(ModelFileError, match="looks like otm, not threat-dragon"):
        import_text(json.dumps(otm_doc), "threat-dragon", "x.json")
    assert detect_format(otm_doc) == "otm"


@pytest.mark.parametrize("depth", [100, 200_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    deep = "[" * depth + "]" * depth
    text = (
        '{"otmVersion": "0.2.0", "project": {"name": "p", "id": "p", "attributes": '
        f'{{"x": {deep}}}}}}}'
    )
    with pytest.raises(ModelFileError, match="nested deeper than"):
        import_text(text)


def test_deep_yaml_is_refused() -> None:
    text = "threagile_version: 1\nx: " + "[" * 100 + "]" * 100 + "\n"
    with pytest.raises(ModelFileError, match="nested deeper than"):
        import_text(text)


def test_huge_files_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(io.MAX_FILE_BYTES + 1)  # sparse: nothing is really written
    with pytest.raises(ModelFileError, match="the limit is 16 MiB"):
        import_file(big)
    text = '{"otmVersion": "0.2.0", "pad": "' + "x" * io.MAX_FILE_BYTES + '"}'
    with pytest.raises(ModelFileError, match="the limit is 16 MiB"):
        import_text(text)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="No such file"):
        import_file(tmp_path / "absent.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError, match="not UTF-8"):
        import_file(binary)


# --------------------------------------------------------------------------- OTM items
def test_otm_duplicates_dangling_flows_and_bad_items(otm_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(otm_doc)
    app = next(c for c in doc["components"] if c["id"] == "app")
    doc["components"].append({**app, "name": "Second app"})
    doc["components"].append("not an object")
    doc["components"].append({"name": "no id"})
    doc["dataflows"].append(
        {"id": "dangling", "name": "x", "source": "app", "destination": "ghost"}
    )
    doc["dataflows"].append({"id": "loop", "name": "x", "source": "app", "destination": "app"})
    doc["trustZones"][0]["parent"] = {"trustZone": doc["trustZones"][0]["id"]}
    result = from_otm(doc, "m.otm.json")
    m = result.model
    assert m.element("app").name == "Assistant service"  # the first one wins
    assert len(m.elements) == 7
    assert {f.id for f in m.flows} == {f"f{i}" for i in range(1, 8)}
    zone = doc["trustZones"][0]["id"]
    assert messages(result) == [
        "components[8]: expected an object, got str; dropped",
        "components[9]: has no ID; dropped",
        "components[7]: duplicate ID 'app'; this component was dropped",
        f"trustZones[0].parent: boundary '{zone}' is inside itself; its parent was left out",
        "dataflows[7]: flow 'dangling' connects 'ghost', which is not an imported element; "
        "this flow was dropped",
        "dataflows[8]: flow 'loop' goes from 'app' to itself; this flow was dropped",
    ]


def test_otm_bad_values_in_our_attributes_are_left_out(otm_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(otm_doc)
    app = next(c for c in doc["components"] if c["id"] == "app")
    app["attributes"]["workbench"]["properties"].update(
        {"exposure": "galaxy", "rate_limited": "yes", "bogus": 1}
    )
    app["attributes"]["workbench"]["owner"] = ["not", "text"]
    app["representations"][0]["position"] = {"x": "1", "y": 2}
    app["attributes"]["workbench"]["position"] = {"x": 1e400, "y": 0}
    doc["project"]["attributes"]["workbench"]["decisions"].append({"finding": "no at sign"})
    doc["project"]["attributes"]["workbench"]["risk_tolerance"] = {"accept_up_to": "all"}
    result = from_otm(doc)
    e = result.model.element("app")
    assert e.properties.exposure is None
    assert e.properties.rate_limited is None
    assert e.properties.privilege == "write"  # the good values stay
    assert e.owner == ""
    assert e.position is None
    assert result.model.risk_tolerance.accept_up_to == "low"
    text = "\n".join(messages(result))
    for fragment in (
        "properties.exposure: 'galaxy' is not a known value for exposure",
        "properties.rate_limited: expected true or false",
        "properties.bogus: unknown field 'bogus'",
        "owner: expected a string",
        "finding: 'no at sign' is not a finding ID",
        "accept_up_to: 'all' is not a known value",
    ):
        assert fragment in text
    assert len(result.model.decisions) == 5


def test_otm_ids_that_do_not_fit_are_renamed_and_references_follow() -> None:
    doc = {
        "otmVersion": "0.2.0",
        "project": {"name": SCRIPT, "id": "p"},
        "trustZones": [{"id": "zone one", "name": "Zone", "risk": {"trustRating": 90}}],
        "assets": [
            {
                "id": "db",
                "name": "Data",
                "risk": {"confidentiality": 70, "integrity": 10, "availability": 1},
            }
        ],
        "components": [
            {
                "id": "db",
                "name": SCRIPT,
                "type": "database",
                "parent": {"trustZone": "zone one"},
                "assets": {"stored": ["db"]},
            },
            {
                "id": "_web/server:1",
                "name": "W" * 300,
                "type": "web-service",
                "parent": {"component": "db"},
            },
        ],
        "dataflows": [{"id": "f", "name": "", "source": "_web/server:1", "destination": "db"}],
    }
    result = from_otm(doc)
    m = result.model
    assert m.system.name == SCRIPT
    assert [b.id for b in m.boundaries] == ["zone-one"]
    assert {a.id for a in m.assets} == {"db"}
    store = next(e for e in m.elements if e.kind == "data_store")
    assert store.id == "db-2"
    assert store.name == SCRIPT
    assert store.assets == ["db"]
    web = next(e for e in m.elements if e.kind == "process")
    assert web.id == "web-server-1"
    assert web.boundary == "zone-one"  # nested in the store's zone
    assert len(web.name) == 200
    assert (m.flows[0].source, m.flows[0].target) == ("web-server-1", "db-2")
    assert SCRIPT in m.to_yaml()  # stored as plain text; views escape it
    text = "\n".join(messages(result))
    assert "ID 'zone one' changed to 'zone-one'" in text
    assert "ID 'db' changed to 'db-2'" in text
    assert (
        "components[1]: name: shortened from 300 to 200 characters; the full text is kept "
        "in the description" in text
    )
    assert web.name == "W" * 199 + "…"
    assert web.description == "Full name (shortened on import): " + "W" * 300
    assert "component inside component 'db'" in text


# --------------------------------------------------------------------------- Threat Dragon
def _td_flow(fid: str, source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fid,
        "shape": "flow",
        "zIndex": 1,
        "source": source,
        "target": target,
        "data": {"type": "tm.Flow"},
    }


def test_td_duplicate_cells_and_broken_flows(td_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(td_doc)
    cells = doc["detail"]["diagrams"][0]["cells"]
    app = next(c for c in cells if c["id"] == "app")
    cells.append(copy.deepcopy(app))
    for fid, source, target in (
        ("half", {"x": 1, "y": 2}, {"cell": "app"}),
        ("to-box", {"cell": "app"}, {"cell": "vpc"}),
        ("to-ghost", {"cell": "app"}, {"cell": "ghost"}),
    ):
        cells.append(_td_flow(fid, source, target))
    cells.append({"shape": "actor", "zIndex": 1})
    cells.append(7)
    nan_cell = {
        "id": "nan",
        "shape": "process",
        "zIndex": 1,
        "data": {"name": SCRIPT},
        "position": {"x": None, "y": 1},
    }
    cells.append(nan_cell)
    result = from_threat_dragon(doc, "td.json")
    m = result.model
    assert len([f for f in m.flows]) == 7
    assert m.element("nan").name == SCRIPT
    assert m.element("nan").position is None
    base = "detail.diagrams[0].cells"
    n = len(td_doc["detail"]["diagrams"][0]["cells"])
    assert messages(result) == [
        f"{base}[{n}]: duplicate ID 'app'; this cell was dropped",
        f"{base}[{n + 4}]: cell without an ID; dropped",
        f"{base}[{n + 5}]: expected a cell object, got int; dropped",
        f"{base}[{n + 1}]: flow is not connected at its source; this flow was dropped",
        f"{base}[{n + 2}]: flow 'to-box' connects 'vpc', which is not an imported element; "
        "this flow was dropped",
        f"{base}[{n + 3}]: flow 'to-ghost' connects 'ghost', which is not an imported "
        "element; this flow was dropped",
    ]


def test_td_our_data_cannot_smuggle_bad_values(td_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(td_doc)
    cells = doc["detail"]["diagrams"][0]["cells"]
    app = next(c for c in cells if c["id"] == "app")
    app["data"]["workbench"]["kind"] = "vector_store"  # does not fit a process cell
    app["data"]["workbench"]["id"] = "../../etc/passwd"
    app["data"]["workbench"]["boundary"] = "nowhere"
    doc["workbench"]["objectives"][0]["elements"] = ["ghost"]
    result = from_threat_dragon(doc)
    m = result.model
    e = next(e for e in m.elements if e.name == "Assistant service")
    assert e.kind == "process"
    assert e.id == "etc-passwd"
    assert m.objectives[0].elements == []
    text = "\n".join(messages(result))
    assert "kind 'vector_store' does not fit a 'process' cell" in text
    assert "ID '../../etc/passwd' changed to 'etc-passwd'" in text
    assert "'ghost' is not an element ID; left out" in text


def test_importers_never_change_their_input(
    otm_doc: dict[str, Any], td_doc: dict[str, Any]
) -> None:
    doc = copy.deepcopy(otm_doc)
    doc["components"].append(copy.deepcopy(doc["components"][0]))  # a duplicate
    doc["trustZones"].append(copy.deepcopy(doc["trustZones"][0]))
    before = copy.deepcopy(doc)
    result = from_otm(doc)
    assert doc == before
    assert [w.message for w in result.warnings] == [
        f"duplicate ID '{doc['trustZones'][0]['id']}'; this zone was dropped",
        f"duplicate ID '{doc['components'][0]['id']}'; this component was dropped",
    ]
    td = copy.deepcopy(td_doc)
    before = copy.deepcopy(td)
    from_threat_dragon(td)
    assert td == before


# --------------------------------------------------------------------------- any value
HOSTILE_VALUES: list[Any] = [None, True, 0, -1.5, "", "x", SCRIPT, [], [None], {}, {"id": 1}]


def node_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += node_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += node_paths(v, (*prefix, i))
    return out


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def fuzz_base(fmt: str, rich: ThreatModel) -> tuple[Any, Any]:
    from workbench.interop.cyclonedx import from_cyclonedx, to_cyclonedx
    from workbench.interop.threagile import from_threagile, to_threagile
    from workbench.interop.threat_composer import from_threat_composer, to_threat_composer

    if fmt == "cyclonedx":
        return json.loads(json.dumps(to_cyclonedx(rich))), from_cyclonedx
    if fmt == "threat-composer":
        return json.loads(json.dumps(to_threat_composer(rich))), from_threat_composer
    if fmt == "threagile-export":
        return json.loads(json.dumps(to_threagile(rich), default=str)), from_threagile
    if fmt == "otm":
        return json.loads(json.dumps(to_otm(rich))), from_otm
    if fmt == "threat-dragon":
        return json.loads(json.dumps(to_threat_dragon(rich))), from_threat_dragon
    text = (FIXTURES / "small-threagile.yaml").read_text(encoding="utf-8")
    data, _ = io.parse_yaml(text, "small-threagile.yaml")
    return data, from_threagile


@pytest.mark.parametrize(
    "fmt", ["otm", "threat-dragon", "threagile", "cyclonedx", "threat-composer", "threagile-export"]
)
def test_any_value_anywhere_gives_a_valid_model_or_a_clear_error(
    fmt: str, rich: ThreatModel
) -> None:
    import random

    base, importer = fuzz_base(fmt, rich)
    rng = random.Random(20250101)
    paths = node_paths(base)
    sample = paths if len(paths) <= 250 else rng.sample(paths, 250)
    models, errors = 0, []
    for path in sample:
        value = rng.choice(HOSTILE_VALUES)
        try:
            result = importer(replaced(base, path, value), "fuzz")
        except ModelFileError as exc:
            errors.append(exc.problems)
            continue
        assert ThreatModel.from_yaml(result.model.to_yaml()) == result.model, path
        models += 1
    assert all(p and all(x.file == "fuzz" and x.message for x in p) for p in errors)
    assert models > len(errors)
