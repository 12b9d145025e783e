"""An HTTP proxy on 127.0.0.1 in front of the real S3 server that breaks the requests we choose.

Why a proxy and not a mock: the pipeline's retry configuration and its write-the-manifest-last
rule only matter against a real wire. The proxy forwards every request to SeaweedFS unchanged,
except those its `plan(method, path, attempt)` marks:

- ``"slowdown"``: answer 503 SlowDown (S3's throttling reply) without forwarding;
- ``"cut"``: forward the request line, headers and half the body, then drop both connections
  (an upload cut off mid-body; the client sees the connection close without a reply).

`attempt` counts requests with the same method and path (1 for the first). `log` records
``(method, path, action)`` for every request, so a test can assert what really happened.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Plan = Callable[[str, str, int], str]
SLOWDOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FlakyS3Proxy:
    """Start with `with FlakyS3Proxy(upstream, plan) as proxy:`; point clients at `proxy.url`."""

    def __init__(self, upstream: str, plan: Plan) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.plan = plan
        self.log: list[tuple[str, str, str]] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyS3Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def decide(self, method: str, path: str) -> str:
        with self._lock:
            key = (method, path)
            self._counts[key] = self._counts.get(key, 0) + 1
            action = self.plan(method, path, self._counts[key])
            self.log.append((method, path, action))
            return action


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The raw body bytes as sent (chunked bodies are kept chunked, framing included)."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        raw = b""
        while True:
            size_line = handler.rfile.readline()
            raw += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    line = handler.rfile.readline()
                    raw += line
                    if line in (b"\r\n", b"\n", b""):
                        return raw
            raw += handler.rfile.read(size + 2)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _handler_for(proxy: FlakyS3Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _relay(self) -> None:
            body = _read_body(self)
            action = proxy.decide(self.command, self.path.split("?")[0])
            if action == "slowdown":
                self._reply(503, {"Content-Type": "application/xml"}, SLOWDOWN_BODY)
            elif action == "cut":
                self._cut(body)
            else:
                self._forward(body)

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self, body: bytes) -> None:
            conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                conn.endheaders(body or None)
                response = conn.getresponse()
                data = response.read()
                headers = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")
                }
                self._reply(response.status, headers, data)
            finally:
                conn.close()

        def _cut(self, body: bytes) -> None:
            head = f"{self.command} {self.path} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in self.headers.items()
            )
            with socket.create_connection(proxy.upstream, timeout=10) as upstream:
                upstream.sendall(head.encode() + b"\r\n" + body[: len(body) // 2])
            self.close_connection = True  # no reply: the client sees the connection drop

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

    return Handler
