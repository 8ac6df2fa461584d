"""swarm_rules: what keeps the swarm topology from running on the inventory, case by case."""

from __future__ import annotations

from typing import Any

import pytest
from swarm_rules import swarm_labelled_nodes, swarm_stack_problems

NODES = ["swarm-1", "swarm-2", "swarm-3"]
GOOD: dict[str, Any] = {
    "django_stack_web_image_source": "pull",
    "django_stack_state": "present",
    "django_stack_swarm_web_replicas": 2,
    "django_stack_swarm_db_label": "blog.db",
    "django_stack_https_front": False,
    "django_stack_http_front": False,
    "django_stack_trusted_proxy": False,
    "django_stack_takeover_volume": "",
    "django_stack_takeover_containers": [],
    "django_stack_takeover_project": "",
}


def problems(**changes: object) -> list[str]:
    where: dict[str, Any] = {
        "host": "swarm-2",
        "nodes": NODES,
        "db_nodes": ["swarm-3"],
        "manager": "swarm-1",
        "blog_hosts": NODES,
    }
    settings = {key: value for key, value in changes.items() if key.startswith("django_stack_")}
    where.update({key: value for key, value in changes.items() if key not in settings})
    return swarm_stack_problems({**GOOD, **settings}, **where)


def test_labelled_nodes_are_those_whose_label_is_true_in_their_order() -> None:
    hostvars = {
        "swarm-1": {"docker_swarm_node_labels": {"blog.db": "True"}},
        "swarm-2": {"docker_swarm_node_labels": {"blog.db": "false", "other": "true"}},
        "swarm-3": {"docker_swarm_node_labels": {"blog.db": True}},
        "swarm-4": {},
    }
    assert swarm_labelled_nodes(
        ["swarm-3", "swarm-2", "swarm-1", "swarm-4"], hostvars, "blog.db"
    ) == [
        "swarm-3",
        "swarm-1",
    ]
    assert swarm_labelled_nodes(NODES, hostvars, "other") == ["swarm-2"]
    assert swarm_labelled_nodes(NODES, {}, "blog.db") == []
    assert swarm_labelled_nodes(NODES, {"swarm-1": {"docker_swarm_node_labels": None}}, "x") == []


def test_an_inventory_the_swarm_can_carry_has_no_problem() -> None:
    assert problems() == []
    assert problems(django_stack_state="absent", django_stack_swarm_web_replicas=1) == []


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"django_stack_web_image_source": "build"}, "django_stack_web_image_source is build:"),
        ({"django_stack_state": "stopped"}, "django_stack_state is stopped, which a swarm stack"),
        ({"host": "web-1"}, "web-1 is a blog server with django_stack_topology swarm"),
        ({"db_nodes": []}, "No node of the swarm (swarm-1, swarm-2, swarm-3) has the node label"),
        (
            {"db_nodes": ["swarm-1", "swarm-3"]},
            'Several nodes have the node label blog.db: "true" (swarm-1, swarm-3)',
        ),
        ({"manager": ""}, "swarm_managers is empty"),
        ({"blog_hosts": ["swarm-2"]}, "swarm-1, the first of swarm_managers, deploys the stack"),
        ({"django_stack_swarm_web_replicas": 0}, "django_stack_swarm_web_replicas 0 (at least 1"),
        ({"django_stack_swarm_db_label": "blog db"}, 'django_stack_swarm_db_label "blog db"'),
        ({"django_stack_swarm_db_label": None}, "django_stack_swarm_db_label null"),
        ({"django_stack_https_front": True}, "django_stack_https_front (the nginx"),
        ({"django_stack_http_front": True}, "django_stack_http_front (the plain-HTTP nginx"),
        ({"django_stack_trusted_proxy": True}, "django_stack_trusted_proxy (the edge"),
        ({"django_stack_takeover_volume": "mysql-data"}, "django_stack_takeover_* (taking over"),
        ({"django_stack_takeover_containers": ["mysql"]}, "django_stack_takeover_* (taking over"),
        ({"django_stack_takeover_project": "old"}, "django_stack_takeover_* (taking over"),
    ],
)
def test_each_problem_is_named(changes: dict[str, Any], said: str) -> None:
    found = problems(**changes)
    assert len(found) == 1, found
    assert said in found[0]


def test_the_database_label_is_named_in_the_fix() -> None:
    (found,) = problems(db_nodes=[])
    assert 'Set docker_swarm_node_labels: {"blog.db": "true"} on the one node' in found


def test_settings_problems_are_one_sentence_and_every_problem_is_listed() -> None:
    found = problems(
        django_stack_web_image_source="build",
        db_nodes=[],
        django_stack_swarm_web_replicas=0,
        django_stack_trusted_proxy=True,
    )
    assert len(found) == 3
    assert found[2].startswith("Not usable with django_stack_topology swarm: ")
    assert "django_stack_swarm_web_replicas 0" in found[2]
    assert "; django_stack_trusted_proxy (the edge" in found[2]
    assert found[2].endswith(".")
