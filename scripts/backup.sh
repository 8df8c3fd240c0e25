#!/usr/bin/env bash
# Back up Participa: the database (as its owner) and the uploaded files, with their SHA-256.
#   scripts/backup.sh OWNER_DATABASE_URL INSTANCE_DIR BACKUP_DIR
# The dump is pg_dump's custom format: tables, the cast_online_ballot and analyze_votes
# functions and the audit log's triggers, without owners or grants (the restore gives them).
set -euo pipefail
database_url=$1 instance=$2 backup=$3
mkdir -p "$backup"
pg_dump --format=custom --no-owner --no-privileges --dbname="$database_url" --file="$backup/participa.dump"
if [ -d "$instance/uploads" ]; then
  tar -C "$instance" -czf "$backup/uploads.tar.gz" uploads
else
  tar -czf "$backup/uploads.tar.gz" -T /dev/null
fi
(cd "$backup" && sha256sum participa.dump uploads.tar.gz > SHA256SUMS)
echo "Respaldo listo en $backup"
