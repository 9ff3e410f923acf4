"""Drive the conformance suite's studies (testkit/conformance_experiments.py) in real Chromium: a Daphne serving
them, participants taken through consent, the game and the ending, and what the server stored checked."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from experiments.gamedata.replay import episode_replay
from testkit.flowhelpers import start_in_page
from testkit.servers import DaphneProcess, database_env
from testkit.wheels import _record_line

ROOT = Path(__file__).resolve().parents[1]
MODULE = "testkit.conformance_experiments:"
SELF_HOSTED = "/static/pyodide/"
# Holds the seat's keys down in turn, each for a while (a busy machine plays fewer frames per second: any is fine).
CYCLE_KEYS = """(keys) => {
  let index = 0;
  let held = null;
  const press = () => {
    if (held) window.dispatchEvent(new KeyboardEvent("keyup", { key: held }));
    held = keys[index++ % keys.length];
    window.dispatchEvent(new KeyboardEvent("keydown", { key: held }));
    setTimeout(press, 150);
  };
  press();
}"""


def paths(*names: str) -> list[str]:
    return [MODULE + name for name in names]


@contextmanager
def conformance_server(tmp_path, names: list[str]):
    """A Daphne on the test database serving the named studies (DEBUG on, in-memory layer, local Pyodide)."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(paths(*names))}
    env.update({**database_env(), "MUG_PYODIDE_URL": SELF_HOSTED, "SDL_VIDEODRIVER": "dummy"})
    server = DaphneProcess(env, tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


def installed_wheel(distribution: str, directory: Path) -> Path:
    """The installed pure-Python `distribution` (the very files installed from PyPI) packed again as a wheel: what
    `fetch_wheels` would put in the wheelhouse, without a download."""
    dist = importlib.metadata.distribution(distribution)
    name, version = dist.metadata["Name"].replace("-", "_"), dist.version
    info = f"{name}-{version}.dist-info"
    files = {}
    for file in dist.files or []:
        parts = file.parts
        if ".." in parts or "__pycache__" in parts or file.suffix == ".pyc" or parts[-1] in ("RECORD", "INSTALLER"):
            continue
        files[file.as_posix()] = file.read_binary()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: testkit\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def self_hosted_check(*names: str, **extra: str) -> subprocess.CompletedProcess:
    """`manage.py check` as a researcher runs it against the self-hosted Pyodide (the pre-flight in Pyodide);
    `extra`: more environment variables."""
    env = {
        **os.environ,
        "MUG_EXPERIMENTS": ",".join(paths(*names)),
        "MUG_PREFLIGHT": "pyodide",
        "MUG_PYODIDE_URL": SELF_HOSTED,
        "DEBUG": "1",
        "SDL_VIDEODRIVER": "dummy",
        **extra,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def consent_and_join(context, url: str, slug: str, pid: str, keys: list[str]):
    """A participant opens the study link, consents and reaches the game (or its waiting room); its keys cycle."""
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.mug_log.append(f"uncaught: {error}"))
    # On every document the page loads: after the consent's form posts, an evaluate could still reach the consent
    # page on a busy machine, and its timer would die with it before the game page came.
    page.add_init_script(f"({CYCLE_KEYS})({json.dumps(keys)})")
    start_in_page(page, f"{url}/x/{slug}/?PROLIFIC_PID={pid}")
    page.check("input[name=consent]")
    page.click("button[value=agree]")
    return page


def reach_end(page, timeout: float = 180_000) -> None:
    """Wait for the ending (its completion code); on failure say what the page was doing."""
    try:
        page.wait_for_selector("#completion-code", timeout=timeout)
    except Exception as error:
        state = page.evaluate("JSON.stringify({game: window.mugGame, room: window.mugRoom})")
        raise AssertionError(f"{page.url} never ended: {str(state)[:2000]} {page.mug_log[-20:]}") from error


def step_rows(episode: Episode) -> list[tuple]:
    """An episode's stored rows, in frame order (what each seat's participant has on record)."""
    fields = ("frame", "actions", "rewards", "terminated", "truncated", "observations")
    return list(episode.steps.order_by("frame").values_list(*fields))


def assert_stored_and_replayed(pids: list[str]) -> list[Episode]:
    """Every participant completed with one complete episode; all seats hold the same rows; the server's replay of
    the stored actions reproduces them. Returns the episodes (one per participant)."""
    episodes = []
    for pid in pids:
        participant = Participant.objects.get(external_id=pid)
        assert participant.status == "completed", participant.status
        [episode] = Episode.objects.filter(participant=participant)
        assert episode.status == "complete", episode.status
        assert episode.n_steps > 0
        assert list(episode.steps.values_list("frame", flat=True).order_by("frame")) == list(range(episode.n_steps))
        report = episode_replay(episode=episode)
        assert report["status"] == "match", report
        episodes.append(episode)
    first = step_rows(episodes[0])
    for episode in episodes[1:]:
        assert step_rows(episode) == first, f"{episode.participant} holds other rows than {episodes[0].participant}"
    return episodes
