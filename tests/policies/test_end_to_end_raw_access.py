"""End to end: a hand-written stack of raw provider resources trips every rule of issues 10 and
14, through the real program runner (SDK mock monitor) and the real pack (gRPC).

The stack skips our components entirely, declares some resources under explicit API-version
tokens (as a versioned local SDK would), and spells role names the way a person might.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from entra_pg.mockrun import run_program
from entra_pg.policycheck import PolicyPackClient

RAW_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_azure_native.dbforpostgresql as pg
    import pulumi_azure_native.managedidentity as mi
    import pulumi_azuread as azuread
    import pulumi_postgresql as postgresql

    GITHUB = "https://token.actions.githubusercontent.com"
    EXCHANGE = "api://AzureADTokenExchange"
    TENANT = "6a2f0b1c-4d3e-4f50-8a61-7b8c9d0e1f2a"
    OID = "0f0e0d0c-0b0a-4908-8706-050403020100"

    p = postgresql.Provider("raw-pg", host="pg.example.org", username="pg-admins",
                            azure_identity_auth=True, azure_tenant_id=TENANT, superuser=False,
                            sslmode="require")
    o = pulumi.ResourceOptions(provider=p)
    postgresql.Role("raw-files", name="etl", login=False,
                    roles=[' "PG_READ_SERVER_FILES" '], opts=o)
    postgresql.GrantRole("raw-read-all", role="etl", grant_role="Pg_Read_All_Data", opts=o)
    postgresql.GrantRole("raw-signal", role="etl", grant_role="pg_signal_backend", opts=o)
    postgresql.Role("raw-own-azure-admin", name='"azure_pg_admin"', login=False, opts=o)
    postgresql.SecurityLabel("raw-label-azuresu", object_type="role", object_name="azuresu",
                             label_provider="pgaadauth", label=f"aadauth,oid={OID},type=user",
                             opts=o)
    postgresql.GrantRole("raw-admin-by-name", role="etl", grant_role="PG-ADMINS", opts=o)
    postgresql.Grant("raw-trigger", role="etl", database="orders", schema="sales",
                     object_type="table", privileges=["SELECT", "TRIGGER"], opts=o)
    postgresql.Grant("raw-catalog", role="etl", database="orders", schema="PG_CATALOG",
                     object_type="table", privileges=["SELECT"], opts=o)
    postgresql.Grant("raw-truncate", role="etl", database="orders", schema="sales",
                     object_type="table", privileges=["TRUNCATE"], opts=o)

    # A server declared under an explicit API version: Entra-only, but no admin, no
    # diagnostic setting and no pgaudit.
    server = pulumi.CustomResource(
        "azure-native:dbforpostgresql/v20250801:Server", "raw-server-v",
        {"serverName": "raw", "resourceGroupName": "rg",
         "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled",
                        "tenantId": TENANT},
         "network": {"publicNetworkAccess": "Disabled"}})
    pulumi.CustomResource(
        "azure-native:dbforpostgresql/v20240801:Configuration", "raw-log-connections",
        {"serverName": "raw", "resourceGroupName": "rg", "configurationName": "log_connections",
         "value": "off", "source": "user-override"})
    pulumi.CustomResource(
        "azure-native:dbforpostgresql/v20221201:FirewallRule", "raw-fw-internet-v",
        {"serverName": "raw", "resourceGroupName": "rg", "startIpAddress": "0.0.0.0",
         "endIpAddress": "255.255.255.255"})
    pg.Configuration("raw-max-tls", server_name="raw", resource_group_name="rg",
                     configuration_name="ssl_max_protocol_version", value="TLSv1.1")
    pg.FirewallRule("raw-fw-azure", server_name="raw", resource_group_name="rg",
                    start_ip_address="0.0.0.0", end_ip_address="0.0.0.0")
    # The admin of another server: its role name is still azure_pg_admin by another name.
    pg.AdministratorsMicrosoftEntra("raw-other-admin", server_name="raw-other",
                                    resource_group_name="rg", object_id=OID,
                                    principal_name="pg-admins", principal_type="Group",
                                    tenant_id=TENANT)

    finance = azuread.Group("raw-dynamic", display_name="finance", security_enabled=True,
                            owners=[OID], types=["DynamicMembership"],
                            dynamic_membership=azuread.GroupDynamicMembershipArgs(
                                enabled=True, rule='user.department -eq "Finance"'))
    postgresql.SecurityLabel("raw-finance-label", object_type="role", object_name="finance",
                             label_provider="pgaadauth",
                             label=finance.object_id.apply(
                                 lambda oid: f"aadauth,oid={oid},type=group"),
                             opts=o)
    app = azuread.Application("raw-app", display_name="ci")
    azuread.ApplicationFlexibleFederatedIdentityCredential(
        "raw-flexible", application_id=app.id, display_name="any-branch", audience=EXCHANGE,
        issuer=GITHUB,
        claims_matching_expression="claims['sub'] matches 'repo:contoso/db:ref:refs/heads/*'")
    mi.FederatedIdentityCredential(
        "raw-mi-credential", resource_group_name="rg", resource_name_="id-deploy",
        issuer=GITHUB, audiences=[EXCHANGE], subject="repo:contoso/db:pull_request")
    """
)

RAW_EXPECTED = {
    ("postgresql-membership-no-superuser-equivalent", "raw-files"),
    ("postgresql-membership-no-superuser-equivalent", "raw-read-all"),
    ("postgresql-membership-no-powerful-predefined-roles", "raw-signal"),
    ("postgresql-role-not-reserved", "raw-own-azure-admin"),
    ("postgresql-role-not-reserved", "raw-label-azuresu"),
    ("postgresql-membership-no-entra-admin-role", "raw-admin-by-name"),
    ("postgresql-grant-no-trigger", "raw-trigger"),
    ("postgresql-grant-no-system-catalogs", "raw-catalog"),
    ("postgresql-grant-no-risky-privileges", "raw-truncate"),
    ("azure-native-postgresql-configuration-connection-logging", "raw-log-connections"),
    ("azure-native-postgresql-firewall-no-internet", "raw-fw-internet-v"),
    ("azure-native-postgresql-configuration-max-tls", "raw-max-tls"),
    ("azure-native-postgresql-firewall-no-azure-services", "raw-fw-azure"),
    ("azure-native-postgresql-server-has-entra-admin", "raw-server-v"),
    ("azure-native-postgresql-server-diagnostic-setting", "raw-server-v"),
    ("azure-native-postgresql-server-pgaudit-role-logging", "raw-server-v"),
    ("azuread-group-no-dynamic-membership-access", "raw-dynamic"),
    ("azuread-federated-credential-scoped-claims-expression", "raw-flexible"),
    ("azuread-federated-credential-scoped-subject", "raw-mi-credential"),
}
MANDATORY = {
    "postgresql-membership-no-superuser-equivalent",
    "postgresql-role-not-reserved",
    "postgresql-membership-no-entra-admin-role",
    "postgresql-grant-no-trigger",
    "postgresql-grant-no-system-catalogs",
    "azure-native-postgresql-firewall-no-internet",
    "azuread-federated-credential-scoped-claims-expression",
    "azuread-federated-credential-scoped-subject",
}


def test_raw_resources_trip_every_new_rule(client: PolicyPackClient, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: raw\nruntime: python\n")
    (tmp_path / "Pulumi.raw.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(RAW_PROGRAM)
    run = run_program(tmp_path, "raw")
    violations = client.check(run.resources)
    found = {(v.policy_name, v.resource_name) for v in violations}
    missing = RAW_EXPECTED - found
    assert not missing, sorted(missing)
    assert all(name.startswith("raw-") for _, name in found), sorted(found)
    for violation in violations:
        if (violation.policy_name, violation.resource_name) in RAW_EXPECTED:
            assert violation.mandatory is (violation.policy_name in MANDATORY), violation
