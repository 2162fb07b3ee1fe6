"""A local HTTP stand-in for an external API (Stripe, Shippo, SendGrid): it records every request
and answers as the test says, so adapters are tested through their real SDKs with no network."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from tests.support.waiting import HANG_GUARD_SECONDS


@dataclass(frozen=True)
class Received:
    """One request the stand-in was sent; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as a URL-encoded form, one value per key."""
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass(frozen=True)
class Answer:
    """What the stand-in answers one request with."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class StandIn:
    """Answers each request with the next queued answer, or else with `status`, `content_type`
    and `body`; with `hang` set, it holds every request unanswered until it is stopped.

    A request is recorded before it is answered, but a client that gave up (a timeout) returns
    before the stand-in may even have read it: wait with `wait_for_requests` instead of reading
    `received` then."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    hang: bool = False
    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    queued: deque[Answer] = field(default_factory=deque)
    answered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    arrival: threading.Condition = field(default_factory=threading.Condition)

    def queue_json(self, status: int, payload) -> None:
        """Answer one more request, after those already queued, with `payload` as JSON."""
        self.queued.append(Answer(status, json.dumps(payload).encode()))

    def record(self, request: Received) -> None:
        """Keep one request and wake whoever waits for it."""
        with self.arrival:
            self.received.append(request)
            self.arrival.notify_all()

    def wait_for_requests(self, count: int) -> list[Received]:
        """The requests received, once there are at least `count` of them."""
        with self.arrival:
            if not self.arrival.wait_for(lambda: len(self.received) >= count, HANG_GUARD_SECONDS):
                pytest.fail(f"the stand-in received {len(self.received)} of {count} requests")
            return list(self.received)

    def next_answer(self) -> Answer:
        """The answer for the request being handled now."""
        if self.queued:
            return self.queued.popleft()
        return Answer(self.status, self.body, self.content_type)


def handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    """A request handler class that records into and answers from `stand_in`."""

    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            headers = {name.lower(): value for name, value in self.headers.items()}
            stand_in.record(Received(self.command, self.path, headers, self.rfile.read(length)))
            if stand_in.hang:
                stand_in.release.wait()
                return
            answer = stand_in.next_answer()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            stand_in.answered.set()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        def log_message(self, *args) -> None:
            """Keep the test output quiet."""

    return Handler


@contextmanager
def serving(**settings) -> Iterator[StandIn]:
    """A stand-in (fields as in `StandIn`) served on 127.0.0.1 in a thread until the block ends."""
    stand_in = StandIn(**settings)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(stand_in))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stand_in
    finally:
        stand_in.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def refusing_base_url() -> str:
    """The base URL of a local port nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
