"""Fuzzing the sandbox's 834 intake over HTTP (issue 17): whatever the bytes, no call answers 5xx, every
file ends in a final status, and every 999 written is itself valid X12 (pyx12's 999 validation).

Hundreds of files mutated from the project's own sample by a seeded mutator (``tests.x12_mutations``),
uploaded one after another to one finalized group; after each upload the file, its 999, the group, its
members, its file list and the partner's book are read. ``SANDBOX_FUZZ_FILES`` sets how many (default 100,
about 40 s here); a failing case names its seed.
"""

from __future__ import annotations

import logging
import os
import random

import pytest

from groupsales.x12.validate import pyx12_issues
from sandbox.models import EnrollmentFile
from tests.x12_mutations import mutate

from .conftest import Api, enrollment_file

pytestmark = pytest.mark.django_db
FILES = int(os.environ.get("SANDBOX_FUZZ_FILES", "100"))
# The seeds are dealt into slices, each a test of its own, so that xdist spreads the budget over workers.
SLICES = 4
FINAL = {"ACCEPTED", "ACCEPTED_WITH_ERRORS", "REJECTED"}


@pytest.fixture(autouse=True)
def instant_clock(settings):
    settings.SANDBOX_FILE_PICKUP_SECONDS = 0
    settings.SANDBOX_FILE_PROCESSING_SECONDS = 0


@pytest.fixture(autouse=True)
def quiet_pyx12():
    """pyx12 logs every error it finds at ERROR level; hundreds of bad files would flood the output."""
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def reads(api: Api, group_id: str, file_id: str | None) -> list:
    paths = [f"/groups/{group_id}", f"/groups/{group_id}/member-validations",
             f"/groups/{group_id}/enrollment-files", "/agents/17012345/groups"]  # fmt: skip
    if file_id:
        paths += [f"/groups/{group_id}/enrollment-files/{file_id}",
                  f"/groups/{group_id}/enrollment-files/{file_id}/acknowledgment"]  # fmt: skip
    return [(path, api.get(path)) for path in paths]


@pytest.mark.parametrize("part", range(SLICES))
def test_no_mutated_834_makes_the_sandbox_answer_5xx_or_leaves_a_file_processing(api, part):
    group_id = api.finalized()
    base = enrollment_file(group_id)
    seen: dict[int, int] = {}
    acks = 0
    seeds = range(part, FILES, SLICES)
    for seed in seeds:
        text = mutate(base, random.Random(seed))
        number = f"{700000000 + seed:09d}"
        text = text.replace("*000000123*", f"*{number}*", 1)  # a fresh ISA13 (unless the mutation took it)
        upload = api.post(
            f"/groups/{group_id}/enrollment-files", raw=text.encode(), content_type="application/edi-x12"
        )
        seen[upload.status_code] = seen.get(upload.status_code, 0) + 1
        assert upload.status_code in (202, 409, 413, 415, 422), (seed, upload.content[:300])
        if upload.status_code != 202:
            assert upload["Content-Type"] == "application/problem+json", seed
        file_id = upload.json()["fileId"] if upload.status_code == 202 else None
        for path, response in reads(api, group_id, file_id):
            assert response.status_code < 500, (seed, path, response.content[:300])
        if file_id is None:
            continue
        status = api.get(f"/groups/{group_id}/enrollment-files/{file_id}").json()
        assert status["status"] in FINAL, (seed, status)
        ack = EnrollmentFile.objects.get(file_id=file_id).acknowledgment
        assert ack, (seed, status)
        assert pyx12_issues(ack) == [], (seed, ack)
        acks += 1
    assert not EnrollmentFile.objects.filter(status__in=EnrollmentFile.IN_FLIGHT).exists()
    answers = dict(sorted(seen.items()))
    print(f"\nfuzz slice {part}: {len(seeds)} of {FILES} files, upload answers {answers}, 5xx seen: 0, "
          f"999s written and valid: {acks}/{acks}")  # fmt: skip
    # The mutations reach processing (not only the upload checks): most files got a 202 and a 999.
    assert acks >= len(seeds) // 2, seen
