#!/usr/bin/env bash
# Build the collection's docs site into OUT_DIR: bash .ci/docsite.sh OUT_DIR
#
# The site antsibull-docs lays out (plugin and role pages, the guides of
# docs/docsite/extra-docs.yml), with docs/docsite/index.rst as its landing page.
# Built offline: no intersphinx inventories, so no links into docs.ansible.com,
# and their labels are not checked. Needs antsibull-docs and Sphinx on PATH, and
# the collection on ANSIBLE_COLLECTIONS_PATH (`make docs` and
# tests/system/test_docsite.py set both up).
set -euo pipefail
out=${1:?usage: docsite.sh OUT_DIR}
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
namespace=$(sed -n 's/^namespace: *//p' "$repo/galaxy.yml")
name=$(sed -n 's/^name: *//p' "$repo/galaxy.yml")
collection="$namespace.$name"

work=$(mktemp -d "${TMPDIR:-/tmp}/$namespace-$name-docsite.XXXXXX")
trap 'rm -rf "$work"' EXIT
site="$work/site"
mkdir -m 700 "$site"   # antsibull-docs wants a directory only its owner can write
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$site" \
  --index-rst-source "$repo/docs/docsite/index.rst" \
  --project "$collection" --copyright "$collection contributors" \
  --title "$collection collection" --html-short-title "$collection" "$collection"
printf '\n# offline build (.ci/docsite.sh): no intersphinx inventories, so no\n# cross-references into docs.ansible.com either\nintersphinx_mapping = {}\nsuppress_warnings = ["ref.ref"]\n' >>"$site/conf.py"
"$site/build.sh"   # antsibull-docs collection, then sphinx-build -W
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$site/build/html" "$out"
