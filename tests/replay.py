#!/usr/bin/python3
"""capturo -r on the project's own captures (tests/record.sh).

Each tests/data/rec-NAME.pcap was recorded from real clients and servers
in network namespaces; rec-NAME.expect holds what the server logged
(mail, rcpt, message with decoded subject and size, auth).  capturo must
report exactly those facts (a mail or rcpt line that a refused line
names is not one: the server did not take it, and the refused line is
a fact of its own, "refused ip verb path reply"), every line must be a
well-formed event, and no "# secret:" string may appear anywhere in its
output.
Prints "ok ..." / "not ok ..." lines.
"""
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import parse, host  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CAPTURO = os.environ.get("CAPTURO", os.path.join(TOP, "obj-san", "bin",
                                                 "capturo"))


def expected(path):
    facts, secrets, opaque = collections.Counter(), [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# secret: "):
                secrets.append(line[len("# secret: "):])
            elif line.startswith("#"):
                opaque = opaque or "sent inside TLS" in line
            elif line:
                facts[tuple(line.split("\t"))] += 1
    return facts, secrets, opaque


def run(pcap, exp):
    want, secrets, opaque = expected(exp)
    name = os.path.basename(pcap)
    # capturo's defaults, as a new user runs it: ports 25 and 587
    r = subprocess.run([CAPTURO, "-r", pcap], capture_output=True)
    out = r.stdout.decode("utf-8", "surrogateescape")
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode != 0 or "Sanitizer" in err or "runtime error" in err:
        print("not ok - %s: exit %d %s" % (name, r.returncode, err[-1500:]))
        return 1
    got, refused = collections.Counter(), collections.Counter()
    starttls = 0
    for line in out.splitlines():
        ev, f = parse(line)
        src = host(f["src"])

        def val(k):
            return f[k].decode("utf-8", "surrogateescape") if k in f else ""
        if ev == "mail":
            got[("mail", src, val("from"))] += 1
        elif ev == "rcpt":
            got[("rcpt", src, val("to"))] += 1
        elif ev == "refused":
            # the server did not take it: not one of its facts
            kind = "mail" if val("verb") == "MAIL" else "rcpt"
            path = val("from" if kind == "mail" else "to")
            refused[(kind, src, path)] += 1
            got[("refused", src, val("verb"), path, val("reply"))] += 1
        elif ev == "message":
            got[("message", src, val("subject"), val("size"))] += 1
        elif ev == "auth":
            got[("auth", src, val("mech"), val("user"))] += 1
        elif ev == "starttls" and val("reply") == "220":
            starttls += 1
    if refused - got:
        print("not ok - %s: refused lines for commands never reported: %s"
              % (name, dict(refused - got)))
        return 1
    got -= refused
    fails = 0
    if opaque:
        want = collections.Counter()
        if starttls != 1:
            print("not ok - %s: starttls reply=220 expected" % name)
            fails += 1
    if got == want:
        print("ok - %s: %d facts as the server logged them"
              % (name, sum(want.values())))
    else:
        print("not ok - %s: facts differ\n#   missing %s\n#   extra %s"
              % (name, dict(want - got), dict(got - want)))
        fails += 1
    leaked = [s for s in secrets if s in out or s in err]
    if secrets:
        if leaked:
            print("not ok - %s: secret in the output: %s" % (name, leaked))
            fails += 1
        else:
            print("ok - %s: no password nor its base64 in the output"
                  % name)
    return fails


def only25(pcap):
    """-p still sets the list: -p 25 sees nothing of a 587 session."""
    name = os.path.basename(pcap)
    r = subprocess.run([CAPTURO, "-p", "25", "-r", pcap], capture_output=True)
    if r.returncode == 0 and r.stdout == b"":
        print("ok - %s: -p 25 reports nothing of port 587" % name)
        return 0
    print("not ok - %s: -p 25: exit %d, %d bytes out"
          % (name, r.returncode, len(r.stdout)))
    return 1


def main():
    data = os.path.join(HERE, "data")
    cases = [(os.path.join(data, f), os.path.join(data, f[:-5] + ".expect"))
             for f in sorted(os.listdir(data))
             if f.startswith("rec-") and f.endswith(".pcap")]
    cases.append((os.path.join(TOP, "examples", "worm.pcap"),
                  os.path.join(data, "worm.expect")))
    fails = 0
    for pcap, exp in cases:
        if not os.path.exists(exp):
            print("not ok - %s: no %s" % (pcap, exp))
            fails += 1
            continue
        fails += run(pcap, exp)
    fails += only25(os.path.join(data, "rec-submission.pcap"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
