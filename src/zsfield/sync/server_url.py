"""The server's URL: normalised, checked (plain ``http://`` only to this machine unless allowed: DESIGN, auth),
and found (the sync's options, else the database's, else the settings'). No Textual here."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from zsfield.config import Settings
from zsfield.i18n import t
from zsfield.store.db import Store
from zsfield.store.sync_state import K_SERVER
from zsfield.sync.results import SyncError

if TYPE_CHECKING:
    from zsfield.sync.client import SyncOptions


def normalise_server(url: str) -> str:
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """The normalised URL, or :class:`SyncError` for plain http:// to another machine (unless allowed)."""
    url = normalise_server(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError("insecure", t("sync.bad_url", url=url))
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure_http:
        raise SyncError("insecure", t("sync.insecure_http", url=url))
    return url


def resolve_server(store: Store | None, settings: Settings, options: SyncOptions | None = None) -> str | None:
    if options is not None and options.server:
        return options.server
    if store is not None:
        server = store.get_state(K_SERVER)
        if server:
            return server
    return settings.server
