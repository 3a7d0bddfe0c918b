"""Serve the public components to every Pulumi language (`pulumi package add ./components`).

The Pulumi CLI runs this file as the plugin's entry point (`python <plugin dir> <args>`, see
`PulumiPlugin.yaml`); `component_provider_host` then infers the package schema `entrapg`
from the components' type annotations and docstrings, answers `GetSchema`, and constructs
`EntraAccess`, `FlexibleServer` and `DatabaseAccess` on behalf of programs in any language.

Run as a script, it imports the package by its installed name, `entra_pg.components`, from
the checkout it lives in (or from the installation that holds it), and starts the host there.
Importing this module does nothing: the host starts only when it runs as `__main__`.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Final

import pulumi

PACKAGE: Final = "entrapg"
_SOURCE_ROOT: Final = Path(__file__).resolve().parent.parent


def version() -> str:
    """The project's version: `pyproject.toml` next to this checkout, else the installed
    distribution's, else 0.0.0 (what the host would default to)."""
    pyproject = _SOURCE_ROOT / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if isinstance(project.get("version"), str):
            return str(project["version"])
    try:
        return metadata.version("entra-postgres")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def components() -> list[type[pulumi.ComponentResource]]:
    """The public components, in schema order."""
    from . import DatabaseAccess, EntraAccess, FlexibleServer

    return [EntraAccess, FlexibleServer, DatabaseAccess]


def main() -> None:
    """Start the provider host (blocks; serves gRPC to the engine)."""
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(components(), name=PACKAGE, version=version())


def _import_root(here: Path) -> Path:
    """The directory that holds `entra_pg/`: the checkout (`components/` beside `entra_pg/`) or
    the site-packages of an installation (`entra_pg/components/`)."""
    for directory in here.parents:
        if (directory / "entra_pg" / "__init__.py").is_file():
            return directory
    raise SystemExit(f"entra-postgres: no entra_pg package found above {here}")


if __name__ == "__main__":
    if __package__:
        main()
    else:
        # Run as `python <plugin dir>`: the directory itself is on sys.path, not its parent,
        # and relative imports do not work in a script. Import the package by its name from
        # the checkout or installation this file belongs to, and start the host from there.
        sys.path.insert(0, str(_import_root(Path(__file__).resolve())))
        importlib.import_module("entra_pg.components.__main__").main()
