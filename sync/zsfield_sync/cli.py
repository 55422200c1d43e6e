"""``zsfield-server``: run the central sync server and manage officers' tokens.

    zsfield-server serve [--db URL] [--host 127.0.0.1] [--port 8765]
    zsfield-server officer add NAME --office OFFICE --team TEAM --role officer|leader|supervisor|admin [--json]
    zsfield-server officer list | revoke NAME | rotate NAME
    zsfield-server conflicts [--all] [--json]
    zsfield-server backup --out FILE [--format sqlite|json] | restore FILE --yes | migrate
    zsfield-server epoch [--renew [--accounts FILE]] | accounts export [--out FILE]

The database is a SQLite file by default (``zsfield-server.db`` in ``ZSFIELD_SERVER_HOME``, else the user
data dir), or any ``--db`` / ``ZSFIELD_SERVER_DB``: a file path or ``postgresql+psycopg://user@host/db``.
Migrations are applied whenever the database is opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zsfield import __version__

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        dest="sub_db",
        metavar="URL",
        help="database: a SQLite file path or postgresql+psycopg://… (default: ZSFIELD_SERVER_DB, else the data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zsfield-server", description="zsfield central sync server")
    parser.add_argument("--version", action="version", version=f"zsfield-server {__version__}")
    parser.add_argument("--db", metavar="URL", help="database (SQLite path or postgresql+psycopg://…)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("serve", help="run the sync server (applies migrations first)")
    _add_db(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL: several; default 1)")
    p.set_defaults(func=cmd_serve)

    officer = sub.add_parser("officer", help="add, list, revoke officers and their tokens")
    osub = officer.add_subparsers(dest="officer_command", metavar="ACTION", required=True)
    p = osub.add_parser("add", help="create an officer and print their token once")
    p.add_argument("name")
    p.add_argument("--office", help="stationed office (created on first use)")
    p.add_argument("--team", help="team (created on first use)")
    p.add_argument("--role", default="officer", choices=["officer", "leader", "supervisor", "admin"])
    p.add_argument("--json", action="store_true", help="print one JSON object (with the token)")
    _add_db(p)
    p.set_defaults(func=cmd_officer_add)
    p = osub.add_parser("list", help="officers, roles, teams and whether their token is active")
    p.add_argument("--json", action="store_true")
    _add_db(p)
    p.set_defaults(func=cmd_officer_list)
    p = osub.add_parser("revoke", help="revoke an officer's token at once (a lost laptop)")
    p.add_argument("name")
    _add_db(p)
    p.set_defaults(func=cmd_officer_revoke)
    p = osub.add_parser("rotate", help="give an officer a new token (the old one stops working)")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    _add_db(p)
    p.set_defaults(func=cmd_officer_rotate)

    accounts = sub.add_parser("accounts", help="the account data that a data restore never rolls back")
    asub = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    p = asub.add_parser(
        "export",
        help="write the officers' accounts (token hashes, revocations), teams and offices to a file: what "
        "`epoch --renew --accounts FILE` keeps after a restore by other means (every account change also "
        "writes the default accounts file)",
    )
    p.add_argument("--out", help="file to write (default: the default accounts file)")
    _add_db(p)
    p.set_defaults(func=cmd_accounts_export)

    p = sub.add_parser("conflicts", help="the conflict log (open ones; --all for decided ones too)")
    p.add_argument("--all", action="store_true")
    p.add_argument("--json", action="store_true")
    _add_db(p)
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser(
        "backup",
        help="back up the server database while it runs (SQLite: an online copy; PostgreSQL: use pg_dump)",
    )
    p.add_argument("--out", required=True, help="file to write (must not exist)")
    p.add_argument(
        "--format",
        choices=["sqlite", "json"],
        help="sqlite: a SQLite file made with the online backup API (default on SQLite); json: a logical copy "
        "of every table (the only choice on PostgreSQL, where pg_dump is the recommended backup)",
    )
    _add_db(p)
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore",
        help="replace the database with a backup (SQLite file or JSON) and give it a new epoch: clients pull "
        "everything again and keep their outboxes",
    )
    p.add_argument("file", help="a file written by `zsfield-server backup`")
    p.add_argument("--yes", action="store_true", help="really replace the current contents")
    _add_db(p)
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("epoch", help="show the epoch; --renew after restoring the database by other means")
    p.add_argument(
        "--renew",
        action="store_true",
        help="give the database a new epoch (after pg_restore or a copied SQLite file) and put the accounts "
        "file back over the restored accounts",
    )
    p.add_argument(
        "--accounts",
        metavar="FILE",
        help="the accounts file to keep (default: the one every account change writes, see `accounts export`)",
    )
    _add_db(p)
    p.set_defaults(func=cmd_epoch)
    p = sub.add_parser("migrate", help="apply the server's migrations and exit")
    _add_db(p)
    p.set_defaults(func=cmd_migrate)
    return parser


def _engine(args: argparse.Namespace) -> Any:
    from zsfield_sync.storage import describe_url, open_storage, resolve_db_url

    url = resolve_db_url(getattr(args, "sub_db", None) or args.db)
    try:
        return open_storage(url)
    except Exception as exc:  # a wrong URL, a server down, a file we cannot write
        raise CliError(f"cannot open the server database {describe_url(url)}: {exc}", 3) from exc


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from zsfield_sync.api import create_app, log_config, serving
    from zsfield_sync.storage import describe_url, resolve_db_url

    url = resolve_db_url(getattr(args, "sub_db", None) or args.db)
    engine = _engine(args)  # applies the migrations once, before any worker starts
    if args.host not in LOOPBACK:
        print(
            f"zsfield-server: listening on {args.host}: put a TLS-terminating reverse proxy in front; "
            "clients refuse plain http:// to other hosts unless allowed.",
            file=sys.stderr,
        )
    print(
        f"zsfield-server {__version__}: database {describe_url(url)}, http://{args.host}:{args.port}"
        + (f", {args.workers} workers" if args.workers > 1 else ""),
        file=sys.stderr,
    )
    if args.workers > 1:
        engine.dispose()
        os.environ["ZSFIELD_SERVER_DB"] = url
        uvicorn.run(
            "zsfield_sync.api:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            log_config=log_config(args.log_level),
        )
    else:
        uvicorn.run(
            serving(create_app(engine)),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            log_config=log_config(args.log_level),
        )
    return 0


def _url(args: argparse.Namespace) -> str:
    from zsfield_sync.storage import resolve_db_url

    return resolve_db_url(getattr(args, "sub_db", None) or args.db)


def _save_accounts(args: argparse.Namespace, engine: Any, out: Path | None = None) -> Path:
    """Write the accounts file (after every account change): what ``epoch --renew`` keeps after a restore by
    other means. A file that cannot be written is said, never fatal (the change itself is made)."""
    from zsfield_sync.accounts import default_accounts_file, export_accounts, write_accounts_file
    from zsfield_sync.storage import read_tx

    path = out or default_accounts_file(_url(args))
    with read_tx(engine) as conn:
        data = export_accounts(conn)
    try:
        write_accounts_file(path, data)
    except OSError as exc:
        print(
            f"zsfield-server: could not write the accounts file {path} ({exc}): run `zsfield-server accounts "
            "export --out FILE` before you restore the database by other means.",
            file=sys.stderr,
        )
    return path


def cmd_accounts_export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    path = _save_accounts(args, engine, Path(args.out) if args.out else None)
    if path.exists():
        print(f"accounts of {len(_officer_names(engine))} officers written to {path}")
    return 0


def _officer_names(engine: Any) -> list[str]:
    from zsfield_sync.admin import list_officers

    return [r["name"] for r in list_officers(engine)]


def cmd_officer_add(args: argparse.Namespace) -> int:
    from zsfield_sync.admin import add_officer

    engine = _engine(args)
    info, token = add_officer(engine, args.name, office=args.office, team=args.team, role=args.role)
    _save_accounts(args, engine)
    if args.json:
        print(json.dumps({"officer": info, "token": token}, ensure_ascii=False))
    else:
        where = ", ".join(x for x in (info["team"], info["office"]) if x)
        print(f"Added {info['name']} ({info['role']}{', ' + where if where else ''}).")
        print("Token (shown only now; give it to the officer for `zsfield login`):")
        print(token)
    return 0


def cmd_officer_list(args: argparse.Namespace) -> int:
    from zsfield_sync.admin import list_officers

    rows = list_officers(_engine(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        state = "active" if r["active"] else f"revoked {r['revoked_at'][:10]}"
        print(f"{r['name']:<20} {r['role']:<10} {r['team'] or '-':<20} {r['office'] or '-':<14} {state}")
    if not rows:
        print("No officers yet: zsfield-server officer add NAME --office OFFICE --team TEAM --role officer")
    return 0


def cmd_officer_revoke(args: argparse.Namespace) -> int:
    from zsfield_sync.admin import revoke_officer

    engine = _engine(args)
    info = revoke_officer(engine, args.name)
    _save_accounts(args, engine)
    print(f"Revoked the token of {info['name']}: their next sync is refused. Their synced records stay.")
    return 0


def cmd_officer_rotate(args: argparse.Namespace) -> int:
    from zsfield_sync.admin import rotate_token

    engine = _engine(args)
    info, token = rotate_token(engine, args.name)
    _save_accounts(args, engine)
    if args.json:
        print(json.dumps({"officer": info, "token": token}, ensure_ascii=False))
    else:
        print(f"New token for {info['name']} (shown only now; the old one no longer works):")
        print(token)
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    from zsfield_sync.admin import list_conflicts

    entries = list_conflicts(_engine(args), None, open_only=not args.all)
    if args.json:
        print(json.dumps([e.model_dump() for e in entries], ensure_ascii=False))
        return 0
    for e in entries:
        state = f"decided: {e.resolution}" if e.resolved else "open"
        print(
            f"{e.created_at[:16]}  {e.entity}.{e.field}  {e.entity_id}  mine={e.mine!r} theirs={e.theirs!r}  {state}"
        )
    if not entries:
        print("No open conflicts.")
    return 0


SQLITE_HEADER = b"SQLite format 3\x00"
JSON_FORMAT = "zsfield-server-backup/1"


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database or "")


def _online_copy(source: Path, dest: Path) -> None:
    """``source`` → ``dest`` with SQLite's online backup API: one step, so one consistent snapshot taken
    while the server goes on writing (WAL: it is not blocked); ``dest`` is checked before it counts."""
    import sqlite3

    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise CliError(
                    f"the copy of {source} failed its integrity check ({problem}); nothing was kept."
                )
        finally:
            dst.close()
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    finally:
        src.close()


def cmd_backup(args: argparse.Namespace) -> int:
    from zsfield_sync.storage import describe_url, dump_tables, resolve_db_url

    out = Path(args.out)
    if out.exists():
        raise CliError(f"{out} already exists: choose a new file name (nothing was written).")
    url = resolve_db_url(getattr(args, "sub_db", None) or args.db)
    db_file = _sqlite_file(url)
    fmt = args.format or ("sqlite" if db_file is not None else "json")
    if fmt == "sqlite" and db_file is None:
        raise CliError(
            f"{describe_url(url)} is PostgreSQL: back it up with pg_dump (pg_dump -Fc -f zsfield.dump DBNAME; "
            "restore with pg_restore --clean, then `zsfield-server epoch --renew`), or use --format json."
        )
    engine = _engine(args)  # migrations first: the backup is of the current schema
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    if fmt == "sqlite":
        assert db_file is not None
        engine.dispose()
        _online_copy(db_file, tmp)
        tmp.replace(out)
        print(
            f"backed up {db_file} → {out} ({out.stat().st_size:,} bytes, SQLite online backup, integrity ok)"
        )
        return 0
    dump = dump_tables(engine)
    tmp.write_text(json.dumps({"format": JSON_FORMAT, "tables": dump}, ensure_ascii=False))
    tmp.replace(out)
    print(f"backed up {sum(len(v) for v in dump.values())} rows → {out} (JSON, logical)")
    if db_file is None:
        print(
            "zsfield-server: for PostgreSQL the recommended backup is pg_dump -Fc (and pg_restore); "
            "the JSON copy suits small databases and moving between SQLite and PostgreSQL.",
            file=sys.stderr,
        )
    return 0


def _read_json_backup(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        tables = doc["tables"]
        if doc.get("format") != JSON_FORMAT or not isinstance(tables, dict):
            raise ValueError("not a zsfield-server backup")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read the backup {path}: {exc}") from exc
    return tables


def _prepared_sqlite_backup(backup: Path, work: Path) -> Any:
    """A checked, migrated copy of a SQLite backup in ``work`` (the backup itself is only read); its engine."""
    from zsfield_sync.storage import get_epoch, open_storage, read_tx

    _online_copy(backup, work)
    try:
        engine = open_storage(f"sqlite:///{work}")
        with read_tx(engine) as conn:
            if not get_epoch(conn):
                raise ValueError("no epoch")
    except CliError:
        raise
    except Exception as exc:
        raise CliError(f"{backup} is not a zsfield-server backup ({exc}); nothing was changed.") from exc
    return engine


def _live_epochs(engine: Any) -> list[str]:
    """The epochs the live database has had, its current one last (kept across a restore by copy)."""
    from zsfield_sync.storage import get_epoch, known_epochs, read_tx

    with read_tx(engine) as conn:
        return [*known_epochs(conn), get_epoch(conn)]


def restore_report(info: dict[str, Any], *, what: str) -> list[str]:
    """What a restore (or ``epoch --renew``) did and what the laptops will do about it, for the operator."""
    return [
        f"{what}; new epoch {info['epoch']}.",
        f"  restored contents: epoch {info.get('previous_epoch') or '-'}, head {info['head']} "
        "(their last server_seq).",
        "  Every laptop notices the new epoch at its next sync, pulls everything again and keeps its unsent "
        "changes.",
        f"  Laptops that synced after the backup re-send the changes the server acknowledged above server_seq "
        f"{info['head']} (they keep acknowledged changes for 30 days by default: have every laptop sync "
        "within that time).",
    ]


def cmd_restore(args: argparse.Namespace) -> int:
    import tempfile

    from zsfield_sync.accounts import describe_kept
    from zsfield_sync.storage import describe_url, dump_tables, renew_epoch, resolve_db_url, restore_tables

    if not args.yes:
        raise CliError("restore replaces everything in the server database: add --yes to go ahead.")
    backup = Path(args.file)
    try:
        with backup.open("rb") as fh:
            is_sqlite = fh.read(16) == SQLITE_HEADER
    except OSError as exc:
        raise CliError(f"cannot read the backup {backup}: {exc}") from exc
    url = resolve_db_url(getattr(args, "sub_db", None) or args.db)
    db_file = _sqlite_file(url)
    if not is_sqlite:
        info = restore_tables(_engine(args), _read_json_backup(backup))
    elif db_file is None:  # a SQLite backup into PostgreSQL: row by row, in one transaction
        with tempfile.TemporaryDirectory(prefix="zsfield-restore-") as folder:
            source = _prepared_sqlite_backup(backup, Path(folder) / "backup.db")
            try:
                tables = dump_tables(source)
            finally:
                source.dispose()
        info = restore_tables(_engine(args), tables)
    else:
        import sqlite3

        from zsfield_sync.accounts import export_accounts
        from zsfield_sync.storage import read_tx

        live = _engine(args)  # the live file exists and is migrated
        try:
            live_epochs = _live_epochs(live)
            with read_tx(live) as conn:
                kept = export_accounts(conn)
        finally:
            live.dispose()
        work = db_file.with_name(db_file.name + ".restoring")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        source = _prepared_sqlite_backup(backup, work)
        try:
            # in the copy, so the restored contents never show the old epoch
            info = renew_epoch(source, also_earlier=live_epochs, accounts=kept)
        finally:
            source.dispose()
        src = sqlite3.connect(work)
        dst = sqlite3.connect(db_file, timeout=30)
        try:
            # one step of the backup API into the live file: one write transaction, so a running server's
            # readers see the old database or the restored one, never a mix
            src.backup(dst)
        finally:
            dst.close()
            src.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
    lines = restore_report(info, what=f"restored {backup} into {describe_url(url)}")
    print("\n".join([*lines, describe_kept(info["accounts"], source="the live database's")]))
    engine = _engine(args)
    try:
        _save_accounts(args, engine)
    finally:
        engine.dispose()
    return 0


def cmd_epoch(args: argparse.Namespace) -> int:
    from zsfield_sync.accounts import (
        AccountsFileError,
        check_not_stale,
        default_accounts_file,
        describe_kept,
        read_accounts_file,
    )
    from zsfield_sync.storage import get_epoch, read_tx, renew_epoch

    engine = _engine(args)
    if not args.renew:
        if args.accounts:
            raise CliError("--accounts goes with --renew.")
        with read_tx(engine) as conn:
            print(get_epoch(conn))
        return 0
    path = Path(args.accounts) if args.accounts else default_accounts_file(_url(args))
    kept = None
    if args.accounts or path.exists():
        try:
            kept = read_accounts_file(path)
            with read_tx(engine) as conn:
                check_not_stale(conn, kept, path)
        except AccountsFileError as exc:
            raise CliError(f"{exc} Nothing was changed.") from exc
    info = renew_epoch(engine, accounts=kept)
    lines = restore_report(info, what="renewed the epoch (the contents as they are count as the backup)")
    if info["accounts"] is not None:
        lines.append(describe_kept(info["accounts"], source=str(path)))
    else:
        lines.append(
            f"  No accounts file ({path}): the accounts are as restored. A token revoked or rotated after the "
            "backup works again and officers added since are missing: revoke, rotate and add them again."
        )
    print("\n".join(lines))
    _save_accounts(args, engine)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _engine(args)
    print("the server database is at the current schema")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from zsfield_sync.admin import AdminError

    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"zsfield-server: {exc}", file=sys.stderr)
        return exc.exit_code
    except AdminError as exc:
        print(f"zsfield-server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
