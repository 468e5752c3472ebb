"""Real SMTP servers on loopback for the notification tests (aiosmtpd), a hung one, and a
self-signed certificate made at test time with the ``openssl`` command."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "lexflow", "smtp-mat-khau"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, valid for two days."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Recorder:
    """aiosmtpd handler keeping every message it accepted, and who logged in."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.tls_seen.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"


def _authenticator(recorder: Recorder) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            recorder.logins.append(USER)
        return AuthResult(success=ok)

    return authenticate


@contextmanager
def smtp_server(
    security: str = "none", *, cert: tuple[Path, Path] | None = None, port: int | None = None
) -> Iterator[tuple[int, Recorder]]:
    """A real SMTP server on 127.0.0.1: plain, STARTTLS required, or implicit TLS; with TLS
    it requires login (``USER``/``PASSWORD``)."""
    recorder = Recorder()
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    if security != "none":
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        kwargs.update(authenticator=_authenticator(recorder), auth_required=True)
        if security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        else:  # the whole connection is TLS (aiosmtpd's TLS check knows only STARTTLS)
            kwargs.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port, recorder
    finally:
        controller.stop()


class HungServer:
    """Accepts connections and never says a word (a mail server that hangs)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connected = threading.Event()
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        try:
            client, _address = self.listener.accept()
        except OSError:
            return
        self._clients.append(client)
        self.connected.set()

    def release(self) -> None:
        """Hang up on the client (it gets a disconnection at once)."""
        for client in self._clients:
            client.close()
        self.listener.close()
