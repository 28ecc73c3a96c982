"""Errors that point at a place in a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from .terminal import safe_line

MAX_PRINTED = 100
"""Most problems printed for one file (or in one error message); the rest are counted."""


@dataclass(frozen=True)
class Problem:
    """One problem in a file: where it is and what is wrong."""

    file: str
    """File name as given by the caller (or ``<string>``)."""
    line: int | None
    """1-based line, when known."""
    column: int | None
    """1-based column, when known."""
    path: str
    """Path of the bad value inside the document, e.g. ``elements[3].kind``."""
    message: str
    """What is wrong, and where possible how to fix it."""

    def __str__(self) -> str:
        """``file:line:col path: message``, safe to print (see :mod:`workbench.terminal`):
        names and keys quoted in it cannot reach the terminal or CI log raw."""
        return safe_line(self.raw())

    def raw(self) -> str:
        """:meth:`__str__` without escaping."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ModelFileError(ValueError):
    """A file could not be loaded; :attr:`problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(problem_lines(problems)))

    @classmethod
    def one(
        cls,
        file: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str = "",
    ) -> ModelFileError:
        """The error of a file with one problem."""
        return cls([Problem(file, line, column, path, message)])


def problem_lines(problems: Iterable[Problem], limit: int = MAX_PRINTED) -> list[str]:
    """The first ``limit`` problems, one safe line each, then how many were left out."""
    items = list(problems)
    lines = [str(p) for p in items[:limit]]
    if len(items) > limit:
        rest = len(items) - limit
        lines.append(
            f"... and {rest:,} more problem{'s' if rest > 1 else ''} ({len(items):,} in all)"
        )
    return lines


def print_problems(problems: Iterable[Problem], err: TextIO, limit: int = MAX_PRINTED) -> None:
    """Print :func:`problem_lines` to ``err``."""
    for line in problem_lines(problems, limit):
        print(line, file=err)


class OutputError(OSError):
    """An output file was refused or could not be written. The message is one line that
    names the output path; the command line prints it and exits 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
