"""Core commands: open the app, ``seed``, ``status``, ``match-company``, ``backup``, ``restore``."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zsfield.commands import add_db_argument, demo_db_path, settings_for


def register(sub: Any) -> None:
    p = sub.add_parser("seed", help="create a realistic, deterministic demo dataset")
    add_db_argument(p)
    p.add_argument("--projects", type=_positive_int, default=300, help="number of projects (default 300)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument(
        "--outbox", action="store_true", help="queue every seeded row for upload (default: as if synced)"
    )
    p.add_argument("--force", action="store_true", help="seed into a database that already has projects")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("status", help="counts, outbox, last sync, database path and schema revision")
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("match-company", help="ranked duplicate candidates for a company name (查重)")
    p.add_argument("name", help="company name in any script")
    p.add_argument("--credit-code", help="unified social credit code, if known")
    p.add_argument("--limit", type=_positive_int, default=8)
    add_db_argument(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_match_company)

    p = sub.add_parser("backup", help="copy the local database safely (online backup) to a file")
    add_db_argument(p)
    p.add_argument(
        "--out",
        help="the backup file to write (must not exist; default: backups/<name>-<date-time>.db in the data dir)",
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore", help="put a backup in the place of the local database (close the app first)"
    )
    p.add_argument("file", help="a backup written by `zsfield backup`")
    add_db_argument(p)
    p.add_argument(
        "--force", action="store_true", help="replace an existing database (it is kept aside, never deleted)"
    )
    p.set_defaults(func=cmd_restore)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be above zero")
    return value


def run_app(args: argparse.Namespace) -> int:
    """Open the TUI on the chosen database (the demo one, seeded on first use, with ``--demo``)."""
    settings = settings_for(args)
    if getattr(args, "demo", False) and not settings.db_path.exists():
        from zsfield.seed import seed_database

        print(f"Creating the demo database at {settings.db_path} …", file=sys.stderr)
        seed_database(settings.db_path, projects=300, seed=7)
    from zsfield.store.migrate import refuse_unusable

    refuse_unusable(settings.db_path)  # a damaged or newer file: its message and exit code, not a broken app
    from zsfield import tui_env

    tui_env.prepare()
    from zsfield.app import make_app

    app = make_app(settings=settings, lang=getattr(args, "lang", None))
    app.run()
    return int(app.return_code or 0)


def cmd_seed(args: argparse.Namespace) -> int:
    from zsfield.seed import seed_database

    settings = settings_for(args)
    report = seed_database(
        settings.db_path, projects=args.projects, seed=args.seed, outbox=args.outbox, force=args.force
    )
    print(json.dumps(report, ensure_ascii=False))
    return 0


def open_existing(settings: Any) -> Any:
    from zsfield.store import Store

    return Store.open(settings.db_path, create=False)


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Low-level SQLite failures met while reading an open database (a damaged page found only when it is
    read, a lock, a full disk) as the store's errors, with their message and exit code."""
    from sqlalchemy.exc import DBAPIError

    from zsfield.store.engine import translate_error

    try:
        yield
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        translated = translate_error(exc, path)
        if translated is None:
            raise
        raise translated from exc


def cmd_status(args: argparse.Namespace) -> int:
    from zsfield.store.status import store_status

    settings = settings_for(args)
    with sqlite_errors(settings.db_path), open_existing(settings) as store:
        status = store_status(store)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, default=str))
    else:
        for key, value in status.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for k, v in value.items():
                    print(f"  {k:<16} {v}")
            else:
                print(f"{key:<18} {value}")
    return 0


def cmd_match_company(args: argparse.Namespace) -> int:
    from zsfield.store.read.lookups import company_index

    settings = settings_for(args)
    with sqlite_errors(settings.db_path), open_existing(settings) as store:
        index, names = company_index(store)
        found = index.candidates(args.name, credit_code=args.credit_code, limit=args.limit)
    rows = [
        {
            "company_id": c.company_id,
            "name": names.get(c.company_id, c.matched_name),
            "matched_name": c.matched_name,
            "score": round(c.score, 3),
            "reason": c.reason,
        }
        for c in found
    ]
    if args.json:
        print(json.dumps({"query": args.name, "candidates": rows}, ensure_ascii=False))
    else:
        from zsfield.i18n import t

        if not rows:
            print(t("match.none"))
        for r in rows:
            print(f"{r['score']:.2f}  {r['name']}  ({t(r['reason'])})")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.store.backup import backup_database, default_backup_path

    settings = settings_for(args)
    out = Path(args.out) if args.out else default_backup_path(settings.db_path, settings.data_dir)
    size = backup_database(settings.db_path, out)
    print(t("backup.done", db=settings.db_path, out=out, size=f"{size:,}"))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.store.backup import restore_database

    settings = settings_for(args)
    aside = restore_database(Path(args.file), settings.db_path, force=args.force)
    kept = t("restore.kept_aside", aside=aside) if aside is not None else ""
    print(t("restore.done", source=args.file, target=settings.db_path, aside=kept))
    return 0


__all__ = ["demo_db_path", "register", "run_app"]
