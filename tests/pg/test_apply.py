"""`apply` does to a real server what the pulumi-postgresql provider does.

Every check reads the server's own answer: the catalogs, `has_*_privilege`, and real
statements run under `SET ROLE` (or a real login). Resources are built by hand, with the
camelCase inputs our components declare.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from entra_pg.resources import PlannedResource
from tests.support.pgapply import (
    DATABASE,
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
    apply,
    security_label_statement,
)
from tests.support.pgcluster import PgScratch

# --------------------------------------------------------------------------- builders


def res(type_: str, logical: str, /, **inputs: Any) -> PlannedResource:
    """A resource as the mock monitor records it (URN from type and logical name)."""
    return PlannedResource(
        urn=f"urn:pulumi:test::entra-pg::{type_}::{logical}",
        type=type_,
        name=logical,
        inputs=inputs,
    )


def role(name: str, *, login: bool = False, **extra: Any) -> PlannedResource:
    """A Role with exactly the inputs our components declare."""
    return res(
        ROLE,
        f"role:{name}",
        name=name,
        login=login,
        superuser=False,
        createRole=False,
        createDatabase=False,
        replication=False,
        bypassRowLevelSecurity=False,
        inherit=True,
        **extra,
    )


def grant(
    role_name: str,
    database: str,
    object_type: str,
    privileges: list[str],
    *,
    schema: str | None = None,
    objects: list[str] | None = None,
    logical: str | None = None,
) -> PlannedResource:
    inputs: dict[str, Any] = {
        "role": role_name,
        "database": database,
        "objectType": object_type,
        "privileges": privileges,
        "withGrantOption": False,
    }
    if schema is not None:
        inputs["schema"] = schema
    if objects is not None:
        inputs["objects"] = objects
    return res(GRANT, logical or f"grant:{role_name}:{object_type}:{schema}", **inputs)


def grant_role(member: str, group: str, *, admin: bool = False) -> PlannedResource:
    return res(
        GRANT_ROLE, f"member:{member}:{group}", role=member, grantRole=group, withAdminOption=admin
    )


def default_privileges(
    role_name: str, database: str, owner: str, schema: str, object_type: str, privileges: list[str]
) -> PlannedResource:
    return res(
        DEFAULT_PRIVILEGES,
        f"defaults:{role_name}:{owner}:{schema}:{object_type}",
        role=role_name,
        database=database,
        owner=owner,
        schema=schema,
        objectType=object_type,
        privileges=privileges,
        withGrantOption=False,
    )


def schema_res(name: str, database: str, owner: str) -> PlannedResource:
    return res(SCHEMA, f"schema:{name}", name=name, database=database, owner=owner)


# --------------------------------------------------------------------------- checks


def ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


def table_privilege(db: PgScratch, who: str, schema: str, table: str, privilege: str) -> bool:
    # Pass the table as a regclass built from a quoted name: has_table_privilege(text) would
    # parse the text as SQL, so quote it with psycopg rather than by hand.
    qualified = sql.Identifier(schema, table).as_string(None)
    return bool(db.scalar("SELECT has_table_privilege(%s, %s, %s)", [who, qualified, privilege]))


def role_exists(db: PgScratch, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]))


def is_member(db: PgScratch, member: str, group: str) -> bool:
    return bool(db.scalar("SELECT pg_has_role(%s, %s, 'MEMBER')", [member, group]))


def make_tables(db: PgScratch, schema: str, *tables: str, owner: str | None = None) -> None:
    """Create tables (as `owner` via SET ROLE, else as the superuser)."""
    for table in tables:
        db.query(sql.SQL("CREATE TABLE {} (id int)").format(ident(schema, table)), role=owner)


# --------------------------------------------------------------------------- Role


def test_role_is_created_with_every_attribute_explicit(pg_db: PgScratch) -> None:
    app, group = pg_db.unique("app"), pg_db.unique("group")
    result = apply([role(app, login=True), role(group)], pg_db.cluster)

    rows = pg_db.query(
        "SELECT rolname, rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolcreatedb, "
        "rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil IS NOT NULL, rolpassword "
        "FROM pg_authid WHERE rolname IN (%s, %s) ORDER BY rolname",
        [app, group],
    )
    assert rows == [
        (app, True, True, False, False, False, False, False, -1, True, None),
        (group, False, True, False, False, False, False, False, -1, True, None),
    ]
    # The provider spells out every attribute and never sends a password it was not given.
    [create_app, search_path] = result.sql_for(role(app).urn)
    assert create_app == (
        f"CREATE ROLE \"{app}\" WITH VALID UNTIL 'infinity' CONNECTION LIMIT -1 NOSUPERUSER "
        "NOCREATEDB NOCREATEROLE INHERIT LOGIN NOBYPASSRLS NOREPLICATION"
    )
    assert search_path == f'ALTER ROLE "{app}" SET search_path TO DEFAULT'
    # A LOGIN role really logs in (trust auth); a NOLOGIN one cannot.
    with pg_db.connect(app, login=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (app,)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        pg_db.connect(group, login=True)


def test_unchanged_resources_send_no_sql(pg_db: PgScratch) -> None:
    declared = [role(pg_db.unique("idle"))]
    apply(declared, pg_db.cluster)
    again = apply(declared, pg_db.cluster, previous=declared)
    assert again.statements == ()
    assert (again.created, again.updated, again.deleted) == ((), (), ())


def test_role_update_alters_only_what_changed(pg_db: PgScratch) -> None:
    name = pg_db.unique("flip")
    before = [role(name, login=False)]
    apply(before, pg_db.cluster)
    after = [role(name, login=True)]
    result = apply(after, pg_db.cluster, previous=before)
    assert result.updated == (after[0].urn,)
    assert f'ALTER ROLE "{name}" WITH LOGIN' in result.sql_for(after[0].urn)
    assert pg_db.scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [name]) is True


def test_role_update_revokes_memberships_made_by_grant_role(pg_db: PgScratch) -> None:
    # Provider behaviour worth knowing: Role Update revokes every membership of the role and
    # re-grants only Role.roles, so a GrantRole membership vanishes when its member Role is
    # updated (the engine does not re-run the unchanged GrantRole).
    member, group = pg_db.unique("member"), pg_db.unique("group")
    before = [role(member), role(group), grant_role(member, group)]
    apply(before, pg_db.cluster)
    assert is_member(pg_db, member, group)

    after = [role(member, login=True), role(group), grant_role(member, group)]
    result = apply(after, pg_db.cluster, previous=before)
    assert result.updated == (role(member).urn,)
    assert not is_member(pg_db, member, group)


def test_removed_role_is_dropped_after_its_grants(pg_db: PgScratch) -> None:
    db, leaver, group = pg_db.dbname, pg_db.unique("leaver"), pg_db.unique("group")
    make_tables(pg_db, "public", "t1")
    kept = [role(group)]
    before = [
        *kept,
        role(leaver, login=True),
        grant(leaver, db, "schema", ["USAGE"], schema="public"),
        grant(leaver, db, "table", ["SELECT"], schema="public"),
        grant_role(leaver, group),
        default_privileges(leaver, db, "bootstrap", "public", "table", ["SELECT"]),
    ]
    apply(before, pg_db.cluster)
    assert table_privilege(pg_db, leaver, "public", "t1", "SELECT")

    result = apply(kept, pg_db.cluster, previous=before)

    assert not role_exists(pg_db, leaver)
    assert role_exists(pg_db, group)
    # Dependents first (reverse dependency order), the role itself last, with the
    # provider's REASSIGN OWNED / DROP OWNED / DROP ROLE sequence.
    assert result.deleted[-1] == role(leaver).urn
    assert result.sql_for(role(leaver).urn) == [
        f'REASSIGN OWNED BY "{leaver}" TO "bootstrap"',
        f'DROP OWNED BY "{leaver}"',
        f'DROP ROLE "{leaver}"',
    ]
    assert pg_db.scalar("SELECT count(*) FROM pg_default_acl") == 0


def test_role_delete_cleans_only_the_provider_database(pg_db: PgScratch) -> None:
    # REASSIGN/DROP OWNED run in the provider's database only: a privilege the role still
    # holds in another database (granted outside the model) blocks DROP ROLE. Offboarding
    # must clear such leftovers first.
    leaver = pg_db.unique("leaver")
    declared = [role(leaver)]
    apply(declared, pg_db.cluster)
    make_tables(pg_db, "public", "t1")
    pg_db.query(sql.SQL("GRANT SELECT ON public.t1 TO {}").format(ident(leaver)))

    with pytest.raises(
        errors.DependentObjectsStillExist, match=f"1 object in database {pg_db.dbname}"
    ):
        apply([], pg_db.cluster, previous=declared)
    assert role_exists(pg_db, leaver)  # the failed step was rolled back whole


# --------------------------------------------------------------------------- Grant


def test_table_grant_covers_existing_tables_only(pg_db: PgScratch) -> None:
    db, reader = pg_db.dbname, pg_db.unique("reader")
    pg_db.query("CREATE SCHEMA app")
    make_tables(pg_db, "app", "existing")
    apply(
        [
            role(reader),
            grant(reader, db, "schema", ["USAGE"], schema="app"),
            grant(reader, db, "table", ["SELECT"], schema="app"),
        ],
        pg_db.cluster,
    )
    make_tables(pg_db, "app", "later")

    assert table_privilege(pg_db, reader, "app", "existing", "SELECT")
    assert not table_privilege(pg_db, reader, "app", "existing", "INSERT")
    assert not table_privilege(pg_db, reader, "app", "later", "SELECT")
    # The real statements agree with the catalog functions.
    assert pg_db.query("SELECT count(*) FROM app.existing", role=reader) == [(0,)]
    with pytest.raises(errors.InsufficientPrivilege):
        pg_db.query("SELECT * FROM app.later", role=reader)
    with pytest.raises(errors.InsufficientPrivilege):
        pg_db.query("INSERT INTO app.existing VALUES (1)", role=reader)


def test_grant_is_authoritative_for_its_scope(pg_db: PgScratch) -> None:
    db, writer = pg_db.dbname, pg_db.unique("writer")
    make_tables(pg_db, "public", "t1", "t2")
    before = [
        role(writer),
        grant(writer, db, "table", ["SELECT", "INSERT", "DELETE"], schema="public"),
    ]
    apply(before, pg_db.cluster)
    assert table_privilege(pg_db, writer, "public", "t2", "DELETE")

    after = [role(writer), grant(writer, db, "table", ["SELECT"], schema="public")]
    result = apply(after, pg_db.cluster, previous=before)

    assert result.updated == (after[1].urn,)
    assert result.sql_for(after[1].urn) == [
        f'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "public" FROM "{writer}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "{writer}"',
    ]
    for table in ("t1", "t2"):
        assert table_privilege(pg_db, writer, "public", table, "SELECT")
        assert not table_privilege(pg_db, writer, "public", table, "INSERT")
        assert not table_privilege(pg_db, writer, "public", table, "DELETE")


def test_grant_also_revokes_privileges_granted_outside_the_model(pg_db: PgScratch) -> None:
    db, reader = pg_db.dbname, pg_db.unique("reader")
    make_tables(pg_db, "public", "t1")
    apply([role(reader)], pg_db.cluster)
    pg_db.query(sql.SQL("GRANT ALL ON public.t1 TO {}").format(ident(reader)))

    apply([grant(reader, db, "table", ["SELECT"], schema="public")], pg_db.cluster)

    assert table_privilege(pg_db, reader, "public", "t1", "SELECT")
    assert not table_privilege(pg_db, reader, "public", "t1", "TRUNCATE")


def test_empty_privileges_mean_revoke_only(pg_db: PgScratch) -> None:
    db, reader = pg_db.dbname, pg_db.unique("reader")
    make_tables(pg_db, "public", "t1")
    before = [role(reader), grant(reader, db, "table", ["SELECT"], schema="public")]
    apply(before, pg_db.cluster)
    after = [role(reader), grant(reader, db, "table", [], schema="public")]
    result = apply(after, pg_db.cluster, previous=before)
    assert len(result.sql_for(after[1].urn)) == 1  # the revoke, no grant
    assert not table_privilege(pg_db, reader, "public", "t1", "SELECT")


def test_grant_on_listed_objects_only(pg_db: PgScratch) -> None:
    db, reader = pg_db.dbname, pg_db.unique("reader")
    make_tables(pg_db, "public", "t1", "t2")
    apply(
        [role(reader), grant(reader, db, "table", ["SELECT"], schema="public", objects=["t2"])],
        pg_db.cluster,
    )
    assert not table_privilege(pg_db, reader, "public", "t1", "SELECT")
    assert table_privilege(pg_db, reader, "public", "t2", "SELECT")


def test_database_and_schema_grants(pg_db: PgScratch) -> None:
    db, deployer = pg_db.dbname, pg_db.unique("deployer")
    before = [
        role(deployer, login=True),
        grant(deployer, db, "database", ["CONNECT", "CREATE"]),
        grant(deployer, db, "schema", ["USAGE", "CREATE"], schema="public"),
    ]
    apply(before, pg_db.cluster)
    assert pg_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [deployer, db])
    with pg_db.connect(deployer, login=True) as conn:
        conn.execute("CREATE SCHEMA deploy_made")
        conn.execute("CREATE TABLE public.deploy_made (id int)")

    after = [
        role(deployer, login=True),
        grant(deployer, db, "database", ["CONNECT"]),
        grant(deployer, db, "schema", ["USAGE"], schema="public"),
    ]
    apply(after, pg_db.cluster, previous=before)
    assert not pg_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [deployer, db])
    assert not pg_db.scalar("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [deployer])
    assert pg_db.scalar("SELECT has_schema_privilege(%s, 'public', 'USAGE')", [deployer])
    with pg_db.connect(deployer, login=True) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("CREATE TABLE public.too_late (id int)")


def test_role_public_means_public(pg_db: PgScratch) -> None:
    db, anyone = pg_db.dbname, pg_db.unique("anyone")
    make_tables(pg_db, "public", "t1")
    apply([role(anyone), grant("public", db, "table", ["SELECT"], schema="public")], pg_db.cluster)
    # "public" quoted is still PUBLIC to PostgreSQL's grammar: an ACL entry with no grantee.
    assert pg_db.scalar("SELECT relacl::text[] FROM pg_class WHERE relname = 't1'") == [
        "bootstrap=arwdDxt/bootstrap",
        "=r/bootstrap",
    ]
    assert table_privilege(pg_db, anyone, "public", "t1", "SELECT")


def test_schema_and_grants_on_sequences_and_functions(pg_db: PgScratch) -> None:
    db, owner, app = pg_db.dbname, pg_db.unique("owner"), pg_db.unique("app")
    apply(
        [
            role(owner),
            role(app),
            schema_res("svc", db, owner),
            grant(app, db, "schema", ["USAGE"], schema="svc"),
        ],
        pg_db.cluster,
    )
    assert (
        pg_db.scalar("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'svc'")
        == owner
    )
    pg_db.query("CREATE SEQUENCE svc.ids", role=owner)
    pg_db.query("CREATE FUNCTION svc.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'", role=owner)
    pg_db.query("REVOKE EXECUTE ON FUNCTION svc.answer() FROM PUBLIC", role=owner)
    apply(
        [
            grant(app, db, "sequence", ["USAGE"], schema="svc"),
            grant(app, db, "function", ["EXECUTE"], schema="svc", objects=["answer()"]),
        ],
        pg_db.cluster,
    )
    assert pg_db.query("SELECT nextval('svc.ids'), svc.answer()", role=app) == [(1, 42)]


# --------------------------------------------------------------------------- DefaultPrivileges


def test_default_privileges_cover_future_tables_of_that_owner(pg_db: PgScratch) -> None:
    db = pg_db.dbname
    owner, other, reader = pg_db.unique("owner"), pg_db.unique("other"), pg_db.unique("reader")
    apply(
        [
            role(owner),
            role(other),
            role(reader),
            schema_res("app", db, owner),
            grant(other, db, "schema", ["USAGE", "CREATE"], schema="app"),
            grant(reader, db, "schema", ["USAGE"], schema="app"),
            default_privileges(reader, db, owner, "app", "table", ["SELECT"]),
        ],
        pg_db.cluster,
    )
    make_tables(pg_db, "app", "by_owner", owner=owner)
    make_tables(pg_db, "app", "by_other", owner=other)

    assert table_privilege(pg_db, reader, "app", "by_owner", "SELECT")
    assert not table_privilege(pg_db, reader, "app", "by_owner", "INSERT")
    # Default privileges are per creating role: another role's tables are not covered.
    assert not table_privilege(pg_db, reader, "app", "by_other", "SELECT")
    assert pg_db.query("SELECT count(*) FROM app.by_owner", role=reader) == [(0,)]


def test_default_privileges_update_and_delete(pg_db: PgScratch) -> None:
    db, owner, app = pg_db.dbname, pg_db.unique("owner"), pg_db.unique("app")
    base = [role(owner), role(app), schema_res("app", db, owner)]
    rw = [*base, default_privileges(app, db, owner, "app", "table", ["SELECT", "INSERT"])]
    ro = [*base, default_privileges(app, db, owner, "app", "table", ["SELECT"])]
    apply(rw, pg_db.cluster)
    result = apply(ro, pg_db.cluster, previous=rw)
    assert result.sql_for(ro[-1].urn) == [
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "app" REVOKE ALL ON TABLES '
        f'FROM "{app}"',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "app" GRANT SELECT ON TABLES '
        f'TO "{app}"',
    ]
    make_tables(pg_db, "app", "t1", owner=owner)
    assert table_privilege(pg_db, app, "app", "t1", "SELECT")
    assert not table_privilege(pg_db, app, "app", "t1", "INSERT")

    apply(base, pg_db.cluster, previous=ro)
    make_tables(pg_db, "app", "t2", owner=owner)
    assert not table_privilege(pg_db, app, "app", "t2", "SELECT")
    assert pg_db.scalar("SELECT count(*) FROM pg_default_acl") == 0


# --------------------------------------------------------------------------- GrantRole


def test_membership_gives_inherited_privileges_until_removed(pg_db: PgScratch) -> None:
    db, group, member = pg_db.dbname, pg_db.unique("readers"), pg_db.unique("alice")
    make_tables(pg_db, "public", "t1")
    before = [
        role(group),
        role(member, login=True),
        grant(group, db, "table", ["SELECT"], schema="public"),
        grant_role(member, group),
    ]
    result = apply(before, pg_db.cluster)
    assert result.sql_for(before[-1].urn) == [
        f'REVOKE "{group}" FROM "{member}"',
        f'GRANT "{group}" TO "{member}"',
    ]
    assert table_privilege(pg_db, member, "public", "t1", "SELECT")
    with pg_db.connect(member, login=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.t1").fetchone() == (0,)

    after = before[:-1]
    apply(after, pg_db.cluster, previous=before)
    assert not is_member(pg_db, member, group)
    assert not table_privilege(pg_db, member, "public", "t1", "SELECT")


def test_grant_role_replacement_is_create_before_delete(pg_db: PgScratch) -> None:
    # Every GrantRole input is ForceNew; Pulumi replaces create-before-delete by default, so
    # the old resource's REVOKE runs after the new GRANT and the membership is lost.
    # deleteBeforeReplace keeps it.
    member, group = pg_db.unique("member"), pg_db.unique("group")
    plain = [role(member), role(group), grant_role(member, group)]
    admin = [role(member), role(group), grant_role(member, group, admin=True)]
    apply(plain, pg_db.cluster)

    result = apply(admin, pg_db.cluster, previous=plain)
    assert result.replaced == (admin[-1].urn,)
    assert not is_member(pg_db, member, group)

    apply(plain[-1:], pg_db.cluster)  # the GrantRole create alone restores the membership
    apply(admin, pg_db.cluster, previous=plain, delete_before_replace=True)
    assert is_member(pg_db, member, group)
    assert pg_db.scalar(
        "SELECT admin_option FROM pg_auth_members "
        "WHERE pg_get_userbyid(member) = %s AND pg_get_userbyid(roleid) = %s",
        [member, group],
    )


# --------------------------------------------------------------------------- Database, Schema


def test_database_with_owner_is_created_and_dropped(pg_db: PgScratch) -> None:
    owner, name = pg_db.unique("owner"), pg_db.unique("Äpp DB")
    declared = [role(owner), res(DATABASE, "db", name=name, owner=owner)]
    result = apply(declared, pg_db.cluster)
    assert result.sql_for(declared[1].urn) == [
        f'CREATE DATABASE "{name}" OWNER "{owner}" TEMPLATE "template0" ENCODING \'UTF8\' '
        "ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false"
    ]
    assert (
        pg_db.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name])
        == owner
    )

    with pg_db.connect(dbname=name):  # an open session does not stop the delete
        apply([role(owner)], pg_db.cluster, previous=declared)
    assert not pg_db.scalar("SELECT count(*) FROM pg_database WHERE datname = %s", [name])


def test_existing_schema_is_adopted_by_setting_its_owner(pg_db: PgScratch) -> None:
    owner = pg_db.unique("owner")
    declared = [role(owner), schema_res("public", pg_db.dbname, owner)]
    result = apply(declared, pg_db.cluster)
    assert result.sql_for(declared[1].urn) == [f'ALTER SCHEMA "public" OWNER TO "{owner}"']
    assert (
        pg_db.scalar("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")
        == owner
    )


def test_removed_schema_is_dropped_restrict(pg_db: PgScratch) -> None:
    db, owner = pg_db.dbname, pg_db.unique("owner")
    declared = [role(owner), schema_res("gone", db, owner), schema_res("full", db, owner)]
    apply(declared, pg_db.cluster)
    make_tables(pg_db, "full", "t1")
    apply([role(owner), schema_res("full", db, owner)], pg_db.cluster, previous=declared)
    assert pg_db.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('gone', 'full')") == [
        ("full",)
    ]
    with pytest.raises(errors.DependentObjectsStillExist):
        apply([role(owner)], pg_db.cluster, previous=[role(owner), schema_res("full", db, owner)])


# --------------------------------------------------------------------------- engine behaviour


def test_dependency_order_does_not_depend_on_declaration_order(pg_db: PgScratch) -> None:
    db, owner, reader = pg_db.dbname, pg_db.unique("owner"), pg_db.unique("reader")
    declared = [
        default_privileges(reader, db, owner, "app", "table", ["SELECT"]),
        grant(reader, db, "schema", ["USAGE"], schema="app"),
        grant_role(reader, owner),
        schema_res("app", db, owner),
        role(reader),
        role(owner),
    ]
    result = apply(declared, pg_db.cluster)
    order = [urn.split("::")[-1].split(":")[0] for urn in result.created]
    assert order == ["role", "role", "schema", "defaults", "grant", "member"]


def test_security_labels_are_returned_not_applied(pg_db: PgScratch) -> None:
    user = pg_db.unique("alice@contoso.com")
    label = res(
        SECURITY_LABEL,
        "label",
        objectType="role",
        objectName=user,
        labelProvider="pgaadauth",
        label="aadauth,oid=00000000-0000-0000-0000-000000000001,type=user",
    )
    declared = [role(user, login=True), label]
    result = apply(declared, pg_db.cluster)
    assert result.security_labels == (label,)
    assert result.sql_for(label.urn) == []

    statement = security_label_statement(label)
    with pg_db.connect() as conn:
        text = statement.as_string(conn)
        assert text == (
            f'SECURITY LABEL FOR "pgaadauth" ON ROLE "{user}" IS '
            "'aadauth,oid=00000000-0000-0000-0000-000000000001,type=user'"
        )
        # Why it is skipped: the label provider only exists on Azure.
        with pytest.raises(psycopg.Error, match='security label provider "pgaadauth" is not'):
            conn.execute(statement)


def test_non_postgresql_resources_are_ignored_and_unknown_inputs_refused(
    pg_db: PgScratch,
) -> None:
    provider = res("pulumi:providers:postgresql", "pg", host="example", superuser=False)
    component = PlannedResource(
        urn="urn:pulumi:test::entra-pg::entra:access:Role::x",
        type="entra:access:Role",
        name="x",
        inputs={},
        custom=False,
    )
    assert apply([provider, component], pg_db.cluster).statements == ()

    with pytest.raises(NotImplementedError, match="searchPath"):
        apply([role(pg_db.unique("r"), searchPath=["x"])], pg_db.cluster)
    with pytest.raises(NotImplementedError, match="Extension"):
        apply([res("postgresql:index/extension:Extension", "ext", name="pgcrypto")], pg_db.cluster)
    with pytest.raises(ValueError, match="not allowed"):
        apply(
            [grant("public", pg_db.dbname, "table", ["SELECT; DROP"], schema="public")],
            pg_db.cluster,
        )


# --------------------------------------------------------------------------- hostile names

HOSTILE = [
    'x"; DROP ROLE bootstrap; --',
    "Mixed Case",
    "ünïcødé 🐘",
    "it's",
    "public.evil",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_identifiers_stay_quoted_and_harmless(pg_db: PgScratch, hostile: str) -> None:
    db = pg_db.dbname
    reader, owner, schema = pg_db.unique(hostile), pg_db.unique("o " + hostile), hostile
    other_db = pg_db.unique("db " + hostile)
    make_tables(pg_db, "public", hostile)
    declared = [
        role(reader, login=True),
        role(owner),
        res(DATABASE, "db", name=other_db, owner=owner),
        grant(reader, other_db, "database", ["CONNECT", "CREATE"]),
        schema_res(schema, db, owner),
        grant(reader, db, "schema", ["USAGE"], schema=schema),
        grant(reader, db, "table", ["SELECT"], schema="public", objects=[hostile]),
        default_privileges(reader, db, owner, schema, "table", ["SELECT"]),
        grant_role(reader, owner),
    ]
    result = apply(declared, pg_db.cluster)

    # Nothing ran but what was declared: the superuser survives, the names are exact.
    assert role_exists(pg_db, "bootstrap")
    assert role_exists(pg_db, reader)
    assert role_exists(pg_db, owner)
    assert pg_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema]) == 1
    assert table_privilege(pg_db, reader, "public", hostile, "SELECT")
    make_tables(pg_db, schema, "later", owner=owner)
    assert table_privilege(pg_db, reader, schema, "later", "SELECT")
    assert is_member(pg_db, reader, owner)
    assert pg_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [reader, other_db])
    assert (
        pg_db.scalar(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [other_db]
        )
        == owner
    )
    quoted = sql.Identifier(reader).as_string(None)
    assert any(quoted in statement.sql for statement in result.statements)
    with pg_db.connect(reader, login=True) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", hostile))
        assert conn.execute(query).fetchone() == (0,)

    # Removing everything: the table the owner created must go first (DROP SCHEMA is
    # RESTRICT, and the owner's objects outside the provider database block DROP ROLE).
    pg_db.query(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, "later")))
    apply([], pg_db.cluster, previous=declared)
    assert not role_exists(pg_db, reader)
    assert not role_exists(pg_db, owner)
    assert not pg_db.scalar("SELECT count(*) FROM pg_database WHERE datname = %s", [other_db])
    assert role_exists(pg_db, "bootstrap")
