"""Entry screening over HTTP: the rules, the server's own round-trip timing, forged or out-of-place requests
refused with nothing stored, the screened-out ending without a code, and no scene reachable before passing."""

from __future__ import annotations

import itertools
import json

import pytest
from django.test import Client

from experiments.definition.screening import Screening, browser_of, device_of
from experiments.flow.models import Participant, ScreeningResult, SurveyResponse
from testkit.flowhelpers import enter, page

pytestmark = pytest.mark.django_db(transaction=True)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOD = {"width": 1280, "height": 800, "webassembly": True, "touch_points": 0}


def test_devices_and_browsers_are_told_apart():
    assert (device_of(CHROME), browser_of(CHROME)) == ("desktop", "Chrome")
    assert (device_of(IPHONE), browser_of(IPHONE)) == ("mobile", "Safari")
    assert (
        browser_of(FIREFOX) == "Firefox"
        and browser_of(CHROME.replace("Chrome/131.0", "Chrome/131.0 Edg/131")) == "Edge"
    )
    ipad = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"
    assert device_of(ipad, 5) == "tablet" and device_of(ipad, 0) == "desktop"


def test_each_rule_gives_its_reason():
    rules = Screening(devices=["desktop"], browsers_allow=["Chrome"], min_width=1000, min_height=600, max_rtt_ms=100)
    base = {
        "device": "desktop",
        "browser": "Chrome",
        "width": 1200,
        "height": 700,
        "webassembly": True,
        "rtt_ms": [20, 30, 25],
    }
    assert rules.evaluate(base) == []
    assert rules.evaluate({**base, "device": "mobile"}) == ["device mobile is not allowed"]
    assert rules.evaluate({**base, "browser": "Firefox"}) == ["browser Firefox is not allowed"]
    assert rules.evaluate({**base, "width": 900, "height": None}) == [
        "window width 900 < 1000",
        "window height None < 600",
    ]
    assert rules.evaluate({**base, "webassembly": False}) == ["no WebAssembly"]
    assert rules.evaluate({**base, "rtt_ms": [90, 150, 160]}) == ["median round trip 150 ms > 100 ms"]
    assert rules.evaluate({**base, "rtt_ms": [10]}) == ["only 1 round trips measured (at least 3 needed)"]


def screened_browser(user_agent: str = CHROME) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    enter(client, "screen", PROLIFIC_PID="pat")
    return client


def pings(client: Client, count: int) -> None:
    nonce = None
    for _ in range(count + 1):
        nonce = client.post("/x/screen/screening/ping/", {"nonce": nonce}, content_type="application/json").json()[
            "nonce"
        ]


def submit(client: Client, body) -> dict:
    return client.post("/x/screen/screening/", body, content_type="application/json").json()


def round_trips_of(monkeypatch, ms: float) -> None:
    """The server's ping clock moves `ms` at each reading (and only then): every round trip it times takes `ms`."""
    from experiments.flow import screening as screening_flow

    ticks = itertools.count(start=10**12, step=int(ms * 1e6))
    monkeypatch.setattr(screening_flow, "clock_ns", lambda: next(ticks))


def test_the_screening_comes_first_and_a_pass_leads_to_the_study(monkeypatch):
    round_trips_of(monkeypatch, 40.0)
    client = screened_browser()
    assert "Checking your setup" in page(client, "screen").content.decode()
    forged = client.post("/x/screen/flow/", {"scene_key": "consent", "consent": "yes", "decision": "agree"})
    assert "Checking your setup" in forged.content.decode() and not SurveyResponse.objects.exists()
    pings(client, 5)
    assert submit(client, GOOD) == {"passed": True, "next": "/x/screen/flow/"}
    result = ScreeningResult.objects.get()
    assert result.rtt_ms == [40.0] * 5  # timed by the server
    assert result.measurements["device"] == "desktop" and result.measurements["width"] == 1280
    assert "Consent text" in page(client, "screen").content.decode()
    assert submit(client, {**GOOD, "width": 10}).get("error")  # a later submission changes nothing
    assert ScreeningResult.objects.get().passed is True


@pytest.mark.parametrize(
    ("user_agent", "body", "reason"),
    [
        (IPHONE, GOOD, "device mobile is not allowed"),
        (FIREFOX, GOOD, "browser Firefox is blocked"),
        (CHROME, {**GOOD, "width": 800}, "window width 800 < 1000"),
        (CHROME, {**GOOD, "webassembly": "yes"}, "no WebAssembly"),
        (CHROME, {**GOOD, "width": 1111}, "a window 1111 px wide"),  # the researcher's own check
    ],
)
def test_a_failed_rule_ends_the_flow_screened_out_without_a_code(user_agent, body, reason):
    client = screened_browser(user_agent)
    pings(client, 5)
    assert submit(client, body)["passed"] is False
    participant = Participant.objects.get()
    assert participant.status == "screened_out" and not hasattr(participant, "completion_code")
    assert reason in ScreeningResult.objects.get().reasons
    assert "cannot run on your device" in page(client, "screen").content.decode()


def test_round_trips_are_the_servers_and_cannot_be_forged():
    client = screened_browser()
    refused = client.post("/x/screen/screening/ping/", {"nonce": "made-up"}, content_type="application/json")
    assert refused.status_code == 409 and "not a round trip" in refused.json()["error"]
    other = Client(HTTP_USER_AGENT=CHROME)
    enter(other, "screen", PROLIFIC_PID="other")
    stolen = other.post("/x/screen/screening/ping/", {}, content_type="application/json").json()["nonce"]
    replayed = client.post("/x/screen/screening/ping/", {"nonce": stolen}, content_type="application/json")
    assert replayed.status_code == 409  # another participant's timestamp does not count here
    assert ScreeningResult.objects.get(participant__external_id="pat").rtt_ms == []
    assert submit(client, {**GOOD, "rtt_ms": [1, 1, 1]})["passed"] is False  # reported round trips are ignored
    assert "only 0 round trips" in ScreeningResult.objects.get(participant__external_id="pat").reasons[0]


def test_malformed_or_unexpected_requests_store_nothing():
    stranger = Client()
    assert stranger.post("/x/screen/screening/", GOOD, content_type="application/json").status_code == 409
    client = screened_browser()
    for body in ("[1, 2]", "not json", json.dumps({"x": "y" * 5000})):
        response = client.post("/x/screen/screening/", body, content_type="application/json")
        assert response.status_code == 409
    assert ScreeningResult.objects.filter(passed__isnull=False).count() == 0
    plain = Client()
    enter(plain, "flow", PROLIFIC_PID="p")
    assert plain.post("/x/flow/screening/", GOOD, content_type="application/json").status_code == 409
