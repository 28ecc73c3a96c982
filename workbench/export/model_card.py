"""Model cards for the model elements of a threat model.

A card is Hugging Face style Markdown with YAML front matter: standard keys (``model_name``,
``tags``) plus a ``risk_assessment`` block with the findings, mitigations, residual risk
and references of the model and of the elements of its lifecycle (the jobs that produce
it, its training and evaluation data, its base models, the endpoints that serve it). The
sections follow Mitchell et al., *Model Cards for Model Reporting* (2019): what the threat
model knows is filled in, the rest is marked "To be completed.".

The front matter is validated locally against ``catalogs/schema/model-card.schema.json``
(no network). A card also renders to HTML and PDF through the ``risk_html`` / ``risk_pdf``
exporters, and to JSON in the model-card-toolkit v0.0.2 schema.

Every user string is escaped for its target: Markdown (backslash before every character that
starts inline markup, line breaks folded), HTML (:mod:`workbench.export.safehtml`),
YAML (quoted scalars on one line).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import __version__
from ..catalog import Mitigation
from ..engine import Analysis
from ..engine.risk import LEVELS
from ..model import Element, ThreatModel
from ..model.kinds import KINDS
from ..model.types import RISK_RANK
from ..register import Entry, Register, build_register
from .report.notebook import Section, sections_notebook
from .safehtml import Html, h, join, link, risk_badge, table, yes_no

CARD_KINDS = ("model_artifact", "foundation_model_api")
"""Kinds that get a card."""
STAND_IN_KINDS = ("training_job", "fine_tuning_job", "inference_endpoint")
"""Kinds that get a card when the model draws no element of :data:`CARD_KINDS`."""
DATA_KINDS = ("dataset", "feature_store", "document_store", "vector_store", "data_source")
BASE_KINDS = ("model_artifact", "model_hub", "foundation_model_api", "model_registry")
SERVING_KINDS = ("inference_endpoint", "llm_app", "agent")
USER_KINDS = ("user", "client_app", "operator", "external_service")
PRODUCER_KINDS = ("training_job", "fine_tuning_job")
TBC = "To be completed."
CARD_KIND = "model_card"
SCHEMA_ID = "ai-threat-workbench/model-card/v1"
MCT_SCHEMA_VERSION = "0.0.2"


# ============================================================================ data
@dataclass(frozen=True)
class Item:
    """One fact of a card section; ``value`` ``None`` means "To be completed."."""

    label: str
    value: str | None


@dataclass(frozen=True)
class CardSection:
    """A section of a model card."""

    title: str
    items: tuple[Item, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lineage:
    """The elements around a model that its card talks about."""

    producers: tuple[Element, ...] = ()
    training_data: tuple[Element, ...] = ()
    data_sources: tuple[Element, ...] = ()
    base_models: tuple[Element, ...] = ()
    evaluations: tuple[Element, ...] = ()
    evaluation_data: tuple[Element, ...] = ()
    serving: tuple[Element, ...] = ()
    users: tuple[Element, ...] = ()

    def elements(self) -> list[Element]:
        """Every element of the lineage, once."""
        seen: dict[str, Element] = {}
        for group in (
            self.producers,
            self.training_data,
            self.base_models,
            self.evaluations,
            self.evaluation_data,
            self.serving,
        ):
            for e in group:
                seen.setdefault(e.id, e)
        return list(seen.values())


@dataclass(frozen=True)
class ModelCard:
    """A model card: front matter, Mitchell et al. sections, and the risk assessment."""

    element: Element
    system: str
    front_matter: dict[str, Any]
    sections: tuple[CardSection, ...]
    entries: tuple[Entry, ...] = field(repr=False)
    analysis: Analysis = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        """The card's title."""
        return f"Model card: {self.element.name}"


# ============================================================================ lineage
class _Graph:
    def __init__(self, model: ThreatModel) -> None:
        self.el = {e.id: e for e in model.elements}
        self.pred: dict[str, list[str]] = {e.id: [] for e in model.elements}
        self.succ: dict[str, list[str]] = {e.id: [] for e in model.elements}
        for f in model.flows:
            self.succ[f.source].append(f.target)
            self.pred[f.target].append(f.source)

    def near(
        self, start: Iterable[str], kinds: Sequence[str], *, up: bool, hops: int
    ) -> list[Element]:
        """Elements of ``kinds`` within ``hops`` flows upstream (or downstream)."""
        nxt = self.pred if up else self.succ
        seen = set(start)
        queue = deque((s, 0) for s in seen)
        found: dict[str, Element] = {}
        while queue:
            node, depth = queue.popleft()
            if depth >= hops:
                continue
            for m in sorted(nxt[node]):
                if m in seen:
                    continue
                seen.add(m)
                if self.el[m].kind in kinds:
                    found[m] = self.el[m]
                queue.append((m, depth + 1))
        return sorted(found.values(), key=lambda e: e.id)


def lineage(model: ThreatModel, element_id: str) -> Lineage:
    """Producers, data, base models, evaluations, serving endpoints and users of a model."""
    g = _Graph(model)
    me = g.el[element_id]
    if me.kind in PRODUCER_KINDS:
        producers = [me]
    else:
        producers = g.near([element_id], PRODUCER_KINDS, up=True, hops=1)
    pids = [p.id for p in producers] or [element_id]
    training = [e for e in g.near(pids, DATA_KINDS, up=True, hops=1) if e.id != element_id]
    sources = g.near(
        [t.id for t in training], ("data_source", "model_hub", "labeling"), up=True, hops=2
    )
    bases = [e for e in g.near(pids, BASE_KINDS, up=True, hops=2) if e.id != element_id]
    evals = sorted(
        {
            e.id: e
            for e in g.near([element_id], ("evaluation_job",), up=False, hops=2)
            + g.near([element_id], ("evaluation_job",), up=True, hops=1)
        }.values(),
        key=lambda e: e.id,
    )
    eval_data = g.near([e.id for e in evals], DATA_KINDS, up=True, hops=1)
    serving = (
        [me] if me.kind in SERVING_KINDS else g.near([element_id], SERVING_KINDS, up=False, hops=4)
    )
    if me.kind == "foundation_model_api":  # apps call the API and read its answers
        serving = sorted(
            {
                e.id: e for e in serving + g.near([element_id], SERVING_KINDS, up=True, hops=1)
            }.values(),
            key=lambda e: e.id,
        )
    users = g.near([s.id for s in serving], USER_KINDS, up=True, hops=2)
    return Lineage(
        producers=tuple(producers),
        training_data=tuple(training),
        data_sources=tuple(sources),
        base_models=tuple(bases),
        evaluations=tuple(evals),
        evaluation_data=tuple(eval_data),
        serving=tuple(serving),
        users=tuple(users),
    )


def card_elements(model: ThreatModel) -> list[Element]:
    """Elements that get a model card: every model artifact and foundation model API;
    when the model draws none, its training jobs, fine-tuning jobs and inference
    endpoints, which then stand for the model."""
    cards = [e for e in model.elements if e.kind in CARD_KINDS]
    if cards:
        return cards
    return [e for e in model.elements if e.kind in STAND_IN_KINDS]


# ============================================================================ building
def _names(elements: Iterable[Element]) -> str | None:
    names = [e.name for e in elements]
    return ", ".join(names) if names else None


def _flag(value: bool | None) -> str | None:
    return None if value is None else yes_no(value)


def _data_line(model: ThreatModel, e: Element, sources: Sequence[Element]) -> str:
    assets = {a.id: a for a in model.assets}
    classes = [assets[a].classification for a in e.assets if a in assets]
    if e.properties.data_classification:
        classes.append(e.properties.data_classification)
    pii: bool | None = e.properties.contains_pii
    if any(assets[a].pii for a in e.assets if a in assets):
        pii = True
    parts = [
        f"classification {max(classes, key=_CLASS_RANK.__getitem__) if classes else 'unknown'}",
        f"personal data {yes_no(pii)}",
        f"provenance tracked {yes_no(e.properties.provenance_tracked)}",
        f"signed {yes_no(e.properties.artifacts_signed)}",
    ]
    if sources:
        parts.append("from " + ", ".join(s.name for s in sources))
    return "; ".join(parts)


_CLASS_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


def _details(model: ThreatModel, e: Element, lin: Lineage) -> CardSection:
    p = e.properties
    info = KINDS[e.kind]
    third = p.third_party if p.third_party is not None else (True if info.external else None)
    boundary = next((b.name for b in model.boundaries if b.id == e.boundary), None)
    owner = e.owner or ", ".join(model.system.owners) or None
    return CardSection(
        "Model details",
        (
            Item("Name", e.name),
            Item("Element", f"{e.id} ({info.label})"),
            Item("Description", e.description or None),
            Item(
                "System",
                model.system.name
                + (f", version {model.system.version}" if model.system.version else ""),
            ),
            Item("Developed and owned by", owner),
            Item("Operated by a third party", _flag(third)),
            Item("Base models", _names(lin.base_models)),
            Item("Produced by", _names(lin.producers)),
            Item("Serialization format", p.model_format),
            Item("Artifacts signed", _flag(p.artifacts_signed)),
            Item("Versions pinned", _flag(p.versions_pinned)),
            Item("Provenance tracked", _flag(p.provenance_tracked)),
            Item("Trust boundary", boundary),
            Item("License", None),
            Item("Citation", None),
            Item("Contact", None),
        ),
    )


def _intended_use(model: ThreatModel, lin: Lineage) -> CardSection:
    return CardSection(
        "Intended use",
        (
            Item("Primary intended uses", model.system.description or None),
            Item("Served through", _names(lin.serving)),
            Item("Primary intended users", _names(lin.users)),
            Item("Out-of-scope uses", None),
        ),
    )


def _factors() -> CardSection:
    return CardSection(
        "Factors",
        (
            Item("Relevant factors (groups, instrumentation, environments)", None),
            Item("Evaluation factors", None),
        ),
    )


def _metrics(lin: Lineage, e: Element) -> CardSection:
    tested = [x.properties.adversarially_tested for x in (e, *lin.evaluations)]
    known = [t for t in tested if t is not None]
    return CardSection(
        "Metrics",
        (
            Item("Evaluated by", _names(lin.evaluations)),
            Item("Adversarially tested", yes_no(any(known)) if known else None),
            Item("Model performance measures", None),
            Item("Decision thresholds", None),
            Item("Variation approaches", None),
        ),
    )


def _data_section(
    title: str,
    model: ThreatModel,
    data: Sequence[Element],
    sources: Sequence[Element],
    g: _Graph,
) -> CardSection:
    items = []
    for d in data:
        upstream = [
            s
            for s in sources
            if s.id
            in {
                x.id
                for x in g.near([d.id], ("data_source", "model_hub", "labeling"), up=True, hops=2)
            }
        ]
        items.append(Item(d.name, _data_line(model, d, upstream)))
    if not items:
        items.append(Item("Datasets", None))
    items.append(Item("Preprocessing and provenance details", None))
    return CardSection(title, tuple(items))


def _ethics(model: ThreatModel, e: Element, lin: Lineage) -> CardSection:
    assets = {a.id: a for a in model.assets}
    pii = [
        x.name
        for x in (e, *lin.training_data, *lin.evaluation_data, *lin.serving)
        if x.properties.contains_pii or any(assets[a].pii for a in x.assets if a in assets)
    ]
    ids = {x.id for x in (e, *lin.elements())}
    objectives = [
        f"{o.title} ({o.category}, impact {o.impact})"
        for o in model.objectives
        if o.category in ("privacy", "fairness", "safety") and ids & set(o.elements)
    ]
    privacy = [p.properties.privacy_preserving_training for p in lin.producers]
    hitl = [s.properties.human_in_the_loop for s in lin.serving]
    return CardSection(
        "Ethical considerations",
        (
            Item("Personal data", ", ".join(dict.fromkeys(pii)) if pii else None),
            Item(
                "Privacy-preserving training",
                yes_no(all(privacy)) if privacy and None not in privacy else None,
            ),
            Item(
                "Human in the loop where it is served",
                yes_no(all(hitl)) if hitl and None not in hitl else None,
            ),
            Item("Objectives at stake", "; ".join(objectives) if objectives else None),
            Item("Fairness and harm assessment", None),
        ),
    )


def _caveats(entries: Sequence[Entry], analysis: Analysis) -> CardSection:
    above = [e for e in entries if e.above_tolerance and e.status == "open"]
    accepted = [e for e in entries if e.status in ("accepted", "transferred")]
    mits: Counter[str] = Counter(
        m for e in entries if e.status == "open" for m in e.finding.mitigations
    )
    cat = analysis.catalog.mitigations
    notes = [
        f"{len(above)} open findings are above the risk tolerance "
        f"(accept up to {analysis.model.risk_tolerance.accept_up_to})."
    ]
    notes += [
        f"Open: {e.finding.title} on {e.finding.target_name} ({e.residual_risk})."
        for e in above[:10]
    ]
    notes += [
        f"{e.status.capitalize()}: {e.finding.title} on {e.finding.target_name} (owner {e.owner})."
        for e in accepted[:10]
    ]
    notes += [
        f"Recommended: {cat[m].title if m in cat else m} ({n} findings)."
        for m, n in mits.most_common(8)
    ]
    return CardSection("Caveats and recommendations", (), tuple(notes))


def _entries(register: Register, ids: set[str]) -> list[Entry]:
    return sorted(
        (e for e in register.entries if e.finding.target in ids),
        key=lambda e: (-e.residual_score, -e.finding.score, e.id),
    )


def _card_scope(model: ThreatModel, element_id: str, lin: Lineage) -> set[str]:
    ids = {element_id, *(e.id for e in lin.elements())}
    # flows between two elements of the card's scope
    ids |= {f.id for f in model.flows if f.source in ids and f.target in ids}
    return ids


def front_matter(
    analysis: Analysis,
    element: Element,
    entries: Sequence[Entry],
    scope: set[str],
    date: dt.date,
) -> dict[str, Any]:
    """The YAML front matter: standard Hugging Face keys and ``risk_assessment``."""
    model = analysis.model
    cat = analysis.catalog
    by_risk = Counter(e.residual_risk for e in entries)
    worst = max((e.residual_risk for e in entries), key=RISK_RANK.__getitem__, default="info")
    mids = sorted({m for e in entries for m in e.finding.mitigations})
    decided = {
        m for e in entries if e.decision and e.status == "mitigated" for m in e.decision.mitigations
    }
    planned = {
        m for e in entries if e.decision and e.status == "open" for m in e.decision.mitigations
    }
    frameworks = sorted(
        {fw for e in entries for fw in e.finding.references}
        | {"nist_ai_rmf", "iso42001", "sp800_53"}
    )
    return {
        "model_name": element.name,
        "tags": ["ai-threat-workbench", "threat-model", element.kind.replace("_", "-")],
        "risk_assessment": {
            "schema": SCHEMA_ID,
            "generator": f"AI Threat Workbench {__version__}",
            "date": date.isoformat(),
            "system": {"name": model.system.name, "version": model.system.version},
            "element": {"id": element.id, "kind": element.kind, "name": element.name},
            "scope": sorted(scope & ({e.id for e in model.elements} | {element.id})),
            "risk_tolerance": model.risk_tolerance.accept_up_to,
            "residual_risk": worst,
            "summary": {
                "findings": len(entries),
                "open": sum(e.status == "open" for e in entries),
                "above_tolerance": sum(e.above_tolerance for e in entries),
                "by_residual_risk": {lv: by_risk[lv] for lv in LEVELS if by_risk[lv]},
            },
            "findings": [
                {
                    "id": e.id,
                    "threat": e.finding.threat_id,
                    "title": e.finding.title,
                    "target": e.finding.target,
                    "stride": list(e.finding.stride),
                    "likelihood": e.finding.likelihood,
                    "impact": e.finding.impact,
                    "risk": e.finding.risk,
                    "status": e.status,
                    "owner": e.owner,
                    "residual_risk": e.residual_risk,
                    "above_tolerance": e.above_tolerance,
                    "mitigations": list(e.finding.mitigations),
                    "references": {k: list(v) for k, v in sorted(e.finding.references.items())},
                }
                for e in entries
            ],
            "mitigations": [
                {
                    "id": m,
                    "title": cat.mitigations[m].title if m in cat.mitigations else m,
                    "status": "implemented"
                    if m in decided
                    else ("planned" if m in planned else "recommended"),
                    "controls": _controls(cat.mitigations[m]) if m in cat.mitigations else {},
                }
                for m in mids
            ],
            "references": [
                {"framework": fw, "name": cat.frameworks[fw].name, "url": cat.frameworks[fw].url}
                for fw in frameworks
                if fw in cat.frameworks
            ],
        },
    }


def build_card(
    analysis: Analysis,
    element_id: str,
    register: Register | None = None,
    *,
    date: dt.date | None = None,
    validate: bool = True,
) -> ModelCard:
    """The model card of one element (``KeyError`` for an unknown ID). The front matter
    is validated against the schema when ``validate`` (and jsonschema is installed)."""
    model = analysis.model
    element = model.element(element_id)
    register = register or build_register(analysis)
    lin = lineage(model, element_id)
    scope = _card_scope(model, element_id, lin)
    entries = _entries(register, scope)
    g = _Graph(model)
    fm = front_matter(analysis, element, entries, scope, date or dt.date.today())
    if validate:
        validate_front_matter(fm)
    sections = (
        _details(model, element, lin),
        _intended_use(model, lin),
        _factors(),
        _metrics(lin, element),
        _data_section("Evaluation data", model, lin.evaluation_data, lin.data_sources, g),
        _data_section("Training data", model, lin.training_data, lin.data_sources, g),
        CardSection("Quantitative analyses", (Item("Unitary and intersectional results", None),)),
        _ethics(model, element, lin),
        _caveats(entries, analysis),
    )
    return ModelCard(
        element=element,
        system=model.system.name,
        front_matter=fm,
        sections=sections,
        entries=tuple(entries),
        analysis=analysis,
    )


# ============================================================================ schema
def schema_path() -> Path:
    """``catalogs/schema/model-card.schema.json``."""
    from ..resources import catalogs_dir

    return catalogs_dir() / "schema" / "model-card.schema.json"


def validate_front_matter(front: dict[str, Any]) -> None:
    """Validate front matter against our schema, locally (``ValueError`` naming every
    problem). Skipped when jsonschema is not installed."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema comes with nbformat
        return
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(front), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
        raise ValueError("model card front matter is invalid:\n" + "\n".join(lines))


# ============================================================================ Markdown
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>!|~$&^])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def md_text(value: object) -> str:
    """``value`` as Markdown text: the characters that start inline markup (emphasis,
    code, links, images, HTML tags and entities, tables, strikethrough, LaTeX math,
    template braces) backslash-escaped, and line breaks folded into spaces so that the
    text never starts a block (a heading, list, quote or code block)."""
    return _MD_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)))


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    plain = value.isprintable() and value == value.strip() and value != ""
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _str)


def dump_front_matter(front: dict[str, Any]) -> str:
    """YAML of the front matter: every scalar on one line (double-quoted with escapes
    when it holds line breaks or other non-printable characters)."""
    return yaml.dump(
        front,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**31,
        default_flow_style=False,
    )


def to_markdown(card: ModelCard) -> str:
    """The card as Hugging Face style Markdown with YAML front matter."""
    lines = ["---", dump_front_matter(card.front_matter).rstrip("\n"), "---", ""]
    lines.append(f"# Model card: {md_text(card.element.name)}")
    lines.append("")
    lines.append(
        f"Generated by AI Threat Workbench {__version__} from the threat model of "
        f"{md_text(card.system)}. Items marked *{TBC}* are not known to the threat model."
    )
    for s in card.sections:
        lines += ["", f"## {s.title}", ""]
        for it in s.items:
            value = f"*{TBC}*" if it.value is None else md_text(it.value)
            lines.append(f"- **{md_text(it.label)}:** {value}")
        lines += [f"- {md_text(n)}" for n in s.notes]
    lines += ["", "## Risk assessment", ""]
    ra = card.front_matter["risk_assessment"]
    lines.append(
        f"Residual risk: **{ra['residual_risk']}** · {ra['summary']['findings']} findings, "
        f"{ra['summary']['open']} open, {ra['summary']['above_tolerance']} above tolerance "
        f"(accept up to {ra['risk_tolerance']})."
    )
    lines += [
        "",
        "| Finding | Threat | Target | Residual | Status | Owner |",
        "|---|---|---|---|---|---|",
    ]
    for e in card.entries:
        cells = [e.id, e.finding.title, e.finding.target_name, e.residual_risk, e.status, e.owner]
        lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ============================================================================ HTML
def _item_row(it: Item) -> tuple[object, object]:
    value: object = h("span", TBC, class_="tbc") if it.value is None else it.value
    return (h("strong", it.label), value)


def card_sections(card: ModelCard) -> list[Section]:
    """The card as HTML sections (title page with the front matter, then one section per
    Mitchell et al. heading, then the risk assessment)."""
    ra = card.front_matter["risk_assessment"]
    head = h(
        "section",
        h("p", "Model card", class_="doc-kind"),
        h("h1", card.element.name, class_="doc-title", id="top"),
        h(
            "p",
            f"{KINDS[card.element.kind].label} in ",
            h("strong", card.system),
            f" · generated by AI Threat Workbench {__version__} on {ra['date']} · residual risk ",
            risk_badge(ra["residual_risk"]),
        ),
        h(
            "p",
            "Items marked ",
            h("span", TBC, class_="tbc"),
            " are not known to the threat model.",
            class_="intro",
        ),
        class_="card-head",
        id="s-card",
    )
    out = [Section("card", card.title, head)]
    for i, s in enumerate(card.sections, start=1):
        body: list[object] = [h("h2", f"{i}. {s.title}", id=f"sec-card-{i}")]
        if s.items:
            body.append(
                table(
                    ("Item", "Value"),
                    [_item_row(it) for it in s.items],
                    class_="card-items",
                    widths=("30%", "70%"),
                )
            )
        if s.notes:
            body.append(h("ul", [h("li", n) for n in s.notes]))
        out.append(Section(f"card-{i}", s.title, h("section", body, class_="section")))
    out.append(Section("card-risk", "Risk assessment", _risk_html(card, len(out))))
    n = len(out)
    out.append(
        Section(
            "card-front-matter",
            "Front matter",
            h(
                "section",
                h("h2", f"{n}. Front matter (YAML)", id="sec-card-front-matter"),
                h("p", "The machine-readable part of the Markdown card.", class_="intro"),
                h("pre", dump_front_matter(card.front_matter), class_="frontmatter"),
                class_="section",
            ),
        )
    )
    return out


def _risk_html(card: ModelCard, number: int) -> Html:
    rows = [
        (
            h("span", e.id, class_="fid"),
            e.finding.title,
            e.finding.target_name,
            risk_badge(e.finding.risk),
            risk_badge(e.residual_risk),
            e.status,
            e.owner,
        )
        for e in card.entries
    ]
    mits = [
        (
            join(m["title"], h("br"), h("span", m["id"], class_="sub")),
            m["status"],
            _cell(m["controls"], "nist_ai_rmf"),
            _cell(m["controls"], "iso42001"),
            _cell(m["controls"], "sp800_53"),
        )
        for m in card.front_matter["risk_assessment"]["mitigations"]
    ]
    refs = [link(r["url"], r["name"]) for r in card.front_matter["risk_assessment"]["references"]]
    return h(
        "section",
        h("h2", f"{number}. Risk assessment", id="sec-card-risk"),
        h("h3", "Findings"),
        table(
            ("Finding", "Threat", "Target", "Inherent", "Residual", "Status", "Owner"),
            rows,
            empty="No findings on this model or its lifecycle.",
            widths=("20%", "26%", "16%", "9%", "9%", "8%", "12%"),
        ),
        h("h3", "Mitigations and their controls"),
        table(
            ("Mitigation", "Status", "NIST AI RMF", "ISO/IEC 42001", "SP 800-53"),
            mits,
            empty="None.",
            widths=("34%", "12%", "18%", "16%", "20%"),
        ),
        h("h3", "References"),
        h("ul", [h("li", r) for r in refs]),
        class_="section",
    )


def card_notebook(card: ModelCard, paper: str = "a4") -> Any:
    """The card as a notebook for the ``risk_html`` / ``risk_pdf`` exporters."""
    return sections_notebook(
        card_sections(card),
        {
            "kind": CARD_KIND,
            "version": __version__,
            "title": card.title,
            "system": card.system,
            "element": card.element.id,
            "paper": paper,
        },
    )


def card_html(card: ModelCard, paper: str = "a4") -> str:
    """The card as one self-contained HTML page."""
    from .exporters import RiskHTMLExporter

    html, _ = RiskHTMLExporter().from_notebook_node(card_notebook(card, paper))
    return str(html)


def card_pdf(card: ModelCard, paper: str = "a4", engine: str = "weasyprint") -> bytes:
    """The card as PDF."""
    from .exporters import RiskPDFExporter

    pdf, _ = RiskPDFExporter(engine=engine).from_notebook_node(card_notebook(card, paper))
    return bytes(pdf)


# ============================================================================ MCT JSON
def to_mct(card: ModelCard) -> dict[str, Any]:
    """The card in Google's model-card-toolkit JSON schema v0.0.2."""
    model = card.analysis.model
    e = card.element
    details = {s.title: s for s in card.sections}
    lin = lineage(model, e.id)
    owners = [e.owner] if e.owner else list(model.system.owners)
    refs = [r["url"] for r in card.front_matter["risk_assessment"]["references"] if r["url"]]
    data = [
        {"name": d.name, "description": f"{role} data: {d.description}".rstrip(": ")}
        | (
            {"sensitive": {"sensitive_data": ["personal data"]}}
            if d.properties.contains_pii
            else {}
        )
        for role, group in (("Training", lin.training_data), ("Evaluation", lin.evaluation_data))
        for d in group
    ]
    mcat = card.analysis.catalog.mitigations
    risks = [
        {
            "name": f"{en.finding.title} ({en.finding.target_name}; residual {en.residual_risk}, "
            f"{en.status})",
            "mitigation_strategy": "; ".join(
                mcat[m].title if m in mcat else m for m in en.finding.mitigations
            ),
        }
        for en in card.entries
    ]
    limits = [{"description": n} for n in details["Caveats and recommendations"].notes]
    doc: dict[str, Any] = {
        "schema_version": MCT_SCHEMA_VERSION,
        "model_details": {
            "name": e.name,
            "overview": e.description or f"{KINDS[e.kind].label} in {model.system.name}",
            "owners": [{"name": o} for o in owners],
            "version": {"name": model.system.version or "unversioned"},
            "references": [{"reference": r} for r in refs],
        },
        "model_parameters": {"data": data},
        "considerations": {
            "users": [{"description": u.name} for u in lin.users],
            "use_cases": [{"description": model.system.description}]
            if model.system.description
            else [],
            "limitations": limits,
            "ethical_considerations": risks,
        },
    }
    return doc


# ============================================================================ files
def write_card(
    card: ModelCard, directory: Path, fmt: str, *, paper: str = "a4", engine: str = "weasyprint"
) -> Path:
    """Write the card as ``<element-id>.model-card.<md|html|pdf|json>`` in ``directory``."""
    from .commands import write_bytes_atomic

    ext = {"md": "md", "html": "html", "pdf": "pdf", "json": "json"}[fmt]
    path = Path(directory) / f"{card.element.id}.model-card.{ext}"
    if fmt == "md":
        data = to_markdown(card).encode("utf-8")
    elif fmt == "html":
        data = card_html(card, paper).encode("utf-8")
    elif fmt == "pdf":
        data = card_pdf(card, paper, engine)
    else:
        data = (json.dumps(to_mct(card), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_bytes_atomic(path, data)
    return path


def parse_front_matter(markdown: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown card (``ValueError`` when there is none)."""
    if not markdown.startswith("---\n"):
        raise ValueError("no front matter")
    end = markdown.find("\n---\n", 4)
    if end < 0:
        raise ValueError("front matter is not closed")
    data = yaml.safe_load(markdown[4:end])
    if not isinstance(data, dict):
        raise ValueError("front matter is not a mapping")
    return data


__all__ = [
    "CARD_KINDS",
    "CardSection",
    "Item",
    "Lineage",
    "ModelCard",
    "build_card",
    "card_elements",
    "card_html",
    "card_notebook",
    "card_pdf",
    "card_sections",
    "dump_front_matter",
    "lineage",
    "md_text",
    "parse_front_matter",
    "to_markdown",
    "to_mct",
    "validate_front_matter",
    "write_card",
]


def _controls(mitigation: Mitigation) -> dict[str, Any]:
    """A mitigation's controls per framework, and why none fits where a list is empty
    (``<framework>_none``)."""
    refs = mitigation.controls
    out: dict[str, Any] = {
        k: list(v) for k, v in refs.model_dump(exclude={"atlas_none"}).items() if v
    }
    for k, reason in refs.reasons().items():
        out[f"{k}_none"] = reason
    return out


def _cell(controls: dict[str, Any], framework: str) -> str:
    """Control IDs for a table cell, or why none applies."""
    ids = controls.get(framework, [])
    if ids:
        return ", ".join(ids)
    reason = controls.get(f"{framework}_none", "")
    return f"none: {reason}" if reason else ""
