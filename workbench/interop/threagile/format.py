"""What the Threagile exporter and importer share: the values of Threagile's enumerations
that the mapping uses, both ways, and the ID rule of Threagile models."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...model.types import Classification

THREAGILE_VERSION = "1.0.0"
"""The ``threagile_version`` the export writes."""

CLASSIFICATION: dict[str, Classification] = {
    "public": "public",
    "internal": "internal",
    "restricted": "confidential",
    "confidential": "confidential",
    "strictly-confidential": "restricted",
}
TYPE_KIND = {"external-entity": "external_entity", "process": "process", "datastore": "data_store"}
TECHNOLOGY_KIND = {"vault": "secrets_store", "hsm": "secrets_store", "ai": "inference_endpoint"}
ENCRYPTED_PROTOCOLS = {
    "https",
    "wss",
    "jdbc-encrypted",
    "odbc-encrypted",
    "sql-access-protocol-encrypted",
    "nosql-access-protocol-encrypted",
    "binary-encrypted",
    "text-encrypted",
    "ssh",
    "ssh-tunnel",
    "smtp-encrypted",
    "pop3-encrypted",
    "imap-encrypted",
    "ftps",
    "sftp",
    "scp",
    "ldaps",
    "reverse-proxy-web-protocol-encrypted",
    "iiop-encrypted",
    "jrmp-encrypted",
    "smb-encrypted",
    "mqtt-encrypted",
}
LOCAL_PROTOCOLS = {
    "in-process-library-call",
    "in-memory",
    "local-file-access",
    "container-spawning",
}
UNKNOWN_PROTOCOL = "unknown-protocol"
"""Threagile's protocol for a link whose protocol is not known (read as: encryption
unknown)."""

CLASSIFICATION_OUT: dict[str, str] = {
    "public": "public",
    "internal": "internal",
    "confidential": "confidential",
    "restricted": "strictly-confidential",
}
"""Our classification → Threagile confidentiality (read back by :data:`CLASSIFICATION`)."""
CROWN_JEWEL_CRITICALITY = "mission-critical"
"""Integrity of a crown jewel (the importer reads mission-critical as a crown jewel)."""
OTHER_CRITICALITY = "important"
PII_TAG = "pii"
"""Tag of a data asset that holds personal data."""
TRUST_TAGS = {"untrusted": "untrusted", "partner": "partner"}
"""Tag of a trust boundary whose trust is not ``trusted`` (Threagile has no trust level)."""
BOUNDARY_TYPE = {
    "untrusted": "network-virtual-lan",
    "partner": "network-dedicated-hoster",
    "trusted": "network-cloud-provider",
}
OUR_RULE = "AI Threat Workbench rule"
"""Start of ``detection_logic`` of the risk categories the export writes for findings: the
importer knows its own categories by it (their risks are recomputed, their risk tracking
becomes decisions)."""

IMPACT_CRITICALITY = {
    "negligible": "archive",
    "minor": "operational",
    "moderate": "important",
    "major": "critical",
    "severe": "mission-critical",
}
"""An objective's impact → Threagile criticality (the highest is the model's business
criticality)."""
CRITICALITY_ORDER = ("archive", "operational", "important", "critical", "mission-critical")

TECHNOLOGY = {
    "data_source": "unknown-technology",
    "dataset": "data-lake",
    "data_pipeline": "batch-processing",
    "labeling": "task",
    "feature_store": "database",
    "vector_store": "database",
    "document_store": "database",
    "training_job": "batch-processing",
    "fine_tuning_job": "batch-processing",
    "evaluation_job": "batch-processing",
    "model_artifact": "file-server",
    "model_registry": "artifact-registry",
    "model_hub": "artifact-registry",
    "foundation_model_api": "ai",
    "inference_endpoint": "ai",
    "llm_app": "web-service-rest",
    "agent": "ai",
    "tool": "tool",
    "guardrail": "waf",
    "client_app": "client-system",
    "user": "browser",
    "operator": "devops-client",
    "external_service": "web-service-rest",
    "log_store": "database",
    "secrets_store": "vault",
    "process": "unknown-technology",
    "data_store": "database",
    "external_entity": "unknown-technology",
}
"""Threagile technology of each kind (the importer reads ``ai`` back as an inference
endpoint, ``vault`` as a secrets store; other kinds come back as the DFD type's generic
kind)."""

PROTOCOLS = {
    "https": "https",
    "http": "http",
    "wss": "wss",
    "ws": "ws",
    "websocket": "ws",
    "ssh": "ssh",
    "sftp": "sftp",
    "scp": "scp",
    "ftp": "ftp",
    "ftps": "ftps",
    "smtp": "smtp",
    "imap": "imap",
    "pop3": "pop3",
    "ldap": "ldap",
    "ldaps": "ldaps",
    "mqtt": "mqtt",
    "jdbc": "jdbc",
    "odbc": "odbc",
    "sql": "sql-access-protocol",
    "nfs": "nfs",
    "smb": "smb",
    "jms": "jms",
    "xmpp": "xmpp",
    "grpc": "binary",
    "in-process": "in-process-library-call",
    "in-memory": "in-process-library-call",
    "ipc": "inter-process-communication",
    "file": "local-file-access",
}
"""Our protocol text (lower case) → Threagile protocol."""
PROTOCOL_WORDS = {
    "https": "https",
    "in-process": "in-process-library-call",
    "in process": "in-process-library-call",
    "library": "in-process-library-call",
    "file": "local-file-access",
    "volume": "local-file-access",
    "disk": "local-file-access",
    "spawn": "container-spawning",
    "grpc": "binary",
    "http": "http",
    "sql": "sql-access-protocol",
}
"""Words in our protocol text that name a Threagile protocol, when the whole text is not
in :data:`PROTOCOLS` (``S3 API over HTTPS``); other text: ``binary`` (``binary-encrypted``
when encrypted), or ``unknown-protocol`` when the flow does not say whether it is
encrypted."""
ENCRYPTED_VARIANT = {
    "http": "https",
    "ws": "wss",
    "ftp": "ftps",
    "smtp": "smtp-encrypted",
    "imap": "imap-encrypted",
    "pop3": "pop3-encrypted",
    "ldap": "ldaps",
    "jdbc": "jdbc-encrypted",
    "odbc": "odbc-encrypted",
    "sql-access-protocol": "sql-access-protocol-encrypted",
    "binary": "binary-encrypted",
    "mqtt": "mqtt-encrypted",
    "smb": "smb-encrypted",
}

RISK_STATUS = {
    "open": "in-discussion",
    "in_progress": "in-progress",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "accepted",
    "avoided": "mitigated",
    "false_positive": "false-positive",
    "not_applicable": "false-positive",
}
"""Risk tracking status of each of our statuses; transferred, avoided and not applicable
say so at the start of the justification."""
STATUS_WORDS = {
    "transferred": "Transferred",
    "avoided": "Avoided",
    "not_applicable": "Not applicable",
}
RISK_STATUS_IN = {
    "unchecked": "open",
    "in-discussion": "open",
    "in-progress": "in_progress",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "false-positive": "false_positive",
}

SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}
LIKELIHOOD = {1: "unlikely", 2: "unlikely", 3: "likely", 4: "very-likely", 5: "frequent"}
IMPACT = {1: "low", 2: "low", 3: "medium", 4: "high", 5: "very-high"}
STRIDE = {
    "S": "spoofing",
    "T": "tampering",
    "R": "repudiation",
    "I": "information-disclosure",
    "D": "denial-of-service",
    "E": "elevation-of-privilege",
}

_NOT_ID = re.compile(r"[^A-Za-z0-9\-]+")
_NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")


def threagile_id(item_id: str) -> str:
    """Our ID as Threagile accepts one (letters, digits and ``-`` only): other characters
    become ``-``."""
    return _NOT_ID.sub("-", item_id).strip("-") or "id"


def link_id(source: str, title: str) -> str:
    """The ID Threagile gives a communication link: ``SOURCE>title-in-lower-case``."""
    return f"{source}>{_NOT_SLUG.sub('-', title.lower()).strip('- ')}"


class ThreagileIds:
    """Threagile IDs for our IDs: unique, following :func:`threagile_id`."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.map: dict[str, str] = {}
        used: set[str] = set()
        for item_id in sorted(ids):
            base = threagile_id(item_id)
            new, n = base, 2
            while new in used:
                new = f"{base}-{n}"
                n += 1
            used.add(new)
            self.map[item_id] = new

    def __getitem__(self, item_id: str) -> str:
        return self.map[item_id]
