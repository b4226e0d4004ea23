#!/usr/bin/env bash
# `make run`: migrates, loads the demo, then serves the portal with a Celery worker and beat when a
# broker is configured (REDIS_URL or CELERY_BROKER_URL). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-1}
export SITE_URL=${SITE_URL:-http://localhost:$PORT}
BIN=.venv/bin

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py seed_demo

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

if [ -n "${CELERY_BROKER_URL:-${REDIS_URL:-}}" ]; then
  mkdir -p var
  "$BIN/celery" -A atm_support worker --loglevel=INFO --concurrency=2 &
  pids+=("$!")
  "$BIN/celery" -A atm_support beat --loglevel=INFO --schedule var/celerybeat-schedule &
  pids+=("$!")
  broker="Celery worker and beat started on ${CELERY_BROKER_URL:-$REDIS_URL}"
else
  broker="No broker configured (REDIS_URL unset): background tasks run in-process."
fi

cat <<BANNER

  ATM Support is starting on  $SITE_URL/
  Administration (staff):      $SITE_URL/admin/
  Database: ${DATABASE_URL:-SQLite (${SQLITE_PATH:-var/db.sqlite3})}
  $broker
  E-mails: ${EMAIL_HOST:+SMTP $EMAIL_HOST}${EMAIL_HOST:-printed in this terminal (EMAIL_HOST unset)}

  Demo logins are listed above (manage.py seed_demo). Ctrl-C stops everything.

BANNER

"$BIN/python" manage.py runserver "$HOST:$PORT"
