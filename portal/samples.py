"""The sample files of the demo, the tests and the benchmarks, made by the project's own code.

They carry the names of the carrier's published samples, whose content they reproduce
(``tests/test_demo_files.py`` checks that where the carrier's folder is beside the repository):

* the demo rate file and its ``.sha256`` sidecar (:mod:`groupsales.demo_etss`);
* ``census-blue-heron.csv``, the quote census (:func:`catalogue.demo.blue_heron_census_csv`);
* ``new-business.834``, the Blue Heron group's 834 from the project's writer
  (:func:`groupsales.x12.examples.blue_heron_834`).

They are written into ``settings.SAMPLES_DIR`` (``var/samples``), or a folder given; nothing is read from
outside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from groupsales.demo_etss import DEMO_RATE_FILE, write_etss_file

RATE_FILE = DEMO_RATE_FILE.name
CENSUS_FILE = "census-blue-heron.csv"
NEW_BUSINESS_834 = "new-business.834"

_written: set[Path] = set()


def samples_write(folder: str | os.PathLike[str] | None = None) -> Path:
    """Write every sample file into ``folder`` (default ``settings.SAMPLES_DIR``); returns the folder."""
    from catalogue.demo import blue_heron_census_csv
    from groupsales.x12.examples import blue_heron_834

    folder = Path(folder if folder is not None else settings.SAMPLES_DIR)
    write_etss_file(folder)
    for name, data in (
        (CENSUS_FILE, blue_heron_census_csv()),
        (NEW_BUSINESS_834, blue_heron_834().encode("ascii")),
    ):
        partial = folder / f".{name}.{os.getpid()}.partial"
        partial.write_bytes(data)
        os.replace(partial, folder / name)  # whole even when two test processes write at once
    _written.add(folder.resolve())
    return folder


def sample_file(name: str) -> Path:
    """The path of one sample file in ``settings.SAMPLES_DIR``, written once per process."""
    folder = Path(settings.SAMPLES_DIR)
    if folder.resolve() not in _written:
        samples_write(folder)
    return folder / name
