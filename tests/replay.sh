#!/bin/sh
# capturo on the captures recorded by tests/record.sh
exec /usr/bin/python3 "$(dirname "$0")/replay.py"
