# syntax=docker/dockerfile:1
# Base: python 3.11.14 slim (Debian bookworm), pinned by the digest of its multi-architecture
# index so every build starts from the same bytes.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# Build stage: the locked dependencies (every file checked against its hash; the lock files are
# made by `make lock`), then the service's own wheel, built by the locked build backend, with
# its migrations. Nothing is resolved or fetched unhashed. The API sandboxes and the demo
# (sandboxes/) are not copied: the image carries the service alone.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock requirements-build.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock \
    && python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps -r requirements-build.lock
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/*.whl

# Runtime stage: only the venv, running as an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime
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
# The SQLite default lives here; mount a volume to keep it (PostgreSQL needs none).
VOLUME ["/var/lib/upsales-fortnox"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
# Serve the API with its in-process worker. Migrate first, as a one-shot of the same image
# (`upsales-fortnox migrate`); replicas that migrate at once take turns on a database lock.
CMD ["upsales-fortnox", "serve", "--host", "0.0.0.0", "--port", "8080"]
