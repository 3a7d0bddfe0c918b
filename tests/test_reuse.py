"""Reuse by other stacks: the wheel, the consumer example, and the publishable policy pack."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from entra_pg.mockrun import PlanRun, run_program
from entra_pg.policycheck import PolicyPackClient, PolicyPackStartError

ROOT = Path(__file__).resolve().parents[1]
CONSUMER = ROOT / "examples" / "consumer"


def project_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


# --------------------------------------------------------------------------- the wheel


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel --no-deps` of a copy of the sources (the build leaves nothing in the tree)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("entra_pg", "components", "policies"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", ".", "-w", str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def wheel(wheel_path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(wheel_path)


def test_wheel_is_versioned_from_pyproject(wheel: zipfile.ZipFile) -> None:
    assert Path(str(wheel.filename)).name == f"entra_postgres-{project_version()}-py3-none-any.whl"
    metadata = wheel.read(f"entra_postgres-{project_version()}.dist-info/METADATA").decode()
    assert f"Version: {project_version()}" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    assert "Project-URL: Repository, https://github.com/" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert f"entra_postgres-{project_version()}.dist-info/licenses/LICENSE" in wheel.namelist()
    entry_points = wheel.read(
        f"entra_postgres-{project_version()}.dist-info/entry_points.txt"
    ).decode()
    assert "entra-pg = entra_pg.cli:entry" in entry_points


@pytest.mark.parametrize(
    "member",
    [
        "entra_pg/components/__init__.py",
        "entra_pg/components/database_access.py",
        "entra_pg/components/__main__.py",
        "entra_pg/components/py.typed",
        "entra_pg/py.typed",
        "entra_pg/model/expand.py",
        "entra_pg/diff/cli.py",
        "entra_pg/policies/py.typed",
        "entra_pg/policies/__main__.py",
        "entra_pg/policies/PulumiPolicy.yaml",
        "entra_pg/policies/README.md",
        "entra_pg/policies/requirements.txt",
        "entra_pg/policies/config/local.json",
        "entra_pg/policies/registry.py",
    ],
)
def test_wheel_carries_components_policies_and_tool(wheel: zipfile.ZipFile, member: str) -> None:
    assert member in wheel.namelist()


def test_wheel_carries_every_policy_config_and_rule(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for path in [
        *(ROOT / "policies" / "config").glob("*.json"),
        *(ROOT / "policies" / "rules").glob("*.py"),
    ]:
        assert f"entra_pg/{path.relative_to(ROOT).as_posix()}" in names


def test_wheel_installs_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    """A consumer's own top-level `components` or `policies` cannot collide with ours."""
    top = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"entra_pg"}
    (top_level,) = [n for n in wheel.namelist() if n.endswith(".dist-info/top_level.txt")]
    assert wheel.read(top_level).decode().split() == ["entra_pg"]


def test_wheel_has_no_plugin_manifest_pointing_outside_it(wheel: zipfile.ZipFile) -> None:
    """components/PulumiPlugin.yaml names the checkout's virtualenv (`../.venv`), which does not
    exist beside site-packages: the installed copy is a Python package, not a plugin folder
    (`pulumi package add` takes a checkout or a git URL; README "Reuse")."""
    assert not [n for n in wheel.namelist() if n.endswith("PulumiPlugin.yaml")]


def test_wheel_has_no_tests_or_stack_files(wheel: zipfile.ZipFile) -> None:
    assert not [n for n in wheel.namelist() if n.startswith(("tests/", "examples/", "Pulumi."))]


# --------------------------------------------------------------------------- consumer example


@pytest.fixture(scope="module")
def consumer() -> PlanRun:
    return run_program(CONSUMER, "dev")


def test_consumer_example_is_a_complete_project() -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "README.md"):
        assert (CONSUMER / name).is_file(), name
    project = yaml.safe_load((CONSUMER / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"


def test_consumer_declares_no_azure_or_entra_resource(consumer: PlanRun) -> None:
    packages = {r.type.split(":", 1)[0] for r in consumer.resources if r.custom}
    assert packages == {"postgresql", "pulumi"}  # pulumi: the postgresql provider resource
    assert {r.type for r in consumer.resources if not r.custom} == {"entrapg:index:DatabaseAccess"}


def test_consumer_adds_the_database_and_its_readers(consumer: PlanRun) -> None:
    by_type: dict[str, list[dict[str, object]]] = {}
    for r in consumer.resources:
        by_type.setdefault(r.type.rsplit(":", 1)[-1], []).append(dict(r.inputs))
    (database,) = by_type["Database"]
    # The database belongs to the admin the provider connects as, as on Azure (the owner
    # role owns its schemas and objects): the admin can then grant on it without a
    # standing membership in the owner role.
    config = yaml.safe_load((CONSUMER / "Pulumi.dev.yaml").read_text())["config"]
    admin = config["entra-postgres-consumer:server"]["adminGroup"]
    assert (database["name"], database["owner"]) == ("analytics", admin)
    assert {(s["database"], s["name"], s["owner"]) for s in by_type["Schema"]} == {
        ("analytics", "events", "analytics_owner"),
        ("analytics", "daily", "analytics_owner"),
    }
    logins = {r["name"] for r in by_type["Role"] if r["login"]}
    assert logins == {"analytics-readers", "bi-dashboards"}
    assert all(not r["superuser"] for r in by_type["Role"])
    labels = {(lb["objectName"], lb["label"]) for lb in by_type["SecurityLabel"]}
    assert labels == {
        ("analytics-readers", "aadauth,oid=5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b,type=group"),
        ("bi-dashboards", "aadauth,oid=8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f,type=service"),
    }
    # Each LOGIN role owns its memberships (`Role.roles`, authoritative): no GrantRole.
    assert "GrantRole" not in by_type
    memberships = {(r["name"], m) for r in by_type["Role"] for m in r.get("roles") or ()}
    for reader in ("analytics-readers", "bi-dashboards"):
        assert {(reader, "analytics_events_read"), (reader, "analytics_daily_read")} <= memberships
        assert not [m for m in memberships if m[0] == reader and not m[1].endswith("_read")]
    grants = {
        (g["role"], g.get("schema"), g["objectType"]): g["privileges"] for g in by_type["Grant"]
    }
    assert grants[("analytics_events_read", "events", "table")] == ["SELECT"]
    assert grants[("public", None, "database")] == []  # PUBLIC loses CONNECT
    (provider,) = by_type["postgresql"]
    assert provider["host"] == "contoso-orders-dev.postgres.database.azure.com"
    assert provider["username"] == "pg-orders-dev-admins"
    # A provider's inputs reach the engine as strings.
    assert (provider["azureIdentityAuth"], provider["superuser"], provider["sslmode"]) == (
        "true",
        "false",
        "require",
    )
    assert consumer.outputs["logins"] == ["analytics-readers", "bi-dashboards"]


def test_a_checkout_serves_its_own_folders_ahead_of_an_installed_copy(tmp_path: Path) -> None:
    """`entra-pg diff` plans the base revision from a temporary checkout while this worktree
    is installed (editable) in the same environment: `entra_pg.components` and
    `entra_pg.policies` must come from the folders beside the `entra_pg` that was imported."""
    copy = tmp_path / "base"
    ignore = shutil.ignore_patterns("__pycache__", "venv")
    for name in ("entra_pg", "components", "policies"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    probe = (
        "import json, sys, entra_pg\n"
        "light = 'pulumi' not in sys.modules\n"
        "import entra_pg.components as c, entra_pg.policies.registry as r\n"
        "print(json.dumps([c.__file__, r.__file__, light]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    components, registry, light = json.loads(result.stdout)
    assert Path(components) == copy / "components" / "__init__.py"
    assert Path(registry) == copy / "policies" / "registry.py"
    assert light, "importing entra_pg must not import pulumi"


# --------------------------------------------------------------------------- installed wheel

# Run inside the temporary virtualenv: the consumer stack under the SDK's mock monitor, and
# the policy pack started from its installed location. Prints where each package came from.
_INSTALLED_PROBE = """
import json, sys
from pathlib import Path
import entra_pg.components
import entra_pg.components.__main__ as plugin
from entra_pg.mockrun import run_program
from entra_pg.policycheck import PolicyPackClient, default_pack_dir

run = run_program(Path(sys.argv[1]), "dev")
components = sys.modules["components"]  # the consumer's own, imported by its program
with PolicyPackClient(default_pack_dir(), startup_timeout=60) as client:
    rules = len(client.info())
print(json.dumps({
    "consumer_components": components.__file__,
    "entra_pg_components": entra_pg.components.__file__,
    "pack_dir": str(default_pack_dir()),
    "types": sorted({r.type for r in run.resources}),
    "logins": run.outputs["logins"],
    "rules": rules,
    "plugin_import_root": str(plugin._import_root(Path(plugin.__file__))),
    "plugin_components": [c.__name__ for c in plugin.components()],
    "plugin_version": plugin.version(),
}))
"""


@pytest.fixture(scope="module")
def installed_venv(wheel_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed (`--no-deps`).

    Its dependencies (pulumi, the providers, psycopg...) come from this test run's own
    environment through a `.pth` line: installing them again would take minutes and tests
    nothing about the wheel. A path line in a `.pth` file adds a directory without running
    the `.pth` files in it, so the editable install of this checkout stays invisible there.
    """
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            purelib,
            str(wheel_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (Path(purelib) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_consumer_with_its_own_components_package_uses_the_installed_wheel(
    installed_venv: Path, tmp_path: Path
) -> None:
    """The consumer example has a top-level `components/` of its own (a common Pulumi
    layout): run from a copy outside this checkout with the installed wheel, both packages
    import side by side and the stack plans."""
    project = tmp_path / "consumer"
    shutil.copytree(CONSUMER, project, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    assert (project / "components" / "__init__.py").is_file()
    result = subprocess.run(
        # -I: no PYTHONPATH, no current directory on sys.path; only the venv.
        [installed_venv / "bin" / "python", "-I", "-c", _INSTALLED_PROBE, str(project)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    site = str(installed_venv)
    assert Path(found["consumer_components"]).parent == project / "components"
    assert found["entra_pg_components"].startswith(site), found
    assert Path(found["pack_dir"]) == Path(found["entra_pg_components"]).parents[1] / "policies"
    assert "entrapg:index:DatabaseAccess" in found["types"]
    assert found["logins"] == ["analytics-readers", "bi-dashboards"]
    assert found["rules"] > 20
    # `python <installed>/entra_pg/components` would import entra_pg from site-packages.
    assert Path(found["plugin_import_root"]) == Path(found["entra_pg_components"]).parents[2]
    assert found["plugin_components"] == ["EntraAccess", "FlexibleServer", "DatabaseAccess"]
    assert found["plugin_version"] == project_version()


# --------------------------------------------------------------------------- the policy pack


def test_policy_pack_version_is_the_package_version() -> None:
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert str(manifest["version"]) == project_version()


def test_policy_pack_names_its_virtualenv_and_requirements_cover_its_imports() -> None:
    """With `virtualenv` set, Pulumi runs the pack with that venv's python, resolved against
    the pack directory (sdk/python/toolchain/pip.go, resolveVirtualEnvironmentPath), and
    `pulumi install` in policies/ creates it and installs requirements.txt (same file,
    InstallDependencies). So every third-party module the pack imports must come from a
    distribution requirements.txt names."""
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    requirements = {
        canonicalize_name(Requirement(line).name)
        for line in (ROOT / "policies" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    imported: set[str] = set()
    for path in (ROOT / "policies").rglob("*.py"):
        if "venv" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__"}
    providers = metadata.packages_distributions()
    needed = {canonicalize_name(providers[name][0]) for name in third_party}
    assert needed, "the pack imports pulumi_policy at least"
    assert needed <= requirements, f"imported but not in requirements.txt: {needed - requirements}"


def test_policy_pack_starts_with_the_python_of_its_virtualenv(tmp_path: Path) -> None:
    """The engine's view: a copy of the pack with its `venv` beside it, started with that
    venv's interpreter. (The venv takes its packages from this test run's environment via a
    `.pth` line instead of a real `pip install -r requirements.txt`: the previous test checks
    the requirements, and a real install takes minutes.)"""
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    manifest = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())
    venv = pack / manifest["runtime"]["options"]["virtualenv"]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    with PolicyPackClient(pack, python=str(python), startup_timeout=60) as client:
        assert client.pack_version == project_version()
        assert len(client.info()) > 20


def test_published_policy_pack_starts_from_its_install_directory(tmp_path: Path) -> None:
    """`pulumi policy publish` uploads the pack directory; the engine unpacks it as
    `~/.pulumi/policies/<org>/pulumi-analyzer-<name>-v<version>/` and starts it there. The
    copy must run on its own: a `policies` package that the test puts first on PYTHONPATH
    fails loudly if the pack imports anything but its own files."""
    installed = tmp_path / "contoso" / f"pulumi-analyzer-entra-postgres-v{project_version()}"
    shutil.copytree(ROOT / "policies", installed, ignore=shutil.ignore_patterns("__pycache__"))
    shadow = tmp_path / "shadow" / "policies"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ImportError("the published pack imported another copy of `policies`")\n'
    )
    client = PolicyPackClient(installed, env={"PYTHONPATH": str(shadow.parent)}, startup_timeout=60)
    try:
        client.start()
    except PolicyPackStartError as error:
        pytest.fail(f"the published pack does not start from its own directory: {error}")
    try:
        assert client.pack_version == project_version()
        assert len(client.info()) > 20
    finally:
        client.stop()
