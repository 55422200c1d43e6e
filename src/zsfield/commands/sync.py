"""Sync commands: ``login``, ``logout``, ``sync``, ``conflicts``, ``resolve``.

Exit codes of ``zsfield sync``: 0 everything went through; 1 it went through but left conflicts to decide or
rejected changes; 10 not logged in (or plain http refused); 11 token refused or revoked; 12 client and
server versions do not match; 13 the server could not be reached; 14 any other stop; 15 a sync of this
database is already running. In every failure the unsent changes stay in the outbox.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from zsfield.commands import add_db_argument, settings_for

SYNC_EPILOG = (
    "exit codes: 0 all went through; 1 conflicts or rejections to look at; 10 not logged in; "
    "11 token refused/revoked; 12 version mismatch; 13 server unreachable; 14 other stop; "
    "15 a sync of this database is already running. Unsent changes are always kept."
)


def register(sub: Any) -> None:
    p = sub.add_parser("login", help="log in to the central sync server (the token is read once and kept)")
    p.add_argument("--server", required=True, help="server URL, e.g. https://zs.example.gov.cn")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to a host other than this machine",
    )
    add_db_argument(p)
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("logout", help="forget the sync token")
    p.add_argument("--server", help="server URL (default: the database's)")
    add_db_argument(p)
    p.set_defaults(func=cmd_logout)

    p = sub.add_parser("sync", help="send the outbox, then receive every change", epilog=SYNC_EPILOG)
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to a host other than this machine",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="check the outbox's sequence numbers against the server's first (a laptop refused with "
        "seq_reused): what the server holds is acknowledged, the rest sent under new numbers",
    )
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser(
        "conflicts", help="conflicts to decide and rejected changes (--server-log: the server's log)"
    )
    add_db_argument(p)
    p.add_argument(
        "--server-log", action="store_true", help="the server's conflict log (a supervisor sees all)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("resolve", help="decide a conflict: mine, theirs, or edited with --value")
    p.add_argument("conflict_id")
    p.add_argument("choice", choices=["mine", "theirs", "edited"])
    p.add_argument("--value", help="the edited value as JSON (for '*' conflicts: an object of fields)")
    add_db_argument(p)
    p.set_defaults(func=cmd_resolve)


def _open(settings: Any, *, create: bool = False) -> Any:
    from zsfield.store import Store

    return Store.open(settings.db_path, create=create)


def _read_token(prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


def cmd_login(args: argparse.Namespace) -> int:
    from zsfield.cli import CliError
    from zsfield.i18n import t
    from zsfield.sync.login import login
    from zsfield.sync.results import SyncError
    from zsfield.sync.server_url import check_server_url

    settings = settings_for(args)
    try:
        check_server_url(
            args.server, allow_insecure_http=args.allow_insecure_http or settings.allow_insecure_http
        )
    except SyncError as exc:
        raise CliError(str(exc), exc.exit_code) from exc
    token = _read_token(t("sync.token_prompt"))
    with _open(settings, create=True) as store:
        try:
            result = login(store, settings, args.server, token, allow_insecure_http=args.allow_insecure_http)
        except SyncError as exc:
            raise CliError(str(exc), exc.exit_code) from exc
    team = f", {result.officer.team_name}" if result.officer.team_name else ""
    print(
        t(
            "sync.login_ok",
            server=result.server,
            name=result.officer.name,
            role=result.officer.role,
            team=team,
        )
    )
    if result.token_where == "keyring":
        print(t("sync.token_keyring", detail=result.token_detail))
    else:
        print(t("sync.token_file", detail=result.token_detail), file=sys.stderr)
    for note in result.notes:
        print(note, file=sys.stderr)
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.sync.login import logout

    settings = settings_for(args)
    store = None
    if settings.db_path.exists():
        store = _open(settings)
    try:
        server, removed = logout(store, settings, args.server)
    finally:
        if store is not None:
            store.close()
    if server is None:
        print(t("sync.logout_no_server"))
    elif removed:
        print(t("sync.logout_ok", server=server, where=", ".join(removed)))
    else:
        print(t("sync.logout_none", server=server))
    return 0


class TextProgress:
    """A plain text progress bar on stderr (redrawn in place on a terminal, one line per step otherwise)."""

    WIDTH = 28

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_line = ""
        self._open = False

    def __call__(self, p: Any) -> None:
        from zsfield.i18n import t

        phase = t(f"sync.phase.{p.phase}") if p.phase in ("connect", "push", "pull", "done") else p.phase
        fraction = p.fraction
        if fraction is not None:
            filled = int(round(fraction * self.WIDTH))
            bar = "[" + "#" * filled + "." * (self.WIDTH - filled) + f"] {fraction * 100:5.1f}%"
        else:
            bar = "[" + "." * self.WIDTH + "]       "
        line = f"{phase:<8} {bar}  {p.message}"
        if self.tty:
            pad = max(0, len(self._last_line) - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._open = True
            if p.phase == "done":
                self.stream.write("\n")
                self._open = False
        elif line != self._last_line:
            self.stream.write(line + "\n")
        self._last_line = line
        self.stream.flush()


def cmd_sync(args: argparse.Namespace) -> int:
    from zsfield.sync.client import SyncOptions
    from zsfield.sync.results import notes, summary_lines
    from zsfield.sync.run import run_sync

    settings = settings_for(args)
    options = SyncOptions(allow_insecure_http=True if args.allow_insecure_http else None)
    with _open(settings) as store:
        if args.repair:
            from zsfield.store.sync_state import mark_realign

            mark_realign(store)
        result = run_sync(store, settings, progress=TextProgress(), options=options)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        for line in summary_lines(result):
            print(line)
        for line in notes(result):
            print(line, file=sys.stderr)
        if not result.ok:
            print(f"zsfield: {result.error}", file=sys.stderr)
    return result.exit_code


def cmd_conflicts(args: argparse.Namespace) -> int:
    from zsfield.cli import CliError
    from zsfield.i18n import t
    from zsfield.store.read.sync_lists import open_conflicts, open_rejections
    from zsfield.sync.login import fetch_conflicts
    from zsfield.sync.results import SyncError

    settings = settings_for(args)
    with _open(settings) as store:
        if args.server_log:
            try:
                entries = [e.model_dump() for e in fetch_conflicts(store, settings)]
            except SyncError as exc:
                raise CliError(str(exc), exc.exit_code) from exc
            if args.json:
                print(json.dumps({"server_conflicts": entries}, ensure_ascii=False, default=str))
            else:
                for e in entries:
                    print(
                        t(
                            "sync.conflict_line",
                            **{k: e[k] for k in ("id", "entity", "field", "mine", "theirs")},
                        )
                    )
                if not entries:
                    print(t("sync.no_conflicts"))
            return 0
        conflicts = open_conflicts(store)
        rejections = open_rejections(store)
    if args.json:
        print(json.dumps({"conflicts": conflicts, "rejections": rejections}, ensure_ascii=False, default=str))
        return 0
    for c in conflicts:
        print(t("sync.conflict_line", **{k: c[k] for k in ("id", "entity", "field", "mine", "theirs")}))
    if not conflicts:
        print(t("sync.no_conflicts"))
    for r in rejections:
        print(
            t(
                "sync.rejection_line",
                id=r["id"],
                entity=r["entity"],
                op=r["op"].get("op"),
                code=r["code"],
                message=r["message"],
            )
        )
    if not rejections:
        print(t("sync.no_rejections"))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from zsfield.cli import CliError
    from zsfield.i18n import t
    from zsfield.store.conflicts import ConflictDecisionError, resolve_conflict

    settings = settings_for(args)
    value = None
    if args.choice == "edited":
        if args.value is None:
            raise CliError("edited needs --value (JSON)")
        try:
            value = json.loads(args.value)
        except ValueError as exc:
            raise CliError(f"--value is not JSON: {exc}") from exc
    with _open(settings) as store:
        actor = store.get_state("officer_id") or None
        try:
            resolve_conflict(store, args.conflict_id, args.choice, value, actor_id=actor)
        except ConflictDecisionError as exc:
            raise CliError(str(exc)) from exc
    print(t("sync.resolved", choice=args.choice))
    return 0


__all__ = ["TextProgress", "register"]
