"""One participant cannot take the server down over HTTP: bodies refused by size and time before they are read,
entry only by an explicit, rate-limited start, quota slots not held by anonymous starts, malformed ids and numbers
refused with a clear answer (all against a production-like Daphne, with plain sockets and urllib)."""

from __future__ import annotations

import json
import socket

import pytest

from tests.fixture_experiments import PATHS
from tests.servers import production_daphne

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
