"""Errors of the local store, each with a message a person can act on (and an exit code for the CLI)."""

from __future__ import annotations


class StoreError(Exception):
    """Base: ``str()`` says what happened and what to do; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class DatabaseMissing(StoreError):
    exit_code = 3


class DatabaseTooNew(StoreError):
    """The file was written by a newer zsfield: opening it here could damage it."""

    exit_code = 4


class DatabaseLocked(StoreError):
    exit_code = 5


class DatabaseCorrupt(StoreError):
    exit_code = 6


class DiskFull(StoreError):
    exit_code = 7
