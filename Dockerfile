# One image for the API service and the snapshot agent (`cns snapshot`).
#   docker build -t cns .
#   docker run -p 8080:8080 cns                 # the API, as the Procfile runs it
#   docker run cns recipe --service eks         # any cns command
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8080
WORKDIR /app

# systemctl for the SystemD collector when the agent mounts the host's /run/systemd
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends systemd \
 && rm -rf /var/lib/apt/lists/*

COPY . /src
RUN pip install --no-cache-dir /src && rm -rf /src

USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["cns"]
CMD ["serve"]
