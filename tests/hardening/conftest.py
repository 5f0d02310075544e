"""The deadline tests' 2026 household-review fixtures, for the request-id test of the extension form."""

from tests.deadlines.conftest import august_10, household_2026  # noqa: F401
