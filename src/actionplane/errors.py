"""The error tree and the process exit codes it maps to.

Every failure the user can act on is an ``ActionPlaneError``. The CLI's top-level
handler prints its message (never a traceback) and exits with ``exit_code``.
Anything else that escapes is a bug and exits with ``EXIT_INTERNAL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actionplane.diagnostics import Diagnostic

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class ActionPlaneError(Exception):
    """A failure with a message written for the user, ending in the fix."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics or []


class ConfigError(ActionPlaneError):
    """The workspace files are invalid or missing."""


class RuleError(ActionPlaneError):
    """A rule cannot be compiled or a CEL backend is unavailable."""


class ZohoError(ActionPlaneError):
    """Zoho CRM or its accounts server rejected a call or could not be reached."""


class StateError(ActionPlaneError):
    """The state store is unreadable, locked or holds something unexpected."""


class PlanError(ActionPlaneError):
    """A plan cannot be made or applied, for example because it is stale."""


class RunError(ActionPlaneError):
    """A governed run cannot move to the requested state."""


class UsageError(ActionPlaneError):
    """The command line asks for something inconsistent."""

    exit_code = EXIT_USAGE
