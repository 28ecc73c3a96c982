"""Shared rooms without a browser: the room's order, saving, undo, presence, the
facilitator's switches and the canvas streams (``widgets.serve.room``, no UI library)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from widgets._edits import apply_edit
from widgets.serve import room as rooms
from widgets.serve.room import FACILITATOR, Room, RoomRefusal, item_changes, with_items
from workbench import ThreatModel
from workbench.engine import Analyzer


def _new_file(folder: Path, template: str = "rag_assistant") -> Path:
    from workbench.cli import main

    path = folder / "room.yaml"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["new", str(path), "--template", template]) == 0
    return path


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return _new_file(tmp_path)


@pytest.fixture
def room(path: Path, catalog: Any) -> Room:
    return Room(ThreatModel.load(path), Analyzer(catalog), path)


def edit(msg: dict[str, Any]) -> Callable[[ThreatModel], ThreatModel]:
    return lambda model: apply_edit(model, msg).model


def add(name: str = "", x: float = 0) -> Callable[[ThreatModel], ThreatModel]:
    return edit({"op": "add_element", "kind": "agent", "x": x, "y": 0, "name": name or None})


def rename(item: str, name: str) -> Callable[[ThreatModel], ThreatModel]:
    return edit({"op": "rename", "id": item, "name": name})


# ----------------------------------------------------------------------------- order, saving
def test_changes_apply_in_order_once_and_are_saved_before_anyone_hears(
    room: Room, path: Path
) -> None:
    heard: list[tuple[str, int, int]] = []
    room.listen(
        lambda what: heard.append((what, room.committed, len(ThreatModel.load(path).elements)))
    )
    a, b = room.join("Ann"), room.join("Bo")
    start = len(room.model.elements)
    first = room.apply(a.id, add("From Ann"), "add_element")
    second = room.apply(b.id, add("From Bo"), "add_element")
    assert first is not None
    assert second is not None
    assert (first.seq, second.seq) == (1, 2)
    assert [e.name for e in room.model.elements if e.id.startswith("agent")] == [
        "From Ann",
        "From Bo",
    ]
    assert ThreatModel.load(path) == room.model == room.saved
    # each commit is on disk when the listeners hear of it
    commits = [h for h in heard if h[0] == "commit"]
    assert commits == [("commit", 1, start + 1), ("commit", 2, start + 2)]
    assert Path(f"{path}.bak").read_text() != path.read_text()  # the file as it was


def test_changes_that_arrive_together_are_committed_together(path: Path, catalog: Any) -> None:
    later: list[Callable[[], None]] = []
    room = Room(ThreatModel.load(path), Analyzer(catalog), path, schedule=later.append)
    person = room.join()
    before = path.read_text()
    room.apply(person.id, add("One"), "add_element")
    room.apply(person.id, add("Two"), "add_element")
    assert len(later) == 1  # one commit for both
    assert path.read_text() == before  # nothing saved, nothing shown yet
    assert room.committed == 0
    assert room.saved != room.model
    later.pop(0)()
    assert room.committed == 2
    assert room.commits == 1
    assert ThreatModel.load(path) == room.model
    ((commit, messages),) = room.streams[True].log
    assert commit == 1
    assert [e["seq"] for e in messages[0]["room"]["edits"]] == [1, 2]


def test_a_change_made_to_the_file_outside_the_room_is_kept_not_lost(
    room: Room, path: Path
) -> None:
    person = room.join()
    room.apply(person.id, add("First"), "add_element")
    assert room.kept_outside == []  # the room's own saves are not outside changes
    outside = path.read_text().replace("name:", "name: ", 1) + "# edited in an editor\n"
    path.write_text(outside)
    room.apply(person.id, add("Second"), "add_element")
    (kept,) = room.kept_outside
    assert kept.name.startswith("room.yaml.outside-")
    assert kept.suffix == ".bak"
    assert kept.read_text() == outside
    assert ThreatModel.load(path) == room.model  # the room still owns its file
    room.apply(person.id, add("Third"), "add_element")
    assert len(room.kept_outside) == 1  # nothing changed outside since


def test_a_change_that_changes_nothing_is_no_edit(room: Room, path: Path) -> None:
    person = room.join()
    before = path.read_text()
    assert room.apply(person.id, lambda m: m, "nothing") is None
    assert room.seq == 0
    assert path.read_text() == before


def test_a_refused_change_leaves_the_model(room: Room) -> None:
    person = room.join()
    before = room.model
    with pytest.raises(Exception, match="not an element"):
        room.apply(person.id, edit({"op": "add_flow", "source": "x", "target": "y"}), "add_flow")
    assert room.model is before
    assert room.seq == 0


def test_a_failed_save_takes_the_changes_back_and_says_why(tmp_path: Path, catalog: Any) -> None:
    path = _new_file(tmp_path)
    model = ThreatModel.load(path)
    blocked = tmp_path / "blocked.yaml"
    blocked.mkdir()  # saving refuses to replace a folder
    room = Room(model, Analyzer(catalog), blocked)
    heard: list[str] = []
    room.listen(heard.append)
    person = room.join()
    applied = room.apply(person.id, add("Lost"), "add_element")
    assert applied is not None
    assert heard[-1] == "failed"
    assert room.model == model
    assert room.committed == 0
    assert "could not be saved" in room.failed[applied.seq]
    assert room.can_undo(person.id) == (False, False)


# ----------------------------------------------------------------------------- saver
class _Failing(Executor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(OSError("disk full"))
        return future


def test_saving_in_another_process_keeps_the_order_and_the_promise(
    path: Path, catalog: Any
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    later: list[Callable[[], None]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as saver:
        room = Room(
            ThreatModel.load(path), Analyzer(catalog), path, schedule=later.append, saver=saver
        )
        person = room.join()
        room.apply(person.id, add("One"), "add_element")
        later.pop(0)()  # the commit: the save goes to the other process
        room.apply(person.id, add("Two"), "add_element")  # arrives while it saves
        assert room.committed == 0
        done = _drain(later, lambda: room.committed == 2)
    assert done >= 3  # the commit waiting for the save, the save's answer, the next commit
    assert room.committed == 2
    assert room.commits == 2
    assert ThreatModel.load(path) == room.model
    assert room.saved._source is not None
    assert "Two" in room.saved._source.text


def _drain(later: list[Callable[[], None]], until: Callable[[], bool], timeout: float = 60) -> int:
    """Run what the room scheduled, in order, until ``until()`` (the saver answers from
    its own thread)."""
    import time

    ran, deadline = 0, time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the saver did not answer"
        if later:
            later.pop(0)()
            ran += 1
        else:
            time.sleep(0.01)
    return ran


def test_a_failed_save_elsewhere_takes_back_what_was_built_on_it(path: Path, catalog: Any) -> None:
    later: list[Callable[[], None]] = []
    room = Room(
        ThreatModel.load(path), Analyzer(catalog), path, schedule=later.append, saver=_Failing()
    )
    start = room.model
    person = room.join()
    first = room.apply(person.id, add("One"), "add_element")
    later.pop(0)()  # commit: submitted, fails at once, its answer is scheduled
    second = room.apply(person.id, add("Two"), "add_element")
    assert len(later) == 2  # the failed save's answer, then the next commit
    later.pop(0)()  # the answer: both go back
    later.pop(0)()  # nothing left to commit
    assert first is not None
    assert second is not None
    assert room.model == start
    assert room.committed == 0
    assert {first.seq, second.seq} <= set(room.failed)


def test_a_thread_pool_saver_works_too(path: Path, catalog: Any) -> None:
    later: list[Callable[[], None]] = []
    with ThreadPoolExecutor(1) as saver:
        room = Room(
            ThreatModel.load(path), Analyzer(catalog), path, schedule=later.append, saver=saver
        )
        person = room.join()
        room.apply(person.id, add("One"), "add_element")
        _drain(later, lambda: room.committed == 1)
    assert room.committed == 1
    assert ThreatModel.load(path) == room.model


# ----------------------------------------------------------------------------- undo
def test_undo_takes_back_ones_own_change_only(room: Room) -> None:
    a, b = room.join("Ann"), room.join("Bo")
    room.apply(a.id, add("Ann's"), "add_element")
    room.apply(b.id, add("Bo's"), "add_element")
    room.undo(a.id)
    names = {e.name for e in room.model.elements}
    assert "Ann's" not in names
    assert "Bo's" in names
    assert room.can_undo(a.id) == (False, True)
    room.redo(a.id)
    assert "Ann's" in {e.name for e in room.model.elements}
    with pytest.raises(RoomRefusal, match="nothing to redo"):
        room.redo(a.id)


def test_undo_is_refused_when_someone_changed_the_item_since(room: Room) -> None:
    a, b = room.join("Ann"), room.join("Bo")
    room.apply(a.id, rename("llm_app", "Orchestrator"), "rename")
    room.apply(b.id, rename("llm_app", "Planner"), "rename")
    with pytest.raises(RoomRefusal, match="cannot undo: Bo changed element 'Planner' since"):
        room.undo(a.id)
    assert room.model.element("llm_app").name == "Planner"
    room.undo(b.id)
    room.undo(a.id)  # now it applies
    assert room.model.element("llm_app").name == ThreatModel.load(room.path).element("llm_app").name


def test_undo_is_refused_when_other_changes_depend_on_it(room: Room) -> None:
    a, b = room.join("Ann"), room.join("Bo")
    added = room.apply(a.id, add("New"), "add_element")
    assert added is not None
    new_id = next(e.id for e in room.model.elements if e.name == "New")
    room.apply(b.id, edit({"op": "add_flow", "source": "llm_app", "target": new_id}), "add_flow")
    with pytest.raises(RoomRefusal, match="other changes depend on it"):
        room.undo(a.id)
    assert new_id in {e.id for e in room.model.elements}


def test_item_changes_and_their_inverse(rich: ThreatModel) -> None:
    edits = [
        edit({"op": "add_element", "kind": "agent", "x": 1, "y": 2}),
        edit({"op": "delete", "nodes": [rich.elements[0].id], "edges": []}),
        edit({"op": "rename", "id": rich.flows[0].id, "name": "renamed"}),
        edit({"op": "layout"}),
    ]
    for change in edits:
        after = change(rich)
        changes = item_changes(rich, after)
        assert changes
        assert with_items(after, {k: old for k, (old, _new) in changes.items()}) == rich
        assert with_items(rich, {k: new for k, (_old, new) in changes.items()}) == after
    scoped = rich.replace(system=rich.system.model_copy(update={"name": "Other"}))
    assert set(item_changes(rich, scoped)) == {("system", None)}


# ----------------------------------------------------------------------------- facilitator
def test_freezing_refuses_participants_not_the_facilitator(room: Room) -> None:
    lead, person = room.join(role=FACILITATOR), room.join("Ann")
    assert lead.name == "Facilitator"
    with pytest.raises(RoomRefusal, match="only the facilitator"):
        room.freeze(person.id)
    with pytest.raises(RoomRefusal, match="only the facilitator"):
        room.reveal(person.id)
    room.freeze(lead.id)
    with pytest.raises(RoomRefusal, match="frozen by the facilitator"):
        room.apply(person.id, add(), "add_element")
    with pytest.raises(RoomRefusal, match="frozen"):
        room.undo(person.id)
    assert room.apply(lead.id, add("Lead's"), "add_element") is not None
    room.freeze(lead.id, False)
    assert room.apply(person.id, add("Ann's"), "add_element") is not None


def test_reveal_decides_who_sees_the_findings(path: Path, catalog: Any) -> None:
    room = Room(ThreatModel.load(path), Analyzer(catalog), path, revealed=False)
    lead, person = room.join(role=FACILITATOR), room.join()
    assert room.sees_findings(lead)
    assert not room.sees_findings(person)
    assert room.stream(person) is room.streams[False]
    plain = room.streams[False].payload["nodes"]
    assert all(not n.get("open") for n in plain)
    assert any(n.get("open") for n in room.streams[True].payload["nodes"])
    room.reveal(lead.id)
    assert room.stream(person) is room.streams[True]


# ----------------------------------------------------------------------------- presence
def test_presence_names_and_what_each_edits(room: Room) -> None:
    heard: list[str] = []
    room.listen(heard.append)
    a = room.join("  Ann \n Lee  ")
    ghost = room.join("Link preview", here=False)
    b = room.join("")
    assert a.name == "Ann Lee"
    assert b.name.startswith("Participant ")
    assert [p.name for p in room.present()] == ["Ann Lee", b.name]
    room.arrived(ghost.id)
    assert "Link preview" in [p.name for p in room.present()]
    room.select(a.id, ["llm_app"])
    room.select(b.id, ["llm_app", "vector_store"])
    assert room.editors("llm_app", besides=a.id) == [b.name]
    assert room.editors("llm_app") == ["Ann Lee", b.name]
    room.rename(b.id, "Bo" * 40)
    assert room.participants[b.id].name == ("Bo" * 40)[:40]
    room.leave(b.id)
    assert room.editors("llm_app") == ["Ann Lee"]
    assert heard.count("presence") >= 5


# ----------------------------------------------------------------------------- streams
def test_streams_send_patches_then_resets_to_late_comers(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = room.join()
    stream = room.streams[True]
    room.apply(person.id, add("One"), "add_element")
    room.apply(person.id, rename("llm_app", "Renamed"), "rename")
    messages = stream.since(0)
    assert messages is not None
    assert [m["op"] for m in messages] == ["patch", "patch"]
    assert [m["base"] for m in messages] == [1, 2]
    assert stream.rev == 3
    assert stream.since(stream.commit) == []
    # a change that draws nothing new still tells the canvases who did what
    room.apply(
        person.id,
        lambda m: m.replace(system=m.system.model_copy(update={"version": "2"})),
        "system",
    )
    last = stream.since(stream.commit - 1)
    assert last is not None
    assert last[-1]["op"] == "room"
    assert last[-1]["room"]["edits"][0]["op"] == "system"
    monkeypatch.setattr(rooms, "LOG_LENGTH", 2)
    short = rooms.Stream(True, room.model, room.analysis)
    for n in range(1, 4):
        short.log.append((n, [{"op": "room"}]))
        short.commit = n
    assert short.since(0) is None  # too far behind: a reset
    assert short.since(1) is not None
