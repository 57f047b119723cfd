#!/bin/sh
# hostile traffic against capturo and detengo, pcaps built by tests/hostile.py
cd "$(dirname "$0")/.." || exit 1
exec /usr/bin/python3 tests/hostile.py "$@"
