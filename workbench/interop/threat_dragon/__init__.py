"""OWASP Threat Dragon (v2 JSON) import and export.

The exporter (:mod:`.exporter`) and the importer (:mod:`.importer`, with :mod:`.v1` for
Threat Dragon v1 files) share the vocabulary in :mod:`.format`; every public name is
re-exported here.

Mapping (ours ↔ Threat Dragon):

=========================  ==========================================================
workbench                  Threat Dragon v2
=========================  ==========================================================
system name, description,  ``summary.title``, ``summary.description``,
owners                     ``summary.owner`` (joined with ", ")
element                    a cell by DFD type: external entity → ``actor``
                           (``tm.Actor``), process → ``process``, data store →
                           ``store``; name, description, ``position`` (copied as
                           is); ``providesAuthentication`` (authentication other
                           than ``none``), ``privilegeLevel`` (``privilege``),
                           ``isALog`` (kind ``log_store``), ``isEncrypted``
                           (``encrypted_at_rest``), ``isSigned``
                           (``artifacts_signed``), ``storesCredentials`` (kind
                           ``secrets_store`` or classification ``restricted``),
                           ``outOfScope`` (tag ``out-of-scope``)
flow                       ``flow`` cell (``tm.Flow``) from ``source.cell`` to
                           ``target.cell``: name, description, ``protocol``,
                           ``isEncrypted`` (``encrypted``), ``isBidirectional``
                           (tag ``bidirectional``), ``outOfScope``
boundary                   ``trust-boundary-box`` around its members (and nested
                           boxes); ``trust-boundary-curve`` lines are imported as
                           boundaries without members
finding                    a threat on its cell: ``threatId`` = finding ID, title,
                           STRIDE ``type``, ``status`` Open / Mitigated / Accepted /
                           Transferred, ``severity`` High / Medium / Low (critical is
                           High; ``score`` holds our 1..25 score), description and
                           ``mitigation`` text
=========================  ==========================================================

Threat Dragon has no place for most of our model: element kinds beyond the three DFD
types, most properties, owners and tags, assets, boundary trust and nesting, flows'
authentication, untrusted content and carried assets, objectives, scope, risk tolerance
and the details of decisions. The export keeps them in ``workbench`` objects — one in
each cell's ``data`` and one at the top of the file — which Threat Dragon's schema
allows. Threat Dragon's own fields win on import where they disagree with that data
(an element renamed, moved or marked encrypted in Threat Dragon keeps the change), so
ours → Threat Dragon → ours gives back an equal model.

What does **not** survive when the ``workbench`` objects are lost (a tool that drops
unknown keys, or a model drawn in Threat Dragon):

* kinds become the generic ``external_entity`` / ``process`` / ``data_store``
  (``log_store`` for a store marked as a log);
* only the properties listed above come back, and ``false`` flags come back as
  *unknown* (Threat Dragon cannot tell "no" from "not set");
* boundary membership is read from the geometry (an element belongs to the smallest box
  around its centre, a box to the smallest box around it): boxes drawn around members
  can overlap, so an element may land in a neighbouring boundary; boundary trust is read
  from the name (``Internet``, ``public network``, ``untrusted`` → untrusted, else
  trusted);
* owners come back as one owner (the joined text); the system's version and
  repository, assets, objectives, scope (except out-of-scope notes), risk tolerance,
  element owners and tags (except ``out-of-scope``), and flows' authentication,
  untrusted content and carried assets are gone;
* elements drawn without a position keep the position the export gave them; IDs of one
  character (Threat Dragon needs two) keep the ``-cell`` suffix of their cell;
* of the decisions only a threat's status comes back, as a decision without owner:
  ``Accepted`` and ``Transferred`` need an owner and a rationale, so they are reported
  and not recorded.

``test_without_our_data_exactly_the_documented_fields_survive`` in
``tests/test_interop_threat_dragon.py`` checks this list field by field.
"""

from __future__ import annotations

from .exporter import (
    dumps_threat_dragon,
    to_threat_dragon,
)
from .format import (
    BIDIRECTIONAL,
    GENERIC,
    LABEL,
    OUT_OF_SCOPE,
    PAD,
    PRIVILEGES,
    SEVERITY,
    SHAPE,
    SIZE,
    STATUS_IN,
    STATUS_OUT,
    TD_VERSION,
    THUMBNAIL,
    UNTRUSTED_NAME,
)
from .importer import (
    from_threat_dragon,
    loads_threat_dragon,
)
from .v1 import (
    V1_SHAPES,
    is_v1,
    upgrade_v1,
)

__all__ = [
    "BIDIRECTIONAL",
    "GENERIC",
    "LABEL",
    "OUT_OF_SCOPE",
    "PAD",
    "PRIVILEGES",
    "SEVERITY",
    "SHAPE",
    "SIZE",
    "STATUS_IN",
    "STATUS_OUT",
    "TD_VERSION",
    "THUMBNAIL",
    "UNTRUSTED_NAME",
    "V1_SHAPES",
    "dumps_threat_dragon",
    "from_threat_dragon",
    "is_v1",
    "loads_threat_dragon",
    "to_threat_dragon",
    "upgrade_v1",
]
