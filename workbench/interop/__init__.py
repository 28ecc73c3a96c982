"""Interoperability with other threat-modeling tools.

* :func:`import_file` / :func:`import_text` read Open Threat Model (OTM 0.2.0, JSON or
  YAML), OWASP Threat Dragon v2 (JSON), Threagile (YAML), CycloneDX 2.0 threat-model
  BOMs (JSON; pre-release) and AWS Threat Composer workspaces (``.tc.json``) into a
  :class:`~workbench.model.ThreatModel`, with a report of what did not map
  (:class:`ImportResult`);
* :func:`export_model` writes OTM, Threat Dragon, CycloneDX, Threat Composer or
  Threagile, with the findings of an analysis as threats; ours → X → ours gives back an
  equal model for every format except Threagile, whose round trip keeps what Threagile
  has fields for (listed in :mod:`workbench.interop.threagile`).

See :mod:`workbench.interop.otm`, :mod:`workbench.interop.threat_dragon`,
:mod:`workbench.interop.threagile`, :mod:`workbench.interop.cyclonedx` and
:mod:`workbench.interop.threat_composer` for the field mappings; the first three are
packages with an ``exporter`` and an ``importer`` module, the CycloneDX and Threat
Composer mappings are one module each.

Model review (:func:`diff_models`: two models compared, with the risk delta) lives in
:mod:`workbench.register.review`; its names are still importable from here, loaded on
first use so that importing this package does not load the analysis engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ModelFileError
from .common import ForeignThreat, ImportResult, parse_any, read_text

if TYPE_CHECKING:
    from ..engine import Analysis
    from ..model import ThreatModel
    from ..register.review import (
        FieldChange,
        ItemChange,
        ItemRef,
        ModelDiff,
        SectionDiff,
        diff_models,
    )

ImportFormat = Literal["otm", "threat-dragon", "threagile", "cyclonedx", "threat-composer"]
ExportFormat = Literal["otm", "threat-dragon", "threagile", "cyclonedx", "threat-composer"]
IMPORT_FORMATS: tuple[ImportFormat, ...] = (
    "otm",
    "threat-dragon",
    "threagile",
    "cyclonedx",
    "threat-composer",
)
EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    "otm",
    "threat-dragon",
    "threagile",
    "cyclonedx",
    "threat-composer",
)
PRE_RELEASE: frozenset[str] = frozenset({"cyclonedx"})
"""Formats whose specification is not final (CycloneDX 2.0): their fields may change."""


def detect_format(data: Any) -> str | None:
    """``otm``, ``threat-dragon``, ``threagile``, ``cyclonedx``, ``threat-composer``,
    ``workbench`` (already ours) or ``None``."""
    if not isinstance(data, dict):
        return None
    if "otmVersion" in data:
        return "otm"
    if data.get("specFormat") == "CycloneDX" or data.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if isinstance(data.get("detail"), dict) and "summary" in data:
        return "threat-dragon"
    if "threagile_version" in data or "technical_assets" in data:
        return "threagile"
    if "format_version" in data or ("system" in data and "elements" in data):
        return "workbench"
    from .threat_composer import is_threat_composer

    if is_threat_composer(data):
        return "threat-composer"
    return None


def import_text(
    text: str, fmt: ImportFormat | None = None, filename: str = "<string>"
) -> ImportResult:
    """Import a model from another tool's file content; the format is detected when
    ``fmt`` is not given. Raises :class:`~workbench.errors.ModelFileError` when the file
    cannot be imported."""
    data = parse_any(text, filename)
    detected = detect_format(data)
    if detected == "workbench":
        raise ModelFileError.one(
            filename, "this is already a workbench model file; use it as it is"
        )
    if fmt is None:
        if detected is None:
            raise ModelFileError.one(
                filename,
                "cannot tell the format (not OTM, Threat Dragon v2, Threagile, "
                "CycloneDX or Threat Composer); name it with --from",
            )
        fmt = detected  # type: ignore[assignment]
    elif detected is not None and detected != fmt:
        raise ModelFileError.one(filename, f"this file looks like {detected}, not {fmt}")
    if fmt == "otm":
        from .otm import from_otm

        return from_otm(data, filename)
    if fmt == "threat-dragon":
        from .threat_dragon import from_threat_dragon

        return from_threat_dragon(data, filename)
    if fmt == "threagile":
        from .threagile import from_threagile

        return from_threagile(data, filename)
    if fmt == "cyclonedx":
        from .cyclonedx import from_cyclonedx

        return from_cyclonedx(data, filename)
    if fmt == "threat-composer":
        from .threat_composer import from_threat_composer

        return from_threat_composer(data, filename)
    raise ValueError(f"unknown import format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}")


def import_file(path: str | os.PathLike[str], fmt: ImportFormat | None = None) -> ImportResult:
    """Import a model from another tool's file (see :func:`import_text`)."""
    return import_text(read_text(Path(path)), fmt, str(path))


def export_model(
    model: ThreatModel,
    fmt: ExportFormat,
    analysis: Analysis | None = None,
    *,
    threats: bool = True,
    yaml: bool = False,
) -> str:
    """The model as OTM (JSON, or YAML with ``yaml=True``), Threat Dragon v2 (JSON),
    Threagile (YAML), CycloneDX 2.0 (JSON; pre-release) or Threat Composer (JSON) text.

    With ``threats``, the findings of ``analysis`` (default: the built-in catalog's) are
    exported with their decisions' states."""
    if fmt == "otm":
        from .otm import dumps_otm

        return dumps_otm(model, analysis, threats=threats, fmt="yaml" if yaml else "json")
    if fmt == "threat-dragon":
        from .threat_dragon import dumps_threat_dragon

        return dumps_threat_dragon(model, analysis, threats=threats)
    if fmt == "threagile":
        from .threagile import dumps_threagile

        return dumps_threagile(model, analysis, threats=threats)
    if fmt == "cyclonedx":
        from .cyclonedx import dumps_cyclonedx

        return dumps_cyclonedx(model, analysis, threats=threats)
    if fmt == "threat-composer":
        from .threat_composer import dumps_threat_composer

        return dumps_threat_composer(model, analysis, threats=threats)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


_REVIEW = frozenset(
    ("FieldChange", "ItemChange", "ItemRef", "ModelDiff", "SectionDiff", "diff_models")
)
"""Names of :mod:`workbench.register.review` re-exported here (loaded on first use)."""


def __getattr__(name: str) -> Any:
    if name in _REVIEW:
        from ..register import review

        return getattr(review, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "PRE_RELEASE",
    "ExportFormat",
    "FieldChange",
    "ForeignThreat",
    "ImportFormat",
    "ImportResult",
    "ItemChange",
    "ItemRef",
    "ModelDiff",
    "SectionDiff",
    "detect_format",
    "diff_models",
    "export_model",
    "import_file",
    "import_text",
]
