"""azuread-federated-credential-exchange-audience: audiences are exactly api://AzureADTokenExchange.

The documented audience for Entra token exchange; any extra audience widens which tokens the
credential accepts. Judges the application's federated credentials (the flexible one has a
single `audience`) and user-assigned managed identities' (any API version).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_list, get
from .._rule import resource_rule
from .._tokens import (
    AAD_FLEXIBLE_FEDERATED_CREDENTIAL,
    FEDERATED_CREDENTIAL_TYPES,
    canonical_type,
)

NAME = "azuread-federated-credential-exchange-audience"
AUDIENCE: Final = "api://AzureADTokenExchange"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports audiences other than exactly [api://AzureADTokenExchange]."""
    # The flexible credential has one `audience` string instead of an `audiences` list.
    flexible = canonical_type(args.resource_type) == AAD_FLEXIBLE_FEDERATED_CREDENTIAL
    key = "audience" if flexible else "audiences"
    audiences = as_list(get(args.props, key), [key])
    if audiences != [AUDIENCE]:
        report_violation(
            f"Federated credential '{args.name}' has audiences {audiences!r}. Set "
            f"audiences=[{AUDIENCE!r}].",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=f"Federated identity credentials must have audiences exactly ['{AUDIENCE}'].",
    resource_types=(*FEDERATED_CREDENTIAL_TYPES, AAD_FLEXIBLE_FEDERATED_CREDENTIAL),
    validate=validate,
    severity=Severity.HIGH,
    tags=["entra", "workload-identity", "ci"],
    remediation_steps=f"Set audiences=['{AUDIENCE}'].",
    url="https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust",
)
