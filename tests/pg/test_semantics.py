"""The declared grants give exactly the access the model intends, on a real PostgreSQL.

The stack config below is run through the real program under Pulumi's mock monitor; the
PostgreSQL resources it declares are applied to a throwaway cluster with the provider's own
statements (tests/support/pgapply/). Then objects are created as the owner role, some
before the grants are applied (covered by `Grant`) and some after (covered only by the
default privileges), and PostgreSQL itself is asked:

- `has_*_privilege` for every principal x every managed database, schema and object x every
  privilege, compared with what the access matrix (`expand(config).matrix`) promises; the
  matrix is the single source, so a few facts are also asserted by hand, to catch a matrix
  that is itself wrong;
- real statements, logged in as each principal (a real LOGIN, so CONNECT is checked too).

Names are hostile on purpose: a database with a space and accents, a mixed-case database,
a schema with quotes, a schema whose name is an SQL injection attempt, a principal with an
apostrophe. They must stay quoted and harmless everywhere.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from entra_pg.model import ALLOWED_PRIVILEGES, ExpandedAccess
from tests.support.azurepg import AzurePg, AzureScratch
from tests.support.pgapply import DATABASE, ROLE, SCHEMA, apply
from tests.support.stacks import Declared, declare, local_target

# --------------------------------------------------------------------------- the stack

ORDERS = "sem ördérs db"  # space, unicode
REPORTING = "sem Reporting"  # mixed case
SALES = 'Sales "EU"'  # quotes, space, mixed case
BILLING = "billing"
MARTS = "marts"
SNEAKY = 'x"; DROP SCHEMA marts CASCADE; --'  # an injection attempt, as a schema name

READER = "o'brien@contoso.com"  # read on ORDERS.SALES and on REPORTING
WRITER = "Orders API"  # write on ORDERS (both schemas)
MIGRATOR = "migrator"  # ddl on ORDERS
SUPPORT = "Support Desk"  # custom profile on ORDERS.BILLING: read tables, execute functions
ETL = "reporting-etl"  # write on REPORTING.MARTS
PRINCIPALS = (READER, WRITER, MIGRATOR, SUPPORT, ETL)
NOBODY = "sem nobody"  # a LOGIN role outside the model: stands for PUBLIC

TABLE_PRIVILEGES = ALLOWED_PRIVILEGES["table"]
SEQUENCE_PRIVILEGES = ALLOWED_PRIVILEGES["sequence"]
SCHEMA_PRIVILEGES = ALLOWED_PRIVILEGES["schema"]
DATABASE_PRIVILEGES = ("CONNECT", "TEMPORARY", "CREATE")


def stack_config(cluster: AzurePg) -> dict[str, Any]:
    """The stack under test (target local: the program declares the databases too)."""
    return {
        **local_target(cluster.host, cluster.port, cluster.username),
        "databases": [
            {"name": ORDERS, "schemas": [SALES, BILLING]},
            {"name": REPORTING, "schemas": [MARTS, SNEAKY]},
        ],
        "profiles": {
            "support": {
                "description": "Look up billing and replay jobs.",
                "privileges": {
                    "database": ["CONNECT"],
                    "schema": ["USAGE"],
                    "table": ["SELECT"],
                    "function": ["EXECUTE"],
                },
            }
        },
        "access": [
            {
                "name": READER,
                "kind": "user",
                "objectId": "7c4e2a19-0b3d-4f6e-8a51-2d9c6e0f4b88",
                "grants": [
                    {"database": ORDERS, "schemas": [SALES], "profile": "read"},
                    {"database": REPORTING, "profile": "read"},
                ],
            },
            {
                "name": WRITER,
                "kind": "servicePrincipal",
                "objectId": "6e1d9b4f-2a3c-4d7e-9f0a-1b2c3d4e5f60",
                "grants": [{"database": ORDERS, "profile": "write"}],
            },
            {
                "name": MIGRATOR,
                "kind": "servicePrincipal",
                "objectId": "7f2e0c5a-3b4d-4e8f-a01b-2c3d4e5f6071",
                "migration": True,
                "grants": [{"database": ORDERS, "profile": "ddl"}],
            },
            {
                "name": SUPPORT,
                "kind": "existingGroup",
                "objectId": "5d0c8a3e-1f2b-4c6d-8e9f-0a1b2c3d4e5f",
                "grants": [{"database": ORDERS, "schemas": [BILLING], "profile": "support"}],
            },
            {
                "name": ETL,
                "kind": "servicePrincipal",
                "objectId": "3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11",
                "grants": [{"database": REPORTING, "schemas": [MARTS], "profile": "write"}],
            },
        ],
    }


def reduced_config(config: dict[str, Any]) -> dict[str, Any]:
    """The same stack after offboarding WRITER and taking REPORTING away from READER."""
    reduced = copy.deepcopy(config)
    reduced["access"] = [p for p in reduced["access"] if p["name"] != WRITER]
    for principal in reduced["access"]:
        if principal["name"] == READER:
            principal["grants"] = [g for g in principal["grants"] if g["database"] != REPORTING]
    return reduced


@pytest.fixture(scope="module")
def declared(azure_pg: AzurePg, tmp_path_factory: pytest.TempPathFactory) -> Declared:
    """The full stack, declared once for the module (declaring does not touch the server)."""
    return declare(tmp_path_factory.mktemp("semantics"), stack_config(azure_pg))


@pytest.fixture(scope="module")
def declared_reduced(azure_pg: AzurePg, tmp_path_factory: pytest.TempPathFactory) -> Declared:
    return declare(tmp_path_factory.mktemp("reduced"), reduced_config(stack_config(azure_pg)))


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class Obj:
    """An object created in a managed schema, and how to name it in SQL."""

    database: str
    schema: str
    name: str
    kind: str  # table | view | sequence | function
    after: bool  # created after the grants were applied

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    @property
    def privilege_type(self) -> str:
        return "table" if self.kind == "view" else self.kind


def create_objects(cluster: AzurePg, access: ExpandedAccess, *, after: bool) -> list[Obj]:
    """As each database's owner role: a table, a view, a sequence and a function per schema."""
    phase = "after" if after else "before"
    created: list[Obj] = []
    for db in access.databases:
        with cluster.superuser_connect(db.name, role=db.owner_role) as conn:
            for schema in db.schemas:
                table = Obj(db.name, schema, f'Lines "{phase}" ü', "table", after)
                view = Obj(db.name, schema, f"{phase} view", "view", after)
                seq = Obj(db.name, schema, f"{phase}_seq", "sequence", after)
                func = Obj(db.name, schema, f"{phase} Total", "function", after)
                conn.execute(
                    sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, note text)").format(table.ident)
                )
                conn.execute(sql.SQL("INSERT INTO {} VALUES (1, 'one')").format(table.ident))
                conn.execute(
                    sql.SQL("CREATE VIEW {} AS SELECT id, note FROM {}").format(
                        view.ident, table.ident
                    )
                )
                conn.execute(sql.SQL("CREATE SEQUENCE {}").format(seq.ident))
                conn.execute(
                    sql.SQL(
                        "CREATE FUNCTION {}(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1'"
                    ).format(func.ident)
                )
                created += [table, view, seq, func]
    return created


def converge(declared: Declared, cluster: AzurePg) -> list[Obj]:
    """Apply the stack in two steps, creating objects before and after the grants.

    Step one creates roles, databases and schemas only (as the first part of a `pulumi up`
    would); objects created then exist when the grants run. Step two applies everything,
    diffed against step one like the engine diffs against its state.
    """
    skeleton = [r for r in declared.resources if r.type in (ROLE, DATABASE, SCHEMA)]
    apply(skeleton, cluster)
    objects = create_objects(cluster, declared.access, after=False)
    apply(declared.resources, cluster, previous=skeleton)
    objects += create_objects(cluster, declared.access, after=True)
    return objects


# --------------------------------------------------------------------------- expectations


def expected_privileges(
    access: ExpandedAccess, who: str, database: str, schema: str | None, obj: Obj | None
) -> set[str]:
    """What the matrix promises `who` on a database (schema None), a schema (obj None) or
    an object. A principal in the owner role (ddl) holds everything the owner role owns:
    the schemas and the objects created as the owner role; not the database, which the
    connecting admin owns (as on Azure), so on it only the profile's privileges."""
    entries = [e for e in access.matrix if e.principal == who and e.database == database]
    if any(e.owner for e in entries) and schema is not None:
        if obj is None:
            return set(SCHEMA_PRIVILEGES)
        return set(ALLOWED_PRIVILEGES[obj.privilege_type])  # type: ignore[index]
    held: set[str] = set()
    for entry in entries:
        if schema is None:
            held |= set(dict(entry.privileges).get("database", ()))
        elif entry.schema != schema:
            continue
        elif obj is None:
            held |= set(dict(entry.privileges).get("schema", ()))
        else:
            source = entry.future if obj.after else entry.privileges
            held |= set(dict(source).get(obj.privilege_type, ()))
    return held


def actual_privileges(
    conn: psycopg.Connection[Any], who: str, database: str, schema: str | None, obj: Obj | None
) -> set[str]:
    """What PostgreSQL says `who` holds (one query per object, all privileges at once)."""
    if schema is None:
        check, privileges = "has_database_privilege", DATABASE_PRIVILEGES
        argument: Any = database
    elif obj is None:
        check, privileges, argument = "has_schema_privilege", SCHEMA_PRIVILEGES, schema
    else:
        privileges = ALLOWED_PRIVILEGES[obj.privilege_type]  # type: ignore[index]
        check = {
            "table": "has_table_privilege",
            "sequence": "has_sequence_privilege",
            "function": "has_function_privilege",
        }[obj.privilege_type]
        # By OID: text arguments would be parsed as SQL names.
        catalog = "pg_proc" if obj.kind == "function" else "pg_class"
        name_column = "proname" if obj.kind == "function" else "relname"
        ns_column = "pronamespace" if obj.kind == "function" else "relnamespace"
        row = conn.execute(
            sql.SQL(
                "SELECT c.oid FROM {} c JOIN pg_namespace n ON n.oid = c.{} "
                "WHERE n.nspname = %s AND c.{} = %s"
            ).format(
                sql.Identifier(catalog), sql.Identifier(ns_column), sql.Identifier(name_column)
            ),
            [obj.schema, obj.name],
        ).fetchone()
        assert row is not None, obj
        argument = row[0]
    rows = conn.execute(
        sql.SQL("SELECT p, {}(%s, %s, p) FROM unnest(%s::text[]) AS p").format(
            sql.Identifier(check)
        ),
        [who, argument, list(privileges)],
    ).fetchall()
    return {privilege for privilege, held in rows if held}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def converged(declared: Declared, azure_db: AzureScratch) -> tuple[Declared, list[Obj]]:
    """The full stack applied (objects before and after), plus a LOGIN role with no grant."""
    objects = converge(declared, azure_db.server)
    azure_db.server.query(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(NOBODY)))
    return declared, objects


def login(cluster: AzurePg, database: str, who: str) -> psycopg.Connection[Any]:
    """A real login as `who` (checks LOGIN and CONNECT like any client)."""
    return cluster.login(database, who)


def denied(conn: psycopg.Connection[Any], statement: sql.Composable) -> bool:
    """True when the statement fails for lack of privilege."""
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    return False


def select_one(conn: psycopg.Connection[Any], obj: Obj) -> Any:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(obj.ident)).fetchone()


def find(objects: list[Obj], schema: str, kind: str, *, after: bool) -> Obj:
    return next(o for o in objects if o.schema == schema and o.kind == kind and o.after == after)


# --------------------------------------------------------------------------- tests


def test_every_privilege_matches_the_access_matrix(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    declared, objects = converged
    access = declared.access
    mismatches: list[str] = []
    checked = 0
    for db in access.databases:
        with azure_pg.superuser_connect(db.name) as conn:
            for who in (*PRINCIPALS, NOBODY, "public"):
                scopes: list[tuple[str | None, Obj | None]] = [(None, None)]
                scopes += [(schema, None) for schema in db.schemas]
                scopes += [(o.schema, o) for o in objects if o.database == db.name]
                for schema, obj in scopes:
                    want = expected_privileges(access, who, db.name, schema, obj)
                    got = actual_privileges(conn, who, db.name, schema, obj)
                    checked += 1
                    if want != got:
                        where = obj.name if obj else (schema or "(database)")
                        mismatches.append(
                            f"{who} on {db.name}/{schema}/{where}: "
                            f"expected {sorted(want)}, PostgreSQL says {sorted(got)}"
                        )
    assert not mismatches, "\n".join(mismatches)
    assert checked == 2 * 7 * (1 + 2 + 16)  # databases x roles x (db + schemas + objects)


def test_hand_checked_facts_catch_a_wrong_matrix(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    # Independent of the matrix: a few facts anyone reviewing the config would expect.
    declared, objects = converged
    access = declared.access
    table_after = find(objects, SALES, "table", after=True)
    billing_table = find(objects, BILLING, "table", after=False)
    billing_func = find(objects, BILLING, "function", after=True)
    with azure_pg.superuser_connect(ORDERS) as conn:
        assert actual_privileges(conn, READER, ORDERS, SALES, table_after) == {"SELECT"}
        assert actual_privileges(conn, READER, ORDERS, BILLING, None) == set()
        assert actual_privileges(conn, WRITER, ORDERS, BILLING, billing_table) == {
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
        }
        assert actual_privileges(conn, SUPPORT, ORDERS, BILLING, billing_func) == {"EXECUTE"}
        assert actual_privileges(conn, "public", ORDERS, BILLING, billing_func) == set()
        assert actual_privileges(conn, ETL, ORDERS, None, None) == set()
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [ORDERS]
        ).fetchone()
        # The admin the provider connects as owns it (as on Azure); the owner role owns the
        # schemas and what migrations create in them.
        assert owner == (azure_pg.username,)
        schema_owner = conn.execute(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s", [BILLING]
        ).fetchone()
        assert schema_owner == (f"{ORDERS}_owner",)
    # And the matrix itself says so.
    reader_rows = {
        (e.database, e.schema, e.profile) for e in access.matrix if e.principal == READER
    }
    assert reader_rows == {
        (ORDERS, SALES, "read"),
        (REPORTING, MARTS, "read"),
        (REPORTING, SNEAKY, "read"),
    }


def test_readers_read_present_and_future_objects_and_change_nothing(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    _, objects = converged
    with login(azure_pg, ORDERS, READER) as conn:
        for after in (False, True):
            for kind in ("table", "view"):
                assert select_one(conn, find(objects, SALES, kind, after=after)) == (1,)
            seq = find(objects, SALES, "sequence", after=after)
            conn.execute(sql.SQL("SELECT last_value FROM {}").format(seq.ident))
            table = find(objects, SALES, "table", after=after)
            assert denied(conn, sql.SQL("INSERT INTO {} VALUES (2, 'x')").format(table.ident))
            assert denied(conn, sql.SQL("DELETE FROM {}").format(table.ident))
            assert denied(
                conn, sql.SQL("SELECT nextval({})").format(sql.Literal(seq.ident.as_string(conn)))
            )
            func = find(objects, SALES, "function", after=after)
            assert denied(conn, sql.SQL("SELECT {}(1)").format(func.ident))
        assert denied(
            conn,
            sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(SALES, "reader made this")),
        )
        # Not granted at all: the other schema, whatever its tables' ACLs.
        billing = find(objects, BILLING, "table", after=False)
        assert denied(conn, sql.SQL("SELECT * FROM {}").format(billing.ident))
    with login(azure_pg, REPORTING, READER) as conn:
        assert select_one(conn, find(objects, MARTS, "view", after=True)) == (1,)
        assert select_one(conn, find(objects, SNEAKY, "table", after=False)) == (1,)


def test_writers_write_and_use_sequences_but_cannot_create_or_truncate(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    _, objects = converged
    with login(azure_pg, ORDERS, WRITER) as conn:
        for schema in (SALES, BILLING):
            for after in (False, True):
                table = find(objects, schema, "table", after=after)
                seq = find(objects, schema, "sequence", after=after)
                func = find(objects, schema, "function", after=after)
                conn.execute(sql.SQL("INSERT INTO {} VALUES (2, 'two')").format(table.ident))
                conn.execute(
                    sql.SQL("UPDATE {} SET note = 'deux' WHERE id = 2").format(table.ident)
                )
                conn.execute(sql.SQL("DELETE FROM {} WHERE id = 2").format(table.ident))
                value = conn.execute(
                    sql.SQL("SELECT nextval({})").format(sql.Literal(seq.ident.as_string(conn)))
                ).fetchone()
                assert value == (1,)
                assert conn.execute(sql.SQL("SELECT {}(7)").format(func.ident)).fetchone() == (7,)
                assert denied(conn, sql.SQL("TRUNCATE {}").format(table.ident))
                assert denied(conn, sql.SQL("DROP TABLE {}").format(table.ident))
            assert denied(
                conn,
                sql.SQL("CREATE TABLE {} (id int)").format(
                    sql.Identifier(schema, "writer made this")
                ),
            )
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        login(azure_pg, REPORTING, WRITER).close()


def test_ddl_creates_objects_owned_by_the_owner_role_and_covered_by_default_privileges(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    owner = f"{ORDERS}_owner"
    table = sql.Identifier(SALES, "migrated Ü")
    function = sql.Identifier(BILLING, "migrated_fn")
    with login(azure_pg, ORDERS, MIGRATOR) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("CREATE TABLE {} (id serial PRIMARY KEY, v text)").format(table))
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN w int").format(table))
        conn.execute(
            sql.SQL("CREATE FUNCTION {}() RETURNS int LANGUAGE sql AS 'SELECT 42'").format(function)
        )
    with azure_pg.superuser_connect(ORDERS) as conn:
        owners = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname IN (%s, %s)",
            ["migrated Ü", "migrated Ü_id_seq"],
        ).fetchall()
        assert owners == [(owner,), (owner,)]
    with login(azure_pg, ORDERS, READER) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == (0,)
    with login(azure_pg, ORDERS, WRITER) as conn:
        conn.execute(sql.SQL("INSERT INTO {} (v) VALUES ('uses the sequence')").format(table))
        assert conn.execute(sql.SQL("SELECT {}()").format(function)).fetchone() == (42,)
    with login(azure_pg, ORDERS, SUPPORT) as conn:
        assert conn.execute(sql.SQL("SELECT {}()").format(function)).fetchone() == (42,)
    with azure_pg.superuser_connect(ORDERS) as conn:
        assert (
            actual_privileges(
                conn,
                "public",
                ORDERS,
                BILLING,
                Obj(ORDERS, BILLING, "migrated_fn", "function", True),
            )
            == set()
        )


def test_public_cannot_connect_or_reach_anything(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    for database in (ORDERS, REPORTING):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            login(azure_pg, database, NOBODY).close()
    # The same role can log in where PUBLIC keeps PostgreSQL's default CONNECT: proof that
    # the refusal above is the model's doing, not a broken role.
    login(azure_pg, "postgres", NOBODY).close()
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        login(azure_pg, REPORTING, MIGRATOR).close()
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        login(azure_pg, ORDERS, ETL).close()


def test_removing_a_principal_leaves_it_nothing(
    declared: Declared, declared_reduced: Declared, azure_db: AzureScratch
) -> None:
    cluster = azure_db.server
    objects = converge(declared, cluster)
    result = apply(declared_reduced.resources, cluster, previous=declared.resources)
    assert result.deleted, "the reduced stack must delete resources"

    assert cluster.superuser_query(
        "SELECT count(*) FROM pg_roles WHERE rolname = %s", [WRITER]
    ) == [(0,)]
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        login(cluster, ORDERS, WRITER).close()
    # Losing a grant (not the whole principal): READER keeps ORDERS, loses REPORTING.
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        login(cluster, REPORTING, READER).close()
    with azure_db.server.superuser_connect(REPORTING) as conn:
        for obj in (o for o in objects if o.database == REPORTING):
            assert actual_privileges(conn, READER, REPORTING, obj.schema, obj) == set()
    memberships = cluster.superuser_query(
        "SELECT pg_get_userbyid(roleid) FROM pg_auth_members WHERE member = %s::regrole",
        [sql.Identifier(READER).as_string(None)],
    )
    assert memberships == [(f"{ORDERS}_{SALES}_read",)]
    with login(cluster, ORDERS, READER) as conn:
        assert select_one(conn, find(objects, SALES, "table", after=True)) == (1,)
    # What the reduced model promises is still exactly what PostgreSQL says.
    with cluster.superuser_connect(ORDERS) as conn:
        for obj in (o for o in objects if o.database == ORDERS):
            for who in (READER, MIGRATOR, SUPPORT):
                assert actual_privileges(conn, who, ORDERS, obj.schema, obj) == (
                    expected_privileges(declared_reduced.access, who, ORDERS, obj.schema, obj)
                ), (who, obj)


def test_hostile_names_stay_quoted_and_harmless(
    converged: tuple[Declared, list[Obj]], azure_pg: AzurePg
) -> None:
    declared, _ = converged
    databases = {row[0] for row in azure_pg.superuser_query("SELECT datname FROM pg_database")}
    assert {ORDERS, REPORTING} <= databases
    with azure_pg.superuser_connect(REPORTING) as conn:
        schemas = {
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                "AND nspname <> 'information_schema'"
            )
        }
    # The injection attempt is just a schema with an odd name; marts was not dropped.
    assert schemas == {"public", MARTS, SNEAKY}
    with azure_pg.superuser_connect(ORDERS) as conn:
        schemas = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}
    assert SALES in schemas
    assert not {"Sales", "EU", "Sales EU"} & schemas
    roles = {row[0] for row in azure_pg.superuser_query("SELECT rolname FROM pg_roles")}
    assert set(declared.access.role_names()) <= roles
    assert f"{REPORTING}_{SNEAKY}_read" in roles
    # Every declared role exists under its exact name and nothing else was created.
    stray = {r for r in roles if "brien" in r or "DROP" in r} - set(declared.access.role_names())
    assert stray == set()
