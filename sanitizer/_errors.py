"""One exception hierarchy for the whole package.

Only the CLI translates these into exit codes (CONTRACT.md): ``BadInput`` is exit 2,
``Refused`` is exit 1. The library never prints or exits.
"""

from __future__ import annotations

__all__ = ["SanitizerError", "BadInput", "Refused"]


class SanitizerError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 2


class BadInput(SanitizerError):
    """Malformed invocation or unreadable input; nothing was changed (exit 2)."""

    exit_code = 2


class Refused(SanitizerError):
    """A check, gate or access decision said no; the outcome is recorded (exit 1)."""

    exit_code = 1
