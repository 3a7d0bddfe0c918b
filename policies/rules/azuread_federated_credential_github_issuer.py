"""azuread-federated-credential-github-issuer: federated credentials trust GitHub's issuer.

The pipeline logs in with GitHub Actions OIDC; the only issuer this project trusts is exactly
`https://token.actions.githubusercontent.com` (https, no trailing slash: Entra compares it to
the token's `iss` claim as a string). Judges the application's federated credentials (plain
and flexible) and a user-assigned managed identity's (`azure-native:managedidentity:
FederatedIdentityCredential`, any API version); a managed identity trusting another issuer
(an AKS cluster's, say) is exempted with its reason.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AAD_FLEXIBLE_FEDERATED_CREDENTIAL, FEDERATED_CREDENTIAL_TYPES

NAME = "azuread-federated-credential-github-issuer"
GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports any issuer other than GitHub Actions' exact issuer URL."""
    issuer = as_str(get(args.props, "issuer"))
    if issuer != GITHUB_ISSUER:
        report_violation(
            f"Federated credential '{args.name}' trusts issuer {issuer!r}. Set "
            f"issuer={GITHUB_ISSUER!r}.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=f"Federated identity credentials must trust exactly {GITHUB_ISSUER}.",
    resource_types=(*FEDERATED_CREDENTIAL_TYPES, AAD_FLEXIBLE_FEDERATED_CREDENTIAL),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["entra", "workload-identity", "ci"],
    remediation_steps=f"Set issuer='{GITHUB_ISSUER}'.",
    url="https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust",
)
