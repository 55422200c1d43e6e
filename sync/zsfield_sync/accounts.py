"""Account data across restores: officers' accounts and tokens, revocations, and what an account needs to work
(its team and office rows, and the office / team / officer records the laptops pull).

A data restore never rolls account data back (issue 11, point 5): a token revoked after the backup stays
revoked, a rotated token keeps working and the old one does not, an officer added after the backup stays in.

* ``zsfield-server restore`` takes the accounts of the live database (:func:`export_accounts`) in the same
  transaction that replaces the tables, and puts them back over the backup's (:func:`merge_accounts`): the
  current accounts, teams and offices win, the backup adds only what they lack.
* A database restored by other means (``pg_restore``, a copied SQLite file) has lost the live accounts. Every
  account change made with ``zsfield-server officer …`` therefore also writes the accounts file
  (:func:`write_accounts_file`; ``accounts export`` writes one on demand), and ``zsfield-server epoch --renew``
  merges it back. Each account change counts up meta ``accounts_version``; a file older than the restored
  contents' accounts is refused, so a stale file never undoes a later revocation.

The office / team / officer records the laptops pull are made to agree with the accounts: a record the
restored contents lack is put back from the live database, and a record whose account fields differ (name,
role, team, office, active) gets them with a new version and a new ``server_seq``, so every laptop pulls it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from zsfield_sync.storage import (
    WriteTx,
    accounts,
    describe_url,
    get_epoch,
    get_meta,
    known_epochs,
    offices,
    records,
    server_home,
    set_meta,
    teams,
)

ACCOUNTS_FORMAT = "zsfield-server-accounts/1"
ACCOUNT_ENTITIES = ("office", "team", "officer")
"""The records that belong to the accounts (the server makes them; the laptops pull them)."""
ACCOUNTS_VERSION = "accounts_version"
"""meta key: counts up at every account change (officer add, revoke, rotate)."""
ACCOUNTS_FILE_ENV = "ZSFIELD_SERVER_ACCOUNTS"


class AccountsFileError(ValueError):
    """An accounts file that cannot be used (unreadable, not one, or older than the database's accounts)."""


def accounts_version(conn: Connection) -> int:
    raw = get_meta(conn, ACCOUNTS_VERSION)
    return int(raw) if raw and raw.isdigit() else 0


def accounts_changed(conn: Connection) -> None:
    """Count one account change (in the transaction that makes it)."""
    set_meta(conn, ACCOUNTS_VERSION, str(accounts_version(conn) + 1))


def export_accounts(conn: Connection) -> dict[str, Any]:
    """The account data of the database as it is (read in the caller's transaction)."""

    def rows(table: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]

    return {
        "format": ACCOUNTS_FORMAT,
        "accounts_version": accounts_version(conn),
        "epochs": [*known_epochs(conn), get_epoch(conn)],
        "offices": rows(offices),
        "teams": rows(teams),
        "accounts": rows(accounts),
        "records": [
            dict(r._mapping)
            for r in conn.execute(
                select(records).where(records.c.entity.in_(ACCOUNT_ENTITIES)).order_by(records.c.id)
            )
        ],
    }


def _put_rows(conn: Connection, table: Any, kept: list[dict[str, Any]], *, unique: str = "name") -> int:
    """The ``kept`` rows replace the rows of the same id or the same ``unique`` value; the other rows (the
    backup's own) stay. Returns how many rows the backup added beyond ``kept``."""
    ids = [r["id"] for r in kept]
    names = [r[unique] for r in kept]
    for chunk in range(0, len(ids), 500):
        conn.execute(delete(table).where(table.c.id.in_(ids[chunk : chunk + 500])))
        conn.execute(delete(table).where(table.c[unique].in_(names[chunk : chunk + 500])))
    if kept:
        conn.execute(table.insert(), kept)
    total = len(conn.execute(select(table.c.id)).all())
    return total - len(kept)


def _account_fields(kept: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """What the accounts say each office / team / officer record must hold."""
    want: dict[tuple[str, str], dict[str, Any]] = {}
    for r in kept["offices"]:
        want["office", r["id"]] = {"name": r["name"]}
    for r in kept["teams"]:
        want["team", r["id"]] = {"name": r["name"], "office_id": r["office_id"]}
    for r in kept["accounts"]:
        want["officer", r["id"]] = {
            "name": r["name"],
            "role": r["role"],
            "team_id": r["team_id"],
            "office_id": r["office_id"],
            "active": r["revoked_at"] is None,
        }
    return want


def merge_accounts(tx: WriteTx, kept: dict[str, Any]) -> dict[str, int]:
    """Put the account data ``kept`` (from :func:`export_accounts`) over restored contents, in ``tx``: its
    offices, teams and accounts win; the restored rows it lacks stay. Then the office / team / officer records
    agree with the accounts (records put back or changed get a new ``server_seq``). Returns counts."""
    from zsfield_sync.admin import server_record

    conn = tx.conn
    restored_version = accounts_version(conn)
    added = {
        "offices": _put_rows(conn, offices, kept["offices"]),
        "teams": _put_rows(conn, teams, kept["teams"]),
        "officers": _put_rows(conn, accounts, kept["accounts"]),
    }
    kept_records = {(r["entity"], r["id"]): r for r in kept["records"]}
    want = _account_fields(kept)
    present = {
        (r.entity, r.id)
        for r in conn.execute(
            select(records.c.entity, records.c.id).where(records.c.entity.in_(ACCOUNT_ENTITIES))
        )
    }
    put_back = refreshed = 0
    for key in [k for k in want if k[0] == "office"] + [k for k in want if k[0] != "office"]:
        entity, record_id = key
        if key not in present and key in kept_records:
            row = {**kept_records[key], "server_seq": tx.next_seq()}
            conn.execute(records.insert().values(**row))
            put_back += 1
            continue
        before = conn.execute(
            select(records.c.version).where(records.c.entity == entity, records.c.id == record_id)
        ).first()
        fields = dict(want[key])
        if entity == "team" and key in kept_records:
            # the team's leader is set by `officer add --role leader`: a leader added after the backup
            leader = orjson.loads(kept_records[key]["data"]).get("leader_id")
            if leader:
                current = conn.execute(
                    select(records.c.data).where(records.c.entity == "team", records.c.id == record_id)
                ).first()
                if current is None or not orjson.loads(current[0]).get("leader_id"):
                    fields["leader_id"] = leader
        server_record(tx, entity, record_id, fields)
        after = conn.execute(
            select(records.c.version).where(records.c.entity == entity, records.c.id == record_id)
        ).first()
        if before is None or after is None or before[0] != after[0]:
            refreshed += 1
    set_meta(conn, ACCOUNTS_VERSION, str(max(restored_version, int(kept.get("accounts_version") or 0))))
    return {
        "officers": len(kept["accounts"]),
        "revoked": sum(1 for r in kept["accounts"] if r["revoked_at"] is not None),
        "teams": len(kept["teams"]),
        "offices": len(kept["offices"]),
        "added_from_backup": sum(added.values()),
        "records_refreshed": put_back + refreshed,
    }


def describe_kept(counts: dict[str, int], *, source: str) -> str:
    """One line for the operator: what :func:`merge_accounts` kept."""
    return (
        f"  accounts kept ({source}): {counts['officers']} officers ({counts['revoked']} revoked), "
        f"{counts['teams']} teams, {counts['offices']} offices; {counts['added_from_backup']} rows only the "
        f"backup had were added; {counts['records_refreshed']} office/team/officer records sent again to the "
        "laptops."
    )


# --- the accounts file (for restores by other means) ----------------------------------------------------------


def default_accounts_file(url: str, env: dict[str, str] | None = None) -> Path:
    """Where the accounts of the database at ``url`` are kept: ``ZSFIELD_SERVER_ACCOUNTS``, else
    ``accounts-<hash of the URL>.json`` in the server's home (:func:`~zsfield_sync.storage.server_home`)."""
    env = dict(os.environ) if env is None else env
    if env.get(ACCOUNTS_FILE_ENV):
        return Path(env[ACCOUNTS_FILE_ENV]).expanduser()
    key = hashlib.sha256(describe_url(url).encode("utf-8")).hexdigest()[:12]
    return server_home(env) / f"accounts-{key}.json"


def write_accounts_file(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only (it holds the tokens' hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def read_accounts_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != ACCOUNTS_FORMAT:
            raise ValueError("not a zsfield-server accounts file")
        for key in ("offices", "teams", "accounts", "records"):
            if not isinstance(data.get(key), list):
                raise ValueError(f"no {key} list")
    except (OSError, ValueError) as exc:
        raise AccountsFileError(f"cannot read the accounts file {path}: {exc}") from exc
    return data


def check_not_stale(conn: Connection, data: dict[str, Any], path: Path) -> None:
    """Refuse an accounts file older than the database's own accounts (it would undo later changes)."""
    if int(data.get("accounts_version") or 0) < accounts_version(conn):
        raise AccountsFileError(
            f"the accounts file {path} is older than the accounts in the database (version "
            f"{data.get('accounts_version')} < {accounts_version(conn)}): it would undo later account changes."
        )
