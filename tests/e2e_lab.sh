#!/bin/sh
# The lab's end-to-end test: tests/lab.sh test, as root; skipped without root.

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - e2e_lab: needs root (network namespaces, iptables)"
	exit 0
fi
cd "$(dirname "$0")/.." || exit 1
exec sh tests/lab.sh test
