#!/bin/sh
# Runs a reference check with the project venv's python: SKIPPED (exit 77,
# ctest's SKIP_RETURN_CODE) when the venv is absent, never a silent pass.
# usage: run_in_venv.sh VENV_PYTHON SCRIPT ARGS...
py=$1
shift
if [ ! -x "$py" ]; then
  echo "SKIPPED: no project venv python at $py (scripts/install-venv.sh makes it)"
  exit 77
fi
exec "$py" "$@"
