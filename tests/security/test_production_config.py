"""Production configuration attacked from outside: a server without its own SECRET_KEY refuses to start, the admin
login locks out after repeated wrong passwords, and pages carry a Content-Security-Policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mugsite.settings import DEV_SECRET_KEY
from testkit.fixture_experiments import PATHS
from testkit.servers import DaphneProcess, database_env, free_port, production_daphne, production_env
from testkit.staffclient import StaffBrowser

DAPHNE = str(Path(sys.executable).with_name("daphne"))
LOGIN_FAILURE_LIMIT = 5  # MUG_LOGIN_FAILURE_LIMIT's default


def daphne_exit(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Start Daphne as an operator would and wait for it to stop on its own (a server that serves never does)."""
    command = [DAPHNE, "-b", "127.0.0.1", "-p", str(free_port()), "mugsite.asgi:application"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("key", ["unset", "", DEV_SECRET_KEY, "django-insecure-abc"])
def test_daphne_refuses_to_start_without_its_own_secret_key(key, db):
    env = production_env(PATHS)
    if key == "unset":
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = key
    result = daphne_exit(env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set (or is the public development key) and DEBUG is off" in result.stderr


def test_without_a_key_daphne_still_serves_with_debug_on(tmp_path, db):
    env = {k: v for k, v in production_env(PATHS, DEBUG="1").items() if k != "SECRET_KEY"}
    server = DaphneProcess(env, tmp_path)  # waits until it listens
    try:
        assert server.process.poll() is None
    finally:
        server.stop()


def test_manage_py_commands_work_without_a_key_in_development():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env={**env, "DEBUG": "1"}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_admin_login_locks_a_username_out_after_repeated_wrong_passwords(prod_server, django_user_model):
    django_user_model.objects.create_user("victim", password="pw-right-one-1", is_staff=True, is_superuser=True)
    django_user_model.objects.create_user("bystander", password="pw-right-two-2", is_staff=True)
    guesser = StaffBrowser(prod_server.url)
    statuses = [guesser.login("victim", f"guess-{n}").status for n in range(LOGIN_FAILURE_LIMIT)]
    assert statuses[:-1] == [200] * (LOGIN_FAILURE_LIMIT - 1)  # the form again, with its error
    assert statuses[-1] == 429  # the last allowed failure locks the username out from this address
    locked = guesser.login("victim", "pw-right-one-1")
    assert locked.status == 429 and "locked" in locked.text.lower()  # even the right password is refused now
    assert guesser.get("/admin/").status == 302  # not logged in: sent to the login page
    fresh = StaffBrowser(prod_server.url)  # another browser from the same address, same username: still locked
    assert fresh.login("victim", "pw-right-one-1").status == 429
    assert fresh.login("bystander", "pw-right-two-2").status == 302  # other accounts are not affected


def policy(server, path: str) -> dict[str, list[str]]:
    header = StaffBrowser(server.url).get(path).headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def test_pages_and_static_files_carry_the_content_security_policy(prod_server):
    cdn = "https://cdn.jsdelivr.net"  # MUG_PYODIDE_URL's default: the worker imports Pyodide from there
    for path in ("/", "/x/flow/", "/admin/login/", "/static/frontend/js/worker/main.js"):
        directives = policy(prod_server, path)
        assert directives["default-src"] == ["'self'"], path
        assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'", cdn], path  # no inline, no eval
        assert directives["connect-src"] == ["'self'", cdn] and directives["worker-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], path


def test_a_self_hosted_pyodide_leaves_no_remote_origin_in_the_policy(tmp_path, transactional_db):
    with production_daphne(tmp_path, PATHS, MUG_PYODIDE_URL="/static/pyodide/") as server:
        directives = policy(server, "/")
    assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'"] and directives["connect-src"] == ["'self'"]


def demo_admin(*args: str, password: str | None = None) -> str:
    """`manage.py create_demo_admin` as bin/demo runs it, in its own process; returns what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "MUG_ADMIN_PASSWORD"}
    env.update({"DEBUG": "1", **database_env(), **({"MUG_ADMIN_PASSWORD": password} if password else {})})
    command = [sys.executable, "manage.py", "create_demo_admin", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_restarting_the_demo_keeps_the_admin_password(prod_server):
    first = demo_admin()
    password = re.search(r"password '([^']+)'", first).group(1)
    assert "created" in first
    again = demo_admin(password="an-attempt-to-overwrite-1")  # every start of bin/demo; the variable is ignored
    assert "password is unchanged" in again and "--reset-password" in again and password not in again
    assert StaffBrowser(prod_server.url).login("admin", password).status == 302  # still the first password
    reset = demo_admin("--reset-password", password="a-chosen-password-2")  # only when asked
    assert "reset" in reset
    assert StaffBrowser(prod_server.url).login("admin", "a-chosen-password-2").status == 302
    assert StaffBrowser(prod_server.url).login("admin", password).status == 200  # the old one no longer works
