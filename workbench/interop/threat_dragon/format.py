"""What the Threat Dragon exporter and importer share: the version written, cell shapes,
sizes and labels, status and severity names both ways, the tags that stand for Threat
Dragon's ``outOfScope`` and ``isBidirectional`` flags, cell geometry (:class:`Rect`) and
where a cell keeps its label (:func:`cell_text`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...model.kinds import KINDS, DfdType
from ..common import as_dict, as_list, as_str

TD_VERSION = "2.3.0"
THUMBNAIL = "./public/content/images/thumbnail.stride.jpg"
SHAPE = {
    DfdType.EXTERNAL_ENTITY: ("actor", "tm.Actor"),
    DfdType.PROCESS: ("process", "tm.Process"),
    DfdType.DATA_STORE: ("store", "tm.Store"),
}
GENERIC = {"actor": "external_entity", "process": "process", "store": "data_store"}
LABEL = {"actor": "Actor", "process": "Process", "store": "Store"}
SIZE = {"actor": (160.0, 80.0), "process": (100.0, 100.0), "store": (160.0, 80.0)}
STATUS_OUT = {
    "open": "Open",
    "in_progress": "Open",
    "mitigated": "Mitigated",
    "accepted": "Accepted",
    "transferred": "Transferred",
    "avoided": "Avoided",
    "false_positive": "NA",
    "not_applicable": "NA",
}
"""Threat Dragon's status (NA, Open, Mitigated, Accepted, Transferred, Avoided or
Eliminated) for each of ours: it has no "in progress" (Open) and one NA for false
positives and threats that do not apply; the exact status travels in the ``workbench``
decisions."""
STATUS_IN = {
    "open": "open",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "transferred",
    "avoided": "avoided",
    "eliminated": "avoided",
    "na": "not_applicable",
    "n/a": "not_applicable",
}
SEVERITY = {"critical": "High", "high": "High", "medium": "Medium", "low": "Low", "info": "Low"}
PRIVILEGES = ("read", "write", "execute", "admin")
OUT_OF_SCOPE = "out-of-scope"
BIDIRECTIONAL = "bidirectional"
PAD = 30.0
UNTRUSTED_NAME = re.compile(r"internet|untrusted|public network", re.IGNORECASE)


@dataclass(frozen=True)
class Rect:
    """A cell's box on the diagram: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float

    def union(self, other: Rect) -> Rect:
        """The smallest box holding both boxes."""
        x, y = min(self.x, other.x), min(self.y, other.y)
        right = max(self.x + self.w, other.x + other.w)
        bottom = max(self.y + self.h, other.y + other.h)
        return Rect(x, y, right - x, bottom - y)

    def padded(self, pad: float) -> Rect:
        """The box grown by ``pad`` on every side."""
        return Rect(self.x - pad, self.y - pad, self.w + 2 * pad, self.h + 2 * pad)

    def contains_point(self, x: float, y: float) -> bool:
        """Whether the point ``(x, y)`` lies in the box (edges included)."""
        return self.x <= x <= self.x + self.w and self.y <= y <= self.y + self.h

    def contains(self, other: Rect) -> bool:
        """Whether ``other`` lies wholly in the box (edges included)."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.w <= self.x + self.w
            and other.y + other.h <= self.y + self.h
        )

    @property
    def area(self) -> float:
        """Width times height."""
        return self.w * self.h


def shape_of(kind: str) -> str:
    """The Threat Dragon shape (``actor``, ``process`` or ``store``) of one of our kinds."""
    return SHAPE[KINDS[kind].dfd][0]


def cell_text(cell: dict[str, Any], *keys: str) -> str:
    """The first text among ``attrs.KEY.text`` for ``keys``, else the first label's
    text ('' when none)."""
    attrs = as_dict(cell.get("attrs"))
    for key in keys:
        text = as_str(as_dict(attrs.get(key)).get("text"))
        if text:
            return text
    for label in as_list(cell.get("labels")):
        label_attrs = as_dict(as_dict(label).get("attrs"))
        for key in ("label", "labelText", "text"):
            text = as_str(as_dict(label_attrs.get(key)).get("text"))
            if text:
                return text
    return ""
