"""Hostile inputs, one class at a time (issue 9): what each writes and what the error says.

A `Case` writes files into a copy of the project (a stack file, Pulumi.yaml, an --accept
file, a policy config or a preview) and names the fragments the error message must hold:
the file or config key at fault and what is wrong. The CLI tests run every case through
`plan`, `diff` and `audit` and add what every case must meet: the documented exit code,
no traceback, and a time bound.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEV: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
NS = "entra-postgres"
NIL = "00000000-0000-0000-0000-000000000000"
OID = "3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11"


@dataclass(frozen=True)
class Case:
    """One hostile input.

    Attributes:
        id: the pytest id (`<class>-<what>`).
        cls: the input class of issue 9 (files, names, size, network, numbers, namespaces).
        write: writes the case into a project directory (a copy of the repository's).
        expect: fragments the error output must contain (the key or file, the problem).
        target: what the hostile file is: `stack` (Pulumi.yaml/Pulumi.dev.yaml), `policy`
            (--policy-config), `accept` (--accept) or `preview` (--preview-json).
        suffix: the file name suffix for policy/accept/preview files.
    """

    id: str
    cls: str
    write: Callable[[Path], None]
    expect: tuple[str, ...]
    target: str = "stack"
    suffix: str = ".yaml"
    ok: bool = False
    #: False for the long tail of a matrix (every character at every place): the audit,
    #: which reads config without running the program, takes those too.
    core: bool = True


def dump(config: dict[str, Any]) -> str:
    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    # ASCII with escapes: YAML folds some characters (NEL, U+0085, is a line break to it)
    # when written raw, and the case must reach the model exactly as built.
    return yaml.dump({"config": config}, Dumper=_NoAliases, sort_keys=False, allow_unicode=False)


def _stack_text(text: str | bytes) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        path = directory / "Pulumi.dev.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return write


def _config(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        config = copy.deepcopy(DEV)
        mutate(config)
        (directory / "Pulumi.dev.yaml").write_text(dump(config), encoding="utf-8")

    return write


def _at(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    """Set `value` at `path` (first step a key without the namespace)."""

    def mutate(config: dict[str, Any]) -> None:
        target: Any = config
        steps = [f"{NS}:{path[0]}", *path[1:]]
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = value

    return mutate


def _dotted(path: list[Any]) -> str:
    out = f"{NS}:{path[0]}"
    for step in path[1:]:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def _bomb(anchor_prefix: str = "l") -> str:
    """A billion-laughs flow mapping: 10 levels of 10 aliases (10^10 nodes)."""
    parts = [f'{anchor_prefix}0: &{anchor_prefix}0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 10):
        refs = ",".join([f"*{anchor_prefix}{level - 1}"] * 10)
        parts.append(f"{anchor_prefix}{level}: &{anchor_prefix}{level} [{refs}]")
    return "{" + ", ".join(parts) + "}"


_DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()


def _replace(old: str, new: str) -> Callable[[Path], None]:
    if old not in _DEV_TEXT:
        raise ValueError(f"{old!r} is not in Pulumi.dev.yaml")
    return _stack_text(_DEV_TEXT.replace(old, new, 1))


def _append(text: str) -> Callable[[Path], None]:
    return _stack_text(_DEV_TEXT + text)


F = "Pulumi.dev.yaml"

FILE_CASES = [
    Case("bomb-unknown-key", "files", _append(f"  {NS}:junk: {_bomb()}\n"), (F, "expands to")),
    Case(
        "bomb-server-tags",
        "files",
        _replace("      env: dev\n", f"      env: dev\n      bomb: {_bomb()}\n"),
        (F, "expands to"),
    ),
    Case(
        "bomb-in-access",
        "files",
        _replace("      kind: group\n", f"      kind: group\n      x: {_bomb('a')}\n"),
        (F, "expands to"),
    ),
    Case("recursive-alias", "files", _append(f"  {NS}:junk: &r [*r]\n"), (F, "its own anchor")),
    Case(
        "recursive-mapping",
        "files",
        _replace("      env: dev\n", "      env: &e {a: *e}\n"),
        (F, "its own anchor"),
    ),
    Case("deep-flow", "files", _append(f"  {NS}:junk: " + "[" * 100_000 + "\n"), (F, "nest")),
    Case(
        "deep-block",
        "files",
        _append("".join("  " * (i + 1) + f"k{i}:\n" for i in range(300))),
        (F, "nest"),
    ),
    Case(
        "non-utf8",
        "files",
        _stack_text(_DEV_TEXT.replace("westeurope", "west\xffeurope").encode("latin-1")),
        (F, "not UTF-8", "line"),
    ),
    Case(
        "nul-byte",
        "files",
        _replace("westeurope", "west\x00europe"),
        (F, "NUL", f"line {_DEV_TEXT[: _DEV_TEXT.index('westeurope')].count(chr(10)) + 1}"),
    ),
    Case("escape-byte", "files", _replace("westeurope", "west\x1beurope"), (F, "U+001B")),
    Case("c1-control", "files", _replace("westeurope", "west\x9beurope"), (F, "U+009B")),
    Case("int-key", "files", _append("  1: one\n"), (F, "'1' is a number")),
    Case("null-key", "files", _append("  ~: nothing\n"), (F, "empty (null)")),
    Case("bool-key", "files", _replace("      env: dev\n", "      true: dev\n"), (F, "boolean")),
    Case("float-key", "files", _replace("      env: dev\n", "      1.5: dev\n"), (F, "number")),
    Case("complex-key", "files", _append("  ? [a, b]\n  : c\n"), (F, "complex")),
    Case(
        "complex-key-nested",
        "files",
        _replace("      env: dev\n", "      ? {a: 1}\n      : dev\n"),
        (F, "complex"),
    ),
    Case("duplicate-top-key", "files", _append(f"  {NS}:catalog: {{}}\n"), (F, "duplicate key")),
    Case(
        "duplicate-nested-key",
        "files",
        _replace("      env: dev\n", "      env: dev\n      env: prod\n"),
        (F, "duplicate key 'env'"),
    ),
    Case("binary-tag", "files", _replace("westeurope", "!!binary d2VzdA=="), (F, "!!binary")),
    Case("set-tag", "files", _replace("      env: dev\n", "      env: !!set {a}\n"), (F, "!!set")),
    Case("custom-tag", "files", _replace("westeurope", "!Ref region"), (F, "!Ref")),
    Case(
        "python-tag",
        "files",
        _replace("westeurope", "!!python/object:os.system x"),
        (F, "python/object"),
    ),
    Case(
        "huge-integer",
        "files",
        _replace("storageGb: 32", "storageGb: " + "9" * 5000),
        (F, "cannot be read"),
    ),
    Case("two-documents", "files", _append("---\nconfig: {}\n"), (F, "single document")),
    Case("not-a-mapping", "files", _stack_text("- just\n- a list\n"), (F, "not a stack config")),
    Case(
        "config-not-mapping",
        "files",
        _stack_text("config: [a, b]\n"),
        (F, "config must be a mapping"),
    ),
    Case(
        "merge-key-config",
        "files",
        _append("  <<: {a: 1}\n"),
        (F, "merge key", f"line {_DEV_TEXT.count(chr(10)) + 1}"),
    ),
    Case("key-with-two-colons", "files", _append("  a:b:c: x\n"), (F, "not a config key")),
    Case("key-with-bidi", "files", _append(f'  "{NS}:cat\u202ealog": x\n'), (F, "U+202E")),
    Case(
        "too-large",
        "files",
        _append("# " + "x" * (3 * 1024 * 1024) + "\n"),
        (F, "the limit for a Pulumi project or stack file"),
    ),
    Case(
        "too-many-entries",
        "files",
        _replace(
            "      members: [ana@contoso.com, bo@contoso.com]\n",
            "      members: [" + ", ".join(f"u{i}@contoso.com" for i in range(1001)) + "]\n",
        ),
        (F, "more than 1,000 entries"),
    ),
    Case(
        "project-nul",
        "files",
        lambda d: (d / "Pulumi.yaml").write_text(
            (ROOT / "Pulumi.yaml").read_text().replace("Identity", "Iden\x00tity")
        ),
        ("Pulumi.yaml", "NUL"),
    ),
    Case(
        "project-duplicate-key",
        "files",
        lambda d: (d / "Pulumi.yaml").write_text(
            (ROOT / "Pulumi.yaml").read_text() + "name: other\n"
        ),
        ("Pulumi.yaml", "duplicate key 'name'"),
    ),
    Case("empty-config-value-type", "files", _append(f"  {NS}:server: !!str\n"), ("server",)),
]

# Characters a name may not hold: controls, bidi, zero-width, odd spaces, separators.
BAD_CHARS = {
    "cr": "\r",
    "lf": "\n",
    "tab": "\t",
    "esc": "\x1b",
    "nul": "\x00",
    "del": "\x7f",
    "nel": "\x85",
    "rlo": "\u202e",
    "rli": "\u2067",
    "zwsp": "\u200b",
    "zwj": "\u200d",
    "bom": "\ufeff",
    "nbsp": "\u00a0",
    "ideographic-space": "\u3000",
    "line-separator": "\u2028",
}
NAME_PLACES: dict[str, tuple[list[Any], str]] = {
    "principal": (["access", 0, "name"], "orders-analysts"),
    "admin-group": (["admins", "displayName"], "pg-orders-dev-admins"),
    "pipeline": (["pipeline", "displayName"], "pg-orders-dev-pipeline"),
    "catalog": (["catalog", "displayName"], "pg-orders-dev-access"),
    "database": (["databases", 1, "name"], "reporting"),
    "schema": (["databases", 1, "schemas", 0], "marts"),
    "owner": (["databases", 0, "owner"], "orders_owner"),
    "resource-group": (["server", "resourceGroup"], "rg-orders-dev"),
    "credential": (["access", 2, "federatedCredentials", 0, "name"], "github-dev-runtime"),
}


def _name_cases() -> list[Case]:
    cases = []
    for place, (path, good) in NAME_PLACES.items():
        for char_id, char in BAD_CHARS.items():
            bad = good[:3] + char + good[3:]
            core = place in ("principal", "database") or char_id in ("cr", "rlo", "zwsp", "nbsp")
            cases.append(
                Case(
                    f"{place}-{char_id}",
                    "names",
                    _config(_at(path, bad)),
                    (_dotted(path),),
                    core=core,
                )
            )
    return cases


RESERVED_ROLES = [
    "azure_pg_admin",
    "AZURESU",
    "azure_superuser",
    "replication",
    "pg_monitor",
    "public",
    "postgres",
    "none",
    "current_user",
    "admin",
    "\uff30ublic",
]
ROLE_PLACES = {
    "principal": ["access", 0, "name"],
    "admin-group": ["admins", "displayName"],
    "pipeline": ["pipeline", "displayName"],
    "catalog": ["catalog", "displayName"],
    "owner": ["databases", 0, "owner"],
}


def _reserved_cases() -> list[Case]:
    cases = []
    for place, path in ROLE_PLACES.items():
        for name in RESERVED_ROLES:
            cases.append(
                Case(
                    f"reserved-{place}-{name.lower()}",
                    "names",
                    _config(_at(path, name)),
                    (_dotted(path), "reserve"),
                )
            )
    for name in ["postgres", "template0", "TEMPLATE1", "azure_maintenance", "azure_sys"]:
        cases.append(
            Case(
                f"reserved-database-{name.lower()}",
                "names",
                _config(_at(["databases", 1, "name"], name)),
                (_dotted(["databases", 1, "name"]), "reserves"),
            )
        )
    for name in ["public", "information_schema", "pg_catalog", "pg_toast", "PUBLIC"]:
        cases.append(
            Case(
                f"reserved-schema-{name.lower()}",
                "names",
                _config(_at(["databases", 1, "schemas", 0], name)),
                (_dotted(["databases", 1, "schemas", 0]), "reserve"),
            )
        )

    def profile(name: str) -> Callable[[dict[str, Any]], None]:
        def mutate(config: dict[str, Any]) -> None:
            config[f"{NS}:profiles"][name] = config[f"{NS}:profiles"].pop("support")
            config[f"{NS}:access"][1]["grants"][0]["profile"] = name

        return mutate

    for name in ["public", "replication", "none", "admin"]:
        cases.append(
            Case(
                f"reserved-profile-{name}",
                "names",
                _config(profile(name)),
                (f"{NS}:profiles.{name}", "reserve"),
            )
        )
    for db in ["pg", "azure"]:
        cases.append(
            Case(
                f"reserved-capability-role-{db}",
                "names",
                _config(_at(["databases", 1, "name"], db)),
                (f"{NS}:databases[1]", f"{db}_marts_"),
            )
        )
    return cases


def _look_alike_cases() -> list[Case]:
    def twin(path: list[Any], value: str) -> Callable[[dict[str, Any]], None]:
        return _at(path, value)

    return [
        Case(
            "fold-principal-case",
            "names",
            _config(twin(["access", 1, "name"], "ORDERS-ANALYSTS")),
            (_dotted(["access", 1, "name"]), "collides"),
        ),
        Case(
            "fold-principal-fullwidth",
            "names",
            _config(twin(["access", 1, "name"], "\uff4f\uff52\uff44\uff45\uff52\uff53-analysts")),
            (_dotted(["access", 1, "name"]), "collides"),
        ),
        Case(
            "fold-principal-kelvin",
            "names",
            _config(twin(["access", 1, "name"], "pg-orders-dev-admins".replace("k", "\u212a"))),
            ("collides",),
        ),
        Case(
            "fold-principal-vs-admins",
            "names",
            _config(twin(["access", 1, "name"], "PG-Orders-Dev-Admins")),
            (_dotted(["access", 1, "name"]), "collides"),
        ),
        Case(
            "fold-database",
            "names",
            _config(twin(["databases", 1, "name"], "\uff4f\uff52\uff44\uff45\uff52\uff53")),
            (_dotted(["databases", 1, "name"]), "declared twice"),
        ),
        Case(
            "fold-schema",
            "names",
            _config(twin(["databases", 0, "schemas"], ["sales", "\uff33\uff21\uff2c\uff25\uff33"])),
            (_dotted(["databases", 0, "schemas", 1]), "listed twice"),
        ),
        Case(
            "fold-credential",
            "names",
            _config(
                twin(
                    ["access", 2, "federatedCredentials"],
                    [
                        {"name": "gh", "subject": "repo:contoso/orders-service:environment:a"},
                        {"name": "GH", "subject": "repo:contoso/orders-service:environment:b"},
                    ],
                )
            ),
            (_dotted(["access", 2, "federatedCredentials"]), "used twice"),
        ),
        Case(
            "nil-object-id",
            "names",
            _config(_at(["access", 4, "objectId"], NIL)),
            (_dotted(["access", 4, "objectId"]), "nil UUID"),
        ),
        Case(
            "nil-owner",
            "names",
            _config(_at(["admins", "owners"], [NIL])),
            (_dotted(["admins", "owners", 0]), "nil UUID"),
        ),
        Case(
            "unicode-digit-object-id",
            "names",
            _config(_at(["access", 4, "objectId"], OID.replace("3", "٣"))),
            (_dotted(["access", 4, "objectId"]), "not an object id"),
        ),
        Case(
            "secure-principal-name",
            "names",
            _config(_at(["access", 0, "name"], {"secure": "v1:AAAA"})),
            (_dotted(["access", 0, "name"]), "secure:"),
        ),
        Case(
            "secure-object-id",
            "names",
            _config(_at(["access", 4, "objectId"], {"secure": "v1:AAAA"})),
            (_dotted(["access", 4, "objectId"]), "secure:"),
        ),
        Case(
            "secure-admin-group",
            "names",
            _config(_at(["admins", "displayName"], {"secure": "v1:AAAA"})),
            (_dotted(["admins", "displayName"]), "secure:"),
        ),
        Case(
            "secure-database",
            "names",
            _config(_at(["databases", 0, "name"], {"secure": "v1:AAAA"})),
            (_dotted(["databases", 0, "name"]), "secure:"),
        ),
        Case(
            "secure-owner-ref",
            "names",
            _config(_at(["admins", "owners"], [{"secure": "v1:AAAA"}])),
            (_dotted(["admins", "owners", 0]), "secure:"),
        ),
        Case(
            "secure-whole-section",
            "names",
            _config(_at(["catalog"], {"secure": "v1:AAAA"})),
            (f"{NS}:catalog", "secure:"),
        ),
    ]


def _principals(count: int) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        config[f"{NS}:access"] = [
            {
                "name": f"g{i:05d}",
                "kind": "existingGroup",
                "objectId": OID[:-5] + f"{i:05d}",
                "grants": [{"database": "orders", "profile": "read"}],
            }
            for i in range(count)
        ]

    return mutate


def _grants(count: int) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        config[f"{NS}:access"][0]["grants"] = [
            {"database": "orders", "schemas": ["sales"], "profile": "read"}
        ] * count

    return mutate


def _many_schemas(config: dict[str, Any]) -> None:
    config[f"{NS}:databases"] = [
        {"name": f"db{d}", "schemas": [f"s{s}" for s in range(100)]} for d in range(10)
    ]
    config[f"{NS}:access"] = []


SIZE_CASES = [
    Case(
        "ten-thousand-principals",
        "size",
        _config(_principals(10_000)),
        (F, "more than 1,000 entries"),
    ),
    Case(
        "too-many-grants",
        "size",
        _config(_grants(51)),
        (_dotted(["access", 0, "grants"]), "the limit is 50"),
    ),
    Case(
        "too-many-capability-roles",
        "size",
        _config(_many_schemas),
        (f"{NS}:databases", "capability roles", "limit is 2,000"),
    ),
    Case(
        "too-many-tags",
        "size",
        _config(_at(["server", "tags"], {f"t{i}": "v" for i in range(51)})),
        (_dotted(["server", "tags"]), "limit is 50"),
    ),
]


def _public(rules: list[dict[str, str]], **extra: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        config[f"{NS}:server"]["network"] = {
            "publicAccess": "Enabled",
            "firewallRules": rules,
            **extra,
        }

    return mutate


_HALF = [
    {"name": "a", "startIp": "10.0.0.0", "endIp": "10.0.127.255"},
    {"name": "b", "startIp": "10.1.0.0", "endIp": "10.1.127.255"},
]
ANY = "0.0.0.0"  # noqa: S104 (a firewall address, not a bind)
_AZURE = {"name": "azure", "startIp": ANY, "endIp": ANY}
NET = f"{NS}:server.network"

NETWORK_CASES = [
    Case(
        "sum-of-ranges",
        "network",
        _config(_public([*_HALF, {"name": "c", "startIp": "10.2.0.0", "endIp": "10.2.0.255"}])),
        (f"{NET}.firewallRules", "together admit 65,792"),
    ),
    Case(
        "one-wide-rule",
        "network",
        _config(_public([{"name": "w", "startIp": ANY, "endIp": "255.255.255.255"}])),
        (f"{NET}.firewallRules[0]", "admits 4294967296"),
    ),
    Case(
        "allow-azure-services-implicit",
        "network",
        _config(_public([_AZURE])),
        (f"{NET}.firewallRules", "allowAzureServices"),
    ),
    Case(
        "allow-azure-services-alias-form",
        "network",
        _config(_public([{"name": "z", "startIp": ANY, "endIp": "0.0.0.000"}])),
        (f"{NET}.firewallRules", "IPv4"),
    ),
    Case(
        "opt-in-without-rule",
        "network",
        _config(_public(_HALF[:1], allowAzureServices=True)),
        (f"{NET}.allowAzureServices", "opts into nothing"),
    ),
    Case(
        "opt-in-not-boolean",
        "network",
        _config(_public([_AZURE], allowAzureServices="yes")),
        (f"{NET}.allowAzureServices", "true or false"),
    ),
    Case(
        "rules-while-private",
        "network",
        _config(lambda c: c[f"{NS}:server"].update(network={"firewallRules": _HALF[:1]})),
        (f"{NET}.firewallRules", "public access is Disabled"),
    ),
]
#: Accepted, and visible: the opt-in is a warning in the plan (exit 0).
OPT_IN = Case(
    "allow-azure-services-opted-in",
    "network",
    _config(_public([_AZURE], allowAzureServices=True)),
    ("secure default opted out", "allowAzureServices"),
    ok=True,
)

S = ["server"]
NUMBER_CASES = [
    Case(f"number-{i}", "numbers", _config(_at([*S, key], value)), (_dotted([*S, key]), expected))
    for i, (key, value, expected) in enumerate(
        [
            ("storageGb", "²", "whole number from 32"),
            ("storageGb", "٣٢", "whole number"),
            ("storageGb", "\uff13\uff12", "whole number"),
            ("storageGb", "32.0", "whole number"),
            ("storageGb", 32.5, "whole number"),
            ("storageGb", "1e3", "whole number"),
            ("storageGb", True, "whole number"),
            ("storageGb", [32], "whole number"),
            ("storageGb", " 32", "whole number"),
            ("storageGb", "0x20", "whole number"),
            ("backupRetentionDays", 10**30, "whole number from 7 to 35"),
            ("version", "١٦", "one of 13"),
            ("version", 16.0, "one of 13"),
            ("version", True, "one of 13"),
            ("groupSync", "yes", "true or false"),
            ("groupSync", 1, "true or false"),
            ("tags", ["a"], "expected a mapping"),
            ("tags", {"env": 5}, "expected non-empty text"),
            ("location", ["westeurope"], "expected non-empty text, got a list"),
            ("name", 42, "expected non-empty text, got a number"),
            ("sku", "Standard_B1ms", "expected a mapping"),
            ("network", ["private"], "expected a mapping"),
            ("tlsMinVersion", 1.2, "expected one of TLSv1.2"),
        ]
    )
] + [
    Case(
        "type-admin-name",
        "numbers",
        _config(_at(["admins", "displayName"], 42)),
        (_dotted(["admins", "displayName"]), "as text, got a number"),
    ),
    Case(
        "type-schemas-text",
        "numbers",
        _config(_at(["databases", 0, "schemas"], "sales")),
        (_dotted(["databases", 0, "schemas"]), "expected a list, got text"),
    ),
    Case(
        "type-grants-mapping",
        "numbers",
        _config(_at(["access", 0, "grants"], {"database": "orders"})),
        (_dotted(["access", 0, "grants"]), "expected a list, got a mapping"),
    ),
    Case(
        "type-kind",
        "numbers",
        _config(_at(["access", 0, "kind"], ["group"])),
        (_dotted(["access", 0, "kind"]), "expected one of group"),
    ),
    Case(
        "type-server-text",
        "numbers",
        _config(_at(["server"], "contoso")),
        (f"{NS}:server", "must be of type 'object'"),
    ),
    Case(
        "type-access-mapping",
        "numbers",
        _config(_at(["access"], {"name": "x"})),
        (f"{NS}:access", "must be of type 'array<object>'"),
    ),
    Case(
        "type-migration",
        "numbers",
        _config(_at(["access", 3, "migration"], "true")),
        (_dotted(["access", 3, "migration"]), "true or false"),
    ),
    Case(
        "type-privilege",
        "numbers",
        _config(lambda c: c[f"{NS}:profiles"]["support"]["privileges"].update(table=[1])),
        (f"{NS}:profiles.support.privileges.table[0]", "a number (1)"),
    ),
    Case(
        "type-target",
        "numbers",
        _config(lambda c: c.update({f"{NS}:target": "Azure"})),
        (f"{NS}:target", "expected one of azure, local"),
    ),
    Case(
        "misspelt-key",
        "numbers",
        _config(_at(["server", "storageGB"], 64)),
        (_dotted(["server", "storageGB"]), "did you mean storageGb"),
    ),
]

NAMESPACE_CASES = [
    Case(
        f"namespace-{ns}",
        "namespaces",
        _append(f"  {ns}:catalog:\n    displayName: x\n"),
        (f"{ns}:catalog", "is not 'entra-postgres'"),
    )
    for ns in [
        "entra-postgress",
        "Entra-Postgres",
        "entrapostgres",
        "entra_postgres",
        "entra-postgre",
        "entra-progres",
    ]
]


def _policy(text: str | bytes) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        for suffix in (".yaml", ".json"):
            path = directory / f"hostile{suffix}"
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")

    return write


def _sparse(size: int) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        for suffix in (".yaml", ".json"):
            with (directory / f"hostile{suffix}").open("wb") as stream:
                stream.truncate(size)

    return write


#: Files given on the command line (--policy-config, --accept, --preview-json), YAML and
#: JSON variants; each is run as the target and suffix the CLI reads.
AUX_YAML = [
    ("bomb", "x: " + _bomb() + "\n", "expands to"),
    ("recursive", "x: &r [*r]\n", "its own anchor"),
    ("deep", "[" * 100_000, "nest deeper"),
    ("duplicate", "a: 1\na: 2\n", "duplicate key"),
    ("int-key", "1: one\n", "is a number"),
    ("complex-key", "? [a]\n: b\n", "complex"),
    ("nul", "a: b\x00\n", "NUL"),
    ("tag", "a: !!binary aGk=\n", "!!binary"),
]
AUX_JSON = [
    ("deep", "[" * 100_000 + "]" * 100_000, "nest deeper than 64"),
    ("deep-70", "[" * 70 + "]" * 70, "nest deeper than 64"),
    ("duplicate", '{"a": 1, "a": 2}', "duplicate key"),
    ("nan", '{"a": NaN}', "NaN"),
    ("huge-number", '{"a": ' + "9" * 5000 + "}", "more digits"),
    ("truncated", '{"a": [1, 2', "line 1"),
    ("nul", '{"a": "\x00"}', "NUL"),
]
AUX_BYTES = [
    ("non-utf8", b'{"a": "\xff"}', "not UTF-8"),
]


def aux_cases(target: str) -> list[Case]:
    cases = []
    for suffix, table in ((".yaml", AUX_YAML), (".json", AUX_JSON)):
        if target == "preview" and suffix == ".yaml":
            continue
        for name, text, expected in table:
            cases.append(
                Case(
                    f"{target}{suffix}-{name}",
                    "files",
                    _policy(text),
                    ("hostile", expected),
                    target=target,
                    suffix=suffix,
                )
            )
    for name, data, expected in AUX_BYTES:
        cases.append(
            Case(
                f"{target}-{name}",
                "files",
                _policy(data),
                ("hostile", expected),
                target=target,
                suffix=".json",
            )
        )
    cases.append(
        Case(
            f"{target}-too-large",
            "files",
            _sparse(300 * 1024 * 1024),
            ("hostile", "the limit"),
            target=target,
            suffix=".json",
        )
    )
    cases.append(
        Case(
            f"{target}-directory",
            "files",
            lambda d: (d / "hostile.json").mkdir(),
            ("hostile",),
            target=target,
            suffix=".json",
        )
    )
    return cases


STACK_CASES = [
    *FILE_CASES,
    *_name_cases(),
    *_reserved_cases(),
    *_look_alike_cases(),
    *SIZE_CASES,
    *NETWORK_CASES,
    *NUMBER_CASES,
    *NAMESPACE_CASES,
]
