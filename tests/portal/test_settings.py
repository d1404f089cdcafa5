"""The settings behave as the README promises, checked in fresh interpreters (settings load once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "p8Zr2#vQx!7LmN4$tY6uW9@eK3^hJ5&gF1*dS0(aB2)cV8_xM4",
    "ALLOWED_HOSTS": "portal.example",
    "FIELD_ENCRYPTION_SALTS": "9c41e7b25fd08a3e6b1d47c2",
    "TRUSTED_PROXY_ADDRESSES": "172.30.0.10",
    "DATABASE_URL": "sqlite:////tmp/portal-prod-check.sqlite3",
}


def run_django(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "REDIS", "SANDBOX"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django("print('started')", env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_passes_the_deploy_check_in_production_with_no_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "REDIS"))},
            **PRODUCTION_ENV,
            "PORTAL_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_never_mounts_the_sandbox_in_production(tmp_path):
    result = run_django(
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sandbox/groupsales/v1/groups')\n    print('MOUNTED')\n"
        "except Resolver404:\n    print('ABSENT', settings.DEBUG, 'sandbox' in settings.INSTALLED_APPS)",
        PRODUCTION_ENV,
        tmp_path,
    )
    assert result.stdout.strip() == "ABSENT False False", result.stderr


def test_it_refuses_a_production_configuration_that_enables_the_sandbox(tmp_path):
    result = run_django("print('started')", {**PRODUCTION_ENV, "SANDBOX_ENABLED": "true"}, tmp_path)
    assert result.returncode != 0
    assert "sandbox must never be enabled" in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "sqlite3 filesystem"),
        (
            {"DATABASE_URL": "postgres://u:p@db:5432/portal", "REDIS_URL": "redis://cache:6379/0"},
            "postgresql redis",
        ),
    ],
)
def test_it_switches_database_and_broker_from_the_environment(tmp_path, env, expected):
    result = run_django(
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1],"
        " settings.CELERY_BROKER_URL.split('://')[0])",
        {"DJANGO_ENV": "development", **env},
        tmp_path,
    )
    assert result.stdout.strip() == expected, result.stderr
