"""azuread-federated-credential-exchange-audience: audiences are exactly api://AzureADTokenExchange.

The documented audience for Entra token exchange; any extra audience widens which tokens the
credential accepts.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_list, get
from .._rule import resource_rule
from .._tokens import AAD_FEDERATED_CREDENTIAL

NAME = "azuread-federated-credential-exchange-audience"
AUDIENCE: Final = "api://AzureADTokenExchange"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports audiences other than exactly [api://AzureADTokenExchange]."""
    audiences = as_list(get(args.props, "audiences"), ["audiences"])
    if audiences != [AUDIENCE]:
        report_violation(
            f"Federated credential '{args.name}' has audiences {audiences!r}. Set "
            f"audiences=[{AUDIENCE!r}].",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=f"Federated identity credentials must have audiences exactly ['{AUDIENCE}'].",
    resource_types=(AAD_FEDERATED_CREDENTIAL,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["entra", "workload-identity", "ci"],
    remediation_steps=f"Set audiences=['{AUDIENCE}'].",
    url="https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust",
)
