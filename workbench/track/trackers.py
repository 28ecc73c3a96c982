"""The part of each tracker's REST API that ``track`` uses.

=========  ===================================  ======================================
tracker    requests                             an issue is done when
=========  ===================================  ======================================
GitHub     ``GET /repos/O/R/issues?labels=L``   ``state`` is ``closed`` and
           (``state=all``, pages by ``Link``);  ``state_reason`` is ``completed`` (or
           ``GET|PATCH /repos/O/R/issues/N``;   none); ``not_planned`` and
           ``POST /repos/O/R/issues``           ``duplicate`` are reported, not done
GitLab     ``GET /projects/P/issues?labels=L``  ``state`` is ``closed``
           (pages by ``X-Next-Page``);
           ``GET|PUT /projects/P/issues/IID``;
           ``POST /projects/P/issues``
Jira       ``GET /rest/api/2/search/jql``       the status category is ``done`` and
           (Cloud; ``/rest/api/2/search`` when  the resolution is not one of
           that is missing: Data Center);       :data:`NOT_DONE` (Won't Do,
           ``GET|PUT /rest/api/2/issue/KEY``;   Duplicate …)
           ``POST /rest/api/2/issue``
=========  ===================================  ======================================

Authentication: GitHub ``Authorization: Bearer $GITHUB_TOKEN``; GitLab
``PRIVATE-TOKEN: $GITLAB_TOKEN``; Jira basic ``$JIRA_USER:$JIRA_TOKEN`` when ``JIRA_USER``
is set (Atlassian Cloud API token), else ``Authorization: Bearer $JIRA_TOKEN`` (Data
Center personal access token). Jira is used through REST v2, which Cloud and Data Center
both serve, with descriptions in wiki markup.
"""

from __future__ import annotations

import base64
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from . import TOKEN_VARIABLES
from .http import Http, Response, TrackerError, check_base_url

__all__ = [
    "NOT_DONE",
    "Draft",
    "GitHub",
    "GitLab",
    "Issue",
    "Jira",
    "TrackConfigError",
    "Tracker",
    "make_tracker",
]

PAGE_SIZE = 100
"""Issues asked for per page (the most GitHub and GitLab give)."""

MAX_PAGES = 200
"""Pages read at most when listing issues (20,000 issues)."""

NOT_DONE = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce", "declined"})
"""Jira resolutions that close an issue without the work being done (compared in lower
case): such an issue is reported by ``--sync``, not proposed as mitigated."""

Markup = Literal["markdown", "jira"]


class TrackConfigError(ValueError):
    """The tracker cannot be used as asked: no token, no project, a bad URL or label."""


@dataclass(frozen=True)
class Issue:
    """An issue as the tracker holds it."""

    ref: str
    """What the API calls it: the number (GitHub), the project-level IID (GitLab), the
    key (Jira)."""
    url: str
    """Its web address: what is recorded as the decision's ticket."""
    title: str
    body: str
    """The description, as the tracker returns it."""
    closed: bool
    reason: str = ""
    """Why it was closed, in the tracker's words (``completed``, ``not_planned``, the
    Jira resolution); '' when open or not said."""
    done: bool = False
    """Closed with the work done (see the module's table)."""


@dataclass(frozen=True)
class Draft:
    """What an issue should hold."""

    title: str
    body: str
    labels: tuple[str, ...]


def _same_text(a: str, b: str) -> bool:
    """Equal but for line endings and blanks at the ends of lines (trackers normalise)."""

    def norm(s: str) -> list[str]:
        return [line.rstrip() for line in s.replace("\r\n", "\n").strip().split("\n")]

    return norm(a) == norm(b)


class Tracker(ABC):
    """One project of one tracker."""

    name: ClassVar[str]
    markup: ClassVar[Markup]
    default_url: ClassVar[str | None]
    max_title: ClassVar[int] = 250

    def __init__(self, http: Http, project: str) -> None:
        self.http = http
        self.project = project

    @property
    def where(self) -> str:
        """The project, for messages: ``github owner/name``."""
        return f"{self.name} {self.project}"

    def shown(self, issue: Issue) -> str:
        """How an issue is named in messages: ``#12``, ``PROJ-3``."""
        return f"#{issue.ref}"

    def same(self, issue: Issue, draft: Draft) -> bool:
        """Whether ``issue`` already holds ``draft``'s title and description."""
        return issue.title == draft.title and _same_text(issue.body, draft.body)

    @abstractmethod
    def issues(self, label: str) -> list[Issue]:
        """Every issue of the project with ``label``, open or closed."""

    @abstractmethod
    def get(self, ref: str) -> Issue | None:
        """The issue ``ref``; ``None`` when there is none (deleted, or never was)."""

    @abstractmethod
    def create(self, draft: Draft) -> Issue:
        """A new issue holding ``draft``."""

    @abstractmethod
    def update(self, issue: Issue, draft: Draft) -> Issue:
        """``issue`` with ``draft``'s title and description (its labels, state and
        everything else left as they are)."""

    @abstractmethod
    def ref_of(self, ticket: str) -> str | None:
        """The issue of this project that a decision's ``ticket`` names, if it names
        one (its web URL, or a short form: ``owner/name#12``, ``PROJ-3``)."""


def _data(r: Response, kind: type, tracker: str, what: str) -> Any:
    data = r.data
    if not isinstance(data, kind):
        raise TrackerError(f"{tracker}: unexpected answer to {what} (not a JSON {kind.__name__})")
    return data


# ----------------------------------------------------------------------------- GitHub
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_NEXT = re.compile(r'rel="next"')


class GitHub(Tracker):
    """GitHub and GitHub Enterprise Server (REST API ``/repos/O/R/issues``)."""

    name = "github"
    markup = "markdown"
    default_url = "https://api.github.com"

    def __init__(self, http: Http, project: str) -> None:
        if not _REPO.fullmatch(project):
            raise TrackConfigError(f"github: --repo must be OWNER/NAME, got {project!r}")
        super().__init__(http, project)
        self._path = f"/repos/{project}"

    def _issue(self, x: Any) -> Issue:
        if not isinstance(x, dict) or "number" not in x:
            raise TrackerError("github: unexpected answer (an issue without a number)")
        closed = x.get("state") == "closed"
        reason = str(x.get("state_reason") or "") if closed else ""
        return Issue(
            ref=str(x["number"]),
            url=str(x.get("html_url") or ""),
            title=str(x.get("title") or ""),
            body=str(x.get("body") or ""),
            closed=closed,
            reason=reason,
            done=closed and reason in ("", "completed"),
        )

    def issues(self, label: str) -> list[Issue]:
        """Every issue with ``label`` (pull requests left out), page by page."""
        out: list[Issue] = []
        for page in range(1, MAX_PAGES + 1):
            r = self.http.request(
                "GET",
                f"{self._path}/issues",
                query={"labels": label, "state": "all", "per_page": PAGE_SIZE, "page": page},
            )
            items = _data(r, list, self.name, "listing issues")
            out += [self._issue(x) for x in items if "pull_request" not in x]
            if not items or not _NEXT.search(r.headers.get("link", "")):
                break
        return out

    def get(self, ref: str) -> Issue | None:
        """The issue numbered ``ref`` (``None`` when it is gone or is a pull request)."""
        r = self.http.fetch(f"{self._path}/issues/{ref}")
        if r is None:
            return None
        x = _data(r, dict, self.name, f"getting issue #{ref}")
        return None if "pull_request" in x else self._issue(x)

    def create(self, draft: Draft) -> Issue:
        """``POST /repos/O/R/issues`` with title, body and labels."""
        body = {"title": draft.title, "body": draft.body, "labels": list(draft.labels)}
        r = self.http.request("POST", f"{self._path}/issues", body=body, ok=(201,))
        return self._issue(_data(r, dict, self.name, "creating an issue"))

    def update(self, issue: Issue, draft: Draft) -> Issue:
        """``PATCH /repos/O/R/issues/N`` with title and body."""
        body = {"title": draft.title, "body": draft.body}
        r = self.http.request("PATCH", f"{self._path}/issues/{issue.ref}", body=body, ok=(200,))
        return self._issue(_data(r, dict, self.name, f"updating issue #{issue.ref}"))

    def ref_of(self, ticket: str) -> str | None:
        """``https://HOST/OWNER/NAME/issues/N`` or ``OWNER/NAME#N`` of this repository."""
        ticket = ticket.strip()
        m = re.search(r"([^/\s#]+)/([^/\s#]+)/issues/(\d+)/?$", ticket) or re.fullmatch(
            r"([^/\s#]+)/([^/\s#]+)#(\d+)", ticket
        )
        if m and f"{m.group(1)}/{m.group(2)}".casefold() == self.project.casefold():
            return m.group(3)
        return None


# ----------------------------------------------------------------------------- GitLab
class GitLab(Tracker):
    """GitLab.com and self-managed GitLab (REST API v4 ``/projects/P/issues``)."""

    name = "gitlab"
    markup = "markdown"
    default_url = "https://gitlab.com/api/v4"

    def __init__(self, http: Http, project: str) -> None:
        if not re.fullmatch(r"\d+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+", project):
            raise TrackConfigError(
                f"gitlab: --project must be a project ID or its path (group/name), got {project!r}"
            )
        super().__init__(http, project)
        self._path = f"/projects/{quote(project, safe='')}"

    def _issue(self, x: Any) -> Issue:
        if not isinstance(x, dict) or "iid" not in x:
            raise TrackerError("gitlab: unexpected answer (an issue without an iid)")
        closed = x.get("state") == "closed"
        return Issue(
            ref=str(x["iid"]),
            url=str(x.get("web_url") or ""),
            title=str(x.get("title") or ""),
            body=str(x.get("description") or ""),
            closed=closed,
            reason="closed" if closed else "",
            done=closed,
        )

    def issues(self, label: str) -> list[Issue]:
        """Every issue with ``label``, page by page (``X-Next-Page``)."""
        out: list[Issue] = []
        page = 1
        for _ in range(MAX_PAGES):
            r = self.http.request(
                "GET",
                f"{self._path}/issues",
                query={"labels": label, "per_page": PAGE_SIZE, "page": page},
            )
            out += [self._issue(x) for x in _data(r, list, self.name, "listing issues")]
            following = r.headers.get("x-next-page", "").strip()
            if not following.isdigit() or int(following) <= page:
                break
            page = int(following)
        return out

    def get(self, ref: str) -> Issue | None:
        """The issue with project-level IID ``ref``."""
        r = self.http.fetch(f"{self._path}/issues/{ref}")
        return None if r is None else self._issue(_data(r, dict, self.name, f"getting #{ref}"))

    def create(self, draft: Draft) -> Issue:
        """``POST /projects/P/issues`` with title, description and labels."""
        body = {"title": draft.title, "description": draft.body, "labels": ",".join(draft.labels)}
        r = self.http.request("POST", f"{self._path}/issues", body=body, ok=(201,))
        return self._issue(_data(r, dict, self.name, "creating an issue"))

    def update(self, issue: Issue, draft: Draft) -> Issue:
        """``PUT /projects/P/issues/IID`` with title and description."""
        body = {"title": draft.title, "description": draft.body}
        r = self.http.request("PUT", f"{self._path}/issues/{issue.ref}", body=body, ok=(200,))
        return self._issue(_data(r, dict, self.name, f"updating #{issue.ref}"))

    def ref_of(self, ticket: str) -> str | None:
        """``https://HOST/GROUP/NAME/-/issues/IID`` (or ``/-/work_items/IID``) of this
        project; with a numeric ``--project``, of any project on the tracker."""
        m = re.search(r"^(\S*?)/-/(?:issues|work_items)/(\d+)/?$", ticket.strip())
        if m is None:
            return None
        if not self.project.isdigit():
            path = urlsplit(m.group(1)).path.strip("/")
            if path.casefold() != self.project.casefold():
                return None
        return m.group(2)


# ------------------------------------------------------------------------------- Jira
class Jira(Tracker):
    """Jira Cloud and Jira Data Center (REST API v2)."""

    name = "jira"
    markup = "jira"
    default_url = None
    FIELDS = "summary,description,status,resolution"

    def __init__(self, http: Http, project: str, issue_type: str = "Task") -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", project):
            raise TrackConfigError(f"jira: --project must be a project key, got {project!r}")
        super().__init__(http, project)
        self.issue_type = issue_type
        self._legacy_search = False

    def shown(self, issue: Issue) -> str:
        """The issue key."""
        return issue.ref

    def _issue(self, x: Any) -> Issue:
        if not isinstance(x, dict) or "key" not in x or not isinstance(x.get("fields"), dict):
            raise TrackerError("jira: unexpected answer (an issue without key or fields)")
        f = x["fields"]
        status = f.get("status") or {}
        closed = (status.get("statusCategory") or {}).get("key") == "done"
        resolution = str((f.get("resolution") or {}).get("name") or "")
        return Issue(
            ref=str(x["key"]),
            url=f"{self.http.base_url}/browse/{x['key']}",
            title=str(f.get("summary") or ""),
            body=str(f.get("description") or ""),
            closed=closed,
            reason=(resolution or str(status.get("name") or "")) if closed else "",
            done=closed and resolution.casefold() not in NOT_DONE,
        )

    def issues(self, label: str) -> list[Issue]:
        """Every issue of the project with ``label``: enhanced JQL search (Cloud), else
        the classic search (Data Center, where the first answers 404)."""
        jql = f'project = "{self.project}" AND labels = "{label}" ORDER BY key ASC'
        if not self._legacy_search:
            try:
                return self._search_jql(jql)
            except TrackerError as exc:
                if exc.status != 404:
                    raise
                self._legacy_search = True
        return self._search(jql)

    def _search_jql(self, jql: str) -> list[Issue]:
        out: list[Issue] = []
        token = ""
        for _ in range(MAX_PAGES):
            query: dict[str, str | int] = {
                "jql": jql,
                "fields": self.FIELDS,
                "maxResults": PAGE_SIZE,
            }
            if token:
                query["nextPageToken"] = token
            r = self.http.request("GET", "/rest/api/2/search/jql", query=query)
            data = _data(r, dict, self.name, "searching issues")
            out += [self._issue(x) for x in data.get("issues") or []]
            token = str(data.get("nextPageToken") or "")
            if not token or data.get("isLast"):
                break
        return out

    def _search(self, jql: str) -> list[Issue]:
        out: list[Issue] = []
        for _ in range(MAX_PAGES):
            query: dict[str, str | int] = {
                "jql": jql,
                "fields": self.FIELDS,
                "startAt": len(out),
                "maxResults": PAGE_SIZE,
            }
            r = self.http.request("GET", "/rest/api/2/search", query=query)
            data = _data(r, dict, self.name, "searching issues")
            page = [self._issue(x) for x in data.get("issues") or []]
            out += page
            if not page or len(out) >= int(data.get("total") or 0):
                break
        return out

    def get(self, ref: str) -> Issue | None:
        """``GET /rest/api/2/issue/KEY``."""
        r = self.http.fetch(f"/rest/api/2/issue/{ref}", query={"fields": self.FIELDS})
        return None if r is None else self._issue(_data(r, dict, self.name, f"getting {ref}"))

    def create(self, draft: Draft) -> Issue:
        """``POST /rest/api/2/issue`` (project, summary, description, issue type, labels)."""
        fields = {
            "project": {"key": self.project},
            "summary": draft.title,
            "description": draft.body,
            "issuetype": {"name": self.issue_type},
            "labels": list(draft.labels),
        }
        r = self.http.request("POST", "/rest/api/2/issue", body={"fields": fields}, ok=(201,))
        key = _data(r, dict, self.name, "creating an issue").get("key")
        if not isinstance(key, str) or not key:
            raise TrackerError("jira: unexpected answer to creating an issue (no key)")
        url = f"{self.http.base_url}/browse/{key}"
        return Issue(ref=key, url=url, title=draft.title, body=draft.body, closed=False)

    def update(self, issue: Issue, draft: Draft) -> Issue:
        """``PUT /rest/api/2/issue/KEY`` with summary and description."""
        fields = {"summary": draft.title, "description": draft.body}
        self.http.request(
            "PUT", f"/rest/api/2/issue/{issue.ref}", body={"fields": fields}, ok=(200, 204)
        )
        return Issue(
            ref=issue.ref,
            url=issue.url,
            title=draft.title,
            body=draft.body,
            closed=issue.closed,
            reason=issue.reason,
            done=issue.done,
        )

    def ref_of(self, ticket: str) -> str | None:
        """``https://HOST/browse/KEY-12`` or ``KEY-12`` of this project."""
        m = re.search(r"(?:^|/browse/)([A-Za-z][A-Za-z0-9_]*)-(\d+)/?$", ticket.strip())
        if m and m.group(1).casefold() == self.project.casefold():
            return f"{m.group(1)}-{m.group(2)}"
        return None


# ----------------------------------------------------------------------------- making one
def _token(env: Mapping[str, str], variable: str, tracker: str) -> str:
    token = env.get(variable, "").strip()
    if not token:
        raise TrackConfigError(
            f"{tracker}: {variable} is not set: export a token with permission to create and "
            "edit issues (tokens are read from the environment only, never from files or "
            "arguments)"
        )
    if any(c.isspace() or ord(c) < 32 for c in token):
        raise TrackConfigError(f"{tracker}: {variable} holds blanks or control characters")
    return token


def _headers(tracker: str, env: Mapping[str, str]) -> dict[str, str]:
    token = _token(env, TOKEN_VARIABLES[tracker], tracker)
    if tracker == "github":
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
    if tracker == "gitlab":
        return {"PRIVATE-TOKEN": token}
    user = env.get("JIRA_USER", "").strip()
    if user:
        pair = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {token}"}


def _check_labels(tracker: str, labels: tuple[str, ...]) -> None:
    for label in labels:
        bad = not label or any(c in label for c in ',"\\') or any(ord(c) < 32 for c in label)
        if bad or (tracker == "jira" and any(c.isspace() for c in label)):
            raise TrackConfigError(
                f"{tracker}: label {label!r} cannot be used (no commas, quotes or "
                "backslashes" + (", no blanks in Jira" if tracker == "jira" else "") + ")"
            )


def make_tracker(
    tracker: str,
    project: str | None,
    *,
    api_url: str | None = None,
    env: Mapping[str, str],
    labels: tuple[str, ...] = (),
    issue_type: str = "Task",
) -> Tracker:
    """The client for ``project`` on ``tracker`` (``github``, ``gitlab``, ``jira``), its
    token read from ``env``. :class:`TrackConfigError` names what is missing or wrong:
    the token, the project, the URL, a label."""
    kinds: dict[str, type[Tracker]] = {"github": GitHub, "gitlab": GitLab, "jira": Jira}
    kind = kinds[tracker]
    if not project:
        option = "--repo OWNER/NAME" if tracker == "github" else "--project"
        raise TrackConfigError(f"{tracker}: give the project with {option}")
    url = api_url or kind.default_url
    if not url:
        raise TrackConfigError(
            f"{tracker}: give the site with --api-url (https://YOUR-SITE.atlassian.net, or "
            "your Data Center's address)"
        )
    if tracker == "jira":
        url = re.sub(r"/rest/api/[23]/?$", "", url.rstrip("/"))
    _check_labels(tracker, labels)
    try:
        url = check_base_url(url, tracker)
    except ValueError as exc:
        raise TrackConfigError(str(exc)) from None
    headers = _headers(tracker, env)
    http = Http(tracker, url, headers)
    if kind is Jira:
        return Jira(http, project, issue_type)
    return kind(http, project)
