"""Log in (check a token against the server and keep it), log out, and read the server's conflict log. No
Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field

from zsfield import protocol
from zsfield.config import Settings
from zsfield.i18n import t
from zsfield.store.db import Store
from zsfield.store.sync_state import (
    K_SERVER,
    ensure_client_id,
    record_identity,
    reset_for_server,
    sync_state,
)
from zsfield.sync.client import SyncClient, SyncOptions, check_compatible
from zsfield.sync.results import SyncError
from zsfield.sync.server_url import check_server_url, normalise_server, resolve_server


@dataclass
class LoginResult:
    server: str
    officer: protocol.OfficerInfo
    token_where: str
    token_detail: str
    reset: bool = False
    notes: list[str] = field(default_factory=list)


def login(
    store: Store,
    settings: Settings,
    server: str,
    token: str,
    *,
    allow_insecure_http: bool = False,
    options: SyncOptions | None = None,
) -> LoginResult:
    """Check ``token`` against ``server`` (``/v1/whoami``), keep it (keyring, else the 0600 file) and record
    the server and the officer in the database. Raises :class:`SyncError`."""
    from zsfield.sync.credentials import save_token

    server = check_server_url(server, allow_insecure_http=allow_insecure_http or settings.allow_insecure_http)
    token = token.strip()
    if not token:
        raise SyncError("auth", t("sync.empty_token"))
    opts = options or SyncOptions(max_attempts=2, backoff=0.2)
    with SyncClient(server, token, options=opts) as client:
        who = client.whoami()
    check_compatible(who)
    stored = save_token(settings, server, token)
    state = sync_state(store)
    reset = False
    notes: list[str] = []
    previous_server = state.get(K_SERVER)
    previous_officer = state.get("officer_id")
    if (previous_server and previous_server != server) or (
        previous_officer and previous_officer != who.officer.id
    ):
        reset_for_server(store, server)
        reset = True
        notes.append(t("sync.login_reset"))
    record_identity(store, server, who.officer)
    ensure_client_id(store)
    return LoginResult(server, who.officer, stored.where, stored.detail, reset, notes)


def logout(
    store: Store | None, settings: Settings, server: str | None = None
) -> tuple[str | None, list[str]]:
    """Forget the token of ``server`` (default: the database's). Returns (server, where it was removed)."""
    from zsfield.sync.credentials import delete_token

    server = server or resolve_server(store, settings)
    if not server:
        return None, []
    server = normalise_server(server)
    return server, delete_token(settings, server)


def fetch_conflicts(
    store: Store, settings: Settings, *, open_only: bool = True
) -> list[protocol.ConflictEntry]:
    """The server's conflict log as this officer may see it (a supervisor: every team's)."""
    from zsfield.sync.credentials import load_token

    server = resolve_server(store, settings)
    if not server:
        raise SyncError("not_logged_in", t("sync.not_logged_in"))
    server = check_server_url(server, allow_insecure_http=settings.allow_insecure_http)
    stored = load_token(settings, server)
    if stored is None:
        raise SyncError("not_logged_in", t("sync.no_token", server=server))
    with SyncClient(server, stored.token) as client:
        return client.conflicts(open_only=open_only).conflicts
