"""Pushing items to a tracker and reading the issues' state back.

**Push** (:func:`push`). The tracker's issues with the :data:`~workbench.track.LABEL`
label are listed once. For each item (worst first) the issue is, in this order: the one
a member's decision records as its ticket (fetched when the listing does not hold it:
someone removed the label), else the one whose marker names the item's key for this
model, else a new one. An issue already holding the item's title and description is left
alone; another is updated. Each issue's URL goes into the ``ticket`` of every open
member's decision (a decision ``open`` is added for a finding that has none; a finding
covered by a scoped decision gets a decision of its own with the same status, owner,
rationale and dates) and **the model file is saved at once**, before the next item, so a
failure part-way loses no issue already made: a second run finds them all. A ticket
that names something else (another tracker, a key typed by hand) is kept, and said so.
The first save keeps the file as it was before the run as ``FILE.bak``; every save is
atomic and keeps the file's comments and order (:func:`workbench.saving.save_model`),
and is refused when the file changed on disk since it was read (another editor): the
issue is reported with its URL and nothing else is written.

**Sync** (:func:`sync`). Every decision whose ticket names an issue of this tracker
project is compared with it: closed as done, and the decision counts as open (``open``,
``in_progress``, or past its review date) → the decision is proposed as ``mitigated``,
decided today, with the issue as rationale when it has none (and no review date that has
already passed). Issues closed without the work done (GitHub ``not_planned``, Jira
Won't Do …), tickets that are gone, and open issues of mitigated decisions are reported,
not changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..engine import Analysis
from ..model import Decision, ThreatModel
from ..register import Entry, Register, is_expired
from ..saving import save_model
from ..statements import StatementWriter
from . import LABEL
from .http import TrackerError
from .items import Per, TrackItem, track_items
from .render import draft, model_slug, read_marker
from .trackers import Draft, Issue, Tracker

__all__ = [
    "Outcome",
    "Proposal",
    "PushResult",
    "SyncResult",
    "TicketBook",
    "TrackRunError",
    "push",
    "sync",
]

Action = Literal["created", "updated", "unchanged", "would create", "would update"]


class TrackRunError(Exception):
    """A tracker request failed part-way, or the model file could not be written; what
    was done before is in :attr:`outcomes` (and its tickets are in the file)."""

    def __init__(self, message: str, outcomes: Iterable[Outcome] = ()) -> None:
        super().__init__(message)
        self.outcomes = tuple(outcomes)


@dataclass(frozen=True)
class Outcome:
    """What happened to one item."""

    action: Action
    item: TrackItem
    issue: Issue | None
    """The issue (``None`` for ``would create``)."""
    recorded: tuple[str, ...]
    """Findings whose decision got (or, in a dry run, would get) the issue as ticket."""
    found_by: str = ""
    """How the issue was found: ``ticket`` or ``marker`` ('' when new)."""


@dataclass
class PushResult:
    """The outcome of :func:`push`."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Tickets kept or not found, duplicates, issues of items no longer open."""
    model: ThreatModel | None = None
    """The model with the tickets recorded."""
    saved: bool = False
    """Whether the model file was written."""

    def count(self, action: str) -> int:
        """How many items had ``action``."""
        return sum(o.action == action for o in self.outcomes)


class TicketBook:
    """The decisions' tickets of one model file, saved as they change (see the module's
    documentation); with ``write=False`` (a dry run) they change in memory only."""

    def __init__(self, model: ThreatModel, path: Path, tracker: Tracker, *, write: bool) -> None:
        self.model = model
        self.path = path
        self.tracker = tracker
        self.write = write
        self.saved = False
        self.notes: list[str] = []
        self._disk = path.read_bytes() if write else b""

    def ticket(self, e: Entry) -> str:
        """The ticket of the decision that applies to ``e`` ('' when none)."""
        own = self.model.decision(e.id)
        if own is not None:
            return own.ticket
        return e.decision.ticket if e.decision is not None else ""

    def _with_ticket(self, e: Entry, url: str) -> Decision | None:
        own = self.model.decision(e.id)
        current = own.ticket if own is not None else ""
        if current == url:
            return None
        if current and self.tracker.ref_of(current) is None:
            self.notes.append(
                f"{e.id}: keeps its ticket {current} (not an issue of {self.tracker.where}); "
                f"the issue is {url}"
            )
            return None
        if own is not None:
            data: dict[str, Any] = own.model_dump(exclude_defaults=True)
        elif e.decision is not None:  # a scoped decision: this finding gets its own copy
            data = e.decision.model_dump(exclude={"threat", "scope"}, exclude_defaults=True)
        else:
            data = {}
        return Decision.model_validate({**data, "finding": e.id, "ticket": url})

    def record(self, entries: Iterable[Entry], url: str) -> tuple[str, ...]:
        """Set ``url`` as the ticket of ``entries``' decisions, then save; the findings
        whose ticket changed."""
        changed = []
        for e in entries:
            new = self._with_ticket(e, url)
            if new is not None:
                self.model = self.model.set_decision(new)
                changed.append(e.id)
        if changed and self.write:
            self.save()
        return tuple(changed)

    def pending(self, entries: Iterable[Entry]) -> tuple[str, ...]:
        """The findings of ``entries`` whose decision has no ticket yet."""
        return tuple(e.id for e in entries if not self.ticket(e))

    def save(self) -> None:
        """Write the model over its file (atomic, comments kept); the first save keeps
        the file as it was as ``FILE.bak``. Refused (:class:`TrackRunError`) when the
        file changed on disk since it was read or last written."""
        try:
            now = self.path.read_bytes()
        except OSError as exc:
            raise TrackRunError(f"{self.path}: cannot read it back: {exc}") from None
        if now != self._disk:
            raise TrackRunError(
                f"{self.path}: changed on disk while tracking (another editor?); the "
                "tickets of this run from here on are not recorded: run track again"
            )
        save_model(self.model, self.path, backup=not self.saved)
        self.saved = True
        self._disk = self.path.read_bytes()


def _statements(analysis: Analysis, items: list[TrackItem]) -> dict[str, Any]:
    writer = StatementWriter(analysis)
    return {e.id: writer.statement(e.finding) for item in items for e in item.entries}


class _Finder:
    """Finds the issue of an item: by a member's ticket, else by its marker."""

    def __init__(self, tracker: Tracker, book: TicketBook, remote: list[Issue], slug: str):
        self.tracker = tracker
        self.book = book
        self.by_ref = {i.ref: i for i in remote}
        self.by_key: dict[str, Issue] = {}
        self.notes: list[str] = []
        for issue in remote:
            m = read_marker(issue.body, tracker.markup)
            if m is None or m[0] != slug:
                continue
            first = self.by_key.setdefault(m[1], issue)
            if first is not issue:
                self.notes.append(
                    f"{tracker.shown(issue)} and {tracker.shown(first)} both carry the marker "
                    f"of {m[1]}: {tracker.shown(first)} is used"
                )
        self.claimed: set[str] = set()

    def find(self, item: TrackItem) -> tuple[Issue | None, str]:
        for e in item.entries:
            ticket = self.book.ticket(e)
            ref = self.tracker.ref_of(ticket) if ticket else None
            if ref is None or ref in self.claimed:
                continue
            issue = self.by_ref.get(ref) or self.tracker.get(ref)
            if issue is not None:
                return issue, "ticket"
            self.notes.append(
                f"{e.id}: its ticket {ticket} was not found on {self.tracker.name}; "
                "looking for the marker instead"
            )
        issue = self.by_key.get(item.key)
        if issue is not None and issue.ref not in self.claimed:
            return issue, "marker"
        return None, ""


def push(
    model: ThreatModel,
    analysis: Analysis,
    register: Register,
    tracker: Tracker,
    *,
    path: Path,
    level: str = "high",
    per: Per = "group",
    labels: tuple[str, ...] = (),
    dry_run: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> PushResult:
    """Create or update the issue of every item (see the module's documentation);
    ``on_outcome`` hears of each as it is done. Raises :class:`TrackRunError` (with the
    outcomes so far) when a request fails or the file cannot be written."""
    result = PushResult(model=model)
    items = track_items(analysis, register, level=level, per=per)
    statements = _statements(analysis, items)
    labels = tuple(dict.fromkeys((LABEL, *labels)))
    try:
        remote = tracker.issues(LABEL)
    except TrackerError as exc:
        raise TrackRunError(f"{exc} (while listing the issues labelled {LABEL})") from None
    book = TicketBook(model, path, tracker, write=not dry_run)
    finder = _Finder(tracker, book, remote, model_slug(model))
    for item in items:
        d = draft(
            item,
            model,
            analysis.catalog,
            statements,
            markup=tracker.markup,
            file_name=path.name,
            labels=labels,
        )
        ids = ", ".join(item.finding_ids)
        try:
            issue, found_by = finder.find(item)
        except TrackerError as exc:
            raise TrackRunError(
                f"{exc} (while looking for the issue of {item.key}: {ids})", result.outcomes
            ) from None
        try:
            outcome = _apply(tracker, book, item, issue, d, found_by, dry_run)
        except TrackerError as exc:
            doing = "creating" if issue is None else "updating"
            raise TrackRunError(
                f"{exc} (while {doing} the issue of {item.key}: {ids})", result.outcomes
            ) from None
        except TrackRunError as exc:
            raise TrackRunError(str(exc), result.outcomes) from None
        if outcome.issue is not None:
            finder.claimed.add(outcome.issue.ref)
            if outcome.issue.closed:
                result.notes.append(
                    f"{tracker.shown(outcome.issue)} ({item.key}) is closed, but "
                    f"{', '.join(item.finding_ids)} still count as open in the model: reopen "
                    "it, or record the decision (track --sync proposes mitigated for issues "
                    "closed as done)"
                )
        result.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    keys = {item.key for item in items}
    for key, issue in sorted(finder.by_key.items()):
        if key not in keys and issue.ref not in finder.claimed and not issue.closed:
            result.notes.append(
                f"{tracker.shown(issue)} ({key}) is open, but nothing it tracks is open at or "
                f"above '{level}' in the model: close it if the work is done"
            )
    result.notes[:0] = finder.notes + book.notes
    result.model = book.model
    result.saved = book.saved
    return result


def _apply(
    tracker: Tracker,
    book: TicketBook,
    item: TrackItem,
    issue: Issue | None,
    d: Draft,
    found_by: str,
    dry_run: bool,
) -> Outcome:
    """Create, update or leave the issue of ``item``, and record it."""
    if issue is None:
        if dry_run:
            return Outcome("would create", item, None, book.pending(item.entries))
        issue = tracker.create(d)
        action: Action = "created"
    elif tracker.same(issue, d):
        action = "unchanged"
    elif dry_run:
        action = "would update"
    else:
        issue = tracker.update(issue, d)
        action = "updated"
    try:
        recorded = book.record(item.entries, issue.url)
    except TrackRunError as exc:
        raise TrackRunError(
            f"{exc}; the issue of {item.key} is {issue.url} ({action}), not recorded"
        ) from None
    return Outcome(action, item, issue, recorded, found_by)


# ------------------------------------------------------------------------------- sync
@dataclass(frozen=True)
class Proposal:
    """A decision to change because of its issue's state."""

    old: Decision
    new: Decision
    issue: Issue


@dataclass
class SyncResult:
    """The outcome of :func:`sync`."""

    model: ThreatModel
    """The model with the proposals applied (the same object when there are none)."""
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read: int = 0
    """Issues read."""


def _mitigated(d: Decision, issue: Issue, tracker: Tracker, today: dt.date) -> Decision:
    data = d.model_dump(exclude_defaults=True)
    data.update(status="mitigated", decided=today)
    if d.review_by is not None and d.review_by < today:
        data.pop("review_by", None)
    if not d.rationale.strip():
        why = f" ({issue.reason})" if issue.reason else ""
        data["rationale"] = f"Issue {issue.url} closed in {tracker.name}{why}."
    return Decision.model_validate(data)


def sync(
    model: ThreatModel,
    tracker: Tracker,
    *,
    today: dt.date,
) -> SyncResult:
    """Read the state of the issues that decisions record as tickets, and propose
    ``mitigated`` for those closed as done (see the module's documentation)."""
    result = SyncResult(model=model)
    cadence = model.risk_tolerance.review_cadence_days
    issues: dict[str, Issue | None] = {}
    changed: dict[str, Decision] = {}
    for d in model.decisions:
        ref = tracker.ref_of(d.ticket) if d.ticket else None
        if ref is None:
            continue
        if ref not in issues:
            try:
                issues[ref] = tracker.get(ref)
            except TrackerError as exc:
                raise TrackRunError(
                    f"{exc} (while reading {d.ticket}, the ticket of {d.key})"
                ) from None
            result.read += 1
        issue = issues[ref]
        if issue is None:
            result.notes.append(f"{d.key}: its ticket {d.ticket} was not found on {tracker.name}")
            continue
        counts_open = d.status in ("open", "in_progress") or is_expired(d, today, cadence)
        if issue.closed and issue.done and counts_open:
            new = _mitigated(d, issue, tracker, today)
            changed[d.key] = new
            result.proposals.append(Proposal(d, new, issue))
        elif issue.closed and counts_open:
            result.notes.append(
                f"{d.key}: {tracker.shown(issue)} was closed as {issue.reason or 'not done'}: "
                "not proposed as mitigated; decide in the model (false_positive, accepted …)"
            )
        elif not issue.closed and d.status == "mitigated":
            result.notes.append(
                f"{d.key}: is mitigated, but {tracker.shown(issue)} is open ({issue.url})"
            )
    if changed:
        result.model = model.replace(decisions=[changed.get(d.key, d) for d in model.decisions])
    return result
