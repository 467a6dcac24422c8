#!/usr/bin/env bash
# Schemathesis (from PyPI) against a real Gatehouse: see test/hostile/schemathesis.py.
# Makes its own venv under .cache/ (git-ignored), builds dist/ unless GATEHOUSE_SKIP_BUILD=1,
# and exits non-zero on any finding. About 2.5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCHEMATHESIS_VERSION=4.32.5
venv=.cache/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    # Debian splits venv out of python3; CI runs as root and may install it.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ "${GATEHOUSE_SKIP_BUILD:-0}" != "1" ]; then node scripts/build.mjs; fi
exec "$venv/bin/python" test/hostile/schemathesis.py "$@"
