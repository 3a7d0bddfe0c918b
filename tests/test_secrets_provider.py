"""The dev stack's secrets provider: declared in the stack file, created by the bootstrap.

With a self-managed backend and no passphrase in CI, a stack without a secrets provider would
fall back to the passphrase provider and fail at the first secret. Pulumi.dev.yaml declares
an Azure Key Vault key; with `encryptedkey` still absent, Pulumi generates the stack's data
key and wraps it with that key (pulumi/pulumi pkg/secrets/cloud/manager.go, "if there is no
key OR the secrets provider is changing"), so the bootstrap's `stack init` fills it in.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]


def provider() -> str:
    value: str = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["secretsprovider"]
    return value


def test_dev_stack_declares_an_azure_key_vault_key() -> None:
    url = urlsplit(provider())
    assert url.scheme == "azurekeyvault"
    assert url.hostname is not None
    assert url.hostname.endswith(".vault.azure.net")
    assert re.fullmatch(r"/keys/[A-Za-z0-9-]+(/[0-9a-f]{32})?", url.path), url.path


def test_bootstrap_creates_that_vault_and_key_and_inits_the_stack_with_it() -> None:
    readme = (ROOT / "README.md").read_text()
    url = urlsplit(provider())
    assert url.hostname is not None
    vault = url.hostname.removesuffix(".vault.azure.net")
    key = url.path.split("/")[2]
    assert f"az keyvault create -n {vault} " in readme
    assert f"az keyvault key create --vault-name {vault} -n {key} " in readme
    assert f"--secrets-provider '{provider()}'" in readme


def test_no_passphrase_provider_is_configured_anywhere() -> None:
    for path in [*ROOT.glob("Pulumi.*.yaml"), *(ROOT / ".github" / "workflows").glob("*.yml")]:
        text = path.read_text()
        assert "PULUMI_CONFIG_PASSPHRASE" not in text, path.name
        assert "secretsprovider: passphrase" not in text, path.name
