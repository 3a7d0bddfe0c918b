"""Every rule of the pack, in the order `GetAnalyzerInfo` reports them.

`ALL_POLICIES` is what `policies/__main__.py` hands to `PolicyPack`. Each entry comes from its
own module `policies.rules.<rule_name_in_snake_case>`; a test checks the two stay in step.
"""

from __future__ import annotations

from pulumi_policy import Policy

from .rules import (
    azure_native_postgresql_configuration_connection_logging,
    azure_native_postgresql_configuration_max_tls,
    azure_native_postgresql_configuration_min_tls,
    azure_native_postgresql_configuration_secure_transport,
    azure_native_postgresql_entra_admin_is_group,
    azure_native_postgresql_firewall_no_azure_services,
    azure_native_postgresql_firewall_no_internet,
    azure_native_postgresql_server_diagnostic_setting,
    azure_native_postgresql_server_entra_only_auth,
    azure_native_postgresql_server_has_entra_admin,
    azure_native_postgresql_server_no_public_network,
    azure_native_postgresql_server_pgaudit_role_logging,
    azuread_federated_credential_exchange_audience,
    azuread_federated_credential_github_issuer,
    azuread_federated_credential_no_pr_for_admins,
    azuread_federated_credential_scoped_claims_expression,
    azuread_federated_credential_scoped_subject,
    azuread_group_has_owner,
    azuread_group_no_dynamic_membership_access,
    azuread_group_security_enabled,
    postgresql_default_privileges_no_all_privileges,
    postgresql_default_privileges_no_grant_option,
    postgresql_default_privileges_no_public,
    postgresql_grant_no_all_privileges,
    postgresql_grant_no_grant_option,
    postgresql_grant_no_public,
    postgresql_grant_no_risky_privileges,
    postgresql_grant_no_system_catalogs,
    postgresql_grant_no_trigger,
    postgresql_grant_role_no_admin_option,
    postgresql_grant_role_no_azure_pg_admin,
    postgresql_membership_no_entra_admin_role,
    postgresql_membership_no_powerful_predefined_roles,
    postgresql_membership_no_superuser_equivalent,
    postgresql_provider_entra_auth,
    postgresql_provider_no_superuser,
    postgresql_provider_tls,
    postgresql_role_login_mapped_to_entra,
    postgresql_role_no_azure_pg_admin,
    postgresql_role_no_elevated_attributes,
    postgresql_role_no_password,
    postgresql_role_no_superuser,
    postgresql_role_not_reserved,
    postgresql_security_label_no_pgaadauth_admin,
    postgresql_security_label_well_formed,
)

ALL_POLICIES: list[Policy] = [
    postgresql_role_no_superuser.POLICY,
    postgresql_role_no_elevated_attributes.POLICY,
    postgresql_role_no_azure_pg_admin.POLICY,
    postgresql_grant_role_no_azure_pg_admin.POLICY,
    postgresql_grant_role_no_admin_option.POLICY,
    postgresql_membership_no_superuser_equivalent.POLICY,
    postgresql_membership_no_powerful_predefined_roles.POLICY,
    postgresql_membership_no_entra_admin_role.POLICY,
    postgresql_role_not_reserved.POLICY,
    postgresql_role_no_password.POLICY,
    postgresql_role_login_mapped_to_entra.POLICY,
    postgresql_security_label_no_pgaadauth_admin.POLICY,
    postgresql_security_label_well_formed.POLICY,
    postgresql_grant_no_grant_option.POLICY,
    postgresql_default_privileges_no_grant_option.POLICY,
    postgresql_grant_no_public.POLICY,
    postgresql_default_privileges_no_public.POLICY,
    postgresql_grant_no_all_privileges.POLICY,
    postgresql_default_privileges_no_all_privileges.POLICY,
    postgresql_grant_no_trigger.POLICY,
    postgresql_grant_no_system_catalogs.POLICY,
    postgresql_grant_no_risky_privileges.POLICY,
    postgresql_provider_entra_auth.POLICY,
    postgresql_provider_no_superuser.POLICY,
    postgresql_provider_tls.POLICY,
    azure_native_postgresql_server_entra_only_auth.POLICY,
    azure_native_postgresql_server_no_public_network.POLICY,
    azure_native_postgresql_entra_admin_is_group.POLICY,
    azure_native_postgresql_configuration_secure_transport.POLICY,
    azure_native_postgresql_configuration_min_tls.POLICY,
    azure_native_postgresql_firewall_no_internet.POLICY,
    azure_native_postgresql_firewall_no_azure_services.POLICY,
    azure_native_postgresql_configuration_max_tls.POLICY,
    azure_native_postgresql_configuration_connection_logging.POLICY,
    azure_native_postgresql_server_has_entra_admin.POLICY,
    azure_native_postgresql_server_diagnostic_setting.POLICY,
    azure_native_postgresql_server_pgaudit_role_logging.POLICY,
    azuread_group_security_enabled.POLICY,
    azuread_group_has_owner.POLICY,
    azuread_group_no_dynamic_membership_access.POLICY,
    azuread_federated_credential_github_issuer.POLICY,
    azuread_federated_credential_exchange_audience.POLICY,
    azuread_federated_credential_scoped_subject.POLICY,
    azuread_federated_credential_scoped_claims_expression.POLICY,
    azuread_federated_credential_no_pr_for_admins.POLICY,
]
"""The rules: PostgreSQL roles, labels and grants, the postgresql provider, Azure, then Entra."""

POLICY_PACK_DESCRIPTION = (
    "Guards identity-based access to Azure Database for PostgreSQL: no superuser, "
    "azure_pg_admin or superuser-equivalent roles for anyone, no dangerous object "
    "privileges, Entra-only logins, TLS, no internet-wide firewall rules, scoped GitHub "
    "OIDC trust, and an audit trail that leaves the server."
)

__all__ = ["ALL_POLICIES", "POLICY_PACK_DESCRIPTION"]
