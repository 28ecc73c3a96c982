"""``threat-workbench track``: issues per open group in GitHub, GitLab and Jira, through the
real command line and client, over real HTTP to a local fake of each API
(:class:`tests.test_track_server.FakeTracker`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_server import (
    JIRA_USER,
    MODEL,
    TODAY,
    TOKEN,
    FakeTracker,
    fake_pool,
    model_copy,
    run_cli,
    set_tokens,
)
from workbench import ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.register import build_register
from workbench.statements import statement
from workbench.track.render import read_marker
from workbench.track.trackers import Markup

make_fake = pytest.fixture(fake_pool, name="make_fake")

KINDS = ["github", "gitlab", "jira"]
HIGH_GROUPS = {
    "finding:AITW-LLM-005@chatbot",
    "finding:AITW-LLM-001@chatbot",
    "finding:AITW-LLM-016@chatbot",
    "threat:AITW-STRIDE-010",
    "finding:AITW-RAG-006@uploads",
    "finding:AITW-LLM-004@chatbot",
}
HIGH_FINDINGS = {
    "AITW-LLM-005@chatbot",
    "AITW-LLM-001@chatbot",
    "AITW-LLM-016@chatbot",
    "AITW-STRIDE-010@doc_store",
    "AITW-STRIDE-010@index",
    "AITW-RAG-006@uploads",
    "AITW-LLM-004@chatbot",
}


def _fake(make_fake: Any, monkeypatch: pytest.MonkeyPatch, kind: str, **kw: Any) -> FakeTracker:
    if kind == "jira" and "user" not in kw:
        kw["user"] = JIRA_USER
    fake: FakeTracker = make_fake(kind, **kw)
    set_tokens(monkeypatch, fake)
    return fake


def track(fake: FakeTracker, model: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("track", str(model), *fake.options(), "--today", TODAY, *extra)


def _keys(fake: FakeTracker) -> dict[str, str]:
    """Issue ref by the key of its marker."""
    markup: Markup = "jira" if fake.kind == "jira" else "markdown"
    out = {}
    for ref in fake.issues:
        m = read_marker(fake.body(ref), markup)
        if m is not None:
            out[m[1]] = ref
    return out


def _tickets(path: Path) -> dict[str, str]:
    m = ThreatModel.load(path)
    return {d.key: d.ticket for d in m.decisions if d.ticket}


def _url(fake: FakeTracker, ref: str) -> str:
    issue = fake.issues[ref]
    if fake.kind == "github":
        return str(issue["html_url"])
    if fake.kind == "gitlab":
        return str(issue["web_url"])
    return f"{fake.base}/browse/{ref}"


# ------------------------------------------------------------------------ pushing
@pytest.mark.parametrize("kind", KINDS)
def test_one_issue_per_open_group_with_its_tickets_recorded(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    model = model_copy(tmp_path)
    original = model.read_bytes()
    code, out, err = track(fake, model)
    assert code == 0, err
    keys = _keys(fake)
    assert set(keys) == HIGH_GROUPS
    assert len(fake.issues) == len(HIGH_GROUPS)
    for ref in fake.issues:
        assert read_marker(fake.body(ref), "jira" if kind == "jira" else "markdown") is not None
    # every open member's decision holds its issue's URL, as soon as the run ends
    tickets = _tickets(model)
    assert set(tickets) == HIGH_FINDINGS
    group = keys["threat:AITW-STRIDE-010"]
    assert tickets["AITW-STRIDE-010@doc_store"] == tickets["AITW-STRIDE-010@index"]
    assert tickets["AITW-STRIDE-010@index"] == _url(fake, group)
    # the decision that was there keeps its status and owner; the file keeps its comments
    m = ThreatModel.load(model)
    kept = m.decision("AITW-LLM-004@chatbot")
    assert kept is not None
    assert (kept.status, kept.owner) == ("in_progress", "Chatbot team")
    text = model.read_text("utf-8")
    assert "# reviewed in the kick-off" in text
    assert "# Track fixture: a small public chatbot" in text
    assert (tmp_path / "model.yaml.bak").read_bytes() == original
    assert "6 created" in err
    assert TOKEN not in out + err


def test_issue_holds_statement_route_controls_and_finding_ids(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    keys = _keys(fake)
    analysis = analyze(ThreatModel.load(MODEL), load_catalog())
    # a group: both members, the fix with its control mappings, each statement
    body = fake.body(keys["threat:AITW-STRIDE-010"])
    assert fake.title(keys["threat:AITW-STRIDE-010"]).startswith(
        "Sensitive data store without per-caller authorization"
    )
    assert "`AITW-STRIDE-010@doc_store`" in body
    assert "`AITW-STRIDE-010@index`" in body
    assert "**MIT-AUTHZ**: Least privilege and per-request authorization" in body
    assert "NIST SP 800-53 AC-2" in body
    for fid in ("AITW-STRIDE-010@doc_store", "AITW-STRIDE-010@index"):
        assert statement(analysis, analysis.finding(fid)).text in body
    # a finding with a route
    body = fake.body(keys["finding:AITW-RAG-006@uploads"])
    st = statement(analysis, analysis.finding("AITW-RAG-006@uploads"))
    assert st.route
    assert f"Route: {' → '.join(st.route)}" in body
    assert "Recommended controls: **MIT-LLM-RAG-INGESTION-HYGIENE**" in body
    assert "threat-workbench track --sync" in body


@pytest.mark.parametrize("kind", KINDS)
def test_running_again_updates_and_never_duplicates(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    created = dict(fake.issues)
    tickets = _tickets(model)
    fake.log.clear()
    code, _, err = track(fake, model)
    assert code == 0, err
    assert fake.writes() == []  # nothing created, nothing updated: all unchanged
    assert "6 unchanged" in err
    assert _tickets(model) == tickets
    # the model changes: the issues that show it are updated, none is created
    text = model.read_text("utf-8").replace("name: Document index", "name: Vector index")
    model.write_text(text, "utf-8")
    fake.log.clear()
    code, out, err = track(fake, model)
    assert code == 0, err
    methods = {m for m, _ in fake.writes()}
    assert methods == {"PATCH" if kind == "github" else "PUT"}
    assert set(fake.issues) == set(created)
    ref = _keys(fake)["threat:AITW-STRIDE-010"]
    assert "Vector index" in fake.body(ref)
    assert "Vector index" in fake.title(ref)
    assert "updated" in out
    assert _tickets(model) == tickets


@pytest.mark.parametrize("kind", KINDS)
def test_issues_found_by_marker_when_the_tickets_are_lost(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    tickets = _tickets(model)
    model.write_bytes(MODEL.read_bytes())  # someone reverts the file
    fake.log.clear()
    code, out, err = track(fake, model)
    assert code == 0, err
    assert fake.writes() == []
    assert _tickets(model) == tickets  # recorded again
    assert "ticket recorded for" in out


def test_issue_found_by_ticket_when_its_label_is_removed(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    ref = _keys(fake)["threat:AITW-STRIDE-010"]
    fake.remove_label(ref)
    text = model.read_text("utf-8").replace("name: Document index", "name: Vector index")
    model.write_text(text, "utf-8")
    fake.log.clear()
    code, _, err = track(fake, model)
    assert code == 0, err
    assert ("GET", f"/api/v3/repos/acme/chatbot/issues/{ref}") in [
        (x["request"]["method"], x["request"]["path"]) for x in fake.log
    ]
    assert fake.writes() == [("PATCH", f"/api/v3/repos/acme/chatbot/issues/{ref}")]


def test_pull_requests_with_the_label_are_not_issues(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    fake.add_pull_request()
    model = model_copy(tmp_path)
    code, _, err = track(fake, model)
    assert code == 0, err
    assert len(fake.issues) == 1 + len(HIGH_GROUPS)
    assert set(_keys(fake)) == HIGH_GROUPS
    assert not any(t.endswith("/issues/1") for t in _tickets(model).values())  # the PR


def test_a_scoped_decision_is_copied_for_each_tracked_finding(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    text = model.read_text("utf-8") + (
        "  - threat: AITW-STRIDE-010\n"
        "    scope: {boundary: cloud}\n"
        "    status: in_progress\n"
        "    owner: Data team\n"
    )
    model.write_text(text, "utf-8")
    before = build_register(analyze(ThreatModel.load(model)), today=TODAY)
    assert track(fake, model)[0] == 0
    m = ThreatModel.load(model)
    for fid in ("AITW-STRIDE-010@doc_store", "AITW-STRIDE-010@index"):
        d = m.decision(fid)
        assert d is not None
        assert (d.status, d.owner) == ("in_progress", "Data team")
        assert d.ticket.endswith(f"/issues/{_keys(fake)['threat:AITW-STRIDE-010']}")
    after = build_register(analyze(m), today=TODAY)
    assert [(e.id, e.state, e.residual_score) for e in after.entries] == [
        (e.id, e.state, e.residual_score) for e in before.entries
    ]


def test_a_ticket_of_another_tracker_is_kept(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    text = model.read_text("utf-8").replace(
        "    owner: Chatbot team\n", "    owner: Chatbot team\n    ticket: SEC-99\n"
    )
    model.write_text(text, "utf-8")
    code, _, err = track(fake, model)
    assert code == 0, err
    assert _tickets(model)["AITW-LLM-004@chatbot"] == "SEC-99"
    assert "AITW-LLM-004@chatbot: keeps its ticket SEC-99" in err


@pytest.mark.parametrize("per", ["finding", "group"])
def test_per_finding_and_level(
    per: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "gitlab")
    model = model_copy(tmp_path)
    code, _, err = track(fake, model, "--per", per, "--level", "medium")
    assert code == 0, err
    keys = set(_keys(fake))
    register = build_register(analyze(ThreatModel.load(MODEL)), today=TODAY)
    at_medium = {e.id for e in register.open_at_or_above("medium")}
    if per == "finding":
        assert keys == {f"finding:{fid}" for fid in at_medium}
    else:
        assert "threat:AITW-STRIDE-010" in keys
        assert len(keys) == len(at_medium) - 1
    assert set(_tickets(model)) == at_medium


def test_nothing_at_the_level_writes_nothing(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    code, _, err = track(fake, model, "--level", "critical")
    assert code == 0, err
    assert fake.writes() == []
    assert model.read_bytes() == MODEL.read_bytes()
    assert not (tmp_path / "model.yaml.bak").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_dry_run_changes_nothing(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    model = model_copy(tmp_path)
    code, out, err = track(fake, model, "--dry-run")
    assert code == 0, err
    assert fake.writes() == []
    assert fake.issues == {}
    assert model.read_bytes() == MODEL.read_bytes()
    assert not (tmp_path / "model.yaml.bak").exists()
    assert out.count("would create") == len(HIGH_GROUPS)
    assert "dry run: nothing created, updated or written" in err
    # after a real run, a dry run with a changed model says what it would update
    assert track(fake, model)[0] == 0
    text = model.read_text("utf-8").replace("name: Document index", "name: Vector index")
    model.write_text(text, "utf-8")
    before = model.read_bytes()
    fake.log.clear()
    code, out, err = track(fake, model, "--dry-run")
    assert code == 0, err
    assert fake.writes() == []
    assert "would update" in out
    assert model.read_bytes() == before


# ---------------------------------------------------------------------------- sync
@pytest.mark.parametrize("kind", KINDS)
def test_sync_proposes_mitigated_for_closed_issues_as_a_diff(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    ref = _keys(fake)["threat:AITW-STRIDE-010"]
    fake.set_closed(ref, "Done" if kind == "jira" else "completed")
    tracked = model.read_bytes()
    # shown, not written
    fake.log.clear()
    code, out, err = track(fake, model, "--sync")
    assert code == 0, err
    assert model.read_bytes() == tracked
    assert out.startswith("Threat model diff:")
    for fid in ("AITW-STRIDE-010@doc_store", "AITW-STRIDE-010@index"):
        assert f"~ {fid}: mitigated" in out
        assert f"~ {fid}: high → low" in out
    assert "status: 'open' → 'mitigated'" in out
    assert "AITW-LLM-005@chatbot" not in out
    assert "2 decision(s) proposed as mitigated" in err
    assert "pass --write" in err
    assert fake.writes() == []  # sync only reads
    # --dry-run: shown, not written
    code, _, err = track(fake, model, "--sync", "--dry-run")
    assert code == 0, err
    assert model.read_bytes() == tracked
    # written with --write, comments kept, the old file as .bak
    fake.log.clear()
    code, _, err = track(fake, model, "--sync", "--write")
    assert code == 0, err
    assert all(x["request"]["method"] == "GET" for x in fake.log)
    m = ThreatModel.load(model)
    for fid in ("AITW-STRIDE-010@doc_store", "AITW-STRIDE-010@index"):
        d = m.decision(fid)
        assert d is not None
        assert d.status == "mitigated"
        assert str(d.decided) == TODAY
        assert _url(fake, ref) in d.rationale
    other = m.decision("AITW-LLM-005@chatbot")
    assert other is not None
    assert other.status == "open"
    assert (tmp_path / "model.yaml.bak").read_bytes() == tracked
    assert "# reviewed in the kick-off" in model.read_text("utf-8")
    # nothing more to propose; and a push no longer lists the mitigated group
    code, out, err = track(fake, model, "--sync")
    assert (code, out) == (0, "")
    assert "nothing to change" in err
    code, out, err = track(fake, model)
    assert code == 0, err
    assert "threat:AITW-STRIDE-010" not in out
    assert "nothing it tracks is open" not in err  # the issue is closed already


def test_sync_reports_issues_closed_without_the_work_done(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    ref = _keys(fake)["finding:AITW-LLM-001@chatbot"]
    fake.set_closed(ref, "not_planned")
    tracked = model.read_bytes()
    code, out, err = track(fake, model, "--sync", "--write")
    assert code == 0, err
    assert out == ""
    assert f"#{ref} was closed as not_planned: not proposed as mitigated" in err
    assert model.read_bytes() == tracked


def test_push_says_when_an_issue_is_closed_but_its_findings_are_open(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    ref = _keys(fake)["finding:AITW-LLM-001@chatbot"]
    fake.set_closed(ref, "not_planned")
    code, _, err = track(fake, model)
    assert code == 0, err
    assert f"#{ref} (finding:AITW-LLM-001@chatbot) is closed, but AITW-LLM-001@chatbot" in err
    assert len(fake.issues) == len(HIGH_GROUPS)


def test_sync_reads_gone_tickets_as_notes(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "gitlab")
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    ref = _keys(fake)["finding:AITW-LLM-001@chatbot"]
    url = _url(fake, ref)
    del fake.issues[ref]
    code, _, err = track(fake, model, "--sync")
    assert code == 0, err
    assert f"AITW-LLM-001@chatbot: its ticket {url} was not found on gitlab" in err


# -------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kind", KINDS)
def test_missing_token_is_a_usage_error_before_any_request(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    for name in ("GITHUB_TOKEN", "GITLAB_TOKEN", "JIRA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    model = model_copy(tmp_path)
    code, _, err = track(fake, model)
    assert code == 2
    variable = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "jira": "JIRA_TOKEN"}[kind]
    assert f"{variable} is not set" in err
    assert "environment only" in err
    assert fake.log == []
    assert model.read_bytes() == MODEL.read_bytes()


def test_tokens_are_never_taken_from_arguments(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli("track", str(MODEL), "--to", "github", "--repo", "a/b", "--token", "x")
    assert exc.value.code == 2


def test_bad_credentials_name_the_tracker_and_status(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-token")
    model = model_copy(tmp_path)
    code, _, err = track(fake, model)
    assert code == 1
    assert "github: HTTP 401 on GET /api/v3/repos/acme/chatbot/issues: Bad credentials" in err
    assert "wrong-token" not in err
    assert model.read_bytes() == MODEL.read_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_failure_part_way_loses_no_issue_already_created(
    kind: str, make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, kind)
    posts = []

    def third_post_fails(method: str, path: str) -> Any:
        if method == "POST":
            posts.append(path)
            if len(posts) == 3:
                return 502, {"message": "Server Error", "errorMessages": ["Bad gateway"]}, {}
        return None

    fake.fail = third_post_fails
    model = model_copy(tmp_path)
    code, _, err = track(fake, model)
    assert code == 1
    assert f"{kind}: HTTP 502 on POST" in err
    assert "while creating the issue of finding:AITW-LLM-016@chatbot: AITW-LLM-016@chatbot" in err
    assert "the 2 issue(s) created before the failure are recorded" in err
    assert set(_tickets(model)) == {"AITW-LLM-005@chatbot", "AITW-LLM-001@chatbot"}
    fake.fail = None
    code, _, err = track(fake, model)
    assert code == 0, err
    assert len(fake.issues) == len(HIGH_GROUPS)
    assert set(_keys(fake)) == HIGH_GROUPS
    assert set(_tickets(model)) == HIGH_FINDINGS
    assert "2 unchanged" in err
    assert "4 created" in err


def test_a_file_changed_meanwhile_is_not_overwritten(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    posts = []

    def edit_during_second_post(method: str, path: str) -> Any:
        if method == "POST":
            posts.append(path)
            if len(posts) == 2:
                model.write_text(model.read_text("utf-8") + "# edited by a colleague\n")
        return None

    fake.fail = edit_during_second_post
    code, _, err = track(fake, model)
    assert code == 1
    assert "changed on disk while tracking" in err
    assert f"{fake.base}/acme/chatbot/issues/2 (created), not recorded" in err
    assert model.read_text("utf-8").endswith("# edited by a colleague\n")
    assert len(fake.issues) == 2


def test_plain_http_to_another_machine_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, _, err = run_cli(
        "track", str(MODEL), "--to", "github", "--repo", "a/b", "--api-url", "http://example.com"
    )
    assert code == 2
    assert "plain http" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "github"], "github: give the project with --repo OWNER/NAME"),
        (["--to", "jira", "--project", "SEC"], "jira: give the site with --api-url"),
        (["--to", "github", "--repo", "not a repo"], "--repo must be OWNER/NAME"),
        (["--to", "github", "--repo", "a/b", "--write"], "--write goes with --sync"),
        (
            ["--to", "jira", "--project", "SEC", "--api-url", "https://x.test", "--label", "a b"],
            "label 'a b' cannot be used",
        ),
    ],
)
def test_usage_errors(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "JIRA_TOKEN"):
        monkeypatch.setenv(name, TOKEN)
    code, _, err = run_cli("track", str(MODEL), *argv)
    assert code == 2
    assert message in err


def test_jira_data_center_uses_the_classic_search_and_a_bearer_token(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "jira", cloud=False, user=None)
    model = model_copy(tmp_path)
    assert track(fake, model)[0] == 0
    fake.log.clear()
    code, _, err = track(fake, model)
    assert code == 0, err
    assert fake.writes() == []
    paths = [x["request"]["path"] for x in fake.log]
    assert paths[0] == "/rest/api/2/search/jql"
    assert "/rest/api/2/search" in paths
    assert all(x["request"]["auth"] == "Bearer ***" for x in fake.log)


def test_names_from_the_model_cannot_mention_link_or_forge_a_marker(
    make_fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(make_fake, monkeypatch, "github")
    model = model_copy(tmp_path)
    evil = (
        "Chatbot <img src=x onerror=alert(1)> [x](javascript:alert(1)) @octocat "
        "<!-- threat-workbench: track-demo-chatbot threat:FORGED -->"
    )
    text = model.read_text("utf-8").replace("name: Chatbot service", f"name: {json.dumps(evil)}")
    model.write_text(text, "utf-8")
    code, _, err = track(fake, model)
    assert code == 0, err
    for ref in fake.issues:
        body = fake.body(ref)
        assert "<img" not in body
        assert re.search(r"(?<!\\)\]\(javascript", body) is None  # only an escaped \]
        assert "@octocat" not in body
        assert read_marker(body, "markdown") != ("track-demo-chatbot", "threat:FORGED")
    assert set(_keys(fake)) == HIGH_GROUPS


def test_import_workbench_does_not_load_the_http_client() -> None:
    code = (
        "import sys, workbench, workbench.cli, workbench.track.commands, workbench.track.run\n"
        "print('urllib3' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
