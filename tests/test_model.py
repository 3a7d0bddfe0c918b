"""The access model: validation names the config path and the fix; expansion is stable."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.model import (
    ConfigError,
    capability_role_name,
    expand,
    parse_stack_config,
)
from entra_pg.model.identifiers import slug

Mutator = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def dev_namespace(project_root: Path) -> dict[str, Any]:
    raw = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())["config"]
    prefix = "entra-postgres:"
    return {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}


def principal(ns: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(p for p in ns["access"] if p["name"] == name)
    return entry


def _set(path: list[Any], value: Any) -> Mutator:
    def mutate(ns: dict[str, Any]) -> None:
        node: Any = ns
        for key in path[:-1]:
            node = principal(ns, key[1:]) if isinstance(key, str) and key[:1] == "@" else node[key]
        node[path[-1]] = value

    return mutate


def _append_principal(entry: dict[str, Any]) -> Mutator:
    return lambda ns: ns["access"].append(entry)


LONG = "a" * 64
BAD: list[Any] = [
    pytest.param(
        _set(["@orders-analysts", "name"], "pg_readers"),
        "access[0].name",
        "prefix PostgreSQL reserves",
        id="reserved-pg-prefix",
    ),
    pytest.param(
        _set(["@orders-analysts", "name"], "azure_pg_admin"),
        "access[0].name",
        "reserves",
        id="reserved-azure-pg-admin",
    ),
    pytest.param(
        _set(["@orders-analysts", "name"], "Public"),
        "access[0].name",
        "reserves",
        id="reserved-public-any-case",
    ),
    pytest.param(
        _set(["@orders-analysts", "name"], LONG),
        "access[0].name",
        "64 bytes",
        id="name-over-63-bytes",
    ),
    pytest.param(
        _set(["@orders-analysts", "name"], "é" * 32),
        "access[0].name",
        "64 bytes",
        id="multibyte-name-over-63-bytes",
    ),
    pytest.param(
        _set(["@orders-support", "name"], "ORDERS-ANALYSTS"),
        "access[1].name",
        "already used",
        id="duplicate-after-case-folding",
    ),
    pytest.param(
        _set(["@dana@contoso.com", "objectId"], "not-a-uuid"),
        "access[5].objectId",
        "not an object id",
        id="malformed-object-id",
    ),
    pytest.param(
        _set(["@orders-analysts", "members"], ["bob"]),
        "access[0].members[0]",
        "neither an object id nor a user principal name",
        id="malformed-member",
    ),
    pytest.param(
        _set(
            ["@orders-api", "federatedCredentials", 0, "subject"],
            "repo:contoso/orders-service:environment:*",
        ),
        "access[2].federatedCredentials[0].subject",
        "wildcard",
        id="subject-wildcard",
    ),
    pytest.param(
        _set(
            ["@orders-api", "federatedCredentials", 0, "issuer"],
            "http://token.actions.githubusercontent.com",
        ),
        "access[2].federatedCredentials[0].issuer",
        "https",
        id="issuer-not-https",
    ),
    pytest.param(
        _set(["pipeline", "repository"], "contoso"),
        "pipeline",
        "not a GitHub subject",
        id="pipeline-repository",
    ),
    pytest.param(
        _set(["@orders-api", "grants", 0, "profile"], "ddl"),
        "access[2].grants[0].profile",
        "migration",
        id="ddl-without-migration",
    ),
    pytest.param(
        _set(["@orders-analysts", "grants", 0, "schemas"], ["public"]),
        "access[0].grants[0].schemas",
        "not declared",
        id="undeclared-schema",
    ),
    pytest.param(
        _set(["databases", 0, "schemas"], ["public"]),
        "databases[0].schemas[0]",
        "public schema",
        id="public-schema",
    ),
    pytest.param(
        _set(["databases", 0, "name"], "postgres"),
        "databases[0].name",
        "reserves",
        id="reserved-database",
    ),
    pytest.param(
        _set(["databases", 1, "name"], "Orders"),
        "databases[1].name",
        "declared twice",
        id="duplicate-database-case",
    ),
    pytest.param(
        _set(["@orders-analysts", "colour"], "blue"),
        "access[0].colour",
        "unknown key",
        id="unknown-principal-key",
    ),
    pytest.param(
        _set(
            ["server", "network"],
            {
                "firewallRules": [
                    {"name": "office", "startIp": "203.0.113.1", "endIp": "203.0.113.9"}
                ]
            },
        ),
        "server.network",
        "public access is Disabled",
        id="firewall-without-public",
    ),
    pytest.param(
        _set(
            ["server", "network"],
            {
                "publicAccess": "Enabled",
                "firewallRules": [
                    {"name": "all", "startIp": "0.0.0.0", "endIp": "255.255.255.255"}  # noqa: S104
                ],
            },
        ),
        "server.network.firewallRules[0]",
        "admits 4294967296",
        id="firewall-internet",
    ),
    pytest.param(
        _set(["server", "tlsMinVersion"], "TLSv1.0"),
        "server.tlsMinVersion",
        "expected one of TLSv1.2, TLSv1.3",
        id="tls-too-old",
    ),
    pytest.param(
        _set(["profiles", "support", "privileges", "table"], ["ALL"]),
        "profiles.support.privileges.table[0]",
        "ALL and grant options",
        id="profile-all-privileges",
    ),
    pytest.param(
        _set(["profiles", "support", "privileges", "database"], ["CREATE"]),
        "profiles.support.privileges.database[0]",
        "not a privilege",
        id="profile-database-create",
    ),
    pytest.param(
        _set(["admins", "owners"], []), "admins.owners", "no owner", id="admin-group-without-owner"
    ),
    pytest.param(
        _append_principal({"name": "x", "kind": "robot", "grants": []}),
        "access[6].kind",
        "expected one of group, application",
        id="unknown-kind",
    ),
    pytest.param(
        _append_principal(
            {
                "name": "orders_sales_read",
                "kind": "existingGroup",
                "objectId": "0f0e0d0c-0b0a-4908-8706-050403020100",
                "grants": [],
            }
        ),
        "entra-postgres:databases",
        "collides",
        id="collides-with-capability-role",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), BAD)
def test_invalid_config_names_the_path_and_the_fix(
    dev_namespace: dict[str, Any], mutate: Mutator, path: str, fragment: str
) -> None:
    ns = copy.deepcopy(dev_namespace)
    mutate(ns)
    with pytest.raises(ConfigError) as excinfo:
        expand(parse_stack_config(ns))
    message = str(excinfo.value)
    assert f"entra-postgres:{path}" in message or path in message
    assert fragment in message
    assert "Fix:" in message


def test_every_problem_is_reported_at_once(dev_namespace: dict[str, Any]) -> None:
    ns = copy.deepcopy(dev_namespace)
    ns["databses"] = []
    principal(ns, "orders-api")["grants"][0]["profile"] = "admin"
    with pytest.raises(ConfigError) as excinfo:
        parse_stack_config(ns)
    assert [i.path for i in excinfo.value.issues] == [
        "entra-postgres:databses",
        "entra-postgres:access[2].grants[0].profile",
    ]


def test_local_target_refuses_azure_sections(dev_namespace: dict[str, Any]) -> None:
    ns = copy.deepcopy(dev_namespace)
    ns["target"] = "local"
    with pytest.raises(ConfigError) as excinfo:
        parse_stack_config(ns)
    assert {i.path for i in excinfo.value.issues} >= {
        "entra-postgres:server",
        "entra-postgres:admins",
        "entra-postgres:pipeline",
    }


def test_expansion_is_deterministic_and_order_independent(dev_namespace: dict[str, Any]) -> None:
    first = expand(parse_stack_config(dev_namespace))
    shuffled = copy.deepcopy(dev_namespace)
    shuffled["access"].reverse()
    shuffled["databases"].reverse()
    for p in shuffled["access"]:
        p["grants"].reverse()
    assert expand(parse_stack_config(shuffled)) == first


def test_matrix_says_who_can_do_what(dev_namespace: dict[str, Any]) -> None:
    matrix = expand(parse_stack_config(dev_namespace)).matrix
    rows = {(e.principal, e.database, e.schema): e for e in matrix}
    analysts = rows[("orders-analysts", "orders", "sales")]
    assert dict(analysts.privileges)["table"] == ("SELECT",)
    assert dict(analysts.future)["table"] == ("SELECT",)
    assert analysts.via == "orders_sales_read"
    assert ("orders-analysts", "orders", "billing") not in rows
    # A grant without schemas covers every schema of the database.
    assert {s for (p, d, s) in rows if p == "orders-api"} == {"sales", "billing"}
    migrator = rows[("orders-migrator", "orders", "sales")]
    assert migrator.owner
    assert dict(migrator.privileges)["schema"] == ("CREATE", "USAGE")


def test_public_is_revoked_and_no_grant_carries_all(dev_namespace: dict[str, Any]) -> None:
    model = expand(parse_stack_config(dev_namespace))
    public = [g for g in model.grants if g.role == "public"]
    assert {(g.database, g.object_type) for g in public if g.schema is None} == {
        ("orders", "database"),
        ("reporting", "database"),
    }
    assert all(g.privileges == () for g in public)
    assert all("ALL" not in g.privileges for g in model.grants)


def test_capability_role_names_fit_63_bytes_and_stay_unique() -> None:
    long_db, long_schema = "d" * 40, "s" * 40
    a = capability_role_name(long_db, long_schema, "read")
    b = capability_role_name(long_db, long_schema + "x", "read")
    assert len(a.encode()) <= 63
    assert len(b.encode()) <= 63
    assert a != b
    assert a.endswith("_read")
    assert capability_role_name("orders", "sales", "read") == "orders_sales_read"
    unicode_name = capability_role_name("ö" * 30, "s", "write")
    assert len(unicode_name.encode()) <= 63
    unicode_name.encode().decode("utf-8")  # never cut inside a character


@pytest.mark.parametrize(
    ("value", "expected"),
    [("orders", "orders"), ("orders_sales_read", "orders_sales_read")],
)
def test_slug_keeps_plain_names(value: str, expected: str) -> None:
    assert slug(value) == expected


def test_slug_keeps_distinct_names_distinct() -> None:
    assert slug("Orders") != slug("orders")
    assert slug('Sales "EU"') != slug("sales-eu")
