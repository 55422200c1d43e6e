"""The server's HTTP API for the sync (httpx): :class:`SyncClient` (one keep-alive client per sync, TLS
verified, transient failures retried with bounded exponential backoff), the server's refusals as
:class:`~zsfield.sync.results.SyncError`, and :class:`Ahead` (the next request in flight while the laptop
stores the previous reply). No Textual here.
"""

from __future__ import annotations

import contextlib
import gc
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from zsfield import __version__, protocol
from zsfield.i18n import t
from zsfield.sync.http import httpx, make_client, tls_problem
from zsfield.sync.results import SyncError

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


def check_compatible(who: protocol.WhoAmI) -> None:
    """Refuse (``schema`` :class:`SyncError`) a server whose wire schema and this laptop's cannot talk."""
    if who.min_schema_version > protocol.SCHEMA_VERSION:
        raise SyncError(
            "schema", t("sync.client_too_old", server=who.schema_version, mine=protocol.SCHEMA_VERSION)
        )
    if who.schema_version < protocol.SCHEMA_VERSION:
        raise SyncError(
            "schema", t("sync.server_too_old", server=who.schema_version, mine=protocol.SCHEMA_VERSION)
        )


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
        """Send a ready push body (:func:`~zsfield.store.outbox.push_body`); the reply as a
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
