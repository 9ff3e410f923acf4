"""One participant cannot take the server down over HTTP: bodies refused by size and time before they are read,
entry only by an explicit, rate-limited start, quota slots not held by anonymous starts, malformed ids and numbers
refused with a clear answer (all against a production-like Daphne, with plain sockets and urllib)."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlencode

import pytest

from experiments.flow.models import Participant, SurveyResponse
from testkit.fixture_experiments import PATHS
from testkit.participants import Browser, scene_of
from testkit.servers import production_daphne
from testkit.uploads import CHUNK, ROW

ANSWER_WAIT_S = 30  # generous: the server answers at once; without the fix it never does


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the HTTP answer on `sock` (AssertionError if none comes)."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers = {name.lower(): value for name, value in headers.items()}
        while len(body) < int(headers.get("content-length", 0)):
            part = sock.recv(65536)
            if not part:
                break
            body += part
    except TimeoutError:
        raise AssertionError(f"no answer within {ANSWER_WAIT_S} s (got {data[:200]!r})") from None
    assert lines[0].startswith("HTTP/1.1 "), data[:200]
    return int(lines[0].split()[1]), headers, body


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_WAIT_S)
    return sock


def head(method: str, path: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines, "", ""]).encode()


def server_rss_kb(server) -> int:
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.parametrize("concurrency", ["8", "0"], ids=["bridge", "django-asgi-handler"])
def test_a_2gb_content_length_is_refused_before_any_of_its_body_is_sent(tmp_path, transactional_db, concurrency):
    with production_daphne(tmp_path, PATHS, MUG_HTTP_CONCURRENCY=concurrency) as server:
        before = server_rss_kb(server)
        with connect(server) as sock:  # a JSON endpoint: the answer is JSON
            sock.sendall(head("POST", "/x/flow/data/", "Content-Type: application/json", "Content-Length: 2000000000"))
            status, headers, body = read_answer(sock)  # nothing of the body was sent
        assert status == 413 and headers["content-type"].startswith("application/json")
        assert "at most 2000000" in json.loads(body)["error"]
        with connect(server) as sock:  # a page: the answer is a page
            sock.sendall(head("POST", "/x/flow/", "Content-Length: 2000000000", "Expect: 100-continue"))
            status, headers, body = read_answer(sock)
        assert status == 413 and headers["content-type"].startswith("text/html") and b"at most 1000000" in body
        assert b"100 Continue" not in body
        assert server_rss_kb(server) < before + 50_000


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(prod_server):
    chunk = b"x" * 65536
    with connect(prod_server) as sock:
        sock.sendall(head("POST", "/x/flow/episodes/", "Content-Type: application/json", "Transfer-Encoding: chunked"))
        try:
            for _ in range(1_000_000 // len(chunk) + 3):  # just past 1 MB, and never the final empty chunk
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server stopped reading: its answer is waiting
        status, headers, body = read_answer(sock)
    assert status == 413 and "the most this address takes" in json.loads(body)["error"]


def test_a_body_that_trickles_in_is_timed_out(tmp_path, transactional_db):
    with production_daphne(tmp_path, PATHS, MUG_BODY_TIMEOUT_S="1") as server, connect(server) as sock:
        sock.sendall(head("POST", "/x/flow/monitor/", "Content-Type: application/json", "Content-Length: 100"))
        sock.sendall(b'{"event": ')  # and then nothing more
        status, headers, body = read_answer(sock)
    assert status == 408 and "within 1 seconds" in json.loads(body)["error"]


def test_a_slow_request_line_and_headers_are_timed_out_too(tmp_path, transactional_db):
    with production_daphne(tmp_path, PATHS, MUG_BODY_TIMEOUT_S="1") as server, connect(server) as sock:
        sock.sendall(b"GET /x/flow/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        status, _, _ = read_answer(sock)
    assert status == 408


def test_a_step_chunk_upload_over_the_page_limit_still_reaches_django(prod_server):
    body = b'{"pad": "' + b"x" * 1_500_000 + b'"}'  # over MUG_MAX_BODY_BYTES, under MUG_MAX_UPLOAD_BYTES
    with connect(prod_server) as sock:
        sock.sendall(head("POST", "/x/flow/data/", "Content-Type: application/json", f"Content-Length: {len(body)}"))
        sock.sendall(body)
        status, _, answer = read_answer(sock)
    assert status == 403 and b"CSRF" in answer  # Django read it whole and answered (no token, no session)


PID = "5f1a2b3c4d5e6f7a8b9c0d1e"  # a real-format Prolific id
STRICT = {"MUG_STRICT_RECRUITMENT_IDS": "1"}  # the production default (the suite's servers run loose)


def test_plain_gets_of_the_entry_link_create_nobody(prod_server):
    for query in (
        {},
        {"PROLIFIC_PID": PID, "STUDY_ID": "s", "SESSION_ID": "t"},
        {"workerId": "A1", "assignmentId": "B2"},
    ):
        for _ in range(5):  # a link preview, a crawler, a reload
            page = Browser(prod_server.url).get(f"/x/flow/?{urlencode(query)}")
            assert page.status == 200 and "data-entry-start" in page.text and 'name="csrfmiddlewaretoken"' in page.text
            assert all(f'name="{name}" value="{value}"' in page.text for name, value in query.items())
    assert not Participant.objects.exists()


def test_the_start_post_creates_one_participant_and_a_bound_browser_skips_the_landing(prod_server):
    browser = Browser(prod_server.url)
    assert scene_of(browser.enter("flow", {"PROLIFIC_PID": PID})) == "welcome"
    assert Participant.objects.count() == 1
    again = browser.get(f"/x/flow/?PROLIFIC_PID={PID}")  # the study link again: straight back to the flow
    assert scene_of(again) == "welcome" and Participant.objects.count() == 1
    forged = Browser(prod_server.url)  # a start without the landing page's CSRF token
    assert forged.request("POST", "/x/flow/", b"", "application/x-www-form-urlencoded").status == 403
    assert Participant.objects.count() == 1


def test_starts_are_rate_limited_per_client_address(tmp_path, transactional_db):
    with production_daphne(tmp_path, PATHS, MUG_ENTRY_LIMIT="3") as server:
        for _ in range(3):
            assert scene_of(Browser(server.url).enter("flow")) == "welcome"
        browser = Browser(server.url)
        browser.get("/x/flow/")
        refused = browser.post_form("/x/flow/", {})
        assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
        assert "Too many studies were started from your network" in refused.text
        spoof = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)  # a forged proxy header does not
        cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())  # make another address (no proxy is
        headers = {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"}  # trusted by default)
        spoof.request("POST", "/x/flow/", _form(browser), {**headers, "X-Forwarded-For": "203.0.113.9"})
        assert spoof.getresponse().status == 429
        assert Participant.objects.count() == 3
        other = Browser(server.url)  # another address (127.0.0.2 is loopback too) still starts
        other.connection = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=60, source_address=("127.0.0.2", 0)
        )
        assert scene_of(other.enter("flow")) == "welcome"
        assert Participant.objects.count() == 4


def _form(browser: Browser) -> bytes:
    return urlencode({"csrfmiddlewaretoken": browser.cookies["csrftoken"]}).encode()


def test_quota_slots_are_held_from_consent_not_by_anonymous_starts(prod_server):
    idle = [Browser(prod_server.url) for _ in range(4)]
    for browser in idle:  # four starts that never consent (the quota is two)
        assert scene_of(browser.enter("consent-quota")) == "consent"
    consenting = [Browser(prod_server.url) for _ in range(2)]
    for browser in consenting:
        assert scene_of(browser.enter("consent-quota")) == "consent"
        consent = {"scene_key": "consent", "consent": "yes", "decision": "agree"}
        assert scene_of(browser.post_form("/x/consent-quota/flow/", consent)) == "intro"
    late = Browser(prod_server.url).enter("consent-quota")  # two hold slots now: full
    assert late.status == 403 and "has all the participants it needs" in late.text
    assert Participant.objects.count() == 6
    consent = {"scene_key": "consent", "consent": "yes", "decision": "agree"}
    too_late = idle[0].post_form("/x/consent-quota/flow/", consent)  # an early start consents after it filled up
    assert too_late.status == 400 and "just filled up" in too_late.text and scene_of(too_late) == "consent"
    assert SurveyResponse.objects.filter(question_id="consent").count() == 2  # nothing stored for the late one


def test_integers_past_float_range_are_refused_with_a_400(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("game", {"PROLIFIC_PID": "overflow"})
    assert browser.post_json("/x/game/episodes/", {"scene_key": "play"}).json()["done"] is False
    for row in ({**ROW, "rewards": {"chaser": 10**400, "runner": 0}}, {**ROW, "t": -(10**400)}):
        refused = browser.post_json("/x/game/data/", {**CHUNK, "rows": [row]})
        assert refused.status == 400 and "within float range" in refused.json()["error"]
    accepted = browser.post_json("/x/game/data/", CHUNK)  # nothing of the refused chunks was kept
    assert accepted.status == 200 and accepted.json()["duplicate"] is False


@pytest.mark.parametrize(
    "query",
    [
        {"PROLIFIC_PID": "alice"},
        {"PROLIFIC_PID": PID[:-1]},
        {"PROLIFIC_PID": PID + "0"},
        {"PROLIFIC_PID": PID[:-1] + "g"},
        {"workerId": "a1worker", "assignmentId": "3ASSIGN"},
        {"workerId": "A1WORKER", "assignmentId": "3" * 65},
    ],
)
def test_malformed_recruitment_ids_get_a_clear_400_and_store_nothing(tmp_path, transactional_db, query):
    with production_daphne(tmp_path, PATHS, **STRICT) as server:
        browser = Browser(server.url)
        page = browser.get(f"/x/flow/?{urlencode(query)}")
        assert page.status == 400 and "This study link is incomplete or malformed" in page.text
        browser.get("/x/flow/")  # a CSRF token from the plain landing page, then a start with the bad id
        started = browser.post_form("/x/flow/", query)
        assert started.status == 400 and "malformed" in started.text
        assert not Participant.objects.exists()
        assert scene_of(Browser(server.url).enter("flow", {"PROLIFIC_PID": PID.upper()})) == "welcome"


def test_a_screening_pass_takes_a_quota_slot_and_the_next_pass_finds_it_full(prod_server):
    first, second = Browser(prod_server.url), Browser(prod_server.url)
    for browser in (first, second):  # both start while the place is open: a start holds nothing
        assert browser.enter("screen-quota").status == 200
    measured = {"width": 1280, "height": 800, "webassembly": True, "touch_points": 0}
    assert first.post_json("/x/screen-quota/screening/", measured).json()["passed"] is True
    assert second.post_json("/x/screen-quota/screening/", measured).json()["passed"] is False
    late = Participant.objects.get(screening__passed=False)
    assert late.status == "screened_out" and late.screening.reasons == [
        "the study filled up while you were being screened"
    ]
    assert Participant.objects.filter(status="active", screening__passed=True).count() == 1
