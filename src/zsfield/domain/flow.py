"""Flow rules of 一个项目一跟到底: the stage order, what each stage needs, status and back-move reasons.

Pure functions over a project and what hangs off it; nothing here touches the database. The store calls
them before it writes, the TUI calls them to show what is still missing, the server calls them to refuse an
invalid stage jump and a stage event that contradicts the flow (:func:`stage_event_problem`): one home for
the direction of a move and the reason a move back needs, on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from zsfield.domain.credit_code import is_valid_credit_code
from zsfield.domain.enums import STAGES, MilestoneKind, ProjectStatus, ServiceKind, Stage
from zsfield.domain.fields import shown
from zsfield.domain.problems import DomainError, Label, Problem

# Contract signing promises these milestones (履约): DESIGN "promised milestone dates".
PROMISED_AT_CONTRACT: tuple[MilestoneKind, ...] = (
    MilestoneKind.REGISTRATION,
    MilestoneKind.CONSTRUCTION_START,
    MilestoneKind.PRODUCTION_START,
)


@dataclass(frozen=True)
class FlowContext:
    """What the rules need beyond the project row: its milestones and its service plan's permit items."""

    promised_milestones: frozenset[MilestoneKind] = field(default_factory=frozenset)
    permit_items: int = 0


def _get(project: Any, name: str) -> Any:
    if isinstance(project, Mapping):
        return project.get(name)
    return getattr(project, name, None)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _positive(value: Any) -> bool:
    try:
        return value is not None and Decimal(str(value)) > 0
    except ArithmeticError:
        return False


def _missing(field_name: str) -> Problem:
    return Problem("flow.missing_field", {"field": Label(f"field.project.{field_name}")}, field=field_name)


def requirements_of(stage: Stage, project: Any, ctx: FlowContext | None = None) -> list[Problem]:
    """What ``project`` still lacks to stand in ``stage`` itself (not the stages before it)."""
    ctx = ctx or FlowContext()
    out: list[Problem] = []

    def need(*names: str) -> None:
        for n in names:
            if _blank(_get(project, n)):
                out.append(_missing(n))

    match stage:
        case Stage.SCREENING:
            if _blank(_get(project, "company_id")):
                out.append(_missing("company_id"))
            need("source_channel")
        case Stage.NEGOTIATING:
            need("owner_team_id", "leader_id", "service_officer_id")
        case Stage.INTENT_SIGNED:
            need("intent_signed_on")
            if not (
                _positive(_get(project, "planned_investment")) or _positive(_get(project, "total_investment"))
            ):
                out.append(_missing("planned_investment"))
        case Stage.CONTRACT_SIGNED:
            need("contract_signed_on")
            if not _positive(_get(project, "total_investment")):
                out.append(_missing("total_investment"))
            for kind in PROMISED_AT_CONTRACT:
                if kind not in ctx.promised_milestones:
                    out.append(
                        Problem("flow.missing_milestone", {"milestone": kind}, field=f"milestone.{kind}")
                    )
        case Stage.REGISTERED:
            need("registered_entity")
            code = _get(project, "credit_code")
            if _blank(code):
                out.append(_missing("credit_code"))
            elif not is_valid_credit_code(code):
                out.append(Problem("flow.bad_credit_code", {"code": code}, field="credit_code"))
        case Stage.LAND_APPROVED:
            if not (_get(project, "no_new_land") or _positive(_get(project, "land_area_mu"))):
                out.append(Problem("flow.missing_land", {}, field="land_area_mu"))
        case Stage.PERMITS:
            if ctx.permit_items <= 0:
                out.append(Problem("flow.missing_permits", {}, field="permits"))
        case Stage.CONSTRUCTION:
            need("construction_start_on")
        case Stage.COMMISSIONING:
            pass
        case Stage.PRODUCTION:
            need("production_start_on")
        case Stage.EFFECTIVE:
            for n in ("actual_output", "actual_tax", "actual_jobs"):
                if _get(project, n) is None:
                    out.append(_missing(n))
    return out


def missing_for(target: Stage, project: Any, ctx: FlowContext | None = None) -> list[Problem]:
    """Everything ``project`` lacks to enter ``target``: the requirements of every stage up to it."""
    out: list[Problem] = []
    for stage in STAGES[: STAGES.index(target) + 1]:
        out.extend(requirements_of(stage, project, ctx))
    return out


def is_back_move(from_stage: Stage, to_stage: Stage) -> bool:
    """Whether moving from ``from_stage`` to ``to_stage`` goes back in the stage order."""
    return to_stage.index < from_stage.index


def has_reason(note: Any) -> bool:
    """Whether ``note`` gives a reason (text that is not blank), as a move back and its stage event need."""
    return isinstance(note, str) and bool(note.strip())


def stage_of(value: Any) -> Stage | None:
    """The stage of a wire code, or None when ``value`` is not one."""
    try:
        return Stage(value) if isinstance(value, str) else None
    except ValueError:
        return None


def status_of(value: Any) -> ProjectStatus | None:
    """The project status of a wire code, or None when ``value`` is not one."""
    try:
        return ProjectStatus(value) if isinstance(value, str) else None
    except ValueError:
        return None


def stage_event_problem(event: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(field, code, message) when a stage or status event's wire fields contradict the flow, else None: known
    codes, ``from_value`` ≠ ``to_value``, ``backwards`` agreeing with the order, and a reason (``note``) on a
    move back — what :func:`check_stage_move` makes true of every event the laptop writes. The server refuses
    a pushed event with this (the code and the English message are the wire's)."""
    f = event
    kind = f.get("kind", "stage")
    if kind == "status":
        for name in ("from_value", "to_value"):
            value = f.get(name)
            if (value is not None or name == "to_value") and status_of(value) is None:
                return name, "unknown_status", f"{name}: {shown(value)!r} is not a project status"
        return None
    if kind != "stage":
        return None  # an unknown kind is a per-op rejection
    to = stage_of(f.get("to_value"))
    if to is None:
        return "to_value", "unknown_stage", f"to_value: {shown(f.get('to_value'))!r} is not a project stage"
    if f.get("from_value") is None:
        return None  # the project's first event
    frm = stage_of(f.get("from_value"))
    if frm is None:
        return (
            "from_value",
            "unknown_stage",
            f"from_value: {shown(f.get('from_value'))!r} is not a project stage",
        )
    if frm == to:
        return "to_value", "stage_jump", f"a stage event from {frm} to the same stage"
    backwards = is_back_move(frm, to)
    if bool(f.get("backwards", False)) != backwards:
        return (
            "backwards",
            "stage_jump",
            (
                f"backwards is {bool(f.get('backwards', False))} but {frm} → {to} moves "
                f"{'back' if backwards else 'forward'}"
            ),
        )
    if backwards and not has_reason(f.get("note")):
        return "note", "stage_back_without_reason", f"moving back from {frm} to {to} needs a reason (note)"
    return None


@dataclass(frozen=True)
class StageMove:
    """A checked stage change, ready to be written as a stage event."""

    from_stage: Stage
    to_stage: Stage
    backwards: bool
    note: str


def check_stage_move(
    project: Any, to_stage: Stage | str, *, reason: str = "", ctx: FlowContext | None = None
) -> StageMove:
    """Allow or refuse moving ``project`` to ``to_stage`` (raises :class:`DomainError` naming what is missing).

    Forward moves may skip stages only when every skipped stage's requirements are met. A move back needs a
    reason. A lost or abandoned project does not move until it is reactivated.
    """
    to_stage = Stage(to_stage)
    current = Stage(_get(project, "stage") or Stage.SCREENING)
    status = ProjectStatus(_get(project, "status") or ProjectStatus.ACTIVE)
    headline = Problem("flow.cannot_enter", {"stage": to_stage})
    if to_stage == current:
        raise DomainError(Problem("flow.same_stage", {"stage": to_stage}, field="stage"), headline)
    if status in (ProjectStatus.LOST, ProjectStatus.ABANDONED):
        raise DomainError(Problem("flow.closed_status", {"status": status}, field="status"), headline)
    backwards = is_back_move(current, to_stage)
    if backwards:
        if not has_reason(reason):
            raise DomainError(Problem("flow.back_needs_reason", {"stage": to_stage}, field="note"), headline)
        return StageMove(current, to_stage, True, reason.strip())
    missing = missing_for(to_stage, project, ctx)
    if missing:
        raise DomainError(missing, headline)
    return StageMove(current, to_stage, False, reason.strip())


def check_status_change(
    project: Any, to_status: ProjectStatus | str, *, reason: str = "", on: date | None = None
) -> list[Problem]:
    """Problems with changing the status (empty: allowed). Delayed, lost and abandoned need reason and date."""
    to_status = ProjectStatus(to_status)
    current = ProjectStatus(_get(project, "status") or ProjectStatus.ACTIVE)
    out: list[Problem] = []
    if to_status == current:
        out.append(Problem("flow.same_status", {"status": to_status}, field="status"))
        return out
    if to_status.needs_reason:
        if _blank(reason):
            out.append(Problem("flow.status_needs_reason", {"status": to_status}, field="status_reason"))
        if on is None:
            out.append(Problem("flow.status_needs_date", {"status": to_status}, field="status_on"))
    return out


def next_stage_missing(project: Any, ctx: FlowContext | None = None) -> tuple[Stage | None, list[Problem]]:
    """The next stage and what is still missing to enter it (for the stepper and the dashboard)."""
    current = Stage(_get(project, "stage") or Stage.SCREENING)
    nxt = current.next()
    if nxt is None:
        return None, []
    return nxt, missing_for(nxt, project, ctx)


def context_from(milestones: Iterable[Any] = (), service_items: Iterable[Any] = ()) -> FlowContext:
    """Build a :class:`FlowContext` from milestone and service item rows (tombstones ignored)."""
    promised = frozenset(
        MilestoneKind(_get(m, "kind"))
        for m in milestones
        if not _get(m, "deleted") and _get(m, "promised_on") is not None
    )
    permits = sum(
        1
        for s in service_items
        if not _get(s, "deleted") and ServiceKind(_get(s, "kind")) == ServiceKind.PERMIT
    )
    return FlowContext(promised_milestones=promised, permit_items=permits)
