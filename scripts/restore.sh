#!/usr/bin/env bash
# Restore a folder made by scripts/backup.sh into the database and upload folder named by
# DATABASE_URL and UPLOAD_DIR, replacing what is there:
#
#   DATABASE_URL=postgresql://dispatch@db/dispatch UPLOAD_DIR=/srv/dispatch/uploads \
#     scripts/restore.sh /var/backups/dispatch/dispatch-20261201T020000Z
#
# Stop the web and worker processes first (systemctl stop 'dispatch-*'), restore, then run
# `flask --app dispatch db upgrade` (a backup from an older release is migrated forward)
# and start them again. The checksums are verified before anything is touched.
set -euo pipefail

src=${1:?usage: restore.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${UPLOAD_DIR:?UPLOAD_DIR must be set}"
python=${PYTHON:-python3}

( cd "$src" && sha256sum --quiet -c SHA256SUMS )

case "$DATABASE_URL" in
  postgres://*|postgresql://*|postgresql+psycopg://*)
    url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
    # One transaction: a restore that fails half-way leaves the database as it was.
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
      --exit-on-error --dbname="$url" "$src/database.pgdump"
    ;;
  sqlite:///*)
    target=${DATABASE_URL#sqlite:///}
    mkdir -p "$(dirname "$target")"
    "$python" - "$src/database.sqlite3" "$target" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)  # replaces every page of the target, WAL included
source.close(); target.close()
PY
    ;;
  *) echo "restore.sh: unsupported DATABASE_URL" >&2; exit 2 ;;
esac

# Unpack beside the folder, then swap: a failed unpack leaves the old uploads in place.
parent=$(dirname "$UPLOAD_DIR")
mkdir -p "$parent"
fresh=$(mktemp -d "$parent/.restore-XXXXXX")
tar -C "$fresh" -xzf "$src/uploads.tar.gz"
if [ -d "$UPLOAD_DIR" ]; then
  mv "$UPLOAD_DIR" "$fresh.old"
fi
mv "$fresh" "$UPLOAD_DIR"
rm -rf "$fresh.old"
echo "restored $src"
