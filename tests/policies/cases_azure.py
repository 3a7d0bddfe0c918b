"""Test data for the new Azure and Entra resource rules (issues 10 and 14), and the federated
credential types the existing credential rules now also judge."""

from __future__ import annotations

from typing import Any

from tests.policies.builders import DELETE
from tests.policies.cases import (
    AUDIENCE,
    CONFIGURATION,
    FIC,
    FIC_OK,
    FIREWALL_OK,
    FIREWALL_RULE,
    ISSUER,
    SERVER,
    RuleCase,
)

MI_FIC = "azure-native:managedidentity:FederatedIdentityCredential"
FLEXIBLE_FIC = (
    "azuread:index/applicationFlexibleFederatedIdentityCredential:"
    "ApplicationFlexibleFederatedIdentityCredential"
)
APPLICATION = "azuread:index/application:Application"

MAX_TLS_OK: dict[str, Any] = {
    "serverName": "pg",
    "configurationName": "ssl_max_protocol_version",
    "value": "TLSv1.3",
    "source": "user-override",
}
LOG_CONNECTIONS_OK: dict[str, Any] = {
    "serverName": "pg",
    "configurationName": "log_connections",
    "value": "on",
    "source": "user-override",
}
MI_FIC_OK: dict[str, Any] = {
    "resourceGroupName": "rg",
    "resourceName": "id-orders-deploy",
    "federatedIdentityCredentialResourceName": "github-production",
    "issuer": ISSUER,
    "audiences": [AUDIENCE],
    "subject": "repo:contoso/db-access:environment:production",
}
FLEXIBLE_OK: dict[str, Any] = {
    "applicationId": FIC_OK["applicationId"],
    "displayName": "github-production",
    "issuer": ISSUER,
    "audience": AUDIENCE,
    "claimsMatchingExpression": (
        "claims['sub'] eq 'repo:contoso/db-access:environment:production' and "
        "claims['job_workflow_ref'] matches "
        "'contoso/db-access/.github/workflows/*.yml@refs/heads/main'"
    ),
}

AZURE_CASES: tuple[RuleCase, ...] = (
    RuleCase(
        rule="azure-native-postgresql-firewall-no-azure-services",
        type=FIREWALL_RULE,
        baseline=FIREWALL_OK,
        violations={
            "azure_services": {"startIpAddress": "0.0.0.0", "endIpAddress": "0.0.0.0"},  # noqa: S104
            "spaced": {"startIpAddress": " 0.0.0.0", "endIpAddress": "0.0.0.0 "},
        },
        compliant={"one_address": {"startIpAddress": "0.0.0.1", "endIpAddress": "0.0.0.1"}},
        other_type=SERVER,
    ),
    RuleCase(
        rule="azure-native-postgresql-configuration-max-tls",
        type=CONFIGURATION,
        baseline=MAX_TLS_OK,
        violations={
            "tls11": {"value": "TLSv1.1"},
            "tls10": {"value": "tlsv1"},
            "not_tls": {"value": "SSLv3"},
        },
        compliant={
            "no_maximum": {"value": ""},
            "tls12": {"value": "TLSv1.2"},
            "other_parameter": {
                "configurationName": "ssl_min_protocol_version",
                "value": "TLSv1.3",
            },
        },
        other_type=SERVER,
    ),
    RuleCase(
        rule="azure-native-postgresql-configuration-connection-logging",
        type=CONFIGURATION,
        baseline=LOG_CONNECTIONS_OK,
        violations={
            "off": {"value": "off"},
            "upper_false": {"value": "FALSE"},
            "zero": {"value": "0"},
            "disconnections_off": {"configurationName": "log_disconnections", "value": "Off"},
            "pg18_empty_list": {"value": ""},
            "pg18_without_authorization": {"value": "receipt,authentication"},
            "name_upper": {"configurationName": "LOG_CONNECTIONS", "value": "no"},
        },
        compliant={
            "upper_on": {"value": "ON"},
            "pg18_list": {"value": "receipt, authorization"},
            "pg18_all": {"value": "all"},
            "other_parameter": {"configurationName": "log_checkpoints", "value": "off"},
        },
        other_type=SERVER,
    ),
    # Existing credential rules, now also on managed identities' credentials.
    RuleCase(
        rule="azuread-federated-credential-github-issuer",
        type=MI_FIC,
        baseline=MI_FIC_OK,
        violations={"other_issuer": {"issuer": "https://gitlab.com"}},
        other_type="azure-native:managedidentity:UserAssignedIdentity",
    ),
    RuleCase(
        rule="azuread-federated-credential-exchange-audience",
        type=MI_FIC,
        baseline=MI_FIC_OK,
        violations={"extra": {"audiences": [AUDIENCE, "api://other"]}},
        other_type="azure-native:managedidentity:UserAssignedIdentity",
    ),
    RuleCase(
        rule="azuread-federated-credential-scoped-subject",
        type=MI_FIC,
        baseline=MI_FIC_OK,
        violations={
            "pull_request": {"subject": "repo:contoso/db-access:pull_request"},
            "wildcard": {"subject": "repo:contoso/*"},
        },
        compliant={"branch": {"subject": "repo:contoso/db-access:ref:refs/heads/main"}},
        other_type="azure-native:managedidentity:UserAssignedIdentity",
    ),
    # ... and on flexible credentials.
    RuleCase(
        rule="azuread-federated-credential-github-issuer",
        type=FLEXIBLE_FIC,
        baseline=FLEXIBLE_OK,
        violations={"trailing_slash": {"issuer": ISSUER + "/"}},
        other_type=APPLICATION,
    ),
    RuleCase(
        rule="azuread-federated-credential-exchange-audience",
        type=FLEXIBLE_FIC,
        baseline=FLEXIBLE_OK,
        violations={
            "other": {"audience": "api://other"},
            "unset": {"audience": DELETE},
            "wrong_case": {"audience": "api://azureadtokenexchange"},
        },
        other_type=APPLICATION,
    ),
    RuleCase(
        rule="azuread-federated-credential-scoped-claims-expression",
        type=FLEXIBLE_FIC,
        baseline=FLEXIBLE_OK,
        violations={
            "any_repository": {
                "claimsMatchingExpression": "claims['sub'] matches 'repo:contoso/*'"
            },
            "any_branch": {
                "claimsMatchingExpression": (
                    "claims['sub'] matches 'repo:contoso/db-access:ref:refs/heads/*'"
                )
            },
            "any_environment": {
                "claimsMatchingExpression": (
                    "claims['sub'] matches 'repo:contoso/db-access:environment:prod?'"
                )
            },
            "pull_request": {
                "claimsMatchingExpression": "claims['sub'] eq 'repo:contoso/db-access:pull_request'"
            },
            "only_workflow_pinned": {
                "claimsMatchingExpression": (
                    "claims['job_workflow_ref'] eq "
                    "'contoso/db-access/.github/workflows/d.yml@refs/heads/main'"
                )
            },
            "or_widens": {
                "claimsMatchingExpression": (
                    "claims['sub'] eq 'repo:contoso/db-access:environment:production' or "
                    "claims['sub'] matches 'repo:*'"
                )
            },
            "trailing_garbage": {
                "claimsMatchingExpression": (
                    "claims['sub'] eq 'repo:contoso/db-access:environment:production' junk"
                )
            },
            "unset": {"claimsMatchingExpression": DELETE},
        },
        compliant={
            "eq_only": {
                "claimsMatchingExpression": (
                    "claims['sub'] eq 'repo:contoso/db-access:ref:refs/heads/main'"
                )
            },
            "matches_without_wildcard": {
                "claimsMatchingExpression": (
                    "claims['sub'] matches 'repo:contoso/db-access:environment:production'"
                )
            },
        },
        other_type=FIC,
    ),
)
