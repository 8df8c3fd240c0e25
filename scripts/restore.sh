#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database (a fresh cluster is fine) and
# an instance folder, then check the audit log.
#   scripts/restore.sh OWNER_DATABASE_URL INSTANCE_DIR BACKUP_DIR
# Afterwards, as the owner: flask db upgrade (if the code is newer than the backup) and
# flask db grant --role participa_app (grants are not in the dump). New events are sealed by
# beat as usual, even though the new cluster's transaction ids start again (issue #11).
set -euo pipefail
database_url=$1 instance=$2 backup=$3
here=$(cd "$(dirname "$0")/.." && pwd)
(cd "$backup" && sha256sum --check --quiet SHA256SUMS)
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$database_url" "$backup/participa.dump"
mkdir -p "$instance"
tar -C "$instance" -xzf "$backup/uploads.tar.gz"
DATABASE_URL="$database_url" PARTICIPA_INSTANCE="$instance" FLASK_APP=wsgi:app \
  "$here/.venv/bin/flask" --app "$here/wsgi.py" audit verify
echo "Respaldo restaurado desde $backup"
