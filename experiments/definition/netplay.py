"""How a multi-human scene plays over the network (part of the researcher's GymScene): rollback and dropouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mug.rollback import DEFAULT, REPEAT_LAST

BROWSER = "browser"  # where a GymScene's env steps: in every participant's browser (rollback for groups)
SERVER = "server"  # or on the server (netcode/server/)


@dataclass(frozen=True)
class WaitForReturn:
    """Keep the game paused for the others until the absent participant comes back."""

    kind = "wait"


@dataclass(frozen=True)
class ReplaceWithAI:
    """An AI policy ("random" or a PythonPolicy; an OnnxPolicy in server-side scenes) plays the absent participant's
    agent from the dropout frame."""

    policy: Any = "random"
    kind = "ai"


@dataclass(frozen=True)
class ContinueWithout:
    """The others play on; the absent participant's agent takes the default action (short-handed)."""

    kind = "idle"


@dataclass(frozen=True)
class EndForAll:
    """End the game for everyone: the others get the "partner dropped" outcome and its code."""

    kind = "end"


@dataclass
class Netcode:
    """Rollback settings of a multi-human scene.

    `input_delay` frames hide that much latency without any rollback; `window` is the furthest a browser runs
    ahead of the last frame whose inputs it has (it pauses beyond, never guesses further); `predict` is what a
    missing input is guessed to be ("repeat" the player's last input, or the "default" action). A participant
    whose tab is hidden or whose connection is gone is shown as lagging after `lagging_s`, and after
    `dropout_s` the scene's `on_dropout` applies, from the first frame the server has no input of theirs for.
    A participant whose page is loading the game (after a reload, or before the first frame: the page's socket says
    so before Python is ready) gets `load_grace_s` instead: Python can take far longer to boot than a partner
    should wait for a lost connection. The first frame waits until every seat's game is loaded.
    A page that says it is unloading (a reload, or a closed tab) is held for `unload_grace_s` after it left, within
    which its next page's loading hello should come; after it the rules above apply (a closed tab is dropped then).
    """

    input_delay: int = 2
    window: int = 8
    predict: str = REPEAT_LAST
    lagging_s: float = 0.75
    dropout_s: float = 10.0
    load_grace_s: float = 90.0
    unload_grace_s: float = 15.0
    on_dropout: WaitForReturn | ReplaceWithAI | ContinueWithout | EndForAll = field(default_factory=EndForAll)

    def problems(self) -> list[str]:
        found = []
        if not 0 <= self.input_delay <= 10:
            found.append("netcode.input_delay must be between 0 and 10 frames")
        if not 1 <= self.window <= 30:
            found.append("netcode.window must be between 1 and 30 frames")
        if self.predict not in (REPEAT_LAST, DEFAULT):
            found.append(f"netcode.predict must be {REPEAT_LAST!r} or {DEFAULT!r}")
        if not 0 < self.lagging_s < self.dropout_s:
            found.append("netcode needs 0 < lagging_s < dropout_s")
        if not self.load_grace_s > 0:
            found.append("netcode.load_grace_s must be positive")
        if not self.unload_grace_s > 0:
            found.append("netcode.unload_grace_s must be positive")
        return found

    def client(self) -> dict[str, Any]:
        """What the browser needs (the dropout policy itself is applied by the server)."""
        return {
            "input_delay": self.input_delay,
            "window": self.window,
            "predict": self.predict,
            "lagging_s": self.lagging_s,
            "on_dropout": self.on_dropout.kind,  # the page says what plays for a partner who left
        }

    def describe(self) -> dict[str, Any]:
        return {
            **self.client(),
            "dropout_s": self.dropout_s,
            "load_grace_s": self.load_grace_s,
            "unload_grace_s": self.unload_grace_s,
        }
