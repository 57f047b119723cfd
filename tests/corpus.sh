#!/bin/sh
# the public corpus test, when ../shared/pcaps is here
exec /usr/bin/python3 "$(dirname "$0")/corpus.py"
