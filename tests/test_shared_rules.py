"""Rules with one home in the domain agree with every side that uses them, on a shared set of cases:

* the field-conflict rule (:func:`zsfield.domain.conflicts.changed_by_other`): the server's push apply turns
  exactly those fields into conflicts that the push's checks treat as "changed by another client";
* the stage flow (:mod:`zsfield.domain.flow`): every stage event the laptop's ``check_stage_move`` lets an
  officer write passes the server's event check, and every move it refuses for its direction or its missing
  reason is one the server refuses too, with the matching code;
* the derived project columns (:mod:`zsfield.domain.derive`): the laptop's writer and the server's apply
  store the same CNY total and band.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zsfield import protocol
from zsfield.domain.conflicts import changed_by_other
from zsfield.domain.credit_code import compute_check_char, compute_org_check_char
from zsfield.domain.derive import derive_project, wire_derived
from zsfield.domain.enums import STAGES, MilestoneKind, Stage
from zsfield.domain.flow import FlowContext, check_stage_move, stage_event_problem
from zsfield.domain.problems import DomainError

ME = str(uuid.uuid4())
OTHER = str(uuid.uuid4())

# (the field's [version, client] entry or None, the record's creation entry, the op's base version)
CONFLICT_CASES: list[tuple[list[Any] | None, list[Any], int]] = [
    ([3, OTHER], [1, OTHER], 2),  # another client changed it after the base
    ([3, OTHER], [1, OTHER], 3),  # ... at the base itself: seen
    ([3, OTHER], [1, OTHER], 5),  # ... before the base
    ([3, ME], [1, OTHER], 0),  # my own change: never a conflict
    ([5, ME], [1, ME], 1),
    (None, [1, OTHER], 0),  # never changed since another client created it, based on nothing
    (None, [1, OTHER], 1),
    (None, [1, ME], 0),  # created by me
    ([4, "server"], [1, OTHER], 3),  # the server's own CLI counts as another client
]


@pytest.mark.parametrize(("at", "created", "base"), CONFLICT_CASES)
def test_the_push_apply_and_the_push_checks_agree_on_field_conflicts(
    tmp_path: Path, at: list[Any] | None, created: list[Any], base: int
) -> None:
    from zsfield_sync.auth import Actor
    from zsfield_sync.push_apply import BatchApplier
    from zsfield_sync.push_checks import changed_since
    from zsfield_sync.record import CREATED, Rec, entity_columns
    from zsfield_sync.storage import now_text, open_storage, records, write_tx

    expected = changed_by_other(at or created, base, ME)
    engine = open_storage(f"sqlite:///{tmp_path / 'server.db'}")
    actor = Actor("sup", "Supervisor", "supervisor", None, None)
    company_id = str(uuid.uuid4())
    fv: dict[str, list[Any]] = {CREATED: created}
    if at is not None:
        fv["name"] = at
    op = protocol.Op(
        client_seq=1,
        op_id=str(uuid.uuid4()),
        entity="company",
        entity_id=company_id,
        op="update",
        fields={"name": "new name"},
        base_version=base,
    )

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), write_tx(engine) as tx:
        now = now_text()
        data = {**entity_columns("company")[0], "name": "old name", "created_at": now, "updated_at": now}
        data.pop("deleted", None)
        rec = Rec(entity="company", id=company_id, version=5, scope="*", parent_id=None, deleted=False,
                  data=data, fv=fv, server_seq=tx.next_seq(), created_by=None, updated_at=now)  # fmt: skip
        tx.conn.execute(records.insert().values(**rec.row()))
        applier = BatchApplier(tx, actor, ME)
        applier.prefetch([op])
        loaded = applier.load("company", company_id)
        assert loaded is not None
        checked = "name" in changed_since(loaded, set(loaded.data), base, ME)
        result = applier.apply(op)
        applied = {c["field"] for c in result["conflicts"]}
        assert result["status"] in ("applied", "conflict"), result
        raise Rollback
    engine.dispose()
    assert checked == expected
    assert ("name" in applied) == expected


# --- the stage flow -------------------------------------------------------------------------------------------


def _credit_code(division: str = "320591", body: str = "MA1XY37Q") -> str:
    first17 = "91" + division + body + compute_org_check_char(body)
    return first17 + compute_check_char(first17)


COMPLETE = {
    "company_id": "c-1", "source_channel": "fair", "owner_team_id": "t-1", "leader_id": "l-1",
    "service_officer_id": "o-1", "intent_signed_on": date(2026, 3, 2), "planned_investment": Decimal("3e8"),
    "contract_signed_on": date(2026, 4, 8), "total_investment": Decimal("3.2e8"),
    "registered_entity": "云湖远澜储能技术有限公司", "credit_code": _credit_code(), "no_new_land": True,
    "construction_start_on": date(2026, 6, 1), "production_start_on": date(2027, 6, 1),
    "actual_output": Decimal(1), "actual_tax": Decimal(1), "actual_jobs": 1, "status": "active",
}  # fmt: skip
"""A project that meets every stage's requirements: the laptop refuses a move only for the flow itself."""
EVERYTHING = FlowContext(promised_milestones=frozenset(MilestoneKind), permit_items=1)
REASONS = ["", "   ", "客户调整方案 / the investor changed the plan"]


@pytest.mark.parametrize("frm", STAGES)
def test_the_laptop_and_the_server_agree_on_stage_events(frm: Stage) -> None:
    judged = 0
    for to in STAGES:
        for reason in REASONS:
            project = {**COMPLETE, "stage": frm.value}
            try:
                move = check_stage_move(project, to, reason=reason, ctx=EVERYTHING)
            except DomainError as exc:
                keys = {p.key for p in exc.problems}
                event = {
                    "kind": "stage", "from_value": frm.value, "to_value": to.value,
                    "backwards": to.index < frm.index, "note": reason,
                }  # fmt: skip
                problem = stage_event_problem(event)
                assert problem is not None, (frm, to, reason, keys)
                if keys == {"flow.same_stage"}:
                    assert problem[1] == "stage_jump"
                else:
                    assert keys == {"flow.back_needs_reason"}, keys
                    assert problem[:2] == ("note", "stage_back_without_reason")
            else:
                event = {
                    "kind": "stage", "from_value": move.from_stage.value, "to_value": move.to_stage.value,
                    "backwards": move.backwards, "note": move.note,
                }  # fmt: skip
                assert stage_event_problem(event) is None, (frm, to, reason)
            judged += 1
    assert judged == len(STAGES) * len(REASONS)


# --- derived project columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"total_investment": "320000000", "total_investment_currency": "CNY"},
        {"planned_investment": "50000000"},
        {"total_investment": "100000000", "total_investment_currency": "USD", "total_investment_rate": "7.1"},
        {"total_investment": "100000000", "total_investment_currency": "USD"},
        {},
    ],
)
def test_the_wire_form_of_the_derived_columns_is_the_laptops(values: dict[str, Any]) -> None:
    derived = derive_project(values)
    cny = derived["total_investment_cny"]
    assert wire_derived(values) == {
        "total_investment_cny": None if cny is None else format(cny, "f"),
        "band": derived["band"],
    }
