#!/usr/bin/env bash
# Back up Dispatch's database and its uploaded photos into one new folder:
#
#   DATABASE_URL=postgresql://dispatch@db/dispatch UPLOAD_DIR=/srv/dispatch/uploads \
#     scripts/backup.sh /var/backups/dispatch          # prints the folder it made
#
# PostgreSQL: pg_dump's custom format (consistent while the site runs; pg_dump must be of the
# server's major version or newer). SQLite: the online backup API (consistent under WAL
# while the site runs). Uploads: a tar of UPLOAD_DIR, taken AFTER the database, so every
# photo row in the dump has its file in the tar (a photo filed in between is a file without a
# row, which is harmless). Redis is not backed up: the queue is rebuilt from the outbox by
# the relay, and rate limits may start afresh. Restore with scripts/restore.sh.
set -euo pipefail

dest_root=${1:?usage: backup.sh DEST_DIR}
: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${UPLOAD_DIR:?UPLOAD_DIR must be set}"
python=${PYTHON:-python3}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dest="$dest_root/dispatch-$stamp"
mkdir -p "$dest"
chmod 700 "$dest"  # residents' phone numbers are in there

case "$DATABASE_URL" in
  postgres://*|postgresql://*|postgresql+psycopg://*)
    url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
    pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.pgdump" "$url"
    ;;
  sqlite:///*)
    "$python" - "${DATABASE_URL#sqlite:///}" "$dest/database.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
PY
    ;;
  *) echo "backup.sh: unsupported DATABASE_URL" >&2; exit 2 ;;
esac

if [ -d "$UPLOAD_DIR" ]; then
  tar -C "$UPLOAD_DIR" -czf "$dest/uploads.tar.gz" .
else
  tar -czf "$dest/uploads.tar.gz" --files-from /dev/null
fi
( cd "$dest" && sha256sum -- * > SHA256SUMS )
echo "$dest"
