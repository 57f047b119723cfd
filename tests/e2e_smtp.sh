#!/bin/sh
# capturo live between real SMTP peers, for three cases a hostile replay
# checks too: a body the client sends before the 354, AUTH LOGIN seen
# from the client's packets only, and the code points that turn or
# break a line.  The server is tests/smtpd_log.py (aiosmtpd): its record
# of what it took is the reference.  Needs root: namespaces cde2s-PID-*.
#
#   cli 203.0.113.10 --- srv 203.0.113.25, smtpd_log.py on port 25,
#                        capturo twice on its eth0: both directions, and
#                        the client's packets only (src host 203.0.113.10)
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
CHECK_NAME=e2e_smtp
. "$TOP/tests/check.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces, a live capture)"
	exit 0
fi
[ -x "$C" ] || { nok "$C missing (make tests)"; exit 1; }
for c in swaks ip ss; do
	command -v $c >/dev/null 2>&1 ||
	    { nok "$c missing (sh tests/deps.sh installs it)"; exit 1; }
done
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
    { nok "python3-aiosmtpd missing (sh tests/deps.sh installs it)"; exit 1; }

T=$(mktemp -d /tmp/cde2s-$$.XXXXXX) || exit 1
chmod 755 "$T"
NS_PREFIX=cde2s-$$
. "$TOP/tests/netns.sh"
cleanup() {
	ns_cleanup
	[ -n "$E2E_SMTP_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT

CLI=203.0.113.10
SRV=203.0.113.25
PASS='S3cr3t-Passw0rd'
ns_new srv
ns_new cli
ns_link cli eth0 $CLI/24 srv eth0 $SRV/24
ns_bg srv /usr/bin/python3 tests/smtpd_log.py -o "$T/facts" -l $SRV:25 \
    >"$T/srv.out" 2>&1
ns_wait_port srv $SRV 25
ns_bg srv $C -i eth0 -w "$T/both.log" 2>"$T/both.err"
cb=$NS_LASTPID
ns_bg srv $C -i eth0 -w "$T/cli.log" src host $CLI 2>"$T/cli.err"
cc=$NS_LASTPID
ns_wait_file "$T/both.err" "listening on"
ns_wait_file "$T/cli.err" "listening on"

# 1. AUTH LOGIN, user u
ns_exec cli swaks --server $SRV --auth LOGIN --auth-user u \
    --auth-password "$PASS" --from auth@example.org --to r@example.net \
    --h-Subject "con AUTH" >"$T/swaks1.out" 2>&1
check "swaks --auth LOGIN delivers" grep -q '^<-  250 ' "$T/swaks1.out"

# 2. DATA and the body in one write, before the server's 354: the body
# holds lines shaped like commands
cat >"$T/early.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 25), timeout=10)
f = s.makefile("rb")
def reply():
    while True:
        ln = f.readline()
        if not ln or ln[3:4] != b"-":
            return ln
reply()
for cmd in (b"EHLO pc.example.org\r\n", b"MAIL FROM:<early@example.org>\r\n",
            b"RCPT TO:<r@example.net>\r\n"):
    s.sendall(cmd)
    if not reply().startswith(b"2"):
        sys.exit(1)
s.sendall(b"DATA\r\nSubject: early\r\n\r\nMAIL FROM:<inbody@example.org>\r\n"
          b"RCPT TO:<inbody@example.net>\r\nRSET\r\nQUIT\r\n.\r\n")
ok = reply().startswith(b"354") and reply().startswith(b"250")
s.sendall(b"QUIT\r\n")
reply()
sys.exit(0 if ok else 1)
EOF
ns_exec cli /usr/bin/python3 "$T/early.py" $SRV
check "a client that sends its body before the 354: 354, then 250" [ $? -eq 0 ]

# 3. the code points that turn or break a line, in the HELO name, the
# sender's address (SMTPUTF8) and the subject
B=$(printf '\302\205\330\234\342\200\216\342\200\217\342\200\250\342\200\251\342\200\252\342\200\253\342\200\254\342\200\255\342\200\256\342\201\246\342\201\247\342\201\250\342\201\251')
ns_exec cli swaks --server $SRV --helo "pc${B}.example.org" \
    --from "w${B}@example.org" --to r@example.net --h-Subject "s${B}" \
    >"$T/swaks3.out" 2>&1
check "swaks with those code points delivers" \
    grep -q '^<-  250 .*queued\|^<-  250 OK' "$T/swaks3.out"

# let both captures see the last packets, then stop them
sleep 1
ns_stop $cb
ns_stop $cc

PYCHK=$(cat <<'PY'
import base64, sys
sys.path.insert(0, "tests")
import hostile
log, facts, pw = sys.argv[1], sys.argv[2], sys.argv[3].encode()
out = open(log, "rb").read()
recs, errs = hostile.parse_all(out)
for e in errs[:5]:
    print("#   " + e)
ev = {}
for name, d, _ in recs:
    ev.setdefault(name, []).append(d)
# split at LF alone: str.splitlines() would also split at U+0085, U+2028...
fact = [ln.split("\t") for ln in
        open(facts, encoding="utf-8").read().split("\n") if ln]
res = []
def r(cond, what, detail=""):
    res.append((cond, what, detail))
r(not errs and recs, "every line parses (capturo-events(5), tests/hostile.py)")
auths = ev.get("auth", [])
fa = [f for f in fact if f[0] == "auth"]
r([a.get("user") for a in auths] == [b"u"] and fa and fa[0][3] == "u",
  "AUTH LOGIN: user=u, as the server took it",
  "capturo %r, server %r" % (auths, fa))
r(pw not in out and base64.b64encode(pw) not in out,
  "the password is in no event line, plain or base64")
msgs = {d.get("subject"): d for d in ev.get("message", [])}
fm = {f[2]: f for f in fact if f[0] == "message"}
early = msgs.get(b"early")
r(early is not None and "early" in fm and
  early.get("size") == fm["early"][3].encode(),
  "the body sent before the 354: one message, its size the server's",
  "capturo %r, server %r" % (early, fm.get("early")))
r(b"inbody" not in out and not any("inbody" in "\t".join(f) for f in fact),
  "nothing of that body read as a command (nor by the server)")
cps = [0x85, 0x61C, 0x200E, 0x200F] + list(range(0x2028, 0x202F)) + \
    list(range(0x2066, 0x206A))
raw = ["%04X" % c for c in cps if chr(c).encode() in out]
esc = ["%04X" % c for c in cps if out.count(b"\\u{%04X}" % c) != 3]
r(not raw and not esc,
  "U+0085, U+061C, U+200E-200F, U+2028-202E, U+2066-2069 escaped in the "
  "helo, mail and message lines, never raw",
  "raw %s, not escaped 3 times %s" % (raw, esc))
B = "".join(chr(c) for c in cps)
r(("s" + B) in fm and msgs.get(("s" + B).encode()) is not None,
  "that subject decoded as the server took it")
for cond, what, detail in res:
    print("%s - %s" % ("ok" if cond else "not ok", what))
    if not cond and detail:
        print("#   " + detail[:600])
PY
)
for cap in both cli; do
	case $cap in
	both) what="both directions" ;;
	cli) what="the client's packets only" ;;
	esac
	/usr/bin/python3 -c "$PYCHK" "$T/$cap.log" "$T/facts" "$PASS" |
	    while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$what: ${line#ok - }" ;;
		"not ok - "*) nok "$what: ${line#not ok - }"
			echo "$line" >>"$T/failed" ;;
		*) echo "$line" ;;
		esac
	    done
	checkx "$what: the password in no standard error" \
	    '! grep -qF -e "$PASS" -e "$(printf %s "$PASS" | base64)" "$T/$cap.err"'
done
[ -f "$T/failed" ] && fail=1
check "no sanitizer report in any run" \
    sh -c "! grep -lq 'Sanitizer\\|runtime error' '$T/both.err' '$T/cli.err'"
exit $fail
