"""``httpx`` for the sync client, without httpx's optional command-line client; TLS always verified.

``import httpx`` also imports ``httpx._main`` (its CLI), which loads Click, Pygments and **Rich** whenever they
are installed — as they are beside Textual. The sync layer must not load Rich (DESIGN: the domain, store,
protocol and sync client never import textual or rich), so that one optional module is skipped; httpx then
falls back to a stub ``main`` and everything else is unchanged.

:func:`make_client` is the one place the sync client's HTTP client is made: certificates are always
verified (``verify=True``: the system's trust store as httpx finds it, or the bundle ``SSL_CERT_FILE`` names,
for a zone with its own certificate authority). There is deliberately no switch to turn verification off;
plain ``http://`` to another machine is refused before any request (``check_server_url`` in
:mod:`zsfield.sync.server_url`, opt-in ``allow_insecure_http``). :func:`tls_problem` tells a failed certificate
check or handshake from a network outage, so the client can stop at once with a clear message instead of
retrying.
"""

from __future__ import annotations

import os
import ssl
import sys
from functools import cache
from typing import Any

_skip_cli = "httpx" not in sys.modules and "httpx._main" not in sys.modules
if _skip_cli:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
try:
    import httpx
finally:
    if _skip_cli:
        sys.modules.pop("httpx._main", None)


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` for the sync server that verifies TLS certificates (never turned off)."""
    kwargs: dict[str, Any] = {"base_url": base_url, "headers": headers or {}, "timeout": timeout}
    if transport is not None:
        kwargs["transport"] = transport  # tests inject faults around the real transport
    return httpx.Client(verify=verified_context(), **kwargs)


def verified_context() -> ssl.SSLContext:
    """Exactly the context httpx builds for ``verify=True`` (certificates and host names checked; the bundle
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` names, else certifi's), built once per process and trust-store
    setting: loading the CA bundle takes tens of milliseconds, which every sync would otherwise pay."""
    return _verified_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@cache
def _verified_context(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=True)


def tls_problem(exc: BaseException) -> str | None:
    """What went wrong when ``exc`` (an httpx error, or anything it was raised from) is a failed TLS
    certificate check or handshake — worth no retry — else ``None`` (e.g. the network is down)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                getattr(current, "verify_message", None) or getattr(current, "reason", None) or str(current)
            )
        if isinstance(current, ssl.SSLError):
            return getattr(current, "reason", None) or str(current)
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return text
        current = current.__cause__ or current.__context__
    return None


__all__ = ["httpx", "make_client", "tls_problem", "verified_context"]
