"""`entra-pg diff --preview-json`: the access diff read from a real `pulumi preview --json`.

`fixtures/diff/preview-dev.json` is written by hand in the engine's `PreviewDigest` format
(pulumi `sdk/go/.../display/json.go`: steps with `op`, `urn`, `oldState`/`newState` as
checkpoint resources, `diffReasons`, `replaceReasons`, `detailedDiff`; secrets as
"[secret]", unknowns as the engine's sentinel). It is what `pulumi preview --json --stack dev`
prints for a pull request that adds carol@contoso.com (read on reporting.marts), removes
dana@contoso.com, adds an admin-group member, gives the `support` profile UPDATE on tables,
renames the migrator's federated credential (a replacement) and changes the collation of the
reporting database (a replacement the provider decides). No `--show-sames`: only changes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from entra_pg.cli import main
from entra_pg.diff import parse_preview
from entra_pg.diff.preview import UNKNOWN, load_preview
from entra_pg.mockrun import run_program

FIXTURE = Path(__file__).parent / "fixtures" / "diff" / "preview-dev.json"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def test_steps_fold_into_one_change_per_resource(document: dict[str, Any]) -> None:
    preview = parse_preview(document)
    ops = {c.name: c.op for c in preview.changes}
    assert ops == {
        "contoso-orders-dev-role-login-carol-contoso-com-3db44d": "create",
        "contoso-orders-dev-label-carol-contoso-com-3db44d": "create",
        "contoso-orders-dev-member-carol-contoso-com-3db44d-in-reporting_marts_read": "create",
        "contoso-orders-dev-assign-carol-contoso-com-3db44d-read": "create",
        "contoso-orders-dev-role-login-dana-contoso-com-a1cbb6": "delete",
        "contoso-orders-dev-label-dana-contoso-com-a1cbb6": "delete",
        "contoso-orders-dev-member-dana-contoso-com-a1cbb6-in-orders_billing_read": "delete",
        "contoso-orders-dev-assign-dana-contoso-com-a1cbb6-read": "delete",
        "contoso-orders-dev-admin": "update",
        "contoso-orders-dev-grant-orders_sales_support-table": "update",
        "contoso-orders-dev-app-orders-migrator-fic-github-dev": "replace",
        "contoso-orders-dev-db-reporting": "replace",
    }
    assert not preview.complete  # only the root stack is `same`
    assert preview.stack == "dev"
    by_name = {c.name: c for c in preview.changes}
    fic = by_name["contoso-orders-dev-app-orders-migrator-fic-github-dev"]
    assert (fic.properties, fic.replace_reasons) == (("displayName", "subject"), ("displayName",))
    assert by_name["contoso-orders-dev-admin"].properties == ("members",)
    # Dangerous: the provider replaces a database (its data), a LOGIN role is deleted.
    dangerous = {c.name: c.danger for c in preview.changes if c.dangerous}
    assert dangerous == {
        "contoso-orders-dev-db-reporting": "replaces database reporting and its data",
        "contoso-orders-dev-role-login-dana-contoso-com-a1cbb6": (
            "deletes the LOGIN role of principal dana@contoso.com: it can no longer log in"
        ),
    }


def test_unknowns_become_none_and_secrets_stay_masked(document: dict[str, Any]) -> None:
    preview = parse_preview(document)
    carol = next(
        r for r in preview.after if r.name.startswith("contoso-orders-dev-role-login-carol")
    )
    assert carol.outputs["id"] is None
    assert UNKNOWN not in json.dumps([r.outputs for r in preview.after])
    dana = next(
        r for r in preview.before if r.name.startswith("contoso-orders-dev-role-login-dana")
    )
    assert dana.outputs["password"] == "[secret]"


def test_cli_reports_who_gains_and_loses(
    capsys: pytest.CaptureFixture[str], project_root: Path
) -> None:
    code, out, err = run_cli(
        capsys, "--preview-json", str(FIXTURE), "--json", "--project-dir", str(project_root)
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["source"] == "preview"
    access = {(a["principal"], a["scope"]): a for a in report["access"]}
    assert set(access) == {
        ("carol@contoso.com", "reporting.marts"),
        ("dana@contoso.com", "orders.billing"),
        ("orders-support", "orders.sales"),
    }
    carol = access[("carol@contoso.com", "reporting.marts")]
    assert carol["change"] == "gain"
    assert carol["gained"] == {
        "database": ["CONNECT"],
        "schema": ["USAGE"],
        "table": ["SELECT"],
        "sequence": ["SELECT"],
    }
    assert carol["gained_future"] == {"table": ["SELECT"], "sequence": ["SELECT"]}
    assert access[("dana@contoso.com", "orders.billing")]["change"] == "lose"
    support = access[("orders-support", "orders.sales")]
    assert (support["change"], support["gained"], support["lost"]) == (
        "change",
        {"table": ["UPDATE"]},
        {},
    )
    memberships = {(m["member"], m["role"], m["change"]) for m in report["memberships"]}
    assert memberships == {
        ("carol@contoso.com", "reporting_marts_read", "grant"),
        ("dana@contoso.com", "orders_billing_read", "revoke"),
    }
    identities = {(i["what"], i["change"], i["subject"]): i for i in report["identities"]}
    # The admin group is known from the stack config (its Entra admin is unchanged, so not
    # in the preview); the new member is a real object id the preview cannot name.
    admin = identities[("admin-member", "added", "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d")]
    assert admin["dangerous"]
    assert ("principal", "added", "carol@contoso.com") in identities
    assert ("principal", "removed", "dana@contoso.com") in identities
    assert (
        "federated-credential",
        "added",
        "contoso-orders-dev-app-orders-migrator / github-release",
    ) in identities
    assert not report["policies"]["checked"]
    assert "omits policy results" in report["policies"]["note"]
    assert any("taken from Pulumi.dev.yaml" in n for n in report["notes"])


def test_without_the_stack_config_changed_roles_are_their_own_grantees(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(
        capsys, "--preview-json", str(FIXTURE), "--json", "--project-dir", str(tmp_path)
    )
    assert code == 0
    report = json.loads(out)
    scopes = {(a["principal"], a["scope"], a["change"]) for a in report["access"]}
    assert ("orders_sales_support", "orders.sales", "change") in scopes
    whats = {(i["what"], i["subject"]) for i in report["identities"]}
    assert ("group-member", "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d") in whats
    assert any("--show-sames" in n for n in report["notes"])


def test_markdown_comment_structure(capsys: pytest.CaptureFixture[str], project_root: Path) -> None:
    code, out, _ = run_cli(
        capsys, "--preview-json", str(FIXTURE), "--markdown", "--project-dir", str(project_root)
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "<!-- entra-pg-access-diff -->"
    assert lines[1] == "## Access diff · stack `dev`"
    assert "> [!CAUTION]" in lines
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == [  # dangerous changes first: they are never cut
        "### Dangerous changes",
        "### Who gains or loses access",
        "### Role memberships",
        "### Identities, admin group and trust",
        "### Policy verdict",
        "### Resource changes",
    ]
    start = lines.index("### Resource changes")
    assert lines[start + 2 : start + 4] == [
        "<details>",
        "<summary>4 to create, 2 to update, 2 to replace, 4 to delete</summary>",
    ]
    assert "</details>" in lines[start:]
    assert "| `carol@contoso.com` (user) | `reporting.marts` | **gains** role" in out


def test_replacement_steps_fold_into_one_replace(document: dict[str, Any]) -> None:
    step = next(s for s in document["steps"] if s["op"] == "replace" and "db-reporting" in s["urn"])
    create = {
        "op": "create-replacement",
        "urn": step["urn"],
        "newState": step["newState"],
        "replaceReasons": ["collation"],
        "detailedDiff": step["detailedDiff"],
    }
    delete = {
        "op": "delete-replaced",
        "urn": step["urn"],
        "oldState": step["oldState"],
        "detailedDiff": None,
    }
    preview = parse_preview({"steps": [step, create, delete]})
    (change,) = preview.changes
    assert (change.op, change.replace_reasons) == ("replace", ("collation",))


def test_preview_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(FIXTURE.read_text()))
    code, out, _ = run_cli(capsys, "--preview-json", "-", "--project-dir", str(tmp_path))
    assert code == 0
    assert out.startswith("Access diff for stack dev: current state -> pulumi preview\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("steps: []\n", "is not JSON"),
        (
            '{"version": 3, "deployment": {"resources": []}}',
            "not a `pulumi preview --json` document",
        ),
        (
            '{"steps": [{"op": "teleport", "urn": "urn:pulumi:dev::p::t::n"}]}',
            "unknown op 'teleport'",
        ),
        ('{"steps": [{"op": "create"}]}', "steps[0] has no `urn`"),
    ],
)
def test_bad_preview_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "preview.json"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli(capsys, "--preview-json", str(path))
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_complete_preview_is_judged_by_the_policy_pack(
    capsys: pytest.CaptureFixture[str], project_root: Path, tmp_path: Path
) -> None:
    """With `--show-sames` every resource is in the preview: the pack judges both sides
    and access is computed for the LOGIN roles from the real states."""
    run = run_program(project_root, "dev")
    steps: list[dict[str, Any]] = []
    for r in run.resources:
        state = {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "inputs": dict(r.inputs),
            "outputs": dict(r.outputs),
            "parent": r.parent,
            "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        }
        steps.append(
            {"op": "same", "urn": r.urn, "oldState": state, "newState": state, "detailedDiff": None}
        )
    prefix = run.resources[0].urn.split("::")[0] + "::entra-postgres::"
    rogue = prefix + "postgresql:index/role:Role::rogue"
    rogue_inputs = {"name": "rogue", "login": True, "superuser": True}
    steps.append(
        {
            "op": "create",
            "urn": rogue,
            "newState": {
                "urn": rogue,
                "custom": True,
                "type": "postgresql:index/role:Role",
                "inputs": rogue_inputs,
                "outputs": rogue_inputs,
            },
        }
    )
    path = tmp_path / "complete.json"
    path.write_text(json.dumps({"steps": steps}))
    code, out, err = run_cli(
        capsys, "--preview-json", str(path), "--json", "--project-dir", str(tmp_path)
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["policies"]["checked"]
    new = {(v["policy_name"], v["resource_name"]) for v in report["policies"]["new"]}
    assert ("postgresql-role-no-superuser", "rogue") in new
    assert ("postgresql-role-login-mapped-to-entra", "rogue") in new
    assert report["policies"]["resolved"] == []
    assert [(r["op"], r["name"]) for r in report["resources"]] == [("create", "rogue")]
    assert not any("--show-sames" in n for n in report["notes"])
    assert ("principal", "added", "rogue") in {
        (i["what"], i["change"], i["subject"]) for i in report["identities"]
    }


def test_load_preview_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("[]")
    with pytest.raises(ValueError, match=r"p\.json is not a `pulumi preview --json` document"):
        load_preview(str(path))
