"""A participant's browser as plain HTTP (urllib and a cookie jar) against a real server: it sends only what a page
would (its cookies, Django's CSRF token), so the server has nothing more to trust than from any attacker."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
POST_FORM_RE = re.compile(r'<form[^>]*method="post"[^>]*>', re.I)
ACTION_RE = re.compile(r'action="([^"]*)"')


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    url: str

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.text)


class Browser:
    """One browser: its own cookie jar; redirects followed like a browser does."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        url = path if path.startswith("http") else self.base + path
        headers = {"Referer": self.base + "/", **(headers or {})}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (loopback http)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Reply(response.status, response.read(), dict(response.headers), response.url)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers), url)

    def get(self, path: str, **query) -> Reply:
        return self.request("GET", path + ("?" + urllib.parse.urlencode(query) if query else ""))

    def csrf(self) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), "")

    def post_form(self, path: str, fields: dict) -> Reply:
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **fields}, doseq=True).encode()
        return self.request("POST", path, data, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, payload) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", "X-CSRFToken": self.csrf()})

    def enter(self, slug: str, **query) -> Reply:
        """Open the entry link; if it shows a landing page with a form, submit it as the participant would."""
        reply = self.get(f"/x/{slug}/", **query)
        at_flow = urllib.parse.urlsplit(reply.url).path == f"/x/{slug}/flow/"  # a bound browser goes straight there
        form = POST_FORM_RE.search(reply.text) if reply.status == 200 and not at_flow else None
        if form is None:
            return reply
        action = ACTION_RE.search(form.group(0))
        target = urllib.parse.urljoin(reply.url, action.group(1)) if action and action.group(1) else reply.url
        fields = dict(HIDDEN_RE.findall(reply.text[form.start() :]))
        return self.request(
            "POST",
            target,
            urllib.parse.urlencode({**fields}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def has_cookie(self, name: str) -> bool:
        return any(cookie.name == name for cookie in self.jar)
