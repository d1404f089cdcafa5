"""Production refuses a secret key or encryption salt that is shipped, a placeholder, or too short to be
random (issue 16, item 5): the field encryption keys derive from those two, so a known one decrypts a
database dump."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

from portal.checks import SHIPPED_SECRETS, check_production_secrets

from .test_settings import PRODUCTION_ENV, run_django

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD_KEY = PRODUCTION_ENV["SECRET_KEY"]
GOOD_SALT = PRODUCTION_ENV["FIELD_ENCRYPTION_SALTS"]


def _ids(**overrides) -> list[str]:
    overrides.setdefault("TRUSTED_PROXY_ADDRESSES", ["172.30.0.10"])
    with override_settings(PRODUCTION=True, **overrides):
        return sorted(message.id for message in check_production_secrets(None))


def _env_example() -> dict[str, str]:
    text = (BASE_DIR / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))


def test_valid_production_secrets_pass():
    assert _ids(SECRET_KEY=GOOD_KEY, SALT_KEY=[GOOD_SALT]) == []


def test_outside_production_nothing_is_checked():
    with override_settings(PRODUCTION=False, SECRET_KEY="dev-only", SALT_KEY=["x"]):
        assert check_production_secrets(None) == []


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-not-secret-7c1f0e4b9a2d48f6b1e3a5c7d9f0b2e4a6c8",  # settings.py's development default
        "change-me-to-50-random-characters-................................",  # .env.example's
        "collectstatic-only",  # the Dockerfile's build-time value
        "django-insecure-" + "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789",  # startproject's kind
        "Zq9#" * 5,  # 20 characters
        "ab" * 30,  # 60 characters, two distinct
        "my-placeholder-secret-key-4Qw8Zr2Lm7Xc9Vb3Nn6Tt1Yy5Uu0Ii8Oo2Pp4",
    ],
)
def test_a_shipped_placeholder_or_short_secret_key_is_refused(key):
    assert _ids(SECRET_KEY=key, SALT_KEY=[GOOD_SALT]) == ["portal.E001"]


@pytest.mark.parametrize(
    "salt",
    [
        "dev-only-salt-0b3f5d7e9a1c",
        "change-me-salt-1",
        "x",
        "salt",
        "aaaaaaaaaaaaaaaaaaaa",
        "example-salt-9f8e7d6c5b",
    ],
)
def test_a_shipped_placeholder_or_short_salt_is_refused(salt):
    assert _ids(SECRET_KEY=GOOD_KEY, SALT_KEY=[salt]) == ["portal.E002"]


def test_an_old_weak_salt_kept_for_rotation_is_a_warning_not_a_refusal():
    assert _ids(SECRET_KEY=GOOD_KEY, SALT_KEY=[GOOD_SALT, "change-me-salt-1"]) == ["portal.W001"]


def test_production_needs_the_proxy_it_answers_behind():
    assert _ids(SECRET_KEY=GOOD_KEY, SALT_KEY=[GOOD_SALT], TRUSTED_PROXY_ADDRESSES=[]) == ["portal.E003"]


def test_every_value_the_repository_ships_is_known_to_the_check():
    env = _env_example()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    settings_py = (BASE_DIR / "portal" / "settings.py").read_text()
    shipped = {env["SECRET_KEY"], env["FIELD_ENCRYPTION_SALTS"]}
    shipped |= set(re.findall(r"SECRET_KEY=(\S+)", dockerfile)) | set(
        re.findall(r"FIELD_ENCRYPTION_SALTS=(\S+)", dockerfile)
    )
    shipped |= set(re.findall(r'default="(dev-only[^"]*)"', settings_py))
    shipped |= set(re.findall(r'default=\["(dev-only[^"]*)"\]', settings_py))
    assert len(shipped) >= 6
    assert shipped <= SHIPPED_SECRETS


def test_production_refuses_to_run_with_the_example_env_file(tmp_path):
    env = {**PRODUCTION_ENV, **{k: _env_example()[k] for k in ("SECRET_KEY", "FIELD_ENCRYPTION_SALTS")}}
    check = run_django(
        "from django.core.management import call_command; call_command('check')", env, tmp_path
    )
    assert check.returncode != 0 and "portal.E001" in check.stderr and "portal.E002" in check.stderr
    started = run_django("import portal.wsgi; print('STARTED')", env, tmp_path)
    assert started.returncode != 0 and "STARTED" not in started.stdout
    assert "SECRET_KEY" in started.stderr
