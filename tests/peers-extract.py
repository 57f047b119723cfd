#!/usr/bin/python3
"""Writes tests/data/peers.tsv, by hand, from clones of the peers' repositories.

Usage: tests/peers-extract.py SURICATA_VERIFY ZEEK PROVENANCE.tsv > tests/data/peers.tsv

SURICATA_VERIFY and ZEEK are git clones of OISF/suricata-verify and
zeek/zeek; PROVENANCE.tsv is ../shared/pcaps/PROVENANCE.tsv, which names
the file each capture was taken from.  Only the values compared are
written, each with its source: the peers' files are not copied.
"""
import csv, posixpath, re, subprocess, sys, yaml
SV, ZK = sys.argv[1], sys.argv[2]
PROV = sys.argv[3]

def git(repo, *a):
    return subprocess.run(["git", "-C", repo] + list(a), capture_output=True,
                          check=True).stdout

def esc(v):
    """A value on one line of the table: backslash, tab, CR, LF escaped."""
    return (v.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\r", "\\r").replace("\n", "\\n"))


prov = {}
with open(PROV) as f:
    for row in csv.reader(f, delimiter="\t"):
        if not row[0].startswith("#"):
            prov[(row[1], row[2])] = row[0]
rows = []
svh = git(SV, "rev-parse", "HEAD").decode().strip()
zkh = git(ZK, "rev-parse", "HEAD").decode().strip()
FIELD = {"smtp.helo": "helo", "smtp.mail_from": "mail_from",
         "email.subject": "subject", "email.message_id": "msg_id"}
files = git(SV, "ls-tree", "-r", "--name-only", "HEAD", "tests").decode().split("\n")
for y in sorted(files):
    if not y.endswith("/test.yaml"):
        continue
    d = posixpath.dirname(y)
    try:
        t = yaml.safe_load(git(SV, "show", "HEAD:" + y))
    except yaml.YAMLError:
        continue
    if not isinstance(t, dict):
        continue
    pcap = t.get("pcap")
    if not pcap:
        c = [f for f in files if posixpath.dirname(f) == d and
             f.endswith((".pcap", ".pcapng"))]
        if len(c) != 1:
            continue
        path = c[0]
    else:
        path = posixpath.normpath(posixpath.join(d, pcap))
    name = prov.get(("OISF/suricata-verify", path))
    if name is None:
        continue
    for i, chk in enumerate(t.get("checks") or []):
        flt = chk.get("filter") if isinstance(chk, dict) else None
        if not flt or flt.get("count") == 0:
            continue
        if "lt-version" in (flt.get("requires") or {}):
            continue
        m = flt.get("match") or {}
        if m.get("event_type") not in ("smtp", "alert"):
            continue
        r = {"helo": "-", "mail_from": "-", "rcpt_to": "-", "subject": "-",
             "msg_id": "-"}
        rc = []
        for k, v in m.items():
            if k in FIELD:
                r[FIELD[k]] = str(v)
            mm = re.match(r"smtp\.rcpt_to\[(\d+)\]$", k)
            if mm:
                rc.append("%s=%s" % (mm.group(1), v))
        nh = m.get("not-has-key")
        for k in (nh if isinstance(nh, list) else [nh] if nh else []):
            mm = re.match(r"smtp\.rcpt_to\[(\d+)\]$", k)
            if mm:
                rc.append("!%s" % mm.group(1))
        if rc:
            r["rcpt_to"] = "|".join(sorted(rc))
        if all(v == "-" for v in r.values()):
            continue
        rows.append((name, "suricata-verify",
                     "OISF/suricata-verify@%s:%s#check%d" % (svh[:12], y, i),
                     r))
zf = git(ZK, "ls-tree", "-r", "--name-only", "HEAD", "testing/btest").decode().split("\n")
zs = set(zf)
for b in sorted(zf):
    if not (b.startswith("testing/btest/Baseline/") and b.endswith("/smtp.log")):
        continue
    src = "testing/btest/" + b.split("/")[3].replace(".", "/")
    test = next((src + e for e in (".zeek", ".test", "") if src + e in zs), None)
    if test is None:
        continue
    m = re.search(r"TRACES/(\S+)", git(ZK, "show", "HEAD:" + test).decode())
    if not m:
        continue
    tr = "testing/btest/Traces/" + m.group(1)
    name = prov.get(("zeek/zeek", tr)) or prov.get(("zeek/zeek", tr + ".gz"))
    if name is None:
        continue
    fields = None
    n = 0
    for line in git(ZK, "show", "HEAD:" + b).decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        if line.startswith("#") or not line or fields is None:
            continue
        z = dict(zip(fields, line.split("\t")))
        r = {"helo": z.get("helo", "-"), "mail_from": z.get("mailfrom", "-"),
             "rcpt_to": z.get("rcptto", "-"), "subject": z.get("subject", "-"),
             "msg_id": z.get("msg_id", "-")}
        if r["rcpt_to"] not in ("-", "(empty)"):
            r["rcpt_to"] = "set=" + r["rcpt_to"]
        n += 1
        rows.append((name, "zeek", "zeek/zeek@%s:%s#row%d" % (zkh[:12], b, n), r))
print("# SMTP values that the peers' own tests expect of the captures in ../shared/pcaps;")
print("# read by tests/peers.py.  Taken with tests/peers-extract.py from")
print("#   OISF/suricata-verify %s (tests/*/test.yaml: filter checks on event_type smtp" % svh)
print("#     or alert, count > 0, not limited to versions before 8.0.7)")
print("#   zeek/zeek %s (testing/btest/Baseline/*/smtp.log, one row each)" % zkh)
print("# rcpt_to: Zeek's whole set as set=a,b; suricata's rcpt_to[N] as N=<a>, and !N")
print("# for not-has-key smtp.rcpt_to[N]; '-' is a value the peer does not check;")
print("# a backslash, tab, CR or LF in a value is written \\\\, \\t, \\r, \\n")
print("#pcap\tpeer\tsource\thelo\tmail_from\trcpt_to\tsubject\tmsg_id")
seen = set()
for name, peer, src, r in sorted(rows, key=lambda x: (x[0], x[2])):
    vals = tuple(r[k] for k in ("helo", "mail_from", "rcpt_to", "subject", "msg_id"))
    if (name, peer, vals) in seen:
        continue
    seen.add((name, peer, vals))
    print("\t".join((name, peer, src) + tuple(esc(v) for v in vals)))
