"""A staff member's browser as plain HTTP (urllib with a cookie jar): logs in through the real admin login form,
keeps the session and CSRF cookies, submits admin forms; and the live monitor's socket with that session."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import websockets

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Reply:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class StaffBrowser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: dict | list | None = None, headers: dict | None = None) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers or {})  # noqa: S310 (http)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            return Reply(error.code, error.headers, error.read())

    def get(self, path: str) -> Reply:
        return self.request(path)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def post_form(self, path: str, data: dict) -> Reply:
        """POST as the admin's own forms do: with the CSRF token of the cookie."""
        if self.cookie("csrftoken") is None:
            self.get("/admin/login/")
        return self.request(path, {**data, "csrfmiddlewaretoken": self.cookie("csrftoken")})

    def login(self, username: str, password: str) -> Reply:
        """The admin login form, as a browser submits it; a 302 to /admin/ means logged in."""
        page = self.get("/admin/login/?next=/admin/")
        token = CSRF_INPUT.search(page.text).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        return self.request("/admin/login/?next=/admin/", form)

    def logout(self) -> Reply:
        return self.post_form("/admin/logout/", {})

    async def live_socket(self):
        """The live monitor's socket with this browser's cookies (raises if the handshake is refused)."""
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        url = self.base_url.replace("http://", "ws://") + "/admin/live/ws/"
        headers = {"Cookie": cookies, "Origin": self.base_url}
        return await websockets.connect(url, additional_headers=headers, open_timeout=20)
