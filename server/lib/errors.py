"""The one error vocabulary: what went wrong, in words for people, without HTTP.

Services raise these (or a domain's subclass); they never choose a status code. ``status_of`` is the one
place that turns them into HTTP (and ``server.plugins`` the one place that answers an uncaught one, as a
page or as the API's ``ApiError``). ``message`` is for people, already in her language; ``detail`` is for
developers (which event, which field); ``ids`` names the events a conflict is about.
"""

from __future__ import annotations

import uuid


class Problem(Exception):
    def __init__(self, message: str, detail: str | None = None, ids: list[uuid.UUID] | None = None) -> None:
        super().__init__(message)
        self.message, self.detail, self.ids = message, detail, ids


class Malformed(Problem):
    """It cannot be read at all, or it did not come from our app."""


class Unrecognised(Problem):
    """We do not know who is asking."""


class NotYours(Problem):
    """It belongs to someone else."""


class NotFound(Problem):
    """It does not exist (or not for her: the same answer, so nothing is revealed)."""


class Conflict(Problem):
    """It clashes with what is stored: the same id with other content, a draft someone else saved."""


class Gone(Problem):
    """It was possible once and is not now: she withdrew, the code was revoked or has expired."""


class Refused(Problem):
    """It can be read, but breaks a rule of its content."""


class TryLater(Problem):
    """It may be tried again after ``retry_after`` seconds, and nothing of it was kept, so trying again is safe."""

    def __init__(self, message: str, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(message, detail)
        self.retry_after = max(1, retry_after)


class TooMany(TryLater):
    """Too much in too short a time (a limit)."""


class Unavailable(TryLater):
    """The database cannot take a write now (a full disk, read-only, a lock held too long, a server gone)."""


_STATUS: dict[type[Problem], int] = {Malformed: 400, Unrecognised: 401, NotYours: 403, NotFound: 404,
                                     Conflict: 409, Gone: 410, Refused: 422, TooMany: 429, Unavailable: 503}


def headers_of(problem: Problem) -> dict[str, str]:
    """The headers its status needs: when to try again, for a 429 or a 503 (RFC 9110, 10.2.3)."""
    return {"Retry-After": str(problem.retry_after)} if isinstance(problem, TryLater) else {}


def status_of(problem: Problem) -> int:
    """The HTTP status of a problem (a page's own form errors come back with 400, chosen by the page)."""
    return next((_STATUS[kind] for kind in type(problem).__mro__ if kind in _STATUS), 400)  # type: ignore[index]
