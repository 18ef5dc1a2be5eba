#!/usr/bin/env bash
# Create (or reuse) the Tryton server venv: `deploy/tryton/install.sh [VENV_DIR]` (default .venv-tryton).
# Idempotent: a stamp named after the requirements' hash marks a finished install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/../../.venv-tryton}"
python="${PYTHON:-python3.11}"
requirements="$here/requirements.txt"
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"
if [ -f "$stamp" ]; then
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --quiet --upgrade pip
"$venv/bin/pip" install --quiet --quiet -r "$requirements"
rm -f "$venv"/.installed-*
touch "$stamp"
echo "Tryton server installed in $venv"
