"""Property-based fuzzing of the sync server: no request, however malformed, gets a 5xx.

* schemathesis (4.x) reads the OpenAPI document of a real uvicorn server on loopback and generates valid
  (positive) and invalid (negative) requests for every operation, with a supervisor's and an officer's token;
  the ``not_a_server_error`` check fails on any 5xx (a 503 included: for a client it means "retry", so a
  request that can never succeed must not get one).
* Hypothesis pushes ops built from the real entities and their fields with arbitrary JSON values (what
  schemathesis cannot know: ``fields`` is a free-form object), at records that exist on the server.

Bounded: a fixed number of examples per operation, no shrinking database, a few seconds per backend.
SQLite, and PostgreSQL where ZSFIELD_TEST_PG_URL is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from sync_helpers import ThreadedServer, backends, running_server
from zsfield import protocol
from zsfield.domain.models import ENTITIES, wire_fields

EXAMPLES_PER_OPERATION = 15
PUSH_EXAMPLES = 80
_SETTINGS = {
    "deadline": None,
    "database": None,
    "derandomize": True,  # the same examples on every run: a failure reproduces, the time is stable
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],
}


@pytest.fixture(params=backends())
def fuzzed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ThreadedServer, dict[str, str]]]:
    for server in running_server(request.param, tmp_path):
        tokens = {
            "supervisor": server.add_officer("模糊督查", team=None, role="supervisor"),
            "officer": server.add_officer("模糊专员", team="一组"),
        }
        yield server, tokens


def test_openapi_operations_never_answer_5xx(fuzzed: tuple[ThreadedServer, dict[str, str]]) -> None:
    server, tokens = fuzzed
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for who in ("supervisor", "officer"):
                strategy = operation.as_strategy(
                    generation_mode=mode, headers={"Authorization": f"Bearer {tokens[who]}"}
                )
                examples = EXAMPLES_PER_OPERATION if who == "supervisor" else EXAMPLES_PER_OPERATION // 3

                @given(case=strategy)
                @settings(max_examples=examples, **_SETTINGS)
                def run(case: schemathesis.Case) -> None:
                    case.call_and_validate(base_url=server.url, checks=[not_a_server_error], timeout=60)

                try:
                    run()
                except Unsatisfiable:
                    # nothing to make invalid (GET /v1/health takes no input): only the positive cases count
                    assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
    assert {"POST /v1/push", "GET /v1/pull", "GET /v1/whoami", "GET /v1/health", "GET /v1/conflicts"} <= set(
        labels
    )


# --- ops with real entities and fields ------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["", "-1", "1e9", "NaN", "2026-02-30", "2026-03-01T08:00:00", "screening", "usd", "\x00"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _fields(entity: str) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(wire_fields(ENTITIES[entity]))
    return st.dictionaries(st.sampled_from([*names, "stage", "deleted", "colour"]), _json, max_size=5)


def test_pushed_ops_with_arbitrary_values_never_answer_5xx(
    fuzzed: tuple[ThreadedServer, dict[str, str]],
) -> None:
    server, tokens = fuzzed
    with httpx.Client(base_url=server.url, timeout=60) as c:
        team_id = c.get("/v1/whoami", headers={"Authorization": f"Bearer {tokens['officer']}"}).json()[
            "officer"
        ]["team_id"]
        # records to aim updates, deletes and children at
        known = {"project": str(uuid.uuid4()), "company": str(uuid.uuid4()), "lead": str(uuid.uuid4())}
        seed = [
            ("company", {"name": "靶子公司"}),
            ("project", {"name": "靶子项目", "owner_team_id": team_id}),
            ("lead", {"title": "靶子线索", "team_id": team_id}),
        ]
        ops = [
            {
                "client_seq": n,
                "op_id": str(uuid.uuid4()),
                "entity": e,
                "entity_id": known[e],
                "op": "insert",
                "fields": f,
            }  # fmt: skip
            for n, (e, f) in enumerate(seed, start=1)
        ]
        body = {"client_id": str(uuid.uuid4()), "schema_version": protocol.SCHEMA_VERSION, "ops": ops}
        r = c.post("/v1/push", json=body, headers={"Authorization": f"Bearer {tokens['supervisor']}"})
        assert r.status_code == 200, r.text

        entity_names = sorted(ENTITIES)
        an_op = st.builds(
            lambda entity, kind, fields, target, base, parent: {
                "op_id": str(uuid.uuid4()),
                "entity": entity,
                "entity_id": known.get(entity, str(uuid.uuid4())) if target else str(uuid.uuid4()),
                "op": kind,
                "fields": {**fields, **({"project_id": known["project"]} if parent else {})},
                "base_version": base,
                "schema_version": protocol.SCHEMA_VERSION,
            },
            entity=st.sampled_from(entity_names),
            kind=st.sampled_from(["insert", "update", "delete", "resolve", "void"]),
            fields=st.sampled_from(entity_names).flatmap(_fields),
            target=st.booleans(),
            base=st.integers(min_value=0, max_value=2**53),
            parent=st.booleans(),
        )

        @given(ops=st.lists(an_op, min_size=1, max_size=6), who=st.sampled_from(["supervisor", "officer"]))
        @settings(max_examples=PUSH_EXAMPLES, **_SETTINGS)
        def run(ops: list[dict[str, Any]], who: str) -> None:
            for n, op in enumerate(ops, start=1):
                op["client_seq"] = n
            body = {"client_id": str(uuid.uuid4()), "schema_version": protocol.SCHEMA_VERSION, "ops": ops}
            r = c.post("/v1/push", json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
            assert r.status_code < 500, (r.status_code, r.text[:800], ops)
            assert r.status_code in (200, 422), (r.status_code, r.text[:800])
            if r.status_code == 422:
                assert r.json()["code"] in ("invalid_op", protocol.ERR_INVALID) and r.json()["message"]

        run()
    # and the server still answers a plain request
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/v1/health").status_code == 200
