"""A deployment on this machine, as the recipe runs it: named Daphne workers routed by nginx (run as the current
user, on loopback), for development (`bin/deploy-local`) and the deployment tests. Redis and the database are the
caller's (REDIS_URL, DATABASE_URL or SQLITE_PATH in the environment given)."""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from deploy.nginx import WorkerAddress, render_site

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Until something listens on the loopback port (or the process exits: an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class LocalProcess:
    """A server process on a loopback port, its output in a log file."""

    def __init__(self, command: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.port, self.log_path, self.command, self.env = port, log, command, env
        self.log = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.process = self._start()
        wait_for_port(port, self.process, timeout=30)

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 (our own command line)
            self.command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def restart(self) -> None:
        """A process manager's restart: SIGTERM, wait for the exit, the same command again on the same port."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = self._start()
        wait_for_port(self.port, self.process, timeout=60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: nothing of the process runs any more, as when it crashes."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def daphne_command(port: int, *, proxy_headers: bool = True) -> list[str]:
    """Daphne on a loopback port. Behind the proxy it takes the client's address from X-Forwarded-For (only the
    proxy can reach it); a process that clients reach directly must not trust that header."""
    daphne = str(Path(sys.executable).with_name("daphne"))  # the venv's, beside its python
    proxy = ["--proxy-headers"] if proxy_headers else []
    return [daphne, "-b", "127.0.0.1", "-p", str(port), *proxy, "mugsite.asgi:application"]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def nginx_config(site: str, run_dir: Path) -> str:
    """A whole nginx.conf around the site for an unprivileged nginx: every path it writes is in run_dir."""
    temp = {name: run_dir / name for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    # As root nginx's workers would run as `nobody`, who cannot write run_dir: they stay this user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log {run_dir}/nginx-access.log;
    client_body_temp_path {temp["client"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{site}
}}
"""


class LocalDeployment:
    """nginx on `url`, in front of workers named w1, w2, ... (`workers[name]`)."""

    def __init__(self, nginx: LocalProcess, workers: dict[str, LocalProcess], run_dir: Path) -> None:
        self.nginx, self.workers, self.run_dir = nginx, workers, run_dir

    @property
    def url(self) -> str:
        return self.nginx.url

    def access_log(self) -> str:
        path = self.run_dir / "nginx-access.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def local_deployment(
    count: int, env: dict[str, str], run_dir: Path, *, static_root: Path | None = None, port: int = 0
) -> Iterator[LocalDeployment]:
    """`count` workers with `env` (plus their names and routing) and nginx in front; all stopped afterwards."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (bin/setup --dev installs it)")
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        workers: dict[str, LocalProcess] = {}
        for index in range(1, count + 1):
            name, worker_port = f"w{index}", free_port()
            worker_env = {**env, "MUG_WORKER_NAME": name, "MUG_WORKER_ROUTES": "1"}
            worker = LocalProcess(daphne_command(worker_port), worker_port, run_dir / f"daphne-{name}.log", worker_env)
            stack.callback(worker.stop)
            workers[name] = worker
        port = port or free_port()
        addresses = [WorkerAddress(name, f"127.0.0.1:{w.port}") for name, w in workers.items()]
        site = render_site(addresses, listen=f"127.0.0.1:{port}", static_root=static_root)
        config = run_dir / "nginx.conf"
        config.write_text(nginx_config(site, run_dir))
        command = [binary, "-p", str(run_dir), "-c", str(config), "-g", "daemon off;"]
        nginx = LocalProcess(command, port, run_dir / "nginx.log")
        stack.callback(nginx.stop)
        yield LocalDeployment(nginx, workers, run_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run nginx and N workers on loopback until Ctrl-C.")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    parser.add_argument("--run-dir", type=Path, default=ROOT / "var" / "deploy-local")
    args = parser.parse_args(argv)
    static_root = Path(os.environ["STATIC_ROOT"]) if os.environ.get("STATIC_ROOT") else None
    with local_deployment(args.workers, dict(os.environ), args.run_dir, static_root=static_root, port=args.port) as d:
        print(f"MUG at {d.url} ({', '.join(d.workers)} behind nginx); logs in {args.run_dir}. Ctrl-C stops.")
        stop = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # after the servers started: they keep their own handlers
        signal.sigwait(stop)


if __name__ == "__main__":
    main()
