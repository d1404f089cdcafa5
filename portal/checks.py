"""System checks of the production configuration that Django's own ``check --deploy`` does not make.

The field encryption keys are derived from ``SECRET_KEY`` and each of ``FIELD_ENCRYPTION_SALTS``
(docs/architecture.md, "Key rotation"): a key or salt anyone can know (shipped in this repository, a
placeholder, or too short to be random) lets a database dump be decrypted. In production:

* ``portal.E001``: the secret key is a shipped value, a placeholder or not random enough;
* ``portal.E002``: the first salt (the one that encrypts) is;
* ``portal.W001``: an older salt, kept only to read values not yet re-encrypted, is (``reencrypt_pii``,
  then drop it);
* ``portal.E003``: no trusted proxy is configured (production answers behind one; without it
  ``X-Forwarded-Proto`` is never believed and every page redirects to HTTPS forever).

They run with every management command (``migrate`` first of all in ``docker-compose.yml``) and when the
WSGI application starts (``portal.wsgi``), so production does not start with them.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# Every secret value this repository ships (settings.py's development defaults, .env.example, the
# Dockerfile's collectstatic step); tests/portal/test_production_secrets.py keeps the list complete.
SHIPPED_SECRETS = frozenset(
    {
        "dev-only-not-secret-7c1f0e4b9a2d48f6b1e3a5c7d9f0b2e4a6c8",
        "dev-only-salt-0b3f5d7e9a1c",
        "change-me-to-50-random-characters-................................",
        "change-me-salt-1",
        "collectstatic-only",
        "x",
    }
)
PLACEHOLDER_MARKS = (
    "change-me", "changeme", "change_me", "placeholder", "dev-only", "not-secret", "insecure", "example",
    "secret-key", "your-", "xxxx", "....", "todo", "replace",
)  # fmt: skip
MIN_KEY_LENGTH, MIN_KEY_DISTINCT = 50, 10  # Django's own deploy check asks for 50 and 5
MIN_SALT_LENGTH, MIN_SALT_DISTINCT = 16, 8


def weakness(value: str, *, min_length: int, min_distinct: int) -> str | None:
    """Why ``value`` cannot be a secret, in a few words; None when it may be one."""
    if value in SHIPPED_SECRETS:
        return "it is a value shipped with the portal"
    lowered = value.lower()
    mark = next((m for m in PLACEHOLDER_MARKS if m in lowered), None)
    if mark is not None:
        return f"it contains the placeholder {mark!r}"
    if len(value) < min_length or len(set(value)) < min_distinct:
        return f"it is too short to be random (at least {min_length} characters, {min_distinct} distinct)"
    return None


@checks.register(checks.Tags.security, "secrets")
def check_production_secrets(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    found: list[checks.CheckMessage] = []
    why = weakness(str(settings.SECRET_KEY), min_length=MIN_KEY_LENGTH, min_distinct=MIN_KEY_DISTINCT)
    if why:
        found.append(
            checks.Error(
                f"SECRET_KEY cannot be used in production: {why}.",
                hint="Set SECRET_KEY to 50 or more random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="portal.E001",
            )
        )
    salts = settings.SALT_KEY if isinstance(settings.SALT_KEY, list) else [settings.SALT_KEY]
    for position, salt in enumerate(salts):
        why = weakness(str(salt), min_length=MIN_SALT_LENGTH, min_distinct=MIN_SALT_DISTINCT)
        if not why:
            continue
        if position == 0:
            found.append(
                checks.Error(
                    f"The first of FIELD_ENCRYPTION_SALTS cannot be used in production: {why}.",
                    hint="Put a new random salt first (python -c 'import secrets; "
                    "print(secrets.token_hex(16))'), keep the old one after it and run manage.py "
                    "reencrypt_pii (docs/architecture.md).",
                    id="portal.E002",
                )
            )
        else:
            found.append(
                checks.Warning(
                    f"FIELD_ENCRYPTION_SALTS[{position}] is weak: {why}.",
                    hint="Run manage.py reencrypt_pii, then drop that salt.",
                    id="portal.W001",
                )
            )
    if not getattr(settings, "TRUSTED_PROXY_ADDRESSES", None):
        found.append(
            checks.Error(
                "TRUSTED_PROXY_ADDRESSES is empty: production answers behind a TLS proxy and believes its "
                "X-Forwarded-Proto and X-Forwarded-For only from the addresses listed there.",
                hint="Set TRUSTED_PROXY_ADDRESSES to the proxy's address or network "
                "(docker-compose.yml: nginx's).",
                id="portal.E003",
            )
        )
    return found


def refuse_unsafe_production_secrets() -> None:
    """Raise ImproperlyConfigured when a check above fails (the WSGI application calls it at start)."""
    from django.core.exceptions import ImproperlyConfigured

    errors = [m for m in check_production_secrets(None) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
