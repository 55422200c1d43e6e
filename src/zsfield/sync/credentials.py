"""Where the officer's sync token is kept: the OS keyring (``keyring``, service ``zsfield``, user = server URL),
or — where no usable keyring backend exists, as on a headless machine — a file readable only by the user
(``credentials.json`` in the config dir, mode 600). ``ZSFIELD_TOKEN`` overrides both (CI, scripts).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from zsfield.config import Settings

SERVICE = "zsfield"
TOKEN_ENV = "ZSFIELD_TOKEN"
Where = Literal["keyring", "file", "env"]


@dataclass(frozen=True)
class StoredToken:
    token: str
    where: Where
    detail: str = ""


def keyring_status() -> tuple[bool, str]:
    """(usable, description of the backend): ``False`` for keyring's fail backend or an empty chain."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop the officer
        return False, f"keyring unavailable ({exc})"
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return False, name
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False, name
    return True, name


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_file(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` readable only by the user (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, stat.S_IRWXU)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def save_token(settings: Settings, server: str, token: str) -> StoredToken:
    """Keep ``token`` for ``server``: in the keyring when it works, else in the 0600 file. The result says
    where (and why the file, so the caller can say so plainly)."""
    usable, backend = keyring_status()
    reason = f"no usable keyring backend ({backend})"
    if usable:
        try:
            import keyring

            keyring.set_password(SERVICE, server, token)
            if keyring.get_password(SERVICE, server) == token:
                _forget_in_file(settings, server)
                return StoredToken(token, "keyring", backend)
            reason = f"the keyring ({backend}) did not keep the token"
        except Exception as exc:
            reason = f"the keyring ({backend}) failed: {exc}"
    path = settings.credentials_file
    data = _read_file(path)
    tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else {}
    tokens[server] = token  # type: ignore[index]
    data["tokens"] = tokens
    _write_file(path, data)
    return StoredToken(token, "file", f"{reason}; stored in {path} (readable only by you)")


def load_token(settings: Settings, server: str) -> StoredToken | None:
    env = os.environ.get(TOKEN_ENV)
    if env:
        return StoredToken(env.strip(), "env", TOKEN_ENV)
    usable, backend = keyring_status()
    if usable:
        try:
            import keyring

            token = keyring.get_password(SERVICE, server)
            if token:
                return StoredToken(token, "keyring", backend)
        except Exception:
            pass
    tokens = _read_file(settings.credentials_file).get("tokens")
    if isinstance(tokens, dict) and isinstance(tokens.get(server), str):
        return StoredToken(tokens[server], "file", str(settings.credentials_file))
    return None


def _forget_in_file(settings: Settings, server: str) -> bool:
    path = settings.credentials_file
    data = _read_file(path)
    tokens = data.get("tokens")
    if isinstance(tokens, dict) and server in tokens:
        del tokens[server]
        _write_file(path, data)
        return True
    return False


def delete_token(settings: Settings, server: str) -> list[str]:
    """Forget the token of ``server`` everywhere; returns where it was found."""
    removed: list[str] = []
    usable, _ = keyring_status()
    if usable:
        try:
            import keyring

            if keyring.get_password(SERVICE, server) is not None:
                keyring.delete_password(SERVICE, server)
                removed.append("keyring")
        except Exception:
            pass
    if _forget_in_file(settings, server):
        removed.append(str(settings.credentials_file))
    return removed
