#!/usr/bin/env bash
# `make test`: install what the tests need, make sure PostgreSQL and Redis are up,
# run the whole suite on PostgreSQL. Idempotent; safe on a bare Debian 12 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
RUNDIR=${RUNDIR:-/tmp/ledgerline-ci}; mkdir -p "$RUNDIR"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES="postgresql redis-server libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
  fonts-dejavu-core poppler-utils chromium make python3-venv"
missing=""
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "== installing:$missing"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $missing >/dev/null
fi

echo "== PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster_version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_lsclusters -h | grep -q "^$cluster_version main" || $SUDO pg_createcluster "$cluster_version" main
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start || true
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
pg_isready -h 127.0.0.1 -p 5432
psql_admin() { $SUDO su postgres -c "psql -v ON_ERROR_STOP=1 -tAc \"$1\""; }
psql_admin "SELECT 1 FROM pg_roles WHERE rolname='ledgerline'" | grep -q 1 \
  || psql_admin "CREATE ROLE ledgerline LOGIN PASSWORD 'ledgerline' CREATEDB"
psql_admin "SELECT 1 FROM pg_database WHERE datname='ledgerline'" | grep -q 1 \
  || $SUDO su postgres -c "createdb -O ledgerline ledgerline"

echo "== Redis"
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$RUNDIR" --logfile "$RUNDIR/redis.log"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping

echo "== Python environment"
make -s venv

export DATABASE_URL=${TEST_DATABASE_URL:-postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
export SECRET_KEY=test-only-secret-key
export DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
# Bytecode caches, kept out of the source tree: without them (PYTHONDONTWRITEBYTECODE is
# set in some shells) every pytest worker, Celery worker and manage.py run compiles the
# project's modules and pytest rewrites ~430 test modules from source, each time
# (collecting the suite: 10.6 s of CPU without, 4.6 s with, per process).
export PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-$RUNDIR/pycache}
unset PYTHONDONTWRITEBYTECODE

# The migrated test template (tests/db_template.py) is built beside the checks and pytest's
# start-up: on a fresh machine or after a code change its migrations take most of a minute
# of one core, which everything else would otherwise wait behind. With --reuse-db or
# --create-db the workers handle the template as those options say.
template_pid=""
case " $* ${PYTEST_WORKERS:-auto}" in
  *" --reuse-db "*|*" --create-db "*|*" 0") ;;  # options, or one process (no template)
  *) .venv/bin/python -m tests.db_template >"$RUNDIR/template.log" 2>&1 & template_pid=$! ;;
esac

echo "== checks"
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py check --fail-level WARNING
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
.venv/bin/ruff check .

echo "== pytest"
# Parallel workers (pytest-xdist): each has its own PostgreSQL database (test_..._gwN),
# Redis database (tests/conftest.py), simulators, live server and Chromium. Work is handed
# out test by test and stolen back at the end. PYTEST_WORKERS=0 runs in one process.
# The 25 slowest set-ups, calls and tear-downs are printed at the end, so every CI log
# says where the suite's time goes.
set +e
.venv/bin/pytest -n "${PYTEST_WORKERS:-auto}" --maxprocesses=8 --dist worksteal --durations=25 "$@"
status=$?
if [ -n "$template_pid" ]; then
  # The workers waited on the template's lock while it was built (or built it themselves
  # had this failed): this only says what it did.
  wait "$template_pid" || echo "(building the test template beside the checks failed)"
  cat "$RUNDIR/template.log"
fi
set -e
if [ "$status" -eq 5 ]; then
  echo "No test ran: failing." >&2
  exit 1
fi
exit "$status"
