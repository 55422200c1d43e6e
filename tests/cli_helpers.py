"""Running the real ``zsfield`` command as an officer would, and fingerprinting a file a refusal must leave
alone: shared by the CLI, backup and bad-input tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def zsfield(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``zsfield ARGS`` in a subprocess (the environment carries the test's ZSFIELD_HOME; ``env`` adds to
    it)."""
    return subprocess.run(
        [sys.executable, "-m", "zsfield.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
    )


def digest(path: Path) -> str:
    """The SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
