#!/usr/bin/env bash
# The zendesk.oauth demo, against the Zendesk simulator on this machine (no Zendesk account needed):
#
#   1. build the collection tarball and install it into a temporary collections directory,
#      so the demo runs the built artifact, not the working tree;
#   2. start the simulator (tests/simulator) on a free port, with a state file and a lifetime;
#   3. run examples/bootstrap.yml: OAuth client -> token -> Ansible Vault file;
#   4. show what was made, and use the stored token as a Bearer token on GET /api/v2/users/me;
#   5. run the playbook again: PLAY RECAP shows changed=0;
#   6. stop the simulator.
#
# Run from the repository root after `make venv` (`make demo` does both). VENV=... picks another venv.
# The vault file and its password file stay in DEMO_DIR (default: a new temporary directory) for a look.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
BIN="$VENV/bin"
for tool in python ansible-galaxy ansible-playbook ansible-vault; do
  [ -x "$BIN/$tool" ] || { echo "demo: $BIN/$tool is missing: run 'make venv' first" >&2; exit 1; }
done

DEMO_DIR="${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zendesk-oauth-demo.XXXXXX")}"
mkdir -p "$DEMO_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zendesk-oauth-demo-work.XXXXXX")"   # tarball, installed copy, Ansible's files
SIM_PID=""
stop_simulator() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID"
    wait "$SIM_PID" 2>/dev/null || true   # a SIGTERM exit status is expected
    echo "Simulator stopped."
  fi
  SIM_PID=""
}
trap 'stop_simulator; rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }

# Only this demo's Ansible: its own collections path and home (no stale installed copy), no ZENDESK_*.
unset ZENDESK_URL ZENDESK_SUBDOMAIN ZENDESK_EMAIL ZENDESK_API_TOKEN ZENDESK_OAUTH_TOKEN
export ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export PATH="$BIN:$PATH"

step "Build and install the collection"
ansible-galaxy collection build --force --output-path "$WORK/dist" "$REPO" >/dev/null
TARBALL="$(ls "$WORK"/dist/zendesk-oauth-*.tar.gz)"
ansible-galaxy collection install --force --no-deps -p "$ANSIBLE_COLLECTIONS_PATH" "$TARBALL" >/dev/null
echo "Installed $(basename "$TARBALL") into $ANSIBLE_COLLECTIONS_PATH"

step "Start the Zendesk simulator"
PYTHONPATH="$REPO/tests" python -m simulator --port 0 --port-file "$WORK/port" \
  --state-file "$WORK/simulator-state.json" --lifetime 600 >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/simulator.log" >&2; exit 1; }
  sleep 0.2
done
[ -s "$WORK/port" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$WORK/port")"
echo "Zendesk simulator on $URL (admin@example.com, its seeded API token)"

# The simulator's seeded admin (tests/simulator/README.md). The credentials go in a file, not on
# the command line, where any local user could read them in the process list.
umask 077
VAULT_FILE="$DEMO_DIR/zendesk_oauth.vault.yml"
PASSWORD_FILE="$DEMO_DIR/vault.pass"
rm -f "$VAULT_FILE"
python -c 'import secrets; print(secrets.token_urlsafe(24))' >"$PASSWORD_FILE"
cat >"$WORK/connection.yml" <<YML
zendesk_url: $URL
zendesk_email: admin@example.com
zendesk_api_token: sim-admin-api-token-0123456789abcdef
zendesk_vault_file: $VAULT_FILE
zendesk_vault_password_file: $PASSWORD_FILE
YML
PLAYBOOK="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/zendesk/oauth/examples/bootstrap.yml"
[ -f "$PLAYBOOK" ] || PLAYBOOK="$REPO/examples/bootstrap.yml"

step "First run: ansible-playbook examples/bootstrap.yml"
ansible-playbook "$PLAYBOOK" -e @"$WORK/connection.yml"

step "What was made"
# Read back through ansible-vault (as a person would) and use the token on the simulator.
ansible-vault view --vault-password-file "$PASSWORD_FILE" "$VAULT_FILE" >"$WORK/vault.plain"
python - "$WORK/vault.plain" "$VAULT_FILE" "$URL" <<'PY'
import json, os, stat, sys, urllib.request

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    held = yaml.safe_load(handle)
os.unlink(sys.argv[1])
# The simulator's request log (its control plane, not Zendesk's API): what the run cost.
with urllib.request.urlopen(sys.argv[3] + "/_sim/requests", timeout=30) as answer:
    sent = json.load(answer)["requests"]
request = urllib.request.Request(held["zendesk_oauth_url"] + "/api/v2/users/me",
                                 headers={"Authorization": "Bearer " + held["zendesk_oauth_full_token"]})
with urllib.request.urlopen(request, timeout=30) as answer:
    status, user = answer.status, json.load(answer)["user"]
mode = stat.S_IMODE(os.stat(sys.argv[2]).st_mode)
print("OAuth client   %s (id %s), secret stored: %s" % (
    held["zendesk_oauth_client_identifier"], held["zendesk_oauth_client_id"],
    "yes" if held["zendesk_oauth_client_secret"] else "no"))
print("OAuth token    id %s, scopes %s, expires %s" % (
    held["zendesk_oauth_token_id"], " ".join(held["zendesk_oauth_scopes"]),
    held["zendesk_oauth_token_expires_at"] or "never"))
print("Vault file     %s (mode %04o, Ansible Vault encrypted)" % (sys.argv[2], mode))
print("Token works    GET /api/v2/users/me with it as Bearer -> %d, user %s (%s)" % (
    status, user["email"], user["role"]))
print("API requests   %d: %s" % (len(sent), ", ".join("%s %s" % (r["method"], r["path"]) for r in sent)))
PY
echo "Look inside:   $BIN/ansible-vault view --vault-password-file $PASSWORD_FILE $VAULT_FILE"

step "Second run: the token in the vault file is verified, nothing changes"
python -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_sim/requests", method="DELETE"), timeout=30)' "$URL"
ansible-playbook "$PLAYBOOK" -e @"$WORK/connection.yml" >"$WORK/second-run.log" 2>&1 ||
  { cat "$WORK/second-run.log"; exit 1; }
sed -n '/^PLAY RECAP/,$p' "$WORK/second-run.log"
python - "$URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_sim/requests", timeout=30) as answer:
    sent = json.load(answer)["requests"]
print("API requests   %d: %s" % (len(sent), ", ".join("%s %s" % (r["method"], r["path"]) for r in sent)))
PY
grep -Eq '^localhost +: .*changed=0 ' "$WORK/second-run.log" ||
  { echo "demo: the second run changed something" >&2; exit 1; }

step "Stop the simulator"
stop_simulator
echo "Done. The vault file and its password file are in $DEMO_DIR"
