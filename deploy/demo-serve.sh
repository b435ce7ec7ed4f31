#!/usr/bin/env bash
# make demo's last step: the hub (back office and API) and a counter in a browser, together,
# on this machine only. The counter is the demo's first terminal, activated afresh in
# $DEMO_TERMINAL; its operator signs in on the counter's page. Ctrl-C stops both.
set -euo pipefail
# Usage: demo-serve.sh --bin DIR --database-url URL --port N --counter-port N
#                      --credentials FILE --terminal-home DIR
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2" ;;
    --database-url) DB_URL="$2" ;;
    --port) PORT="$2" ;;
    --counter-port) COUNTER_PORT="$2" ;;
    --credentials) CREDENTIALS="$2" ;;
    --terminal-home) TERMINAL_HOME="$2" ;;
    *) echo "demo-serve.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
HUB="http://127.0.0.1:$PORT"

QURB_DATABASE_URL="$DB_URL" "$BIN/qurb-api" serve --host 127.0.0.1 --port "$PORT" &
hub=$!
counter=""
stop() { kill $hub $counter 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

for _ in $(seq 1 60); do
  if "$BIN/python" -c "import httpx,sys; sys.exit(httpx.get('$HUB/readyz').status_code != 200)" \
    2>/dev/null; then break; fi
  sleep 0.5
done

read -r code operator password < <("$BIN/python" -c '
import json, sys
demo = json.load(open(sys.argv[1]))
first = demo["terminals"][0]
users = {u["username"]: u for u in demo["users"]}
op = users["op." + first["office"].lower()]
print(first["activation_code"], op["username"], op["password"])' "$CREDENTIALS")

rm -rf "$TERMINAL_HOME"
"$BIN/qurb-terminal" --home "$TERMINAL_HOME" init --server "$HUB" >/dev/null
"$BIN/qurb-terminal" --home "$TERMINAL_HOME" activate "$code" >/dev/null
"$BIN/qurb-terminal" --home "$TERMINAL_HOME" serve --port "$COUNTER_PORT" --no-browser &
counter=$!
sleep 1
echo
echo "Counter (the first terminal, in a browser): http://127.0.0.1:$COUNTER_PORT/ — sign in as"
echo "  operator       $operator   $password"
echo "Back office: $HUB/back-office/ — the sign-ins above. Ctrl-C stops both."
wait $hub
