"""entra_pg/lazyexports.py and the packages that use it (audit, model, model.config, plan).

Each package's names all resolve, to the objects their modules define; a name loads its
module only when used; a name that is also a submodule's name (`expand`, `compare`) stays
the function even after the submodule was imported on its own; an unknown name is an
AttributeError. Checked in fresh interpreters, where nothing is imported yet.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["entra_pg.audit", "entra_pg.model", "entra_pg.model.config", "entra_pg.plan"]


def _fresh(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_resolves_to_what_its_module_defines(name: str) -> None:
    package = importlib.import_module(name)
    assert sorted(dir(package)) == sorted(package.__all__)
    for export in package.__all__:
        value = getattr(package, export)
        assert value is not None
        defined = getattr(value, "__module__", None)
        if defined is not None and defined.startswith(name + "."):
            assert getattr(sys.modules[defined], getattr(value, "__name__", export)) is value
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = package.no_such_name


def test_a_name_loads_only_its_own_module() -> None:
    loaded = _fresh(
        "import json, sys\n"
        "from entra_pg.model import fold\n"
        "import entra_pg.audit\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('entra_pg'))))"
    )
    assert loaded == [
        "entra_pg",
        "entra_pg.audit",
        "entra_pg.lazyexports",
        "entra_pg.model",
        "entra_pg.model.identifiers",
    ]


def test_a_name_that_is_also_a_submodule_stays_the_name() -> None:
    kinds = _fresh(
        "import json, types\n"
        "import entra_pg.model.expand, entra_pg.audit.compare\n"
        "import entra_pg.model as model, entra_pg.audit as audit\n"
        "from entra_pg.model import expand\n"
        "print(json.dumps([type(model.expand).__name__, type(audit.compare).__name__,\n"
        "                  type(expand).__name__]))"
    )
    assert kinds == ["function", "function", "function"]
