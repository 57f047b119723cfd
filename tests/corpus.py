#!/usr/bin/python3
"""capturo against the public SMTP captures in ../shared/pcaps.

For every capture: capturo (the sanitizer build) must not crash or
report, and every MAIL FROM and RCPT TO the client sent in clear must be
reported with the right source address, exactly as often as it was sent.
tshark's rows are the independent view; where tshark is known to lose
commands (see the corpus README), tests/data/corpus-extra.tsv lists what
it misses, each line checked by reading the capture.  The decoded
subjects are compared with Arkime's expectations.
Prints "ok ...", "not ok ..." or "skip ..." lines.
"""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CORPUS = os.path.join(TOP, "..", "shared", "pcaps")
CAPTURO = os.environ.get("CAPTURO", os.path.join(TOP, "obj-san", "bin", "capturo"))
PORTS = "25,465,587,1224,2525"

# captures that end in a damaged record: capturo reports and stops (exit 1)
DAMAGED = {"sv__smtp-to-comma__10.7.29.101_49898-178.63.41.150_25.pcap"}

# deliberate differences from Arkime's decoding, with the reason
SUBJECT_DIFF = {
    # RFC 2047 6.2: white space between adjacent encoded-words is dropped
    "arkime__smtp-subject-multi-nospace.pcap":
        "xxxxxxxxxxxxx: xxxxêxx xxéxxxxxxxxx xxx xxx xxxxxxxxxxx xx "
        "xxxxxxxxxxxxxxx - xxxx",
    # a raw 0x92 outside any encoded-word is not UTF-8: kept, escaped
    "arkime__smtp-subject-windows.pcap":
        "Awesome windows: See What\udc92s Next in charset decoding!",
    # the messages travel after STARTTLS: opaque on the wire
    "arkime__smtp-decrypted.pcap": "",
}


def unescape(v):
    """A value of an event line, as common/event.c writes it."""
    if not v.startswith('"'):
        return v.encode()
    out = bytearray()
    i, s = 1, v
    while i < len(s) - 1:
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n in '"\\':
                out += n.encode()
                i += 2
            elif n in "trn":
                out += {"t": b"\t", "r": b"\r", "n": b"\n"}[n]
                i += 2
            elif n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
            elif n == "u":
                j = s.index("}", i)
                out += chr(int(s[i + 3:j], 16)).encode()
                i = j + 1
            else:
                raise ValueError("bad escape")
        else:
            out += c.encode()
            i += 1
    return bytes(out)


FIELD = re.compile(r' ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ ]+)')


def parse(line):
    ts, name, rest = line.split(" ", 2)
    fields = {}
    for m in FIELD.finditer(" " + rest):
        fields[m.group(1)] = unescape(m.group(2))
    return name, fields


def host(hostport):
    h = hostport.decode()
    return h[1:h.index("]")] if h.startswith("[") else h.rsplit(":", 1)[0]


def tshark_path(param):
    """The address of a MAIL or RCPT parameter, as the server reads it."""
    p = param.strip()
    m = re.match(r"(?i)(from|to)\s*:\s*", p)
    if not m:
        return None
    p = p[m.end():]
    if p.startswith("<"):
        q = p.find(">")
        p = p[1:q] if q >= 0 else p[1:]
        if p.startswith("@") and ":" in p:
            p = p.split(":", 1)[1]
    else:
        p = p.split(" ")[0]
    return p


def tshark_rows(path):
    want = collections.Counter()
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if line.startswith("#"):
                continue
            col = line.rstrip("\n").split("\t")
            if len(col) < 9 or col[0] != "req":
                continue
            cmd = col[7].upper()
            if cmd not in ("MAIL", "RCPT"):
                continue
            addr = tshark_path(col[8])
            if addr is None:
                continue
            src = col[3] or col[4]
            want[(cmd.lower(), src, addr)] += 1
    return want


def load_extra():
    extra = collections.defaultdict(collections.Counter)
    path = os.path.join(HERE, "data", "corpus-extra.tsv")
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            fn, kind, src, addr, count = line.rstrip("\n").split("\t")[:5]
            extra[fn][(kind, src, addr)] += int(count)
    return extra


def main():
    if not os.path.isdir(CORPUS):
        print("skip - corpus: ../shared/pcaps is not here")
        return 0
    extra = load_extra()
    subjects = {}
    with open(os.path.join(CORPUS, "arkime_expected_subjects.tsv"),
              encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            col = line.rstrip("\n").split("\t")
            subjects[col[0]] = col[1]
    files = sorted(f for f in os.listdir(CORPUS)
                   if f.endswith(".pcap") or f.endswith(".pcapng"))
    failed = 0
    for fn in files:
        r = subprocess.run([CAPTURO, "-p", PORTS, "-r",
                            os.path.join(CORPUS, fn)],
                           capture_output=True)
        err = r.stderr.decode(errors="replace")
        okexit = r.returncode == 0 or (fn in DAMAGED and r.returncode == 1)
        clean = "Sanitizer" not in err and "runtime error" not in err
        if not (okexit and clean):
            print("not ok - %s: exit %d\n%s" % (fn, r.returncode, err[-2000:]))
            failed += 1
            continue
        got = collections.Counter()
        subj = []
        bad = None
        for line in r.stdout.decode("utf-8", "surrogateescape").splitlines():
            try:
                name, f = parse(line)
            except (ValueError, IndexError) as e:
                bad = "%s: %r" % (e, line)
                break
            if name == "mail":
                got[("mail", host(f["src"]), f["from"].decode(
                    "utf-8", "surrogateescape"))] += 1
            elif name == "rcpt":
                got[("rcpt", host(f["src"]), f["to"].decode(
                    "utf-8", "surrogateescape"))] += 1
            elif name == "message" and "subject" in f:
                subj.append(f["subject"].decode("utf-8", "surrogateescape"))
        if bad:
            print("not ok - %s: unreadable line %s" % (fn, bad))
            failed += 1
            continue
        want = tshark_rows(os.path.join(CORPUS, fn + ".tshark.tsv"))
        want.update(extra.get(fn, {}))
        if got != want:
            missing = want - got
            more = got - want
            print("not ok - %s: envelope differs\n#   missing %s\n#   extra %s"
                  % (fn, dict(missing), dict(more)))
            failed += 1
        else:
            print("ok - %s: %d MAIL/RCPT as sent" % (fn, sum(got.values())))
        if fn in subjects:
            exp = SUBJECT_DIFF.get(fn, subjects[fn])
            have = " || ".join(subj)
            if have.strip() == exp.strip():
                print("ok - %s: subject decoded" % fn)
            else:
                print("not ok - %s: subject\n#   got  %r\n#   want %r"
                      % (fn, have, exp))
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
