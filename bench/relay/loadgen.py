"""Relay load generator: N two-player games, 30 inputs/s per client, one-way latency timed inside this one process."""

# Stdlib only at import time: this module runs in the project's venv and in the anchor's.
from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import itertools
import json
import math
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

RATE_HZ = 30
PERIOD = 1 / RATE_HZ
SLOTS = 33  # send slots spread evenly over one period, so the load is smooth rather than 30 bursts a second
WINDOW_MARK = "RELAY-WINDOW"  # stderr marker the driver samples server CPU on


class Client(Protocol):
    """One player's connection, as a target module's make_pair returns it."""

    on_partner_input: Callable[[int], None] | None

    async def send_input(self, frame: int) -> None: ...


@dataclass
class Stream:
    """One client's inputs: when each frame was due and sent, and when its partner received it."""

    due: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    got: dict[int, float] = field(default_factory=dict)
    send_errors: int = 0

    def receiver(self) -> Callable[[int], None]:
        got, now = self.got, time.monotonic

        def on_partner_input(frame: int) -> None:
            if frame >= 0 and frame not in got:
                got[frame] = now()

        return on_partner_input


class SetupError(RuntimeError):
    pass


async def setup(module, url: str, games: int, concurrency: int, timeout: float) -> list:
    """Connect every pair, `concurrency` at a time; fail the run if any pair doesn't come up within `timeout`."""
    gate = asyncio.Semaphore(concurrency)

    async def one(game: int):
        async with gate:
            return await asyncio.wait_for(module.make_pair(url, game), timeout)

    results = await asyncio.gather(*(one(g) for g in range(games)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        await close_all([c for r in results if not isinstance(r, BaseException) for c in r])
        raise SetupError(f"{len(errors)} of {games} pairs failed to set up, first: {errors[0]!r}")
    return [client for pair in results for client in pair]


async def send_slot(members: list, offset: float, start: float, stop: float) -> None:
    """Send one input per member every period, from start + offset until stop; record due and actual send time."""
    for k in itertools.count():
        due = start + offset + k * PERIOD
        if due >= stop:
            return
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        for client, stream in members:
            stream.due.append(due)
            stream.sent.append(time.monotonic())
            try:
                await client.send_input(len(stream.sent) - 1)
            except Exception:  # a dropped connection: its inputs count as lost, the others go on
                stream.send_errors += 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


def mark(what: str) -> None:
    print(f"{WINDOW_MARK} {what}", file=sys.stderr, flush=True)


async def drive(clients: list, warmup: float, measure: float, drain: float) -> tuple[list[Stream], tuple, float]:
    """Run the load; return the streams, the measured window and the generator's CPU % over it."""
    streams = [Stream() for _ in clients]
    for index, client in enumerate(clients):
        # Clients come in pairs (2g, 2g+1): what a client receives is its partner's input.
        client.on_partner_input = streams[index ^ 1].receiver()
    start = time.monotonic() + 0.2
    window = (start + warmup, start + warmup + measure)
    slots = [[] for _ in range(SLOTS)]
    for index, pair in enumerate(zip(clients, streams, strict=True)):
        # Even spread at any N: with few clients each gets its own slot, evenly spaced over the period.
        slots[index * SLOTS // len(clients)].append(pair)
    tasks = [
        asyncio.create_task(send_slot(members, i * PERIOD / SLOTS, start, window[1]))
        for i, members in enumerate(slots)
        if members
    ]
    await sleep_until(window[0])
    mark("start")
    cpu0 = cpu_seconds()
    await sleep_until(window[1])
    mark("end")
    gen_cpu = (cpu_seconds() - cpu0) / measure * 100
    # A generator that fell behind is still sending; what it sends after the window isn't measured anyway.
    _, behind = await asyncio.wait(tasks, timeout=drain)
    for task in behind:
        task.cancel()
    await sleep_until(window[1] + drain)
    return streams, window, gen_cpu


def percentile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile of a sorted list, in ms."""
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000, 3)


def summarize(streams: list[Stream], window: tuple[float, float]) -> dict:
    latency, lateness, lost = [], [], 0
    for stream in streams:
        for frame, sent in enumerate(stream.sent):
            if not window[0] <= sent < window[1]:
                continue
            lateness.append(sent - stream.due[frame])
            got = stream.got.get(frame)
            if got is None:
                lost += 1
            else:
                latency.append(got - sent)
    latency.sort()
    lateness.sort()
    measure = window[1] - window[0]
    return {
        "sent": len(lateness),
        "delivered": len(latency),
        "lost": lost,
        "p50_ms": percentile(latency, 0.50),
        "p95_ms": percentile(latency, 0.95),
        "p99_ms": percentile(latency, 0.99),
        "max_ms": percentile(latency, 1.0),
        "mean_ms": round(sum(latency) / len(latency) * 1000, 3) if latency else None,
        "delivered_per_s": round(len(latency) / measure, 1),
        "send_errors": sum(stream.send_errors for stream in streams),
        "late_p50_ms": percentile(lateness, 0.50),
        "late_p99_ms": percentile(lateness, 0.99),
        "late_max_ms": percentile(lateness, 1.0),
    }


async def close_all(clients: list, timeout: float = 10) -> None:
    closers = [client.close() for client in clients if hasattr(client, "close")]
    if closers:
        try:
            await asyncio.wait_for(asyncio.gather(*closers, return_exceptions=True), timeout)
        except TimeoutError:
            print("loadgen: clients did not close in time", file=sys.stderr)


async def main(args: argparse.Namespace, loop_name: str) -> int:
    head = {"target": args.target, "games": args.games, "clients": 2 * args.games, "loop": loop_name}
    head |= {"warmup_s": args.warmup, "measure_s": args.measure, "drain_s": args.drain}
    module = importlib.import_module(f"bench.relay.{args.target}_target")
    began = time.monotonic()
    try:
        clients = await setup(module, args.url, args.games, args.setup_concurrency, args.setup_timeout)
    except SetupError as error:
        print(json.dumps(head | {"error": str(error)}), flush=True)
        return 2
    head["setup_s"] = round(time.monotonic() - began, 2)
    # Start-up garbage is never freed; freezing it keeps the generator's own full collections out of the latencies.
    gc.collect()
    gc.freeze()
    streams, window, gen_cpu = await drive(clients, args.warmup, args.measure, args.drain)
    print(json.dumps(head | summarize(streams, window) | {"gen_cpu_pct": round(gen_cpu, 1)}), flush=True)
    await close_all(clients)
    return 0


def loop_factory() -> tuple[Callable | None, str]:
    try:
        import uvloop
    except ImportError:
        return None, "asyncio"
    return uvloop.new_event_loop, "uvloop"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True, help="anchor, echo or mug (module bench.relay.<target>_target)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--games", type=int, required=True)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--measure", type=float, default=15)
    parser.add_argument("--drain", type=float, default=2)
    parser.add_argument("--setup-concurrency", type=int, default=8)
    parser.add_argument("--setup-timeout", type=float, default=30, help="seconds for one pair to come up")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    factory, name = loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        sys.exit(runner.run(main(arguments, name)))
