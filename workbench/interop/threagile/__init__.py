"""Threagile YAML import and export.

The exporter (:mod:`.exporter`) and the importer (:mod:`.importer`) share the vocabulary
in :mod:`.format`; every public name is re-exported here.

Mapping (ours ↔ Threagile):

=========================  ==========================================================
workbench                  Threagile
=========================  ==========================================================
system name, description   ``title``, ``business_overview.description``
owners, repository         ``author.name`` (the first owner), ``contributors`` (the
                           others), ``author.homepage``
scope description          ``technical_overview.description``
risk tolerance statement   ``management_summary_comment``
objectives                 ``security_requirements`` (title: description) and the
                           highest impact as ``business_criticality`` (export only)
asset                      ``data_assets``: classification ↔ ``confidentiality``
                           (restricted ↔ strictly-confidential; Threagile's
                           restricted reads as confidential); crown jewel ↔
                           integrity and availability ``mission-critical``; PII ↔
                           tag ``pii``
element                    ``technical_assets``: DFD type ↔ ``type`` external-entity /
                           process / datastore; kind → ``technology`` (read back:
                           ``ai`` → inference endpoint, ``vault``/``hsm`` → secrets
                           store, else the generic kind of the type); exposure
                           internet ↔ ``internet``; encrypted at rest ↔
                           ``encryption`` (data stores); ``multi_tenant``; data
                           classification ↔ ``confidentiality``; ``owner``; ``tags``
                           (``out-of-scope`` ↔ ``out_of_scope`` with the scope's
                           "NAME: reason" as justification); assets ↔ data assets
                           processed (and stored, for data stores)
flow                       a ``communication_links`` entry of its source, titled by
                           its name (``to TARGET`` when it has none): ``target``,
                           description, protocol (``https``, ``grpc`` → ``binary``
                           ...; encrypted flows use the encrypted variant or ``vpn``;
                           unknown → ``unknown-protocol``), authenticated ↔
                           ``authentication`` token / none, ``readonly`` for queries,
                           tags, carried assets ↔ ``data_assets_sent``
boundary                   ``trust_boundaries`` with ``technical_assets_inside`` and
                           ``trust_boundaries_nested``; trust untrusted / partner ↔
                           tag ``untrusted`` / ``partner``
finding                    one ``individual_risk_categories`` entry per catalog threat
                           (``detection_logic`` "AI Threat Workbench rule THREAT")
                           with a risk per finding: severity, likelihood, impact, the
                           element (or a flow's source and link) as most relevant
decision                   ``risk_tracking`` under the risk's synthetic ID
                           (``THREAT@ASSET``, ``THREAT@SOURCE@SOURCE>link``): status
                           (in-discussion, in-progress, mitigated, accepted,
                           false-positive; transferred, avoided and not applicable
                           say so at the start of the justification), rationale as
                           justification, ``ticket``, decision date, owner as
                           ``checked_by``
=========================  ==========================================================

Threagile accepts IDs of letters, digits and ``-`` only: other characters of our IDs
become ``-`` (and a number is added where two would clash).

**What does not survive ours → Threagile → ours** (``test_round_trip_through_threagile``
in ``tests/test_interop_threagile_export.py`` checks this list): IDs with ``_`` or
``.`` (renamed as above) and flow IDs (the importer names a flow ``SOURCE-title``);
kinds other than the generic ones, inference endpoints and secrets stores; every element
property except exposure internet (other exposures come back as internal), encryption at
rest of data stores (unknown comes back as false), multi-tenancy (unknown comes back as
false) and data classification (unknown comes back as internal); element descriptions
equal to the name; positions; a flow's empty name (it comes back as ``to TARGET``), its
protocol's spelling (``HTTPS`` comes back as ``https``), unknown authentication (comes
back as false), untrusted content, query and initiator; the system's version; the
scope's other texts, lifecycle and assumptions; objectives; the risk tolerance's level
and review cadence; decisions' mitigations, controls, due and review dates (an
acceptance gets decision date + review cadence again, with a warning) and residual
scores; decisions that apply to no finding (orphaned) and scoped decisions as such (each
finding they cover gets its own tracking entry).

Import of other Threagile models: everything else (shared runtimes, risk categories and
tracking entries that are not ours, abuse cases, security requirements, questions, the
fields of assets and links listed in the report) is listed in
:attr:`~workbench.interop.ImportResult.unmapped`; Threagile's identified risks and risk
tracking entries are listed in :attr:`~workbench.interop.ImportResult.threats`.
"""

from __future__ import annotations

from .exporter import dumps_threagile, to_threagile
from .format import THREAGILE_VERSION, ThreagileIds, link_id, threagile_id
from .importer import from_threagile, loads_threagile

__all__ = [
    "THREAGILE_VERSION",
    "ThreagileIds",
    "dumps_threagile",
    "from_threagile",
    "link_id",
    "loads_threagile",
    "threagile_id",
    "to_threagile",
]
