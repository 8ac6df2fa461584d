"""Command line of the lab: python -m dockyard_lab <command>."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (
    appimages,
    aptrepo,
    bench,
    demo,
    engine,
    images,
    proxy,
    pylock,
    pypi,
    registry,
    resources,
    servers,
    services,
    stack,
)
from .demo import DEMO_SERVERS
from .run import LabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lab", description="dockyard's offline test lab")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("engine", help="make sure a Docker engine answers (install/start it)")
    sub.add_parser(
        "host-deps", help="install the lab's host packages and make sure an engine answers"
    )
    sub.add_parser("browser-deps", help="install chromium and its driver (the browser tests)")
    build = sub.add_parser("images", help="build the server images that are missing or stale")
    build.add_argument("suites", nargs="*", default=list(images.SUITES), help="Debian suites")
    build.add_argument("--force", action="store_true", help="rebuild even when current")
    sub.add_parser("aptrepo", help="build and serve the signed apt repository")
    sub.add_parser("registries", help="run the mirror and the private registry")
    sub.add_parser("proxy", help="run the HTTP proxy (squid, with a login)")
    apps = sub.add_parser(
        "appimages", help="build the python base and MySQL-compatible database images"
    )
    apps.add_argument(
        "--force",
        action="store_true",
        help="rebuild from scratch (no layer cache) even when current",
    )
    index = sub.add_parser("pypi", help="build and serve the lab's Python package index")
    index.add_argument(
        "--verify",
        action="store_true",
        help="also install the compose set and the blog's requirements from it in containers",
    )
    index.add_argument("--force", action="store_true", help="download and index again")
    lock = sub.add_parser(
        "pip-lock", help="rewrite the hashed lock files' hashes from PyPI for their pins"
    )
    lock.add_argument("files", nargs="*", type=Path, help="lock files (default: all of them)")
    sub.add_parser("stack", help="registries, index and images the blog stack pulls")
    up = sub.add_parser("server-up", help="start a lab server (systemd in a container)")
    up.add_argument("name")
    up.add_argument("--image", required=True)
    up.add_argument("--publish", action="append", default=[], help="as docker run -p")
    up.add_argument("--label", action="append", default=[], help="key=value")
    up.add_argument("--init", nargs="+", default=["/lib/systemd/systemd"], help="PID 1 command")
    down = sub.add_parser("server-down", help="remove a lab server and its engine volume")
    down.add_argument("names", nargs="+")
    docs = sub.add_parser("role-docs", help="each role's README.md from its argument specs")
    docs.add_argument("--check", action="store_true", help="exit 1 when a README is stale")
    sub.add_parser("demo-up", help="everything the demo needs, and its two lab servers")
    sub.add_parser("demo-down", help="remove the demo's two lab servers")
    wait = sub.add_parser("wait-http", help="wait until a URL answers 200")
    wait.add_argument("url")
    wait.add_argument("--timeout", type=float, default=60.0)
    perf = sub.add_parser("bench", help="time site.yml on fleets of lab servers against the floor")
    perf.add_argument(
        "--servers", nargs="+", type=int, default=list(bench.DEFAULT_SIZES), help="fleet sizes"
    )
    perf.add_argument("--repeat", type=int, default=bench.DEFAULT_REPEAT, help="repetitions")
    perf.add_argument(
        "--connections",
        nargs="+",
        choices=bench.CONNECTIONS,
        default=list(bench.CONNECTIONS),
        help="how ansible reaches the servers",
    )
    perf.add_argument("--output", type=Path, default=bench.DEFAULT_OUTPUT, help="the report")
    sub.add_parser("list", help="list what the lab made")
    clean = sub.add_parser("clean", help="remove what the lab made")
    clean.add_argument("--images", action="store_true", help="remove the images too")
    args = parser.parse_args(argv)
    try:
        if args.command == "engine":
            engine.ensure_engine()
        elif args.command == "host-deps":
            engine.ensure_host_packages()
            engine.ensure_engine()
        elif args.command == "browser-deps":
            engine.ensure_browser_packages()
        elif args.command == "images":
            engine.ensure_engine()
            hosts = [s for s in args.suites if s in images.DOCKER_HOST_SUITES]
            images.ensure_servers(args.suites, force=args.force, docker_hosts=hosts)
            images.ensure_busybox()
        elif args.command == "aptrepo":
            engine.ensure_engine()
            images.ensure_servers(["bookworm", "trixie"])
            print(aptrepo.ensure_aptrepo())
        elif args.command == "proxy":
            print(proxy.ensure_proxy())
        elif args.command == "registries":
            engine.ensure_engine()
            images.ensure_servers(["bookworm"])
            images.ensure_busybox()
            registry.ensure_registries()
        elif args.command == "appimages":
            engine.ensure_engine()
            appimages.ensure_app_images(force=args.force)
        elif args.command == "pypi":
            engine.ensure_engine()
            url = pypi.ensure_pypi(force=args.force)
            if args.verify:
                appimages.ensure_python_base()
                pypi.verify(url)
            print(url)
        elif args.command == "pip-lock":
            for path in args.files or pypi.lock_files():
                path.write_text(pylock.refresh(path.read_text()))
                print(f"{path}: {len(pylock.parse(path.read_text()))} pins")
        elif args.command == "stack":
            engine.ensure_engine()
            images.ensure_servers(["bookworm"])
            images.ensure_busybox()
            stack.ensure_stack()
        elif args.command == "server-up":
            servers.start_server(
                args.name, args.image, publish=args.publish, labels=args.label, command=args.init
            )
        elif args.command == "server-down":
            for name in args.names:
                servers.remove_server(name)
        elif args.command == "role-docs":
            # PyYAML lives in the venv only: host-deps runs this CLI on bare servers.
            from . import roledocs

            stale = roledocs.main(check=args.check)
            for path in stale:
                print(f"{'stale' if args.check else 'written'}: {path}")
            if args.check and stale:
                return 1
        elif args.command == "demo-up":
            engine.ensure_engine()
            images.ensure_servers(["bookworm", "trixie"])
            images.ensure_busybox()
            stack.ensure_stack()
            demo.demo_up()
        elif args.command == "demo-down":
            for name, _ in DEMO_SERVERS:
                servers.remove_server(name)
        elif args.command == "wait-http":
            services.wait_http(args.url, timeout=args.timeout, ok_only=True)
        elif args.command == "bench":
            bench.bench(args.servers, args.repeat, args.output, args.connections)
        elif args.command == "list":
            for kind, name in resources.list_resources():
                print(f"{kind}\t{name}")
        elif args.command == "clean":
            resources.clean(images=args.images)
    except LabError as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
