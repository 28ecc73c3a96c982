"""Shared field types and vocabularies of the threat model."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


def empty_list() -> Any:
    """Default of a list field: an empty list, made fresh for every object.

    Written as ``Field(default_factory=list)`` rather than ``= []``: pydantic deep-copies a
    mutable default for every object that leaves the field out (``copy.deepcopy``, about
    1 µs each: a sixth of a 1,000-element model's validation). The JSON Schema still shows
    ``"default": []``, and ``exclude_defaults`` still leaves empty lists out."""
    return Field(default_factory=list, json_schema_extra={"default": []})


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An identifier: letters, digits, ``_``, ``.`` and ``-``; starts with a letter or digit;
at most 100 characters. IDs are unique across the whole model."""

ElementId = Id
FlowId = Id
BoundaryId = Id
AssetId = Id
ObjectiveId = Id

FINDING_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}@[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
FindingId = Annotated[str, StringConstraints(pattern=FINDING_ID_PATTERN)]
"""A finding's ID: ``THREAT-ID@target-id``, the target being an element or a flow."""


# --------------------------------------------------------------------------- text
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Bidirectional embedding, override and isolate controls: they make text display in
another order than it is stored ("Trojan Source"). One-line fields (names, owners, tags,
which reach tables, terminals, diagrams and file names) may not hold them; free text may,
for right-to-left writing (the HTML report isolates it in ``<bdi>``, the terminal shows it
escaped)."""

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters that end a line (Python's ``str.splitlines`` and YAML 1.1 agree on them)."""

_C0_C1 = "\x00-\x1f\x7f-\x9f"
NOT_IN_ONE_LINE = re.compile(f"[{_C0_C1}\u2028\u2029{BIDI_CONTROLS}]")
"""What a one-line field may not hold: any control character (newline and tab too), the
Unicode line and paragraph separators, and the bidirectional controls."""
NOT_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
"""What free text may not hold: any control character but newline and tab (carriage
returns are turned into newlines before the check), and the Unicode line and paragraph
separators."""

_CHAR_NAMES = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x00": "a NUL character",
    "\x1b": "an escape character (ESC,",
    "\x7f": "a delete character (DEL,",
    "\x85": "a next-line character (NEL,",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
}


def describe_char(c: str) -> str:
    """``c`` in words for a message, with its code point: ``a newline (U+000A)``."""
    code = f"U+{ord(c):04X}"
    if c in _CHAR_NAMES:
        words = _CHAR_NAMES[c]
        return f"{words} {code})" if words.endswith(",") else f"{words} ({code})"
    if c in BIDI_CONTROLS:
        return f"a bidirectional control, {unicodedata.name(c, 'unnamed').lower()} ({code})"
    return f"a control character ({code})"


def _json_pattern(chars: re.Pattern[str]) -> str:
    """The JSON Schema ``pattern`` that refuses what ``chars`` matches (\\u escapes, so
    the committed schema stays readable)."""
    inner = chars.pattern[1:-1]
    escaped = "".join(
        f"\\u{ord(c):04x}" if not c.isprintable() or c in BIDI_CONTROLS else c for c in inner
    )
    return f"^[^{escaped}]*$"


@dataclass(frozen=True)
class TextRule:
    """The limits of a text field, checked after the value is known to be a string:
    length, whether it must be one line, and no control characters (nor, in one line,
    bidirectional controls).

    Messages name the fault, where it is and what to do, e.g. ``at most 200 characters
    (got 1,000,000); shorten it`` or ``must be one line: contains a newline (U+000A) at
    character 17``. Importers read the rule of each field to clean foreign text
    (:mod:`workbench.interop.common`)."""

    max_length: int
    """Most characters allowed."""
    min_length: int = 0
    """Fewest characters allowed (after stripping, for one-line fields)."""
    one_line: bool = True
    """One line: no newline or tab; surrounding blanks are stripped."""
    hint: str = ""
    """What to do with more text than fits, appended to the length and newline messages."""

    def check(self, value: str) -> str:
        """``value`` (stripped when one-line, carriage returns made newlines otherwise),
        or ``ValueError`` naming what is wrong."""
        if self.one_line:
            text = value.strip()
        else:
            text = value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
        if len(text) > self.max_length:
            raise ValueError(
                f"at most {self.max_length:,} characters (got {len(text):,}); shorten it{self.hint}"
            )
        if len(text) < self.min_length:
            raise ValueError("must not be empty")
        bad = (NOT_IN_ONE_LINE if self.one_line else NOT_IN_TEXT).search(text)
        if bad is not None:
            c = bad.group()
            lead = len(value) - len(value.lstrip()) if self.one_line else 0
            where = f"{describe_char(c)} at character {lead + bad.start() + 1:,}"
            if self.one_line and c in LINE_BREAKS + "\t":
                raise ValueError(f"must be one line: contains {where}; join the lines{self.hint}")
            if c in BIDI_CONTROLS:
                raise ValueError(
                    f"contains {where}, which can make text display in another order than "
                    "it is stored; remove it"
                )
            if c in LINE_BREAKS:
                raise ValueError(f"contains {where}; use a plain newline instead")
            raise ValueError(f"contains {where}; remove it")
        return text

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        if self.min_length:
            out["minLength"] = self.min_length
        out["maxLength"] = self.max_length
        out["pattern"] = _json_pattern(NOT_IN_ONE_LINE if self.one_line else NOT_IN_TEXT)
        return out


@dataclass(frozen=True)
class ListCap:
    """The most items a list field holds; checked before the items are, so that a list of
    200,000 tags is refused at once with one message."""

    max_items: int
    """Most items allowed."""
    noun: str
    """What the items are, for the message (``tags``)."""

    def check(self, value: Any) -> Any:
        """``value``, or ``ValueError`` when it is a list with too many items."""
        if isinstance(value, (list, tuple)) and len(value) > self.max_items:
            raise ValueError(
                f"at most {self.max_items:,} {self.noun} (got {len(value):,}); remove some"
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out["maxItems"] = self.max_items
        return out


_TO_DESCRIPTION = " (longer text belongs in the description)"

Name = Annotated[str, TextRule(200, min_length=1, hint=_TO_DESCRIPTION)]
"""A display name: one line of 1 to 200 characters, surrounding blanks stripped."""

Label = Annotated[str, TextRule(200, hint=_TO_DESCRIPTION)]
"""An optional short label (a flow's name): one line of at most 200 characters."""

ShortText = Annotated[str, TextRule(200)]
"""A person, team or short reference (an owner, a control): one line of at most 200
characters."""

Term = Annotated[str, TextRule(100)]
"""A word or two (a version, a protocol): one line of at most 100 characters."""

Tag = Annotated[str, TextRule(100, min_length=1)]
"""A free label: one line of 1 to 100 characters."""

Link = Annotated[str, TextRule(2_000)]
"""A URL, path or ticket key: one line of at most 2,000 characters."""

Text = Annotated[str, TextRule(20_000, one_line=False)]
"""Free text written by people (descriptions, rationale): at most 20,000 characters,
newlines and tabs allowed, no other control character; stored as typed (carriage returns
become newlines), escaped wherever it is shown."""

LongText = Text

Tags = Annotated[list[Tag], ListCap(100, "tags")]
"""Free labels for filtering: at most 100."""

Owners = Annotated[list[Name], ListCap(100, "owners")]
"""People or teams: at most 100."""

Texts = Annotated[list[Text], ListCap(1_000, "items")]
"""A list of free-text items (scope, assumptions): at most 1,000."""

AssetRefs = Annotated[list[AssetId], ListCap(1_000, "assets")]
"""IDs of assets an element or flow holds or carries: at most 1,000."""

ElementRefs = Annotated[list[ElementId], ListCap(10_000, "elements")]
"""IDs of elements an objective depends on: at most 10,000."""

MitigationRefs = Annotated[list[Id], ListCap(500, "mitigations")]
"""Catalog mitigation IDs of a decision: at most 500."""

Controls = Annotated[list[ShortText], ListCap(500, "controls")]
"""Control references of a decision: at most 500."""

Classification = Literal["public", "internal", "confidential", "restricted"]
"""Data classification, from least to most sensitive."""

CLASSIFICATION_RANK: dict[str, int] = {
    "public": 0,
    "internal": 1,
    "confidential": 2,
    "restricted": 3,
}

ModelType = Literal[
    "classifier",
    "regressor",
    "ranker",
    "llm",
    "embedding",
    "speech_to_text",
    "text_to_speech",
    "vision",
    "image_generation",
    "other",
]
"""What a model does; rules about evasion, inversion or prompt injection depend on it."""

InputModality = Literal["text", "tabular", "image", "audio", "video", "time_series", "multimodal"]
"""What a model takes in."""

Exposure = Literal["internet", "partner", "internal", "isolated"]
"""Who can reach an element over the network."""

RiskLevel = Literal["info", "low", "medium", "high", "critical"]
"""Risk levels, from least to most severe."""

RISK_RANK: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

ImpactLevel = Literal["negligible", "minor", "moderate", "major", "severe"]
"""Business impact on a five-point scale (1 = negligible ... 5 = severe)."""

IMPACT_SCORE: dict[str, int] = {
    "negligible": 1,
    "minor": 2,
    "moderate": 3,
    "major": 4,
    "severe": 5,
}

Score = Annotated[int, Field(ge=1, le=5)]
"""A likelihood or impact score on the 1..5 scale."""

LifecycleStage = Literal[
    "data_collection",
    "data_preparation",
    "training",
    "evaluation",
    "deployment",
    "operation",
    "monitoring",
    "retirement",
]
"""AI lifecycle stages (after ISO/IEC 22989 and the NIST AI RMF lifecycle)."""

DecisionStatus = Literal[
    "open",
    "in_progress",
    "mitigated",
    "accepted",
    "transferred",
    "avoided",
    "false_positive",
    "not_applicable",
]
"""What the team decided about a finding; what each status does to residual risk and to
the CI gate is in :mod:`workbench.model.statuses`."""
