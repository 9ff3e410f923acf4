"""Turns the keys a participant holds or presses into an action, using the scene's key mapping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COMBO_SEPARATOR = "+"


def combo_name(keys: str | Iterable[str]) -> str:
    """Canonical name of a key or key combination: key names sorted and joined with '+'."""
    if isinstance(keys, str):
        return keys
    return COMBO_SEPARATOR.join(sorted(keys))


class KeyMap:
    """Maps held keys (most specific combination wins) or single key presses to actions."""

    def __init__(self, mapping: dict[str, Any], default_action: Any) -> None:
        self.default_action = default_action
        # Most specific first: a held combination beats its single keys; ties keep the researcher's order.
        self._entries = sorted(
            (
                (frozenset(name.split(COMBO_SEPARATOR)) if name != COMBO_SEPARATOR else frozenset([name]), action)
                for name, action in mapping.items()
            ),
            key=lambda entry: -len(entry[0]),
        )

    def held(self, keys: Iterable[str]) -> Any:
        """The action for the set of keys held down now."""
        held = frozenset(keys)
        for combo, action in self._entries:
            if combo <= held:
                return action
        return self.default_action

    def pressed(self, presses: list[str]) -> Any:
        """The action for the first mapped key press of this frame (single-keystroke mode)."""
        for key in presses:
            for combo, action in self._entries:
                if combo == frozenset([key]):
                    return action
        return self.default_action
