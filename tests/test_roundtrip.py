"""Property tests: whatever model is generated, ``load(save(m)) == m``."""

from __future__ import annotations

import tempfile
import typing
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import ElementProperties, ThreatModel
from workbench.model import KINDS

ids = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
text = st.text(st.characters(codec="utf-8"), max_size=40)
names = text.map(str.strip).filter(bool).filter(lambda s: len(s) <= 200)


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
                    "name": draw(text),
                    "encrypted": draw(st.sampled_from([None, True, False])),
                    "data": draw(st.lists(st.sampled_from(a_ids), max_size=2, unique=True))
                    if a_ids
                    else [],
                }
            )
    decisions = []
    for i, e in enumerate(draw(st.lists(st.sampled_from(e_ids), max_size=3, unique=True))):
        status = draw(st.sampled_from(["open", "mitigated", "accepted", "transferred"]))
        decisions.append(
            {
                "finding": f"T{i}@{e}",
                "status": status,
                "owner": "owner " + draw(text),
                "rationale": "because " + draw(text),
                "due": draw(st.none() | st.dates().map(str)),
            }
        )
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
