# The Cocoon Portal image: gunicorn serving wsgi:app on port 5000, as a non-root user.
#
#   docker build -t cocoon-portal .
#   docker run --env-file deploy/portal.env -p 5000:5000 cocoon-portal
#
# With podman: `podman build --format docker ...`. Its default format (OCI) has no HEALTHCHECK:
# podman drops it with a warning, and the container would never be reported healthy.
#
# Settings come from the environment at run time (see deploy/portal.env.example); no secret is
# baked into the image.

# Stage 1: build the virtualenv. Only requirements.txt (the runtime set) is installed: the dev
# and test tools of requirements-dev.txt never reach the image.
FROM python:3.11.11-slim-bookworm AS builder

WORKDIR /build
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt


# Stage 2: the runtime, without pip's caches or anything the build needed.
FROM python:3.11.11-slim-bookworm

# A fixed UID/GID, so volume ownership and Kubernetes' runAsUser/runAsNonRoot are predictable.
# /var/lib/cocoon is the one writable place: a named volume mounted there starts out owned by
# this user (the compose file keeps the emulator's signing key and the dev TLS certificate there).
RUN groupadd --gid 10001 portal \
    && useradd --no-log-init --uid 10001 --gid portal --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin portal \
    && install -d -o portal -g portal -m 0750 /var/lib/cocoon

# /tmp is the only scratch space the process needs (it may be a tmpfs on a read-only root):
# the metrics of all workers, and gunicorn's control socket, which would otherwise go under
# $HOME, and this user has none.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PORTAL_ENV=production \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:5000" \
    PROMETHEUS_MULTIPROC_DIR=/tmp/portal-metrics \
    XDG_RUNTIME_DIR=/tmp

COPY --from=builder /opt/venv /opt/venv

# The code stays owned by root: the process can read it but not rewrite it.
WORKDIR /app
COPY wsgi.py ./
COPY config/ config/
COPY app/ app/
COPY templates/ templates/
COPY static/ static/
# The emulated access-service is never used by the portal. It is here because the compose `dev`
# profile runs it from this same image (same dependencies, one build); it holds no secret.
COPY access_service/ access_service/

USER 10001:10001
EXPOSE 5000

# /healthz answers 200 while the process lives. Slim images have no curl: Python's urllib it is
# (urlopen raises, so the check fails, on a refused connection or any non-2xx status).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=4)"]

CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]
