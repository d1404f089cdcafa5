"""The members tests' Blue Heron group and families, and the catalogue loaded with the demo rate file."""

from tests.catalogue.conftest import archive, loaded_sample  # noqa: F401
from tests.members.conftest import ann, group, luis, queued, rule_facts  # noqa: F401
