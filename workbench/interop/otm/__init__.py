"""Open Threat Model (OTM 0.2.0) import and export.

The exporter (:mod:`.exporter`) and the importer (:mod:`.importer`) share the
vocabulary in :mod:`.format`; every public name is re-exported here.

Mapping (ours ↔ OTM):

============================  =====================================================
workbench                     OTM
============================  =====================================================
system name, description      ``project.name``, ``project.description``
system owners                 ``project.owner`` (joined with ", ")
boundary (+ ``parent``)       ``trustZones[]`` (+ ``parent.trustZone``);
                              ``trust`` ↔ ``risk.trustRating``: untrusted 10,
                              partner 50, trusted 100 (read back: ≤ 33 untrusted,
                              ≤ 66 partner, else trusted)
element                       ``components[]``: ``type`` = our kind,
                              ``parent.trustZone`` = boundary, ``assets.processed``
                              (+ ``stored`` for data stores), ``tags``, position in
                              ``representations[]`` of the ``workbench-canvas`` diagram
flow                          ``dataflows[]`` (``source``, ``destination``, ``assets``,
                              ``tags``; ``bidirectional`` ↔ tag ``bidirectional``)
asset                         ``assets[]``: classification ↔ ``risk.confidentiality``
                              (public 0, internal 33, confidential 67, restricted
                              100); crown jewel ↔ ``risk.integrity`` 100 (else 50)
finding (from the analysis)   ``threats[]`` with ID ``THREAT@target``, risk 20 × our
                              1..5 scores; an instance on its component or dataflow
                              with ``state`` exposed / mitigated / accepted /
                              transferred and its catalog ``mitigations`` (state
                              ``implemented`` or ``required`` when the decision chose
                              them, ``recommended`` otherwise)
catalog mitigation            ``mitigations[]`` (``riskReduction`` 40: a mitigated
                              finding's likelihood drops two of five steps)
============================  =====================================================

What OTM has no field for is kept under ``attributes.workbench``: the element's kind,
properties, owner and position; a flow's protocol, encryption, authentication, untrusted
content and empty name; an asset's PII flag; and, on the project, the system's version,
repository and owners, the scope, objectives, risk tolerance and every decision. Elements
outside any boundary sit in a synthetic trust zone (OTM requires a parent) that import
drops again.

On import, OTM's own fields are read first and win; the ``workbench`` attributes restore
the rest where they still agree with them (a component renamed or re-parented in another
tool keeps its new name or zone). So ours → OTM → ours gives back an equal model.

Threat instances whose threat ID is one of our finding IDs (``THREAT@this-target``)
become decisions again: their ``state`` sets the status and the mitigations in state
``implemented`` or ``required`` are the chosen ones. Every other threat (and its
mitigations) is listed in :attr:`ImportResult.threats`.
"""

from __future__ import annotations

from .exporter import (
    dumps_otm,
    to_otm,
)
from .format import (
    BIDIRECTIONAL,
    CANVAS,
    CHOSEN_STATES,
    CONFIDENTIALITY,
    CROWN_JEWEL_INTEGRITY,
    OTHER_INTEGRITY,
    OTM_VERSION,
    RISK_REDUCTION,
    STATE_IN,
    STATE_OUT,
    TRUST_RATING,
    classification_from,
    trust_from_rating,
)
from .importer import (
    from_otm,
    guess_kind,
    loads_otm,
)

__all__ = [
    "BIDIRECTIONAL",
    "CANVAS",
    "CHOSEN_STATES",
    "CONFIDENTIALITY",
    "CROWN_JEWEL_INTEGRITY",
    "OTHER_INTEGRITY",
    "OTM_VERSION",
    "RISK_REDUCTION",
    "STATE_IN",
    "STATE_OUT",
    "TRUST_RATING",
    "classification_from",
    "dumps_otm",
    "from_otm",
    "guess_kind",
    "loads_otm",
    "to_otm",
    "trust_from_rating",
]
