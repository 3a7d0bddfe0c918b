"""Package exports that load on first use (PEP 562), for packages the CLI imports early.

`entra-pg audit` forks its stack reader before it loads the PostgreSQL driver, and each of
its processes should load only the modules it uses: a package `__init__` that imported all
its modules would load them all for any one name. A package lists its names and their
modules instead; type checkers read the `if TYPE_CHECKING:` imports beside the list.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for `package`, whose names are `exports` (name -> its
    module, relative to the package: ".expand"). A name loads its module on first use and
    is then a plain attribute of the package.

    A name that is also its module's name (`expand` in `.expand`) stays the name: importing
    a submodule sets it on its package, which would hide the name behind the module; the
    package's class catches that and binds the name instead, as `from .expand import
    expand` in an eager `__init__` did."""
    shadowed = {name for name, module in exports.items() if module == f".{name}"}

    class LazyPackage(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in shadowed and isinstance(value, types.ModuleType):
                value = getattr(value, name)
            super().__setattr__(name, value)

    if shadowed:
        sys.modules[package].__class__ = LazyPackage

    def getattr_(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_
