#!/bin/sh
# make install into a DESTDIR: both programs, the pages, the examples
cd "$(dirname "$0")/.." || exit 1
D=$(mktemp -d) || exit 1
trap 'rm -rf "$D"' EXIT
if ! make -s install DESTDIR="$D" PREFIX=/usr/local >"$D.log" 2>&1; then
	echo "not ok - install: make install failed"
	sed 's/^/#   /' "$D.log"
	rm -f "$D.log"
	exit 1
fi
rm -f "$D.log"
for f in sbin/capturo sbin/detengo share/man/man8/capturo.8 \
    share/man/man8/detengo.8 share/man/man5/capturo-events.5 \
    share/doc/capturo/examples/capturo.service \
    share/doc/capturo/examples/detengo.service \
    share/doc/capturo/examples/allow.txt \
    share/doc/capturo/examples/worm.pcap; do
	if [ -e "$D/usr/local/$f" ]; then
		echo "ok - install: $f"
	else
		echo "not ok - install: $f missing"
	fi
done
v=$("$D/usr/local/sbin/capturo" --version)
[ "$v" = "capturo $(sed -n 's/^VERSION=[[:space:]]*//p' Makefile)" ] &&
    echo "ok - install: the installed capturo runs ($v)" ||
    echo "not ok - install: the installed capturo says '$v'"
"$D/usr/local/sbin/detengo" --help | grep -q '^usage: detengo' &&
    echo "ok - install: the installed detengo --help prints its usage" ||
    echo "not ok - install: detengo --help"
