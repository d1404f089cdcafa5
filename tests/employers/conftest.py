"""The members tests' Blue Heron group and families (created with the carrier, open enrollment)."""

from tests.members.conftest import ann, group, luis, queued, rule_facts  # noqa: F401
