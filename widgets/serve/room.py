"""A shared room: one model that every participant edits, with no UI library in sight.

``threat-workbench serve FILE --shared`` (see ``docs/serve.md``) gives each model file one
:class:`Room`. The Panel sessions of the room (:mod:`widgets.serve.shared`) hand every
change to :meth:`Room.apply`, which applies it to the room's current model, in the order
the changes arrive, each once, and gives it the next sequence number. Changes are then
*committed* together (:meth:`Room.commit`, run on the next turn of the server's event
loop, so that changes that arrive together are saved together): the model is saved to
the room's file (atomically, through :meth:`ThreatModel.save
<workbench.model.ThreatModel.save>`), analysed once, and only then do listeners hear of
it, so nobody sees an edit that is not on disk yet. A save that fails takes the
uncommitted changes back and tells their authors why.

The room also keeps:

- *presence*: who is in the room (a :class:`Participant` per browser session), under
  which name, and what each has selected (what they are editing);
- *undo* per participant: :meth:`Room.undo` takes back that participant's last change
  only, item by item (elements, flows, boundaries, assets, objectives, decisions and
  the model's own sections), refusing when someone else has changed one of those items
  since, or when taking it back would break the model (someone drew a flow to the
  element it would remove); :meth:`Room.redo` puts it back;
- the facilitator's switches: :attr:`Room.frozen` (participants' changes are refused)
  and :attr:`Room.revealed` (participants see the findings);
- two :class:`Stream` objects: the canvas payload with the findings overlay and without
  (for participants before the facilitator reveals the threats), with the patch
  messages of recent commits, so that each session's canvas catches up by resending
  the same messages instead of building and comparing payloads of its own.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from workbench.engine import Analysis, Analyzer
from workbench.model import ThreatModel

from .. import _payload
from .outside import keep_outside_version, stamp

Role = Literal["facilitator", "participant"]
FACILITATOR: Role = "facilitator"
PARTICIPANT: Role = "participant"

FROZEN = "editing is frozen by the facilitator"
"""The reason a participant's change is refused while the room is frozen."""
NOT_FACILITATOR = "only the facilitator can do this"

KEYED: dict[str, str] = {
    "objectives": "id",
    "assets": "id",
    "boundaries": "id",
    "elements": "id",
    "flows": "id",
    "decisions": "key",
}
"""The model's lists, and what identifies one of their items. Every other field of the
model is one item of its own (``system``, ``scope``, ``risk_tolerance``)."""

ItemKey = tuple[str, str | None]
"""An item of the model: a list field and the item's ID or key, or a field and ``None``."""
ItemChanges = dict[ItemKey, tuple[Any, Any]]
"""What a change did, item by item: the value before and after (``None``: absent)."""

RESET_RATIO = 0.5
"""As :attr:`widgets.canvas.Canvas.reset_ratio`: a commit that changes more than this
share of the drawn items (and more than :data:`RESET_MIN`) is sent as a whole ``reset``."""
RESET_MIN = 20
LOG_LENGTH = 200
"""How many commits a :class:`Stream` keeps; a session further behind gets a reset."""
HISTORY_LIMIT = 100
"""How many of their changes a participant can undo."""
RECENT = 500
"""How many applied changes the room remembers (to say who changed an item since)."""


class RoomRefusal(Exception):  # noqa: N818 (a refusal, not an error)
    """The room refused a change; ``reason`` says why, in words for the participant."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ----------------------------------------------------------------------------- items
def _items(model: ThreatModel, name: str) -> dict[str | None, Any]:
    key = KEYED.get(name)
    value = getattr(model, name)
    if key is None:
        return {None: value}
    return {getattr(item, key): item for item in value}


def item_changes(before: ThreatModel, after: ThreatModel) -> ItemChanges:
    """What changed from ``before`` to ``after``, item by item (see :data:`ItemChanges`)."""
    changes: ItemChanges = {}
    for name in type(before).model_fields:
        old_value, new_value = getattr(before, name), getattr(after, name)
        if old_value is new_value or old_value == new_value:
            continue
        old, new = _items(before, name), _items(after, name)
        for key in old.keys() | new.keys():
            a, b = old.get(key), new.get(key)
            if a is not b and a != b:
                changes[(name, key)] = (a, b)
    return changes


def with_items(model: ThreatModel, values: Mapping[ItemKey, Any]) -> ThreatModel:
    """``model`` with the given items set (a value of ``None`` removes a list item),
    validated (``ValueError`` when the result is not a valid model)."""
    fields: dict[str, Any] = {}
    for name in {n for n, _ in values}:
        if name not in KEYED:
            fields[name] = values[(name, None)]
            continue
        items = _items(model, name)
        for (field_name, key), value in values.items():
            if field_name != name:
                continue
            if value is None:
                items.pop(key, None)
            else:
                items[key] = value
        fields[name] = list(items.values())
    return model.replace(**fields)


def describe(model: ThreatModel, key: ItemKey) -> str:
    """An item in words: ``element 'Agent 1'``, ``the decision on X``, ``the scope``."""
    name, item = key
    if item is None:
        return f"the {name.replace('_', ' ')}"
    if name == "decisions":
        return f"the decision on {item}"
    found = _items(model, name).get(item)
    label = getattr(found, "name", None) or item
    return f"{name.removesuffix('s')} '{label}'"


# ----------------------------------------------------------------------------- records
@dataclass(eq=False)
class Participant:
    """One browser session in the room."""

    id: str
    name: str
    role: Role = PARTICIPANT
    selection: tuple[str, ...] = ()
    """What the participant has selected on the canvas (what they are editing)."""
    undo: list[Edit] = field(default_factory=list)
    redo: list[Edit] = field(default_factory=list)
    joined: int = 0
    here: bool = True
    """Whether the participant's browser has connected (a page that was only fetched,
    by a link preview say, is not listed as present)."""

    @property
    def facilitator(self) -> bool:
        """Whether this is the facilitator's view."""
        return self.role == FACILITATOR


@dataclass(eq=False)
class Edit:
    """One change the room applied: its sequence number, who made it and when
    (``time.time()`` when the room applied it), and the models before and after."""

    seq: int
    by: str
    """The participant's ID."""
    name: str
    """The participant's name at the time."""
    label: str
    """What it was (``add_element``, ``rename``, ``decision``, ``undo`` ...)."""
    at: float
    before: ThreatModel
    after: ThreatModel
    _changes: ItemChanges | None = None

    @property
    def changes(self) -> ItemChanges:
        """What the change did, item by item (worked out when first asked)."""
        if self._changes is None:
            self._changes = item_changes(self.before, self.after)
        return self._changes

    def info(self) -> dict[str, Any]:
        """The edit as JSON for the canvases: ``seq``, ``by`` (the name), ``op`` and
        ``at`` (milliseconds since the epoch, when the room applied it)."""
        return {"seq": self.seq, "by": self.name, "op": self.label, "at": round(self.at * 1000, 1)}


class Stream:
    """The canvas payload of the room's model (with the findings overlay or without),
    and the messages that took it from one commit to the next."""

    def __init__(self, findings: bool, model: ThreatModel, analysis: Analysis | None) -> None:
        self.findings = findings
        self.payload = _payload.build(model, analysis if findings else None)
        self.rev = 1
        self.commit = 0
        self.log: deque[tuple[int, list[dict[str, Any]]]] = deque(maxlen=LOG_LENGTH)

    def advance(
        self, commit: int, model: ThreatModel, analysis: Analysis | None, room: dict[str, Any]
    ) -> None:
        """Record ``commit``: a ``patch`` (or ``reset``) message when the drawing changed,
        else a ``room`` message; each carries ``room`` (the commit's edits)."""
        new = _payload.build(model, analysis if self.findings else None)
        changes = _payload.diff(self.payload, new)
        if changes:
            self.rev += 1
            total = _payload.size(new)
            if _payload.change_count(changes) > max(RESET_MIN, RESET_RATIO * total):
                msg: dict[str, Any] = {"op": "reset", "rev": self.rev, **new}
            else:
                msg = {"op": "patch", "rev": self.rev, "base": self.rev - 1, **changes}
        else:
            msg = {"op": "room"}
        msg["room"] = room
        self.payload = new
        self.commit = commit
        self.log.append((commit, [msg]))

    def since(self, commit: int) -> list[dict[str, Any]] | None:
        """The messages after ``commit``, in order; ``None`` when some are no longer kept
        (send a reset instead)."""
        if commit >= self.commit:
            return []
        if not self.log or self.log[0][0] > commit + 1:
            return None
        return [m for c, msgs in self.log if c > commit for m in msgs]


Listener = Callable[[str], None]
"""Told ``"commit"`` (the model changed and is saved), ``"failed"`` (changes were taken
back), ``"presence"`` (someone came, left, was renamed or selected something) or
``"state"`` (frozen or revealed changed)."""


class Room:
    """One shared model, its file, its participants and their changes.

    Parameters
    ----------
    model
        The starting model (as loaded from ``path``).
    analyzer
        Analyses the model after each commit (incrementally).
    path
        The file every commit is saved to (the first save keeps the file as it was as
        ``<name>.bak``).
    schedule
        Runs the commit later (the server's ``IOLoop.add_callback``); ``None`` commits
        every change at once (tests).
    revealed
        Whether participants see the findings from the start.
    saver
        Where to save (a :class:`~concurrent.futures.ProcessPoolExecutor`, so that
        writing the file does not hold up the event loop); ``None``: in the commit.
    """

    def __init__(
        self,
        model: ThreatModel,
        analyzer: Analyzer,
        path: str | Path,
        *,
        title: str | None = None,
        schedule: Callable[[Callable[[], None]], None] | None = None,
        revealed: bool = True,
        saver: Executor | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.title = title or model.system.name
        self.model = model
        self.saved = model
        self.analyzer = analyzer
        self.analysis = analyzer.analyze(model)
        self.frozen = False
        self.revealed = revealed
        self.seq = 0
        """The number of the last change applied."""
        self.committed = 0
        """The number of the last change saved and shown."""
        self.commits = 0
        self.failed: dict[int, str] = {}
        """Changes taken back because saving failed: number to reason (recent ones)."""
        self.participants: dict[str, Participant] = {}
        self.streams = {f: Stream(f, model, self.analysis) for f in (True, False)}
        self.recent: deque[Edit] = deque(maxlen=RECENT)
        self.last_authors: frozenset[str] = frozenset()
        """Who made the changes of the last commit (or failed commit)."""
        self._pending: list[Edit] = []
        self._scheduled = False
        self._saving = False
        self._backed_up = False
        self._stamp = stamp(self.path)
        """The file's (modification time, size) when the room last read or wrote it."""
        self.kept_outside: list[Path] = []
        """Copies of the file as another program changed it while the room owned it (each
        kept before the room's next save wrote over it)."""
        self._schedule = schedule
        self._saver = saver
        self._clock = clock
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- listeners
    def listen(self, listener: Listener) -> None:
        """Call ``listener(what)`` after each commit and presence or state change."""
        self._listeners.append(listener)

    def _tell(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # ----------------------------------------------------------------- presence
    def join(self, name: str = "", role: Role = PARTICIPANT, *, here: bool = True) -> Participant:
        """A new participant (named ``Participant N`` or ``Facilitator`` when ``name`` is
        empty); with ``here=False`` listed only once :meth:`arrived`."""
        with self._lock:
            n = next(self._ids)
            default = "Facilitator" if role == FACILITATOR else f"Participant {n}"
            person = Participant(f"p{n}", _clean_name(name) or default, role, joined=n, here=here)
            self.participants[person.id] = person
        if here:
            self._tell("presence")
        return person

    def arrived(self, participant_id: str) -> None:
        """The participant's browser connected: list them as present."""
        with self._lock:
            person = self.participants.get(participant_id)
            if person is None or person.here:
                return
            person.here = True
        self._tell("presence")

    def leave(self, participant_id: str) -> None:
        """The participant left (their session ended or lost its connection)."""
        with self._lock:
            gone = self.participants.pop(participant_id, None)
        if gone is not None:
            self._tell("presence")

    def rename(self, participant_id: str, name: str) -> None:
        """Change a participant's name (an empty name keeps the old one)."""
        clean = _clean_name(name)
        with self._lock:
            person = self.participants.get(participant_id)
            if person is None or not clean or clean == person.name:
                return
            person.name = clean
        self._tell("presence")

    def select(self, participant_id: str, ids: Iterable[str]) -> None:
        """What the participant has selected (and so is editing)."""
        selection = tuple(ids)
        with self._lock:
            person = self.participants.get(participant_id)
            if person is None or person.selection == selection:
                return
            person.selection = selection
        self._tell("presence")

    def present(self) -> list[Participant]:
        """Everyone in the room (whose browser connected), in the order they came."""
        with self._lock:
            return sorted((p for p in self.participants.values() if p.here), key=lambda p: p.joined)

    def editors(self, item_id: str, *, besides: str | None = None) -> list[str]:
        """The names of the participants (other than ``besides``) who have ``item_id``
        selected."""
        return [p.name for p in self.present() if p.id != besides and item_id in p.selection]

    # ----------------------------------------------------------------- facilitator
    def _facilitator(self, participant_id: str) -> None:
        person = self.participants.get(participant_id)
        if person is None or not person.facilitator:
            raise RoomRefusal(NOT_FACILITATOR)

    def freeze(self, participant_id: str, frozen: bool = True) -> None:
        """Freeze (or unfreeze) editing for participants (the facilitator's switch)."""
        with self._lock:
            self._facilitator(participant_id)
            if self.frozen == frozen:
                return
            self.frozen = frozen
        self._tell("state")

    def reveal(self, participant_id: str, revealed: bool = True) -> None:
        """Show (or hide) the findings to every participant at once."""
        with self._lock:
            self._facilitator(participant_id)
            if self.revealed == revealed:
                return
            self.revealed = revealed
        self._tell("state")

    def sees_findings(self, participant: Participant) -> bool:
        """Whether ``participant`` sees the findings now."""
        return self.revealed or participant.facilitator

    # ----------------------------------------------------------------- changes
    def apply(
        self, participant_id: str, change: Callable[[ThreatModel], ThreatModel], label: str
    ) -> Edit | None:
        """Apply ``change`` (a function of the current model) for a participant, next in
        line; ``None`` when it changes nothing. Raises :class:`RoomRefusal` (frozen, or
        the participant has left) or whatever ``change`` raises (the model stays as it
        was). The change is saved and shown at the next :meth:`commit`."""
        with self._lock:
            person = self._editor(participant_id)
            before = self.model
            after = change(before)
            if after is before or after == before:
                return None
            edit = self._record(person, label, before, after)
            person.undo.append(edit)
            del person.undo[:-HISTORY_LIMIT]
            person.redo.clear()
        self._commit_soon()
        return edit

    def undo(self, participant_id: str) -> Edit:
        """Take back the participant's last change (see the module's notes)."""
        return self._walk(participant_id, back=True)

    def redo(self, participant_id: str) -> Edit:
        """Make again the change the participant's last :meth:`undo` took back."""
        return self._walk(participant_id, back=False)

    def can_undo(self, participant_id: str) -> tuple[bool, bool]:
        """Whether the participant has a change to undo, and one to redo."""
        person = self.participants.get(participant_id)
        if person is None:
            return False, False
        return bool(person.undo), bool(person.redo)

    def _editor(self, participant_id: str) -> Participant:
        person = self.participants.get(participant_id)
        if person is None:
            raise RoomRefusal("you are no longer in the room: reload the page")
        if self.frozen and not person.facilitator:
            raise RoomRefusal(FROZEN)
        return person

    def _record(
        self, person: Participant, label: str, before: ThreatModel, after: ThreatModel
    ) -> Edit:
        self.seq += 1
        edit = Edit(self.seq, person.id, person.name, label, self._clock(), before, after)
        self.model = after
        self._pending.append(edit)
        self.recent.append(edit)
        return edit

    def _walk(self, participant_id: str, *, back: bool) -> Edit:
        word = "undo" if back else "redo"
        with self._lock:
            person = self._editor(participant_id)
            source, target = (person.undo, person.redo) if back else (person.redo, person.undo)
            if not source:
                raise RoomRefusal(f"nothing to {word}")
            original = source[-1]
            current = self.model
            values: dict[ItemKey, Any] = {}
            for key, (old, new) in original.changes.items():
                expected, wanted = (new, old) if back else (old, new)
                now = _items(current, key[0]).get(key[1])
                if now is not expected and now != expected:
                    raise RoomRefusal(f"cannot {word}: {self._changed_since(original, key)}")
                values[key] = wanted
            try:
                after = with_items(current, values)
            except ValueError as exc:
                raise RoomRefusal(f"cannot {word}: other changes depend on it ({exc})") from None
            source.pop()
            target.append(original)
            edit = self._record(person, word, current, after)
        self._commit_soon()
        return edit

    def _changed_since(self, original: Edit, key: ItemKey) -> str:
        now = _items(self.model, key[0]).get(key[1])
        what = describe(self.model if now is not None else original.after, key)
        for edit in reversed(self.recent):
            if edit.seq <= original.seq:
                break
            if key in edit.changes:
                return f"{edit.name} changed {what} since"
        return f"{what} was changed since"

    def _commit_soon(self) -> None:
        if self._schedule is None:
            self.commit()
            return
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        self._schedule(self.commit)

    def commit(self) -> None:
        """Save the changes applied since the last commit, analyse the model, record the
        canvas messages, then tell the listeners (``"commit"``, or ``"failed"`` when the
        file could not be written: the changes are taken back).

        With a ``saver`` (a process pool) the file is written in another process while
        the event loop goes on; the rest of the commit runs when the save is done, and
        changes that arrive meanwhile wait for the next commit (a room has one save in
        flight at a time, so its file is written in order)."""
        with self._lock:
            self._scheduled = False
            if self._saving or not self._pending:
                return
            batch, self._pending = self._pending, []
            model, backup = self.model, not self._backed_up
            if self._saver is not None:
                self._saving = True
            self._keep_outside_change()
        if self._saver is None:
            self._finish(batch, model, _save_here(model, self.path, backup))
            return
        try:
            future = self._saver.submit(save_model_file, model, self.path, backup)
        except (RuntimeError, BrokenProcessPool):  # the pool is gone: save here from now on
            self._saver = None
            self._finish(batch, model, _save_here(model, self.path, backup))
            return
        back = self._schedule or (lambda callback: callback())
        future.add_done_callback(lambda f: back(partial(self._saved, batch, model, backup, f)))

    def _saved(
        self, batch: list[Edit], model: ThreatModel, backup: bool, future: Future[Any]
    ) -> None:
        """The other process's save of ``batch`` is done (runs on the event loop)."""
        error = future.exception()
        if isinstance(error, BrokenProcessPool):  # the worker died: save here from now on
            self._saver = None
            error = _save_here(model, self.path, backup)
        elif error is None:
            model._source = future.result()  # what was written, for the next round trip
        with self._lock:
            self._saving = False
        self._finish(batch, model, error)
        if self._pending:
            self._commit_soon()

    def _finish(self, batch: list[Edit], model: ThreatModel, error: BaseException | None) -> None:
        with self._lock:
            self.last_authors = frozenset(e.by for e in batch)
            if error is not None:
                # what was applied after the batch was built on it: it goes back too
                later, self._pending = self._pending, []
                self._take_back([*batch, *later], f"the model could not be saved ({error})")
                what = "failed"
            else:
                self._backed_up = True
                self._stamp = stamp(self.path)
                self.saved = model
                self.analysis = self.analyzer.update(model)
                self.committed = batch[-1].seq
                self.commits += 1
                info = {"seq": self.committed, "edits": [e.info() for e in batch]}
                for stream in self.streams.values():
                    stream.advance(self.commits, model, self.analysis, info)
                what = "commit"
        self._tell(what)

    def _keep_outside_change(self) -> None:
        """Keep a version of the file another program wrote since the room last read or
        wrote it (see :mod:`widgets.serve.outside`)."""
        self._stamp, copy = keep_outside_version(self.path, self._stamp, self._clock())
        if copy is not None:
            self.kept_outside.append(copy)

    def _take_back(self, batch: Sequence[Edit], reason: str) -> None:
        self.model = self.saved
        gone = {e.seq for e in batch}
        for edit in batch:
            self.failed[edit.seq] = reason
        for seq in sorted(self.failed)[:-RECENT]:
            del self.failed[seq]
        for person in self.participants.values():
            person.undo = [e for e in person.undo if e.seq not in gone]
            person.redo = [e for e in person.redo if e.seq not in gone]
        self.recent = deque((e for e in self.recent if e.seq not in gone), maxlen=RECENT)

    def stream(self, participant: Participant) -> Stream:
        """The canvas stream ``participant`` sees (findings or not)."""
        return self.streams[self.sees_findings(participant)]


def save_model_file(model: ThreatModel, path: Path, backup: bool) -> Any:
    """Save ``model`` to ``path`` (:meth:`ThreatModel.save`, atomic) and return what the
    model now knows of its file (its ``Source``: the text written, for the next save to
    write over). Runs in the saver's process."""
    model.save(path, backup=backup)
    return model._source


def _save_here(model: ThreatModel, path: Path, backup: bool) -> BaseException | None:
    """Save in this process; the error, if any."""
    try:
        model.save(path, backup=backup)
    except (OSError, ValueError) as exc:
        return exc
    return None


def _clean_name(name: str) -> str:
    """A participant's name: one line, at most 40 characters."""
    return " ".join(str(name).split())[:40]
