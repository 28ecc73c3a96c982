"""The parts of a threat statement, the limits and word lists it uses, and the helpers
that turn parts into words (see :mod:`workbench.statements`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Analysis
from ..engine.facts import Facts
from ..model.types import CLASSIFICATION_RANK

GOALS = {
    "S": "authenticity",
    "T": "integrity",
    "R": "accountability",
    "I": "confidentiality",
    "D": "availability",
    "E": "authorization",
}
"""The security goal each STRIDE letter threatens (Threat Composer's *impacted goal*)."""

MAX_ASSETS = 3
"""Assets named in a statement's text (the rest are counted)."""
MAX_RECOMMENDED = 3
"""Recommended mitigations named in a statement (in catalog order, after those in place)."""
MAX_HOPS = 6
"""How far a statement looks along flows for a service users reach that the target
feeds (a user of what the target serves)."""
MAX_SUPPLIER_HOPS = 6
"""How far a statement looks upstream of the target for a public source."""

_USERS = frozenset({"user", "client_app", "external_entity"})
"""Where the *users* of a system enter: people, their client apps and outside callers."""
_SERVING = frozenset(
    {"inference_endpoint", "llm_app", "agent", "process", "tool", "client_app", "guardrail"}
)
"""Kinds that answer users' requests (a user of what a store or a job feeds uses one)."""
_ACTORS = frozenset({"user", "operator", "external_entity"})
"""Kinds named in person: "An outsider (Customer)"."""
_SUPPLIERS = frozenset({"model_hub", "data_source", "external_service", "external_entity"})
"""Public sources a system takes models, data or software from."""
_PROVIDED = frozenset({"foundation_model_api", "external_service", "model_hub", "tool"})
"""Kinds a third party runs (with ``third_party: true``, any kind)."""


# ----------------------------------------------------------------------------- parts
@dataclass(frozen=True)
class AssetRef:
    """An asset a statement names as affected."""

    id: str
    """The asset's ID ('' for data an element holds without a named asset)."""
    name: str
    """Its name (or "data held in …")."""
    classification: str | None
    """Its classification, ``None`` when nothing says."""
    pii: bool
    """Whether it is personal data."""
    crown_jewel: bool
    """Whether it is marked a crown jewel."""
    held_in: str = ""
    """The elements holding it, in words, when it is not the finding's target (a crown
    jewel that the target leads to)."""

    def words(self) -> str:
        """'Customer support tickets (confidential, personal data, crown jewel)'."""
        tags = [t for t in (self.classification,) if t]
        tags += ["personal data"] if self.pii else []
        tags += ["crown jewel"] if self.crown_jewel else []
        out = f"{self.name} ({', '.join(tags)})" if tags else self.name
        return f"{out} in {self.held_in}" if self.held_in else out


@dataclass(frozen=True)
class Control:
    """A mitigation a statement names: in place on the target, or recommended."""

    id: str
    """Catalog mitigation ID."""
    title: str
    """Its catalog title (the ID when the catalog does not know it)."""
    in_place: bool
    """Whether the model shows it in place on the target."""


@dataclass(frozen=True)
class Statement:
    """A finding as a threat statement (see the module docstring for the grammar)."""

    finding: str
    """The finding's ID."""
    target: str
    """The target in words: an element's name; a flow as "the question flow (A → B)"."""
    source_kind: str
    """How the source was found: ``outsider``, ``user``, ``supplier``, ``insider``,
    ``anyone``, ``account``, ``provider``, ``network``, ``device``, ``tenant``,
    ``package``."""
    source: str
    """Who, capitalised: "An outsider (Customer)", "The provider of Hosted model API or
    anyone who compromises it"."""
    prerequisites: str
    """What the source needs ('' when the source says it): "who can put content into
    Ticket system"."""
    action: str
    """What they can do, the target's name put in (follows "can")."""
    impact: str
    """What follows from it ("so that …")."""
    assets: tuple[AssetRef, ...]
    """The assets affected, most valuable first."""
    route: tuple[str, ...]
    """The route by which the source reaches the target (or, for a user, what the target
    feeds), element names from the origin on; empty when there is none."""
    route_ids: tuple[str, ...]
    """The same route, element IDs."""
    screens: tuple[str, ...]
    """Names of the defences on the route that screen outsiders' content."""
    stops: tuple[Control, ...]
    """Mitigations in place on the target, then the recommended ones."""
    goals: tuple[str, ...]
    """Security goals threatened, from the STRIDE letters (see :data:`GOALS`)."""
    text: str
    """One or two sentences: the statement, then what stops it."""

    @property
    def in_place(self) -> tuple[Control, ...]:
        """The mitigations the model shows in place on the target."""
        return tuple(c for c in self.stops if c.in_place)

    @property
    def recommended(self) -> tuple[Control, ...]:
        """The recommended mitigations not in place yet."""
        return tuple(c for c in self.stops if not c.in_place)

    def to_dict(self) -> dict[str, Any]:
        """The statement as plain data (for JSON)."""
        return {
            "text": self.text,
            "source_kind": self.source_kind,
            "source": self.source,
            "prerequisites": self.prerequisites,
            "action": self.action,
            "impact": self.impact,
            "target": self.target,
            "assets": [
                {
                    "id": a.id,
                    "name": a.name,
                    "classification": a.classification,
                    "pii": a.pii,
                    "crown_jewel": a.crown_jewel,
                    "held_in": a.held_in,
                }
                for a in self.assets
            ],
            "route": list(self.route),
            "route_ids": list(self.route_ids),
            "screens": list(self.screens),
            "in_place": [{"id": c.id, "title": c.title} for c in self.in_place],
            "recommended": [{"id": c.id, "title": c.title} for c in self.recommended],
            "goals": list(self.goals),
        }


@dataclass(frozen=True)
class _Who:
    """The threat source of one statement and how it reaches the target."""

    kind: str
    source: str
    prerequisites: str = ""
    route: tuple[str, ...] = ()
    """Element IDs, origin first."""
    named: frozenset[str] = frozenset()
    """Elements the source already names (left out of the route's words)."""
    screens: tuple[str, ...] = ()
    influence: bool = False
    """Whether the route is outsiders' influence (its screens are known)."""


# ----------------------------------------------------------------------------- words
def _facts_of(analysis: Analysis) -> Facts:
    """The analysis's facts (its cached routes)."""
    return analysis.facts


def _asset_rank(a: AssetRef) -> tuple[bool, int, bool, str]:
    rank = CLASSIFICATION_RANK.get(a.classification or "", -1)
    return (not a.crown_jewel, -rank, not a.pii, a.name)


def _assets_words(assets: Sequence[AssetRef]) -> str:
    words = [a.words() for a in assets[:MAX_ASSETS]]
    more = len(assets) - MAX_ASSETS
    if more > 0:
        words.append(f"{more} more asset{'s' if more > 1 else ''}")
    return _listed(words)


def _person(kind: str) -> str:
    """How an untrusted actor of ``kind`` is named: "A user (Customer)"."""
    return {"user": "A user", "operator": "An operator"}.get(kind, "An outsider")


def _listed(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _quoted(titles: Sequence[str]) -> str:
    return _listed([f"“{t}”" for t in titles])


def _sp(words: str) -> str:
    return f" {words}" if words else ""


def _end(sentence: str) -> str:
    """The sentence with one final period (a name may already end with one)."""
    return sentence if sentence.endswith((".", "!", "?")) else f"{sentence}."
