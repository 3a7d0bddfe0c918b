"""Test data for the membership, reserved-role and object-privilege rules (issue 10).

Same shape as `tests.policies.cases`: per rule and resource type a compliant baseline and
one-property changes. Spellings (case, quotes, whitespace) are separate violations, because
the rules promise that no spelling escapes them.
"""

from __future__ import annotations

from tests.policies.builders import DELETE
from tests.policies.cases import (
    DEFAULT_PRIVILEGES,
    DEFAULT_PRIVILEGES_OK,
    GRANT,
    GRANT_OK,
    GRANT_ROLE,
    GRANT_ROLE_OK,
    LABEL_OK,
    ROLE,
    ROLE_OK,
    SECURITY_LABEL,
    RuleCase,
)

SUPERUSER_EQUIVALENT = "postgresql-membership-no-superuser-equivalent"
POWERFUL = "postgresql-membership-no-powerful-predefined-roles"
RESERVED = "postgresql-role-not-reserved"
TRIGGER = "postgresql-grant-no-trigger"
CATALOGS = "postgresql-grant-no-system-catalogs"
RISKY = "postgresql-grant-no-risky-privileges"

_EQUIVALENT_NAMES = (
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_read_all_data",
    "pg_write_all_data",
    "azuresu",
)
_POWERFUL_NAMES = (
    "pg_signal_backend",
    "pg_checkpoint",
    "pg_create_subscription",
    "pg_maintain",
    "pg_use_reserved_connections",
    "pg_signal_autovacuum_worker",
)
# The pg_* names are reserved too: a Role resource would also trip postgresql-role-not-reserved,
# but memberships are about `roles`/`grantRole`, not the Role's own name, so nothing else fires.
_SPELLINGS = {
    "quoted_upper": '"PG_READ_ALL_DATA"',
    "spaced_mixed": "  Pg_Write_Server_Files\t",
    "quoted_spaced": ' " azuresu " ',
}

ACCESS_CASES: tuple[RuleCase, ...] = (
    RuleCase(
        rule=SUPERUSER_EQUIVALENT,
        type=ROLE,
        baseline=ROLE_OK,
        violations={
            **{name: {"roles": ["app_readers", name]} for name in _EQUIVALENT_NAMES},
            **{why: {"roles": [text]} for why, text in _SPELLINGS.items()},
        },
        compliant={
            "pg_monitor": {"roles": ["pg_monitor", "pg_read_all_stats"]},
            "similar_name": {"roles": ["pg_read_all_data_copy", "azuresu_readers"]},
            "no_roles": {"roles": DELETE},
        },
        other_type=GRANT,
        role_key="name",
    ),
    RuleCase(
        rule=SUPERUSER_EQUIVALENT,
        type=GRANT_ROLE,
        baseline=GRANT_ROLE_OK,
        violations={
            **{name: {"grantRole": name} for name in _EQUIVALENT_NAMES},
            **{why: {"grantRole": text} for why, text in _SPELLINGS.items()},
        },
        compliant={
            "pg_monitor": {"grantRole": "pg_monitor"},
            "grantee_named_so": {"role": "pg_read_all_data"},
        },
        other_type=DEFAULT_PRIVILEGES,
        role_key="role",
    ),
    RuleCase(
        rule=POWERFUL,
        type=ROLE,
        baseline=ROLE_OK,
        violations={
            **{name: {"roles": [name]} for name in _POWERFUL_NAMES},
            "quoted_upper": {"roles": ['"PG_SIGNAL_BACKEND"']},
        },
        compliant={"pg_monitor": {"roles": ["pg_monitor"]}},
        other_type=GRANT,
        role_key="name",
    ),
    RuleCase(
        rule=POWERFUL,
        type=GRANT_ROLE,
        baseline=GRANT_ROLE_OK,
        violations={
            **{name: {"grantRole": name} for name in _POWERFUL_NAMES},
            "spaced": {"grantRole": " pg_checkpoint "},
        },
        compliant={"pg_read_all_settings": {"grantRole": "pg_read_all_settings"}},
        other_type=ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=RESERVED,
        type=ROLE,
        baseline=ROLE_OK,
        violations={
            "azure_pg_admin": {"name": "azure_pg_admin"},
            "azuresu": {"name": "azuresu"},
            "pg_prefix": {"name": "pg_monitor"},
            "quoted_upper": {"name": '"AZURE_PG_ADMIN"'},
            "spaced_mixed": {"name": " AzureSU "},
            "pg_prefix_upper": {"name": "PG_anything"},
        },
        compliant={
            "prefix_elsewhere": {"name": "app_pg_reader"},
            "similar": {"name": "azure_pg_admins_team"},
        },
        other_type=GRANT_ROLE,
        role_key="name",
    ),
    RuleCase(
        rule=RESERVED,
        type=SECURITY_LABEL,
        baseline=LABEL_OK,
        violations={
            "azure_pg_admin": {"objectName": "azure_pg_admin"},
            "azuresu_quoted": {"objectName": '"azuresu"'},
            "pg_prefix": {"objectName": "pg_read_all_data"},
            "role_type_upper": {"objectType": "ROLE", "objectName": "Azure_Pg_Admin"},
        },
        compliant={
            "not_a_role": {"objectType": "table", "objectName": "pg_catalog"},
        },
        other_type=ROLE,
        role_key="objectName",
    ),
    RuleCase(
        rule=TRIGGER,
        type=GRANT,
        baseline=GRANT_OK,
        violations={
            "trigger": {"privileges": ["SELECT", "TRIGGER"]},
            "lower": {"privileges": ["trigger"]},
            "all_on_tables": {"privileges": ["ALL"]},
            "all_privileges_unset_type": {"privileges": ["all privileges"], "objectType": DELETE},
        },
        also={
            "all_on_tables": frozenset({RISKY, "postgresql-grant-no-all-privileges"}),
            "all_privileges_unset_type": frozenset({RISKY, "postgresql-grant-no-all-privileges"}),
        },
        compliant={
            "revoke": {"privileges": []},
            "all_on_sequences": {"objectType": "sequence", "privileges": ["ALL"]},
        },
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=TRIGGER,
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"trigger": {"privileges": ["Trigger"]}},
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=CATALOGS,
        type=GRANT,
        baseline=GRANT_OK,
        violations={
            "pg_catalog": {"schema": "pg_catalog"},
            "information_schema_upper": {"schema": "INFORMATION_SCHEMA"},
            "quoted": {"schema": '"pg_catalog"'},
            "pg_toast": {"schema": " pg_toast "},
            "schema_usage": {
                "objectType": "schema",
                "schema": "pg_catalog",
                "privileges": ["USAGE"],
            },
            "function": {
                "objectType": "function",
                "schema": "pg_catalog",
                "privileges": ["EXECUTE"],
            },
        },
        compliant={
            "revoke": {"schema": "pg_catalog", "privileges": []},
            "lookalike": {"schema": "app_pg_catalog"},
        },
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=CATALOGS,
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"information_schema": {"schema": "information_schema"}},
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=RISKY,
        type=GRANT,
        baseline=GRANT_OK,
        violations={
            "truncate": {"privileges": ["SELECT", "TRUNCATE"]},
            "references": {"privileges": ["references"]},
            "create_on_database": {
                "objectType": "database",
                "schema": DELETE,
                "privileges": ["CONNECT", "CREATE"],
            },
            "all_on_database": {"objectType": "database", "schema": DELETE, "privileges": ["ALL"]},
            "create_on_public": {
                "objectType": "schema",
                "schema": "public",
                "privileges": ["CREATE"],
            },
            "create_on_public_quoted": {
                "objectType": "SCHEMA",
                "schema": '"PUBLIC"',
                "privileges": ["USAGE", "create"],
            },
        },
        also={"all_on_database": frozenset({"postgresql-grant-no-all-privileges"})},
        compliant={
            "create_on_own_schema": {
                "objectType": "schema",
                "schema": "sales",
                "privileges": ["CREATE", "USAGE"],
            },
            "connect_temporary": {
                "objectType": "database",
                "schema": DELETE,
                "privileges": ["CONNECT", "TEMPORARY"],
            },
            "usage_on_public": {
                "objectType": "schema",
                "schema": "public",
                "privileges": ["USAGE"],
            },
            "revoke_from_public_schema": {
                "objectType": "schema",
                "schema": "public",
                "privileges": [],
            },
        },
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule=RISKY,
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"truncate": {"privileges": ["TRUNCATE"]}},
        compliant={"sequence_usage": {"objectType": "sequence", "privileges": ["USAGE"]}},
        other_type=GRANT_ROLE,
        role_key="role",
    ),
)
