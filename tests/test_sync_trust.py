"""The server trusts no claim of the client (issue 11, points 1, 2, 3 and 7): what an officer may write and read
is decided from identity (the token's role and team) and the server's own records, never from a field, a
replayed sequence number, a base version or a value's shape.

Each test is the regression test of one defect; a real uvicorn server on loopback, SQLite and PostgreSQL
(where ZSFIELD_TEST_PG_URL is set), ops crafted by hand as a broken or hostile client would send them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from sync_helpers import ThreadedServer, backends, running_server
from sync_helpers import raw_push as push
from sync_helpers import wire_op as op
from zsfield import protocol


@dataclass
class Zone:
    server: ThreadedServer
    tokens: dict[str, str]
    teams: dict[str, str]  # "A" / "B" -> team id

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=60
        )


def one(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    return result


def pull_all(c: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    since = 0
    while True:
        page = c.get("/v1/pull", params={"since": since, "limit": 500}).json()
        for ch in page["changes"]:
            seen[(ch["entity"], ch["id"])] = ch
        since = page["cursor"]
        if not page["has_more"]:
            return seen


@pytest.fixture(scope="module", params=backends())
def zone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zone]:
    for server in running_server(request.param, tmp_path_factory.mktemp("trust")):
        tokens = {
            "officer_a": server.add_officer("甲组专员", team="甲组"),
            "officer_b": server.add_officer("乙组专员", team="乙组"),
            "leader_b": server.add_officer("乙组领导", team="乙组", role="leader"),
            "supervisor": server.add_officer("督查", team=None, role="supervisor"),
        }
        names = {r["data"]["name"]: r["id"] for r in server.records("team")}
        yield Zone(server, tokens, {"A": names["甲组"], "B": names["乙组"]})


def new_project(zone: Zone, team: str, name: str = "甲组的项目") -> str:
    """A project of ``team`` (with a visit), made by the supervisor."""
    pid = str(uuid.uuid4())
    with zone.client("supervisor") as sup:
        r = push(
            sup,
            [
                op(1, "project", pid, {"name": name, "owner_team_id": zone.teams[team]}),
                op(2, "visit", str(uuid.uuid4()), {"project_id": pid, "summary": "首次拜访"}),
            ],
        )
    assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"applied"}, r.text
    return pid


# --- 1. scope from identity, never from a field ------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer_b", "leader_b"])
def test_another_teams_project_cannot_be_taken_by_setting_the_shared_scope(zone: Zone, role: str) -> None:
    """Issue 11.1: B set ``owner_team_id = "*"`` on A's project and it was applied (the scope was taken from the
    field, and the shared scope let through before the record's owner was checked)."""
    pid = new_project(zone, "A")
    before = zone.server.record("project", pid)
    assert before is not None and before["scope"] == zone.teams["A"]
    with zone.client(role) as c:
        for fields in (
            {"owner_team_id": "*"},
            {"owner_team_id": "*", "name": "乙组拿走了"},
            {"name": "改名"},
        ):
            result = one(push(c, [op(1, "project", pid, fields, "update", before["version"])]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
            assert result["record"] is None and "another team" in result["message"]
        assert ("project", pid) not in pull_all(c)
    assert zone.server.record("project", pid) == before


def test_an_officer_cannot_put_a_team_record_in_the_shared_scope(zone: Zone) -> None:
    """Issue 11.1: an officer inserted a project straight into ``"*"`` (and then every laptop pulled it); nor
    may an officer move their own project there."""
    pid = str(uuid.uuid4())
    with zone.client("officer_a") as c:
        result = one(push(c, [op(1, "project", pid, {"name": "人人可见", "owner_team_id": "*"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        lead = str(uuid.uuid4())
        result = one(push(c, [op(1, "lead", lead, {"title": "公共线索", "team_id": "*"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        own = new_project(zone, "A", "甲组自己的")
        before = zone.server.record("project", own)
        assert before is not None
        result = one(push(c, [op(1, "project", own, {"owner_team_id": "*"}, "update", before["version"])]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
    assert zone.server.record("project", pid) is None and zone.server.record("lead", lead) is None
    assert zone.server.record("project", own) == before
    with zone.client("officer_b") as c:
        seen = pull_all(c)
    assert ("project", own) not in seen and not [k for k in seen if k[0] in ("project", "lead", "visit")]
    # not even a supervisor: "*" is the shared entities' scope, never a team's
    with zone.client("supervisor") as sup:
        result = one(push(sup, [op(1, "project", pid, {"name": "人人可见", "owner_team_id": "*"})]))
    assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_INVALID), result
    assert "not a team" in result["message"]
    assert not [r for r in zone.server.records() if r["scope"] == "*" and r["entity"] in ("project", "lead")]


def test_an_officers_insert_lands_in_their_own_team(zone: Zone) -> None:
    """Without a team field a new project or lead takes the officer's team from the token (field included)."""
    pid, lead = str(uuid.uuid4()), str(uuid.uuid4())
    with zone.client("officer_a") as c:
        r = push(
            c, [op(1, "project", pid, {"name": "没写组"}), op(2, "lead", lead, {"title": "没写组的线索"})]
        )
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["applied", "applied"]
    # the replies carry the records as the server stored them, team filled in (the laptop stores them)
    project_reply, lead_reply = (x["record"]["data"] for x in r.json()["results"])
    assert (project_reply["owner_team_id"], lead_reply["team_id"]) == (zone.teams["A"],) * 2
    project, lead_rec = zone.server.record("project", pid), zone.server.record("lead", lead)
    assert project is not None and lead_rec is not None
    assert (project["scope"], project["data"]["owner_team_id"]) == (zone.teams["A"],) * 2
    assert (lead_rec["scope"], lead_rec["data"]["team_id"]) == (zone.teams["A"],) * 2


@pytest.mark.parametrize("role", ["officer_b", "leader_b"])
def test_moving_a_project_between_teams_is_a_supervisors_op(zone: Zone, role: str) -> None:
    pid = new_project(zone, "B", "乙组要送走的")
    before = zone.server.record("project", pid)
    assert before is not None
    with zone.client(role) as c:
        for team in (zone.teams["A"], None):
            fields = {"owner_team_id": team}
            result = one(push(c, [op(1, "project", pid, fields, "update", before["version"])]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
            assert "supervisor" in result["message"]
    assert zone.server.record("project", pid) == before
    with zone.client("supervisor") as sup:
        result = one(push(sup, [op(1, "project", pid, {"owner_team_id": zone.teams["A"]}, "update", 1)]))
        assert result["status"] == "applied", result
        bogus = one(push(sup, [op(1, "project", pid, {"owner_team_id": "no-such-team"}, "update", 2)]))
        assert (bogus["status"], bogus["code"]) == ("rejected", protocol.REJECT_INVALID), bogus
    moved = zone.server.record("project", pid)
    assert moved is not None and moved["scope"] == zone.teams["A"]


def test_a_child_takes_its_scope_from_its_parent_on_the_server(zone: Zone) -> None:
    """A visit under A's project is A's, whatever its fields say; B can neither add one nor move one there."""
    pid_a, pid_b = new_project(zone, "A", "甲组的"), new_project(zone, "B", "乙组的")
    with zone.client("officer_b") as c:
        visit = str(uuid.uuid4())
        result = one(push(c, [op(1, "visit", visit, {"project_id": pid_a, "summary": "乙组来访"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        mine = str(uuid.uuid4())
        assert one(
            push(
                c, [op(1, "follow_up", mine, {"project_id": pid_b, "title": "回访", "due_on": "2026-12-20"})]
            )
        )["status"] == ("applied")
        result = one(push(c, [op(1, "follow_up", mine, {"project_id": pid_a}, "update", 1)]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
    assert zone.server.record("visit", visit) is None
    follow_up = zone.server.record("follow_up", mine)
    assert follow_up is not None and follow_up["scope"] == zone.teams["B"]
    assert follow_up["data"]["project_id"] == pid_b


# --- 2. a replay returns only what the op named, to whom made it -------------------------------------------------


def test_a_replay_naming_another_record_leaks_nothing(zone: Zone) -> None:
    """Issue 11.2: replaying one's own acknowledged (client_seq, op_id) while naming another team's record
    returned that record's current contents."""
    pid_a = new_project(zone, "A", "甲组的秘密项目")
    cid = str(uuid.uuid4())
    company = str(uuid.uuid4())
    with zone.client("officer_b") as c:
        first = op(1, "company", company, {"name": "乙组录入的公司"})
        assert one(push(c, [first], cid))["status"] == "applied"
        for entity, entity_id, kind in (
            ("project", pid_a, "update"),
            ("project", pid_a, "insert"),
            ("company", company, "update"),  # the same record, another kind of op
        ):
            crafted = {**first, "entity": entity, "entity_id": entity_id, "op": kind}
            r = push(c, [crafted], cid)
            assert r.status_code == 409 and r.json()["code"] == protocol.ERR_SEQ_REUSED, r.text
            assert "甲组的秘密项目" not in r.text and pid_a not in r.text
        # the honest resend is still answered from the log, with the record
        again = one(push(c, [first], cid))
        assert again["replayed"] and again["record"]["data"]["name"] == "乙组录入的公司"
    # another officer using B's client id is refused before anything is read
    with zone.client("officer_a") as c:
        r = push(c, [first], cid)
    assert r.status_code == 403 and r.json()["code"] == protocol.ERR_CLIENT_NOT_YOURS


def test_a_replay_returns_no_record_the_officer_can_no_longer_read(zone: Zone) -> None:
    """B's acknowledged edit of B's project, replayed after a supervisor moved the project to A: the reply
    keeps the stored result but not the record (A's now)."""
    pid = new_project(zone, "B", "后来归甲组")
    cid = str(uuid.uuid4())
    with zone.client("officer_b") as c:
        edit = op(1, "project", pid, {"park_area": "东区"}, "update", 1)
        assert one(push(c, [edit], cid))["status"] == "applied"
        with zone.client("supervisor") as sup:
            moved = one(push(sup, [op(1, "project", pid, {"owner_team_id": zone.teams["A"]}, "update", 2)]))
            assert moved["status"] == "applied"
        again = one(push(c, [edit], cid))
    assert again["replayed"] and again["status"] == "applied" and again["version"] == 2
    assert again["record"] is None


# --- 3. bases are facts, not claims ------------------------------------------------------------------------------


def test_a_base_above_the_servers_version_is_refused(zone: Zone) -> None:
    """Issue 11.3: an update or delete based on version 1,000,000 overwrote another officer's edit, or deleted
    the record, with no conflict."""
    pid = new_project(zone, "A", "版本号")
    with zone.client("officer_a") as c:
        assert (
            one(push(c, [op(1, "project", pid, {"park_area": "东区"}, "update", 1)]))["status"] == "applied"
        )
    before = zone.server.record("project", pid)
    assert before is not None and before["version"] == 2
    with zone.client("officer_a") as c:  # another laptop of the team (another client id)
        for kind, fields in (
            ("update", {"park_area": "西区"}),
            ("update", {"park_area": "东区"}),
            ("delete", {}),
        ):
            result = one(push(c, [op(1, "project", pid, fields, kind, 1_000_000)]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_BAD_BASE), result
            assert "1000000" in result["message"] and "version 2" in result["message"]
        # a base the server did hand out still works as before: a conflict, not an overwrite
        result = one(push(c, [op(1, "project", pid, {"park_area": "西区"}, "update", 1)]))
        assert result["status"] == "conflict" and result["conflicts"][0]["field"] == "park_area"
        # an epoch the server never had is no excuse
        result = one(
            push(c, [op(1, "project", pid, {"park_area": "西区"}, "update", 7, base_epoch="f" * 32)])
        )
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_BAD_BASE), result
    assert zone.server.record("project", pid) == before


@pytest.mark.parametrize("backend", backends())
def test_a_base_of_the_epoch_before_a_restore(backend: str, tmp_path: Any) -> None:
    """After a restore the versions the laptops saw may be above the server's. An op based in the server's
    earlier epoch applies as if based on the record's version when the record is unchanged since the
    restore; on a record changed since then, each field the op sets to another value than the server's is a
    conflict (a person decides; changes of the sending client itself excepted); never silently applied over a
    change made after the restore."""
    from zsfield_sync.storage import dump_tables, read_tx, restore_tables
    from zsfield_sync.storage import get_epoch as epoch_of

    for server in running_server(backend, tmp_path):
        token_a = server.add_officer("甲组专员", team="甲组")
        token_a2 = server.add_officer("甲组另一位", team="甲组")
        zone = Zone(server, {"a": token_a, "a2": token_a2}, {})
        quiet, busy = str(uuid.uuid4()), str(uuid.uuid4())
        with zone.client("a") as c:
            r = push(
                c,
                [
                    op(1, "project", quiet, {"name": "安静的项目"}),
                    op(2, "project", busy, {"name": "忙的项目"}),
                ],
            )
            assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"applied"}
            backup = dump_tables(server.engine)
            with read_tx(server.engine) as conn:
                old_epoch = epoch_of(conn)
            # acknowledged after the backup (so lost by the restore): both projects reach version 3
            cid = str(uuid.uuid4())
            for n, pid in enumerate((quiet, busy)):
                ops = [
                    op(1 + 2 * n, "project", pid, {"park_area": "东区"}, "update", 1),
                    op(2 + 2 * n, "project", pid, {"industry": "半导体"}, "update", 2),
                ]
                assert {x["status"] for x in push(c, ops, cid).json()["results"]} == {"applied"}
        restore_tables(server.engine, backup)
        with zone.client("a2") as c2:  # after the restore, another officer edits the busy project
            r = push(
                c2, [op(1, "project", busy, {"park_area": "北区", "open_questions": "地价"}, "update", 1)]
            )
            assert one(r)["status"] == "applied"
        with zone.client("a") as c:  # the laptop sends its lost edits again, based in the old epoch
            new_cid = str(uuid.uuid4())
            resend = [
                op(
                    1,
                    "project",
                    quiet,
                    {"park_area": "东区", "industry": "半导体"},
                    "update",
                    3,
                    base_epoch=old_epoch,
                ),
                op(
                    2,
                    "project",
                    busy,
                    {"park_area": "东区", "industry": "半导体"},
                    "update",
                    3,
                    base_epoch=old_epoch,
                ),
            ]
            r = push(c, resend, new_cid)
            assert r.status_code == 200, r.text
            quiet_result, busy_result = r.json()["results"]
            # the same base in the current epoch is a base the server never handed out
            plain = one(push(c, [op(1, "project", quiet, {"park_area": "南区"}, "update", 5)]))
        assert quiet_result["status"] == "applied", quiet_result
        assert busy_result["status"] == "conflict", busy_result
        assert [x["field"] for x in busy_result["conflicts"]] == ["park_area", "industry"]
        assert (
            busy_result["conflicts"][0]["mine"] == "东区" and busy_result["conflicts"][0]["theirs"] == "北区"
        )
        assert (plain["status"], plain["code"]) == ("rejected", protocol.REJECT_BAD_BASE), plain
        q, b = server.record("project", quiet), server.record("project", busy)
        assert q is not None and (q["data"]["park_area"], q["data"]["industry"]) == ("东区", "半导体")
        # nothing applied over the record changed since the restore: both fields wait for a person
        assert b is not None and (b["data"]["park_area"], b["data"]["industry"]) == ("北区", "")
        assert b["data"]["open_questions"] == "地价"


# --- 7. every field's shape, shared entities included ------------------------------------------------------------

POISON = [1, {}, None]


def test_every_json_column_has_a_real_shape_check() -> None:
    """Every JSON column of the domain gets its shape from the model's annotation (a new column without a
    shape the codec understands fails here), and the aliases are a list of texts."""
    from zsfield.domain.codec import WireError, decode_field, json_columns, json_shape

    columns = json_columns()
    assert ("company", "aliases") in columns
    for entity, name in columns:
        assert json_shape(entity, name) is not None
    assert json_shape("company", "aliases")(["宁德时代", "CATL"]) is None
    for bad in (POISON, ["ok", 2], {"a": "b"}, "宁德时代", [["nested"]]):
        assert json_shape("company", "aliases")(bad) is not None, bad
        with pytest.raises(WireError):
            decode_field("company", "aliases", bad)


@pytest.mark.parametrize("role", ["officer_a", "supervisor"])
def test_a_company_with_aliases_of_the_wrong_shape_is_refused(zone: Zone, role: str) -> None:
    """Issue 11.7: a company whose ``aliases`` was ``[1, {}, null]`` was accepted into the shared index, and
    ``match-company`` and lead capture then crashed on every laptop of the zone."""
    cid = str(uuid.uuid4())
    with zone.client(role) as c:
        for fields in ({"name": "毒药公司", "aliases": POISON}, {"name": "毒药公司", "aliases": {"x": 1}}):
            result = one(push(c, [op(1, "company", cid, fields)]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_INVALID), result
            assert "aliases" in result["message"]
        assert one(push(c, [op(1, "company", cid, {"name": "好公司", "aliases": ["好公司集团"]})]))[
            "status"
        ] == ("applied")
        result = one(push(c, [op(1, "company", cid, {"aliases": ["好", 7]}, "update", 1)]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_INVALID), result
    stored = zone.server.record("company", cid)
    assert stored is not None and stored["data"]["aliases"] == ["好公司集团"] and stored["version"] == 1


@pytest.mark.parametrize("backend", backends())
def test_a_laptop_lists_a_pulled_record_it_cannot_read_and_stores_the_rest(
    backend: str, tmp_path: Any
) -> None:
    """A poisoned company that an older server accepted reaches a laptop: the page's other records are stored,
    the poisoned one is listed (rejection list, code ``unreadable``), the sync says it needs attention, and the
    duplicate check (``match-company``, lead capture's index) works — also on a laptop that stored such a
    company before this check existed."""
    from sqlalchemy import update

    from cli_helpers import zsfield
    from sync_helpers import Zone as LaptopZone
    from zsfield.store.actions.leads import capture_lead
    from zsfield.store.read.lookups import company_index, company_names
    from zsfield.store.read.sync_lists import open_rejections
    from zsfield_sync.storage import records, write_tx

    for server in running_server(backend, tmp_path):
        laptops = LaptopZone(server, tmp_path)
        try:
            sup = server.add_officer("督查", team=None, role="supervisor")
            good, poisoned = str(uuid.uuid4()), str(uuid.uuid4())
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {sup}"}) as c:
                r = push(
                    c,
                    [
                        op(
                            1,
                            "company",
                            good,
                            {"name": "宁德时代新能源科技股份有限公司", "aliases": ["宁德时代"]},
                        ),
                        op(2, "company", poisoned, {"name": "毒药科技有限公司", "aliases": ["毒药"]}),
                    ],
                )
                assert {x["status"] for x in r.json()["results"]} == {"applied"}
            # what an older server let through: the stored record itself poisoned
            with write_tx(server.engine) as tx:
                row = tx.conn.execute(
                    records.select().where(records.c.entity == "company", records.c.id == poisoned)
                ).one()
                data = {**orjson.loads(row.data), "aliases": POISON}
                tx.conn.execute(
                    update(records)
                    .where(records.c.entity == "company", records.c.id == poisoned)
                    .values(data=orjson.dumps(data).decode(), server_seq=tx.next_seq())
                )
            a1 = laptops.laptop("A1")
            result = a1.sync()
            assert result.ok and result.rejections == 1 and result.needs_attention, result
            assert [r["id"] for r in a1.rows("company")] == [good]  # the rest of the page is stored
            (listed,) = [r for r in open_rejections(a1.store) if r["code"] == "unreadable"]
            assert listed["entity_id"] == poisoned and listed["op"]["field"] == "aliases"
            assert "cannot read" in listed["message"]
            assert a1.sync().rejections == 0  # listed once, not again at every sync
            # the officer's laptop of an older zsfield stored it anyway: the duplicate check does not crash
            with a1.store.engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO company (id, name, aliases, credit_code, country, industry, existing_investor, "
                    "website, note, created_at, updated_at, deleted, version) VALUES (?, ?, ?, NULL, 'CN', '', 0, "
                    "'', '', '2026-01-01T00:00:00.000000', '2026-01-01T00:00:00.000000', 0, 1)",
                    (poisoned, "毒药科技有限公司", "[1, {}, null]"),
                )
            index, _ = company_index(a1.store)
            assert [c.company_id for c in index.candidates("宁德时代", limit=3)][:1] == [good]
            assert [c.company_id for c in index.candidates("毒药科技有限公司", limit=3)][:1] == [poisoned]
            assert dict((i, n) for i, n, _ in company_names(a1.store))[poisoned] == ["毒药科技有限公司"]
            with a1.store.write(a1.officer_id) as w:
                lead = capture_lead(w, title="新线索", company_name="宁德时代", team_id=a1.team_id)
                assert lead.id
            cli = zsfield("match-company", "宁德时代", "--db", str(a1.settings.db_path), "--json")
            assert cli.returncode == 0, cli.stderr
            assert good in cli.stdout
        finally:
            laptops.close()
