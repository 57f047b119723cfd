#!/bin/sh
# capturo against the peers' test expectations, when ../shared/pcaps is here
exec /usr/bin/python3 "$(dirname "$0")/peers.py"
