"""How the register fails, in three kinds a caller acts on differently.

A conflict is ordinary concurrency (re-read, decide again); unavailability is the service or the network for
now (try the event later); a configuration error will not heal by retrying (someone must create the table,
fix the role or the endpoint), so it names what to do.
"""

from __future__ import annotations


class RevisionConflict(Exception):  # noqa: N818 - the name other layers are written against
    """Someone else saved the row since it was read: re-read and decide again."""


class RegisterUnavailableError(Exception):
    """The register could not be reached, or answered errors, after every retry the deadline allowed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RegisterConfigurationError(Exception):
    """Permanent: the table is missing, the credentials are refused, or the request itself is wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
