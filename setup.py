"""Package layout for the wheel; every other piece of metadata is in pyproject.toml.

The repository keeps `components/` and `policies/` at the top (the layout Pulumi projects and
policy packs use), but a wheel that installed them as top-level `components` and `policies`
would collide with a consumer stack's own `components/` folder. So they are installed as
`entra_pg.components` and `entra_pg.policies`; in a checkout `entra_pg/__init__.py` serves the
same names from the top-level folders. The package list is computed, so a new subpackage
needs no edit here.
"""

from setuptools import find_namespace_packages, setup

NAMESPACED = ("components", "policies")


def _find(folder: str) -> list[str]:
    # Namespace-aware, as [tool.setuptools.packages.find] is: data-only folders such as
    # policies/config are packages too, so their files are package data.
    # policies/venv is the pack's own virtualenv (PulumiPolicy.yaml), never package content.
    return find_namespace_packages(
        include=[folder, f"{folder}.*"],
        exclude=["*__pycache__*", f"{folder}.venv", f"{folder}.venv.*"],
    )


packages = _find("entra_pg")
for folder in NAMESPACED:
    packages += [f"entra_pg.{name}" for name in _find(folder)]

setup(
    packages=packages,
    package_dir={f"entra_pg.{folder}": folder for folder in NAMESPACED},
)
