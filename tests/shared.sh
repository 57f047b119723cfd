#!/bin/sh
# detengo -m shared on event logs: each signature fires at its count and
# not before, in the events' own times; hosts apart; an allowed or an
# already blocked host is not counted; a refusal naming another address
# frames no one; a replay decides what the live run decided; strict mode
# on the same log blocks at the first MAIL FROM.  Dry runs, no root; as
# root the block's rules cover 25, 465 and 587 in a namespace.
cd "$(dirname "$0")/.." || exit 1
D=${DETENGO:-./obj-san/bin/detengo}
T=$(mktemp -d) || exit 1
NS=""
cleanup() {
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
export XTABLES_LOCKFILE="$T/xtables.lock"

. tests/check.sh
CHECK_NAME=shared
_cn="shared: "

# the log: one host per behaviour, times in seconds from 16:00:00
python3 - >"$T/a.log" <<'PY'
n = 0
def ev(sec, name, src, dst, extra=""):
    global n
    n += 1
    print("2026-03-03T%02d:%02d:%02d.%06dZ %s sid=%08x src=%s dst=%s mac=52:54:00:00:%02x:%02x%s"
          % (16 + sec // 3600, sec // 60 % 60, sec % 60, n, name, n, src, dst,
             n // 256 % 256, n % 256, " " + extra if extra else ""))
lines = []
# 192.0.2.10, direct to MX: an MX lookup and a connection per domain,
# mostly refused; 192.0.2.11 the same but slow: one every 3 minutes
for h, step in (("192.0.2.10", 2), ("192.0.2.11", 180)):
    for i in range(12):
        t = 100 + i * step
        lines.append((t, "mx", h + ":5353", "192.0.2.53:53", "name=d%d.example" % i))
        lines.append((t, "connect", h + ":4%04d" % i, "203.0.113.%d:25" % (10 + i)))
# 192.0.2.20, stolen accounts: 465 to 12 providers, by name
for i in range(12):
    lines.append((200 + i * 5, "tls", "192.0.2.20:5%04d" % i,
                  "198.51.100.%d:465" % (10 + i), "sni=smtp.p%d.example" % i))
# 192.0.2.21: two providers all afternoon, 587 and 465
for i in range(40):
    lines.append((100 + i * 60, "tls", "192.0.2.21:6%04d" % i,
                  "198.51.100.%d:%d" % (50 + i % 2, 587 if i % 2 else 465),
                  "sni=%s" % ("smtp.a.example" if i % 2 else "SMTP.B.example")))
# 192.0.2.30: refused, naming a blocklist and its own address
lines.append((300, "connect", "192.0.2.30:40000", "203.0.113.9:25"))
lines.append((301, "mail", "192.0.2.30:40000", "203.0.113.9:25", "from=x@example.org"))
lines.append((302, "refused", "192.0.2.30:40000", "203.0.113.9:25",
              "verb=MAIL from=x@example.org reply=554 esc=5.7.1 listed=zen.spamhaus.org named=192.0.2.30"))
# 192.0.2.31: a refusal naming another address: framing
for i in range(3):
    lines.append((310 + i, "refused", "192.0.2.31:40000", "203.0.113.9:25",
                  "verb=RCPT to=a@example.net reply=554 listed=zen.spamhaus.org named=192.0.2.99"))
# 192.0.2.40: a developer's one direct mail
lines.append((400, "mx", "192.0.2.40:5353", "192.0.2.53:53", "name=example.net"))
lines.append((401, "connect", "192.0.2.40:40000", "203.0.113.20:25"))
lines.append((402, "mail", "192.0.2.40:40000", "203.0.113.20:25", "from=dev@example.org"))
lines.append((403, "rcpt", "192.0.2.40:40000", "203.0.113.20:25", "to=a@example.net"))
# 192.0.2.50: 10 RCPT, 8 refused
for i in range(10):
    lines.append((500 + i, "rcpt", "192.0.2.50:40000", "203.0.113.30:25", "to=u%d@example.net" % i))
    if i < 8:
        lines.append((500 + i, "refused", "192.0.2.50:40000", "203.0.113.30:25",
                      "verb=RCPT to=u%d@example.net reply=550" % i))
# 192.0.2.51: 10 RCPT, 5 refused (a mailing with bad addresses)
for i in range(10):
    lines.append((520 + i, "rcpt", "192.0.2.51:40000", "203.0.113.30:25", "to=v%d@example.net" % i))
    if i < 5:
        lines.append((520 + i, "refused", "192.0.2.51:40000", "203.0.113.30:25",
                      "verb=RCPT to=v%d@example.net reply=550" % i))
# 192.0.2.60: 60 messages in an hour over 587, one provider
for i in range(60):
    lines.append((600 + i * 50, "mail", "192.0.2.60:4%04d" % i, "198.51.100.60:587", "from=news@example.org"))
# 192.0.2.25, the company's mail server: relays to 30 domains
for i in range(30):
    lines.append((100 + i, "mx", "192.0.2.25:5353", "192.0.2.53:53", "name=r%d.example" % i))
    lines.append((100 + i, "connect", "192.0.2.25:4%04d" % i, "203.0.113.%d:25" % (100 + i)))
for l in sorted(lines, key=lambda x: x[0]):
    ev(*l)
PY
A="-a 192.0.2.25"
$D -m shared $A -n --once --from-start -M "$T/m.prom" "$T/a.log" >"$T/out" 2>"$T/err"
blk() { grep " block .*host=$1 " "$T/out"; }
why() { blk "$1" | sed -n 's/.* reason=\([^ ]*\).*/\1/p'; }
checkx "direct to MX: mx-fanout at the 5th domain" \
    '[ "$(why 192.0.2.10)" = mx-fanout ] && blk 192.0.2.10 | grep -q "evidence=5/3600 "'
checkx "the slow bot, one every 3 minutes: blocked" \
    '[ -n "$(why 192.0.2.11)" ]'
checkx "stolen accounts: server-fanout at the 8th provider, 8 sids" \
    '[ "$(why 192.0.2.20)" = server-fanout ] &&
     blk 192.0.2.20 | grep -q "evidence=8/3600 sids=\([0-9a-f]\{8\},\)\{7\}[0-9a-f]\{8\}$"'
check "two providers all afternoon: not blocked" [ -z "$(blk 192.0.2.21)" ]
checkx "a blocklist refusal naming the host: blocklisted" \
    '[ "$(why 192.0.2.30)" = blocklisted ]'
check "a blocklist refusal naming another address: not blocked" \
    [ -z "$(blk 192.0.2.31)" ]
check "a developer's one direct mail: not blocked" [ -z "$(blk 192.0.2.40)" ]
checkx "8 of 10 RCPT refused: refusal-ratio" \
    '[ "$(why 192.0.2.50)" = refusal-ratio ] && blk 192.0.2.50 | grep -q "evidence=7/10/600 \|evidence=8/10/600 "'
check "5 of 10 refused: not blocked" [ -z "$(blk 192.0.2.51)" ]
checkx "60 messages in an hour: volume at the 50th" \
    '[ "$(why 192.0.2.60)" = volume ]'
check "the mail server on the allow list: not blocked" [ -z "$(blk 192.0.2.25)" ]
checkx "shared mode blocks 25, 465 and 587" \
    'blk 192.0.2.20 | grep -q " ports=25,465,587 "'
checkx "one block a host" \
    '[ "$(grep -c " block " "$T/out")" -eq 6 ] &&
     [ "$(grep " block " "$T/out" | sed "s/.*host=\([^ ]*\).*/\1/" | sort -u | wc -l)" -eq 6 ]' ||
    grep " block " "$T/out" | sed 's/^/#   /'
checkx "no skip lines in shared mode" '! grep -q " skip " "$T/out"'
checkx "the metrics count each signature" \
    'grep -q "^detengo_blocks_total{reason=\"mx-fanout\"} [12]$" "$T/m.prom" &&
     grep -q "^detengo_blocks_total{reason=\"server-fanout\"} [12]$" "$T/m.prom" &&
     grep -q "^detengo_blocks_total{reason=\"volume\"} 1$" "$T/m.prom"'

# the same log again: the same decisions
$D -m shared $A -n --once --from-start "$T/a.log" >"$T/out2" 2>/dev/null
dec() { sed -n 's/.* block .*host=\([^ ]*\) .*reason=\([^ ]*\) evidence=\([^ ]*\) sids=\(.*\)/\1 \2 \3 \4/p' "$1"; }
checkx "a replay decides the same, evidence and sids included" \
    '[ -s "$T/out2" ] && [ "$(dec "$T/out")" = "$(dec "$T/out2")" ]'
# tuning: a signature off, another stricter
$D -m shared $A -g mx=off -g ratio=off -g servers=off -n --once --from-start "$T/a.log" >"$T/out4" 2>/dev/null
checkx "-g mx=off: direct-to-MX blocked by volume or listing only" \
    '! grep -q "reason=mx-fanout" "$T/out4" && ! grep -q "reason=server-fanout" "$T/out4"'
$D -m shared $A -g servers=2/3600 -n --once --from-start "$T/a.log" >"$T/out5" 2>/dev/null
checkx "-g servers=2/3600: two providers is enough then" \
    'grep -q "host=192.0.2.21 .*reason=server-fanout" "$T/out5"'
$D -m bad -n --once "$T/a.log" >/dev/null 2>"$T/e"
checkx "-m bad: exit 2" '[ $? -eq 2 ] && grep -q "strict or shared" "$T/e"'
$D -g mx=99/1 -n --once "$T/a.log" >/dev/null 2>"$T/e"
checkx "-g mx=99/1: exit 2, naming the bounds" '[ $? -eq 2 ] && grep -q "up to 16" "$T/e"'

# strict mode, the same log: every host's first MAIL FROM (or STARTTLS)
$D $A -n --once --from-start "$T/a.log" >"$T/outs" 2>/dev/null
checkx "strict mode: the developer blocked at its first MAIL FROM" \
    'grep -q " block .*host=192.0.2.40 .*reason=mail$" "$T/outs"'
checkx "strict mode: ports 25 only, mx and tls events not read" \
    '! grep -q "ports=25,465" "$T/outs" && ! grep -q "host=192.0.2.20 " "$T/outs"'

# --why names the signature and its evidence
$D -m shared $A -n --once --from-start -s "$T/sw" "$T/a.log" >/dev/null 2>&1
$D -s "$T/sw" --why 192.0.2.50 >"$T/w" 2>&1
checkx "--why: the ratio's evidence in words" \
    'grep -q "^trigger: refusal-ratio, [78] refused of 10 MAIL and RCPT within 600 s$" "$T/w"' ||
    sed 's/^/#   /' "$T/w"

if [ "$(id -u)" -ne 0 ]; then
	skip "the rules on 25, 465 and 587: needs root"
	exit $fail
fi
NS=cdshared-$$
ip netns add "$NS" || { nok "ip netns add"; exit 1; }
xt_modules
ip netns exec "$NS" $D -m shared $A --once --from-start -s "$T/sr" "$T/a.log" >/dev/null 2>&1
checkx "the stolen-account bot's rules: LOG and DROP on 25, 465 and 587" \
    'for p in 25 465 587; do ip netns exec "$NS" iptables-legacy -S FORWARD |
        grep -q -- "-s 192.0.2.20/32 -p tcp -m tcp --dport $p -j DROP" || exit 1; done'
exit $fail
