"""Attack trees (issue 17, point 1): one tree per crown jewel of every starter, each leaf
tied to a finding, deterministic; cut sets that really cut (and stop cutting without any
of their mitigations), that change when a mitigation is put in place; exports that parse
(Mermaid, deciduous YAML, SVG, JSON); the CLI; the PASTA view's tree."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from workbench.attack_trees import (
    AttackTree,
    TreeBuilder,
    TreeNode,
    attack_tree,
    attack_trees,
    figure,
    figures,
    to_deciduous,
    to_mermaid,
    to_svg,
)
from workbench.attack_trees.cuts import supporting
from workbench.attack_trees.formats import to_text
from workbench.attack_trees.svg import A4_TEXT, MIN_FONT
from workbench.cli import main
from workbench.engine import Analysis, Analyzer
from workbench.engine.scoring import HARMED_BY
from workbench.model import Decision, ThreatModel
from workbench.resources import catalogs_dir, starters_dir
from workbench.starters import load_template, names

STARTERS = names()


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 (our own output)


def _analysis(model: ThreatModel, catalog) -> Analysis:
    return Analyzer(catalog).analyze(model)


@pytest.fixture(scope="module")
def analyses(catalog) -> dict[str, Analysis]:
    return {n: _analysis(load_template(n), catalog) for n in STARTERS}


@pytest.fixture(scope="module")
def trees(analyses) -> dict[str, tuple[AttackTree, ...]]:
    return {n: attack_trees(a, objectives=True) for n, a in analyses.items()}


def _parent_of(tree: AttackTree) -> dict[str, TreeNode]:
    return {c.id: n for n in tree.nodes() for c in n.children}


def _finding_leaves(tree: AttackTree) -> list[TreeNode]:
    return [n for n in tree.nodes() if n.kind == "finding"]


# ----------------------------------------------------------------------------- shape
def test_five_starters():
    assert len(STARTERS) == 5


@pytest.mark.parametrize("name", STARTERS)
def test_one_root_per_crown_jewel_then_objectives(name, analyses, trees):
    a = analyses[name]
    got = [(t.goal, t.goal_kind) for t in trees[name]]
    want = [(j, "element") for j in a.crown_jewels]
    want += [(o.id, "objective") for o in a.model.objectives]
    assert got == want
    assert [t.goal for t in attack_trees(a)] == list(a.crown_jewels)
    for tree in trees[name]:
        assert tree.root.kind == "goal"
        assert tree.root.gate == "or"
        assert tree.root.id == "g"
        assert tree.title == tree.root.label
        jewel_paths = {p.id for p in a.attack_paths if p.target == tree.goal}
        if tree.goal_kind == "element":
            assert tree.routes == len(jewel_paths)


@pytest.mark.parametrize("name", STARTERS)
def test_every_leaf_is_tied_to_findings(name, analyses, trees):
    a = analyses[name]
    known = {f.id: f for f in a.findings}
    for tree in trees[name]:
        parents = _parent_of(tree)
        for leaf in tree.leaves():
            if leaf is tree.root:  # no known way: the root says why
                assert tree.way_count == 0
                assert tree.root.detail
                continue
            assert leaf.kind in ("finding", "more"), (tree.goal, leaf.id, leaf.kind)
            assert leaf.findings, (tree.goal, leaf.id)
            assert set(leaf.findings) <= set(known), leaf.findings
        for leaf in _finding_leaves(tree):
            (fid,) = leaf.findings
            step = parents[leaf.id]
            assert step.kind == "step"
            assert fid in step.findings
            assert known[fid].target in leaf.route  # on the step's flow or element
            assert leaf.label == known[fid].title
            assert set(leaf.references) == {*known[fid].atlas, *known[fid].owasp}
            quiet = supporting(analyses[name].catalog)
            quiet |= set(analyses[name].catalog.threats[known[fid].threat_id].limited_by)
            assert [m.id for m in leaf.mitigations] == sorted(
                known[fid].mitigations, key=lambda m: m in quiet
            )
            assert all(m.cuts == (m.id not in quiet) for m in leaf.mitigations)


@pytest.mark.parametrize("name", STARTERS)
def test_ways_are_and_over_steps_under_or_nodes(name, trees):
    for tree in trees[name]:
        parents = _parent_of(tree)
        for node in tree.nodes():
            if node.kind == "way":
                assert node.gate == "and"
                assert node.children
                assert all(c.kind == "step" for c in node.children)
                assert parents[node.id].gate == "or"
                assert node.paths
            if node.kind == "step":
                assert node.gate == "or"
                assert all(c.kind in ("finding", "more") for c in node.children)
            if node.kind in ("entry", "element"):
                assert node.gate == "or"
                assert len(node.children) >= 2 or node.kind == "element"


@pytest.mark.parametrize("name", STARTERS)
def test_every_path_is_a_way_or_said_to_carry_nothing(name, analyses, trees):
    """The tree stands for every attack path to its goal: each is in a way (maybe one
    folded into a ``more`` node) or counted as reaching it with nothing known to do."""
    a = analyses[name]
    for tree in trees[name]:
        if tree.goal_kind != "element":
            continue
        paths = {p.id for p in a.attack_paths if p.target == tree.goal}
        drawn = {p for n in tree.nodes() for p in n.paths}
        assert drawn | set(tree.unexplained) == paths
        assert not drawn & set(tree.unexplained)


def test_the_starters_have_trees_worth_reading(trees):
    ways = {n: sum(t.way_count for t in ts if t.goal_kind == "element") for n, ts in trees.items()}
    assert all(w >= 1 for w in ways.values()), ways
    assert sum(ways.values()) >= 30, ways
    assert any(n.kind == "more" for ts in trees.values() for t in ts for n in t.nodes())


def test_few_distinct_ways_not_every_path(analyses, trees):
    """Paths that need the same steps from the same entry point are one way: the RAG
    starter's six paths to the vector store are three ways."""
    tree = next(t for t in trees["rag_assistant"] if t.goal == "vector_store")
    assert tree.routes == 6
    assert tree.way_count == 3
    ways = [n for n in tree.nodes() if n.kind == "way"]
    assert [len(w.paths) for w in ways] == [2, 2, 2]  # each from two origins
    entry = next(n for n in tree.nodes() if n.kind == "entry")
    assert set(entry.origins) == {"ticket_system", "upload_inbox"}


def test_steps_keep_only_the_findings_of_an_attacker_on_the_route(analyses, trees):
    """A way from a data source does not count a finding that needs a user asking; a
    read of a store counts disclosure only; a finding an insider realises counts only on
    a step made with an element's access."""
    tree = next(t for t in trees["rag_assistant"] if t.goal == "vector_store")
    a = analyses["rag_assistant"]
    known = {f.id: f for f in a.findings}
    builder = TreeBuilder(a)
    for way in (n for n in tree.nodes() if n.kind == "way"):
        people = any(a.model.element(o).kind in ("user", "client_app") for o in way.origins)
        for step in way.children:
            for fid in step.findings:
                source = builder.source_kind(known[fid])
                if not people:
                    assert source != "user", (way.label, fid)
                if step.label.startswith("Make ") and step.label.endswith("read Vector store"):
                    assert "I" in known[fid].stride
                if source in ("insider", "account"):
                    assert step.label.startswith(("Make ", "Tamper with ", "Plant content"))


def test_objective_trees_keep_the_findings_that_threaten_it(analyses, trees):
    a = analyses["rag_assistant"]
    known = {f.id: f for f in a.findings}
    objective = next(o for o in a.model.objectives if o.category)
    tree = next(t for t in trees["rag_assistant"] if t.goal == objective.id)
    assert tree.goal_kind == "objective"
    assert tree.way_count >= 1
    letters = HARMED_BY[objective.category]
    for element in tree.root.children:
        if element.kind == "more":
            continue
        assert element.kind == "element"
        for way in (n for n in element.walk() if n.kind == "way"):
            last = way.children[-1]
            assert all(letters & set(known[f].stride) for f in last.findings), last.findings


@pytest.mark.parametrize("name", STARTERS)
def test_deterministic(name, catalog, trees):
    again = attack_trees(_analysis(load_template(name), catalog), objectives=True)
    assert [t.to_json() for t in again] == [t.to_json() for t in trees[name]]
    assert [to_mermaid(t) for t in again] == [to_mermaid(t) for t in trees[name]]


def test_unknown_goal_names_the_close_one(analyses):
    with pytest.raises(KeyError, match="did you mean 'vector_store'"):
        attack_tree(analyses["rag_assistant"], "vectorstore")


def test_any_element_can_be_a_goal(analyses):
    a = analyses["rag_assistant"]
    tree = attack_tree(a, "prompt_guard")  # not a crown jewel
    assert tree.goal_kind == "element"
    assert tree.routes >= 1
    assert tree.way_count >= 1


# ----------------------------------------------------------------------------- cut sets
def _decide(model: ThreatModel, analysis: Analysis, mitigations: set[str]) -> ThreatModel:
    """Put ``mitigations`` in place: a mitigated decision naming them on every finding
    of the model that lists one (kept with the decisions the model has)."""
    out = model
    for f in analysis.findings:
        named = sorted(mitigations & set(f.mitigations))
        if named:
            out = out.set_decision(
                Decision(finding=f.id, status="mitigated", owner="Security", mitigations=named)
            )
    return out


def _rag(catalog) -> tuple[ThreatModel, Analysis]:
    model = load_template("rag_assistant")
    return model, _analysis(model, catalog)


def test_cut_sets_cut_every_way_and_each_mitigation_is_needed(catalog):
    model, a = _rag(catalog)
    tree = attack_tree(a, "vector_store")
    assert not tree.cut
    assert tree.cut_sets
    assert all(tree.cut_sets)
    assert tree.complete
    for cut in tree.cut_sets:
        cut_model = _decide(model, a, set(cut))
        after = attack_tree(_analysis(cut_model, catalog), "vector_store")
        assert after.cut, cut
        assert after.cut_sets == ((),)
        for m in cut:  # minimal: without any one of them, some way stays open
            partial = _decide(model, a, set(cut) - {m})
            assert not attack_tree(_analysis(partial, catalog), "vector_store").cut, (cut, m)


def test_cut_sets_change_when_a_mitigation_is_put_in_place(catalog):
    """In place means decided: a mitigated decision naming the mitigation. With one
    mitigation of a two-mitigation cut set in place, the other one alone cuts every way."""
    model, a = _rag(catalog)
    before = attack_tree(a, "vector_store")
    first, second = next(s for s in before.cut_sets if len(s) == 2)
    assert (second,) not in before.cut_sets
    decided = _analysis(_decide(model, a, {first}), catalog)
    after = attack_tree(decided, "vector_store")
    assert after.cut_sets != before.cut_sets
    assert (second,) in after.cut_sets
    assert not any(first in s for s in after.cut_sets)
    marks = {
        m.state
        for n in after.nodes()
        if n.kind == "finding"
        for m in n.mitigations
        if m.id == first
    }
    assert marks == {"in_place"}
    cut_leaves = [n for n in after.nodes() if n.kind == "finding" and n.cut]
    assert len(cut_leaves) > len([n for n in before.nodes() if n.kind == "finding" and n.cut])


def test_an_unrelated_decision_changes_no_cut_set(catalog):
    model, a = _rag(catalog)
    before = attack_tree(a, "vector_store")
    tree_findings = {f for n in before.nodes() for f in n.findings}
    other = next(f for f in a.findings if f.id not in tree_findings and f.mitigations)
    decided = model.set_decision(
        Decision(finding=other.id, status="mitigated", mitigations=[other.mitigations[0]])
    )
    after = attack_tree(_analysis(decided, catalog), "vector_store")
    assert after.cut_sets == before.cut_sets


def test_accepting_a_risk_cuts_nothing_and_an_expired_mitigation_counts_as_open(catalog):
    model, a = _rag(catalog)
    before = attack_tree(a, "vector_store")
    leaf = next(n for n in before.nodes() if n.kind == "finding" and not n.cut)
    (fid,) = leaf.findings
    accepted = model.set_decision(
        Decision(finding=fid, status="accepted", owner="CISO", rationale="Known and kept.")
    )
    tree = attack_tree(_analysis(accepted, catalog), "vector_store")
    assert not any(n.cut for n in tree.nodes() if n.findings == (fid,))
    expired = model.set_decision(
        Decision(
            finding=fid,
            status="mitigated",
            mitigations=[leaf.mitigations[0].id],
            review_by="2020-01-01",
        )
    )
    tree = attack_tree(_analysis(expired, catalog), "vector_store", today="2026-01-01")
    assert not any(n.cut for n in tree.nodes() if n.findings == (fid,))
    tree = attack_tree(_analysis(expired, catalog), "vector_store", today="2019-12-31")
    assert all(n.cut for n in tree.nodes() if n.findings == (fid,))


def test_a_model_edit_shows_a_mitigation_without_cutting(catalog):
    """What the model shows (a property a mitigation's rule reads) lowers a finding's
    likelihood and is marked 'shown'; it does not cut the finding: a decision does."""
    model, a = _rag(catalog)
    before = attack_tree(a, "vector_store")
    edited = model.update_element("vector_store", properties={"authorization": True})
    tree = attack_tree(_analysis(edited, catalog), "vector_store")
    shown = {
        (n.findings[0], m.id)
        for n in tree.nodes()
        if n.kind == "finding"
        for m in n.mitigations
        if m.state == "shown" and m.id == "MIT-AUTHZ"
    }
    assert shown  # the model now shows authorization on the vector store's findings
    assert not any(n.cut for n in tree.nodes() if n.findings and n.findings[0] in dict(shown))
    # the edit removed the missing-authorization findings: the tree and its cut sets moved
    assert tree.cut_sets != before.cut_sets


def test_supporting_mitigations_cut_nothing(catalog, trees):
    quiet = supporting(catalog)
    assert {"MIT-MONITOR", "MIT-LOGGING", "MIT-RED-TEAM", "MIT-BACKUP"} <= quiet
    for ts in trees.values():
        for tree in ts:
            assert not any(m in quiet for s in tree.cut_sets for m in s)
            for node in tree.nodes():
                assert not any(m in quiet for s in node.cut_sets for m in s)


def test_reviewed_cut_sets_of_the_starters(trees):
    """What a reviewer objected to in the starters' cut sets stays fixed: grounding answers
    in their sources does not stop content being planted in a store the AI reads (the
    planted passage is the source it cites); rate limits do not stop a caller with a
    leaked static key, nor poisoned samples (they slow them): "put rate limits in place
    and every way to the model registry is cut" was a cut set of the on-device starter."""
    wrong = {"AITW-RAG-002": "MIT-LLM-GROUNDING", "AITW-STRIDE-004": "MIT-RATE-LIMIT"}
    wrong["AITW-DATA-002"] = "MIT-RATE-LIMIT"
    for tree in trees["on_device_model"]:
        if tree.goal_kind == "element":
            assert ("MIT-RATE-LIMIT",) not in tree.cut_sets, tree.goal
    for ts in trees.values():
        for tree in ts:
            for node in tree.nodes():
                if node.kind == "finding":
                    threat = node.findings[0].split("@")[0]
                    assert wrong.get(threat) not in {m.id for m in node.mitigations}, threat
                if node.kind == "step" and node.label.startswith(("Plant", "Tamper")):
                    assert "MIT-LLM-GROUNDING" not in {m.id for m in node.mitigations}, node.label


def test_what_cuts_is_catalog_data(catalog, tmp_path: Path):
    """The catalog says which mitigations cut nothing (``kind`` other than preventive, with
    the reason); the trees read it, so a catalog that calls a cutting mitigation detective
    takes it out of every cut set."""
    for m in catalog.mitigations.values():
        assert m.cuts == (m.kind == "preventive")
        assert bool(m.kind_reason) == (not m.cuts), m.id
    model, analysis = _rag(catalog)
    tree = attack_tree(analysis, "vector_store")
    used = sorted({m for s in tree.cut_sets for m in s})
    assert used
    target = used[0]
    mits = dict(catalog.mitigations)
    mits[target] = mits[target].model_copy(
        update={"kind": "detective", "kind_reason": "Said so by this catalog."}
    )
    other = dataclasses.replace(catalog, mitigations=mits)
    again = attack_tree(_analysis(model, other), "vector_store")
    assert not any(target in s for s in again.cut_sets)
    assert not any(target in s for n in again.nodes() for s in n.cut_sets)
    assert again.cut_sets != tree.cut_sets


_CUSTOM = """
mitigations:
  - id: MIT-ACME-WATCH
    title: Watch the shop floor
    {kind}
    description: >-
      Someone watches the dashboards of the assistant and calls the on-call engineer.
    controls:
      nist_ai_rmf_none: Not a subcategory of its own.
      iso42001_none: Not an Annex A control of its own.
      sp800_53_none: Not a control of its own here.
      atlas_none: Not an ATLAS mitigation.
"""


def test_a_custom_catalog_says_a_mitigation_detects(tmp_path: Path):
    from workbench.catalog import load_catalog
    from workbench.errors import ModelFileError

    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "acme.yaml").write_text(
        _CUSTOM.format(kind="kind: detective\n    kind_reason: It notices; it stops nothing.")
    )
    assert "MIT-ACME-WATCH" in supporting(load_catalog(folder))
    (folder / "acme.yaml").write_text(_CUSTOM.format(kind="kind: detective"))
    with pytest.raises(ModelFileError, match="kind_reason"):
        load_catalog(folder)
    (folder / "acme.yaml").write_text(_CUSTOM.format(kind="kind: watching"))
    with pytest.raises(ModelFileError, match="kind"):
        load_catalog(folder)
    (folder / "acme.yaml").write_text(_CUSTOM.format(kind=""))
    assert "MIT-ACME-WATCH" not in supporting(load_catalog(folder))  # preventive by default


# ----------------------------------------------------------------------------- exports
_MERMAID_LINE = re.compile(
    r"^  (?:%% .*"
    r'|n_[A-Za-z0-9_]+(?:\{\{"[^"]*"\}\}|\(\["[^"]*"\]\)|\["[^"]*"\]|\("[^"]*"\))'
    r"|n_[A-Za-z0-9_]+ --> n_[A-Za-z0-9_]+"
    r"|classDef [a-z]+ [^;]+"
    r"|class [A-Za-z0-9_,]+ [a-z]+)$"
)


@pytest.mark.parametrize("name", STARTERS)
def test_mermaid_is_a_flowchart(name, trees):
    for tree in trees[name]:
        text = to_mermaid(tree)
        lines = text.splitlines()
        assert lines[0] == "flowchart TD"
        defined: list[str] = []
        edges = []
        for line in lines[1:]:
            assert _MERMAID_LINE.match(line), line
            m = re.match(r"^  (n_[A-Za-z0-9_]+)[\[({]", line)
            if m:
                defined.append(m.group(1))
            e = re.match(r"^  (n_\S+) --> (n_\S+)$", line)
            if e:
                edges.append((e.group(1), e.group(2)))
        nodes = list(tree.nodes())
        assert len(defined) == len(set(defined)) == len(nodes)
        assert len(edges) == len(nodes) - 1
        assert {x for e in edges for x in e} <= set(defined)
        for line in lines:  # no markup but line breaks; entity codes only
            label = re.findall(r'"([^"]*)"', line)
            for text_ in label:
                assert "<" not in text_.replace("<br/>", ""), line


@pytest.mark.parametrize("name", STARTERS)
def test_deciduous_yaml_loads_and_links_up(name, trees):
    for tree in trees[name]:
        doc = yaml.safe_load(to_deciduous(tree))
        assert set(doc) == {"title", "facts", "attacks", "mitigations", "goals"}
        declared = {"reality"}
        for section in ("facts", "attacks", "mitigations", "goals"):
            for item in doc[section]:
                keys = [k for k in item if k != "from"]
                assert len(keys) == 1, item
                declared.add(keys[0])
        for section in ("facts", "attacks", "mitigations", "goals"):
            for item in doc[section]:
                for src in item["from"]:
                    ref = (
                        src if isinstance(src, str) else next(k for k in src if k != "implemented")
                    )
                    assert ref in declared, (section, item, ref)
        (goal,) = doc["goals"]
        assert goal["goal"] == tree.title
        if tree.way_count:
            shown = {f for n in tree.nodes() if n.kind == "step" for f in n.findings[:3]}
            attacks = " ".join(str(v) for item in doc["attacks"] for v in item.values())
            assert all(f in attacks for f in shown)


@pytest.mark.parametrize("name", STARTERS)
def test_svg_is_well_formed_and_legible_on_a4(name, trees):
    for tree in trees[name]:
        fig = figure(tree)
        root = _xml(fig.svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert fig.fits, (tree.goal, fig.width, fig.height)
        assert float(root.get("width", "0").removesuffix("pt")) <= A4_TEXT[0] + 0.01
        assert float(root.get("height", "0").removesuffix("pt")) <= A4_TEXT[1] + 0.01
        sizes = [
            float(t.get("font-size", "0")) for t in root.iter("{http://www.w3.org/2000/svg}text")
        ]
        assert sizes
        assert min(sizes) >= MIN_FONT
        ids = {n.id for n in tree.nodes()}
        drawn = [g.get("data-node") for g in root.iter("{http://www.w3.org/2000/svg}g")]
        assert drawn
        assert all(d is not None and (d in ids or d.endswith(".more")) for d in drawn)
        assert to_svg(tree) == fig.svg


def test_svg_escapes_names(catalog):
    model = load_template("rag_assistant").update_element(
        "vector_store", name='Vectors <script>alert("x")</script> & co'
    )
    tree = attack_tree(_analysis(model, catalog), "vector_store")
    svg = to_svg(tree)
    _xml(svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    mermaid = to_mermaid(tree)
    assert "#lt;script#gt;alert(#quot;x#quot;)" in mermaid
    assert all(_MERMAID_LINE.match(line) for line in mermaid.splitlines()[1:])
    assert "<script>" in yaml.safe_load(to_deciduous(tree))["goals"][0]["goal"]


def test_json_round_trips(trees):
    for ts in trees.values():
        for tree in ts:
            data = json.loads(tree.to_json())
            assert data == json.loads(json.dumps(tree.to_dict()))
            assert data["goal"] == tree.goal
            assert data["root"]["id"] == "g"
            assert data["cut_sets"] == [list(s) for s in tree.cut_sets]


def test_text_outline_names_the_cut_sets(trees):
    tree = next(t for t in trees["rag_assistant"] if t.goal == "vector_store")
    text = to_text(tree)
    assert text.startswith("Attack tree: Compromise Vector store")
    assert "Cut sets:" in text
    assert tree.mitigation_titles[tree.cut_sets[0][0]] in text


# ----------------------------------------------------------------------------- CLI
RAG = starters_dir() / "rag_assistant.yaml"


@pytest.mark.parametrize(
    ("fmt", "suffix", "check"),
    [
        ("svg", ".svg", lambda t: _xml(t).tag.endswith("svg")),
        ("mermaid", ".mmd", lambda t: t.startswith("flowchart TD")),
        ("yaml", ".yaml", lambda t: "goals" in yaml.safe_load(t)),
        ("json", ".json", lambda t: json.loads(t)["goal"] == "vector_store"),
    ],
)
def test_cli_writes_each_format(tmp_path: Path, capsys, fmt, suffix, check):
    out = tmp_path / f"tree{suffix}"
    code = main(["attack-tree", str(RAG), "--goal", "vector_store", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert check(out.read_text(encoding="utf-8"))
    again = tmp_path / "again.out"
    assert main(["attack-tree", str(RAG), "-g", "vector_store", "-f", fmt, "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_cli_text_to_stdout_for_every_crown_jewel(capsys):
    assert main(["attack-tree", str(RAG)]) == 0
    out = capsys.readouterr().out
    jewels = load_template("rag_assistant").graph().crown_jewels()
    assert out.count("Attack tree: ") == len(jewels)


def test_cli_one_file_per_goal_in_a_folder(tmp_path: Path, capsys):
    folder = tmp_path / "trees"
    code = main(["attack-tree", str(RAG), "--objectives", "-f", "svg", "-o", f"{folder}/"])
    assert code == 0, capsys.readouterr().err
    model = load_template("rag_assistant")
    want = {f"{g}.svg" for g in model.graph().crown_jewels()} | {
        f"{o.id}.svg" for o in model.objectives
    }
    assert {p.name for p in folder.iterdir()} == want


def test_cli_refuses_what_it_cannot_do(tmp_path: Path, capsys):
    assert main(["attack-tree", str(RAG), "--goal", "nope"]) == 2
    assert "no element or objective 'nope'" in capsys.readouterr().err
    assert main(["attack-tree", str(RAG), "-f", "svg"]) == 2
    assert "name one --goal" in capsys.readouterr().err
    out = tmp_path / "x.svg"
    out.write_text("old", encoding="utf-8")
    assert main(["attack-tree", str(RAG), "-g", "vector_store", "-o", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "old"
    bad = tmp_path / "bad.yaml"
    bad.write_text("format_version: 1\nsystem: {name: x}\nelements: [{id: a, kind: nope}]\n")
    assert main(["attack-tree", str(bad)]) == 1


# ----------------------------------------------------------------------------- PASTA view
def test_pasta_view_shows_the_tree_and_highlights_a_route(catalog):
    pytest.importorskip("ipywidgets")
    from widgets import Workbench

    bench = Workbench(load_template("rag_assistant"), catalog=catalog)
    bench.canvas.send = lambda content, buffers=None: None
    bench.tabs.selected_index = 1  # the PASTA tab: its views follow the canvas when shown
    view = bench.pasta.attack_trees
    assert bench.pasta.accordion.children[5].children[-1] is view.widget
    assert bench.canvas.analysis is not None
    jewels = list(bench.canvas.analysis.crown_jewels)
    goals = [g for _, g in view.goal.options]
    assert goals[: len(jewels)] == jewels
    assert goals[len(jewels) :] == [o.id for o in bench.model.objectives]
    view.goal.value = "vector_store"
    assert view.tree is not None
    assert view.tree.goal == "vector_store"
    assert "data-goal='vector_store'" in view.html.value
    assert view.html.value.count("<details") == sum(1 for n in view.tree.nodes() if n.children)
    way = next(n for n in view.tree.nodes() if n.kind == "way")
    view.nodes.value = way.id
    assert bench.canvas.highlight == list(way.route)
    view.clear_button.click()
    assert bench.canvas.highlight == []
    assert view.nodes.value is None
    # unfolding a node (its toggle in the browser) highlights its route, as choosing it
    # does; folding it clears the highlight; a toggle on an unknown node changes nothing
    step = way.children[0]
    view.html.toggled = {"node": step.id, "open": True, "count": 1}
    assert bench.canvas.highlight == list(step.route)
    assert view.nodes.value == step.id
    view.html.toggled = {"node": way.id, "open": False, "count": 2}
    assert bench.canvas.highlight == []
    assert view.nodes.value is None
    view.html.toggled = {"node": "g.99", "open": True, "count": 3}
    assert bench.canvas.highlight == []


def test_pasta_view_escapes_and_follows_edits(catalog):
    pytest.importorskip("ipywidgets")
    from widgets import Workbench

    model = load_template("rag_assistant")
    bench = Workbench(model, catalog=catalog)
    bench.canvas.send = lambda content, buffers=None: None
    bench.tabs.selected_index = 1
    view = bench.pasta.attack_trees
    view.goal.value = "vector_store"
    bench.canvas.model = model.update_element("vector_store", name="Vectors <b>bold</b>")
    assert "Vectors <b>" not in view.html.value
    assert "Vectors &lt;b&gt;bold&lt;/b&gt;" in view.html.value
    assert view.goal.value == "vector_store"


def test_a_defence_is_a_step_only_when_a_finding_gets_past_it(analyses, trees):
    """As the engine's attack paths count it: a guardrail with an evasion finding is a
    step to get past (cut it and the way is cut); the E-mail tool's human approval, with
    no finding that says how to get past it, only lowers the likelihood (the engine's
    note is on the way) and is no step, so a decision on an unrelated finding there does
    not cut the inbound mail's way."""
    rag = next(t for t in trees["rag_assistant"] if t.goal == "vector_store")
    guard = [n for n in rag.nodes() if n.kind == "step" and n.label == "Get past Input guardrail"]
    assert guard
    assert any("AML.T0015" in n.references for n in guard)
    agent = next(t for t in trees["llm_agent_tools"] if t.goal == "agent")
    mail = next(n for n in agent.nodes() if n.kind == "way" and "E-mail tool" in n.label)
    assert not any(s.label.startswith("Get past E-mail tool") for s in mail.children)
    assert "E-mail tool stands on the path" in mail.detail
    assert not mail.cut


@pytest.mark.parametrize("name", STARTERS)
def test_one_figure_per_crown_jewel_for_the_report(name, analyses):
    a = analyses[name]
    drawn = figures(a, fit=(481.89, 697.32))  # A4 less 2.5 cm margins
    assert [t.goal for t, _ in drawn] == list(a.crown_jewels)
    for tree, fig in drawn:
        assert fig.fits, (tree.goal, fig.width, fig.height)
        assert fig.width <= 481.89 + 0.01
        assert fig.height <= 697.32 + 0.01


# ----------------------------------------------------------------------------- limited_by
_LIMITED = {
    "AITW-LLM-001": {"MIT-AUTHZ", "MIT-LLM-SYSTEM-PROMPT-HYGIENE"},
    "AITW-AGT-023": {"MIT-SANDBOX", "MIT-AGENT-TOOL-ALLOWLIST"},
    "AITW-OPS-002": {"MIT-AVAILABILITY"},
    "AITW-RAG-003": {"MIT-LLM-OUTPUT-DLP"},
}


def test_reviewed_limiting_mitigations_cut_no_finding(catalog, trees):
    """A threat's ``limited_by`` mitigations reduce the damage but do not stop it: the
    catalog marks the reviewed pairs, and no finding of theirs offers them as a cut."""
    for tid, ms in _LIMITED.items():
        assert set(catalog.threats[tid].limited_by) == ms, tid
    seen = set()
    for ts in trees.values():
        for tree in ts:
            for node in tree.nodes():
                if node.kind != "finding":
                    continue
                tid = node.findings[0].split("@")[0]
                for m in node.mitigations:
                    if m.id in _LIMITED.get(tid, ()):
                        seen.add(tid)
                        assert not m.cuts, (tid, m.id)
                        assert m.limits, (tid, m.id)
                        assert not any(m.id in s for s in node.cut_sets), (tid, m.id)
                        assert "(limits the damage)" in to_text(tree)
    assert seen


def test_a_custom_catalog_marking_a_cut_as_limiting_changes_the_cut_sets(catalog):
    model, analysis = _rag(catalog)
    tree = attack_tree(analysis, "vector_store")
    leaves = [n for n in tree.nodes() if n.kind == "finding" and n.cut_sets]
    leaf = next(n for n in leaves if any(m.cuts for m in n.mitigations))
    tid = leaf.findings[0].split("@")[0]
    target = next(m.id for m in leaf.mitigations if m.cuts)
    threats = dict(catalog.threats)
    threats[tid] = threats[tid].model_copy(
        update={"limited_by": [*threats[tid].limited_by, target]}
    )
    other = dataclasses.replace(catalog, threats=threats)
    again = attack_tree(_analysis(model, other), "vector_store")
    moved = next(n for n in again.nodes() if n.kind == "finding" and n.findings == leaf.findings)
    assert not any(target in s for s in moved.cut_sets)
    ref = next(m for m in moved.mitigations if m.id == target)
    assert not ref.cuts
    assert ref.limits
    assert [n.cut_sets for n in again.nodes()] != [n.cut_sets for n in tree.nodes()]


def test_limited_by_must_name_the_threats_own_mitigations(tmp_path: Path):
    from workbench.catalog import load_catalog
    from workbench.errors import ModelFileError

    text = (catalogs_dir() / "threats" / "llm_agents.yaml").read_text()
    data = yaml.safe_load(text)
    threat = next(t for t in data["threats"] if t["id"] == "AITW-RAG-003")
    threat = {**threat, "id": "AITW-ACME-001", "limited_by": ["MIT-SANDBOX"]}
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "acme.yaml").write_text(yaml.safe_dump({"threats": [threat]}))
    with pytest.raises(ModelFileError, match=r"(?s)acme\.yaml.*limited_by.*MIT-SANDBOX"):
        load_catalog(folder)
    threat["limited_by"] = ["MIT-LLM-OUTPUT-DLP"]
    (folder / "acme.yaml").write_text(yaml.safe_dump({"threats": [threat]}))
    assert load_catalog(folder).threats["AITW-ACME-001"].limited_by == ["MIT-LLM-OUTPUT-DLP"]
