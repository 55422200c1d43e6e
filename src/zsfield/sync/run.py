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
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson

from zsfield import protocol
from zsfield.config import Settings
from zsfield.i18n import t
from zsfield.store import outbox, pull, push, sync_state
from zsfield.store.db import Store
from zsfield.store.errors import StoreError
from zsfield.store.read import sync_lists
from zsfield.sync.client import BODY_MARGIN, Ahead, SyncClient, SyncOptions, check_compatible, gc_held
from zsfield.sync.results import ProgressFn, SyncError, SyncProgress, SyncResult
from zsfield.sync.server_url import check_server_url, resolve_server


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
    result = SyncResult(started_at=sync_state.now_text())
    start = time.monotonic()
    report: ProgressFn = progress or (lambda _p: None)
    from zsfield.store.sync_lock import SyncBusy, sync_lock

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
        result.finished_at = sync_state.now_text()
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
            begun = sync_state.begin_sync(
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
            s = _Sync(store, client, ahead, result, report, cancel, opts, who.limits or protocol.Limits())
            try:
                _push_all(s, begun)
                restored = _pull_all(s, begun.state)
                if restored:  # restored during the pull: send what it lost now, then pull what that changed
                    s.check_cancel()
                    _push_all(s)
                    _pull_all(s)
            finally:
                ahead.settle()
        result.ok = True
    except SyncError as exc:
        result.error, result.error_kind = str(exc), exc.kind
    except StoreError as exc:
        result.error, result.error_kind = str(exc), "store"
    finally:
        with contextlib.suppress(Exception):  # a pull cut short leaves no table without its indexes
            pull.restore_indexes(store)
        result.seconds = round(time.monotonic() - start, 3)
        result.finished_at = sync_state.now_text()

        with contextlib.suppress(Exception):
            result.moved_changes = sync_lists.moved_count(store)

        def render(left: int) -> str:
            result.outbox_left = left
            return orjson.dumps(result.to_dict()).decode()

        with contextlib.suppress(Exception):  # the store is what failed: the result still says why
            sync_state.record_result(store, render, ok=result.ok, finished_at=result.finished_at)


@dataclass
class _Sync:
    """What every step of one sync works with: the local store, the server (and the request in flight), what
    the sync did so far, whom to tell, when to stop, the knobs and the server's limits."""

    store: Store
    client: SyncClient
    ahead: Ahead
    result: SyncResult
    report: ProgressFn
    cancel: threading.Event | None
    opts: SyncOptions
    limits: protocol.Limits

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def check_cancel(self) -> None:
        """Stop here when asked to (between batches and pages, never inside a local transaction)."""
        if self.cancelled():
            raise SyncError("cancelled", t("sync.cancelled"))

    def store_reply(
        self, batch: list[outbox.PendingOp], reply: dict[str, Any], client_id: str
    ) -> push.AckSummary:
        """Store a push reply (:func:`~zsfield.store.push.apply_push_reply`) and count what it says; a reply
        that does not answer the batch is a ``protocol`` :class:`SyncError`."""
        try:
            ack = push.apply_push_reply(self.store, batch, reply, client_id)
        except ValueError as exc:
            raise SyncError("protocol", t("sync.bad_reply", server=self.client.server, error=exc)) from exc
        result = self.result
        result.batches += 1
        result.pushed += ack.acknowledged
        result.applied += ack.applied
        result.conflicts += ack.conflicts
        result.rejections += ack.rejected
        result.replayed += ack.replayed
        return ack


@dataclass(frozen=True)
class _Batches:
    """How a push cuts the outbox: the client id it sends under and the bounds of a batch (the sync's
    options within the server's limits)."""

    client_id: str
    max_ops: int
    max_bytes: int

    def read(self, store: Store, **where: int) -> list[outbox.PendingOp]:
        """The next batch (``after``, ``upto``: see :func:`~zsfield.store.outbox.read_outbox`)."""
        return outbox.read_outbox(store, max_ops=self.max_ops, max_bytes=self.max_bytes, **where)

    def body(self, ops: list[outbox.PendingOp], pulled_to: int | None = None) -> bytes:
        """The push body of ``ops`` (:func:`~zsfield.store.outbox.push_body`)."""
        return outbox.push_body(self.client_id, ops, pulled_to)


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


def _push_all(s: _Sync, begun: sync_state.SyncStart | None = None) -> None:
    """Send the outbox in batches (see :func:`_push_batches`). First, when the outbox's numbers are to be
    checked against the server's (a restored laptop backup, ``--repair``: :data:`sync_state.K_REALIGN`), or
    when the server refuses them (409 ``seq_reused`` / ``seq_gap``), :func:`_realign` — once per sync."""
    store, opts, limits = s.store, s.opts, s.limits
    batches = _Batches(
        client_id=begun.client_id if begun else sync_state.ensure_client_id(store),
        max_ops=max(1, min(opts.batch_ops, limits.max_batch_ops)),
        max_bytes=max(64 * 1024, min(opts.batch_bytes, limits.max_body_bytes - BODY_MARGIN)),
    )
    total = begun.outbox if begun else outbox.outbox_count(store)
    state = begun.state if begun else sync_state.sync_state(store)
    s.report(SyncProgress("push", 0, total, t("sync.pushing", n=total)))
    if not total:
        if state.get(sync_state.K_REALIGN) == "1":
            sync_state.realign(store, 0)  # nothing to check (clears the flag; no number is given)
        return
    realigned = False
    if state.get(sync_state.K_REALIGN) == "1":
        _realign(s, batches)
        realigned = True
    while True:
        try:
            _push_batches(s, batches, total)
            return
        except SyncError as exc:
            if exc.kind != "sequence" or realigned:
                raise
        s.check_cancel()
        _realign(s, batches)
        realigned = True


def _realign(s: _Sync, batches: _Batches) -> None:
    """Make the outbox's numbers follow the server's, losing and doubling nothing. An empty push tells the
    server's last number for this client; every op numbered at most that is asked about by pushing it again
    under its number: the server replays an op it holds under that number and op id (acknowledged now, like
    any reply) and refuses one it does not (409 ``seq_reused``: it was never applied — an op keeps its number
    from the moment it is written, so it was never sent under another). Runs of such ops go together, halved
    until the refused ones stand alone. The ops left are then numbered from the server's last + 1."""
    client = s.client
    last = int(client.push_body(batches.body([]))["last_seq"])

    def probe(ops: list[outbox.PendingOp]) -> None:
        try:
            reply = client.push_body(batches.body(ops))
        except SyncError as exc:
            if exc.code != protocol.ERR_SEQ_REUSED:
                raise
            if len(ops) > 1:
                probe(ops[: len(ops) // 2])
                probe(ops[len(ops) // 2 :])
            return  # a lone op the server does not hold under its number: renumbered below
        s.store_reply(ops, reply, batches.client_id)

    after = 0
    while True:
        batch = batches.read(s.store, after=after, upto=last)
        if not batch:
            break
        run: list[outbox.PendingOp] = []
        for op in batch:
            if run and op.client_seq != run[-1].client_seq + 1:  # a push holds consecutive numbers only
                probe(run)
                run = []
            run.append(op)
        probe(run)
        after = batch[-1].client_seq
    s.result.realigned += sync_state.realign(s.store, last)


def _push_batches(s: _Sync, batches: _Batches, total: int) -> None:
    """Send the outbox in batches. While the server applies a batch, the laptop reads the next one; once its
    reply is in, the next batch goes out and the reply is stored meanwhile (ops leave the outbox only with
    their reply, as ever)."""
    store, client, ahead, result = s.store, s.client, s.ahead, s.result
    refused: dict[int, str] = {}  # client_seq -> the server's reason, for ops its checks refused

    def send(batch: list[outbox.PendingOp]) -> None:
        for op in batch:
            if op.client_seq in refused and not op.void:
                op.make_void(refused[op.client_seq])
        claim = push.push_claim(store, batch)  # what the laptop knew when the batch was written
        ahead.send(client.push_raw, batches.body(batch, claim))

    batch = batches.read(store)
    if not batch:
        return
    send(batch)
    while True:
        following = batches.read(store, after=batch[-1].client_seq)
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
            s.check_cancel()
            send(batch)
            continue
        if s.opts.fault is not None:
            s.opts.fault("push:reply")
        if following and not s.cancelled():
            send(following)  # on its way while this reply is read and stored
        else:
            following = []
        reply = client.parse(protocol.parse_push_reply, raw)
        with gc_held():
            ack = s.store_reply(batch, reply, batches.client_id)
        total = max(total, result.pushed + ack.left)
        s.report(SyncProgress("push", result.pushed, total, t("sync.pushed", n=result.pushed, total=total)))
        if following:
            batch = following
            continue
        if not ack.left:
            return
        s.check_cancel()  # between batches, once the reply is stored
        # ops written while this batch was out: read the outbox again from its start
        batch = batches.read(store)
        if not batch:
            return
        send(batch)


def _pull_all(s: _Sync, state: dict[str, str] | None = None) -> bool:
    """Pull pages to the end; the next page is asked for while this one is stored (each page with its
    cursor, in one local transaction). True when the server's epoch changed during the pull (it was restored:
    the pull started over, and the acknowledged ops it lost are back in the outbox)."""
    store, client, result = s.store, s.client, s.result
    page_size = max(1, min(s.opts.page_size, s.limits.max_pull_limit))
    state = state if state is not None else sync_state.sync_state(store)
    since = int(state.get(sync_state.K_CURSOR) or 0)
    full = state.get(sync_state.K_FULL_REPULL) == "1"
    epoch = state.get(sync_state.K_EPOCH) or ""
    start = since
    s.report(SyncProgress("pull", 0, None, t("sync.pulling")))
    s.check_cancel()
    page = client.pull_page(since, page_size)
    restored = False
    while True:
        if epoch and page["epoch"] != epoch:  # restored while we were syncing: start the pull over
            who = client.whoami()  # what the restore kept
            result.resent += sync_state.reset_for_epoch(
                store, page["epoch"], who.restore if who.epoch == page["epoch"] else None
            )
            result.epoch_reset = restored = True
            since, start, full, epoch = 0, 0, True, page["epoch"]
            s.check_cancel()
            page = client.pull_page(since, page_size)
            continue
        if s.opts.fault is not None:
            s.opts.fault("pull:page")
        if page["has_more"] and page["cursor"] <= since:
            raise SyncError(
                "protocol", t("sync.bad_reply", server=client.server, error="the cursor did not move")
            )
        if page["has_more"] and not s.cancelled():
            s.ahead.send(client.pull_page, page["cursor"], page_size)  # on its way while this page is stored
        if (
            page["changes"]
            or page["cursor"] != since
            or page["epoch"] != epoch
            or (full and not page["has_more"])
        ):
            with gc_held():
                stored = pull.apply_pull_page(store, page, full_repull=full)
            result.moved_away += stored.moved_away
            result.rejections += stored.unreadable  # records it cannot read: listed, not stored
        # else: the stored cursor, epoch and re-pull flag already say what this empty page says
        epoch = page["epoch"]
        result.pages += 1
        result.pulled += len(page["changes"])
        since = page["cursor"]
        span = max(page["head"] - start, 1)
        s.report(SyncProgress("pull", since - start, span, t("sync.pulled", n=result.pulled)))
        if not page["has_more"]:
            return restored
        s.check_cancel()  # between pages, once this one is stored
        page = s.ahead.reply()
