"""The loader's fast YAML path (one walk: checks and construction) accepts exactly what the
careful path (node checks, then PyYAML's constructor) accepts, builds the same data, and
leaves every refusal to the careful path, so that errors keep their message and place."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import parsing as wio
from workbench.errors import ModelFileError


def careful(text: str) -> Any:
    """The careful path alone: what ``parse_yaml`` did before it had a fast one."""
    loader = wio._YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        wio._check_nodes(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def outcome(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", fn(text)
    except (wio._RefusedError, yaml.YAMLError, ValueError, TypeError, KeyError) as exc:
        return "refused", type(exc).__name__


def fast(text: str) -> Any:
    return wio.parse_yaml(text, "m.yaml")[0]


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


def laughs(levels: int) -> str:
    names = "abcdefghij"[:levels]
    lines = [f"a: &a [{', '.join(['x'] * 10)}]"]
    lines += [f"{n}: &{n} [{', '.join(['*' + p] * 10)}]" for p, n in itertools.pairwise(names)]
    return "\n".join(lines) + "\n"


DOCUMENTS = {
    "scalars": "a: 1\nb: [1, 2.5, true, null, ~, 0x1f, 0o17, 1_000, 1:30, .inf, 2026-01-02, '3']\n",
    "yaml 1.1 booleans": "a: yes\nb: No\nc: on\nd: 'on'\n",
    "timestamp as text": "ts: 2001-12-14t21:59:43.10-05:00\nd: 2026-12-02\n",
    "shared mapping": "a: &x {k: v}\nb: *x\nc: [*x, *x]\n",
    "shared sequence": "a: &x [1, 2]\nb: *x\n",
    "shared scalar": "a: &s text\nb: *s\n",
    "merge key": "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
    "merge list": "m: {<<: [{a: 1}, {b: 2}], c: 3}\n",
    "sequence key": "? [a, b]\n: c\n",
    "mapping key": "? {a: b}\n: c\n",
    "explicit tags": "a: !!str 12\nb: !!int '7'\nc: !!float '1'\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "set": "a: !!set {x, y}\n",
    "map tag on scalar": "a: !!map x\n",
    "bad int": "a: !!int abc\n",
    "value key": "= : 1\n",
    "int and text keys": "1: a\n'1': b\n",
    "equal keys of two types": "1: a\n1.0: b\n",
    "null keys": "~: a\nnull: b\n",
    "deepest allowed": "x: " + nested(63, "1") + "\n",
    "one too deep": "x: " + nested(64, "1") + "\n",
    "empty lists at the limit": "x: " + nested(64) + "\n",
    "deep through an alias": "a: &d " + nested(40, "1") + "\nb: " + nested(30, "*d") + "\n",
    "alias within the limit": "a: &d " + nested(30, "1") + "\nb: " + nested(30, "*d") + "\n",
    "empty": "",
    "comment only": "# nothing\n",
    "list": "- a\n- b\n",
    "scalar": "plain scalar\n",
    "custom tag": "a: !custom x\n",
    "python tag": "a: !!python/object:os.system x\n",
    "duplicate key": "a: b\na: c\n",
    "duplicate in flow": "a: {b: 1, b: 2}\n",
    "block scalars": "a: |\n  text\n  more\nb: >\n  folded\n",
    "quoted": "a: 'quoted: yes'\nb: \"\\u00e9\"\n",
    "syntax error": "a: [1, 2\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "document tag": "--- !!map\na: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "recursive alias": "a: &a\n  b: *a\n",
    "small laughs": laughs(4),
    "billion laughs": laughs(9),
}


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_fast_path_matches_the_careful_path(text: str) -> None:
    expected = outcome(careful, text)
    if expected[0] == "ok":
        assert outcome(fast, text) == expected
    else:
        with pytest.raises(ModelFileError):
            fast(text)


def test_aliases_stay_shared() -> None:
    data = fast("a: &x {k: [1]}\nb: *x\n")
    assert data["a"] is data["b"]


def test_the_fast_path_takes_a_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "system: {name: S}\nelements:\n  - {id: a, kind: user, name: A, tags: [x, 'y']}\n"
    monkeypatch.setattr(wio, "_check_nodes", lambda node: pytest.fail("careful path taken"))
    assert wio.parse_yaml(text, "m.yaml")[0] == careful_unchecked(text)


def careful_unchecked(text: str) -> Any:
    """PyYAML's own construction with the loader's (safe) loader, no checks."""
    loader = wio._YAML_LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


scalars = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(values, st.sampled_from(["block", "flow"]))
def test_any_plain_document_reads_the_same(value: Any, style: str) -> None:
    text = yaml.safe_dump({"v": value}, default_flow_style=style == "flow")
    assert fast(text) == careful(text)
