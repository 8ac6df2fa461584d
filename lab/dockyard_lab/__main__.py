"""Command line of the lab: python -m dockyard_lab <command>."""

from __future__ import annotations

import argparse
import sys

from . import aptrepo, engine, images, registry, resources
from .run import LabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lab", description="dockyard's offline test lab")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("engine", help="make sure a Docker engine answers (install/start it)")
    build = sub.add_parser("images", help="build the server images that are missing or stale")
    build.add_argument("suites", nargs="*", default=list(images.SUITES), help="Debian suites")
    build.add_argument("--force", action="store_true", help="rebuild even when current")
    sub.add_parser("aptrepo", help="build and serve the signed apt repository")
    sub.add_parser("registries", help="run the mirror and the private registry")
    sub.add_parser("list", help="list what the lab made")
    clean = sub.add_parser("clean", help="remove what the lab made")
    clean.add_argument("--images", action="store_true", help="remove the images too")
    args = parser.parse_args(argv)
    try:
        if args.command == "engine":
            engine.ensure_engine()
        elif args.command == "images":
            engine.ensure_engine()
            images.ensure_servers(args.suites, force=args.force)
            images.ensure_busybox()
        elif args.command == "aptrepo":
            engine.ensure_engine()
            images.ensure_servers(["bookworm", "trixie"])
            print(aptrepo.ensure_aptrepo())
        elif args.command == "registries":
            engine.ensure_engine()
            images.ensure_servers(["bookworm"])
            images.ensure_busybox()
            registry.ensure_registries()
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
