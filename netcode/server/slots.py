"""This machine's game-process slots: at most MUG_MAX_SERVER_GAMES server-game processes run at once across every
web process on the machine. A slot is a lock file held while its game's process runs; the OS frees it when the
holder exits or dies, so a crashed web process never leaks one."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def slot_limit() -> int:
    """MUG_MAX_SERVER_GAMES, or by default two per CPU (a light env's process idles between frames)."""
    return settings.MUG_MAX_SERVER_GAMES or 2 * (os.cpu_count() or 1)


def slot_dir() -> Path:
    """MUG_SERVER_GAME_SLOTS_DIR, or a directory of this installation's own in the system's temporary directory
    (shared by its web processes on this machine, apart from another checkout's)."""
    if settings.MUG_SERVER_GAME_SLOTS_DIR:
        return Path(settings.MUG_SERVER_GAME_SLOTS_DIR)
    tag = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"mug-game-slots-{tag}"


class Slot:
    """A held slot; `release` gives it back (once)."""

    def __init__(self, fd: int, index: int) -> None:
        self.fd, self.index = fd, index

    def release(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)  # closing the file drops its lock
            self.fd = -1


def slot_take() -> Slot | None:
    """A free slot of this machine, or None when every one is held (nothing waits here)."""
    directory = slot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(slot_limit()):
        fd = os.open(directory / f"slot-{index}", os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(fd, index)
    return None
