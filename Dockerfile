# Wazify production image. Build: docker build -t wazify .
# Run (see docker-compose.yml for the full stack): wazify serve --host 0.0.0.0 --port 8000

# ---- build stage: install the project and its dependencies into a virtualenv ----------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A virtualenv at the same path in both stages can be copied over as a whole, leaving pip's
# build-time leftovers (and any wheel-building toolchain, should one be needed) behind.
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src
# Only what the package is built from: copying the whole context would drag in a local .venv,
# caches and test artifacts. README.m[d] is a wildcard so the build also works before the
# README exists (pyproject.toml names it, setuptools only warns when it is missing; BuildKit,
# the default builder, accepts a wildcard matching nothing).
COPY pyproject.toml setup.py README.m[d] ./
COPY server ./server
COPY db ./db
COPY client ./client
# `test -x` fails the build early if the console script went missing from the package.
RUN pip install . && test -x /opt/venv/bin/wazify

# ---- runtime stage -------------------------------------------------------------------------
FROM python:3.11-slim

# pip compiled the bytecode at install time; at run time the venv is read-only to the app user,
# so Python should not try to write any.
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# Fixed uid/gid so volume permissions are predictable across rebuilds; no login shell or home
# directory contents are needed.
RUN groupadd --gid 10001 wazify \
    && useradd --uid 10001 --gid wazify --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin wazify \
    && install -d -o wazify -g wazify -m 0700 /var/lib/wazify /var/lib/wazify/uploads
# The uploads volume (docker-compose.yml) starts as a copy of this folder: owned by the app.

COPY --from=build /opt/venv /opt/venv

# Nothing is written to the working directory; it only gives relative paths a harmless home.
WORKDIR /app
USER wazify:wazify

EXPOSE 8000

# urllib instead of curl: the slim image has no curl. urlopen raises (exit status 1) on
# connection errors and on any non-2xx answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Exec form: the server is PID 1 and receives SIGTERM directly for a graceful shutdown.
CMD ["wazify", "serve", "--host", "0.0.0.0", "--port", "8000"]
