"""Every resource rule's test data in one tuple: the original cases and those of issue 10/14."""

from __future__ import annotations

from tests.policies.cases import CASES as CORE_CASES
from tests.policies.cases import RuleCase
from tests.policies.cases_access import ACCESS_CASES
from tests.policies.cases_azure import AZURE_CASES

CASES: tuple[RuleCase, ...] = CORE_CASES + ACCESS_CASES + AZURE_CASES
RESOURCE_RULES = tuple(sorted({c.rule for c in CASES}))

__all__ = ["CASES", "RESOURCE_RULES", "RuleCase"]
