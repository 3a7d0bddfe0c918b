"""`entra-pg plan`: the stack loader, the mock runner and the command line.

Three layers, each tested on its own:
- `entra_pg.stack`: project and stack files read as the Pulumi engine reads them;
- `entra_pg.mockrun`: a throwaway program (written here) run under the recording monitor,
  to pin what is captured (camelCase inputs, parents, providers, dependencies, secrets,
  invokes) and that runs repeat in one process without leaking;
- `entra_pg.cli`: the real program and stacks of this repository, in-process through
  `main([...])` and once as a real subprocess, plus invalid configs that must end with exit
  code 2 and a message naming the config path, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.config import CONFIG

import entra_pg
from entra_pg import mockrun
from entra_pg.cli import main
from entra_pg.mockrun import PlanConfigError, PlanError, run_program
from entra_pg.model import ConfigError, expand, parse_stack_config
from entra_pg.resources import PlannedResource
from entra_pg.stack import SECRET_PLACEHOLDER, StackLoadError, load_stack

# --------------------------------------------------------------------------- helpers

TOY_PROJECT = """\
name: toy
runtime:
  name: python
config:
  greeting:
    type: string
    default: hello
  replicas:
    type: integer
    default: 2
"""

TOY_STACK = """\
config:
  azuread:tenantId: 11111111-2222-3333-4444-555555555555
  toy:db:
    schemas: [sales, billing]
    name: orders
    port: 5432
  toy:password:
    secure: v1:bm90LXJlYWxseS1lbmNyeXB0ZWQ=
  toy:version: 16
  toy:enabled: true
"""

# Every kind of thing the recorder must see: a component with children, an explicit
# provider, cross-resource references (dependencies), a secret, invokes, stack outputs.
TOY_PROGRAM = """\
import pulumi
import pulumi_azure_native as azure_native
import pulumi_azuread as azuread
import pulumi_postgresql as postgresql

config = pulumi.Config()
db = config.require_object("db")
password = config.require_secret("password")


class Directory(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("toy:index:Directory", name, None, opts)
        me = azuread.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        ana = azuread.get_user_output(user_principal_name="ana@contoso.com")
        child = pulumi.ResourceOptions(parent=self)
        app = azuread.Application(
            f"{name}-app",
            display_name="toy-app",
            owners=[me.object_id, ana.object_id],
            app_roles=[
                azuread.ApplicationAppRoleArgs(
                    id="00000000-0000-0000-0000-000000000001",
                    value="read",
                    display_name="read",
                    description="read",
                    allowed_member_types=["User"],
                )
            ],
            opts=child,
        )
        self.sp = azuread.ServicePrincipal(f"{name}-sp", client_id=app.client_id, opts=child)
        self.register_outputs({"spName": self.sp.display_name})


directory = Directory("dir")
server = azure_native.dbforpostgresql.Server(
    "server",
    server_name="toy-server",
    resource_group_name="rg-toy",
    storage=azure_native.dbforpostgresql.StorageArgs(storage_size_gb=32),
)
provider = postgresql.Provider(
    "pg",
    host=server.fully_qualified_domain_name,
    username=directory.sp.display_name,
    password=password,
    superuser=False,
    sslmode="require",
)
role = postgresql.Role(
    "reader", name="reader", login=False, opts=pulumi.ResourceOptions(provider=provider)
)
postgresql.Grant(
    "reader-tables",
    role=role.name,
    database=db["name"],
    schema=db["schemas"][0],
    object_type="table",
    privileges=["SELECT"],
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("fqdn", server.fully_qualified_domain_name)
pulumi.export("port", db["port"])
pulumi.export("greeting", config.get("greeting"))
pulumi.export("version", config.get("version"))
"""


def write_project(
    directory: Path, *, project: str = TOY_PROJECT, stacks: dict[str, str] | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(project)
    for name, text in (stacks if stacks is not None else {"dev": TOY_STACK}).items():
        (directory / f"Pulumi.{name}.yaml").write_text(text)
    return directory


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = write_project(tmp_path / "toy")
    (project / "__main__.py").write_text(TOY_PROGRAM)
    return project


def by_name(resources: tuple[PlannedResource, ...], name: str) -> PlannedResource:
    matches = [r for r in resources if r.name == name]
    assert len(matches) == 1, f"expected one resource named {name!r}"
    return matches[0]


# --------------------------------------------------------------------------- stack loader


def test_config_reaches_the_program_as_the_engine_passes_it(toy: Path):
    files = load_stack(toy, "dev")
    config = files.engine_config()
    # Scalars keep their YAML text; structures become compact JSON with sorted keys.
    assert config["toy:version"] == "16"
    assert config["toy:enabled"] == "true"
    assert config["toy:db"] == '{"name":"orders","port":5432,"schemas":["sales","billing"]}'
    # Project defaults fill what the stack does not set; other namespaces pass through.
    assert config["toy:greeting"] == "hello"
    assert config["toy:replicas"] == "2"
    assert config["azuread:tenantId"] == "11111111-2222-3333-4444-555555555555"
    # Encrypted values cannot be decrypted offline: a marked placeholder, still secret.
    assert config["toy:password"] == SECRET_PLACEHOLDER
    assert files.secret_keys() == ["toy:password"]
    assert files.namespace()["db"] == {
        "name": "orders",
        "port": 5432,
        "schemas": ["sales", "billing"],
    }


def test_stack_keys_without_namespace_belong_to_the_project(tmp_path: Path):
    project = write_project(tmp_path, stacks={"dev": "config:\n  greeting: hi\n"})
    (project / "__main__.py").write_text("")
    assert load_stack(project, "dev").engine_config()["toy:greeting"] == "hi"


def test_yaml_one_one_booleans_stay_text(tmp_path: Path):
    # Pulumi reads YAML 1.2: `yes` is a string, not true.
    stack = "config:\n  toy:flags:\n    groupSync: yes\n    publicAccess: false\n"
    project = write_project(tmp_path, stacks={"dev": stack})
    (project / "__main__.py").write_text("")
    assert load_stack(project, "dev").namespace()["flags"] == {
        "groupSync": "yes",
        "publicAccess": False,
    }


def test_unknown_stack_lists_the_stacks_that_exist(toy: Path):
    (toy / "Pulumi.prod.yaml").write_text("config: {}\n")
    with pytest.raises(StackLoadError) as caught:
        load_stack(toy, "staging")
    message = caught.value.render()
    assert "unknown stack 'staging'" in message
    assert "dev, prod" in message


@pytest.mark.parametrize(
    ("project", "fragment"),
    [
        pytest.param(
            TOY_PROJECT + "  settings:\n    type: map\n",
            "config.settings.type: 'map' is not a config type",
            id="unknown-type",
        ),
        pytest.param(
            TOY_PROJECT + "  items:\n    type: array\n    items:\n      type: dict\n",
            "config.items.items.type: 'dict' is not a config type",
            id="array-of-unknown-type",
        ),
        pytest.param(
            TOY_PROJECT + "  names:\n    type: array\n",
            "declares an array but does not give the item type",
            id="array-without-items",
        ),
        pytest.param(
            TOY_PROJECT + "  aws:region:\n    default: eu-west-1\n",
            "should not define a default",
            id="foreign-default",
        ),
    ],
)
def test_project_declarations_pulumi_rejects_are_refused(
    tmp_path: Path, project: str, fragment: str
):
    write_project(tmp_path, project=project)
    (tmp_path / "__main__.py").write_text("")
    with pytest.raises(StackLoadError) as caught:
        load_stack(tmp_path, "dev")
    assert "Pulumi.yaml" in caught.value.render()
    assert fragment in caught.value.render()


@pytest.mark.parametrize(
    ("extra_project", "stack", "path", "fragment"),
    [
        pytest.param(
            "  region:\n    type: string\n",
            "config: {}\n",
            "toy:region",
            "Stack 'dev' is missing configuration value 'region'",
            id="required-key-missing",
        ),
        pytest.param(
            "",
            "config:\n  toy:replicas: many\n",
            "toy:replicas",
            "must be of type 'integer'",
            id="wrong-type",
        ),
        pytest.param(
            "  token:\n    type: string\n    secret: true\n",
            "config:\n  toy:token: plain-text\n",
            "toy:token",
            "must be encrypted as it's secret",
            id="secret-in-clear",
        ),
    ],
)
def test_config_the_engine_refuses_is_a_config_error(
    tmp_path: Path, extra_project: str, stack: str, path: str, fragment: str
):
    write_project(tmp_path, project=TOY_PROJECT + extra_project, stacks={"dev": stack})
    (tmp_path / "__main__.py").write_text("")
    with pytest.raises(ConfigError) as caught:
        load_stack(tmp_path, "dev")
    (issue,) = caught.value.issues
    assert issue.path == path
    assert fragment in issue.message


@pytest.mark.parametrize(
    ("stack", "fragment"),
    [
        pytest.param("config:\n  toy:a: [1, 2\n", "line 3", id="unclosed-list"),
        pytest.param("config:\n  toy:a: 1\n  toy:a: 2\n", "duplicate key 'toy:a'", id="dup"),
        pytest.param("config: [1, 2]\n", "config: is not a mapping", id="config-list"),
    ],
)
def test_broken_stack_files_name_the_file_and_the_line(tmp_path: Path, stack: str, fragment: str):
    write_project(tmp_path, stacks={"dev": stack})
    (tmp_path / "__main__.py").write_text("")
    with pytest.raises(StackLoadError) as caught:
        load_stack(tmp_path, "dev")
    assert "Pulumi.dev.yaml" in caught.value.render()
    assert fragment in caught.value.render()


# --------------------------------------------------------------------------- mock runner


def test_wire_markers_match_the_sdk():
    assert rpc.UNKNOWN == mockrun.UNKNOWN
    assert rpc._special_sig_key == mockrun.SIG_KEY
    assert rpc._special_secret_sig == mockrun.SECRET_SIG
    assert rpc._special_resource_sig == mockrun.RESOURCE_SIG
    assert rpc._special_output_value_sig == mockrun.OUTPUT_VALUE_SIG
    assert rpc._special_asset_sig == mockrun.ASSET_SIG
    assert rpc._special_archive_sig == mockrun.ARCHIVE_SIG


def test_mockrun_records_what_the_engine_would_receive(toy: Path):
    run = run_program(toy, "dev")
    stack = "urn:pulumi:dev::toy::"

    assert run.stack_urn == f"{stack}pulumi:pulumi:Stack::toy-dev"
    assert {r.type for r in run.resources} == {
        "toy:index:Directory",
        "azuread:index/application:Application",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "azure-native:dbforpostgresql:Server",
        "pulumi:providers:postgresql",
        "postgresql:index/role:Role",
        "postgresql:index/grant:Grant",
    }

    # Parents: the component's children point at it; the stack's children have None.
    directory = by_name(run.resources, "dir")
    assert directory.custom is False
    assert directory.parent is None
    app = by_name(run.resources, "dir-app")
    assert app.parent == directory.urn
    assert app.urn == f"{stack}toy:index:Directory$azuread:index/application:Application::dir-app"
    # A component's outputs are what it registered.
    assert directory.outputs == {"spName": "toy-app"}

    # Inputs are camelCase as the provider schema names them; nested types too.
    assert app.inputs["displayName"] == "toy-app"
    assert app.inputs["appRoles"][0]["allowedMemberTypes"] == ["User"]
    server = by_name(run.resources, "server")
    assert server.inputs["storage"] == {"storageSizeGB": 32}
    assert server.inputs["serverName"] == "toy-server"

    # Explicit providers are resources; their users reference them by URN.
    provider = by_name(run.resources, "pg")
    assert provider.type == "pulumi:providers:postgresql"
    grant = by_name(run.resources, "reader-tables")
    role = by_name(run.resources, "reader")
    assert grant.provider == provider.urn
    assert server.provider is None
    # Provider config is JSON-encoded by bridged providers; secrets arrive unwrapped.
    assert provider.inputs["superuser"] == "false"
    assert provider.inputs["password"] == SECRET_PLACEHOLDER

    # Cloud-assigned values are placeholders, and references resolve through them.
    assert provider.inputs["host"] == "toy-server.postgres.database.azure.com"
    assert provider.inputs["username"] == "toy-app"  # the SP's name comes from its app
    assert grant.inputs["role"] == "reader"
    assert grant.inputs["schema"] == "sales"
    assert role.urn in grant.dependencies
    assert grant.property_dependencies["role"] == (role.urn,)
    assert server.urn in provider.dependencies

    # Invokes are recorded with their placeholder answers; the tenant comes from config.
    tokens = [i.token for i in run.invokes]
    assert "azuread:index/getClientConfig:getClientConfig" in tokens
    assert "azuread:index/getUser:getUser" in tokens
    config_answer = run.invokes[tokens.index("azuread:index/getClientConfig:getClientConfig")]
    assert config_answer.result["tenantId"] == "11111111-2222-3333-4444-555555555555"
    assert run.unanswered_invokes == ()

    assert run.outputs == {
        "fqdn": "toy-server.postgres.database.azure.com",
        "port": 5432,
        "greeting": "hello",
        "version": "16",
    }
    for resource in run.resources:
        assert PlannedResource.from_json(json.loads(json.dumps(resource.to_json()))) == resource


def test_mockrun_repeats_in_one_process_without_leaking(toy: Path, tmp_path: Path):
    other = write_project(
        tmp_path / "other",
        project="name: other\nruntime: python\n",
        stacks={"prod": "config:\n  other:n: '3'\n"},
    )
    (other / "__main__.py").write_text(
        "import pulumi\n"
        "cfg = pulumi.Config()\n"
        "assert cfg.get('db') is None  # nothing left over from the toy project\n"
        "pulumi.export('n', cfg.require_int('n'))\n"
    )
    root_before = sdk_settings.get_root_resource()
    config_before = dict(CONFIG.get())

    first = run_program(toy, "dev")
    middle = run_program(other, "prod")
    second = run_program(toy, "dev")

    assert [r.to_json() for r in first.resources] == [r.to_json() for r in second.resources]
    assert first.outputs == second.outputs
    assert middle.outputs == {"n": 3}
    assert middle.resources == ()
    # The caller's SDK state is untouched.
    assert sdk_settings.get_root_resource() is root_before
    assert dict(CONFIG.get()) == config_before


def test_run_program_can_run_another_file(toy: Path, tmp_path: Path):
    (toy / "__main__.py").unlink()
    other = tmp_path / "other.py"
    other.write_text("import pulumi\npulumi.export('who', 'other')\n")
    assert run_program(toy, "dev", program=other).outputs == {"who": "other"}
    with pytest.raises(StackLoadError, match="no program to run"):
        run_program(toy, "dev")


def failing_program(body: str) -> str:
    return "import pulumi\nfrom entra_pg.model import ConfigError, ConfigIssue\n\n" + body


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param(
            "raise ConfigError([ConfigIssue('toy:db.name', 'is bad', 'fix it')])\n",
            "toy:db.name",
            id="config-error",
        ),
        pytest.param(
            textwrap.dedent(
                """\
                class ProgramConfigError(pulumi.RunError):
                    def __init__(self, error):
                        self.config_error = error
                        super().__init__(error.render())

                raise ProgramConfigError(ConfigError([ConfigIssue('toy:x', 'no', 'yes')]))
                """
            ),
            "toy:x",
            id="run-error-carrying-config-error",
        ),
        pytest.param(
            "pulumi.Config().require('missing')\n", "toy:missing", id="pulumi-missing-config"
        ),
        pytest.param(
            "pulumi.Config().require_object('greeting')\n", "toy:greeting", id="pulumi-bad-type"
        ),
    ],
)
def test_config_failures_of_the_program_are_config_errors(toy: Path, body: str, path: str):
    (toy / "__main__.py").write_text(failing_program(body))
    with pytest.raises(PlanConfigError) as caught:
        run_program(toy, "dev")
    assert caught.value.config_error.issues[0].path == path
    assert path in caught.value.message


def test_program_failures_say_where_without_a_traceback(toy: Path):
    (toy / "__main__.py").write_text(
        "import pulumi\n\ndef build():\n    raise ValueError('no such server')\n\nbuild()\n"
    )
    with pytest.raises(PlanError) as caught:
        run_program(toy, "dev")
    assert not isinstance(caught.value, PlanConfigError)
    assert caught.value.message == (
        "the program failed: ValueError: no such server\n  at __main__.py:4 (build)"
    )
    assert "Traceback" in caught.value.details


def test_unknown_invokes_get_an_empty_answer_and_are_reported(toy: Path):
    (toy / "__main__.py").write_text(
        "import pulumi\n"
        "r = pulumi.runtime.invoke('azuread:index/getDomains:getDomains', {})\n"
        "pulumi.export('domains', r.value)\n"
    )
    run = run_program(toy, "dev")
    (invoke,) = run.unanswered_invokes
    assert invoke.token == "azuread:index/getDomains:getDomains"
    assert invoke.result == {}


def test_preview_unknowns_are_recorded_as_none(toy: Path):
    # An output the mocks do not assign stays unknown in a preview.
    (toy / "__main__.py").write_text(
        "import pulumi\n"
        "import pulumi_azure_native as azure_native\n"
        "server = azure_native.dbforpostgresql.Server('s', server_name='s', "
        "resource_group_name='rg')\n"
        "azure_native.resources.ResourceGroup('rg', tags={'minor': server.minor_version})\n"
    )
    run = run_program(toy, "dev")
    assert by_name(run.resources, "rg").inputs["tags"] == {"minor": None}


# --------------------------------------------------------------------------- command line


def plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_shows_resources_matrix_and_summary(
    project_root: Path, capsys: pytest.CaptureFixture[str]
):
    code, out, err = plan(capsys, "--stack", "dev", "-C", str(project_root), "--no-policies")
    assert code == 0, err
    config = parse_stack_config(load_stack(project_root, "dev").namespace())
    for principal in config.access:
        assert principal.name in out
    assert "Access matrix" in out
    assert "postgresql:Role" in out
    assert "azure-native:Server" in out
    assert "Policies were not checked." in out
    assert "Traceback" not in out + err


def test_plan_json_is_one_stable_document(project_root: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = plan(capsys, "--stack", "dev", "-C", str(project_root), "--json")
    assert code == 0, err
    document = json.loads(out)  # nothing but the document on stdout
    assert {"project", "stack", "resources", "access_matrix", "outputs", "summary"} <= set(document)
    assert (document["project"], document["stack"]) == ("entra-postgres", "dev")

    resources = [PlannedResource.from_json(r) for r in document["resources"]]
    assert [r.to_json() for r in resources] == document["resources"]
    assert [r.urn for r in resources] == sorted(r.urn for r in resources)
    urns = {r.urn for r in resources}
    providers = {r.urn for r in resources if r.type.startswith("pulumi:providers:")}
    for r in resources:
        assert r.parent is None or r.parent in urns
        assert r.provider is None or r.provider in providers
        assert set(r.dependencies) <= urns
    assert document["summary"]["resources"] == len(resources)
    assert sum(document["summary"]["by_type"].values()) == len(resources)

    expected = expand(parse_stack_config(load_stack(project_root, "dev").namespace()))
    assert document["access_matrix"] == [e.as_dict() for e in expected.matrix]

    # The policy pack ran, and the dev stack passes it.
    assert document["policies"]["checked"] is True
    assert not [v for v in document["policies"]["violations"] if v["mandatory"]]

    # Same config, same bytes.
    code, again, _ = plan(
        capsys, "--stack", "dev", "-C", str(project_root), "--json", "--no-policies"
    )
    assert code == 0
    document["policies"] = {"checked": False, "violations": []}
    document["summary"].pop("violations")
    document["summary"].pop("mandatory_violations")
    assert json.loads(again) == document


def test_plan_runs_as_a_command(project_root: Path):
    # The package need not be installed: put its source tree on the path.
    source = Path(entra_pg.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(project_root)])}
    result = subprocess.run(
        [sys.executable, "-m", "entra_pg", "plan", "--stack", "dev"],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Access matrix" in result.stdout
    assert "No policy violations." in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_mandatory_violations_exit_1_and_policy_config_relaxes_them(
    project_root: Path, capsys: pytest.CaptureFixture[str]
):
    # The local target has no Entra: the default pack blocks its unlabelled LOGIN roles and
    # password provider; the local policy config downgrades exactly those, with reasons.
    code, out, err = plan(capsys, "--stack", "local", "-C", str(project_root), "--json")
    assert code == 1
    mandatory = [v for v in json.loads(out)["policies"]["violations"] if v["mandatory"]]
    assert mandatory
    assert "mandatory policy violations" in err

    config = project_root / "policies" / "config" / "local.json"
    code, out, err = plan(
        capsys, "--stack", "local", "-C", str(project_root), "--policy-config", str(config)
    )
    assert code == 0, err
    assert "0 mandatory policy violations" in out


def test_invalid_policy_config_exits_2(
    project_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = tmp_path / "policy.json"
    config.write_text('{"no-such-policy": "mandatory"}')
    code, out, err = plan(
        capsys, "--stack", "local", "-C", str(project_root), "--policy-config", str(config)
    )
    assert code == 2
    assert out == ""
    assert "invalid policy config" in err
    assert "no-such-policy" in err


def dev_config(project_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())
    return data


def principal(config: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    access = config["config"]["entra-postgres:access"]
    index = next(i for i, p in enumerate(access) if p["name"] == name)
    return index, access[index]


def set_profile(config: dict[str, Any], who: str, profile: str) -> str:
    index, entry = principal(config, who)
    entry["grants"][0]["profile"] = profile
    return f"entra-postgres:access[{index}].grants[0].profile"


def set_database(config: dict[str, Any]) -> str:
    index, entry = principal(config, "orders-analysts")
    entry["grants"][0]["database"] = "billing"
    return f"entra-postgres:access[{index}].grants[0].database"


def set_server_name(config: dict[str, Any]) -> str:
    config["config"]["entra-postgres:server"]["name"] = "Orders_Dev"
    return "entra-postgres:server.name"


def add_typo_key(config: dict[str, Any]) -> str:
    config["config"]["entra-postgres:databse"] = [{"name": "x"}]
    return "entra-postgres:databse"


def set_user_name(config: dict[str, Any]) -> str:
    index, entry = principal(config, "dana@contoso.com")
    entry["name"] = "dana"
    return f"entra-postgres:access[{index}].name"


def set_wildcard_subject(config: dict[str, Any]) -> str:
    index, entry = principal(config, "orders-api")
    entry["federatedCredentials"][0]["subject"] = "repo:contoso/*"
    return f"entra-postgres:access[{index}].federatedCredentials[0].subject"


def set_databases_scalar(config: dict[str, Any]) -> str:
    config["config"]["entra-postgres:databases"] = "orders"
    return "entra-postgres:databases"


BAD_CONFIGS: list[Any] = [
    pytest.param(lambda c: set_profile(c, "orders-analysts", "admin"), "'admin'", id="profile"),
    pytest.param(lambda c: set_profile(c, "orders-analysts", "ddl"), "creates objects", id="ddl"),
    pytest.param(set_database, "not declared", id="database"),
    pytest.param(set_server_name, "not a valid Flexible Server name", id="server-name"),
    pytest.param(add_typo_key, "unknown config key", id="typo"),
    pytest.param(set_user_name, "not a user principal name", id="user-name"),
    pytest.param(set_wildcard_subject, "repo:contoso/*", id="wildcard-subject"),
    pytest.param(set_databases_scalar, "entra-postgres:databases", id="databases-scalar"),
]


@pytest.mark.parametrize(("mutate", "fragment"), BAD_CONFIGS)
def test_invalid_config_exits_2_naming_the_config_path(
    project_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mutate: Callable[[dict[str, Any]], str],
    fragment: str,
):
    shutil.copy(project_root / "Pulumi.yaml", tmp_path)
    shutil.copy(project_root / "__main__.py", tmp_path)
    config = dev_config(project_root)
    path = mutate(config)
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    code, out, err = plan(capsys, "--stack", "bad", "-C", str(tmp_path), "--no-policies")

    assert code == 2
    assert out == ""
    assert err.startswith("entra-pg: error: ")
    assert path in err
    assert fragment in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(toy: Path, capsys: pytest.CaptureFixture[str]):
    (toy / "__main__.py").write_text("raise RuntimeError('boom')\n")
    code, _, err = plan(capsys, "--stack", "dev", "-C", str(toy), "--debug")
    assert code == 1
    assert "Traceback" in err
    assert "entra-pg: error: the program failed: RuntimeError: boom" in err


def test_program_failure_exits_1_without_traceback(toy: Path, capsys: pytest.CaptureFixture[str]):
    (toy / "__main__.py").write_text("raise RuntimeError('boom')\n")
    code, out, err = plan(capsys, "--stack", "dev", "-C", str(toy), "--json")
    assert code == 1
    assert out == ""
    assert "RuntimeError: boom" in err
    assert "Traceback" not in err


def test_unknown_stack_exits_2_and_lists_stacks(
    project_root: Path, capsys: pytest.CaptureFixture[str]
):
    code, out, err = plan(capsys, "--stack", "nope", "-C", str(project_root))
    assert code == 2
    assert out == ""
    assert "unknown stack 'nope'" in err
    assert "dev" in err
    assert "local" in err
    assert "Traceback" not in err


def test_missing_project_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = plan(capsys, "-C", str(tmp_path))
    assert code == 2
    assert "has no Pulumi.yaml" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--no-such-option"])
    assert caught.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_program_output_does_not_corrupt_json(toy: Path, capsys: pytest.CaptureFixture[str]):
    (toy / "__main__.py").write_text("print('chatty program')\n")
    # The toy project's namespace is no entra-postgres config: the matrix step refuses it,
    # but only after the program ran and printed.
    code, out, err = plan(capsys, "--stack", "dev", "-C", str(toy), "--json", "--no-policies")
    assert "chatty program" in err
    assert "chatty program" not in out
    assert code == 2


# --------------------------------------------------------------------------- every subcommand


def subcommands() -> list[str]:
    from entra_pg.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


def test_version(capsys: pytest.CaptureFixture[str]):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"entra-pg {version('entra-postgres')}"


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_help_has_exit_codes_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    assert "exit codes:" in text
    codes = re.findall(r"^  (\d)  \S", text.split("exit codes:", 1)[1], re.MULTILINE)
    assert {"0", "1", "2"} <= set(codes)
    examples = text.split("examples:", 1)[1]
    assert re.search(rf"^  .*entra-pg {command}\b", examples, re.MULTILINE)


@pytest.mark.parametrize("command", subcommands())
def test_a_usage_error_shows_that_subcommands_usage(
    command: str, capsys: pytest.CaptureFixture[str]
):
    required = {"diff": ["--base", "HEAD"]}.get(command, [])  # its one required choice
    with pytest.raises(SystemExit) as caught:
        main([command, *required, "--bogus"])
    err = capsys.readouterr().err
    assert err.startswith(f"usage: entra-pg {command} ")
    assert f"entra-pg {command}: error: unrecognized arguments: --bogus" in err
    # Documented codes: 2 for bad usage, except the audit (2 means drift there, usage is 1).
    assert caught.value.code == (1 if command == "audit" else 2)
