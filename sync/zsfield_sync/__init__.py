"""zsfield's central sync server (FastAPI + uvicorn): ``zsfield-server serve``, officers and tokens.

The wire format is :mod:`zsfield.protocol`, shared with the officer's client. Records are stored
generically (entity, id, version, owning team, tombstone, data as JSON, per-field versions), so the server
follows the client's tables without a migration of its own for every new field.
"""

from __future__ import annotations

__all__ = ["__version__"]

from zsfield import __version__
