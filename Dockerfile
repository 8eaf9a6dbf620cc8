# syntax=docker/dockerfile:1
# Build stage: build a wheel of the service (with its migrations) and install it into a venv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install /wheels/*.whl

# Runtime stage: only the venv, running as an unprivileged user.
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:////var/lib/upsales-fortnox/service.sqlite3
RUN groupadd --system app && useradd --system --gid app --home-dir /var/lib/upsales-fortnox app \
    && mkdir -p /var/lib/upsales-fortnox && chown app:app /var/lib/upsales-fortnox
COPY --from=build /opt/venv /opt/venv
USER app
WORKDIR /var/lib/upsales-fortnox
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
# Migrate, then serve the API with its in-process worker.
CMD ["sh", "-c", "upsales-fortnox migrate && exec upsales-fortnox serve --host 0.0.0.0 --port 8080"]
