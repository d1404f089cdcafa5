# One image for web, worker and beat (the production shape; see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production PORTAL_VAR_DIR=/var/lib/portal

# WeasyPrint (the quote proposal PDF) loads pango, harfbuzz and fontconfig; DejaVu is its font.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN useradd --system --home /app portal && mkdir -p /var/lib/portal && chown portal /var/lib/portal \
 && SECRET_KEY=collectstatic-only FIELD_ENCRYPTION_SALTS=x ALLOWED_HOSTS=x python manage.py collectstatic --no-input
USER portal
EXPOSE 8000
# Behind nginx (docker-compose.yml): request line and headers limited here, bodies there; the access log
# masks self-service tokens (portal/gunicorn_logging.py).
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--limit-request-line", "4094", "--limit-request-fields", "50", "--limit-request-field_size", "8190", \
     "--access-logfile", "-", "--logger-class", "portal.gunicorn_logging.TokenMaskingLogger"]
