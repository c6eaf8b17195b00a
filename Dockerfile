# syntax=docker/dockerfile:1
# One image for the API service and the snapshot agent (`cns snapshot`).
#   docker build -t cns .
#   docker build -t cns:0.1.0 .                 # the name the Helm chart and the snapshot agent default to
#   docker run -p 8080:8080 cns                 # the API, as the Procfile runs it
#   docker run cns recipe --service eks         # any cns command
# The Python version is the one in .python-version; dependencies are the versions pinned
# in constraints.txt (`make lock`).
ARG PYTHON_VERSION=3.11

# Build stage: the cns wheel. Only this stage ever sees the source tree.
FROM python:${PYTHON_VERSION}-slim AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PORT=8080

# systemctl for the SystemD collector when the agent mounts the host's /run/systemd
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends systemd \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, from the lock file alone: this layer is rebuilt only when
# constraints.txt changes, not on every source change.
RUN --mount=type=bind,source=constraints.txt,target=/tmp/constraints.txt \
    pip install --no-cache-dir --requirement /tmp/constraints.txt

# cns itself, from the wheel of the build stage (mounted, so no layer keeps the wheel
# or any source); --no-deps: everything it needs is already installed, at the pinned versions.
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-deps /wheels/cns-*.whl

WORKDIR /app
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["cns"]
CMD ["serve"]
