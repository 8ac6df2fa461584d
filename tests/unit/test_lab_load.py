"""The scenarios' client load (molecule/_shared/lab_testing.py): every answer counted."""

from __future__ import annotations

import http.server
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule/_shared"))

from lab_testing import Answer, Load, p99


class Blog(http.server.BaseHTTPRequestHandler):
    """200 with the release header, or 502 for /down, as a front would answer."""

    def do_GET(self) -> None:
        self.send_response(502 if self.path == "/down" else 200)
        self.send_header("X-Blog-Release", "7")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blog)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_load_stops_at_its_limit_and_keeps_each_answer(server: str) -> None:
    load = Load([f"{server}/"], clients=3, limit=30, pace=0).start()
    deadline = time.monotonic() + 20
    while len(load.answers) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    load.stop()
    assert len(load.answers) == 30
    assert {(a.status, a.error, a.release) for a in load.answers} == {(200, "", "7")}


def test_errors_and_refusals_are_counted_as_failed(server: str) -> None:
    load = Load([f"{server}/down"], clients=1, limit=2, pace=0).start()
    time.sleep(1)
    load.stop()
    assert [a.error for a in load.failed] == ["status 502", "status 502"]
    refused = Load(["http://127.0.0.1:9/"], clients=1, limit=1, pace=0).start()
    time.sleep(1)
    refused.stop()
    assert refused.answers[0].status == 0 and "Connection" in refused.answers[0].error


def test_p99_is_the_nearest_rank() -> None:
    answers = [Answer(0, float(n), 200, "", "") for n in range(1, 101)]
    assert p99(answers) == 99.0
    assert p99(answers[:1]) == 1.0
    assert p99([]) == 0.0


def test_the_urls_are_asked_in_turn(server: str) -> None:
    load = Load([f"{server}/", f"{server}/down"], clients=1, limit=4, pace=0).start()
    time.sleep(1)
    load.stop()
    assert [a.status for a in load.answers] == [200, 502, 200, 502]
