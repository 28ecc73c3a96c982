"""Property tests: whatever model is generated, ``load(save(m)) == m``; a hand-written
file keeps its comments and its text through edits."""

from __future__ import annotations

import tempfile
import typing
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import Element, ElementProperties, ThreatModel, rewrite, saving
from workbench.model import KINDS
from workbench.model.references import decision_key
from workbench.model.statuses import STATUSES
from workbench.model.types import BIDI_CONTROLS, NOT_IN_ONE_LINE, NOT_IN_TEXT

ids = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
# What the model accepts: free text without control characters (newlines and tabs
# allowed), one-line fields without any.
printable = st.characters(
    codec="utf-8",
    exclude_categories=["Cc"],
    exclude_characters="\u2028\u2029" + BIDI_CONTROLS,
)
text = st.text(printable | st.sampled_from("\n\t"), max_size=40).filter(
    lambda s: NOT_IN_TEXT.search(s) is None
)
line = st.text(printable, max_size=40).filter(lambda s: NOT_IN_ONE_LINE.search(s) is None)
names = line.map(str.strip).filter(bool).filter(lambda s: len(s) <= 200)


def _literal_choices(annotation: Any) -> list[Any]:
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        if arg is type(None):
            continue
        if arg is bool:
            out += [True, False]
        out += list(typing.get_args(arg))
    return out


PROPERTY_CHOICES = {
    name: _literal_choices(field.annotation)
    for name, field in ElementProperties.model_fields.items()
}


@st.composite
def models(draw: st.DrawFn) -> ThreatModel:
    pool = draw(st.lists(ids, min_size=2, max_size=30, unique=True))
    n_b = draw(st.integers(0, min(4, len(pool) // 3)))
    n_a = draw(st.integers(0, min(3, len(pool) // 3)))
    b_ids, a_ids, e_ids = pool[:n_b], pool[n_b : n_b + n_a], pool[n_b + n_a :]
    boundaries = [
        {
            "id": b,
            "name": draw(names),
            "trust": draw(st.sampled_from(["untrusted", "partner", "trusted"])),
            **({"parent": draw(st.sampled_from(b_ids[:i]))} if i and draw(st.booleans()) else {}),
        }
        for i, b in enumerate(b_ids)
    ]
    assets = [
        {
            "id": a,
            "name": draw(names),
            "description": draw(text),
            "classification": draw(
                st.sampled_from(["public", "internal", "confidential", "restricted"])
            ),
            "pii": draw(st.booleans()),
        }
        for a in a_ids
    ]
    elements = []
    for e in e_ids:
        props = {
            k: draw(st.sampled_from(v))
            for k, v in PROPERTY_CHOICES.items()
            if draw(st.integers(0, 5)) == 0
        }
        el: dict[str, Any] = {
            "id": e,
            "kind": draw(st.sampled_from(sorted(KINDS))),
            "name": draw(names),
            "description": draw(text),
            "properties": props,
        }
        if draw(st.booleans()) and b_ids:
            el["boundary"] = draw(st.sampled_from(b_ids))
        if draw(st.booleans()) and a_ids:
            el["assets"] = draw(st.lists(st.sampled_from(a_ids), max_size=2, unique=True))
        if draw(st.booleans()):
            el["position"] = {
                "x": draw(st.floats(-1e6, 1e6)),
                "y": draw(st.integers(-999, 999)) * 1.0,
            }
        elements.append(el)
    flows = []
    if len(e_ids) >= 2:
        for i in range(draw(st.integers(0, 8))):
            s, t = draw(st.lists(st.sampled_from(e_ids), min_size=2, max_size=2, unique=True))
            flows.append(
                {
                    "id": f"flow.{i}",
                    "source": s,
                    "target": t,
                    "name": draw(line),
                    "encrypted": draw(st.sampled_from([None, True, False])),
                    "data": draw(st.lists(st.sampled_from(a_ids), max_size=2, unique=True))
                    if a_ids
                    else [],
                }
            )
    decisions: list[dict[str, Any]] = []
    for i, e in enumerate(draw(st.lists(st.sampled_from(e_ids), max_size=3, unique=True))):
        status = draw(st.sampled_from(STATUSES))
        decisions.append(
            {
                "finding": f"T{i}@{e}",
                "status": status,
                "owner": "owner " + draw(line),
                "rationale": "because " + draw(text),
                "due": draw(st.none() | st.dates().map(str)),
            }
        )
    # decisions on a threat in a scope: everywhere, in a boundary, on an element
    scopes: list[Any] = ["all", *({"boundary": b} for b in b_ids), *({"element": e} for e in e_ids)]
    for j in range(draw(st.integers(0, 2))):
        decisions.append(
            {
                "threat": f"S{j}",
                "scope": draw(st.sampled_from(scopes)),
                "status": draw(st.sampled_from(STATUSES)),
                "owner": "owner " + draw(line),
                "rationale": "because " + draw(text),
            }
        )
    for d in decisions:  # an acceptance needs a review date; others may have one
        if d["status"] == "accepted" or draw(st.booleans()):
            d["review_by"] = str(draw(st.dates()))
    doc = {
        "system": {
            "name": draw(names),
            "description": draw(text),
            "owners": draw(st.lists(names, max_size=2)),
        },
        "objectives": [
            {
                "id": f"obj{i}",
                "title": draw(names),
                "impact": draw(st.sampled_from(["minor", "severe"])),
                "elements": draw(st.lists(st.sampled_from(e_ids), max_size=2, unique=True)),
            }
            for i in range(draw(st.integers(0, 2)))
        ],
        "risk_tolerance": {"accept_up_to": draw(st.sampled_from(["low", "medium"]))},
        "boundaries": boundaries,
        "assets": assets,
        "elements": elements,
        "flows": flows,
        "decisions": decisions,
    }
    return ThreatModel.model_validate(doc, strict=False)


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(m=models(), suffix=st.sampled_from([".yaml", ".json"]))
def test_load_save_round_trip(m: ThreatModel, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"model{suffix}"
        m.save(p)
        loaded = ThreatModel.load(p)
        assert loaded == m
        # and saving again is a fixed point
        first = p.read_text(encoding="utf-8")
        if suffix == ".yaml":  # recognised as canonical: saved again by the canonical writer
            assert saving._is_canonical_text(first)
        loaded.save()
        assert p.read_text(encoding="utf-8") == first


@SETTINGS
@given(m=models(), data=st.data())
def test_round_trip_after_edit_of_a_loaded_file(m: ThreatModel, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.yaml"
        m.save(p)
        loaded = ThreatModel.load(p)
        if loaded.elements:
            victim = data.draw(st.sampled_from([e.id for e in loaded.elements]))
            loaded = loaded.remove_element(victim, cascade=True)
        edited = loaded.replace(system=loaded.system.model_copy(update={"version": "2"}))
        edited.save()
        assert ThreatModel.load(p) == edited


# ------------------------------------------------------------- hand-written files
def _flow(value: Any) -> str | None:
    """``value`` in flow style on one line, or ``None``."""
    out = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    out = out.removesuffix("\n...\n").removesuffix("\n")
    return None if "\n" in out else out


def _block(value: Any) -> list[str]:
    out = yaml.safe_dump(
        value, default_flow_style=False, allow_unicode=True, width=10**6, sort_keys=False
    )
    return out.splitlines()


@st.composite
def hand_written(draw: st.DrawFn, m: ThreatModel) -> tuple[str, dict[str, str], list[str]]:
    """``m`` written as a person might: comment lines above sections and items, a comment
    after an item's ID, items in flow or block style and in another order, keys in another
    order, defaults spelled out, sequences indented or not. Returns the text, the text of
    each item by ID, and the comments that must survive any edit."""
    full, compact = saving._full_document(m), saving.to_document(m)
    dash = draw(st.sampled_from(["", "  "]))
    lines = ["# written by hand"]
    comments = ["# written by hand"]
    items: dict[str, str] = {}
    keys = draw(st.permutations(list(compact)))
    if draw(st.booleans()):
        keys = [k for k in keys if k != "format_version"]
    for k in keys:
        if draw(st.booleans()):
            lines.append(f"# about {k}")
            comments.append(lines[-1])
        value = compact[k]
        if not (isinstance(value, list) and value and isinstance(value[0], dict)):
            block = _block({k: value})
            if k == "system":  # a comment after a value that may change
                at = block.index(next(x for x in block if x.startswith("  name: ")))
                block[at] += "  # what it is called"
                comments.append("# what it is called")
            lines += block
            continue
        lines.append(f"{k}:")
        for n, item in enumerate(draw(st.permutations(value))):
            ident = item.get("id") or decision_key(item)  # a decision: finding, or scope
            whole = next(x for x in full[k] if (x.get("id") or decision_key(x)) == ident)
            defaults = [d for d in whole if d not in item]
            item = dict(item)
            for d in draw(st.lists(st.sampled_from(defaults), unique=True)) if defaults else []:
                item[d] = whole[d]  # a default, spelled out
            if draw(st.booleans()):
                lines.append(f"{dash}# before {n}")
                comments.append(lines[-1])
            start = len(lines)
            flow = _flow(item) if draw(st.booleans()) else None
            if flow is not None:
                lines.append(f"{dash}- {flow}  # keep {ident}")
            else:
                first, *rest = _block(item)
                lines.append(f"{dash}- {first}  # keep {ident}")
                rest = [x + f"  # name of {ident}" if x.startswith("name: ") else x for x in rest]
                lines += [f"{dash}  {x}" for x in rest]
            items[str(ident)] = "\n".join(lines[start:]) + "\n"
    if draw(st.booleans()):
        lines.append("# the end")
        comments.append(lines[-1])
    return "\n".join(lines) + "\n", items, comments


def _added(draw: st.DrawFn, m: ThreatModel) -> ThreatModel:
    new_id = draw(ids)
    if new_id in m.ids():
        return m
    element: dict[str, Any] = {"id": new_id, "kind": "agent", "name": draw(names)}
    if draw(st.booleans()):
        element["tags"] = draw(st.lists(ids, max_size=2, unique=True))
        element["description"] = draw(text)
    return m.add_element(Element.model_validate(element))


@st.composite
def edited(draw: st.DrawFn, m: ThreatModel) -> ThreatModel:
    """``m`` after a few edits of the kinds the workbench makes."""
    for _ in range(draw(st.integers(1, 4))):
        element_ids = [e.id for e in m.elements]
        edit = draw(st.sampled_from(["name", "text", "prop", "move", "drop", "add", "flow", "sys"]))
        try:
            if edit == "add" or not element_ids:
                m = _added(draw, m)
                continue
            e = draw(st.sampled_from(element_ids))
            if edit == "name":
                m = m.update_element(e, name=draw(names))
            elif edit == "text":
                m = m.update_element(e, description=draw(text))
            elif edit == "prop":
                prop = draw(st.sampled_from(sorted(PROPERTY_CHOICES)))
                value = draw(st.sampled_from([None, *PROPERTY_CHOICES[prop]]))
                m = m.update_element(e, properties={prop: value})
            elif edit == "move":
                m = m.update_element(e, position={"x": draw(st.floats(-1e6, 1e6)), "y": 1.5})
            elif edit == "drop":
                m = m.remove_element(e, cascade=True)
            elif edit == "flow" and m.flows:
                f = draw(st.sampled_from([f.id for f in m.flows]))
                m = m.update_flow(f, encrypted=draw(st.sampled_from([None, True, False])))
            elif edit == "sys":
                system = m.system.model_copy(update={"owners": draw(st.lists(names, max_size=2))})
                m = m.replace(system=system)
        except ValueError:
            continue
    return m


@SETTINGS
@given(data=st.data())
def test_hand_written_file_survives_edits(data: st.DataObject) -> None:
    """A hand-written file is edited in place: every comment line stays, every item that
    did not change keeps its text, the result loads as the edited model, saving again
    changes nothing, and ruamel.yaml is not needed."""
    m = data.draw(models())
    text, items, comments = data.draw(hand_written(m))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.yaml"
        p.write_text(text, encoding="utf-8")
        loaded = ThreatModel.load(p)
        assert loaded == m
        new = data.draw(edited(loaded))
        real = rewrite._ruamel_write_over
        try:
            rewrite._ruamel_write_over = _no_ruamel
            new.save()
        finally:
            rewrite._ruamel_write_over = real
        out = p.read_text(encoding="utf-8")
        assert ThreatModel.load(p) == new
        for comment in comments:
            assert comment in out
        for e in new.elements:
            if f"# name of {e.id}\n" in text:
                assert f"# name of {e.id}\n" in out
        before = {x["id"]: x for x in saving._full_document(m)["elements"]}
        for x in saving._full_document(new)["elements"]:
            if before.get(x["id"]) == x:
                assert items[x["id"]] in out
        ThreatModel.load(p).save()
        assert p.read_text(encoding="utf-8") == out


def _no_ruamel(source: str, full: dict[str, Any], compact: dict[str, Any]) -> str | None:
    raise AssertionError("the text writer declined a hand-written file")
