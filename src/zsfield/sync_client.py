"""Batch sync with the central server over HTTP (httpx): push the outbox, then pull to the end.

For the CLI and for a Textual worker alike::

    result = run_sync(store, settings, progress=on_progress, cancel=stop_event)
    if not result.ok: show(result.error)

:func:`run_sync` never raises for sync failures (no network, revoked token, newer server schema…): it
returns a :class:`SyncResult` saying what went through and, if it stopped, why — every op it could not send
stays in the outbox. Transient failures (connection errors, 5xx, 429) are retried with bounded exponential
backoff. ``progress`` is called from the calling thread with a :class:`SyncProgress`; ``cancel`` (a
:class:`threading.Event`) stops between batches, never inside a local transaction.

No Textual or Rich here (a test checks it).
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError

from zsfield import __version__, protocol
from zsfield.config import Settings
from zsfield.i18n import t
from zsfield.store import sync_apply
from zsfield.store.db import Store
from zsfield.store.errors import StoreError
from zsfield.sync.http import httpx, make_client, tls_problem

# --- results and progress -------------------------------------------------------------------------------------

EXIT_OK = 0
EXIT_ATTENTION = 1
EXIT_NOT_LOGGED_IN = 10
EXIT_AUTH = 11
EXIT_SCHEMA = 12
EXIT_UNAVAILABLE = 13
EXIT_PROTOCOL = 14
EXIT_BUSY = 15
EXIT_CANCELLED = 130

_EXIT_BY_KIND = {
    "not_logged_in": EXIT_NOT_LOGGED_IN,
    "insecure": EXIT_NOT_LOGGED_IN,
    "auth": EXIT_AUTH,
    "forbidden": EXIT_AUTH,
    "schema": EXIT_SCHEMA,
    "unavailable": EXIT_UNAVAILABLE,
    "protocol": EXIT_PROTOCOL,
    "sequence": EXIT_PROTOCOL,
    "store": EXIT_PROTOCOL,
    "busy": EXIT_BUSY,
    "cancelled": EXIT_CANCELLED,
}


class SyncError(Exception):
    """Why a sync stopped. ``kind``: not_logged_in, insecure, auth, forbidden, schema, unavailable, protocol,
    sequence, store, busy (another sync of this database is running), cancelled."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind, self.status, self.code = kind, status, code
        self.errors = errors or []  # a 422 invalid_op: the refused ops (client_seq, field, message)

    @property
    def exit_code(self) -> int:
        return _EXIT_BY_KIND.get(self.kind, EXIT_PROTOCOL)


@dataclass(frozen=True)
class SyncProgress:
    """One step: ``phase`` is connect, push, pull or done; ``done`` of ``total`` (None: unknown)."""

    phase: str
    done: int = 0
    total: int | None = None
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


@dataclass
class SyncResult:
    """What a sync did. ``ok``: pushed and pulled to the end; ``needs_attention``: new conflicts/rejections."""

    ok: bool = False
    server: str | None = None
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejections: int = 0
    replayed: int = 0
    pulled: int = 0
    batches: int = 0
    pages: int = 0
    outbox_left: int = 0
    moved_away: int = 0
    """Records removed from this laptop because they moved to another team (a project and its children)."""
    moved_changes: int = 0
    """Changes still waiting to be sent that concern a record that moved to another team (listed on the sync
    screen; they stay in the outbox and go to the new owners)."""
    epoch_reset: bool = False
    resent: int = 0
    """Acknowledged changes sent again because the restored server no longer had them."""
    realigned: int = 0
    """Ops given new numbers after the server's (a restored laptop backup, ``--repair``, a refused number)."""
    error: str | None = None
    error_kind: str | None = None
    started_at: str = ""
    finished_at: str = ""
    seconds: float = 0.0

    @property
    def needs_attention(self) -> bool:
        return self.conflicts > 0 or self.rejections > 0

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return _EXIT_BY_KIND.get(self.error_kind or "", EXIT_PROTOCOL)
        return EXIT_ATTENTION if self.needs_attention else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "needs_attention": self.needs_attention, "exit_code": self.exit_code}


def summary_lines(result: SyncResult) -> list[str]:
    """What a sync did, truly: one summary line when it went through; when it stopped, one line of what
    went through before (none when nothing did: the error says it all)."""
    counts = {
        "pushed": result.pushed,
        "conflicts": result.conflicts,
        "rejections": result.rejections,
        "pulled": result.pulled,
        "seconds": result.seconds,
    }
    lines = []
    if result.ok:
        lines.append(t("sync.summary", **counts))
        if result.needs_attention:
            lines.append(
                t("sync.summary_attention", conflicts=result.conflicts, rejections=result.rejections)
            )
    elif result.pushed or result.pulled:
        lines.append(t("sync.summary_stopped", **counts))
    if result.moved_away:
        lines.append(t("sync.moved_away", n=result.moved_away))
    if result.moved_changes:
        lines.append(t("sync.moved_changes", n=result.moved_changes))
    return lines


def notes(result: SyncResult) -> list[str]:
    """The sync's notes: a server restore and what was sent again, numbers realigned, ops left."""
    lines = []
    if result.epoch_reset:
        lines.append(t("sync.epoch_reset"))
    if result.resent:
        lines.append(t("sync.resent", n=result.resent))
    if result.realigned:
        lines.append(t("sync.realigned", n=result.realigned))
    if result.outbox_left:
        lines.append(t("sync.outbox_left", n=result.outbox_left))
    return lines


BODY_MARGIN = 96 * 1024
"""Room left below the server's body limit."""


@dataclass
class SyncOptions:
    """Knobs (tests shrink batches and backoff; the defaults suit an office network)."""

    batch_ops: int = protocol.MAX_BATCH_OPS
    """Ops per push, at most (and at most what the server advertises in ``/v1/whoami`` limits)."""
    batch_bytes: int = protocol.MAX_BODY_BYTES - BODY_MARGIN
    """Bytes per push body, at most (and at most the server's limit less :data:`BODY_MARGIN`)."""
    page_size: int = protocol.MAX_PULL_LIMIT
    """Changes per pull page asked for (at most the server's limit)."""
    max_attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 8.0
    timeout: float = 60.0
    server: str | None = None
    token: str | None = None
    allow_insecure_http: bool | None = None
    transport: httpx.BaseTransport | None = None
    fault: Callable[[str], None] | None = None
    """Test hook, called at "push:reply" (reply received, not stored) and "pull:page" (page received)."""


ProgressFn = Callable[[SyncProgress], None]

# --- server URLs ------------------------------------------------------------------------------------------


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


# --- HTTP -----------------------------------------------------------------------------------------------------


class SyncClient:
    """The server's API with retries; one httpx client (keep-alive, TLS verified) per sync."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        options: SyncOptions | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.server = server
        self.options = options or SyncOptions()
        self.cancel = cancel
        self._abandoned = threading.Event()  # see Ahead.settle: stop retrying a reply nobody waits for
        self.http = make_client(  # TLS certificates always verified
            server,
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"zsfield/{__version__}"},
            timeout=httpx.Timeout(self.options.timeout, connect=min(10.0, self.options.timeout)),
            transport=self.options.transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- endpoints ------------------------------------------------------------------------------------------

    def health(self) -> protocol.Health:
        return self._call("GET", "/v1/health", protocol.Health)

    def whoami(self) -> protocol.WhoAmI:
        return self._call("GET", "/v1/whoami", protocol.WhoAmI)

    def push(self, request: protocol.PushRequest) -> protocol.PushResponse:
        body = orjson.dumps(request.model_dump(mode="json"))
        return self._call("POST", "/v1/push", protocol.PushResponse, content=body)

    def push_body(self, body: bytes) -> dict[str, Any]:
        """Send a ready push body (:func:`~zsfield.store.sync_apply.push_body`); the reply as a
        :class:`~zsfield.protocol.PushResponse` dict."""
        return self._call("POST", "/v1/push", protocol.parse_push_reply, content=body)

    def pull(self, since: int, limit: int) -> protocol.PullResponse:
        return self._call("GET", "/v1/pull", protocol.PullResponse, params={"since": since, "limit": limit})

    def pull_page(self, since: int, limit: int) -> dict[str, Any]:
        """One pull page as a :class:`~zsfield.protocol.PullResponse` dict."""
        return self._call(
            "GET", "/v1/pull", protocol.parse_pull_reply, params={"since": since, "limit": limit}
        )

    def conflicts(self, *, open_only: bool = True) -> protocol.ConflictList:
        return self._call(
            "GET", "/v1/conflicts", protocol.ConflictList, params={"open_only": str(open_only).lower()}
        )

    # --- the one place requests are made ---------------------------------------------------------------------

    def push_raw(self, body: bytes) -> bytes:
        """Send a ready push body; the reply's bytes (for :meth:`parse`), once the server took the batch."""
        return self._fetch("POST", "/v1/push", content=body)

    def parse(self, model: Any, content: bytes) -> Any:
        """A reply's bytes read by ``model`` (a pydantic model class, or a function parsing the bytes); a reply
        it refuses is a ``protocol`` :class:`SyncError`."""
        parse = model.model_validate_json if isinstance(model, type) else model
        try:
            with gc_held():
                return parse(content)
        except (ValidationError, ValueError) as exc:
            raise SyncError("protocol", t("sync.bad_reply", server=self.server, error=exc)) from exc

    def _call(self, method: str, path: str, model: Any, **kwargs: Any) -> Any:
        return self.parse(model, self._fetch(method, path, **kwargs))

    def _fetch(self, method: str, path: str, **kwargs: Any) -> bytes:
        """The bytes of the reply to a request (retried on transient failures), or :class:`SyncError`."""
        opts = self.options
        headers = {"Content-Type": "application/json"} if "content" in kwargs else None
        last_error = ""
        for attempt in range(max(1, opts.max_attempts)):
            if (self.cancel is not None and self.cancel.is_set()) or self._abandoned.is_set():
                raise SyncError("cancelled", t("sync.cancelled"))
            retry_after: float | None = None
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                problem = tls_problem(exc)
                if problem is not None:  # a certificate that does not verify will not verify on a retry
                    raise SyncError(
                        "insecure", t("sync.tls_failed", server=self.server, error=problem)
                    ) from exc
                last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.status_code < 400:
                    return response.content
                if _code(response) == protocol.ERR_STORAGE_FULL:  # no quick retry frees a disk
                    raise _error_for(response, self.server)
                if response.status_code == 429 or response.status_code >= 500:
                    last_error = f"HTTP {response.status_code} {_message(response)}".strip()
                    retry_after = _retry_after(response)
                else:
                    raise _error_for(response, self.server)
            if attempt + 1 >= opts.max_attempts or self._abandoned.is_set():
                break
            delay = min(opts.max_backoff, opts.backoff * (2**attempt)) * (0.75 + random.random() / 2)
            if retry_after is not None:
                delay = min(opts.max_backoff, max(delay, retry_after))
            if self.cancel is not None:
                if self.cancel.wait(delay):
                    raise SyncError("cancelled", t("sync.cancelled"))
            else:
                time.sleep(delay)
        raise SyncError(
            "unavailable",
            t("sync.unavailable", server=self.server, attempts=opts.max_attempts, error=last_error),
        )


class _GcHold:
    """Holds off the cyclic garbage collector while a sync parses or stores a pull page or a push reply: a page
    is thousands of dicts (none in a cycle), and the collections their allocation triggers walk the process's
    whole heap — tens of milliseconds each in an app. Collections go on between pages. Threads and nesting
    share one count; the collector is switched back on only if it was on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


gc_held = _GcHold()


class Ahead:
    """The next request of a sync, sent from a helper thread while the calling thread stores the previous
    reply (a push reply, a pull page) in the local database: the server and the laptop work at the same time.
    At most one request is in flight, so the server still sees a client's requests one after another. The
    helper is a daemon thread: an app closing during a sync never waits for a request it will not use."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self._thread: threading.Thread | None = None
        self._outcome: list[tuple[bool, Any]] = []

    def send(self, call: Callable[..., Any], *args: Any) -> None:
        if self._thread is not None:
            raise RuntimeError("a request is already in flight")
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                outcome.append((True, call(*args)))
            except BaseException as exc:  # handed to the caller by reply()
                outcome.append((False, exc))

        self._outcome = outcome
        self._thread = threading.Thread(target=run, name="zsfield-sync-ahead", daemon=True)
        self._thread.start()

    def reply(self) -> Any:
        """The reply of the request in flight (or its error, raised here)."""
        thread, self._thread = self._thread, None
        if thread is None:
            raise RuntimeError("no request in flight")
        thread.join()
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value

    def settle(self) -> None:
        """The sync stops early: let a request still in flight end (no more retries), its reply unused — a
        push the server applied is replayed from its op log at the next sync."""
        if self._thread is not None:
            self.client._abandoned.set()
            with contextlib.suppress(Exception):
                self.reply()
            self.client._abandoned.clear()


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return protocol.error_message(body, response.text[:200])


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_for(response: httpx.Response, server: str) -> SyncError:
    status, code, message = response.status_code, _code(response), _message(response)
    if status == 401:
        kind = "auth"
        text = (
            t("sync.revoked", message=message)
            if code == protocol.ERR_REVOKED
            else t("sync.unauthorized", message=message)
        )
    elif status == 403:
        kind, text = "forbidden", t("sync.forbidden", message=message)
    elif status == 426 or code in (protocol.ERR_SCHEMA_TOO_OLD, protocol.ERR_SCHEMA_TOO_NEW):
        kind, text = "schema", t("sync.schema", message=message)
    elif status == 409 and code in (protocol.ERR_SEQ_GAP, protocol.ERR_SEQ_REUSED):
        kind, text = "sequence", t("sync.sequence", message=message)
    elif status == 404:
        kind, text = "protocol", t("sync.not_a_server", server=server)
    elif code == protocol.ERR_STORAGE_FULL:
        kind, text = "unavailable", t("sync.storage_full", server=server)
    else:
        kind, text = "protocol", t("sync.refused", status=status, message=message)
    errors = _errors(response) if code == protocol.ERR_INVALID_OP else None
    return SyncError(kind, text, status=status, code=code, errors=errors)


# --- the sync -------------------------------------------------------------------------------------------------


def _now() -> str:
    return sync_apply.now_text()


def resolve_server(store: Store | None, settings: Settings, options: SyncOptions | None = None) -> str | None:
    if options is not None and options.server:
        return options.server
    if store is not None:
        server = store.get_state(sync_apply.K_SERVER)
        if server:
            return server
    return settings.server


def check_compatible(who: protocol.WhoAmI) -> None:
    if who.min_schema_version > protocol.SCHEMA_VERSION:
        raise SyncError(
            "schema", t("sync.client_too_old", server=who.schema_version, mine=protocol.SCHEMA_VERSION)
        )
    if who.schema_version < protocol.SCHEMA_VERSION:
        raise SyncError(
            "schema", t("sync.server_too_old", server=who.schema_version, mine=protocol.SCHEMA_VERSION)
        )


def run_sync(
    store: Store,
    settings: Settings,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    *,
    options: SyncOptions | None = None,
) -> SyncResult:
    """Push every outbox op (in batches), then pull every change; see the module docstring."""
    opts = options or SyncOptions()
    result = SyncResult(started_at=_now())
    start = time.monotonic()
    report: ProgressFn = progress or (lambda _p: None)
    from zsfield.store.synclock import SyncBusy, sync_lock

    try:
        # one sync per database at a time, across processes; and one connection, open for the whole sync,
        # serves all its transactions: none opens the file again, and closing one is never the last close
        # that checkpoints the WAL (and fsyncs the file)
        with sync_lock(store.path), contextlib.ExitStack() as held:
            with contextlib.suppress(Exception):  # a store that cannot open says so below
                store = held.enter_context(store.pinned())
            _run(store, settings, result, report, cancel, opts, start)
    except SyncBusy:  # the sync that runs keeps its own result: nothing recorded here
        result.error, result.error_kind = t("sync.busy"), "busy"
        result.seconds = round(time.monotonic() - start, 3)
        result.finished_at = _now()
    report(SyncProgress("done", 1, 1, t("sync.done") if result.ok else (result.error or "")))
    return result


def _run(
    store: Store,
    settings: Settings,
    result: SyncResult,
    report: ProgressFn,
    cancel: threading.Event | None,
    opts: SyncOptions,
    start: float,
) -> None:
    try:
        server = resolve_server(store, settings, opts)
        if not server:
            raise SyncError("not_logged_in", t("sync.not_logged_in"))
        allow = settings.allow_insecure_http if opts.allow_insecure_http is None else opts.allow_insecure_http
        server = check_server_url(server, allow_insecure_http=allow)
        result.server = server
        token = opts.token
        if token is None:
            from zsfield.sync.credentials import load_token

            stored = load_token(settings, server)
            if stored is None:
                raise SyncError("not_logged_in", t("sync.no_token", server=server))
            token = stored.token
        report(SyncProgress("connect", 0, None, server))
        with SyncClient(server, token, options=opts, cancel=cancel) as client:
            who = client.whoami()
            check_compatible(who)
            begun = sync_apply.begin_sync(
                store,
                server,
                who.officer,
                who.epoch,
                who.restore,
                retention_days=settings.sync_retention_days,
            )
            result.epoch_reset = begun.epoch_reset
            result.resent = begun.resent
            ahead = Ahead(client)
            try:
                _push_all(store, client, result, report, cancel, opts, who.limits, begun=begun, ahead=ahead)
                restored = _pull_all(
                    store, client, result, report, cancel, opts, who.limits, state=begun.state, ahead=ahead
                )
                if restored:  # restored during the pull: send what it lost now, then pull what that changed
                    _check_cancel(cancel)
                    _push_all(store, client, result, report, cancel, opts, who.limits, ahead=ahead)
                    _pull_all(store, client, result, report, cancel, opts, who.limits, ahead=ahead)
            finally:
                ahead.settle()
        result.ok = True
    except SyncError as exc:
        result.error, result.error_kind = str(exc), exc.kind
    except StoreError as exc:
        result.error, result.error_kind = str(exc), "store"
    finally:
        with contextlib.suppress(Exception):  # a pull cut short leaves no table without its indexes
            sync_apply.restore_indexes(store)
        result.seconds = round(time.monotonic() - start, 3)
        result.finished_at = _now()

        with contextlib.suppress(Exception):
            result.moved_changes = sync_apply.moved_count(store)

        def render(left: int) -> str:
            result.outbox_left = left
            return orjson.dumps(result.to_dict()).decode()

        with contextlib.suppress(Exception):  # the store is what failed: the result still says why
            sync_apply.record_result(store, render, ok=result.ok, finished_at=result.finished_at)


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def _check_cancel(cancel: threading.Event | None) -> None:
    if _cancelled(cancel):
        raise SyncError("cancelled", t("sync.cancelled"))


def _refused_ops(exc: SyncError, sendable: set[int]) -> dict[int, str]:
    """The ops of a batch named by a 422 ``invalid_op`` (client_seq -> reason), among ``sendable``."""
    if exc.code != protocol.ERR_INVALID_OP:
        return {}
    named: dict[int, str] = {}
    for error in exc.errors:
        seq = error.get("client_seq")
        if isinstance(seq, int) and seq in sendable:
            where = error.get("field")
            message = str(error.get("message") or error.get("code") or "")
            named[seq] = f"{where}: {message}" if where else message
    return named


def _push_all(
    store: Store,
    client: SyncClient,
    result: SyncResult,
    report: ProgressFn,
    cancel: threading.Event | None,
    opts: SyncOptions,
    limits: protocol.Limits | None = None,
    *,
    ahead: Ahead,
    begun: sync_apply.SyncStart | None = None,
) -> None:
    """Send the outbox in batches (see :func:`_push_batches`). First, when the outbox's numbers are to be
    checked against the server's (a restored laptop backup, ``--repair``: :data:`sync_apply.K_REALIGN`), or
    when the server refuses them (409 ``seq_reused`` / ``seq_gap``), :func:`_realign` — once per sync."""
    limits = limits or protocol.Limits()
    max_ops = max(1, min(opts.batch_ops, limits.max_batch_ops))
    max_bytes = max(64 * 1024, min(opts.batch_bytes, limits.max_body_bytes - BODY_MARGIN))
    client_id = begun.client_id if begun else sync_apply.ensure_client_id(store)
    total = begun.outbox if begun else sync_apply.outbox_count(store)
    state = begun.state if begun else sync_apply.sync_state(store)
    report(SyncProgress("push", 0, total, t("sync.pushing", n=total)))
    if not total:
        if state.get(sync_apply.K_REALIGN) == "1":
            sync_apply.realign(store, 0)  # nothing to check (clears the flag; no number is given)
        return
    realigned = False
    if state.get(sync_apply.K_REALIGN) == "1":
        _realign(store, client, result, client_id, max_ops, max_bytes)
        realigned = True
    while True:
        try:
            _push_batches(
                store, client, result, report, cancel, opts, ahead, client_id, total, max_ops, max_bytes
            )
            return
        except SyncError as exc:
            if exc.kind != "sequence" or realigned:
                raise
        _check_cancel(cancel)
        _realign(store, client, result, client_id, max_ops, max_bytes)
        realigned = True


def _realign(
    store: Store, client: SyncClient, result: SyncResult, client_id: str, max_ops: int, max_bytes: int
) -> None:
    """Make the outbox's numbers follow the server's, losing and doubling nothing. An empty push tells the
    server's last number for this client; every op numbered at most that is asked about by pushing it again
    under its number: the server replays an op it holds under that number and op id (acknowledged now, like
    any reply) and refuses one it does not (409 ``seq_reused``: it was never applied — an op keeps its number
    from the moment it is written, so it was never sent under another). Runs of such ops go together, halved
    until the refused ones stand alone. The ops left are then numbered from the server's last + 1."""
    last = int(client.push_body(sync_apply.push_body(client_id, []))["last_seq"])

    def probe(ops: list[sync_apply.PendingOp]) -> None:
        try:
            reply = client.push_body(sync_apply.push_body(client_id, ops))
        except SyncError as exc:
            if exc.code != protocol.ERR_SEQ_REUSED:
                raise
            if len(ops) > 1:
                probe(ops[: len(ops) // 2])
                probe(ops[len(ops) // 2 :])
            return  # a lone op the server does not hold under its number: renumbered below
        try:
            ack = sync_apply.apply_push_reply(store, ops, reply, client_id)
        except ValueError as exc:
            raise SyncError("protocol", t("sync.bad_reply", server=client.server, error=exc)) from exc
        _count(result, ack)

    after = 0
    while True:
        batch = sync_apply.read_outbox(store, max_ops=max_ops, max_bytes=max_bytes, after=after, upto=last)
        if not batch:
            break
        run: list[sync_apply.PendingOp] = []
        for op in batch:
            if run and op.client_seq != run[-1].client_seq + 1:  # a push holds consecutive numbers only
                probe(run)
                run = []
            run.append(op)
        probe(run)
        after = batch[-1].client_seq
    result.realigned += sync_apply.realign(store, last)


def _count(result: SyncResult, ack: sync_apply.AckSummary) -> None:
    result.batches += 1
    result.pushed += ack.acknowledged
    result.applied += ack.applied
    result.conflicts += ack.conflicts
    result.rejections += ack.rejected
    result.replayed += ack.replayed


def _push_batches(
    store: Store,
    client: SyncClient,
    result: SyncResult,
    report: ProgressFn,
    cancel: threading.Event | None,
    opts: SyncOptions,
    ahead: Ahead,
    client_id: str,
    total: int,
    max_ops: int,
    max_bytes: int,
) -> None:
    """Send the outbox in batches. While the server applies a batch, the laptop reads the next one; once its
    reply is in, the next batch goes out and the reply is stored meanwhile (ops leave the outbox only with
    their reply, as ever)."""
    refused: dict[int, str] = {}  # client_seq -> the server's reason, for ops its checks refused

    def send(batch: list[sync_apply.PendingOp]) -> None:
        for op in batch:
            if op.client_seq in refused and not op.void:
                op.make_void(refused[op.client_seq])
        claim = sync_apply.push_claim(store, batch)  # what the laptop knew when the batch was written
        ahead.send(client.push_raw, sync_apply.push_body(client_id, batch, claim))

    batch = sync_apply.read_outbox(store, max_ops=max_ops, max_bytes=max_bytes)
    if not batch:
        return
    send(batch)
    while True:
        following = sync_apply.read_outbox(
            store, max_ops=max_ops, max_bytes=max_bytes, after=batch[-1].client_seq
        )
        try:
            raw = ahead.reply()
        except SyncError as exc:
            # ops the server's checks refuse (nothing was applied): send them again as void, so they become
            # rejections listed on this laptop, and the rest of the queue goes through
            sendable = {op.client_seq for op in batch if not op.void}
            named = _refused_ops(exc, sendable)
            if not named:
                raise
            refused.update(named)
            _check_cancel(cancel)
            send(batch)
            continue
        if opts.fault is not None:
            opts.fault("push:reply")
        if following and not _cancelled(cancel):
            send(following)  # on its way while this reply is read and stored
        else:
            following = []
        reply = client.parse(protocol.parse_push_reply, raw)
        try:
            with gc_held():
                ack = sync_apply.apply_push_reply(store, batch, reply, client_id)
        except ValueError as exc:
            raise SyncError("protocol", t("sync.bad_reply", server=client.server, error=exc)) from exc
        _count(result, ack)
        total = max(total, result.pushed + ack.left)
        report(SyncProgress("push", result.pushed, total, t("sync.pushed", n=result.pushed, total=total)))
        if following:
            batch = following
            continue
        if not ack.left:
            return
        _check_cancel(cancel)  # between batches, once the reply is stored
        # ops written while this batch was out: read the outbox again from its start
        batch = sync_apply.read_outbox(store, max_ops=max_ops, max_bytes=max_bytes)
        if not batch:
            return
        send(batch)


def _pull_all(
    store: Store,
    client: SyncClient,
    result: SyncResult,
    report: ProgressFn,
    cancel: threading.Event | None,
    opts: SyncOptions,
    limits: protocol.Limits | None = None,
    *,
    ahead: Ahead,
    state: dict[str, str] | None = None,
) -> bool:
    """Pull pages to the end; the next page is asked for while this one is stored (each page with its
    cursor, in one local transaction). True when the server's epoch changed during the pull (it was restored:
    the pull started over, and the acknowledged ops it lost are back in the outbox)."""
    limits = limits or protocol.Limits()
    page_size = max(1, min(opts.page_size, limits.max_pull_limit))
    state = state if state is not None else sync_apply.sync_state(store)
    since = int(state.get(sync_apply.K_CURSOR) or 0)
    full = state.get(sync_apply.K_FULL_REPULL) == "1"
    epoch = state.get(sync_apply.K_EPOCH) or ""
    start = since
    report(SyncProgress("pull", 0, None, t("sync.pulling")))
    _check_cancel(cancel)
    page = client.pull_page(since, page_size)
    restored = False
    while True:
        if epoch and page["epoch"] != epoch:  # restored while we were syncing: start the pull over
            who = client.whoami()  # what the restore kept
            result.resent += sync_apply.reset_for_epoch(
                store, page["epoch"], who.restore if who.epoch == page["epoch"] else None
            )
            result.epoch_reset = restored = True
            since, start, full, epoch = 0, 0, True, page["epoch"]
            _check_cancel(cancel)
            page = client.pull_page(since, page_size)
            continue
        if opts.fault is not None:
            opts.fault("pull:page")
        if page["has_more"] and page["cursor"] <= since:
            raise SyncError(
                "protocol", t("sync.bad_reply", server=client.server, error="the cursor did not move")
            )
        if page["has_more"] and not _cancelled(cancel):
            ahead.send(client.pull_page, page["cursor"], page_size)  # on its way while this page is stored
        if (
            page["changes"]
            or page["cursor"] != since
            or page["epoch"] != epoch
            or (full and not page["has_more"])
        ):
            with gc_held():
                stored = sync_apply.apply_pull_page(store, page, full_repull=full)
            result.moved_away += stored.moved_away
            result.rejections += stored.unreadable  # records it cannot read: listed, not stored
        # else: the stored cursor, epoch and re-pull flag already say what this empty page says
        epoch = page["epoch"]
        result.pages += 1
        result.pulled += len(page["changes"])
        since = page["cursor"]
        span = max(page["head"] - start, 1)
        report(SyncProgress("pull", since - start, span, t("sync.pulled", n=result.pulled)))
        if not page["has_more"]:
            return restored
        _check_cancel(cancel)  # between pages, once this one is stored
        page = ahead.reply()


# --- login / logout -------------------------------------------------------------------------------------------


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
    state = sync_apply.sync_state(store)
    reset = False
    notes: list[str] = []
    previous_server = state.get(sync_apply.K_SERVER)
    previous_officer = state.get("officer_id")
    if (previous_server and previous_server != server) or (
        previous_officer and previous_officer != who.officer.id
    ):
        sync_apply.reset_for_server(store, server)
        reset = True
        notes.append(t("sync.login_reset"))
    sync_apply.record_identity(store, server, who.officer)
    sync_apply.ensure_client_id(store)
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


__all__ = [
    "LoginResult",
    "SyncClient",
    "SyncError",
    "SyncOptions",
    "SyncProgress",
    "SyncResult",
    "check_server_url",
    "fetch_conflicts",
    "login",
    "logout",
    "notes",
    "run_sync",
    "summary_lines",
]
