"""Group commit for the relay: input messages from every socket of this process that arrive while one database
write runs go into the next one, so the cost per input falls as the load grows (one thread hop, one insert and
one update per batch instead of per message)."""

from __future__ import annotations

import asyncio
import logging
import weakref

from django.db import OperationalError

from experiments.flow.sockets import db
from netcode.input_store import InputEntry, InputResult, game_inputs_store

MAX_BATCH_MESSAGES = 500  # a write never holds more (the rest wait for the next)
logger = logging.getLogger(__name__)


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
                await self._write(batch)
        finally:
            self.writing = False

    async def _write(self, batch: list[tuple[InputEntry, asyncio.Future]]) -> None:
        try:
            results = await db(game_inputs_store)([entry for entry, _ in batch])
        except OperationalError as error:  # the database itself (locked, restarting): each client resends
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except Exception as error:  # noqa: BLE001 - a message the checks let through and the store chokes on
            if len(batch) == 1:
                logger.warning("input of seat %s not stored: %r", batch[0][0].seat_id, error)
                if not batch[0][1].done():
                    batch[0][1].set_exception(error)
                return
            for one in batch:  # each message alone: only the one that fails reports it, the others are stored
                await self._write([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # its socket may have gone meanwhile
                future.set_result(result)


_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def input_writer() -> InputWriter:
    """This event loop's writer (one per process in production; tests run several loops one after another)."""
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = InputWriter()
    return _writers[loop]
