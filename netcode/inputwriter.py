"""Group commit for the relay: input messages from every socket of this process that arrive while one database
write runs go into the next one, so the cost per input falls as the load grows (one thread hop, one insert and
one update per batch instead of per message)."""

from __future__ import annotations

import asyncio
import weakref

from matchmaking.consumers import db
from netcode.inputstore import InputEntry, InputResult, game_inputs_store

MAX_BATCH_MESSAGES = 500  # a write never holds more (the rest wait for the next)


class InputWriter:
    def __init__(self) -> None:
        self.pending: list[tuple[InputEntry, asyncio.Future]] = []
        self.writing = False

    async def store(self, entry: InputEntry) -> InputResult:
        """The entry's result once it is stored (or refused); a database error fails the whole batch."""
        future = asyncio.get_running_loop().create_future()
        self.pending.append((entry, future))
        if not self.writing:
            self.writing = True
            asyncio.get_running_loop().create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH_MESSAGES], self.pending[MAX_BATCH_MESSAGES:]
                try:
                    results = await db(game_inputs_store)([entry for entry, _ in batch])
                except Exception as error:  # noqa: BLE001 - each waiting message reports it (the client resends)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():  # its socket may have gone meanwhile
                        future.set_result(result)
        finally:
            self.writing = False


_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def input_writer() -> InputWriter:
    """This event loop's writer (one per process in production; tests run several loops one after another)."""
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = InputWriter()
    return _writers[loop]
