#!/bin/sh
# mandoc -Tlint on every page: a page that warns fails
cd "$(dirname "$0")/.." || exit 1
for p in docs/*.[1-9]; do
	[ -f "$p" ] || continue
	if out=$(mandoc -Tlint -W warning "$p" 2>&1) && [ -z "$out" ]; then
		echo "ok - mandoc -Tlint $p"
	else
		echo "not ok - mandoc -Tlint $p"
		echo "$out"
	fi
done
