"""The framework files agree with the published reference data, and the catalog cites only
IDs that exist there.

The reference data (``../shared/reference`` beside the repository) is read in place, never
copied; the module is skipped when it is absent.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from tests.conftest import REFERENCE, reference_missing
from workbench.catalog import Catalog, load_catalog
from workbench.catalog.entries import CatalogFile, Framework, FrameworkId

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS_DIR = ROOT / "catalogs" / "frameworks"

if not REFERENCE.is_dir():
    pytest.skip(reference_missing(), allow_module_level=True)

FRAMEWORK_IDS: tuple[str, ...] = get_args(FrameworkId)

# ATLAS tactics whose techniques happen before or outside the target system.
PRE_ATTACK_TACTICS = frozenset({"AML.TA0002", "AML.TA0003", "AML.TA0001"})
"""Reconnaissance, Resource Development, AI Attack Staging."""

OWASP_PREFIX = {"owasp_llm": "LLM", "owasp_ml": "ML", "owasp_agentic": "ASI"}

OWASP_AGENTIC_2026 = {
    "ASI01": "Agent Goal Hijack",
    "ASI02": "Tool Misuse and Exploitation",
    "ASI03": "Identity and Privilege Abuse",
    "ASI04": "Agentic Supply Chain Vulnerabilities",
    "ASI05": "Unexpected Code Execution (RCE)",
    "ASI06": "Memory & Context Poisoning",
    "ASI07": "Insecure Inter-Agent Communication",
    "ASI08": "Cascading Failures",
    "ASI09": "Human-Agent Trust Exploitation",
    "ASI10": "Rogue Agents",
}
"""The final OWASP Top 10 for Agentic Applications 2026 (OWASP GenAI Security Project,
December 2025), as its section headings give the titles. FRAMEWORKS.md still lists the
public draft (ASI01 "Agent Behaviour Hijack"): its IDs are checked, its titles are not."""

MAESTRO_LAYERS = {
    "L1": "Foundation Models",
    "L2": "Data Operations",
    "L3": "Agent Frameworks",
    "L4": "Deployment and Infrastructure",
    "L5": "Evaluation and Observability",
    "L6": "Security and Compliance",
    "L7": "Agent Ecosystem",
}
"""CSA MAESTRO's seven layers (Cloud Security Alliance, 2025); no reference file holds them."""

AI_RMF_SHARE_MAX = 0.25
"""No AI RMF subcategory may sit on more than this share of the mitigations: a subcategory
cited everywhere is boilerplate, not a mapping."""
OWASP_SECTION = {
    "owasp_llm": "OWASP Top 10 for LLM",
    "owasp_ml": "OWASP Machine Learning",
    "owasp_agentic": "OWASP Top 10 for Agentic",
}


# --------------------------------------------------------------------------- our files
@cache
def framework(fid: str) -> Framework:
    """The framework defined in ``catalogs/frameworks/<fid>.yaml``."""
    data = yaml.safe_load((FRAMEWORKS_DIR / f"{fid}.yaml").read_text(encoding="utf-8"))
    parsed = CatalogFile.model_validate(data)
    assert len(parsed.frameworks) == 1, f"{fid}.yaml should define exactly one framework"
    return parsed.frameworks[0]


def titles(fid: str) -> dict[str, str]:
    """Our IDs and titles for a framework."""
    return {e.id: e.title for e in framework(fid).entries}


# --------------------------------------------------------------------------- reference data
@cache
def atlas_matrix() -> dict[str, Any]:
    data = yaml.safe_load((REFERENCE / "mitre-atlas" / "ATLAS.yaml").read_text(encoding="utf-8"))
    matrix: dict[str, Any] = data["matrices"][0]
    return matrix


def atlas_techniques() -> dict[str, str]:
    """Every ATLAS technique and sub-technique, with its name."""
    return {t["id"]: t["name"] for t in atlas_matrix()["techniques"]}


def atlas_attack_techniques() -> list[str]:
    """Top-level ATLAS techniques with a tactic other than Reconnaissance, Resource
    Development and AI Attack Staging: the ones a threat model of the system can cover."""
    return sorted(
        t["id"]
        for t in atlas_matrix()["techniques"]
        if "subtechnique-of" not in t and set(t["tactics"]) - PRE_ATTACK_TACTICS
    )


def atlas_mitigations() -> dict[str, str]:
    return {m["id"]: m["name"] for m in atlas_matrix()["mitigations"]}


@cache
def aix_items() -> dict[str, tuple[str, str]]:
    """OWASP AI Exchange items: ID -> (kind, name)."""
    path = REFERENCE / "owasp-ai-exchange" / "aix_threats_controls.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {i["id"]: (i["kind"], i["name"]) for i in data["items"]}


def aix_of_kind(*kinds: str) -> dict[str, str]:
    return {k: name for k, (kind, name) in aix_items().items() if kind in kinds}


@cache
def cosai(section: str) -> dict[str, str]:
    """CoSAI risk-map ``risks`` or ``controls``: ID -> title."""
    path = REFERENCE / "cosai-risk-map" / "yaml" / f"{section}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {x["id"]: x["title"] for x in data[section]}


@cache
def ai_rmf_ids() -> frozenset[str]:
    path = REFERENCE / "nist-ai-rmf" / "ai_rmf_1.0_core_subcategories.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return frozenset(row["subcategory_id"] for row in csv.DictReader(f))


@cache
def sp800_53_csv() -> dict[str, tuple[str, bool]]:
    """SP 800-53 r5 control ID -> (name, withdrawn), from NIST's CSV (cp1252)."""
    path = REFERENCE / "nist-sp800-53" / "csv" / "sp800-53r5-control-catalog.csv"
    with path.open(encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f))[1:]
    return {
        r[0].strip(): (" ".join(r[1].split()), r[2].strip().startswith("[Withdrawn")) for r in rows
    }


def _oscal_controls(controls: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for c in controls:
        m = re.fullmatch(r"([a-z]{2}-\d+)(?:\.(\d+))?", c["id"])
        assert m, c["id"]
        cid = m.group(1).upper() + (f"({m.group(2)})" if m.group(2) else "")
        yield cid, " ".join(c["title"].split())
        yield from _oscal_controls(c.get("controls", []))


@cache
def sp800_53_oscal() -> dict[str, str]:
    """Titles in the OSCAL 5.1.1 HIGH and PRIVACY baseline catalogs (enhancements: their own
    part of the title only)."""
    out: dict[str, str] = {}
    for baseline in ("HIGH", "PRIVACY"):
        name = f"NIST_SP-800-53_rev5_{baseline}-baseline-resolved-profile_catalog-min.json"
        data = json.loads((REFERENCE / "nist-sp800-53" / "oscal-json" / name).read_text("utf-8"))
        for group in data["catalog"]["groups"]:
            out.update(_oscal_controls(group.get("controls", [])))
    return out


@cache
def frameworks_md(heading: str) -> str:
    """The body of the FRAMEWORKS.md section whose heading starts with ``heading``, with
    whitespace collapsed."""
    text = (REFERENCE / "FRAMEWORKS.md").read_text(encoding="utf-8")
    for part in re.split(r"^## ", text, flags=re.MULTILINE):
        if part.startswith(heading):
            return " ".join(part.split("\n", 1)[1].split())
    raise AssertionError(f"FRAMEWORKS.md has no section '{heading}'")


def owasp_md(fid: str) -> dict[str, str]:
    body = frameworks_md(OWASP_SECTION[fid])
    prefix = OWASP_PREFIX[fid]
    pattern = rf"\b({prefix}\d{{2}}) ([A-Z][A-Za-z ,\-]+?)(?= · |\.(?:\s|$))"
    return dict(re.findall(pattern, body))


def iso42001_md() -> dict[str, str]:
    out = {}
    for part in frameworks_md("ISO/IEC 42001").split(" · "):
        m = re.fullmatch(r"(A\.\d+(?:\.\d+)+) (.+?)\.?", part.strip())
        assert m, f"cannot read ISO 42001 entry {part!r} in FRAMEWORKS.md"
        out[m.group(1)] = m.group(2)
    return out


def nist_aml_md() -> dict[str, str]:
    body = frameworks_md("NIST AI 100-2")
    found = re.findall(r"(?:NISTAML|\s)\.(\d{2,3}) (.+?)(?= · |\. |\.$)", body)
    return {f"NISTAML.{n}": title for n, title in found}


def reference_titles(fid: str) -> dict[str, str | None] | None:
    """The reference's IDs for a framework, with the title ours must match (None: the title
    is our own summary and is not compared). None when there is no reference data."""
    if fid == "atlas":
        return dict(atlas_techniques())
    if fid == "atlas_mitigation":
        return dict(atlas_mitigations())
    if fid == "aix":
        return dict(aix_of_kind("threat", "control"))
    if fid == "cosai":
        return {**cosai("risks"), **cosai("controls")}
    if fid == "owasp_agentic":
        return dict(OWASP_AGENTIC_2026)
    if fid in OWASP_PREFIX:
        return dict(owasp_md(fid))
    if fid == "nist_aml":
        return dict(nist_aml_md())
    if fid == "nist_ai_rmf":
        return dict.fromkeys(ai_rmf_ids())
    if fid == "iso42001":
        return dict(iso42001_md())
    if fid == "sp800_53":
        return {k: name for k, (name, withdrawn) in sp800_53_csv().items() if not withdrawn}
    return None  # cwe, maestro: no reference data in ../shared/reference


def same_title(fid: str, ours: str, theirs: str | None) -> bool:
    if theirs is None:
        return True
    if fid in ("sp800_53", "nist_aml"):
        # NIST's CSV capitalises oddly ("(organizational Users)"); FRAMEWORKS.md writes the
        # NIST AML titles in lower case.
        return ours.casefold() == theirs.casefold()
    return ours == theirs


# --------------------------------------------------------------------------- the files
@pytest.mark.parametrize("fid", FRAMEWORK_IDS)
def test_each_framework_has_its_file(fid: str) -> None:
    fw = framework(fid)
    assert fw.id == fid
    ids = [e.id for e in fw.entries]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{fid}: duplicate IDs {dupes}"
    assert all(e.title.strip() == e.title and e.title for e in fw.entries)
    assert fw.url.startswith("https://")
    if fw.link:
        assert fw.link.startswith("https://")
        assert "{id}" in fw.link or "{num}" in fw.link


def test_no_other_framework_files() -> None:
    assert sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.yaml")) == sorted(FRAMEWORK_IDS)


def test_framework_files_load_on_their_own(tmp_path: Path) -> None:
    for path in FRAMEWORKS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    catalog = load_catalog(tmp_path, builtin=False)
    assert sorted(catalog.frameworks) == sorted(FRAMEWORK_IDS)
    assert catalog.link("atlas", "AML.T0051.000") == (
        "https://atlas.mitre.org/techniques/AML.T0051.000"
    )
    assert catalog.link("aix", "directpromptinjection") == (
        "https://owaspai.org/go/directpromptinjection/"
    )
    assert catalog.link("cwe", "CWE-502") == "https://cwe.mitre.org/data/definitions/502.html"


# --------------------------------------------------------------------------- vs the reference
def test_atlas_techniques_match_atlas_yaml() -> None:
    ours, ref = titles("atlas"), atlas_techniques()
    wrong = {k: (v, ref.get(k)) for k, v in ours.items() if ref.get(k) != v}
    assert not wrong, f"IDs missing from ATLAS.yaml or with another name: {wrong}"
    missing = sorted(set(ref) - set(ours))
    assert not missing, f"ATLAS techniques not in atlas.yaml: {missing}"


def test_atlas_attack_techniques_are_listed() -> None:
    expected = atlas_attack_techniques()
    assert len(expected) == 76
    missing = sorted(set(expected) - set(titles("atlas")))
    assert not missing, f"missing from atlas.yaml: {missing}"


def test_atlas_mitigations_match_atlas_yaml() -> None:
    ours, ref = titles("atlas_mitigation"), atlas_mitigations()
    assert len(ref) == 35
    assert ours == ref


def test_aix_matches_the_exchange() -> None:
    ours = titles("aix")
    threats, controls = aix_of_kind("threat"), aix_of_kind("control")
    assert len(threats) == 25
    wrong = {k: v for k, v in ours.items() if {**threats, **controls}.get(k) != v}
    assert not wrong, f"not an AI Exchange threat or control with that name: {wrong}"
    assert set(threats) <= set(ours), sorted(set(threats) - set(ours))
    assert set(controls) <= set(ours), sorted(set(controls) - set(ours))


def test_cosai_matches_the_risk_map() -> None:
    risks, controls = cosai("risks"), cosai("controls")
    assert (len(risks), len(controls)) == (36, 35)
    assert titles("cosai") == {**risks, **controls}


def test_nist_ai_rmf_has_all_72_subcategories() -> None:
    ours = titles("nist_ai_rmf")
    assert len(ai_rmf_ids()) == 72
    assert set(ours) == ai_rmf_ids()
    long = {k: v for k, v in ours.items() if len(v) > 80}
    assert not long, f"titles should be short: {long}"


def test_sp800_53_matches_nist_catalog() -> None:
    ref, oscal = sp800_53_csv(), sp800_53_oscal()
    problems = []
    for cid, title in titles("sp800_53").items():
        if cid not in ref:
            problems.append(f"{cid}: not in the SP 800-53 r5 catalog")
            continue
        name, withdrawn = ref[cid]
        if withdrawn:
            problems.append(f"{cid}: withdrawn")
        if title.casefold() != name.casefold():
            problems.append(f"{cid}: {title!r} is {name!r} in the catalog")
        if cid in oscal and title.rpartition(" | ")[2] != oscal[cid]:
            problems.append(f"{cid}: {title!r} is {oscal[cid]!r} in OSCAL 5.1.1")
    assert not problems, "\n".join(problems)
    active = {k for k, (_, withdrawn) in ref.items() if not withdrawn}
    assert set(titles("sp800_53")) == active


def test_sp800_53_has_the_controls_named_in_frameworks_md() -> None:
    named = re.findall(r"\b([A-Z]{2}-\d+) ", frameworks_md("NIST SP 800-53"))
    assert len(named) > 30
    assert set(named) <= set(titles("sp800_53"))


def test_iso42001_matches_frameworks_md() -> None:
    expected = iso42001_md()
    assert len(expected) == 38
    assert titles("iso42001") == expected


@pytest.mark.parametrize("fid", sorted(OWASP_PREFIX))
def test_owasp_titles_match_frameworks_md(fid: str) -> None:
    expected = owasp_md(fid)
    assert list(expected) == [f"{OWASP_PREFIX[fid]}{n:02d}" for n in range(1, 11)]
    if fid == "owasp_agentic":
        # FRAMEWORKS.md has the draft's titles; the final list keeps its IDs.
        assert titles(fid) == OWASP_AGENTIC_2026
        assert list(OWASP_AGENTIC_2026) == list(expected)
    else:
        assert titles(fid) == expected


def test_owasp_agentic_is_the_final_list() -> None:
    fw = framework("owasp_agentic")
    assert "draft" not in fw.name.casefold()
    assert "2026" in fw.name
    assert titles("owasp_agentic")["ASI01"] == "Agent Goal Hijack"


def test_maestro_has_the_seven_layers() -> None:
    assert titles("maestro") == MAESTRO_LAYERS


def test_nist_aml_matches_frameworks_md() -> None:
    expected = nist_aml_md()
    assert {f"NISTAML.0{n}" for n in range(1, 6)} <= set(expected)
    ours = titles("nist_aml")
    assert set(ours) == set(expected)
    assert all(same_title("nist_aml", ours[k], expected[k]) for k in ours)


def test_cwe_ids_are_well_formed() -> None:
    ours = titles("cwe")
    assert all(re.fullmatch(r"CWE-[1-9]\d*", k) for k in ours), sorted(ours)
    for cwe in ("CWE-502", "CWE-1039", "CWE-1426", "CWE-1427"):
        assert cwe in ours
    assert ours["CWE-1427"] == "Improper Neutralization of Input Used for LLM Prompting"


# ------------------------------------------------------------------ the catalog's citations
def cited(catalog: Catalog, fid: str) -> dict[str, set[str]]:
    """IDs of ``fid`` cited by the catalog's threats, mitigations and out-of-scope lists,
    with where each is cited."""
    where: dict[str, set[str]] = {}
    for t in catalog.threats.values():
        refs: dict[str, list[str]] = t.references.model_dump()
        for ref in refs.get(fid, []):
            where.setdefault(ref, set()).add(t.id)
    for m in catalog.mitigations.values():
        controls: dict[str, Any] = m.controls.model_dump(exclude={"atlas_none"})  # IDs only
        for ref in controls.get(fid, []):
            where.setdefault(ref, set()).add(m.id)
    for ref in catalog.out_of_scope.get(fid, {}):
        where.setdefault(ref, set()).add("out_of_scope")
    return where


@pytest.mark.parametrize("fid", FRAMEWORK_IDS)
def test_cited_ids_exist_with_reference_titles(catalog: Catalog, fid: str) -> None:
    ours = titles(fid)
    ref = reference_titles(fid)
    problems = []
    for ref_id, users in sorted(cited(catalog, fid).items()):
        by = ", ".join(sorted(users))
        if ref_id not in ours:
            problems.append(f"{ref_id} (cited by {by}): not in catalogs/frameworks/{fid}.yaml")
        elif ref is not None and ref_id not in ref:
            problems.append(f"{ref_id} (cited by {by}): not in the reference data")
        elif ref is not None and not same_title(fid, ours[ref_id], ref[ref_id]):
            problems.append(f"{ref_id}: title {ours[ref_id]!r} but {ref[ref_id]!r} in reference")
    assert not problems, "\n".join(problems)


def test_catalog_uses_the_shipped_frameworks(catalog: Catalog) -> None:
    assert sorted(catalog.frameworks) == sorted(FRAMEWORK_IDS)
    for fid in FRAMEWORK_IDS:
        assert catalog.frameworks[fid] == framework(fid)


# ------------------------------------------------------------------ mappings, not boilerplate
def test_no_ai_rmf_subcategory_is_boilerplate(catalog: Catalog) -> None:
    mitigations = list(catalog.mitigations.values())
    users: dict[str, list[str]] = {}
    for m in mitigations:
        for sub in m.controls.nist_ai_rmf:
            users.setdefault(sub, []).append(m.id)
    limit = AI_RMF_SHARE_MAX * len(mitigations)
    overused = {sub: len(ids) for sub, ids in users.items() if len(ids) > limit}
    assert not overused, (
        f"AI RMF subcategories on more than {AI_RMF_SHARE_MAX:.0%} of the "
        f"{len(mitigations)} mitigations (map what each mitigation does, or give "
        f"nist_ai_rmf_none with the reason): {overused}"
    )


def test_no_two_mitigations_share_one_control_mapping(catalog: Catalog) -> None:
    seen: dict[str, str] = {}
    same = []
    for m in catalog.mitigations.values():
        key = json.dumps(m.controls.model_dump(exclude={"atlas_none"}), sort_keys=True)
        if key in seen:
            same.append(f"{seen[key]} and {m.id}")
        seen.setdefault(key, m.id)
    assert not same, "mitigations with an identical control mapping: " + "; ".join(same)


def test_every_empty_control_list_says_why(catalog: Catalog) -> None:
    short = [
        f"{m.id}.{fw}"
        for m in catalog.mitigations.values()
        for fw, why in m.controls.reasons().items()
        if len(why.split()) < 8
    ]
    assert not short, f"reasons too short to tell a reader why nothing fits: {short}"
