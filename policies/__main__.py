"""Entry point of the policy pack: builds the `PolicyPack`, whose constructor serves the
analyzer over gRPC, prints its port and never returns.

The engine starts a Python pack as `python -u -m pulumi.policy <engine-address> .` with the pack
directory as working directory; `pulumi.policy` then runs this file with `runpy.run_path`, so
`sys.path[0]` is the pack directory itself and the package is not importable by name (it is
`entra_pg.policies` when installed, the folder `policies/` in a checkout). A published pack is
also unpacked into a folder of another name
(`~/.pulumi/policies/<org>/pulumi-analyzer-entra-postgres-v<version>/`). So this file loads
its own directory as a package of a private name (the modules import each other
relatively): the pack that runs is always the code next to this file, even when another
copy of the project, or anything called `policies`, is importable.
"""

import importlib
import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

_PACK_DIR = Path(__file__).resolve().parent
_PACKAGE = "_entra_postgres_policy_pack"
_spec = spec_from_file_location(
    _PACKAGE, _PACK_DIR / "__init__.py", submodule_search_locations=[str(_PACK_DIR)]
)
if _spec is None or _spec.loader is None:  # pragma: no cover - the file is right here
    raise SystemExit(f"cannot load the policy pack from {_PACK_DIR}")
_package = module_from_spec(_spec)
sys.modules[_PACKAGE] = _package
_spec.loader.exec_module(_package)
_registry = importlib.import_module(f"{_PACKAGE}.registry")
# Before the server starts: one properties conversion per message, not one per policy
# (guarded; `_convertonce` says why it is safe and when it stays off).
importlib.import_module(f"{_PACKAGE}._convertonce").install()

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402  (after the package above)

PolicyPack(
    name=_package.PACK_NAME,
    policies=_registry.ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description=_registry.POLICY_PACK_DESCRIPTION,
    display_name="entra-postgres access guardrails",
    provider="azure",
    tags=["postgresql", "azure", "entra", "least-privilege"],
)
