from __future__ import annotations

import pytest

from catalogue.models import EtssFile
from catalogue.services import etss_file_receive
from catalogue.testing import sample_path


@pytest.fixture
def archive(settings, tmp_path):
    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    return settings.ETSS_ARCHIVE_DIR


@pytest.fixture
def loaded_sample(db, archive) -> EtssFile:
    etss_file = etss_file_receive(path=sample_path(), loaded_by="command")
    assert etss_file.status == EtssFile.Status.LOADED, etss_file.errors
    return etss_file
