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
from tests.support.azurepg import ADMIN_ROLE, AZURE_SUPERUSER, AzureScratch
from tests.support.pgapply import (
    DATABASE,
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
    SilentPrivilegeNoticeError,
    apply,
    security_label_statement,
)

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


ADMIN = sql.Identifier(ADMIN_ROLE).as_string(None)


def as_owner(owner: str, *statements: str) -> list[str]:
    """`statements` wrapped in the membership the non-superuser admin grants itself first
    and revokes afterwards (helpers.go withRolesGranted, grantRoleMembership)."""
    quoted = sql.Identifier(owner).as_string(None)
    return [f"GRANT {quoted} TO {ADMIN}", *statements, f"REVOKE {quoted} FROM {ADMIN}"]


# --------------------------------------------------------------------------- checks


def ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


def table_privilege(db: AzureScratch, who: str, schema: str, table: str, privilege: str) -> bool:
    # Pass the table as a regclass built from a quoted name: has_table_privilege(text) would
    # parse the text as SQL, so quote it with psycopg rather than by hand.
    qualified = sql.Identifier(schema, table).as_string(None)
    # As the superuser: resolving the name needs USAGE on the schema, which the admin may lack.
    [(held,)] = db.inspect("SELECT has_table_privilege(%s, %s, %s)", [who, qualified, privilege])
    return bool(held)


def role_exists(db: AzureScratch, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]))


def is_member(db: AzureScratch, member: str, group: str) -> bool:
    return bool(db.scalar("SELECT pg_has_role(%s, %s, 'MEMBER')", [member, group]))


def make_tables(db: AzureScratch, schema: str, *tables: str, owner: str | None = None) -> None:
    """Create tables (as `owner` via SET ROLE, else as the superuser)."""
    for table in tables:
        db.query(sql.SQL("CREATE TABLE {} (id int)").format(ident(schema, table)), role=owner)


# --------------------------------------------------------------------------- Role


def test_role_is_created_with_every_attribute_explicit(azure_db: AzureScratch) -> None:
    app, group = azure_db.unique("app"), azure_db.unique("group")
    result = apply([role(app, login=True), role(group)], azure_db.server)

    rows = azure_db.inspect(  # pg_authid: superuser only
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
    with azure_db.connect(app, login=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (app,)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        azure_db.connect(group, login=True)


def test_unchanged_resources_send_no_sql(azure_db: AzureScratch) -> None:
    declared = [role(azure_db.unique("idle"))]
    apply(declared, azure_db.server)
    again = apply(declared, azure_db.server, previous=declared)
    assert again.statements == ()
    assert (again.created, again.updated, again.deleted) == ((), (), ())


def test_role_update_alters_only_what_changed(azure_db: AzureScratch) -> None:
    name = azure_db.unique("flip")
    before = [role(name, login=False)]
    apply(before, azure_db.server)
    after = [role(name, login=True)]
    result = apply(after, azure_db.server, previous=before)
    assert result.updated == (after[0].urn,)
    assert f'ALTER ROLE "{name}" WITH LOGIN' in result.sql_for(after[0].urn)
    assert azure_db.scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [name]) is True


def test_role_update_revokes_memberships_made_by_grant_role(azure_db: AzureScratch) -> None:
    # Provider behaviour worth knowing: Role Update revokes every membership of the role and
    # re-grants only Role.roles, so a GrantRole membership vanishes when its member Role is
    # updated (the engine does not re-run the unchanged GrantRole).
    member, group = azure_db.unique("member"), azure_db.unique("group")
    before = [role(member), role(group), grant_role(member, group)]
    apply(before, azure_db.server)
    assert is_member(azure_db, member, group)

    after = [role(member, login=True), role(group), grant_role(member, group)]
    result = apply(after, azure_db.server, previous=before)
    assert result.updated == (role(member).urn,)
    assert not is_member(azure_db, member, group)


def test_removed_role_is_dropped_after_its_grants(azure_db: AzureScratch) -> None:
    db, leaver, group = azure_db.dbname, azure_db.unique("leaver"), azure_db.unique("group")
    make_tables(azure_db, "public", "t1")
    kept = [role(group)]
    before = [
        *kept,
        role(leaver, login=True),
        grant(leaver, db, "schema", ["USAGE"], schema="public"),
        grant(leaver, db, "table", ["SELECT"], schema="public"),
        grant_role(leaver, group),
        default_privileges(leaver, db, ADMIN_ROLE, "public", "table", ["SELECT"]),
    ]
    apply(before, azure_db.server)
    assert table_privilege(azure_db, leaver, "public", "t1", "SELECT")

    result = apply(kept, azure_db.server, previous=before)

    assert not role_exists(azure_db, leaver)
    assert role_exists(azure_db, group)
    # Dependents first (reverse dependency order), the role itself last, with the
    # provider's REASSIGN OWNED / DROP OWNED / DROP ROLE sequence.
    assert result.deleted[-1] == role(leaver).urn
    # The admin is not a superuser: it grants itself the role first (withRolesGranted) and
    # takes over what the role owned.
    assert result.sql_for(role(leaver).urn) == [
        *as_owner(leaver, f'REASSIGN OWNED BY "{leaver}" TO {ADMIN}', f'DROP OWNED BY "{leaver}"'),
        f'DROP ROLE "{leaver}"',
    ]
    assert azure_db.scalar("SELECT count(*) FROM pg_default_acl") == 0


def test_role_delete_cleans_only_the_provider_database(azure_db: AzureScratch) -> None:
    # REASSIGN/DROP OWNED run in the provider's database only: a privilege the role still
    # holds in another database (granted outside the model) blocks DROP ROLE. Offboarding
    # must clear such leftovers first.
    leaver = azure_db.unique("leaver")
    declared = [role(leaver)]
    apply(declared, azure_db.server)
    make_tables(azure_db, "public", "t1")
    azure_db.query(sql.SQL("GRANT SELECT ON public.t1 TO {}").format(ident(leaver)))

    with pytest.raises(
        errors.DependentObjectsStillExist, match=f"1 object in database {azure_db.dbname}"
    ):
        apply([], azure_db.server, previous=declared)
    assert role_exists(azure_db, leaver)  # the failed step was rolled back whole


# --------------------------------------------------------------------------- Grant


def test_table_grant_covers_existing_tables_only(azure_db: AzureScratch) -> None:
    db, reader = azure_db.dbname, azure_db.unique("reader")
    azure_db.query("CREATE SCHEMA app")
    make_tables(azure_db, "app", "existing")
    apply(
        [
            role(reader),
            grant(reader, db, "schema", ["USAGE"], schema="app"),
            grant(reader, db, "table", ["SELECT"], schema="app"),
        ],
        azure_db.server,
    )
    make_tables(azure_db, "app", "later")

    assert table_privilege(azure_db, reader, "app", "existing", "SELECT")
    assert not table_privilege(azure_db, reader, "app", "existing", "INSERT")
    assert not table_privilege(azure_db, reader, "app", "later", "SELECT")
    # The real statements agree with the catalog functions.
    assert azure_db.query("SELECT count(*) FROM app.existing", role=reader) == [(0,)]
    with pytest.raises(errors.InsufficientPrivilege):
        azure_db.query("SELECT * FROM app.later", role=reader)
    with pytest.raises(errors.InsufficientPrivilege):
        azure_db.query("INSERT INTO app.existing VALUES (1)", role=reader)


def test_grant_is_authoritative_for_its_scope(azure_db: AzureScratch) -> None:
    db, writer = azure_db.dbname, azure_db.unique("writer")
    make_tables(azure_db, "public", "t1", "t2")
    before = [
        role(writer),
        grant(writer, db, "table", ["SELECT", "INSERT", "DELETE"], schema="public"),
    ]
    apply(before, azure_db.server)
    assert table_privilege(azure_db, writer, "public", "t2", "DELETE")

    after = [role(writer), grant(writer, db, "table", ["SELECT"], schema="public")]
    result = apply(after, azure_db.server, previous=before)

    assert result.updated == (after[1].urn,)
    assert result.sql_for(after[1].urn) == [
        f'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "public" FROM "{writer}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "{writer}"',
    ]
    for table in ("t1", "t2"):
        assert table_privilege(azure_db, writer, "public", table, "SELECT")
        assert not table_privilege(azure_db, writer, "public", table, "INSERT")
        assert not table_privilege(azure_db, writer, "public", table, "DELETE")


def test_grant_also_revokes_privileges_granted_outside_the_model(azure_db: AzureScratch) -> None:
    db, reader = azure_db.dbname, azure_db.unique("reader")
    make_tables(azure_db, "public", "t1")
    apply([role(reader)], azure_db.server)
    azure_db.query(sql.SQL("GRANT ALL ON public.t1 TO {}").format(ident(reader)))

    apply([grant(reader, db, "table", ["SELECT"], schema="public")], azure_db.server)

    assert table_privilege(azure_db, reader, "public", "t1", "SELECT")
    assert not table_privilege(azure_db, reader, "public", "t1", "TRUNCATE")


def test_empty_privileges_mean_revoke_only(azure_db: AzureScratch) -> None:
    db, reader = azure_db.dbname, azure_db.unique("reader")
    make_tables(azure_db, "public", "t1")
    before = [role(reader), grant(reader, db, "table", ["SELECT"], schema="public")]
    apply(before, azure_db.server)
    after = [role(reader), grant(reader, db, "table", [], schema="public")]
    result = apply(after, azure_db.server, previous=before)
    assert len(result.sql_for(after[1].urn)) == 1  # the revoke, no grant
    assert not table_privilege(azure_db, reader, "public", "t1", "SELECT")


def test_grant_on_listed_objects_only(azure_db: AzureScratch) -> None:
    db, reader = azure_db.dbname, azure_db.unique("reader")
    make_tables(azure_db, "public", "t1", "t2")
    apply(
        [role(reader), grant(reader, db, "table", ["SELECT"], schema="public", objects=["t2"])],
        azure_db.server,
    )
    assert not table_privilege(azure_db, reader, "public", "t1", "SELECT")
    assert table_privilege(azure_db, reader, "public", "t2", "SELECT")


def test_database_and_schema_grants(azure_db: AzureScratch) -> None:
    db, deployer = azure_db.dbname, azure_db.unique("deployer")
    before = [
        role(deployer, login=True),
        grant(deployer, db, "database", ["CONNECT", "CREATE"]),
        grant(deployer, db, "schema", ["USAGE", "CREATE"], schema="public"),
    ]
    apply(before, azure_db.server)
    assert azure_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [deployer, db])
    with azure_db.connect(deployer, login=True) as conn:
        conn.execute("CREATE SCHEMA deploy_made")
        conn.execute("CREATE TABLE public.deploy_made (id int)")

    after = [
        role(deployer, login=True),
        grant(deployer, db, "database", ["CONNECT"]),
        grant(deployer, db, "schema", ["USAGE"], schema="public"),
    ]
    apply(after, azure_db.server, previous=before)
    assert not azure_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [deployer, db])
    assert not azure_db.scalar("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [deployer])
    assert azure_db.scalar("SELECT has_schema_privilege(%s, 'public', 'USAGE')", [deployer])
    with (
        azure_db.connect(deployer, login=True) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute("CREATE TABLE public.too_late (id int)")


def test_role_public_means_public(azure_db: AzureScratch) -> None:
    db, anyone = azure_db.dbname, azure_db.unique("anyone")
    make_tables(azure_db, "public", "t1")
    apply(
        [role(anyone), grant("public", db, "table", ["SELECT"], schema="public")], azure_db.server
    )
    # "public" quoted is still PUBLIC to PostgreSQL's grammar: an ACL entry with no grantee.
    # (`m`, MAINTAIN, is an owner privilege from PostgreSQL 17 on.)
    owner_privileges = "arwdDxtm" if azure_db.server.major_version >= 17 else "arwdDxt"
    assert azure_db.scalar("SELECT relacl::text[] FROM pg_class WHERE relname = 't1'") == [
        f"{ADMIN}={owner_privileges}/{ADMIN}",
        f"=r/{ADMIN}",
    ]
    assert table_privilege(azure_db, anyone, "public", "t1", "SELECT")


def test_schema_and_grants_on_sequences_and_functions(azure_db: AzureScratch) -> None:
    db, owner, app = azure_db.dbname, azure_db.unique("owner"), azure_db.unique("app")
    apply(
        [
            role(owner),
            role(app),
            schema_res("svc", db, owner),
            grant(app, db, "schema", ["USAGE"], schema="svc"),
        ],
        azure_db.server,
    )
    assert (
        azure_db.scalar("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'svc'")
        == owner
    )
    azure_db.query("CREATE SEQUENCE svc.ids", role=owner)
    azure_db.query(
        "CREATE FUNCTION svc.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'", role=owner
    )
    azure_db.query("REVOKE EXECUTE ON FUNCTION svc.answer() FROM PUBLIC", role=owner)
    apply(
        [
            grant(app, db, "sequence", ["USAGE"], schema="svc"),
            grant(app, db, "function", ["EXECUTE"], schema="svc", objects=["answer()"]),
        ],
        azure_db.server,
    )
    assert azure_db.query("SELECT nextval('svc.ids'), svc.answer()", role=app) == [(1, 42)]


# --------------------------------------------------------------------------- DefaultPrivileges


def test_default_privileges_cover_future_tables_of_that_owner(azure_db: AzureScratch) -> None:
    db = azure_db.dbname
    owner, other, reader = (
        azure_db.unique("owner"),
        azure_db.unique("other"),
        azure_db.unique("reader"),
    )
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
        azure_db.server,
    )
    make_tables(azure_db, "app", "by_owner", owner=owner)
    make_tables(azure_db, "app", "by_other", owner=other)

    assert table_privilege(azure_db, reader, "app", "by_owner", "SELECT")
    assert not table_privilege(azure_db, reader, "app", "by_owner", "INSERT")
    # Default privileges are per creating role: another role's tables are not covered.
    assert not table_privilege(azure_db, reader, "app", "by_other", "SELECT")
    assert azure_db.query("SELECT count(*) FROM app.by_owner", role=reader) == [(0,)]


def test_default_privileges_update_and_delete(azure_db: AzureScratch) -> None:
    db, owner, app = azure_db.dbname, azure_db.unique("owner"), azure_db.unique("app")
    base = [role(owner), role(app), schema_res("app", db, owner)]
    rw = [*base, default_privileges(app, db, owner, "app", "table", ["SELECT", "INSERT"])]
    ro = [*base, default_privileges(app, db, owner, "app", "table", ["SELECT"])]
    apply(rw, azure_db.server)
    result = apply(ro, azure_db.server, previous=rw)
    assert result.sql_for(ro[-1].urn) == as_owner(
        owner,
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "app" REVOKE ALL ON TABLES '
        f'FROM "{app}"',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "app" GRANT SELECT ON TABLES '
        f'TO "{app}"',
    )
    make_tables(azure_db, "app", "t1", owner=owner)
    assert table_privilege(azure_db, app, "app", "t1", "SELECT")
    assert not table_privilege(azure_db, app, "app", "t1", "INSERT")

    apply(base, azure_db.server, previous=ro)
    make_tables(azure_db, "app", "t2", owner=owner)
    assert not table_privilege(azure_db, app, "app", "t2", "SELECT")
    assert azure_db.scalar("SELECT count(*) FROM pg_default_acl") == 0


def test_database_grants_need_the_database_owner(azure_db: AzureScratch) -> None:
    # getRolesToGrant grants the provider no role for a database grant: on a database owned
    # by a role the admin is not a member of, PostgreSQL ignores the GRANT/REVOKE with a
    # warning (01006/01007) instead of failing, and nothing changes. apply() refuses to
    # pass over that warning.
    owner, reader = azure_db.unique("owner"), azure_db.unique("reader")
    other_db = azure_db.unique("owned elsewhere")
    declared = [role(owner), role(reader), res(DATABASE, "db", name=other_db, owner=owner)]
    apply(declared, azure_db.server)
    with pytest.raises(SilentPrivilegeNoticeError, match="01006 no privileges could be revoked"):
        apply([grant(reader, other_db, "database", ["CONNECT"])], azure_db.server)
    lenient = apply(
        [grant(reader, other_db, "database", ["CONNECT"])], azure_db.server, strict_notices=False
    )
    assert {n.sqlstate for n in lenient.notices} == {"01006", "01007"}
    # (has_database_privilege would say yes: PUBLIC keeps CONNECT. The ACL has no entry.)
    assert (
        azure_db.scalar(
            "SELECT count(*) FROM pg_database, aclexplode(datacl) AS a "
            "WHERE datname = %s AND a.grantee = %s::regrole",
            [other_db, sql.Identifier(reader).as_string(None)],
        )
        == 0
    )


# --------------------------------------------------------------------------- GrantRole


def test_membership_gives_inherited_privileges_until_removed(azure_db: AzureScratch) -> None:
    db, group, member = azure_db.dbname, azure_db.unique("readers"), azure_db.unique("alice")
    make_tables(azure_db, "public", "t1")
    before = [
        role(group),
        role(member, login=True),
        grant(group, db, "table", ["SELECT"], schema="public"),
        grant_role(member, group),
    ]
    result = apply(before, azure_db.server)
    assert result.sql_for(before[-1].urn) == [
        f'REVOKE "{group}" FROM "{member}"',
        f'GRANT "{group}" TO "{member}"',
    ]
    assert table_privilege(azure_db, member, "public", "t1", "SELECT")
    with azure_db.connect(member, login=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.t1").fetchone() == (0,)

    after = before[:-1]
    apply(after, azure_db.server, previous=before)
    assert not is_member(azure_db, member, group)
    assert not table_privilege(azure_db, member, "public", "t1", "SELECT")


def test_grant_role_replacement_is_create_before_delete(azure_db: AzureScratch) -> None:
    # Every GrantRole input is ForceNew; Pulumi replaces create-before-delete by default, so
    # the old resource's REVOKE runs after the new GRANT and the membership is lost.
    # deleteBeforeReplace keeps it.
    member, group = azure_db.unique("member"), azure_db.unique("group")
    plain = [role(member), role(group), grant_role(member, group)]
    admin = [role(member), role(group), grant_role(member, group, admin=True)]
    apply(plain, azure_db.server)

    result = apply(admin, azure_db.server, previous=plain)
    assert result.replaced == (admin[-1].urn,)
    assert not is_member(azure_db, member, group)

    apply(plain[-1:], azure_db.server)  # the GrantRole create alone restores the membership
    apply(admin, azure_db.server, previous=plain, delete_before_replace=True)
    assert is_member(azure_db, member, group)
    assert azure_db.scalar(
        "SELECT admin_option FROM pg_auth_members "
        "WHERE pg_get_userbyid(member) = %s AND pg_get_userbyid(roleid) = %s",
        [member, group],
    )


# --------------------------------------------------------------------------- Database, Schema


def test_database_with_owner_is_created_and_dropped(azure_db: AzureScratch) -> None:
    owner, name = azure_db.unique("owner"), azure_db.unique("Äpp DB")
    declared = [role(owner), res(DATABASE, "db", name=name, owner=owner)]
    result = apply(declared, azure_db.server)
    assert result.sql_for(declared[1].urn) == as_owner(
        owner,
        f'CREATE DATABASE "{name}" OWNER "{owner}" TEMPLATE "template0" ENCODING \'UTF8\' '
        "ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false",
    )
    assert (
        azure_db.scalar(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        )
        == owner
    )

    with azure_db.connect(dbname=name):  # an open session does not stop the delete
        apply([role(owner)], azure_db.server, previous=declared)
    assert not azure_db.scalar("SELECT count(*) FROM pg_database WHERE datname = %s", [name])


def test_existing_schema_is_adopted_by_setting_its_owner(azure_db: AzureScratch) -> None:
    owner = azure_db.unique("owner")
    declared = [role(owner), schema_res("public", azure_db.dbname, owner)]
    result = apply(declared, azure_db.server)
    # The public schema of a database the admin created belongs to azure_pg_admin (as on
    # Azure); the admin is its member, so only the new owner needs a temporary grant.
    assert result.sql_for(declared[1].urn) == as_owner(
        owner, f'ALTER SCHEMA "public" OWNER TO "{owner}"'
    )
    assert (
        azure_db.scalar(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
        )
        == owner
    )


def test_removed_schema_is_dropped_restrict(azure_db: AzureScratch) -> None:
    db, owner = azure_db.dbname, azure_db.unique("owner")
    declared = [role(owner), schema_res("gone", db, owner), schema_res("full", db, owner)]
    apply(declared, azure_db.server)
    make_tables(azure_db, "full", "t1", owner=owner)
    apply([role(owner), schema_res("full", db, owner)], azure_db.server, previous=declared)
    assert azure_db.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('gone', 'full')") == [
        ("full",)
    ]
    with pytest.raises(errors.DependentObjectsStillExist):
        apply([role(owner)], azure_db.server, previous=[role(owner), schema_res("full", db, owner)])


# --------------------------------------------------------------------------- engine behaviour


def test_dependency_order_does_not_depend_on_declaration_order(azure_db: AzureScratch) -> None:
    db, owner, reader = azure_db.dbname, azure_db.unique("owner"), azure_db.unique("reader")
    declared = [
        default_privileges(reader, db, owner, "app", "table", ["SELECT"]),
        grant(reader, db, "schema", ["USAGE"], schema="app"),
        grant_role(reader, owner),
        schema_res("app", db, owner),
        role(reader),
        role(owner),
    ]
    result = apply(declared, azure_db.server)
    order = [urn.split("::")[-1].split(":")[0] for urn in result.created]
    assert order == ["role", "role", "schema", "defaults", "grant", "member"]


def label_res(user: str, label: str) -> PlannedResource:
    return res(
        SECURITY_LABEL,
        "label",
        objectType="role",
        objectName=user,
        labelProvider="pgaadauth",
        label=label,
    )


def stored_labels(db: AzureScratch, user: str) -> list[tuple[str, str]]:
    return db.inspect(
        "SELECT provider, label FROM pg_shseclabel s JOIN pg_roles r ON r.oid = s.objoid "
        "WHERE s.classoid = 'pg_authid'::regclass AND r.rolname = %s",
        [user],
    )


def test_security_labels_are_applied_updated_and_removed(azure_db: AzureScratch) -> None:
    user = azure_db.unique("alice@contoso.com")
    oid = "00000000-0000-0000-0000-000000000001"
    label = label_res(user, f"aadauth,oid={oid},type=user")
    declared = [role(user, login=True), label]
    result = apply(declared, azure_db.server)
    assert result.security_labels == (label,)
    assert result.sql_for(label.urn) == [
        f'SECURITY LABEL FOR "pgaadauth" ON ROLE "{user}" IS \'aadauth,oid={oid},type=user\''
    ]
    with azure_db.connect() as conn:
        assert security_label_statement(label).as_string(conn) == result.sql_for(label.urn)[0]
    # Stored for real by the stand-in label provider, as the admin.
    assert stored_labels(azure_db, user) == [("pgaadauth", f"aadauth,oid={oid},type=user")]

    group = [role(user, login=True), label_res(user, f"aadauth,oid={oid},type=group")]
    assert apply(group, azure_db.server, previous=declared).updated == (label.urn,)
    assert stored_labels(azure_db, user) == [("pgaadauth", f"aadauth,oid={oid},type=group")]

    result = apply([role(user, login=True)], azure_db.server, previous=group)
    assert result.sql_for(label.urn) == [f'SECURITY LABEL FOR "pgaadauth" ON ROLE "{user}" IS NULL']
    assert stored_labels(azure_db, user) == []


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("aadauth,oid=not-a-uuid,type=user", "the oid must be a UUID"),
        ("aadauth,oid=00000000-0000-0000-0000-000000000001,type=robot", "type must be one of"),
        ("aadauth,oid=00000000-0000-0000-0000-000000000001,type=user,admin,x", 'only ",admin"'),
        ("oid=00000000-0000-0000-0000-000000000001,type=user", 'must start with "aadauth,"'),
    ],
)
def test_malformed_labels_are_refused_by_the_server(
    azure_db: AzureScratch, label: str, problem: str
) -> None:
    user = azure_db.unique("bob@contoso.com")
    apply([role(user, login=True)], azure_db.server)
    with pytest.raises(errors.InvalidParameterValue, match=problem):
        apply([label_res(user, label)], azure_db.server)
    assert stored_labels(azure_db, user) == []


def test_labels_go_on_roles_only(azure_db: AzureScratch) -> None:
    with azure_db.connect() as conn, pytest.raises(psycopg.Error, match="only be set on roles"):
        conn.execute(
            sql.SQL("SECURITY LABEL FOR pgaadauth ON SCHEMA public IS {}").format(
                sql.Literal("aadauth,oid=00000000-0000-0000-0000-000000000001,type=user")
            )
        )


def test_non_postgresql_resources_are_ignored_and_unknown_inputs_refused(
    azure_db: AzureScratch,
) -> None:
    provider = res("pulumi:providers:postgresql", "pg", host="example", superuser=False)
    component = PlannedResource(
        urn="urn:pulumi:test::entra-pg::entra:access:Role::x",
        type="entra:access:Role",
        name="x",
        inputs={},
        custom=False,
    )
    assert apply([provider, component], azure_db.server).statements == ()

    with pytest.raises(NotImplementedError, match="searchPath"):
        apply([role(azure_db.unique("r"), searchPath=["x"])], azure_db.server)
    with pytest.raises(NotImplementedError, match="Extension"):
        apply(
            [res("postgresql:index/extension:Extension", "ext", name="pgcrypto")], azure_db.server
        )
    with pytest.raises(ValueError, match="not allowed"):
        apply(
            [grant("public", azure_db.dbname, "table", ["SELECT; DROP"], schema="public")],
            azure_db.server,
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
def test_hostile_identifiers_stay_quoted_and_harmless(azure_db: AzureScratch, hostile: str) -> None:
    db = azure_db.dbname
    reader, owner, schema = azure_db.unique(hostile), azure_db.unique("o " + hostile), hostile
    other_db = azure_db.unique("db " + hostile)
    make_tables(azure_db, "public", hostile)
    declared = [
        role(reader, login=True),
        role(owner),
        # No owner: the provider makes the connected admin the owner, which is what lets it
        # grant on the database (see test_database_grants_need_the_database_owner).
        res(DATABASE, "db", name=other_db),
        grant(reader, other_db, "database", ["CONNECT", "CREATE"]),
        schema_res(schema, db, owner),
        grant(reader, db, "schema", ["USAGE"], schema=schema),
        grant(reader, db, "table", ["SELECT"], schema="public", objects=[hostile]),
        default_privileges(reader, db, owner, schema, "table", ["SELECT"]),
        grant_role(reader, owner),
    ]
    result = apply(declared, azure_db.server)

    # Nothing ran but what was declared: the superuser survives, the names are exact.
    assert role_exists(azure_db, AZURE_SUPERUSER)
    assert role_exists(azure_db, reader)
    assert role_exists(azure_db, owner)
    assert azure_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema]) == 1
    assert table_privilege(azure_db, reader, "public", hostile, "SELECT")
    make_tables(azure_db, schema, "later", owner=owner)
    assert table_privilege(azure_db, reader, schema, "later", "SELECT")
    assert is_member(azure_db, reader, owner)
    assert azure_db.scalar("SELECT has_database_privilege(%s, %s, 'CREATE')", [reader, other_db])
    assert (
        azure_db.scalar(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [other_db]
        )
        == ADMIN_ROLE
    )
    quoted = sql.Identifier(reader).as_string(None)
    assert any(quoted in statement.sql for statement in result.statements)
    with azure_db.connect(reader, login=True) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", hostile))
        assert conn.execute(query).fetchone() == (0,)

    # Removing everything: the table the owner created must go first (DROP SCHEMA is
    # RESTRICT, and the owner's objects outside the provider database block DROP ROLE).
    azure_db.query(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, "later")), role=owner)
    apply([], azure_db.server, previous=declared)
    assert not role_exists(azure_db, reader)
    assert not role_exists(azure_db, owner)
    assert not azure_db.scalar("SELECT count(*) FROM pg_database WHERE datname = %s", [other_db])
    assert role_exists(azure_db, AZURE_SUPERUSER)
