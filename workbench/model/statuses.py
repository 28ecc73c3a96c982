"""What each decision status means: for residual risk, for the CI gate, and what a
decision with that status must carry. The one place these rules are written down; the
model checks the fields, the register (:mod:`workbench.register`) applies the rest.

==================  ============================  =========  ===================  ================
status              means                         residual   CI gate (``check``)  must carry
==================  ============================  =========  ===================  ================
``open``            nothing decided yet           inherent   counts               —
``in_progress``     a mitigation is being worked  inherent   counts (as open)     —
                    on
``mitigated``       controls are in place         reduced    off                  —
``accepted``        the risk is kept, knowingly   inherent   off until            owner,
                                                             ``review_by``, then  rationale,
                                                             counts (expired)     ``review_by``
``transferred``     someone else carries the      inherent   off (until           owner, rationale
                    risk (insurer, supplier,                 ``review_by``)
                    provider)
``avoided``         the design changed so that    none       off                  rationale
                    the threat cannot happen
``false_positive``  the suggestion is wrong for   none       off                  rationale
                    this model
``not_applicable``  the threat is real but        none       off                  rationale
                    irrelevant to this system
==================  ============================  =========  ===================  ================

* **Residual risk.** *inherent*: the finding's own likelihood × impact; *reduced*: the
  likelihood two steps lower (not below 1); *none*: the finding is closed and carries no
  residual risk (score 0, level ``info``). The team's own
  ``residual_likelihood`` / ``residual_impact`` win over the rule, except for the statuses
  with no residual risk.
* **CI gate.** ``threat-workbench check --fail-on LEVEL`` fails on the findings that
  *count*: their residual risk at ``LEVEL`` or worse fails the check. *off*: the finding
  never fails the check.
* **Review date.** Any decision may carry ``review_by: YYYY-MM-DD`` (an acceptance must).
  After that date the decision is *expired*: the register keeps its recorded status and
  flags it, and the finding counts as open again (residual risk and gate as for
  ``open``) until the team reviews it and moves the date. "Today" is the date of the
  machine, or ``--today`` / the ``THREAT_WORKBENCH_TODAY`` environment variable
  (:data:`TODAY_ENV`), for reproducible CI runs.
* **Above tolerance** (the report's sign-off list): a finding that counts as open, or an
  accepted one, whose residual risk is above the model's ``risk_tolerance.accept_up_to``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Literal, get_args

from .types import DecisionStatus

TODAY_ENV = "THREAT_WORKBENCH_TODAY"
"""Environment variable that sets "today" (``YYYY-MM-DD``) for review dates."""


def today(value: dt.date | str | None = None) -> dt.date:
    """The date review dates are compared with: ``value`` when given (a date or
    ``YYYY-MM-DD``), else the :data:`TODAY_ENV` environment variable when set, else the
    machine's date. ``ValueError`` names what is wrong with a bad value."""
    if isinstance(value, dt.date):
        return value
    where = "today"
    if value is None:
        value = os.environ.get(TODAY_ENV, "").strip() or None
        where = TODAY_ENV
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}") from None


@dataclass(frozen=True)
class StatusRule:
    """What one decision status means (a row of the table above)."""

    status: DecisionStatus
    meaning: str
    """What the team says with it, in a few words."""
    residual: Literal["inherent", "reduced", "none"]
    """The residual risk: inherent, reduced (likelihood two steps lower) or none."""
    gate: bool
    """Whether the finding counts for the CI gate (before any expiry)."""
    needs: tuple[str, ...]
    """Fields a decision with this status must fill."""

    @property
    def closes(self) -> bool:
        """Whether the finding is closed with no residual risk."""
        return self.residual == "none"


STATUS_RULES: dict[str, StatusRule] = {
    r.status: r
    for r in (
        StatusRule("open", "nothing decided yet", "inherent", True, ()),
        StatusRule("in_progress", "a mitigation is being worked on", "inherent", True, ()),
        StatusRule("mitigated", "controls are in place", "reduced", False, ()),
        StatusRule(
            "accepted",
            "the risk is kept, knowingly, until the review date",
            "inherent",
            False,
            ("owner", "rationale", "review_by"),
        ),
        StatusRule(
            "transferred",
            "someone else carries the risk (insurer, supplier, provider)",
            "inherent",
            False,
            ("owner", "rationale"),
        ),
        StatusRule(
            "avoided",
            "the design changed so that the threat cannot happen",
            "none",
            False,
            ("rationale",),
        ),
        StatusRule(
            "false_positive",
            "the suggestion is wrong for this model",
            "none",
            False,
            ("rationale",),
        ),
        StatusRule(
            "not_applicable",
            "the threat is real but irrelevant to this system",
            "none",
            False,
            ("rationale",),
        ),
    )
}
"""Every status's rule, in the order of :data:`STATUSES`."""

STATUSES: tuple[str, ...] = get_args(DecisionStatus)
"""Every decision status, in the order of the table."""

CLOSING_STATUSES = frozenset(s for s, r in STATUS_RULES.items() if r.closes)
"""Statuses that close a finding with no residual risk."""

MODEL_NEEDS: dict[str, tuple[str, ...]] = {
    s: tuple(f for f in r.needs if f != "review_by") for s, r in STATUS_RULES.items()
}
"""What the model itself checks per status. ``review_by`` of an acceptance is checked when
a file is loaded (:mod:`workbench.io`, which derives it for files written before review
dates existed) and filled in by :meth:`ThreatModel.set_decision
<workbench.model.ThreatModel.set_decision>`; for an acceptance built without one in code,
the register takes ``decided`` plus the review cadence (no expiry when it has neither)."""
