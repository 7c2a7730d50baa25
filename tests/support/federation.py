"""A stand-in for the AWS federation endpoint, of the tests' own, on loopback.

`getSigninToken` (POST) answers `{"SigninToken": TOKEN}` and records the form it got;
`login` (GET) answers a small page. `received` holds every form, in order.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "STANDINTOKEN123"


class FederationStandIn:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                owner.received.append({k: v[0] for k, v in form.items()})
                self._send(200, "application/json", json.dumps({"SigninToken": TOKEN}))

            def do_GET(self) -> None:
                self._send(200, "text/html", "<html><body>console</body></html>")

            def _send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
