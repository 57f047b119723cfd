#!/bin/sh
# hostile DNS, TLS and refusal text against capturo, and detengo in
# shared mode on what it writes: captures built by tests/hostile_dns_tls.py
cd "$(dirname "$0")/.." || exit 1
. tests/check.sh
CAPTURO=${CAPTURO:-obj-san/bin/capturo}
for b in "$CAPTURO" "${DETENGO:-obj-san/bin/detengo}"; do
	[ -x "$b" ] || { nok "$b is built (make -s tests)"; exit 1; }
done
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 tests/hostile_dns_tls.py "$dir" || fail=1

# a ClientHello of 10,000 extensions (40 KB over 28 segments) costs
# capturo no more than any other hello
if [ -f "$dir/tls-ext10000.pcap" ]; then
	t0=$(date +%s%N)
	"$CAPTURO" -r "$dir/tls-ext10000.pcap" >"$dir/ext.out" 2>"$dir/ext.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	checkx "capturo reads the 10,000-extension hello in ${ms} ms < 1 s" \
	    '[ $rc -eq 0 ] && within "$ms" 1000 &&
	    [ "$(grep -c " tls " "$dir/ext.out")" -eq 1 ]' ||
	    sed 's/^/#   /' "$dir/ext.err"
else
	nok "tests/hostile_dns_tls.py wrote tls-ext10000.pcap"
fi
exit $fail
