# The stack's other services, from the same locally made Debian 12 base (no image registry is needed):
#   docker build -f docker/services.Dockerfile --target redis|postgres|coturn|haproxy -t lensdesk/<target> docker
# Each runs as its Debian package's unprivileged user and has a health check.

FROM lensdesk/debian:bookworm AS redis
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
USER redis
HEALTHCHECK --interval=3s --timeout=10s --start-period=120s --retries=10 \
  CMD REDISCLI_AUTH="$LENSDESK_REDIS_PASSWORD" redis-cli -p 6379 ping | grep -q PONG
# The password comes from the environment (compose), never from the image.
CMD ["sh", "-c", "exec redis-server --port 6379 --bind 0.0.0.0 --save '' --appendonly no --requirepass \"$LENSDESK_REDIS_PASSWORD\""]

FROM lensdesk/debian:bookworm AS postgres
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/lensdesk-pg
COPY postgres-start.sh /usr/local/bin/postgres-start
ENV PGDATA=/var/lib/lensdesk-pg/data PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
VOLUME ["/var/lib/lensdesk-pg"]
HEALTHCHECK --interval=3s --timeout=10s --start-period=180s --retries=10 CMD pg_isready -h 127.0.0.1 -p 5432 -U lensdesk -d lensdesk
CMD ["postgres-start"]

FROM lensdesk/debian:bookworm AS coturn
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends coturn \
 && rm -rf /var/lib/apt/lists/*
USER turnserver
# A STUN binding request answered = the server is up (turnutils_stunclient ships with coturn).
HEALTHCHECK --interval=3s --timeout=10s --start-period=120s --retries=10 \
  CMD turnutils_stunclient -p "${TURN_PORT:-3478}" 127.0.0.1 | grep -q "UDP reflexive addr"
CMD ["sh", "-c", "exec turnserver -c /etc/coturn/turnserver.conf --static-auth-secret=\"$LENSDESK_TURN_SECRET\" ${TURN_ARGS:-}"]

FROM lensdesk/debian:bookworm AS haproxy
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy curl \
 && rm -rf /var/lib/apt/lists/*
USER haproxy
HEALTHCHECK --interval=3s --timeout=10s --start-period=120s --retries=10 CMD curl -fsS "http://127.0.0.1:${LB_PORT:-8080}/healthz" >/dev/null
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
