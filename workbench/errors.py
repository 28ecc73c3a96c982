"""Errors that point at a place in a file."""

from __future__ import annotations

from dataclasses import dataclass


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
        super().__init__("\n".join(str(p) for p in problems))
