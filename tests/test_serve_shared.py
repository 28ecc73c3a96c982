"""Shared rooms on the Panel side, without a browser: sessions of one room see each
other's edits, presence and warnings, the facilitator's switches; the ``serve --shared``
options; who may open the facilitator's views."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from workbench import ThreatModel
from workbench.cli import main
from workbench.engine import Analyzer
from workbench.model.types import DecisionStatus

pytest.importorskip("panel")

from widgets.serve import command
from widgets.serve.auth import FACILITATOR_REFUSAL, REFUSAL_MESSAGE, Keys
from widgets.serve.panels import show_html
from widgets.serve.room import FACILITATOR, Room
from widgets.serve.shared import RoomHost, SharedSession, room_list_html

from .test_serve import _request


def _new_file(path: Path, template: str = "rag_assistant") -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["new", str(path), "--template", template]) == 0
    return path


class Seat:
    """A session and what its browser was sent."""

    def __init__(self, host: RoomHost, name: str, role: Any = "participant") -> None:
        self.session: Any = SharedSession(host, role, name)
        self.sent: list[dict[str, Any]] = []
        view: Any = self.session.canvas_view
        view.send = self.sent.append

    def send(self, msg: dict[str, Any]) -> None:
        self.session.canvas_view._handle_msg(msg)

    def select(self, *ids: str) -> None:
        self.session.canvas_view.param.update(selection=list(ids))

    def ops(self) -> list[str]:
        return [m["op"] for m in self.sent]


@pytest.fixture
def host(tmp_path: Path, catalog: Any) -> Any:
    path = _new_file(tmp_path / "room.yaml")
    host = RoomHost(Room(ThreatModel.load(path), Analyzer(catalog), path))
    yield host
    for session in list(host.sessions):
        session.close()


@pytest.fixture
def facilitated(tmp_path: Path, catalog: Any) -> Any:
    path = _new_file(tmp_path / "room.yaml")
    room = Room(ThreatModel.load(path), Analyzer(catalog), path, revealed=False)
    host = RoomHost(room, facilitated=True)
    yield host
    for session in list(host.sessions):
        session.close()


def test_an_edit_reaches_every_session_after_it_is_saved(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    start = len(host.room.model.elements)
    ann.send({"op": "add_element", "kind": "agent", "x": 5, "y": 5, "req": 7})
    assert ann.ops() == ["patch", "done"]
    assert bo.ops() == ["patch"]
    assert ann.sent[0] is bo.sent[0]  # one message for the room, built once
    assert bo.sent[0]["room"]["edits"][0]["by"] == "Ann"
    assert ann.sent[1] == {"op": "done", "req": 7, "seq": 1, "select": ["agent-1"]}
    assert len(bo.session.canvas.model.elements) == start + 1
    assert len(ThreatModel.load(host.room.path).elements) == start + 1
    assert ann.session.canvas.selection == ["agent-1"]
    assert bo.session.canvas.selection == []
    # Bo's threat panel follows: the new agent's findings are in the whole list
    assert "Agent 1" in bo.session.threats.table.object


def test_a_refused_edit_is_answered_to_its_author_only(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    ann.send({"op": "add_flow", "source": "nope", "target": "llm_app", "req": 1})
    assert ann.ops() == ["refused"]
    assert bo.ops() == []


def test_presence_and_the_being_edited_warning(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo <b>")
    presence = bo.session.presence.object
    assert "data-count='2'" in presence
    assert "Bo &lt;b&gt;" in presence  # escaped
    ann.select("llm_app")
    assert "editing" in bo.session.presence.object
    assert not bo.session.inspector.warning.visible
    bo.select("llm_app")
    warning = bo.session.inspector.warning
    assert warning.visible
    assert "Being edited by Ann" in warning.object
    assert "Bo &lt;b&gt;" in ann.session.inspector.warning.object
    # warned, not blocked: Bo renames it, Ann sees the new name
    bo.session.inspector.name.value = "Planner"
    assert ann.session.canvas.model.element("llm_app").name == "Planner"
    ann.select()
    assert not bo.session.inspector.warning.visible
    bo.session.close()
    assert "data-count='1'" in ann.session.presence.object


def test_undo_through_the_canvas_is_ones_own(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    ann.send({"op": "add_element", "kind": "agent", "x": 0, "y": 0, "name": "A's"})
    bo.send({"op": "add_element", "kind": "tool", "x": 9, "y": 0, "name": "B's"})
    assert ann.session.canvas.can_undo
    ann.send({"op": "undo", "req": 3})
    names = {e.name for e in bo.session.canvas.model.elements}
    assert "A's" not in names
    assert "B's" in names
    assert ann.sent[-1]["op"] == "done"
    assert ann.session.canvas.can_redo
    assert not ann.session.canvas.can_undo
    ann.send({"op": "undo", "req": 4})
    assert ann.sent[-1] == {
        "op": "refused",
        "req": 4,
        "reason": "nothing to undo",
        "restore": [],
    }


def test_the_decision_editor_and_the_inspector_go_through_the_room(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    panel = ann.session.threats
    assert panel.finding.options == {}  # nothing selected: no list that moves under you
    assert panel.apply() is False
    assert "select an element" in panel.message.object
    ann.select("llm_app")
    finding = next(iter(panel.finding.options.values()))
    panel.finding.value = finding
    panel.status.value = "false_positive"
    panel.rationale.value = "not reachable from outside"
    assert panel.apply() is True
    assert "Recorded" in panel.message.object
    decision = bo.session.canvas.model.decision(finding)
    assert decision is not None
    assert decision.status == "false_positive"
    assert ThreatModel.load(host.room.path).decision(finding) == decision


def test_freeze_and_reveal(facilitated: RoomHost) -> None:
    lead, ann = Seat(facilitated, "Lead", FACILITATOR), Seat(facilitated, "Ann")
    # before the reveal: no findings for participants, neither panel nor badges
    assert not ann.session.threats.view.visible
    assert ann.session.hidden_note.visible
    assert lead.session.threats.view.visible
    plain = ann.session.canvas.snapshot["nodes"]
    assert all(not n.get("open") for n in plain)
    assert any(n.get("open") for n in lead.session.canvas.snapshot["nodes"])
    assert "atw-export-html" not in repr(ann.session.view)
    assert lead.session.controls is not None
    # freeze: refused for participants, with the reason, and a banner
    lead.session.freeze.value = True
    assert ann.session.banner.visible
    assert "data-frozen" in ann.session.banner.object
    ann.send({"op": "add_element", "kind": "agent", "x": 0, "y": 0, "req": 2})
    assert ann.sent[-1]["reason"] == "editing is frozen by the facilitator"
    ann.select("llm_app")
    ann.session.inspector.name.value = "Frozen?"
    assert "frozen" in ann.session.inspector.message.object
    assert facilitated.room.model.element("llm_app").name != "Frozen?"
    lead.session.freeze.value = False
    assert not ann.session.banner.visible
    # reveal: everyone's panel at once, and the canvas is drawn again with findings
    lead.session.reveal.value = True
    assert ann.session.threats.view.visible
    assert not ann.session.hidden_note.visible
    reset = ann.sent[-1]
    assert reset["op"] == "reset"
    assert any(n.get("open") for n in reset["nodes"])


def test_sessions_whose_browser_went_away_leave(host: RoomHost) -> None:
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    counts = {ann.session: 1, bo.session: 1}

    def connections(session: Any) -> Any:
        return lambda: counts[session]

    for seat in (ann, bo):
        seat.session.connections = connections(seat.session)
    host.check_connections(now=100.0)
    counts[bo.session] = 0
    host.check_connections(now=101.0)
    assert bo.session in host.sessions  # a blip
    host.check_connections(now=110.0)
    assert bo.session not in host.sessions
    assert [p.name for p in host.room.present()] == ["Ann"]


def test_show_html_sends_only_the_text(host: RoomHost) -> None:
    import panel as pn
    from bokeh.document import Document

    pane = pn.pane.HTML("<b>old</b>")  # type: ignore[no-untyped-call]
    doc = Document()
    doc.add_root(pane.get_root(doc))
    ((model, _parent),) = pane._models.values()
    show_html(pane, "<i>new & improved</i>")
    assert pane.object == "<i>new & improved</i>"
    assert model.text == "&lt;i&gt;new &amp; improved&lt;/i&gt;"


def test_room_list_escapes_and_links(host: RoomHost) -> None:
    host.room.title = "Room <script>"
    html = room_list_html({"alpha": host})
    assert "<script>" not in html
    assert "href='rooms/alpha'" in html
    assert "href='rooms/alpha/facilitator'" in room_list_html({"alpha": host}, facilitator=True)


# ----------------------------------------------------------------------------- the command
def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), out=io.StringIO(), err=err)
    return code, err.getvalue()


def test_shared_options_are_checked(tmp_path: Path) -> None:
    path = _new_file(tmp_path / "m.yaml")
    assert _run("serve", str(path), "--facilitator-token", "f")[0] == 2
    code, err = _run("serve", "--shared")
    assert code == 2
    assert "--shared needs FILE" in err
    code, err = _run("serve", str(path), "--shared", "--token", "t", "--facilitator-token", "t")
    assert code == 2
    assert "must differ" in err
    code, err = _run("serve", str(tmp_path / "missing.yaml"), "--shared")
    assert code == 1
    assert "no such file" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a model")
    code, err = _run("serve", str(empty), "--shared")
    assert code == 1
    assert "holds no model file" in err


def test_room_files_and_their_names(tmp_path: Path) -> None:
    for name in ("b.yaml", "B.json", "a b.yml", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()
    files = command.room_files(tmp_path)
    assert [p.name for p in files] == ["B.json", "a b.yml", "b.yaml"]
    assert list(command.room_slugs(files)) == ["b", "a-b", "b-2"]
    assert command.room_files(tmp_path / "b.yaml") == [tmp_path / "b.yaml"]


def test_a_room_file_must_be_writable(tmp_path: Path) -> None:
    path = _new_file(tmp_path / "m.yaml")
    assert command.writable(path) is None
    assert command.writable(tmp_path / "new.yaml") is None
    assert "not writable" in (command.writable(tmp_path / "nowhere" / "m.yaml") or "")


# ----------------------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    ("path", "kwargs", "refusal"),
    [
        ("/", {"cookie": "part"}, None),
        ("/", {"cookie": "lead"}, None),
        ("/", {}, REFUSAL_MESSAGE),
        ("/facilitator", {"cookie": "part"}, FACILITATOR_REFUSAL),
        ("/facilitator/ws", {"header": "token part"}, FACILITATOR_REFUSAL),
        ("/facilitator", {"query": "token=lead"}, None),
        ("/facilitator/ws", {"cookie": "lead"}, None),
        ("/facilitators", {"cookie": "part"}, None),  # another path, not below it
        ("/rooms/a/facilitator", {"cookie": "part"}, FACILITATOR_REFUSAL),
        ("/rooms/a", {"cookie": "part"}, None),
    ],
)
def test_only_the_facilitators_token_opens_the_facilitators_views(
    path: str, kwargs: dict[str, str], refusal: str | None
) -> None:
    keys = Keys("part", "lead", ["/facilitator", "/rooms/a/facilitator"])
    assert keys.refusal(_request(path=path, **kwargs)) == refusal


def test_without_a_participants_token_only_the_facilitator_needs_one() -> None:
    keys = Keys(None, "lead", ["/facilitator"])
    assert keys.refusal(_request(path="/")) is None
    assert keys.refusal(_request(path="/facilitator")) == FACILITATOR_REFUSAL
    assert keys.refusal(_request(path="/facilitator", cookie="lead")) is None
    assert keys.matched(_request(path="/x", cookie="lead")) == "lead"
    assert keys.any


def test_threat_tables_are_drawn_again_only_when_they_change(
    host: RoomHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widgets.serve import panels

    drawn: list[int] = []
    real = panels.findings_table  # type: ignore[attr-defined]  # what panels draws with

    def counting(entries: Any, **kwargs: Any) -> Any:
        drawn.append(len(entries))
        return real(entries, **kwargs)

    monkeypatch.setattr(panels, "findings_table", counting)
    ann, bo = Seat(host, "Ann"), Seat(host, "Bo")
    ann.select("vector_store")
    bo.select("llm_app")
    before = bo.session.threats.table.object
    drawn.clear()
    ann.send({"op": "rename", "id": "vector_store", "name": "Vectors", "req": 1})
    assert bo.session.threats.table.object == before
    assert len(drawn) == 1  # Ann's selection only: Bo's findings did not change
    finding = next(iter(bo.session.threats.finding.options.values()))
    ann.session.threats.canvas.propose(
        lambda m: m.set_decision(
            m.decision(finding) or _decision(finding, "in_progress"),
        ),
        "decision",
        lambda: None,
        lambda why: None,
    )
    assert bo.session.threats.table.object != before  # the status shows in Bo's table


def _decision(finding: str, status: DecisionStatus) -> Any:
    from workbench.model import Decision

    return Decision(finding=finding, status=status)
