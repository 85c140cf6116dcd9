# popreg: the same steps as `make run`, in a slim image.
#   docker build -t popreg .
#   docker run -p 8000:8000 -v popreg-var:/srv/popreg/var popreg
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POPREG_HOST=0.0.0.0 \
    POPREG_PORT=8000

WORKDIR /srv/popreg
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin popreg

# Install (as `make install`, without the dev and load extras).
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY connectors ./connectors
COPY seed ./seed
COPY migrations ./migrations
RUN pip install ".[pg]" && mkdir -p var && chown popreg:popreg var

USER popreg
VOLUME ["/srv/popreg/var"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]

# Migrate, seed on first start, create the demo agencies, then serve (as `make run`).
CMD ["sh", "-c", "popreg db upgrade && popreg seed --citizens 100000 --if-empty && popreg agency demo && exec popreg serve"]
