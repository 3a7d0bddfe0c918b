"""postgresql-provider-no-superuser: the postgresql provider is told it is not a superuser.

The provider's `superuser` flag defaults to true; on Azure no customer login is a superuser,
and with the flag left true the provider reads `pg_shadow` and fails for login roles. Unset
counts as true.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, get
from .._rule import resource_rule
from .._tokens import PG_PROVIDER

NAME = "postgresql-provider-no-superuser"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a provider whose superuser flag is not explicitly false."""
    value = get(args.props, "superuser")
    if as_bool(value) is not False:
        state = "is not set (it defaults to true)" if value is None else f"is {value!r}"
        report_violation(
            f"PostgreSQL provider '{args.name}': superuser {state}. Set superuser=False.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The postgresql provider must be configured with superuser=false.",
    resource_types=(PG_PROVIDER,),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["postgresql", "provider", "least-privilege"],
    remediation_steps="Set `superuser=False` on the postgresql provider.",
    url="https://registry.terraform.io/providers/cyrilgdn/postgresql/latest/docs",
)
