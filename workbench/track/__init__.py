"""Findings in the team's issue tracker: ``threat-workbench track``.

``track FILE --to github|gitlab|jira`` opens one issue per open group of findings (or per
finding, ``--per finding``) whose residual risk reaches ``--level``, with the threat
statements, the route, the recommended controls and the finding IDs; it records each
issue's URL in the ``ticket`` of the members' decisions, in the model file, as soon as the
issue exists. Running it again updates the issues it made and creates none twice: it
finds them by the ticket recorded in the model, else by the marker line at the top of
their description (in issues carrying the :data:`LABEL` label). ``track --sync`` reads
the issues' state back and proposes ``mitigated`` for the decisions whose issue was
closed as done, shown as a ``diff`` of the model, written only with ``--write`` (or a
``y`` at the prompt).

The parts, each one job:

* :mod:`workbench.track.items`: which groups or findings become issues, from the
  engine's groups and the register's open entries;
* :mod:`workbench.track.render`: an issue's title and description (Markdown for GitHub
  and GitLab, wiki markup for Jira), with the marker line;
* :mod:`workbench.track.http`: JSON over HTTPS with a token (urllib3, imported when a
  tracker is first used, so ``import workbench`` stays fast);
* :mod:`workbench.track.trackers`: the subset of the GitHub, GitLab and Jira REST APIs
  used: list issues by label, get, create, update;
* :mod:`workbench.track.run`: pushing (create or update, tickets recorded as they come)
  and syncing (states read back, decisions proposed);
* :mod:`workbench.track.commands`: the command line.

Tokens come only from the environment (:data:`TOKEN_VARIABLES`), never from a file or an
argument, and are sent only to the API base URL (HTTPS, or plain HTTP to this machine).
"""

from __future__ import annotations

__all__ = ["LABEL", "TOKEN_VARIABLES", "TRACKERS"]

TRACKERS = ("github", "gitlab", "jira")
"""The trackers ``--to`` accepts."""

LABEL = "threat-workbench"
"""The label every issue made by ``track`` carries: the search for existing issues lists
the issues with it (and then reads their marker line)."""

TOKEN_VARIABLES = {
    "github": "GITHUB_TOKEN",
    "gitlab": "GITLAB_TOKEN",
    "jira": "JIRA_TOKEN",
}
"""The environment variable holding each tracker's token. Jira also reads ``JIRA_USER``:
when set, the token is an Atlassian Cloud API token sent with that user (basic
authentication); when not, a Data Center personal access token (bearer)."""
