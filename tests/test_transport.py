"""Transport security of the sync client: no plain http:// to another machine without an explicit opt-in, TLS
certificates always verified, and a certificate that does not verify stops the sync at once with a clear
message (no connection made, nothing sent, no retries). A real uvicorn server on loopback serves TLS with a
self-signed certificate made by the ``cryptography`` package (or ``openssl``)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import (
    FaultTransport,
    Laptop,
    ThreadedServer,
    backends,
    file_credentials,
    make_database,
    wait_for,
)
from zsfield.sync.client import SyncClient, SyncOptions
from zsfield.sync.http import make_client, tls_problem
from zsfield.sync.login import login
from zsfield.sync.results import SyncError
from zsfield.sync.run import run_sync
from zsfield.sync.server_url import check_server_url

# --- plain http:// ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://zs.example.gov.cn", "http://10.0.0.8:8765", "http://192.168.1.20", "http://[2001:db8::1]:8765",
     "http://127.0.0.1.example.com", "http://localhost.evil.example"],
)  # fmt: skip
def test_plain_http_to_another_machine_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(SyncError) as refused:
        check_server_url(url)
    assert refused.value.kind == "insecure"
    assert "https://" in str(refused.value) and "allow_insecure_http" in str(refused.value)
    assert check_server_url(url, allow_insecure_http=True) == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765",
                                 "http://127.8.9.10"])  # fmt: skip
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert check_server_url(url) == url


@pytest.mark.parametrize("url", ["https://zs.example.gov.cn", "zs.example.gov.cn", "https://10.0.0.8:8443/"])
def test_https_anywhere_is_allowed_and_bare_hosts_get_https(url: str) -> None:
    assert check_server_url(url).startswith("https://")


@pytest.mark.parametrize(
    "url", ["ftp://zs.example.gov.cn", "file:///etc/passwd", "https://", "gopher://zs.example.gov.cn"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(SyncError) as refused:
        check_server_url(url)
    assert refused.value.kind == "insecure"


def test_login_and_sync_refuse_plain_http_before_any_request(tmp_path: Path) -> None:
    """Nothing goes on the wire: the transport sees no request at all."""
    from zsfield.config import load_settings
    from zsfield.store import Store

    settings = load_settings(db=tmp_path / "z.db", env={"ZSFIELD_HOME": str(tmp_path)})
    store = Store.open(settings.db_path)
    transport = FaultTransport()
    try:
        with file_credentials(), pytest.raises(SyncError) as refused:
            login(
                store,
                settings,
                "http://zs.example.gov.cn",
                "zsf_secret",
                options=SyncOptions(transport=transport),
            )
        assert refused.value.kind == "insecure"
        options = SyncOptions(server="http://zs.example.gov.cn", token="zsf_secret", transport=transport)
        with file_credentials():
            result = run_sync(store, settings, options=options)
        assert not result.ok and result.error_kind == "insecure"
        assert transport.requests == []
    finally:
        store.close()
        transport.close()


# --- TLS verification -----------------------------------------------------------------------------------------


def test_the_client_verifies_certificates_and_hostnames() -> None:
    with SyncClient("https://zs.example.gov.cn", "zsf_x") as client:
        pool = client.http._transport._pool  # type: ignore[attr-defined]
        context: ssl.SSLContext = pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with make_client("https://zs.example.gov.cn") as http:
        context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_make_client_has_no_switch_to_turn_verification_off() -> None:
    import inspect

    assert "verify" not in inspect.signature(make_client).parameters
    with pytest.raises(TypeError):
        make_client("https://x", verify=False)  # type: ignore[call-arg]


def _self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (IP SAN) and its key: with cryptography, else openssl."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip(
                "neither the cryptography package nor openssl is available to make a test certificate"
            )
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key_path), "-out", str(cert_path), "-days", "2", "-subj", f"/CN={host}",
             "-addext", f"subjectAltName=IP:{host}"],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zsfield test server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class TLSServer(ThreadedServer):
    """The real app under uvicorn on loopback, serving https:// with a self-signed certificate."""

    def __init__(self, db: Any, cert: Path, key: Path) -> None:
        super().__init__(db)
        self.cert, self.key = cert, key
        self.url = f"https://127.0.0.1:{self.port}"

    def start(self) -> TLSServer:
        import threading

        import uvicorn

        from zsfield_sync.api import create_app

        config = uvicorn.Config(
            create_app(self.engine),
            log_level="critical",  # the refused handshakes are the point of the test
            access_log=False,
            lifespan="off",
            ssl_certfile=str(self.cert),
            ssl_keyfile=str(self.key),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=15)
        return self


@pytest.fixture(params=backends())
def tls_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TLSServer]:
    cert, key = _self_signed(tmp_path)
    db = make_database(request.param, tmp_path)
    server = TLSServer(db, cert, key)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        db.cleanup()


def test_a_self_signed_certificate_stops_the_client_with_a_clear_message(
    tls_server: TLSServer, tmp_path: Path
) -> None:
    token = tls_server.add_officer("陈静", team="一组")
    lap = Laptop("陈静", tmp_path / "home", tls_server, token)
    try:
        with pytest.raises(SyncError) as refused, file_credentials():
            login(lap.store, lap.settings, tls_server.url, token, options=lap.options(max_attempts=4))
        message = str(refused.value)
        assert refused.value.kind == "insecure"
        assert tls_server.url in message and "certificate" in message and "nothing was sent" in message
        assert "self-signed" in message or "self signed" in message
        assert lap.transport.requests == ["GET /v1/whoami"]  # one attempt: a bad certificate is not retried
        assert lap.store.get_state("server") in (None, "")  # not logged in
        # the sync of a laptop pointed at it stops the same way, with its changes kept
        options = lap.options(server=tls_server.url, token=token)
        with file_credentials():
            result = run_sync(lap.store, lap.settings, options=options)
        assert not result.ok and result.error_kind == "insecure" and "certificate" in (result.error or "")
        # no request ever reached the application
        assert tls_server.records("company") == [] and _clients(tls_server) == 0
    finally:
        lap.close()


def test_a_trusted_certificate_works_and_the_hostname_is_still_checked(
    tls_server: TLSServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure above is verification, not a broken server: a client that trusts the certificate (the
    zone's own CA through SSL_CERT_FILE) connects; the same certificate for another host name does not."""
    token = tls_server.add_officer("黄磊", team="一组")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.cert))
    lap = Laptop("黄磊", tmp_path / "home", tls_server, token)
    try:
        with file_credentials():
            login(lap.store, lap.settings, tls_server.url, token, options=lap.options(transport=None))
            result = run_sync(lap.store, lap.settings, options=lap.options(transport=None))
        assert result.ok, result.error
        wrong_host = tls_server.url.replace("127.0.0.1", "localhost")
        with make_client(wrong_host) as http, pytest.raises(httpx.ConnectError) as failed:
            http.get("/v1/health")
        problem = tls_problem(failed.value)
        assert problem is not None and ("hostname" in problem.lower() or "match" in problem.lower())
    finally:
        lap.close()


def test_tls_problem_tells_certificates_from_network_outages() -> None:
    assert tls_problem(httpx.ConnectError("[Errno 111] Connection refused")) is None
    assert tls_problem(httpx.ReadTimeout("timed out")) is None
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    wrapped = httpx.ConnectError("handshake")
    wrapped.__cause__ = cause
    assert tls_problem(wrapped) is not None


def _clients(server: ThreadedServer) -> int:
    from sqlalchemy import func, select

    from zsfield_sync.storage import clients, read_tx

    with read_tx(server.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(clients)).scalar() or 0)
