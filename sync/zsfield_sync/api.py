"""The HTTP face of the sync server (FastAPI). The OpenAPI document (``/openapi.json``, ``/docs``) describes
the protocol through the shared models of :mod:`zsfield.protocol`.

Every refusal is a 4xx with an :class:`~zsfield.protocol.ErrorBody`; a busy or failing database is a 503
the client retries; nothing is ever half-applied (a push is one transaction).
"""

from __future__ import annotations

import gc
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zsfield import __version__, protocol
from zsfield.protocol import ConflictList, ErrorBody, Health, PullResponse, PushRequest, PushResponse, WhoAmI
from zsfield_sync import admin
from zsfield_sync.auth import Actor, ApiError, authenticate
from zsfield_sync.pull import pull_json
from zsfield_sync.push import parse_push, push_json
from zsfield_sync.storage import get_epoch, is_storage_full, read_tx

log = logging.getLogger("zsfield_sync")

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        401: "no token, an unknown token, or a revoked one",
        403: "the client id belongs to another officer",
        409: "a gap or a reused number in client_seq, or a client schema newer than the server's",
        413: f"the body is larger than {protocol.MAX_BODY_BYTES // (1024 * 1024)} MiB",
        422: "a malformed request (`invalid_request`), or ops whose values the domain refuses "
        "(`invalid_op`: negative or non-numeric amounts, implausible timestamps, over-long text, invalid stage "
        "moves); nothing is applied",
        426: "the client's schema is too old: update zsfield",
        503: "the database is busy or unavailable: retry with backoff",
        507: "the server's disk is full (`storage_full`): nothing was applied; not worth a quick retry",
    }.items()
}


TOO_LARGE_MESSAGE = (
    f"The request body is larger than {protocol.MAX_BODY_BYTES} bytes: send at most "
    f"{protocol.MAX_BATCH_OPS} ops and {protocol.MAX_BODY_BYTES // (1024 * 1024)} MiB per push."
)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with a 413 :class:`ErrorBody`, before reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int = protocol.MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                response = _error(413, protocol.ERR_TOO_LARGE, TOO_LARGE_MESSAGE)
                response.headers["Connection"] = "close"
                await response(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:
                    raise StarletteHTTPException(413, detail=TOO_LARGE_MESSAGE)
            return msg

        await self.app(scope, limited, send)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = ErrorBody(code=code, message=message, **extra).model_dump(exclude_none=True)
    headers = {"Retry-After": "1"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, headers=headers)


STORAGE_FULL_MESSAGE = (
    "The server's disk is full: nothing was applied. Your changes are kept; sync again once the admin has "
    "freed space on the server."
)


def _storage_full(exc: BaseException) -> JSONResponse:
    log.error("the server's disk is full (answered 507 storage_full): %s", getattr(exc, "orig", None) or exc)
    return _error(507, protocol.ERR_STORAGE_FULL, STORAGE_FULL_MESSAGE)


_bearer = HTTPBearer(auto_error=False, description="the officer's token from `zsfield-server officer add`")


def current_officer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The officer of the request's bearer token (401 when missing, unknown or revoked)."""
    header = f"Bearer {credentials.credentials}" if credentials is not None else None
    with read_tx(request.app.state.engine) as conn:
        return authenticate(conn, header)


Officer = Annotated[Actor, Depends(current_officer)]


async def push_request(request: Request) -> PushRequest:
    """The push body, parsed by orjson and validated once for the whole batch (FastAPI's own body handling
    costs several times more for thousands of ops); a malformed one is the usual 422."""
    try:
        return parse_push(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]
        ) from None


_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}},
    }
}


def _with_push_schema(app: FastAPI) -> None:
    """The OpenAPI document describes the push body (read by :func:`push_request`, not by FastAPI)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            schema = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            found = doc.setdefault("components", {}).setdefault("schemas", {})
            for name, sub in schema.pop("$defs", {}).items():
                found.setdefault(name, sub)
            found["PushRequest"] = schema
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(engine: Engine) -> FastAPI:
    """The FastAPI application over an initialised (migrated) server database."""
    app = FastAPI(
        title="zsfield sync server",
        version=__version__,
        description=(
            "Central sync for zsfield (招商引资 field teams). Push outbox ops in order (`client_seq`), pull "
            "changes by `server_seq` cursor. Authenticate with `Authorization: Bearer <token>` "
            "(tokens come from `zsfield-server officer add`)."
        ),
    )
    app.state.engine = engine
    app.add_middleware(BodyLimit)

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, **exc.extra)  # type: ignore[arg-type]

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()[:20]
        ]
        first = errors[0] if errors else {"loc": [], "msg": "malformed request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "request"
        return _error(422, protocol.ERR_INVALID, f"Malformed request: {where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: protocol.ERR_TOO_LARGE}.get(
            exc.status_code, "http_error"
        )
        message = TOO_LARGE_MESSAGE if exc.status_code == 413 else str(exc.detail)
        return _error(exc.status_code, code, message)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _db(_req: Request, exc: Exception) -> JSONResponse:
        if is_storage_full(exc):
            return _storage_full(exc)
        log.warning("database error: %s", exc)
        return _error(
            503, protocol.ERR_UNAVAILABLE, "The server's database is busy or unavailable: retry shortly."
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(req: Request, _exc: ClientDisconnect) -> Response:
        # the client closed the connection while sending its request (a laptop put to sleep, a cut network):
        # nothing was read whole, so nothing was applied; one line, not a traceback (no one gets the reply)
        peer = f"{req.client.host}:{req.client.port}" if req.client else "a client"
        log.info("%s disconnected during %s %s: nothing was applied", peer, req.method, req.url.path)
        return Response(status_code=400)

    @app.exception_handler(OSError)
    async def _os_error(_req: Request, exc: OSError) -> JSONResponse:
        if is_storage_full(exc):
            return _storage_full(exc)
        raise exc  # anything else is a bug: the usual 500 and its traceback

    @app.get("/v1/health", response_model=Health, tags=["sync"], summary="Liveness and the server epoch")
    def health() -> Health:
        with read_tx(engine) as conn:
            epoch = get_epoch(conn)
        return Health(schema_version=protocol.SCHEMA_VERSION, epoch=epoch, database=engine.dialect.name)

    @app.get(
        "/v1/whoami", response_model=WhoAmI, responses=_ERRORS, tags=["sync"], summary="The token's officer"
    )
    def whoami(actor: Officer) -> WhoAmI:
        return admin.whoami(engine, actor)

    @app.post(
        "/v1/push",
        response_model=PushResponse,
        responses=_ERRORS,
        tags=["sync"],
        summary=f"Apply a batch of outbox ops (≤ {protocol.MAX_BATCH_OPS} ops, "
        f"≤ {protocol.MAX_BODY_BYTES // (1024 * 1024)} MiB) in one transaction",
        openapi_extra=_PUSH_BODY,
    )
    def push(actor: Officer, req: Annotated[PushRequest, Depends(push_request)]) -> Response:
        return Response(push_json(engine, actor, req), media_type="application/json")

    @app.get(
        "/v1/pull",
        response_model=PullResponse,
        responses=_ERRORS,
        tags=["sync"],
        summary="Changes after a cursor, in server_seq order",
    )
    def pull(
        actor: Officer,
        since: Annotated[
            int, Query(ge=0, le=2**62, description="the cursor of the last page (0: from the start)")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=protocol.MAX_PULL_LIMIT)] = protocol.DEFAULT_PULL_LIMIT,
    ) -> Response:
        return Response(pull_json(engine, actor, since, limit), media_type="application/json")

    @app.get(
        "/v1/conflicts",
        response_model=ConflictList,
        responses=_ERRORS,
        tags=["sync"],
        summary="The conflict log: a supervisor sees all, an officer their team's",
    )
    def conflict_log(
        actor: Officer,
        open_only: Annotated[bool, Query(description="only conflicts nobody has decided yet")] = True,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> ConflictList:
        return ConflictList(conflicts=admin.list_conflicts(engine, actor, open_only=open_only, limit=limit))

    _with_push_schema(app)
    return app


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging set-up with the server's own logger (``zsfield_sync``: disconnects, database errors, a
    full disk) on uvicorn's handler and format, at ``level``."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["zsfield_sync"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def serving(app: FastAPI) -> FastAPI:
    """``app``, about to serve for the life of the process: what start-up built (modules, models, the app) is
    moved out of the garbage collector's full passes, which a push of thousands of ops would otherwise trigger
    again and again for nothing. Start-up's garbage is collected first, so nothing unreachable is kept for
    ever; later garbage is collected as before. (The officer's app does the same in :mod:`zsfield.heap`: a
    process's own start-up, not a rule the two share, and the server stands on the domain alone.)"""
    gc.collect()
    gc.freeze()
    return app


def app_from_env() -> FastAPI:
    """The app over ``ZSFIELD_SERVER_DB`` (else the default database): the factory uvicorn imports in each
    worker process of ``zsfield-server serve --workers N``. The parent has applied the migrations."""
    from zsfield_sync.storage import open_storage, resolve_db_url

    return serving(create_app(open_storage(resolve_db_url(), run_migrations=False)))
