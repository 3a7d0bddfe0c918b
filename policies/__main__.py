"""Entry point of the policy pack: builds the `PolicyPack`, whose constructor serves the
analyzer over gRPC, prints its port and never returns.

The engine starts a Python pack as `python -u -m pulumi.policy <engine-address> .` with the pack
directory as working directory; `pulumi.policy` then runs this file with `runpy.run_path`, so
`sys.path[0]` is the pack directory itself and the `policies` package (this directory) is not
importable by name. Putting the pack directory's parent first on `sys.path` makes
`policies.*` resolve to the code next to this file, even when another copy of the package is
installed in the environment (the pack that runs must be the pack that was pointed at).
"""

import sys
from importlib.util import find_spec
from pathlib import Path

_PACK_DIR = Path(__file__).resolve().parent
_spec = find_spec("policies")
if _spec is None or _spec.origin is None or Path(_spec.origin).resolve().parent != _PACK_DIR:
    sys.path.insert(0, str(_PACK_DIR.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402  (needs the path above)

from policies import PACK_NAME  # noqa: E402
from policies.registry import ALL_POLICIES, POLICY_PACK_DESCRIPTION  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description=POLICY_PACK_DESCRIPTION,
    display_name="entra-postgres access guardrails",
    provider="azure",
    tags=["postgresql", "azure", "entra", "least-privilege"],
)
