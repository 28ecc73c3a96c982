"""The top-level :class:`ThreatModel`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import PrivateAttr, ValidationInfo, model_validator

from ..hooks import use
from .parts import (
    Asset,
    Boundary,
    Decision,
    DecisionScope,
    Element,
    Flow,
    Objective,
    RiskTolerance,
    Scope,
    Strict,
    SystemInfo,
)
from .references import format_loc, reference_problems
from .statuses import today as current_date
from .types import empty_list

if TYPE_CHECKING:
    from ..graph import ModelGraph

FORMAT_VERSION: Literal[1] = 1
"""Version of the file format written by this release (key ``format_version``)."""

DEFER_REFERENCES = "defer_references"
"""Validation-context key: when true, cross-references are checked by the caller instead
(the file loader does this to report each problem with its line)."""


def finish_deferred(model: ThreatModel) -> ThreatModel:
    """Finish validating a model whose reference check was deferred (see
    :data:`DEFER_REFERENCES`) once the caller has checked its references: keep every list
    sorted by ID, so that output is canonical and diffs stay small. Only for a model that
    validation has just built (it is sorted in place and returned)."""
    for name in ("objectives", "assets", "boundaries", "elements", "flows"):
        items = getattr(model, name)
        # Frozen model: sorting during validation is the one place that writes.
        object.__setattr__(model, name, sorted(items, key=lambda x: x.id))
    object.__setattr__(model, "decisions", sorted(model.decisions, key=lambda d: d.key))
    return model


class ThreatModel(Strict):
    """A threat model of an AI system: what it is, what matters, how it is built, what was
    decided. Frozen: edits return a new model (see :meth:`add_element` and friends)."""

    format_version: Literal[1] = FORMAT_VERSION
    """Version of the file format; older files are migrated on load."""
    system: SystemInfo
    """The system under analysis."""
    scope: Scope = Scope()
    """PASTA stage 2: what the analysis covers."""
    objectives: list[Objective] = empty_list()
    """PASTA stage 1: business objectives and their impact."""
    risk_tolerance: RiskTolerance = RiskTolerance()
    """PASTA stage 1: the risk the organisation accepts without a decision."""
    assets: list[Asset] = empty_list()
    """Data and other assets, with their classification."""
    boundaries: list[Boundary] = empty_list()
    """Trust boundaries (nestable through ``parent``)."""
    elements: list[Element] = empty_list()
    """The architecture's elements."""
    flows: list[Flow] = empty_list()
    """Data flows between elements."""
    decisions: list[Decision] = empty_list()
    """Decisions on findings (``finding: THREAT@TARGET``) and on threats in a scope
    (``threat`` with ``scope``); see :mod:`workbench.model.statuses` for the statuses."""

    _source: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_references_then_sort(self, info: ValidationInfo) -> ThreatModel:
        """Check cross-references (indices as given), then keep every list sorted by ID so
        that output is canonical and diffs stay small."""
        if info.context and info.context.get(DEFER_REFERENCES):
            return self
        problems = reference_problems(self)
        if problems:
            lines = [f"{format_loc(p.loc)}: {p.message}" for p in problems]
            raise ValueError("; ".join(lines))
        return finish_deferred(self)

    def __eq__(self, other: object) -> bool:
        """Models are equal when their fields are equal (where they were loaded from does
        not matter)."""
        if not isinstance(other, ThreatModel):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # ----------------------------------------------------------------- look-ups
    def element(self, element_id: str) -> Element:
        """The element with ``element_id`` (``KeyError`` if there is none)."""
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)

    def flow(self, flow_id: str) -> Flow:
        """The flow with ``flow_id`` (``KeyError`` if there is none)."""
        for f in self.flows:
            if f.id == flow_id:
                return f
        raise KeyError(flow_id)

    def boundary(self, boundary_id: str) -> Boundary:
        """The boundary with ``boundary_id`` (``KeyError`` if there is none)."""
        for b in self.boundaries:
            if b.id == boundary_id:
                return b
        raise KeyError(boundary_id)

    def asset(self, asset_id: str) -> Asset:
        """The asset with ``asset_id`` (``KeyError`` if there is none)."""
        for a in self.assets:
            if a.id == asset_id:
                return a
        raise KeyError(asset_id)

    def decision(self, finding_id: str) -> Decision | None:
        """The decision recorded for ``finding_id`` itself, if any; or, given the key of a
        scoped decision (``THREAT@boundary:ID``, ``THREAT@element:ID``, ``THREAT@*``),
        that decision. Which decision applies to a finding, scoped ones included, is the
        register's answer (:func:`workbench.register.build_register`)."""
        for d in self.decisions:
            if d.key == finding_id:
                return d
        return None

    def ids(self) -> set[str]:
        """Every ID used by the model."""
        groups: Iterable[Iterable[Any]] = (
            self.objectives,
            self.assets,
            self.boundaries,
            self.elements,
            self.flows,
        )
        return {x.id for group in groups for x in group}

    # ----------------------------------------------------------------- edits
    def replace(self, **fields: Any) -> ThreatModel:
        """A validated copy with ``fields`` replaced (``ValueError`` when invalid)."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(fields)
        new = type(self).model_validate(data)
        new._source = self._source
        return new

    def add_element(self, element: Element) -> ThreatModel:
        """A copy with ``element`` added."""
        return self.replace(elements=[*self.elements, element])

    def update_element(self, element_id: str, **changes: Any) -> ThreatModel:
        """A copy with the element's fields changed; renaming the ID updates flows,
        objectives and decisions that point at it.

        ``properties`` given as a mapping is merged into the element's properties (the
        others are kept; ``None`` makes one unknown again); given as an
        :class:`ElementProperties` object it replaces them all."""
        old = self.element(element_id)
        props = changes.get("properties")
        if isinstance(props, Mapping):
            changes = {
                **changes,
                "properties": {**old.properties.model_dump(exclude_defaults=True), **props},
            }
        new = Element.model_validate({**old.model_dump(), **changes})
        elements = [new if e.id == element_id else e for e in self.elements]
        if new.id == element_id:
            return self.replace(elements=elements)
        return self.replace(elements=elements, **self._renamed_references(element_id, new.id))

    def _renamed_references(self, old: str, new: str) -> dict[str, Any]:
        flows = [
            f.model_copy(
                update={
                    "source": new if f.source == old else f.source,
                    "target": new if f.target == old else f.target,
                }
            )
            for f in self.flows
        ]
        objectives = [
            o.model_copy(update={"elements": [new if e == old else e for e in o.elements]})
            for o in self.objectives
        ]
        decisions = [_renamed_decision(d, old, new) for d in self.decisions]
        return {"flows": flows, "objectives": objectives, "decisions": decisions}

    def remove_element(self, element_id: str, *, cascade: bool = False) -> ThreatModel:
        """A copy without the element. Flows touching it are removed only with
        ``cascade=True``; otherwise they make this a ``ValueError`` (nothing is dropped
        silently). Objectives stop referring to it. Decisions are kept (they become
        orphaned and the register reports them)."""
        self.element(element_id)
        touching = [f.id for f in self.flows if element_id in (f.source, f.target)]
        if touching and not cascade:
            raise ValueError(
                f"element '{element_id}' has flows {', '.join(touching)}; "
                "remove them first or pass cascade=True"
            )
        objectives = [
            o.model_copy(update={"elements": [e for e in o.elements if e != element_id]})
            for o in self.objectives
        ]
        return self.replace(
            elements=[e for e in self.elements if e.id != element_id],
            flows=[f for f in self.flows if f.id not in touching],
            objectives=objectives,
        )

    def add_flow(self, flow: Flow) -> ThreatModel:
        """A copy with ``flow`` added."""
        return self.replace(flows=[*self.flows, flow])

    def update_flow(self, flow_id: str, **changes: Any) -> ThreatModel:
        """A copy with the flow's fields changed."""
        old = self.flow(flow_id)
        new = Flow.model_validate({**old.model_dump(), **changes})
        return self.replace(flows=[new if f.id == flow_id else f for f in self.flows])

    def remove_flow(self, flow_id: str) -> ThreatModel:
        """A copy without the flow."""
        self.flow(flow_id)
        return self.replace(flows=[f for f in self.flows if f.id != flow_id])

    def add_boundary(self, boundary: Boundary) -> ThreatModel:
        """A copy with ``boundary`` added."""
        return self.replace(boundaries=[*self.boundaries, boundary])

    def remove_boundary(self, boundary_id: str) -> ThreatModel:
        """A copy without the boundary; its members and child boundaries move to its
        parent."""
        gone = self.boundary(boundary_id)
        elements = [
            e.model_copy(update={"boundary": gone.parent}) if e.boundary == boundary_id else e
            for e in self.elements
        ]
        boundaries = [
            b.model_copy(update={"parent": gone.parent}) if b.parent == boundary_id else b
            for b in self.boundaries
            if b.id != boundary_id
        ]
        return self.replace(elements=elements, boundaries=boundaries)

    def set_decision(self, decision: Decision, *, today: dt.date | None = None) -> ThreatModel:
        """A copy with ``decision`` recorded (replacing one for the same finding, or the
        scoped decision with the same threat and scope).

        An acceptance needs a review date: one recorded without ``review_by`` gets the
        decision date (``decided``, else ``today``: by default the machine's date, or
        ``THREAT_WORKBENCH_TODAY``)
        plus the model's review cadence (``risk_tolerance.review_cadence_days``), and a
        decision date when it had none."""
        if decision.status == "accepted" and decision.review_by is None:
            decided = decision.decided or today or current_date()
            review_by = decided + dt.timedelta(days=self.risk_tolerance.review_cadence_days)
            decision = decision.model_copy(update={"decided": decided, "review_by": review_by})
        kept = [d for d in self.decisions if d.key != decision.key]
        return self.replace(decisions=[*kept, decision])

    # ----------------------------------------------------------------- I/O
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ThreatModel:
        """Load a model from a YAML or JSON file (raises :class:`workbench.io.ModelFileError`
        naming file, line, column and path of every problem)."""
        return cast(ThreatModel, use("load_model")(path))

    @classmethod
    def from_yaml(cls, text: str, filename: str = "<string>") -> ThreatModel:
        """Parse a model from YAML text."""
        return cast(ThreatModel, use("loads_model")(text, filename))

    @classmethod
    def from_json(cls, text: str, filename: str = "<string>") -> ThreatModel:
        """Parse a model from JSON text."""
        return cast(ThreatModel, use("loads_model")(text, filename, "json"))

    @classmethod
    def from_template(cls, name: str) -> ThreatModel:
        """One of the starter architectures (see :func:`workbench.starters.names`)."""
        return cast(ThreatModel, use("load_template")(name))

    def to_dict(self) -> dict[str, Any]:
        """The canonical document: defaults left out, lists sorted by ID."""
        return cast(dict[str, Any], use("to_document")(self))

    def to_yaml(self) -> str:
        """The canonical YAML text of the model."""
        return cast(str, use("dumps_model")(self, "yaml"))

    def to_json(self) -> str:
        """The canonical JSON text of the model."""
        return cast(str, use("dumps_model")(self, "json"))

    def save(self, path: str | os.PathLike[str] | None = None, *, backup: bool = True) -> Path:
        """Write the model atomically to ``path`` (default: the file it was loaded from),
        keeping the previous file as ``<name>.bak``. Comments and key order of a file this
        model was loaded from survive."""
        return cast(Path, use("save_model")(self, path, backup=backup))

    @property
    def source_path(self) -> Path | None:
        """The file this model was loaded from or last saved to, if any."""
        return None if self._source is None else self._source.path

    # ----------------------------------------------------------------- views
    def graph(self) -> ModelGraph:
        """The networkx view of the model (see :class:`workbench.graph.ModelGraph`)."""
        return cast("ModelGraph", use("model_graph")(self))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return cast(dict[str, Any], use("mimebundle")(self))

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return (
            f"<ThreatModel {self.system.name!r}: {len(self.elements)} elements, "
            f"{len(self.flows)} flows, {len(self.boundaries)} boundaries, "
            f"{len(self.decisions)} decisions>"
        )


def _renamed_decision(d: Decision, old: str, new: str) -> Decision:
    """``d`` with element ``old`` renamed ``new`` in its finding or its scope."""
    if d.finding is not None:
        threat, target = d.finding.rsplit("@", 1)
        return d.model_copy(update={"finding": f"{threat}@{new}"}) if target == old else d
    if isinstance(d.scope, DecisionScope) and d.scope.element == old:
        return d.model_copy(update={"scope": DecisionScope(element=new)})
    return d
