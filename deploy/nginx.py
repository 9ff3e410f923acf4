"""The nginx site of a deployment, from deploy/nginx/mug.conf.template and the list of worker processes."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx") / "mug.conf.template"
STATIC_BLOCK = re.compile(r"    # @STATIC@.*?# @END STATIC@\n", re.DOTALL)
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")  # as settings.MUG_WORKER_NAME must be when routed


@dataclass(frozen=True)
class WorkerAddress:
    name: str  # the worker's MUG_WORKER_NAME
    address: str  # where it listens: "127.0.0.1:8001" or "unix:/run/mug/w1.sock"

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"worker name {self.name!r}: lowercase letters, digits and '-' only")


def render_site(workers: list[WorkerAddress], *, listen: str, static_root: Path | None, server_name: str = "_") -> str:
    """The site's configuration (an nginx `http` block's content). Without `static_root` the workers serve
    /static/ too (WhiteNoise, from the apps' folders: development and tests without collectstatic)."""
    if not workers:
        raise ValueError("a deployment needs at least one worker")
    upstreams = "".join(f"upstream mug_w_{w.name} {{\n    server {w.address};\n}}\n\n" for w in workers)
    # A worker that refuses a connection is skipped for 5 s (the proxy tries the next one meanwhile).
    servers = "\n".join(f"    server {w.address} max_fails=1 fail_timeout=5s;" for w in workers)
    names = "\n".join(f"    {w.name} mug_w_{w.name};" for w in workers)
    values = {
        "@WORKER_UPSTREAMS@": upstreams,
        "@ANY_SERVERS@": servers,
        "@WORKER_MAP@": names,
        "@LISTEN@": listen,
        "@SERVER_NAME@": server_name,
        "@STATIC_ROOT@": str(static_root).rstrip("/"),
    }
    text = TEMPLATE.read_text()
    if static_root is None:
        text = STATIC_BLOCK.sub("", text)
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _worker(text: str) -> WorkerAddress:
    name, _, address = text.partition("=")
    if not address:
        raise argparse.ArgumentTypeError(f"{text!r}: expected name=address, e.g. w1=127.0.0.1:8001")
    try:
        return WorkerAddress(name, address)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", type=_worker, action="append", required=True, help="name=address, repeated")
    parser.add_argument("--listen", default="80", help="nginx's listen directive (default 80)")
    parser.add_argument("--static-root", type=Path, help="the workers' STATIC_ROOT (leave out: workers serve it)")
    parser.add_argument("--server-name", default="_")
    args = parser.parse_args(argv)
    print(render_site(args.worker, listen=args.listen, static_root=args.static_root, server_name=args.server_name))


if __name__ == "__main__":
    main()
