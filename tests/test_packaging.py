"""Package metadata a user of the wheel sees: license, classifiers, project URLs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from trove_classifiers import classifiers as known_classifiers

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_is_the_apache_license_the_metadata_declares() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text


@pytest.mark.parametrize("classifier", PROJECT["classifiers"])
def test_classifier_is_a_published_trove_classifier(classifier: str) -> None:
    assert classifier in known_classifiers


def test_classifiers_agree_with_the_metadata() -> None:
    classifiers = PROJECT["classifiers"]
    # PEP 639: an SPDX `license` expression excludes License :: classifiers.
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert "Typing :: Typed" in classifiers  # every package ships py.typed
    minimum = PROJECT["requires-python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {minimum}" in classifiers


def test_project_urls_name_the_repository_the_pipeline_trusts() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    repository = stack["config"]["entra-postgres:pipeline"]["repository"]
    urls = PROJECT["urls"]
    assert {"Homepage", "Repository", "Issues", "Documentation"} <= set(urls)
    assert urls["Repository"] == f"https://github.com/{repository}"
    assert all(url.startswith(urls["Repository"]) for url in urls.values())
