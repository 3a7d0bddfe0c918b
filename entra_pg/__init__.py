"""entra-postgres: identity-based access to Azure Database for PostgreSQL as code.

The reusable components and the policy pack are `entra_pg.components` and
`entra_pg.policies`. An installed wheel holds them inside this package (see setup.py). In a
checkout they are the top-level folders `components/` and `policies/` (the layout Pulumi
projects and policy packs use), and this module serves them under the same names, so code
imports one name whether it runs from a checkout, an editable install or the wheel.

Importing this package imports nothing else (the access model stays free of Pulumi).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

__version__ = "0.1.0"

_NAMESPACED = ("components", "policies")


class _CheckoutFinder:
    """Finds `entra_pg.components` and `entra_pg.policies` in the checkout next to this package.

    It goes first on `sys.meta_path`: a checkout's own folders must win over another copy of
    the project that is installed (an editable install of a different worktree, or the base
    revision that `entra-pg diff` plans from a temporary checkout of the same repository).
    """

    def __init__(self, packages: dict[str, Path]) -> None:
        self.packages = packages

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        folder = self.packages.get(fullname)
        if folder is None:
            return None
        return spec_from_file_location(
            fullname, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )


def _serve_checkout_folders() -> None:
    here = Path(__file__).resolve().parent
    packages = {
        f"{__name__}.{name}": here.parent / name
        for name in _NAMESPACED
        # Inside this package: an installed wheel, nothing to serve.
        if not (here / name).is_dir() and (here.parent / name / "__init__.py").is_file()
    }
    if packages:
        sys.meta_path.insert(0, _CheckoutFinder(packages))


_serve_checkout_folders()
