#!/usr/bin/python3
"""capturo against what the peers' own tests expect of the public captures.

tests/data/peers.tsv holds the SMTP values that suricata-verify's
test.yaml checks and Zeek's smtp.log baselines expect of the captures in
../shared/pcaps whose provenance names those projects (helo, sender,
recipients, subject, Message-ID), each with its source.  capturo reads
each capture; its lines are grouped into transactions the way
capturo-events(5) says to read them (a mail or rcpt line that a refused
line names was not taken), and each row of the table is matched with the
transaction of the same capture that agrees on most of its values.
Every value that differs must be listed in tests/data/peers-diff.tsv
with its reason; a listed difference that no longer differs fails too.
Prints "ok ...", "not ok ..." or "skip ..." lines.
"""
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import parse  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CORPUS = os.path.join(TOP, "..", "shared", "pcaps")
CAPTURO = os.environ.get("CAPTURO", os.path.join(TOP, "obj-san", "bin",
                                                 "capturo"))
PORTS = "25,465,587,1224,2525"
FIELDS = ("helo", "mail_from", "rcpt_to", "subject", "msg_id")


def zeek_unescape(v):
    """A value of a Zeek ASCII log: \\xNN escapes, UTF-8 text."""
    b = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
               v.encode("utf-8", "surrogateescape"))
    return b.decode("utf-8", "surrogateescape")


def path(v):
    v = v.strip()
    return v[1:-1] if v.startswith("<") and v.endswith(">") else v


def unesc(v):
    """A value of the tables: \\\\, \\t, \\r and \\n stand for themselves."""
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "r": "\r", "n": "\n"}.get(
        m.group(1), m.group(1)), v)


def table(name):
    rows = []
    with open(os.path.join(HERE, "data", name), encoding="utf-8",
              newline="\n") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append([unesc(v) for v in line.rstrip("\n").split("\t")])
    return rows


def transactions(out):
    """capturo's lines as transactions: helo, sender, recipients, message."""
    evs = [parse(l) for l in out.splitlines()]

    def val(f, k):
        return f[k].decode("utf-8", "surrogateescape") if k in f else None
    # a refused line names the latest line of its verb and path before it
    refused = set()
    for i, (name, f) in enumerate(evs):
        if name != "refused":
            continue
        kind = "mail" if val(f, "verb") == "MAIL" else "rcpt"
        key = "from" if kind == "mail" else "to"
        for j in range(i - 1, -1, -1):
            n, g = evs[j]
            if (n == kind and g["sid"] == f["sid"] and j not in refused and
                    val(g, key) == val(f, key)):
                refused.add(j)
                break
    txns, helo, cur = [], {}, {}

    def done(sid):
        t = cur.pop(sid, None)
        if t is not None:
            txns.append(t)
    for i, (name, f) in enumerate(evs):
        sid = f.get("sid")
        if name == "helo":
            helo[sid] = val(f, "name")
            if sid in cur:
                cur[sid]["helo"] = helo[sid]
            # the session before any MAIL: what a peer logs for a
            # connection that sent no envelope (STARTTLS, QUIT)
            txns.append({"helo": helo[sid], "mail_from": None,
                         "rcpt_to": [], "subject": None, "msg_id": None})
        elif name == "mail" and i not in refused:
            done(sid)
            cur[sid] = {"helo": helo.get(sid), "mail_from": val(f, "from"),
                        "rcpt_to": [], "subject": None, "msg_id": None}
        elif name == "rcpt" and i not in refused:
            cur.setdefault(sid, {"helo": helo.get(sid), "mail_from": None,
                                 "rcpt_to": [], "subject": None,
                                 "msg_id": None})
            cur[sid]["rcpt_to"].append(val(f, "to"))
        elif name == "message":
            t = cur.setdefault(sid, {"helo": helo.get(sid), "mail_from": None,
                                     "rcpt_to": [], "subject": None,
                                     "msg_id": None})
            t["subject"] = val(f, "subject")
            t["msg_id"] = val(f, "msgid")
            done(sid)
        elif name == "close":
            done(sid)
    for sid in list(cur):
        done(sid)
    return txns


def compare(row, t):
    """(field, want, got, agrees) for each value the row checks."""
    res = []
    for k, want in zip(FIELDS, row[3:8]):
        if want in ("-", "(empty)"):
            continue
        if row[1] == "zeek":
            want = zeek_unescape(want)
        if k == "rcpt_to":
            if want.startswith("set="):
                ws = set(path(a) for a in want[4:].split(","))
                for a in sorted(ws):
                    res.append((k, a, "present" if a in t[k] else "absent",
                                a in t[k]))
                for a in sorted(set(t[k]) - ws):
                    res.append((k, "(none)", a, False))
                continue
            for item in want.split("|"):
                if item.startswith("!"):
                    n = int(item[1:])
                    res.append((k, item, "%d recipients" % len(t[k]),
                                len(t[k]) <= n))
                else:
                    n, a = item.split("=", 1)
                    got = t[k][int(n)] if int(n) < len(t[k]) else None
                    res.append((k, item, got, got == path(a)))
            continue
        got = t[k]
        w = path(want) if k == "mail_from" else want
        res.append((k, want, got, got == w))
    return res


def main():
    if not os.path.isdir(CORPUS):
        print("skip - peers: ../shared/pcaps is not here")
        return 0
    rows = table("peers.tsv")
    listed = {}
    for d in table("peers-diff.tsv"):
        listed[(d[0], d[1], d[2], d[3])] = d[4]
    byfile = collections.defaultdict(list)
    for r in rows:
        byfile[r[0]].append(r)
    fails = 0
    agree = collections.Counter()
    seen = set()
    for fn in sorted(byfile):
        pcap = os.path.join(CORPUS, fn)
        if not os.path.exists(pcap):
            print("not ok - peers: %s is not in ../shared/pcaps" % fn)
            fails += 1
            continue
        r = subprocess.run([CAPTURO, "-p", PORTS, "-r", pcap],
                           capture_output=True)
        err = r.stderr.decode("utf-8", "replace")
        if "Sanitizer" in err or "runtime error" in err:
            print("not ok - peers: %s: %s" % (fn, err[-800:]))
            fails += 1
            continue
        txns = transactions(r.stdout.decode("utf-8", "surrogateescape"))
        bad = 0
        for row in byfile[fn]:
            best = None
            for t in txns or [dict(dict.fromkeys(FIELDS), rcpt_to=[])]:
                c = compare(row, t)
                if best is None or sum(x[3] for x in c) > sum(x[3] for x in best):
                    best = c
            for k, want, got, ok in best:
                key = (fn, row[2], k, want)
                seen.add(key)
                if ok:
                    agree[row[1]] += 1
                    if key in listed:
                        print("not ok - peers: %s: %s %s=%s agrees now, "
                              "but is listed as a difference"
                              % (fn, row[2], k, want))
                        bad += 1
                elif key in listed:
                    print("# %s: %s %s: peer %r, capturo %r: %s"
                          % (fn, row[1], k, want, got, listed[key]))
                else:
                    print("not ok - peers: %s: %s %s: peer %r, capturo %r "
                          "(%s)" % (fn, row[1], k, want, got, row[2]))
                    bad += 1
        if bad == 0:
            print("ok - peers: %s: %d rows of the peers' tests" %
                  (fn, len(byfile[fn])))
        fails += bad
    for key in sorted(set(listed) - seen):
        print("not ok - peers: listed difference not in the table: %s"
              % "\t".join(key))
        fails += 1
    differ = collections.Counter(r[1] for r in rows for k in listed
                                 if k[0] == r[0] and k[1] == r[2])
    for peer in sorted(set(r[1] for r in rows)):
        print("# peers: %s: %d values agree, %d differ (listed with their "
              "reason)" % (peer, agree[peer], differ[peer]))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
