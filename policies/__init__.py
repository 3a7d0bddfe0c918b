"""The entra-postgres CrossGuard policy pack.

This directory is both a Pulumi policy pack (`PulumiPolicy.yaml`, `__main__.py`; run it with
`pulumi preview --policy-pack policies`) and an importable package shipped in the wheel as
`entra_pg.policies` (served under that name in a checkout too, see `entra_pg/__init__.py`):
`registry.ALL_POLICIES` lists every rule, one rule per module under `rules`. The modules
import each other relatively, so the pack also runs from a folder of any name.

Importing this package is cheap and has no side effects; only `policies/__main__.py` starts
the analyzer (the `PolicyPack` constructor serves gRPC and never returns).
"""

PACK_NAME = "entra-postgres"
"""The policy pack's name, as `GetAnalyzerInfo` reports it."""

__all__ = ["PACK_NAME"]
