"""What keeps django_stack's swarm topology from running on the inventory's swarm.

The swarm topology deploys one stack through the swarm's first manager, with the database
pinned to the one node whose inventory node labels say so. Before any change, the role asks
these rules whether the inventory can carry that: each problem is a sentence naming the
variable or group to change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def swarm_labelled_nodes(
    nodes: Iterable[str], hostvars: Mapping[str, Mapping[str, Any]], label: str
) -> list[str]:
    """The nodes whose docker_swarm_node_labels set `label` to true, in the nodes' order."""
    found = []
    for node in nodes:
        labels = hostvars.get(node, {}).get("docker_swarm_node_labels") or {}
        if str(labels.get(label, "")).lower() == "true":
            found.append(node)
    return found


def _setting_problems(settings: Mapping[str, Any]) -> list[str]:
    """The settings the swarm topology cannot run with, each with what to do instead."""
    problems = []
    replicas = settings.get("django_stack_swarm_web_replicas")
    if int(replicas or 0) < 1:
        problems.append(
            f"django_stack_swarm_web_replicas {replicas} (at least 1; 2 or more so that one "
            "task serves while another is replaced)"
        )
    label = settings.get("django_stack_swarm_db_label")
    if not isinstance(label, str) or LABEL.fullmatch(label) is None:
        problems.append(
            f"django_stack_swarm_db_label {json.dumps(label)} (a node label: letters, digits, "
            "., _ and -)"
        )
    if settings.get("django_stack_https_front"):
        problems.append(
            "django_stack_https_front (the nginx of the compose topology; on a swarm, "
            "terminate TLS in front of the edge)"
        )
    if settings.get("django_stack_http_front"):
        problems.append(
            "django_stack_http_front (the plain-HTTP nginx of the compose topology; a swarm's "
            "edge already sends requests to healthy tasks only, updated start-first)"
        )
    if settings.get("django_stack_trusted_proxy"):
        problems.append(
            "django_stack_trusted_proxy (the edge is reachable on every node: Django must not "
            "trust X-Forwarded-Proto from it)"
        )
    takeover = ("volume", "containers", "project")
    if any(settings.get(f"django_stack_takeover_{part}") for part in takeover):
        problems.append(
            "django_stack_takeover_* (taking over a hand-made setup is done in the compose "
            "topology, before a move to the swarm)"
        )
    return problems


def swarm_stack_problems(
    settings: Mapping[str, Any],
    host: str,
    nodes: list[str],
    db_nodes: list[str],
    manager: str,
    blog_hosts: list[str],
) -> list[str]:
    """One sentence per problem, in a fixed order; [] when the swarm can carry the stack.

    `settings` maps django_stack variable names to values; `nodes` are the swarm's nodes
    (swarm_managers, then swarm_workers); `db_nodes` the ones labelled to hold the database;
    `manager` the first of swarm_managers, which deploys; `blog_hosts` the group blog.
    """
    problems = []
    source = settings.get("django_stack_web_image_source")
    if source != "pull":
        problems.append(
            f"django_stack_topology is swarm and django_stack_web_image_source is {source}: "
            "the web tasks run on any node of the swarm and each node pulls the image from a "
            "registry, while an image built on one host exists on that host only. Build the "
            "image elsewhere (CI), push it to a registry and set django_stack_web_image_source: "
            "pull with django_stack_web_image and the registry's login."
        )
    state = settings.get("django_stack_state")
    if state not in ("present", "absent"):
        problems.append(
            f"django_stack_state is {state}, which a swarm stack does not have: Swarm restarts "
            "whatever stops. Use present, or absent (the services go, the database volume "
            "stays)."
        )
    if host not in nodes:
        problems.append(
            f"{host} is a blog server with django_stack_topology swarm, but it is in neither "
            "swarm_managers nor swarm_workers: the stack runs on the swarm those groups form "
            "(the docker_swarm role). Add it to one of them, or give it "
            "django_stack_topology: compose."
        )
    label = settings.get("django_stack_swarm_db_label")
    if not db_nodes:
        problems.append(
            f'No node of the swarm ({", ".join(nodes)}) has the node label {label}: "true", '
            "so the database would have no node to run on. Set docker_swarm_node_labels: "
            f'{{"{label}": "true"}} on the one node whose disk holds the database\'s volume.'
        )
    elif len(db_nodes) > 1:
        problems.append(
            f'Several nodes have the node label {label}: "true" ({", ".join(db_nodes)}): the '
            "database must stay on one node, the one holding its volume (a volume is local to "
            "its node). Keep the label on one of them."
        )
    if not manager:
        problems.append(
            "swarm_managers is empty: its first host deploys the stack. Put the swarm's "
            "managers in swarm_managers."
        )
    elif manager not in blog_hosts:
        problems.append(
            f"{manager}, the first of swarm_managers, deploys the stack, but it is not in group "
            "blog. Put every node of the swarm in group blog."
        )
    settings_problems = _setting_problems(settings)
    if settings_problems:
        problems.append(
            f"Not usable with django_stack_topology swarm: {'; '.join(settings_problems)}."
        )
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "swarm_labelled_nodes": swarm_labelled_nodes,
            "swarm_stack_problems": swarm_stack_problems,
        }
