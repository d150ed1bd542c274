"""Loopback receivers for alert delivery: a real SMTP server (aiosmtpd) and an HTTP endpoint
that plays a Slack-compatible incoming webhook (POST JSON {"text": ...}, answers 200 "ok")."""

from __future__ import annotations

import email
import json
import socket
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    # aiosmtpd's Controller(port=0) fails its own start-up check: pick a free port first
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Collects every accepted message; `refuse_first` answers the first N DATA with 451."""

    def __init__(self, refuse_first: int = 0, tls_context=None, logins=None) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.refused = 0
        self.logins: list[str] = []
        self._refuse = refuse_first
        self._accounts = logins or {}
        self.port = free_port()
        options = {}
        if tls_context is not None:
            options = {"tls_context": tls_context, "require_starttls": True}
        if self._accounts:
            options["authenticator"] = self._authenticate
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user = auth_data.login.decode()
        ok = self._accounts.get(user) == auth_data.password.decode()
        if ok:
            self.logins.append(user)
        return AuthResult(success=ok)

    async def handle_DATA(self, server, session, envelope):
        if self._refuse > 0:
            self._refuse -= 1
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        msg = email.message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def bodies(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for m in self.messages]


class WebhookReceiver:
    def __init__(self, status: int = 200) -> None:
        self.posts: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/secret-path"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
