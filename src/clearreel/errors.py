"""One exception hierarchy for clearreel. Every message says how to fix the problem.

The CLI maps `UsageError` (and subclasses) to exit code 2, `Denied`/`VerificationFailed`
to exit code 1, and `InternalError` (an environment fault: disk full, database gone, out of
memory, or a bug) to exit code 3. Third-party errors are converted at the boundary into one
of these (`environment_error`).
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
    """A rights decision denied the request; `report` holds its reasons for `--json`."""

    exit_code = 1
    report: dict[str, object] | None = None


class VerificationFailed(ClearreelError):
    """A verification (audit chain, dataset, output, ledger) found a problem."""

    exit_code = 1


class InternalError(ClearreelError):
    """The environment failed (disk full, database unreachable, out of memory) or clearreel has
    a bug: nothing the user typed is wrong. Exit code 3, one line; ``--debug`` shows the
    traceback."""

    exit_code = 3


def environment_error(e: BaseException) -> InternalError:
    """One line naming what failed in the environment, for an exception no clearreel code
    turned into a ClearreelError."""
    import errno as _errno

    if isinstance(e, MemoryError):
        return InternalError("out of memory: free memory or use fewer --workers, then retry")
    if isinstance(e, OSError):
        what = {
            _errno.ENOSPC: "disk full", _errno.EDQUOT: "disk quota exceeded",
            _errno.EFBIG: "file too large for this file system or limit",
            _errno.EROFS: "read-only file system", _errno.EIO: "input/output error",
            _errno.ENOMEM: "out of memory", _errno.EACCES: "permission denied",
            _errno.EPERM: "permission denied",
        }.get(e.errno or 0, e.strerror or type(e).__name__)
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        return InternalError(f"{what}{where}: fix the environment and run the command again; "
                             "nothing already stored was changed")
    from sqlalchemy.exc import DBAPIError  # OperationalError and the rest derive from it

    if isinstance(e, DBAPIError):
        first = str(getattr(e, "orig", None) or e).strip().splitlines()
        return InternalError(f"database error: {first[0] if first else type(e).__name__} "
                             "(check that the database is reachable and retry)")
    first = str(e).strip().splitlines()
    return InternalError(f"internal error: {type(e).__name__}: {first[0] if first else ''} "
                         "(run again with --debug for the traceback, and report it)")
