"""One exception hierarchy for clearreel. Every message says how to fix the problem.

The CLI maps `UsageError` (and subclasses) to exit code 2, `Denied`/`VerificationFailed`
to exit code 1. Third-party errors are converted at the boundary into one of these.
"""

from __future__ import annotations


class ClearreelError(Exception):
    """Base class of every error clearreel raises on purpose."""

    exit_code = 2


class UsageError(ClearreelError):
    """Bad usage or bad input: a missing workspace, an unknown id, a malformed file."""


class CatalogError(UsageError):
    """A catalog file is invalid; `problems` holds `file:line: message` strings."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFound(UsageError):
    """An id that the registry does not know."""


class MissingDependency(UsageError):
    """An optional dependency is not installed; the message says what to install."""


class MediaError(ClearreelError):
    """A media file could not be opened or decoded (it is quarantined, not fatal to a batch)."""


class Denied(ClearreelError):
    """A rights decision denied the request."""

    exit_code = 1


class VerificationFailed(ClearreelError):
    """A verification (audit chain, dataset, output, ledger) found a problem."""

    exit_code = 1
