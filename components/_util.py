"""Helpers shared by the components."""

from __future__ import annotations

from typing import Any

import pulumi

from entra_pg.model import ConfigError

__all__ = ["ComponentInputError", "plain"]


class ComponentInputError(pulumi.RunError):
    """A component was given inputs it cannot accept; nothing of it was declared.

    A `pulumi.RunError` so the engine prints the message without a traceback. `config_error`
    holds the underlying `ConfigError` (each issue names the input path and the fix).
    """

    def __init__(self, error: ConfigError) -> None:
        self.config_error = error
        super().__init__(error.render())


def plain(value: Any, what: str) -> Any:
    """Return `value` if it is known at construction time, else raise a clear error.

    Structural inputs (names, lists of databases or principals) decide which child
    resources exist and what they are called, so they cannot be outputs of other resources.
    """
    if isinstance(value, pulumi.Output):
        raise TypeError(
            f"{what} must be a plain value, not an Output: it decides which resources exist"
        )
    return value
