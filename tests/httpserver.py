"""A real HTTP server on 127.0.0.1 for tests, with scripted answers.

    with LoopbackServer() as server:
        server.script("/hook", Reply(503), Reply(503), Reply(200))   # fail twice, then succeed
        server.script("/slow", Reply(hold=True))                       # never answers (until stop)
        url = server.url("/hook")
        ...
        assert [r.json["text"] for r in server.received("/hook")] == [...]

Each path answers with its script in order, then with `default` (200 "ok"). Every request is
recorded (path, headers, body) before it is answered, so a test can wait for one that is being
held. With `dedupe=True` a request whose Idempotency-Key was seen before is answered 200 but
not accepted again: `accepted()` is what a receiver that honours the key would have processed.
Loopback only: the server binds 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, headers and body, after `delay` seconds.

    `hold=True` keeps the request open until the server stops or `release()` is called
    (a client's timeout, or a process killed mid-request). `close=True` drops the connection
    without an answer.
    """

    status: int = 200
    body: bytes | str = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: bool = False
    close: bool = False


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


class LoopbackServer:
    def __init__(self, dedupe: bool = False, default: Reply | None = None) -> None:
        self.dedupe = dedupe
        self.default = default or Reply()
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._received: list[Received] = []
        self._accepted: list[Received] = []
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._release = threading.Event()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- control ---------------------------------------------------------------------------

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def release(self) -> None:
        """Let held requests answer."""
        self._release.set()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[path].extend(replies)

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def accepted(self, path: str | None = None) -> list[Received]:
        """Requests processed: answered 2xx, and (with dedupe) not a repeat of a seen key."""
        with self._lock:
            return [r for r in self._accepted if path is None or r.path == path]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until `count` requests have arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self._received)}")
                self._arrived.wait(left)
            return list(self._received)

    # -- serving ---------------------------------------------------------------------------

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            script = self._scripts.get(path)
            return script.popleft() if script else self.default

    def _record(self, request: Received, reply: Reply) -> None:
        with self._arrived:
            self._received.append(request)
            if 200 <= reply.status < 300 and not reply.close:
                key = request.idempotency_key
                if not (self.dedupe and key is not None and key in self._keys):
                    self._accepted.append(request)
                if key is not None:
                    self._keys.add(key)
            self._arrived.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                path = self.path
                reply = server._next_reply(path)
                request = Received(
                    "POST",
                    path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                # A receiver processes what it was sent even if the sender then goes away:
                # the request counts as accepted when it arrives, before any hold.
                server._record(request, reply)
                if reply.hold:
                    server._release.wait(timeout=30)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.close:
                    self.close_connection = True
                    return
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
