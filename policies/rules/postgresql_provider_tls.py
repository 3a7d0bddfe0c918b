"""postgresql-provider-tls: the postgresql provider connects over TLS.

`sslmode` must be `require`, `verify-ca` or `verify-full`: the provider sends an access token
(or password) that must never cross the network in clear. Unset is a violation too, since the
effective mode then depends on the environment (PGSSLMODE) and the driver.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import PG_PROVIDER

NAME = "postgresql-provider-tls"
ACCEPTED: Final = ("require", "verify-ca", "verify-full")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a provider whose sslmode (or deprecated sslMode) is not an encrypting mode."""
    mode = as_str(get(args.props, "sslmode"))
    if mode is None:
        mode = as_str(get(args.props, "sslMode"))
    if mode is None or mode.strip().lower() not in ACCEPTED:
        state = "is not set" if mode is None else f"is {mode!r}"
        report_violation(
            f"PostgreSQL provider '{args.name}': sslmode {state}. Set sslmode to "
            "'verify-full' (or 'require' / 'verify-ca').",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The postgresql provider must use sslmode require, verify-ca or verify-full.",
    resource_types=(PG_PROVIDER,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "provider", "tls"],
    remediation_steps="Set `sslmode='verify-full'` (or 'require') on the postgresql provider.",
    url="https://www.postgresql.org/docs/current/libpq-ssl.html",
)
