"""Exceptions shared by every layer.

``InvbenchError`` is the one class the CLI turns into a one-line message with no traceback: raise
it (or a subclass) for anything a user can fix — a bad name, a corrupt file, a wrong setting.
"""

from __future__ import annotations


class InvbenchError(Exception):
    """A problem the user can fix; its message is shown as one line, without a traceback."""


class UnknownNameError(InvbenchError, KeyError):
    """A registry lookup failed; the message carries "did you mean" suggestions."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class TargetSetError(InvbenchError):
    """A target set is missing, corrupt (checksum) or malformed (e.g. wrong sample rate)."""


class BudgetExhausted(RuntimeError):
    """Raised by a budget-guarded forward model once the inverter has spent its budget."""


class InvalidInversion(ValueError):
    """An inverter returned something the task cannot score (NaN, wrong shape, range, rate).

    ``status`` is what the item is recorded as: ``"nan"`` for non-finite values, else ``"error"``.
    """

    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.status = status
