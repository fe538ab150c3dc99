#!/bin/sh
# First start: create the cluster and the lensdesk role/database with the password from the environment.
set -eu
: "${LENSDESK_DB_PASSWORD:?set LENSDESK_DB_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$LENSDESK_DB_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U lensdesk --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
  PGPASSWORD="$LENSDESK_DB_PASSWORD" createdb -h /tmp -U lensdesk lensdesk
  pg_ctl -D "$PGDATA" -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c port=5432 -c unix_socket_directories=/tmp
