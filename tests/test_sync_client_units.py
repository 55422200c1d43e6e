"""The sync client without a server: URLs, the token store, outbox numbering, progress, failures that keep ops."""

from __future__ import annotations

import io
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from zsfield import protocol
from zsfield.config import load_settings
from zsfield.domain.models import Company, Note
from zsfield.store import Store, outbox, push, sync_state
from zsfield.sync import credentials
from zsfield.sync.client import SyncOptions
from zsfield.sync.results import SyncError, SyncProgress
from zsfield.sync.run import run_sync
from zsfield.sync.server_url import check_server_url


def test_no_textual_or_rich_in_the_sync_layers() -> None:
    code = (
        "import sys\n"
        "import zsfield.protocol, zsfield.sync.run, zsfield.sync.login, zsfield.store.push, zsfield.sync.credentials\n"
        "import zsfield.commands.sync, zsfield_sync.api, zsfield_sync.cli, zsfield_sync.admin\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("url", "allowed", "expected"),
    [
        ("https://zs.example.gov.cn/", False, "https://zs.example.gov.cn"),
        ("zs.example.gov.cn", False, "https://zs.example.gov.cn"),
        ("http://127.0.0.1:8765", False, "http://127.0.0.1:8765"),
        ("http://localhost:8765", False, "http://localhost:8765"),
        ("http://[::1]:8765", False, "http://[::1]:8765"),
        ("http://10.1.2.3:8765", True, "http://10.1.2.3:8765"),
    ],
)
def test_server_urls(url: str, allowed: bool, expected: str) -> None:
    assert check_server_url(url, allow_insecure_http=allowed) == expected


@pytest.mark.parametrize("url", ["http://10.1.2.3:8765", "http://zs.example.gov.cn", "ftp://x.org"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(SyncError) as err:
        check_server_url(url)
    assert err.value.kind == "insecure"


class MemoryKeyring(KeyringBackend):
    """A keyring for one test, set explicitly. Never viable, so keyring never picks it as the default."""

    viable = False  # type: ignore[assignment]
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def keyring_backend() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_token_in_the_keyring_when_there_is_one(isolated_home: Path, keyring_backend: None) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    settings = load_settings()
    stored = credentials.save_token(settings, "https://zs.example.gov.cn", "zsf_secret")
    assert stored.where == "keyring" and memory.items == {
        ("zsfield", "https://zs.example.gov.cn"): "zsf_secret"
    }
    assert not settings.credentials_file.exists()
    assert credentials.load_token(settings, "https://zs.example.gov.cn").token == "zsf_secret"  # type: ignore[union-attr]
    assert credentials.delete_token(settings, "https://zs.example.gov.cn") == ["keyring"]
    assert credentials.load_token(settings, "https://zs.example.gov.cn") is None


def test_token_falls_back_to_a_private_file(isolated_home: Path, keyring_backend: None) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    settings = load_settings()
    stored = credentials.save_token(settings, "https://a.example", "zsf_a")
    credentials.save_token(settings, "https://b.example", "zsf_b")
    assert stored.where == "file" and "no usable keyring backend" in stored.detail
    assert stat.S_IMODE(settings.credentials_file.stat().st_mode) == 0o600
    assert credentials.load_token(settings, "https://b.example").token == "zsf_b"  # type: ignore[union-attr]
    assert credentials.delete_token(settings, "https://a.example") == [str(settings.credentials_file)]
    assert credentials.load_token(settings, "https://a.example") is None
    assert credentials.load_token(settings, "https://b.example") is not None


def _ack(batch: list[outbox.PendingOp]) -> protocol.PushResponse:
    return protocol.PushResponse(
        client_id="c",
        last_seq=batch[-1].client_seq,
        epoch="e",
        results=[
            protocol.OpResult(client_seq=op.client_seq, op_id=op.op_id, status="applied", version=1)
            for op in batch
        ],
    )


def test_wire_numbers_never_go_back_when_the_outbox_empties(store: Store) -> None:
    with store.write("me") as w:
        for n in range(3):
            w.insert(Company(name=f"公司{n}"))
    batch = outbox.read_outbox(store)
    assert [op.client_seq for op in batch] == [1, 2, 3]
    push.apply_push_reply(store, batch, _ack(batch), "c")
    assert outbox.outbox_count(store) == 0
    assert store.scalar("SELECT version FROM company LIMIT 1") == 1
    with store.write("me") as w:
        w.insert(Company(name="公司3"))
    (op,) = outbox.read_outbox(store)
    assert op.rowid == 1 and op.client_seq == 4  # SQLite reused rowid 1; the wire number goes on
    # a restored server (new epoch): a new identity numbering the kept ops from 1
    old = sync_state.ensure_client_id(store)
    restore = protocol.RestoreInfo(epoch="new-epoch", head=0, restored_at="2026-12-02T00:00:00Z")
    assert sync_state.reset_for_epoch(store, "new-epoch", restore) == 0  # the acks carried no server_seq
    (op,) = outbox.read_outbox(store)
    assert op.client_seq == 1 and sync_state.ensure_client_id(store) != old
    assert store.get_state("cursor") == "0" and store.get_state("full_repull") == "1"


def test_batches_respect_the_byte_limit_and_oversized_ops_travel_void(store: Store) -> None:
    with store.write("me") as w:
        company = w.insert(Company(name="大公司"))
        for n in range(4):
            w.insert(Note(body="备注" * 20_000 + str(n), author_id="me"))
        w.insert(Note(body="x" * (protocol.MAX_BODY_BYTES + 100_000), author_id="me"))  # too large to send
    assert company.id
    batch = outbox.read_outbox(store, max_bytes=300_000)
    assert len(batch) < 6 and not any(op.void for op in batch)
    everything = outbox.read_outbox(store, max_bytes=protocol.MAX_BODY_BYTES + 1_000_000)
    assert len(everything) == 6
    default = outbox.read_outbox(store, max_bytes=protocol.MAX_BODY_BYTES - 96 * 1024)
    assert len(default) == 6 and [op.void for op in default] == [False] * 5 + [True]
    assert default[-1].to_wire().op == "void" and default[-1].to_wire().fields == {}


def test_progress_fraction_and_text_bar() -> None:
    from zsfield.commands.sync import TextProgress

    assert SyncProgress("push", 5, 10).fraction == 0.5
    assert SyncProgress("pull", 3, None).fraction is None
    out = io.StringIO()
    bar = TextProgress(out)
    bar(SyncProgress("push", 5, 10, "Sent 5/10"))
    bar(SyncProgress("done", 1, 1, "ok"))
    lines = out.getvalue().splitlines()
    assert "[##############..............]  50.0%" in lines[0] and lines[1].startswith("done")


def test_an_unreachable_server_is_retried_then_reported_and_ops_are_kept(
    store: Store, isolated_home: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with store.write("me") as w:
        w.insert(Company(name="离线公司"))
    settings = load_settings(db=store.path)
    options = SyncOptions(
        server=f"http://127.0.0.1:{port}", token="zsf_x", max_attempts=3, backoff=0.001, max_backoff=0.01
    )
    seen: list[SyncProgress] = []
    result = run_sync(store, settings, progress=seen.append, options=options)
    assert not result.ok and result.error_kind == "unavailable" and result.exit_code == 13
    assert "3 attempts" in (result.error or "")
    assert outbox.outbox_count(store) == 1 and result.outbox_left == 1
    assert seen[0].phase == "connect" and seen[-1].phase == "done"
    cancel = threading.Event()
    cancel.set()
    result = run_sync(store, settings, cancel=cancel, options=options)
    assert result.error_kind == "cancelled" and outbox.outbox_count(store) == 1


def test_not_logged_in(store: Store, isolated_home: Path) -> None:
    result = run_sync(store, load_settings(db=store.path))
    assert not result.ok and result.error_kind == "not_logged_in" and result.exit_code == 10
    assert "zsfield login" in (result.error or "")
