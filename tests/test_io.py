"""Loading and saving files: errors with positions, hostile input, atomic saves, comments."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbench import Element, ThreatModel, rewrite, saving, yaml_text
from workbench.errors import ModelFileError
from workbench.io import MAX_FILE_BYTES, MIGRATIONS, loads_model

GOOD_HEAD = "system:\n  name: S\n"

BAD_INPUTS: list[tuple[str, str, list[str]]] = [
    (
        "syntax error",
        "system:\n  name: [unclosed\n",
        ["bad.yaml:3:1", "YAML syntax error"],
    ),
    (
        "unknown kind with suggestion",
        GOOD_HEAD + "elements:\n  - id: a\n    kind: vectorstore\n    name: A\n",
        [
            "bad.yaml:5:11 elements[0].kind: 'vectorstore' is not a known kind; "
            "did you mean 'vector_store'?"
        ],
    ),
    (
        "dangling flow endpoint",
        GOOD_HEAD + "elements:\n  - {id: a, kind: user, name: A}\n"
        "flows:\n  - {id: f, source: a, target: b}\n",
        ["bad.yaml:6:32 flows[0].target: 'b' is not an element ID"],
    ),
    (
        "duplicate IDs",
        GOOD_HEAD + "elements:\n  - {id: a, kind: user, name: A}\n"
        "  - {id: a, kind: agent, name: B}\n",
        ["bad.yaml:5:10 elements[1].id: duplicate ID 'a' (already used by elements[0])"],
    ),
    (
        "wrong type",
        GOOD_HEAD + "elements:\n  - id: a\n    kind: user\n    name: A\n"
        "    properties:\n      rate_limited: 'often'\n",
        [
            "bad.yaml:8:21 elements[0].properties.rate_limited: expected true or false, "
            "got 'often' (str)"
        ],
    ),
    (
        "number where a string is expected",
        GOOD_HEAD + "elements:\n  - {id: 42, kind: user, name: A}\n",
        ["elements[0].id: expected a string, got 42 (int); put it in quotes"],
    ),
    (
        "unknown field with suggestion",
        GOOD_HEAD + "elements:\n  - {id: a, kind: user, name: A, boundry: x}\n",
        ["bad.yaml:4:34 elements[0].boundry: unknown field 'boundry'; did you mean 'boundary'?"],
    ),
    (
        "missing required field",
        GOOD_HEAD + "elements:\n  - {id: a, name: A}\n",
        ["bad.yaml:4:5 elements[0].kind: required field 'kind' is missing"],
    ),
    (
        "boundary cycle",
        GOOD_HEAD + "boundaries:\n  - {id: a, name: A, parent: b}\n"
        "  - {id: b, name: B, parent: a}\n",
        ["boundaries[0].parent: boundary cycle: a -> b -> a"],
    ),
    (
        "python object tag",
        "system: !!python/object/apply:os.system ['echo pwned']\n",
        ["bad.yaml:1:9", "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"],
    ),
    (
        "custom tag",
        "system: !include other.yaml\n",
        ["tag '!include' is not allowed"],
    ),
    (
        "duplicate key (would silently drop data)",
        "system:\n  name: A\n  name: B\n",
        ["bad.yaml:3:3", "duplicate key 'name'"],
    ),
    (
        "not a mapping",
        "- just\n- a list\n",
        ["expected a mapping with a 'system' key, got a list"],
    ),
    (
        "empty file",
        "",
        ["got an empty document"],
    ),
    (
        "newer format",
        "format_version: 99\n" + GOOD_HEAD,
        ["bad.yaml:1:17 format_version: version 99 was written by a newer release"],
    ),
    (
        "bad date",
        GOOD_HEAD + "decisions:\n  - {finding: T1@a, due: 2026-13-45}\n",
        ["decisions[0].due: expected a date (YYYY-MM-DD)"],
    ),
    (
        "accepted without rationale",
        GOOD_HEAD + "elements:\n  - {id: a, kind: user, name: A}\n"
        "decisions:\n  - {finding: T1@a, status: accepted, owner: me}\n",
        [
            "bad.yaml:6:5 decisions[0].rationale: an accepted risk needs a rationale",
            "bad.yaml:6:5 decisions[0].review_by: an accepted risk needs a review date: add "
            "'review_by: YYYY-MM-DD'",
        ],
    ),
    (
        "accepted with an empty owner, no review date",
        GOOD_HEAD + "elements:\n  - {id: a, kind: user, name: A}\n"
        "decisions:\n  - finding: T1@a\n    status: accepted\n    owner: ' '\n"
        "    rationale: cheap\n",
        [
            "bad.yaml:8:12 decisions[0].owner: an accepted risk needs an owner",
            "bad.yaml:6:5 decisions[0].review_by: an accepted risk needs a review date",
        ],
    ),
    (
        "false positive without rationale",
        GOOD_HEAD + "decisions:\n  - {threat: T1, scope: all, status: false_positive}\n",
        ["bad.yaml:4:5 decisions[0].rationale: a false positive needs a rationale"],
    ),
    (
        "scoped decision without scope",
        GOOD_HEAD + "decisions:\n  - {threat: T1, status: not_applicable, rationale: r}\n",
        ["bad.yaml:4:5 decisions[0].scope: a decision on a threat needs a scope: all, "],
    ),
    (
        "scope of the wrong shape",
        GOOD_HEAD + "decisions:\n  - {threat: T1, scope: everywhere, status: avoided, "
        "rationale: r}\n",
        [
            "bad.yaml:4:25 decisions[0].scope: expected 'all', {boundary: ID} or {element: ID}, "
            "got 'everywhere'"
        ],
    ),
    (
        "scope with a misspelt key",
        GOOD_HEAD + "decisions:\n  - {threat: T1, scope: {bondary: b}, status: avoided, "
        "rationale: r}\n",
        ["bad.yaml:4:26 decisions[0].scope.bondary: unknown field 'bondary'; did you mean"],
    ),
    (
        "two scoped decisions on one threat and scope",
        GOOD_HEAD + "decisions:\n  - {threat: T1, scope: all, status: avoided, rationale: r}\n"
        "  - {threat: T1, scope: all, status: not_applicable, rationale: r}\n",
        [
            "bad.yaml:5:25 decisions[1].scope: second decision for threat T1 in this scope "
            "(first is decisions[0])"
        ],
    ),
    (
        "unknown status",
        GOOD_HEAD + "decisions:\n  - {finding: T1@a, status: wontfix}\n",
        ["decisions[0].status: 'wontfix' is not a known value for status"],
    ),
    (
        "deep nesting",
        "system: " + "[" * 200 + "]" * 200 + "\n",
        ["nested deeper than 64 levels"],
    ),
    (
        "recursive alias",
        "system: &a\n  name: x\n  self: *a\n",
        ["recursive alias"],
    ),
    (
        "billion laughs",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
        "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n",
        ["expands to more than", "alias bomb"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_bad_input_gives_clear_error_and_leaves_file_untouched(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    started = time.perf_counter()
    with pytest.raises(ModelFileError) as info:
        ThreatModel.load(p)
    elapsed = time.perf_counter() - started
    message = str(info.value)
    for fragment in expected:
        assert fragment.replace("bad.yaml", str(p)) in message
    assert "Traceback" not in message
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["bad.yaml"]
    assert elapsed < 10, "hostile input must be refused quickly"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD_HEAD + (
        "elements:\n"
        "  - {id: a, kind: vectorstore, name: A}\n"
        "  - {id: b, kind: user, name: B, colour: red}\n"
        "flows:\n"
        "  - {id: f, source: a, target: zz}\n"
    )
    with pytest.raises(ModelFileError) as info:
        loads_model(text, "m.yaml")
    paths = [p.path for p in info.value.problems]
    assert paths == ["elements[0].kind", "elements[1].colour", "flows[0].target"]
    assert [p.line for p in info.value.problems] == [4, 5, 7]


def test_oversized_file_is_refused_without_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.yaml"
    with p.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(ModelFileError, match=r"file is 50\.0 MiB; the limit is 16 MiB"):
        ThreatModel.load(p)
    assert p.stat().st_size == 50 * 1024 * 1024
    assert MAX_FILE_BYTES == 16 * 1024 * 1024


def test_large_file_under_the_limit_loads_in_seconds(tmp_path: Path) -> None:
    lines = [GOOD_HEAD, "elements:\n"]
    lines += [f"  - {{id: e{i}, kind: dataset, name: 'Dataset {i}'}}\n" for i in range(20000)]
    lines.append("flows:\n")
    lines += [f"  - {{id: f{i}, source: e{i}, target: e{i + 1}}}\n" for i in range(19999)]
    p = tmp_path / "big.yaml"
    p.write_text("".join(lines), encoding="utf-8")
    assert p.stat().st_size > 1_500_000
    started = time.perf_counter()
    m = ThreatModel.load(p)
    assert len(m.elements) == 20000
    assert time.perf_counter() - started < 30


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes("system:\n  name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ModelFileError, match="not UTF-8"):
        ThreatModel.load(p)


def test_missing_file() -> None:
    with pytest.raises(ModelFileError, match="No such file"):
        ThreatModel.load("/nonexistent/model.yaml")


# ----------------------------------------------------------------------------- JSON
def test_json_round_trip_and_errors(tmp_path: Path, minimal: ThreatModel) -> None:
    p = tmp_path / "m.json"
    minimal.save(p)
    assert json.loads(p.read_text())["format_version"] == 1
    assert ThreatModel.load(p) == minimal
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"system": {"name": "x"},\n "elements": [{"id": "a", "kind": "agnt", "name": "A"}]}\n'
    )
    with pytest.raises(ModelFileError) as info:
        ThreatModel.load(bad)
    assert str(info.value).startswith(f"{bad}:2:")
    assert "did you mean 'agent'?" in str(info.value)
    bad.write_text('{"system": {"name": "x"}, "system": {"name": "y"}}')
    with pytest.raises(ModelFileError, match="duplicate key 'system'"):
        ThreatModel.load(bad)
    bad.write_text('{"system": ')
    with pytest.raises(ModelFileError, match=r"bad\.json:1:\d+: JSON syntax error"):
        ThreatModel.load(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"system": {"name": "x"}, "elements": [{"id": "a", "kind": "user", "name": "A",'
            ' "position": {"x": NaN, "y": 0}}]}',
            "'NaN' is not a JSON number",
        ),
        (
            '{"system": {"name": "x"}, "elements": [{"id": "a", "kind": "user", "name": "A",'
            ' "position": {"x": 1e999, "y": 0}}]}',
            "number 1e999 is too large",
        ),
        ('{"system": {"name": "x"}, "notes": ' + "[" * 80 + "]" * 80 + "}", "nested deeper"),
    ],
)
def test_model_json_is_parsed_as_strictly_as_imports(
    tmp_path: Path, text: str, message: str
) -> None:
    """One JSON parser for models, catalogs and imports: NaN, Infinity and deep nesting are
    refused with the file's name, never loaded as values a report cannot show."""
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(ModelFileError, match=message) as info:
        ThreatModel.load(bad)
    assert str(info.value).startswith(str(bad))


def test_json_dates_are_parsed(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "system": {"name": "x"},
            "elements": [{"id": "a", "kind": "user", "name": "A"}],
            "decisions": [{"finding": "T@a", "due": "2026-12-31"}],
        }
    )
    m = ThreatModel.from_json(text)
    assert str(m.decisions[0].due) == "2026-12-31"


# ----------------------------------------------------------------------------- saving
def test_save_is_atomic_and_keeps_a_backup(tmp_path: Path, minimal_text: str) -> None:
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    m = ThreatModel.load(p)
    m2 = m.update_element("bot", name="Support assistant")
    m2.save()
    assert (tmp_path / "model.yaml.bak").read_text(encoding="utf-8") == minimal_text
    assert ThreatModel.load(p) == m2
    leftovers = [x.name for x in tmp_path.iterdir() if x.name.endswith(".tmp")]
    assert leftovers == []


def test_failed_save_leaves_the_old_file(
    tmp_path: Path, minimal_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    m = ThreatModel.load(p)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        m.update_element("bot", name="X").save()
    assert p.read_text(encoding="utf-8") == minimal_text
    assert sorted(x.name for x in tmp_path.iterdir()) == ["model.yaml"]


def test_save_without_path_needs_one(minimal: ThreatModel) -> None:
    fresh = ThreatModel.model_validate(minimal.model_dump())
    with pytest.raises(ValueError, match="give a path"):
        fresh.save()


def test_comments_and_order_survive_an_edit(tmp_path: Path, minimal_text: str) -> None:
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    m = ThreatModel.load(p)
    m = m.update_element("bot", name="Support assistant")
    m = m.update_flow("ask", encrypted=True)
    from workbench import Element

    m = m.add_element(Element(id="audit", kind="log_store", name="Audit log"))
    m.save()
    text = p.read_text(encoding="utf-8")
    assert "# The system under analysis" in text
    assert "# keep this name" in text
    assert "# people first" in text
    # hand-written order is kept (customer before bot before docs), the new one appended
    order = [text.index(f"id: {x}\n") for x in ("customer", "bot", "docs", "audit")]
    assert order == sorted(order)
    assert "name: Support assistant" in text
    assert "encrypted: true" in text
    # nothing that is a default gets written
    assert "trusted: null" not in text
    assert ThreatModel.load(p) == m
    # saving an unchanged model changes nothing
    before = p.read_text(encoding="utf-8")
    ThreatModel.load(p).save()
    assert p.read_text(encoding="utf-8") == before


def test_unchanged_hand_written_file_is_byte_identical(tmp_path: Path, minimal_text: str) -> None:
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    ThreatModel.load(p).save()
    assert p.read_text(encoding="utf-8") == minimal_text


def test_canonical_output_is_stable_and_sorted(minimal: ThreatModel) -> None:
    fresh = ThreatModel.model_validate(minimal.model_dump())
    text = fresh.to_yaml()
    assert text == ThreatModel.from_yaml(text).to_yaml()
    assert text.startswith("format_version: 1\nsystem:\n")
    ids = [line.split(": ")[1] for line in text.splitlines() if line.startswith("- id: ")]
    elements = ids[ids.index("bot") : ids.index("docs") + 1]
    assert elements == sorted(elements)


# ------------------------------------------------- writing over a hand-written file
def _save_edit(
    tmp_path: Path,
    text: str,
    edit: Callable[[ThreatModel], ThreatModel],
    monkeypatch: pytest.MonkeyPatch,
    *,
    ruamel: bool = False,
) -> str:
    """``text`` loaded, edited and saved; the saved text (which must load as the edited
    model). Without ``ruamel``, the text writer must handle the file alone."""
    p = tmp_path / "model.yaml"
    p.write_text(text, encoding="utf-8")
    m = edit(ThreatModel.load(p))
    used: list[str] = []
    real = rewrite._ruamel_write_over

    def spy(source: str, full: dict[str, Any], compact: dict[str, Any]) -> str | None:
        used.append(source)
        return real(source, full, compact)

    monkeypatch.setattr(rewrite, "_ruamel_write_over", spy)
    m.save()
    assert bool(used) == ruamel
    assert ThreatModel.load(p) == m
    return p.read_text(encoding="utf-8")


HEAD = "# hand-written: Zoë, 中文, 😀\nformat_version: 1\nsystem:\n  name: S  # the name\n"


def test_a_changed_value_keeps_the_comment_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rename(m: ThreatModel) -> ThreatModel:
        return m.replace(system=m.system.model_copy(update={"name": "yes"}))

    out = _save_edit(tmp_path, HEAD, rename, monkeypatch)
    assert out == HEAD.replace("name: S", "name: 'yes'")  # quoted: YAML 1.1 reads yes as true


def test_keys_are_added_to_flow_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + (
        "elements:\n"
        "  - {id: a, kind: user, name: A, properties: {exposure: internet}}  # first\n"
        "  - {id: b, kind: agent, name: B, properties: {}}\n"
    )

    def edit(m: ThreatModel) -> ThreatModel:
        m = m.update_element("a", properties={"rate_limited": True})
        return m.update_element("b", properties={"logging": False}, owner="ops, then sec")

    out = _save_edit(tmp_path, text, edit, monkeypatch)
    assert out == HEAD + (
        "elements:\n"
        "  - {id: a, kind: user, name: A, properties: {exposure: internet, rate_limited: true}}"
        "  # first\n"
        "  - {id: b, kind: agent, name: B, properties: {logging: false}, owner: 'ops, then sec'}\n"
    )


def test_a_list_left_empty_keeps_the_comments_between_its_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = HEAD + (
        "elements:\n  - {id: a, kind: user, name: A}\n  - {id: b, kind: agent, name: B}\n"
        "flows:  # who talks to whom\n"
        "  # asks\n"
        "  - id: ask\n    source: a\n    target: b\n"
        "  # answers\n"
        "  - {id: answer, source: b, target: a}\n"
        "# the end\n"
    )
    out = _save_edit(tmp_path, text, lambda m: m.replace(flows=[]), monkeypatch)
    assert out.endswith("flows: []  # who talks to whom\n  # asks\n  # answers\n# the end\n")


def test_new_sections_and_items_go_where_they_belong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A section the file lacks goes after the one before it in the canonical order, a
    missing format version first (after the comments that open the file); new items in
    the file's indentation (here: none), after the last item."""
    text = (
        "# opening comment\nsystem:\n  name: S\n"
        "elements:\n- id: a\n  kind: user\n  name: A\n"
        "boundaries:\n- {id: z, name: Zone}\n"
    )

    def edit(m: ThreatModel) -> ThreatModel:
        m = m.replace(risk_tolerance=m.risk_tolerance.model_copy(update={"accept_up_to": "high"}))
        return m.add_element(Element(id="b", kind="agent", name="B", tags=["x", "y"]))

    out = _save_edit(tmp_path, text, edit, monkeypatch)
    assert out == (
        "# opening comment\nformat_version: 1\nsystem:\n  name: S\n"
        "risk_tolerance:\n  accept_up_to: high\n"
        "elements:\n- id: a\n  kind: user\n  name: A\n"
        "- id: b\n  kind: agent\n  name: B\n  tags:\n  - x\n  - y\n"
        "boundaries:\n- {id: z, name: Zone}\n"
    )


def test_indented_files_get_indented_items_and_text_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = HEAD + (
        "elements:\n"
        "    -   id: a\n"
        "        kind: user\n"
        "        name: A\n"
        "        description: |\n"
        "          Two\n"
        "          lines\n"
        "        owner: me  # owner\n"
    )  # no line break at the end

    def edit(m: ThreatModel) -> ThreatModel:
        m = m.update_element("a", description="Three\nshort\nlines\n", owner="you")
        return m.add_element(Element(id="b", kind="agent", name="B", assets=[], tags=["t"]))

    out = _save_edit(tmp_path, text.removesuffix("\n"), edit, monkeypatch)
    assert out == HEAD + (  # four columns a level, as the file's first item has
        "elements:\n"
        "    -   id: a\n"
        "        kind: user\n"
        "        name: A\n"
        "        description: |\n"
        "            Three\n"
        "            short\n"
        "            lines\n"
        "        owner: you  # owner\n"
        "    -   id: b\n"
        "        kind: agent\n"
        "        name: B\n"
        "        tags:\n"
        "            - t\n"
    )


def test_files_the_text_writer_declines_go_through_ruamel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anchors and aliases, carriage returns: ruamel's round trip, comments kept."""
    anchors = HEAD + (
        "elements:\n"
        "  - &first {id: a, kind: user, name: A}  # first\n"
        "  - {id: b, kind: agent, name: B}\n"
    )
    out = _save_edit(
        tmp_path, anchors, lambda m: m.update_element("b", name="C"), monkeypatch, ruamel=True
    )
    assert "# first" in out
    assert "# the name" in out
    crlf = HEAD.replace("\n", "\r\n")
    out = _save_edit(
        tmp_path,
        crlf,
        lambda m: m.replace(system=m.system.model_copy(update={"version": "2"})),
        monkeypatch,
        ruamel=True,
    )
    assert "# the name" in out
    flow_list = HEAD + "elements: [{id: b, kind: agent, name: B}, {id: a, kind: user, name: A}]\n"
    out = _save_edit(
        tmp_path, flow_list, lambda m: m.update_element("a", name="C"), monkeypatch, ruamel=True
    )
    assert out.index("id: b") < out.index("id: a")  # the file's order, not the sorted one
    # R&D and **bold** text are not anchors or aliases
    text = HEAD + "scope:\n  description: R&D **only** *here*  # note\n"
    out = _save_edit(
        tmp_path,
        text,
        lambda m: m.replace(system=m.system.model_copy(update={"version": "2"})),
        monkeypatch,
    )
    assert "R&D **only** *here*  # note" in out


def _many(n: int) -> str:
    elements = "".join(
        f"  # element {i}\n  - id: e{i}\n    kind: agent\n    name: E{i}  # {i}\n" for i in range(n)
    )
    flows = "".join(f"  - {{id: f{i}, source: e{i}, target: e{(i + 1) % n}}}\n" for i in range(n))
    return HEAD + "elements:\n" + elements + "flows:\n" + flows


def test_one_edit_of_a_large_file_is_one_edit_of_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _many(1000)
    edits: list[int] = []
    real = rewrite._TextWriter.result

    def result(self: Any) -> str:
        edits.append(len(self.edits))
        return real(self)

    monkeypatch.setattr(rewrite._TextWriter, "result", result)
    out = _save_edit(tmp_path, text, lambda m: m.update_element("e7", name="X"), monkeypatch)
    assert out == text.replace("name: E7  # 7", "name: X  # 7")
    assert edits == [1]


def test_writing_over_a_file_works_in_proportion_to_its_size() -> None:
    """Counted, not timed: every line of Python the writer runs and every function it
    calls, for a file and one twice as large. Work per item that grew with the number of
    items (a search by ID through the list, a comparison with every other item) would
    double the ratio."""
    counts: dict[int, int] = {}
    for n in (200, 400):
        text = _many(n)
        m = loads_model(text).update_element("e7", name="X")
        full, compact = saving._full_document(m), saving.to_document(m)
        count = 0

        def trace(frame: Any, event: str, arg: Any) -> Any:
            nonlocal count
            count += 1  # call, line, return
            return trace

        def profile(frame: Any, event: str, arg: Any) -> None:
            nonlocal count
            if event == "c_call":
                count += 1

        tracer, profiler = sys.gettrace(), sys.getprofile()  # a debugger's, coverage's
        sys.setprofile(profile)
        sys.settrace(trace)
        try:
            out = rewrite._write_over(text, full, compact)
        finally:
            sys.settrace(tracer)
            sys.setprofile(profiler)
        assert out == text.replace("name: E7  # 7", "name: X  # 7")
        counts[n] = count
    assert counts[400] < 2.1 * counts[200], counts


def test_canonical_text_is_recognised_section_by_section(minimal: ThreatModel) -> None:
    text = ThreatModel.model_validate(minimal.model_dump()).to_yaml()
    doc = saving.to_document(minimal)
    assert "".join(yaml_text._canonical_yaml({k: v}) for k, v in doc.items()) == text
    assert saving._is_canonical_text(text)
    assert not saving._is_canonical_text(text + "# a comment\n")
    assert not saving._is_canonical_text(text.replace("system:", "# hi\nsystem:"))


# ----------------------------------------------------------------------------- migration
def test_migration_hook_upgrades_old_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
        doc["system"] = {"name": doc.pop("title")}
        return doc

    monkeypatch.setitem(MIGRATIONS, 0, v0_to_v1)
    m = loads_model("format_version: 0\ntitle: Legacy\n")
    assert m.system.name == "Legacy"
    monkeypatch.delitem(MIGRATIONS, 0)
    with pytest.raises(ModelFileError, match="no migration from format version 0"):
        loads_model("format_version: 0\ntitle: Legacy\n")


def test_new_files_follow_the_umask_and_backups_keep_the_mode(
    tmp_path: Path, minimal: ThreatModel
) -> None:
    old = os.umask(0o022)
    try:
        p = minimal.save(tmp_path / "new.yaml")
        assert p.stat().st_mode & 0o777 == 0o644
        p.chmod(0o640)
        minimal.update_element("bot", name="Changed").save(p)
        assert p.stat().st_mode & 0o777 == 0o640
        assert (tmp_path / "new.yaml.bak").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
