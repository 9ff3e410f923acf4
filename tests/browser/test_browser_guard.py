"""The test browser's guard: a page or a worker that reaches beyond this machine is refused and recorded."""

from __future__ import annotations

import pytest

from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# TEST-NET-1 (RFC 5737): an address literal, so no name resolution stands in the way; nothing there answers anyway.
OUTSIDE = "192.0.2.1"

ATTEMPTS = f"""async () => {{
    const outcome = async (promise) => promise.then(r => `status ${{r.status}}`, e => `failed: ${{e}}`);
    const page = await outcome(fetch("http://{OUTSIDE}/from-page"));
    const source = `fetch("https://{OUTSIDE}/from-worker").then(r => postMessage("status " + r.status),
        e => postMessage("failed: " + e)); new WebSocket("ws://{OUTSIDE}:8080/socket");`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], {{type: "text/javascript"}})));
    const fromWorker = await new Promise(resolve => {{ worker.onmessage = (e) => resolve(e.data); }});
    return [page, fromWorker];
}}"""


def test_requests_off_this_machine_from_a_page_and_a_worker_are_refused_and_recorded(server_url, chromium_context):
    page = chromium_context.new_page()
    url = f"{server_url}/__guard__"  # a page of our own: no content security policy stands before the guard
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body="<title>guard</title>"))
    page.goto(url)
    outcomes = page.evaluate(ATTEMPTS)
    assert all(outcome.startswith("failed") or outcome == "status 403" for outcome in outcomes), outcomes
    escaped = chromium_context.mug_escaped
    poll_until(lambda: any("8080" in line for line in escaped))  # the worker's socket is opened asynchronously
    record = " ".join(escaped)
    assert f"http://{OUTSIDE}/from-page" in record
    assert f"{OUTSIDE}:443" in record  # the worker's https request, as a CONNECT
    assert f"{OUTSIDE}:8080" in record  # the worker's socket
    assert url in chromium_context.mug_requests
    escaped.clear()  # recorded as it should be: the guard would otherwise fail this test on leaving the context
