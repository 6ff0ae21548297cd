#!/usr/bin/env bash
# `make demo`: SQLite, no broker (tasks run in the web process), demo data, and our own
# Stripe and Salesforce simulators on localhost so a sync and a Stripe push work with no
# credentials. DEMO_SIMULATORS=0 skips the simulators. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# Invoice PDFs need Pango (WeasyPrint); install it when we may (root) and it is missing.
PDF_LIBS="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  missing=""; for p in $PDF_LIBS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then apt-get update -qq && apt-get install -y -qq $missing >/dev/null; fi
fi
export DEBUG=1 DATABASE_URL="sqlite:///$PWD/var/ledgerline.sqlite3"
unset REDIS_URL
mkdir -p var
PORT=${DEMO_PORT:-8000}
STRIPE_PORT=${DEMO_STRIPE_PORT:-12111}
SF_PORT=${DEMO_SALESFORCE_PORT:-8443}

pids=()
cleanup() { for pid in "${pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

wait_for() {  # url: poll until the simulator answers (no curl needed)
  for _ in $(seq 1 100); do
    $PY -c "import ssl, sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=1,
context=ssl._create_unverified_context())" "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "Simulator at $1 did not start; see var/*.log" >&2
  return 1
}

# The simulators need no database: they start while the demo loads.
if [ "${DEMO_SIMULATORS:-1}" = "1" ]; then
  $PY manage.py run_stripe_simulator --port "$STRIPE_PORT" > var/stripe-simulator.log 2>&1 &
  pids+=($!)
  $PY manage.py run_salesforce_simulator --port "$SF_PORT" --seed-opportunities 60 \
    > var/salesforce-simulator.log 2>&1 &
  pids+=($!)
fi

# Migrations and the whole demo book in one process (`load_demo`: one Django start, one
# round of system checks), each step printing what it loaded and how long it took.
$PY manage.py load_demo

if [ "${DEMO_SIMULATORS:-1}" = "1" ]; then
  wait_for "http://127.0.0.1:$STRIPE_PORT/_sim/state"
  wait_for "https://127.0.0.1:$SF_PORT/_sim/requests"
  export STRIPE_API_KEY=sk_test_ledgerline_demo STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"
  eval "$($PY manage.py stripe_register_webhook --skip-checks \
    --url "http://127.0.0.1:$PORT/integrations/stripe/webhook/" 2>/dev/null)"
  export STRIPE_WEBHOOK_SECRET
  export SALESFORCE_INSTANCE_URL="https://127.0.0.1:$SF_PORT"
  export SALESFORCE_USERNAME=integration@ledgerline.test SALESFORCE_PASSWORD=ledgerline-sim
  export SALESFORCE_SECURITY_TOKEN=SIMTOKEN0000000000000000
  export SALESFORCE_CA_BUNDLE="$PWD/var/salesforce-simulator/cert.pem"
  echo "Stripe simulator on http://127.0.0.1:$STRIPE_PORT, Salesforce simulator on" \
       "https://127.0.0.1:$SF_PORT (60 opportunities to sync)."
fi

echo "Ledgerline is starting on http://127.0.0.1:$PORT (Ctrl-C stops it)"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks  # load_demo checked
