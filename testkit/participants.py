"""Participants without a browser, for load tests and the load benchmark: each speaks the real protocol to a Daphne
process over loopback HTTP (the entry link, the pages with their CSRF tokens, consent, two single-player games played in
CPython with mug.loop and uploaded in numbered chunks exactly as the page's uploader builds them, paced at the game's
frame rate, the survey and the completion code, read twice), times each stage and records every error; then a check
that every stored record is whole (tests/reliability/test_reliability_load.py, bench/load_participants.py)."""

from __future__ import annotations

import http.client
import json
import math
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

SLUG = "load-study"
EXPERIMENT = "testkit.fixture_experiments:load_study"
SURVEY = {"fun": "4", "device": "Laptop", "notes": ""}
ARROWS = ["ArrowUp", "ArrowRight", "ArrowDown", "ArrowLeft"]
SCENE_RE = re.compile(r'data-scene="([^"]+)"')
CODE_RE = re.compile(r'id="completion-code">([^<]+)<')
START_MARK = "data-entry-start"  # the landing page's Start form
RUNTIME_RE = re.compile(r'<script id="mug-runtime" type="application/json">(.*?)</script>', re.S)
STAGES = ["enter", "consent", "begin_episode", "upload_chunk", "verify_wait", "game_done", "survey", "revisit"]
CHECK_POLL_S = 0.5  # as the page asks again while its episodes are being checked


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def json(self) -> dict:
        return json.loads(self.text)


class Browser:
    """One participant's browser: its cookies, the CSRF token, one keep-alive connection, a timeout on every wait."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        split = urlsplit(base_url)
        self.host, self.port, self.origin = split.hostname, split.port, base_url.rstrip("/")
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.reused = False
        self.requests = 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection, self.reused = None, False

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Response:
        headers = {"Origin": self.origin, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST":
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for _ in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.requests += 1
                self.connection.request(method, path, body=body, headers=headers)
                reply = self.connection.getresponse()
                text = reply.read().decode()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                retry = self.reused  # the server closed an idle keep-alive connection: a browser tries a new one
                self.close()
                if retry:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            self.reused = True
            for header in reply.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            if (reply.getheader("Connection") or "").lower() == "close":
                self.close()
            return Response(reply.status, reply.headers, text)
        raise ConnectionError("the server closed two connections in a row")

    def get(self, path: str, follow: bool = True) -> Response:
        response = self.request("GET", path)
        for _ in range(5):  # redirects, bounded
            if not follow or response.status not in (301, 302, 303):
                return response
            response = self.request("GET", urlsplit(response.headers["Location"]).path or "/")
        raise RuntimeError(f"too many redirects from {path}")

    def post_form(self, path: str, data: dict, follow: bool = True) -> Response:
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        response = self.request(
            "POST", path, urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded"
        )
        if follow and response.status in (301, 302, 303):
            return self.get(urlsplit(response.headers["Location"]).path)
        return response

    def enter(self, slug: str, query: dict | None = None) -> Response:
        """Open the study link and press Start on its landing page, as a participant does; the page it leads to."""
        landing = self.get(f"/x/{slug}/?{urlencode(query or {})}")
        if START_MARK not in landing.text:  # already bound to this browser (sent to the flow), a preview, an error
            return landing
        return self.post_form(f"/x/{slug}/", query or {})

    def post_json(self, path: str, data) -> Response:
        return self.request("POST", path, json.dumps(data).encode(), "application/json")


def scene_of(response: Response) -> str | None:
    match = SCENE_RE.search(response.text)
    return match.group(1) if match else None


def code_of(response: Response) -> str | None:
    match = CODE_RE.search(response.text)
    return match.group(1).strip() if match else None


def runtime_of(response: Response) -> dict:
    match = RUNTIME_RE.search(response.text)
    if not match:
        raise AssertionError("the page is not a game scene")
    return json.loads(match.group(1))


@dataclass
class Outcome:
    """What one participant did and saw: timings per stage, errors, the code shown, the rows acknowledged."""

    pid: str
    timings: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    code: str | None = None
    code_again: str | None = None
    rows: dict[int, int] = field(default_factory=dict)  # episode index -> rows acknowledged
    chunks: dict[int, int] = field(default_factory=dict)
    requests: int = 0


class Participant:
    """One participant through the load study, as a browser does it; every wait bounded by the HTTP timeout."""

    def __init__(self, base_url: str, pid: str, fps: float, seed: int, slug: str = SLUG, timeout: float = 60.0):
        self.browser = Browser(base_url, timeout)
        self.slug, self.fps = slug, fps
        self.rng = random.Random(seed)
        self.outcome = Outcome(pid)
        self.flow = f"/x/{slug}/flow/"

    def step(self, stage: str, call, status: int = 200, scene: str | None = None) -> Response:
        """One request (and its redirect) of a stage, timed as the participant waits for it; the page must be the
        expected one."""
        self.stage = stage
        began = time.perf_counter()
        response = call()
        self.outcome.timings.append((stage, time.perf_counter() - began))
        if response.status != status or (scene is not None and scene_of(response) != scene):
            shown = scene_of(response)
            raise AssertionError(
                f"expected {status} {scene or ''}, got {response.status} {shown} {response.text[:200]}"
            )
        return response

    def run(self) -> Outcome:
        browser, flow = self.browser, self.flow
        self.stage = "enter"
        try:
            query = {"PROLIFIC_PID": self.outcome.pid, "STUDY_ID": "load", "SESSION_ID": self.outcome.pid}
            self.step("enter", lambda: browser.enter(self.slug, query), scene="consent")
            consent = {"scene_key": "consent", "consent": "yes", "decision": "agree"}
            game = self.step("consent", lambda: browser.post_form(flow, consent), scene="game")
            self.play(runtime_of(game))
            self.step("game_done", lambda: browser.post_form(flow, {"scene_key": "game"}), scene="survey")
            end = self.step("survey", lambda: browser.post_form(flow, {"scene_key": "survey", **SURVEY}))
            self.outcome.code = code_of(end)
            self.outcome.code_again = code_of(self.step("revisit", lambda: browser.get(flow)))
            if not self.outcome.code or self.outcome.code != self.outcome.code_again:
                raise AssertionError(f"codes shown: {self.outcome.code!r}, then {self.outcome.code_again!r}")
        except Exception as error:  # noqa: BLE001 (every failure is counted and reported, never hidden)
            self.outcome.errors.append(f"{self.stage}: {type(error).__name__}: {error}"[:500])
        finally:
            browser.close()
            self.outcome.requests = browser.requests
        return self.outcome

    def keys(self, frame: int) -> list[str]:
        if frame % 10 == 0:
            self.held = [self.rng.choice(ARROWS)] if self.rng.random() < 0.8 else []
        return self.held

    def play(self, config: dict) -> None:
        """Begin each episode, play it in CPython and upload its chunks as the game's frames come, in order."""
        from testkit.gameclient import episode_chunks

        begin = {"scene_key": config["scene_key"]}
        config = {**config, "loop": {**config["loop"], "render_mode": None}}  # the same rows, nothing drawn
        for milestone in ("ready", "start"):  # as the page tells the server (else its load deadline ends the game)
            said = self.browser.post_json(config["milestone_url"], {**begin, "milestone": milestone})
            if said.status != 200:
                raise AssertionError(f"milestone {milestone} answered {said.status} {said.text[:200]}")
        for _ in range(config["num_episodes"] + 2):  # the server says when every episode is done
            begun = self.step("begin_episode", lambda: self.browser.post_json(config["episode_url"], begin)).json()
            if begun["done"]:
                self.wait_for_check(config["episode_url"], begin, begun)
                return
            index, started, self.held = begun["episode"], time.monotonic(), []
            for chunk in episode_chunks(config, index, begun["seed"], keys=self.keys):
                if self.fps:  # a chunk is sealed when its last frame has been played
                    last = chunk["first_frame"] + len(chunk["rows"])
                    time.sleep(max(0.0, started + last / self.fps - time.monotonic()))
                ack = self.step("upload_chunk", lambda c=chunk: self.browser.post_json(config["data_url"], c)).json()
                if ack["ack"] != chunk["number"] or ack["duplicate"]:
                    raise AssertionError(f"chunk {chunk['number']} of episode {index} acknowledged as {ack}")
                self.outcome.rows[index] = self.outcome.rows.get(index, 0) + len(chunk["rows"])
                self.outcome.chunks[index] = self.outcome.chunks.get(index, 0) + 1
        raise AssertionError("the server never said the game was done")

    def wait_for_check(self, url: str, begin: dict, begun: dict) -> None:
        """As the page does ("Checking your game data…"): ask until no episode is being checked; the wait is timed
        from the first answer that said every episode was played."""
        began = time.perf_counter()
        deadline = time.monotonic() + 120
        while begun.get("checking"):
            if time.monotonic() > deadline:
                raise AssertionError(f"episodes still being checked after 120 s: {begun}")
            time.sleep(CHECK_POLL_S)
            begun = self.browser.post_json(url, begin).json()
        self.outcome.timings.append(("verify_wait", time.perf_counter() - began))


def run_load(
    base_url: str | list[str], participants: int, arrival_s: float, fps: float, tag: str = "p"
) -> list[Outcome]:
    """`participants` clients, arriving evenly over `arrival_s`, each on its own thread; with several servers,
    spread over them in turn as a load balancer does."""
    start = time.monotonic() + 0.2
    urls = [base_url] if isinstance(base_url, str) else base_url

    def one(index: int) -> Outcome:
        time.sleep(max(0.0, start + arrival_s * index / participants - time.monotonic()))
        return Participant(urls[index % len(urls)], f"{tag}{index}", fps, seed=index).run()

    with ThreadPoolExecutor(participants) as pool:
        return list(pool.map(one, range(participants)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")


def summarize(outcomes: list[Outcome]) -> dict:
    stages = {}
    for stage in STAGES:
        ms = [seconds * 1000 for o in outcomes for name, seconds in o.timings if name == stage]
        if ms:
            stages[stage] = {
                "n": len(ms),
                "p50_ms": round(percentile(ms, 50), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "max_ms": round(max(ms), 1),
            }
    errors = [f"{o.pid} {error}" for o in outcomes for error in o.errors]
    rows, requests = sum(sum(o.rows.values()) for o in outcomes), sum(o.requests for o in outcomes)
    return {
        "participants": len(outcomes),
        "errors": len(errors),
        "error_samples": errors[:10],
        "stages": stages,
        "rows": rows,
        "requests": requests,
    }


def check_records(outcomes: list[Outcome], slug: str = SLUG, episodes: int = 2) -> list[str]:
    """What is wrong with the stored records (empty: every participant completed, every episode complete with each of
    its steps once and as many as were acknowledged, the survey answered, one code each, the code that was shown)."""
    from django.db.models import Count, Max

    from experiments.flow.models import CompletionCode, Participant, SurveyResponse
    from experiments.gamedata.models import COMPLETE, VERIFIED, Episode

    problems = []
    people = {p.external_id: p for p in Participant.objects.filter(experiment__slug=slug)}
    codes: dict[int, list[str]] = {}
    for participant_id, code in CompletionCode.objects.filter(participant__experiment__slug=slug).values_list(
        "participant_id", "code"
    ):
        codes.setdefault(participant_id, []).append(code)
    for outcome in outcomes:
        person = people.get(outcome.pid)
        if person is None:
            problems.append(f"{outcome.pid}: no participant stored")
            continue
        if person.status != "completed":
            problems.append(f"{outcome.pid}: status {person.status}")
        if codes.get(person.pk) != [outcome.code] or outcome.code_again != outcome.code:
            problems.append(
                f"{outcome.pid}: codes stored {codes.get(person.pk)}, shown {outcome.code}, {outcome.code_again}"
            )
        stored = Episode.objects.filter(participant=person).order_by("index")
        steps = stored.annotate(
            rows=Count("steps", distinct=True),
            frames=Count("steps__frame", distinct=True),
            last=Max("steps__frame"),
            parts=Count("chunks", distinct=True),
        )
        found = [(e.index, e.status, e.n_steps, e.rows, e.frames, e.last, e.parts) for e in steps]
        if len(found) != episodes:
            problems.append(f"{outcome.pid}: {len(found)} episodes stored: {found}")
        unverified = stored.exclude(verification=VERIFIED).values_list("index", "verification")
        if unverified:
            problems.append(f"{outcome.pid}: episodes not verified: {list(unverified)}")
        for index, status, n_steps, rows, frames, last, parts in found:
            sent = outcome.rows.get(index)
            whole = rows == frames == n_steps == sent and last == n_steps - 1 and parts == outcome.chunks.get(index)
            if status != COMPLETE or not whole:
                problems.append(
                    f"{outcome.pid}: episode {index} {status}, n_steps {n_steps}, rows {rows}, frames "
                    f"{frames}, last {last}, chunks {parts}; acknowledged {sent} rows"
                )
        answers = dict(SurveyResponse.objects.filter(participant=person).values_list("question_id", "value"))
        if str(answers.get("fun")) != SURVEY["fun"] or answers.get("device") != SURVEY["device"]:
            problems.append(f"{outcome.pid}: survey answers {answers}")
    return problems
