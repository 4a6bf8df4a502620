#!/usr/bin/env bash
# The zendesk.oauth demo, against the Zendesk simulator on this machine (no Zendesk account needed):
#
#   1. find the collection: in a source checkout (galaxy.yml), build the tarball and install it
#      into a temporary collections directory, so the demo runs the built artifact, not the
#      working tree; in an installed collection (MANIFEST.json), use it where it is;
#   2. start the simulator (the collection's tests/simulator, Python standard library only) on a
#      free port, with a state file and a lifetime;
#   3. run examples/bootstrap.yml: OAuth client -> token -> Ansible Vault file;
#   4. show what was made, and use the stored token as a Bearer token on GET /api/v2/users/me;
#   5. run the playbook again: PLAY RECAP shows changed=0;
#   6. stop the simulator.
#
# `make demo` runs it with .venvs/demo (ansible-core and requests only). On its own, it uses the
# ansible-* commands of VENV=... (VENV/bin), else those on PATH, and their Python (which has requests):
#   bash ~/.ansible/collections/ansible_collections/zendesk/oauth/examples/demo.sh
# DEMO_RUNNER=ansible-navigator runs the playbook with `ansible-navigator run --ee false --mode stdout`
# instead (pip install ansible-navigator; examples/ansible-navigator.yml is its settings file).
# The vault file and its password file stay in DEMO_DIR (default: a new temporary directory, never
# the collection's own folder) for a look.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COLLECTION="$(dirname "$HERE")"
if [ -n "${VENV:-}" ]; then
  BIN="$VENV/bin"
else
  BIN="$(dirname "$(command -v ansible-playbook || echo ./ansible-playbook)")"
fi
for tool in ansible ansible-galaxy ansible-playbook ansible-vault; do
  [ -x "$BIN/$tool" ] || { echo "demo: $BIN/$tool is missing: install ansible-core (pip install ansible-core requests), or run 'make demo'" >&2; exit 1; }
done
RUNNER="${DEMO_RUNNER:-ansible-playbook}"
case "$RUNNER" in
  ansible-playbook) ;;
  ansible-navigator) [ -x "$BIN/ansible-navigator" ] || { echo "demo: $BIN/ansible-navigator is missing (pip install ansible-navigator)" >&2; exit 1; } ;;
  *) echo "demo: DEMO_RUNNER is ansible-playbook or ansible-navigator, not $RUNNER" >&2; exit 1 ;;
esac
# The Python that runs Ansible (it has PyYAML): it also runs the simulator and reads the results.
PYTHON="$("$BIN/ansible" --version | sed -n 's/^ *python version = .*(\(\/[^)]*\))$/\1/p')"
[ -x "$PYTHON" ] || { echo "demo: cannot tell which Python $BIN/ansible runs on" >&2; exit 1; }

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

# Only this demo's Ansible: its own home (no stale installed copy), no ZENDESK_*.
unset ZENDESK_URL ZENDESK_SUBDOMAIN ZENDESK_EMAIL ZENDESK_API_TOKEN ZENDESK_OAUTH_TOKEN
export ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export PATH="$BIN:$PATH"

if [ -f "$COLLECTION/galaxy.yml" ]; then
  step "Build and install the collection"
  export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
  ansible-galaxy collection build --force --output-path "$WORK/dist" "$COLLECTION" >/dev/null
  TARBALL="$(ls "$WORK"/dist/zendesk-oauth-*.tar.gz)"
  ansible-galaxy collection install --force --no-deps -p "$ANSIBLE_COLLECTIONS_PATH" "$TARBALL" >/dev/null
  echo "Installed $(basename "$TARBALL") into $ANSIBLE_COLLECTIONS_PATH"
  COLLECTION="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/zendesk/oauth"
elif [ -f "$COLLECTION/MANIFEST.json" ]; then
  step "Use the installed collection"
  # .../ansible_collections/zendesk/oauth: the collections path is three levels up.
  ANSIBLE_COLLECTIONS_PATH="$(cd "$COLLECTION/../../.." && pwd)"
  export ANSIBLE_COLLECTIONS_PATH
  echo "zendesk.oauth $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$COLLECTION/MANIFEST.json" | head -n 1) in $ANSIBLE_COLLECTIONS_PATH"
else
  echo "demo: $COLLECTION is neither a source checkout (galaxy.yml) nor an installed collection (MANIFEST.json)" >&2
  exit 1
fi
PLAYBOOK="$COLLECTION/examples/bootstrap.yml"

step "Start the Zendesk simulator"
PYTHONPATH="$COLLECTION/tests" "$PYTHON" -m simulator --port 0 --port-file "$WORK/port" \
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
"$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$PASSWORD_FILE"
cat >"$WORK/connection.yml" <<YML
zendesk_url: $URL
zendesk_email: admin@example.com
zendesk_api_token: sim-admin-api-token-0123456789abcdef
zendesk_vault_file: $VAULT_FILE
zendesk_vault_password_file: $PASSWORD_FILE
YML
# ansible-playbook, or ansible-navigator with the local Ansible (--ee false: no container engine
# needed) and its settings file examples/ansible-navigator.yml; its log goes to $WORK, not the cwd.
run_playbook() {
  if [ "$RUNNER" = ansible-navigator ]; then
    ANSIBLE_NAVIGATOR_CONFIG="$HERE/ansible-navigator.yml" ANSIBLE_NAVIGATOR_LOG_FILE="$WORK/ansible-navigator.log" \
      ansible-navigator run "$PLAYBOOK" --ee false --mode stdout -e @"$WORK/connection.yml"
  else
    ansible-playbook "$PLAYBOOK" -e @"$WORK/connection.yml"
  fi
}

step "First run: $RUNNER examples/bootstrap.yml"
run_playbook

step "What was made"
# Read back through ansible-vault (as a person would) and use the token on the simulator.
ansible-vault view --vault-password-file "$PASSWORD_FILE" "$VAULT_FILE" >"$WORK/vault.plain"
"$PYTHON" - "$WORK/vault.plain" "$VAULT_FILE" "$URL" <<'PY'
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
"$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_sim/requests", method="DELETE"), timeout=30)' "$URL"
run_playbook >"$WORK/second-run.log" 2>&1 ||
  { cat "$WORK/second-run.log"; exit 1; }
# All of it: this is what a run with nothing to do prints.
sed -n '/^PLAY /,$p' "$WORK/second-run.log"
"$PYTHON" - "$URL" <<'PY'
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
