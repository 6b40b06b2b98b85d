"""HTTP for the bundle's API (api.py): the standard library's ThreadingHTTPServer on 127.0.0.1.

Why the standard library: kubectl sends a handful of small GETs per command, which
http.server answers in well under a millisecond each (see docs/serve.md for the figures),
it adds no dependency to a tool installed on support engineers' laptops, and a read-only
server needs none of what a framework brings (routing is ten lines, there are no forms, no
sessions, no TLS on the loopback interface). Connections are served on threads (kubectl
keeps several open); the bundle's readers are used by one request at a time, under a lock.

Only 127.0.0.1 is bound, and a request naming another host (``Host:``) is refused, so a web
page in the engineer's browser cannot reach the bundle through DNS rebinding.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from analyzer.kube.api import JSON, WRITE_METHODS, BundleApi, Reply, status

LOOPBACK = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an idle kubectl connection must not keep the process alive
    # Not reusing a port that may still have connections of another process: bind fresh.
    allow_reuse_address = False

    def __init__(self, port: int, api: BundleApi) -> None:
        super().__init__((LOOPBACK, port), _Handler)
        self.api = api
        self.lock = threading.Lock()
        bound = self.server_address[1]
        self.hosts = {f"{LOOPBACK}:{bound}", f"localhost:{bound}"}

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-reply is no news; the engineer's terminal stays quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "bundle-analyzer"
    sys_version = ""
    timeout = 300  # an idle connection is closed after five minutes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        if self.headers.get("Host", "") not in self.server.hosts:
            self._send(status(400, "this server answers requests for 127.0.0.1 only"))
            return
        if self.command in WRITE_METHODS:
            # The body is not read: the connection is closed after the refusal instead.
            self.close_connection = True
        with self.server.lock:
            try:
                reply = self.server.api.handle(
                    self.command, self.path, self.headers.get("Accept") or JSON
                )
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except Exception as exc:  # one request fails, the server goes on
                self._send(status(500, f"internal error: {type(exc).__name__}: {exc}"))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.code)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        if isinstance(reply.body, bytes):
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            return
        # A log is streamed in chunks: memory stays bounded whatever its size.
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in reply.body if self.command != "HEAD" else ():
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


def kubeconfig(port: int, name: str = "bundle") -> str:
    """A kubeconfig for kubectl to use the server: no credentials, there are none to check."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: http://{LOOPBACK}:{port}\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        f"current-context: {name}\nusers:\n- name: {name}\n  user: {{}}\n"
    )


def serve(api: BundleApi, port: int, listening: Callable[[int], None]) -> None:
    """Serve until interrupted; ``listening(port)`` is called once the socket listens (the
    kubeconfig is written then, so that a script waiting for it finds a server)."""
    server = _Server(port, api)
    try:
        listening(server.server_address[1])
        server.serve_forever(poll_interval=0.5)
    finally:
        with contextlib.suppress(OSError):
            server.server_close()
