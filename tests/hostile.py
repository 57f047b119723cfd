#!/usr/bin/python3
"""Hostile traffic for capturo, and detengo on what capturo writes.

Builds its own captures (Ethernet, IPv4 or IPv6, TCP with correct
checksums and sequence numbers, a realistic server side), runs capturo
on them and checks every event line with a strict reader of the format
in docs/capturo-events.5.  The small captures are committed as
tests/data/hostile-*.pcap and must be what this script writes; the big
ones (a 1 MB line, a 1 MB header, 10,000 recipients, the floods) are
written at test time into a temporary directory.

    tests/hostile.py            run every check
    tests/hostile.py --write    write the committed captures again
    tests/hostile.py --quick    leave out the flood
    HOSTILE_FLOWS=N             flows in the flood (default 1,000,000)

Prints one "ok - hostile: ..." or "not ok - hostile: ..." line per
check and exits 1 if any failed.  Uses the standard library only.
"""
import array
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
CAPTURO_SAN = os.environ.get("CAPTURO", os.path.join(TOP, "obj-san", "bin", "capturo"))
CAPTURO_FAST = os.environ.get("CAPTURO_FAST", os.path.join(TOP, "capturo", "capturo"))
DETENGO = os.environ.get("DETENGO", os.path.join(TOP, "obj-san", "bin", "detengo"))

CLIENT = "198.51.100.10"
SERVER = "203.0.113.25"
CLIENT6 = "2001:db8:1::10"
SERVER6 = "2001:db8::25"
CMAC = bytes.fromhex("b827eb20ab35")
SMAC = bytes.fromhex("525400c0ffee")
T0 = 1772556344  # 2026-03-03T16:45:44Z

FAILED = 0


def report(cond, what, detail=None):
    """One result line; the detail only when the check failed."""
    global FAILED
    if cond:
        print("ok - hostile: %s" % what)
    else:
        FAILED += 1
        print("not ok - hostile: %s" % what)
        if detail:
            for line in str(detail).splitlines()[:40]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


# --- packets ---------------------------------------------------------------

def csum_native(b):
    """RFC 1071 checksum, in native byte order: pack it with "=H"."""
    if len(b) & 1:
        b += b"\0"
    s = sum(array.array("H", b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipbytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ext6(types):
    """IPv6 extension headers of these types, each 8 bytes, then TCP:
    options headers padded with PadN, an unknown routing type with no
    segments left (RFC 8200 4.3-4.6)."""
    out = b""
    for i, t in enumerate(types):
        nxt = types[i + 1] if i + 1 < len(types) else 6
        if t == 43:
            out += bytes([nxt, 0, 253, 0, 0, 0, 0, 0])
        else:
            out += bytes([nxt, 0, 1, 4, 0, 0, 0, 0])
    return out


def frame(src, dst, sport, dport, seq, ack, flags, payload=b"",
          smac=CMAC, dmac=SMAC, ipid=0, opts=b"", tags=(), ext=()):
    """An Ethernet frame holding one TCP segment; src and dst packed.

    tags: (TPID, VID) of VLAN tags, outermost first; ext: the types of
    IPv6 extension headers before TCP."""
    eth = dmac + smac + b"".join(struct.pack("!HH", t, v) for t, v in tags)
    thl = 20 + len(opts)
    tcp = bytearray(struct.pack("!HHIIHHHH", sport, dport, seq & 0xFFFFFFFF,
                                ack & 0xFFFFFFFF, (thl // 4) << 12 | flags,
                                64240, 0, 0) + opts + payload)
    tlen = len(tcp)
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, tlen)
        struct.pack_into("=H", tcp, 16, csum_native(pseudo + tcp))
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tlen,
                                   ipid & 0xFFFF, 0x4000, 64, 6, 0, src, dst))
        struct.pack_into("=H", ip, 10, csum_native(bytes(ip)))
        return eth + b"\x08\x00" + bytes(ip) + bytes(tcp)
    pseudo = src + dst + struct.pack("!IxxxB", tlen, 6)
    struct.pack_into("=H", tcp, 16, csum_native(pseudo + tcp))
    hdrs = ext6(ext)
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(hdrs) + tlen,
                     ext[0] if ext else 6, 64, src, dst)
    return eth + b"\x86\xdd" + ip + hdrs + bytes(tcp)


MSS_OPT = struct.pack("!BBH", 2, 4, 1460)


class Session:
    """One TCP connection, client to server, as a list of frames."""

    def __init__(self, cport, client=CLIENT, server=SERVER, sport=25,
                 cisn=None, sisn=None, mss=1460, tags=(), ext=()):
        self.c, self.s = ipbytes(client), ipbytes(server)
        self.tags, self.ext = tags, ext
        self.cport, self.sport = cport, sport
        rnd = random.Random(cport * 7919 + sport)
        self.cseq = cisn if cisn is not None else rnd.getrandbits(32)
        self.sseq = sisn if sisn is not None else rnd.getrandbits(32)
        self.mss = mss
        self.frames = []
        self.ipid = [rnd.getrandbits(16), rnd.getrandbits(16)]
        self.open_ = False

    def _c(self, flags, payload=b"", opts=b""):
        self.ipid[0] += 1
        self.frames.append(frame(self.c, self.s, self.cport, self.sport,
                                 self.cseq, self.sseq if flags & ACK else 0,
                                 flags, payload, CMAC, SMAC, self.ipid[0],
                                 opts, self.tags, self.ext))
        self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def _s(self, flags, payload=b"", opts=b""):
        self.ipid[1] += 1
        self.frames.append(frame(self.s, self.c, self.sport, self.cport,
                                 self.sseq, self.cseq, flags, payload, SMAC,
                                 CMAC, self.ipid[1], opts, self.tags,
                                 self.ext))
        self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self):
        self._c(SYN, opts=MSS_OPT)
        self._s(SYN | ACK, opts=MSS_OPT)
        self._c(ACK)
        return self

    def syn_only(self):
        self._c(SYN, opts=MSS_OPT)
        return self

    def client(self, data, ack=True):
        """Client data in MSS segments, then the server's ACK."""
        for i in range(0, len(data), self.mss):
            self._c(PSH | ACK if i + self.mss >= len(data) else ACK,
                    data[i:i + self.mss])
        if ack:
            self._s(ACK)
        return self

    def client_parts(self, parts, ack=True):
        """Client data, one segment per part (each at most an MSS)."""
        for p in parts:
            self._c(PSH | ACK, p)
        if ack:
            self._s(ACK)
        return self

    def server(self, data, ack=True):
        for i in range(0, len(data), self.mss):
            self._s(PSH | ACK, data[i:i + self.mss])
        if ack:
            self._c(ACK)
        return self

    def close(self):
        """The client closes, the server closes too."""
        self._c(FIN | ACK)
        self._s(FIN | ACK)
        self._c(ACK)
        return self


def pcap_bytes(frames, t0=T0, step_us=1000):
    """A pcap file (microseconds, Ethernet) of frames, step_us apart."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    t = t0 * 1000000
    for f in frames:
        out.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(f),
                               len(f)))
        out.append(f)
        t += step_us
    return b"".join(out)


# --- the server's side -----------------------------------------------------

BANNER = b"220 mx.example.net ESMTP Postfix (Debian/GNU)\r\n"
EHLO_REPLY = (b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
              b"250-8BITMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n")
OK_MAIL = b"250 2.1.0 Ok\r\n"
OK_RCPT = b"250 2.1.5 Ok\r\n"
GO_DATA = b"354 End data with <CR><LF>.<CR><LF>\r\n"
QUEUED = b"250 2.0.0 Ok: queued as 4QxYz12abc\r\n"
BYE = b"221 2.0.0 Bye\r\n"


def smtp_open(sess, helo=b"EHLO client.example.org\r\n"):
    sess.handshake().server(BANNER)
    sess.client(helo).server(EHLO_REPLY)
    return sess


def smtp_quit(sess):
    sess.client(b"QUIT\r\n").server(BYE, ack=False)
    return sess.close()


# --- expectations ----------------------------------------------------------

def esc(reply):
    """the esc field of a refusal whose text begins with an RFC 3463 code"""
    m = re.match(rb"\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?![.\d])", reply)
    return [("esc", m.group(1))] if m else []

def ev(name, *kv):
    """An expected event: its name and its own keys, values as bytes."""
    return (name, [(k, v if isinstance(v, bytes) else str(v).encode())
                   for k, v in kv])


def unstuffed_len(data):
    """data's length once each CRLF line that starts with a dot lost it."""
    return len(data) - sum(1 for ln in data.split(b"\r\n")
                           if ln.startswith(b"."))


def message_size(data):
    """The size a server that ends DATA only at CRLF.CRLF gives data.

    data is what follows the 354, up to and with its final CRLF.CRLF;
    a line that starts with a dot loses it (RFC 5321 4.5.2)."""
    end = data.index(b"\r\n.\r\n") + 2 if not data.startswith(b".\r\n") else 0
    text = data[:end]
    lines = text.split(b"\r\n")[:-1]
    return len(text) - sum(1 for ln in lines if ln.startswith(b"."))


# --- the event line, read strictly (docs/capturo-events.5) ------------------

TIME_RE = re.compile(rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
NAME_RE = re.compile(rb"^[a-z]{1,15}$")
KEY_RE = re.compile(rb"^[a-z_]{1,15}$")
BARE = set(range(0x21, 0x7F)) - {0x22, 0x5C}
NOTRAW = set(range(0x80, 0xA0)) | {0x61C, 0x200E, 0x200F} | \
    set(range(0x2028, 0x202F)) | set(range(0x2066, 0x206A))

COMMON = [("sid", 1), ("src", 1), ("dst", 1), ("mac", 0)]
SCHEMA = {
    "connect": COMMON,
    "helo": COMMON + [("verb", 1), ("name", 1)],
    "auth": COMMON + [("mech", 1), ("user", 0), ("reply", 0)],
    "starttls": COMMON + [("reply", 0)],
    "mail": COMMON + [("from", 1)],
    "rcpt": COMMON + [("to", 1)],
    "message": COMMON + [("subject", 0), ("msgid", 0), ("size", 1),
                         ("rcpts", 1), ("reply", 0)],
    "close": COMMON + [("how", 1), ("msgs", 1)],
    "refused": COMMON + [("verb", 1), ("from", 0), ("to", 0), ("reply", 1),
                         ("esc", 0), ("listed", 0), ("named", 0)],
    "unheard": COMMON + [("pending", 0)],
    "mx": COMMON + [("name", 1)],
    "tls": COMMON + [("sni", 0)],
    "block": [("sid", 0), ("src", 0), ("mac", 0), ("host", 1),
              ("chain", 0), ("ports", 0), ("until", 0), ("reason", 0),
              ("evidence", 0), ("sids", 0)],
    "skip": [("sid", 0), ("src", 0), ("host", 1), ("reason", 1)],
    "unblock": [("host", 1), ("reason", 0)],
}


class BadLine(Exception):
    pass


def utf8_len(b0):
    if 0xC2 <= b0 <= 0xDF:
        return 2
    if 0xE0 <= b0 <= 0xEF:
        return 3
    if 0xF0 <= b0 <= 0xF4:
        return 4
    return 0


def encode_value(v):
    """A value as the writer must write it (docs/capturo-events.5)."""
    if v and all(c in BARE for c in v):
        return v
    out = bytearray(b'"')
    i = 0
    while i < len(v):
        c = v[i]
        if c < 0x80:
            if c == 0x22:
                out += b'\\"'
            elif c == 0x5C:
                out += b"\\\\"
            elif c == 9:
                out += b"\\t"
            elif c == 13:
                out += b"\\r"
            elif c == 10:
                out += b"\\n"
            elif c < 0x20 or c == 0x7F:
                out += b"\\x%02X" % c
            else:
                out.append(c)
            i += 1
            continue
        n = utf8_len(c)
        try:
            ch = v[i:i + n].decode("utf-8") if n else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or len(ch) != 1:
            out += b"\\x%02X" % c
            i += 1
            continue
        if ord(ch) in NOTRAW:
            out += b"\\u{%04X}" % ord(ch)
        else:
            out += v[i:i + n]
        i += n
    out += b'"'
    return bytes(out)


def decode_quoted(s, i):
    """The quoted value starting at s[i] == '"': (value, next index)."""
    out = bytearray()
    i += 1
    while True:
        if i >= len(s):
            raise BadLine("unterminated quote")
        c = s[i]
        if c == 0x22:
            return bytes(out), i + 1
        if c == 0x5C:
            if i + 1 >= len(s):
                raise BadLine("escape at the end")
            e = s[i + 1]
            if e in b'"\\':
                out.append(e)
                i += 2
            elif e in b"trn":
                out += {0x74: b"\t", 0x72: b"\r", 0x6E: b"\n"}[e]
                i += 2
            elif e == 0x78:
                h = s[i + 2:i + 4]
                if not re.match(rb"^[0-9A-Fa-f]{2}$", h):
                    raise BadLine("bad \\x escape")
                out.append(int(h, 16))
                i += 4
            elif e == 0x75:
                m = re.match(rb"\\u\{([0-9A-Fa-f]{1,6})\}", s[i:])
                if not m:
                    raise BadLine("bad \\u escape")
                out += chr(int(m.group(1), 16)).encode("utf-8", "surrogatepass")
                i += len(m.group(0))
            else:
                raise BadLine("unknown escape \\%c" % e)
            continue
        if c < 0x20 or c == 0x7F:
            raise BadLine("raw control byte 0x%02x" % c)
        if c < 0x80:
            out.append(c)
            i += 1
            continue
        n = utf8_len(c)
        try:
            ch = s[i:i + n].decode("utf-8") if n else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or len(ch) != 1:
            raise BadLine("invalid UTF-8 inside quotes")
        if ord(ch) in NOTRAW:
            raise BadLine("raw U+%04X" % ord(ch))
        out += s[i:i + n]
        i += n


def parse_line(line):
    """(time, name, [(key, value)]) of one line with its LF, or BadLine."""
    if len(line) > 4096:
        raise BadLine("over 4096 bytes")
    if not line.endswith(b"\n") or b"\n" in line[:-1]:
        raise BadLine("not one LF-terminated line")
    s = line[:-1]
    if b"\r" in s:
        raise BadLine("CR in the line")
    parts = s.split(b" ", 2)
    if len(parts) < 2 or not TIME_RE.match(parts[0]) or \
            not NAME_RE.match(parts[1]):
        raise BadLine("bad time or event name")
    name = parts[1].decode()
    if name not in SCHEMA:
        raise BadLine("unknown event %s" % name)
    rest = parts[2] if len(parts) == 3 else b""
    fields = []
    i = 0
    while i < len(rest):
        eq = rest.find(b"=", i)
        if eq < 0:
            raise BadLine("field without =")
        key = rest[i:eq]
        if not KEY_RE.match(key):
            raise BadLine("bad key %r" % key)
        i = eq + 1
        if i < len(rest) and rest[i] == 0x22:
            raw_start = i
            val, i = decode_quoted(rest, i)
            raw = rest[raw_start:i]
        else:
            j = rest.find(b" ", i)
            j = len(rest) if j < 0 else j
            raw = val = rest[i:j]
            if not val or any(c not in BARE for c in val):
                raise BadLine("bad bare value for %r" % key)
            i = j
        if encode_value(val) != raw:
            raise BadLine("value of %s not written as documented: %r"
                          % (key.decode(), raw))
        fields.append((key.decode(), val))
        if i < len(rest):
            if rest[i] != 0x20 or i + 1 == len(rest):
                raise BadLine("fields not separated by one space")
            i += 1
    keys = [k for k, _ in fields]
    if len(set(keys)) != len(keys):
        raise BadLine("duplicate key")
    if "cut" in keys:
        if keys[-1] != "cut" or fields[-1][1] != b"1":
            raise BadLine("cut not last or not 1")
        keys = keys[:-1]
    schema = SCHEMA[name]
    j = 0
    for k in keys:
        while j < len(schema) and schema[j][0] != k:
            if schema[j][1]:
                raise BadLine("required key %s missing" % schema[j][0])
            j += 1
        if j == len(schema):
            raise BadLine("key %s unknown or out of order" % k)
        j += 1
    for k, req in schema[j:]:
        if req:
            raise BadLine("required key %s missing" % k)
    return parts[0], name, fields


def parse_all(out):
    """Every line parsed; a list of (name, dict, fields) and the errors."""
    recs, errs = [], []
    for line in out.splitlines(True):
        try:
            _, name, fields = parse_line(line)
            recs.append((name, dict(fields), fields))
        except BadLine as e:
            errs.append("%s: %r" % (e, line[:300]))
    return recs, errs


def raw_bytes_ok(out):
    """No control byte but the final LF, no DEL, no raw U+202E."""
    for line in out.splitlines(True):
        body = line[:-1] if line.endswith(b"\n") else line
        for c in body:
            if c < 0x20 or c == 0x7F:
                return "raw byte 0x%02x in %r" % (c, line[:200])
        if b"\xe2\x80\xae" in body:
            return "raw U+202E in %r" % line[:200]
    return None


def by_session(recs):
    """Events grouped by src, in order; checks sid and dst stay the same,
    but for a new connection from the same port after a close line."""
    sess, problems, sids = {}, [], []
    for name, d, fields in recs:
        src = d.get("src", b"").decode()
        s = sess.setdefault(src, {"sid": None, "dst": d.get("dst"),
                                  "mac": d.get("mac"), "ev": []})
        if s["sid"] is None or (d.get("sid") != s["sid"] and
                                s["ev"][-1][0] == "close"):
            s["sid"] = d.get("sid")
            sids.append(s["sid"])
        if d.get("sid") != s["sid"] or d.get("dst") != s["dst"]:
            problems.append("sid or dst changed within %s" % src)
        own = [(k, v) for k, v in fields if k not in ("sid", "src", "dst",
                                                      "mac")]
        s["ev"].append((name, own))
    if len(set(sids)) != len(sids):
        problems.append("two connections share a sid")
    return sess, problems


def show(evs):
    return "\n".join("%s %s" % (n, " ".join("%s=%r" % kv for kv in f))
                     for n, f in evs)


def diff(want, got):
    lines = ["want:", show(want), "got:", show(got)]
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            lines.insert(0, "first difference at event %d: want %s, got %s"
                         % (i, show([w]), show([g])))
            break
    return "\n".join(lines)


# --- running the programs --------------------------------------------------

def run_capturo(path, binary=None, extra=()):
    """capturo -r path: (stdout bytes, stderr text, exit status)."""
    p = subprocess.run([binary or CAPTURO_SAN] + list(extra) + ["-r", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    return p.stdout, p.stderr.decode("utf-8", "replace"), p.returncode


def sane_run(what, out, err, rc):
    bad = [ln for ln in err.splitlines() if "Sanitizer" in ln or
           "runtime error" in ln]
    return report(rc == 0 and not bad and "capturo: packets=" in err,
                  "%s: capturo exits 0, no sanitizer report" % what,
                  "status %d\n%s" % (rc, err[-3000:]))


def stats(err):
    m = re.search(r"capturo: (packets=.*)", err)
    if not m:
        return {}
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def check_sessions(what, out, want):
    """want: {cport: [expected events]}; client and server fixed."""
    recs, errs = parse_all(out)
    report(not errs, "%s: every event line parses" % what, "\n".join(errs))
    sess, problems = by_session(recs)
    report(not problems, "%s: one sid per connection" % what,
           "\n".join(problems))
    for cport, evs in want.items():
        v6 = isinstance(cport, tuple)
        port = cport[1] if v6 else cport
        src = "[%s]:%d" % (CLIENT6, port) if v6 else "%s:%d" % (CLIENT, port)
        got = sess.pop(src, {"ev": []})
        dst = ("[%s]:25" % SERVER6 if v6 else "%s:25" % SERVER).encode()
        report(got["ev"] == evs and (not evs or (got["dst"] == dst and
               got["mac"] == b"b8:27:eb:20:ab:35")),
               "%s: connection from port %d: %d events as expected"
               % (what, port, len(evs)), diff(evs, got["ev"]))
    report(not sess, "%s: no event for any other host or connection" % what,
           "unexpected: %s" % ", ".join(sess))
    return recs


# --- case 1: text shaped like event lines, fields and other hosts ----------

EVL = (b"2026-03-03T16:45:44.880222Z mail sid=1 src=192.0.2.25:1 "
       b"dst=203.0.113.25:25 from=x")
KV = b" src=192.0.2.25:25"
TCPD = (b"16:45:44.880222 IP 192.0.2.25.1025 > 203.0.113.25.25: Flags [P.], "
        b"seq 1:30, ack 1, win 502, length 29: SMTP: MAIL FROM:<x@192.0.2.25>")
NASTY = (b" \x1b[31mred\x1b[0m \x1b]0;title\x07 \xe2\x80\xae\xd8\xa7\xd8\xa8 "
         b"\xff\xfe \xc0\xaf \xed\xa0\x80 \xc2\x9b \x7f \x00 \x01 end")


def fields_sessions(v6=False):
    """The sessions of case 1 and the events they must give."""
    sessions, want = [], {}
    cl, sv = (CLIENT6, SERVER6) if v6 else (CLIENT, SERVER)

    def key(p):
        return ("v6", p) if v6 else p

    # A: a whole dialogue, every value hostile
    s = Session(40001, cl, sv)
    smtp_open(s, b"EHLO " + EVL + b"\r\n")
    s.client(b'MAIL FROM:<"x src=192.0.2.25:25 dst=203.0.113.25:25 from=y"'
             b"@example.org> SIZE=100\r\n").server(OK_MAIL)
    rcpts = [
        (b"RCPT TO:<postmaster@[192.0.2.25]>\r\n", OK_RCPT,
         b"postmaster@[192.0.2.25]"),
        (b"RCPT TO:<a\x1b[2J\x1b]0;pwned\x07@example.org>\r\n", OK_RCPT,
         b"a\x1b[2J\x1b]0;pwned\x07@example.org"),
        (b"RCPT TO:<\xe2\x80\xaegro.elpmaxe@example.org>\r\n", OK_RCPT,
         b"\xe2\x80\xaegro.elpmaxe@example.org"),
        (b"RCPT TO:<\xff\xfe\x00\x7f\x9b\xc2\x9b@example.org>\r\n",
         b"501 5.1.3 Bad recipient address syntax\r\n",
         b"\xff\xfe\x00\x7f\x9b\xc2\x9b@example.org"),
        (b"RCPT TO:x@example.org\rsrc=192.0.2.25:25 from=z\r\n",
         b"501 5.1.3 Bad recipient address syntax\r\n",
         b"x@example.org\rsrc=192.0.2.25:25"),
        (b"RCPT TO:<" + TCPD.replace(b"<", b"(").replace(b">", b")") +
         b"@example.org>\r\n", OK_RCPT,
         TCPD.replace(b"<", b"(").replace(b">", b")") + b"@example.org"),
    ]
    for cmd, rep, _ in rcpts:
        s.client(cmd).server(rep)
    s.client(b"DATA\r\n").server(GO_DATA)
    subject = EVL + KV + NASTY
    body = (b"From: " + EVL + b"\r\n"
            b"To: victim@192.0.2.25\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Message-ID: <a b src=192.0.2.25:25\x1b[0m@example.org>\r\n"
            b"X-Dump: " + TCPD + b"\r\n"
            b"\r\n" + EVL + b"\r\n" + TCPD + b"\r\n"
            b"MAIL FROM:<evil@192.0.2.25>\r\nRCPT TO:<evil@192.0.2.25>\r\n" +
            KV + b"\r\n"
            b"bare LF\nMAIL FROM:<lf@192.0.2.25>\nQUIT\n"
            b"bare CR\rMAIL FROM:<cr@192.0.2.25>\r"
            b"\r\n..stuffed line\r\n"
            b"\x00\x1b[2J\x7f\xff\xe2\x80\xae\r\n"
            b"end\r\n.\r\n")
    s.client(body).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    ok = sum(1 for _, rep, _ in rcpts if rep == OK_RCPT)
    want[key(40001)] = [
        ev("connect"),
        ev("helo", ("verb", "EHLO"), ("name", b"2026-03-03T16:45:44.880222Z")),
        ev("mail", ("from", b'"x src=192.0.2.25:25 dst=203.0.113.25:25 '
                    b'from=y"@example.org')),
    ] + [e for _, r, to in rcpts for e in [ev("rcpt", ("to", to))] + (
        [] if r == OK_RCPT else
        [ev("refused", ("verb", "RCPT"), ("to", to), ("reply", r[:3]),
            *esc(r))])
    ] + [
        ev("message", ("subject", subject),
           ("msgid", b"<a b src=192.0.2.25:25\x1b[0m@example.org>"),
           ("size", message_size(body)), ("rcpts", ok), ("reply", 250)),
        ev("close", ("how", "fin"), ("msgs", 1)),
    ]

    # B: HELO names and reverse-paths with control bytes and bare line ends
    s = Session(40002, cl, sv)
    s.handshake().server(BANNER)
    helos = [
        (b"HELO \x1b[2Jmx\x00.example\x7f\xe2\x80\xae\xc0\xaf src=192.0.2.25"
         b":25\r\n", b"HELO", b"\x1b[2Jmx\x00.example\x7f\xe2\x80\xae\xc0\xaf"),
        (b"helo a\rb" + KV + b"\n", b"HELO", b"a\rb"),
        (b"EhLo " + TCPD + b"\r\n", b"EHLO", b"16:45:44.880222"),
        (b"EHLO\r\n", b"EHLO", b""),
        (b"EHLO [192.0.2.25]\r\n", b"EHLO", b"[192.0.2.25]"),
    ]
    for cmd, _, _ in helos:
        s.client(cmd).server(EHLO_REPLY)
    mails = [
        (b"MAIL FROM:<>\r\n", b""),
        (b"MAIL FROM:<a\x00b@example.org>\r\n", b"a\x00b@example.org"),
        (b"MAIL FROM: 192.0.2.25.1025 > 203.0.113.25.25: MAIL FROM:<x>\r\n",
         b"192.0.2.25.1025"),
        (b"MAIL FROM:<@192.0.2.25,@[192.0.2.26]:route@example.org>\r\n",
         b"route@example.org"),
        (b"mail from:<" + EVL.replace(b" ", b"\t") + b">\r\n",
         EVL.replace(b" ", b"\t")),
        (b'MAIL FROM:<"a\\"b>c"@example.org>\r\n', b'"a\\"b>c"@example.org'),
        (b"MAIL FROM:<" + b"\xe2\x80\xae" * 3 + b"\xc2\x85\xe2\x81\xa6@x>\n",
         b"\xe2\x80\xae" * 3 + b"\xc2\x85\xe2\x81\xa6@x"),
    ]
    for cmd, _ in mails:
        s.client(cmd).server(b"250 2.1.0 Ok\r\n")
        s.client(b"RSET\r\n").server(b"250 2.0.0 Ok\r\n")
    smtp_quit(s)
    sessions.append(s)
    want[key(40002)] = [ev("connect")] + \
        [ev("helo", ("verb", v), ("name", n)) for _, v, n in helos] + \
        [ev("mail", ("from", f)) for _, f in mails] + \
        [ev("close", ("how", "fin"), ("msgs", 0))]
    return sessions, want


# --- case 2: SMTP smuggling shapes inside DATA -----------------------------

SMUGGLE = [b"\n.\n", b"\r.\n", b"\n.\r\n", b"\r\n.\r", b"\r\n.\n",
           b"\r.\r\n", b"\n.\r"]


def smuggle_sessions():
    sessions, want = [], {}
    port = 41000
    for shape in SMUGGLE:
        for split in (False, True):
            port += 1
            s = Session(port)
            smtp_open(s)
            s.client(b"MAIL FROM:<real@example.org>\r\n").server(OK_MAIL)
            s.client(b"RCPT TO:<rcpt@example.net>\r\n").server(OK_RCPT)
            s.client(b"DATA\r\n").server(GO_DATA)
            first = (b"From: real@example.org\r\nSubject: first\r\n\r\n"
                     b"first body" + shape)
            second = (b"MAIL FROM:<smuggled@x>\r\nRCPT TO:<victim@example.net>"
                      b"\r\nDATA\r\nFrom: smuggled@x\r\nSubject: second\r\n\r\n"
                      b"second body\r\n.\r\n")
            if split:
                # the shape cut between two segments, byte by byte
                cut = len(first) - len(shape)
                s.client_parts([first[:cut]] + [bytes([c]) for c in shape] +
                               [second])
            else:
                s.client(first + second)
            s.server(QUEUED)
            smtp_quit(s)
            sessions.append(s)
            want[port] = [
                ev("connect"), ev("helo", ("verb", "EHLO"),
                                  ("name", "client.example.org")),
                ev("mail", ("from", "real@example.org")),
                ev("rcpt", ("to", "rcpt@example.net")),
                ev("message", ("subject", "first"),
                   ("size", message_size(first + second)), ("rcpts", 1),
                   ("reply", 250)),
                ev("close", ("how", "fin"), ("msgs", 1)),
            ]
    return sessions, want


def unhardened_sessions():
    """A server that does end DATA at LF "." LF, and answers the rest.

    capturo takes the server to end DATA only at CRLF.CRLF; this one
    does not, so the parser learns of the early end only from the
    server's answer: the message is reported cut=1 and the smuggled
    transaction is not reported.  Asserted so that a change is seen."""
    s = Session(46001)
    w = prologue(s, b"real@example.org", b"rcpt@example.net")
    s.client(b"DATA\r\n").server(GO_DATA)
    s.client(b"Subject: first\r\n\r\nbody\n.\nMAIL FROM:<smuggled@x>\r\n"
             b"RCPT TO:<v@example.net>\r\nDATA\r\n")
    s.server(QUEUED + OK_MAIL + OK_RCPT + GO_DATA)
    s.client(b"Subject: second\r\n\r\nbody2\r\n.\r\n").server(QUEUED)
    smtp_quit(s)
    w += [ev("message", ("subject", "first"), ("size", 80), ("rcpts", 1),
             ("reply", 250), ("cut", 1)),
          ev("close", ("how", "fin"), ("msgs", 1))]
    return [s], {46001: w}


# --- case 3: extremes ------------------------------------------------------

HELO_EV = ev("helo", ("verb", "EHLO"), ("name", "client.example.org"))


def prologue(s, sender=b"a@example.org", rcpt=b"r@example.net"):
    smtp_open(s)
    s.client(b"MAIL FROM:<" + sender + b">\r\n").server(OK_MAIL)
    s.client(b"RCPT TO:<" + rcpt + b">\r\n").server(OK_RCPT)
    return [ev("connect"), HELO_EV, ev("mail", ("from", sender)),
            ev("rcpt", ("to", rcpt))]


def bdat_sessions():
    sessions, want = [], {}
    # BDAT 0, then a last chunk; and BDAT 0 LAST alone
    s = Session(42001)
    w = prologue(s)
    chunk = b"Subject: zero chunk\r\n\r\nhi\r\n"
    s.client(b"BDAT 0\r\n").server(b"250 2.0.0 Ok: 0 bytes\r\n")
    s.client(b"BDAT %d LAST\r\n" % len(chunk) + chunk).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[42001] = w + [ev("message", ("subject", "zero chunk"),
                          ("size", len(chunk)), ("rcpts", 1), ("reply", 250)),
                       ev("close", ("how", "fin"), ("msgs", 1))]
    s = Session(42002)
    w = prologue(s)
    s.client(b"BDAT 0 LAST\r\n").server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[42002] = w + [ev("message", ("size", 0), ("rcpts", 1),
                          ("reply", 250)),
                       ev("close", ("how", "fin"), ("msgs", 1))]
    # sizes the server refuses: no chunk is read, the next line is a command
    port = 42010
    for size in (b"18446744073709551615", b"-1", b"18446744073709551616",
                 b"+5", b"5x"):
        for piped in (False, True):
            port += 1
            s = Session(port)
            w = prologue(s)
            bad = b"BDAT " + size + b" LAST\r\n"
            refuse = b"501 5.5.4 Syntax: BDAT count [LAST]\r\n"
            body = (b"Subject: after refused\r\n\r\nMAIL FROM:<smuggled@x>\r\n"
                    b".\r\n")
            if piped:
                s.client(bad + b"RSET\r\nMAIL FROM:<after@example.org>\r\n"
                         b"RCPT TO:<r2@example.net>\r\nDATA\r\n")
                s.server(refuse + b"250 2.0.0 Ok\r\n" + OK_MAIL + OK_RCPT +
                         GO_DATA)
            else:
                s.client(bad).server(refuse)
                s.client(b"RSET\r\n").server(b"250 2.0.0 Ok\r\n")
                s.client(b"MAIL FROM:<after@example.org>\r\n").server(OK_MAIL)
                s.client(b"RCPT TO:<r2@example.net>\r\n").server(OK_RCPT)
                s.client(b"DATA\r\n").server(GO_DATA)
            s.client(body).server(QUEUED)
            smtp_quit(s)
            sessions.append(s)
            want[port] = w + [
                ev("mail", ("from", "after@example.org")),
                ev("rcpt", ("to", "r2@example.net")),
                ev("message", ("subject", "after refused"),
                   ("size", message_size(body)), ("rcpts", 1),
                   ("reply", 250)),
                ev("close", ("how", "fin"), ("msgs", 1))]
    # 2^32: everything after it is chunk, until the client gives up
    s = Session(42030)
    w = prologue(s)
    rest = (b"Subject: huge chunk\r\n\r\nMAIL FROM:<inchunk@x>\r\n"
            b"RCPT TO:<inchunk@x>\r\nDATA\r\n.\r\nQUIT\r\n")
    s.client(b"BDAT 4294967296 LAST\r\n" + rest)
    s.close()
    sessions.append(s)
    want[42030] = w + [ev("message", ("subject", "huge chunk"),
                          ("size", len(rest)), ("rcpts", 1), ("cut", 1)),
                       ev("close", ("how", "fin"), ("msgs", 1))]
    return sessions, want


def odd_sessions():
    """Commands before the banner, deep pipelining, silence, no end."""
    sessions, want = [], {}
    body = (b"Subject: odd\r\n\r\nMAIL FROM:<smuggled@x>\r\n"
            b"RCPT TO:<smuggled@x>\r\nDATA\r\n\r\n.\r\n")
    size = message_size(body)
    tail = [ev("message", ("subject", "odd"), ("size", size), ("rcpts", 1),
               ("reply", 250)), ev("close", ("how", "fin"), ("msgs", 1))]
    dialog = [ev("connect"), HELO_EV, ev("mail", ("from", "a@example.org")),
              ev("rcpt", ("to", "r@example.net"))]

    # EHLO before the banner, then the client waits for each answer
    s = Session(43001).handshake()
    s.client(b"EHLO client.example.org\r\n")
    s.server(BANNER + EHLO_REPLY)
    s.client(b"MAIL FROM:<a@example.org>\r\n").server(OK_MAIL)
    s.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
    s.client(b"DATA\r\n").server(GO_DATA)
    s.client(body).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[43001] = dialog + tail

    # a whole pipelined dialogue before the banner (a slammer)
    s = Session(43002).handshake()
    s.client(b"EHLO client.example.org\r\nMAIL FROM:<a@example.org>\r\n"
             b"RCPT TO:<r@example.net>\r\nDATA\r\n")
    s.server(BANNER + EHLO_REPLY + OK_MAIL + OK_RCPT + GO_DATA)
    s.client(body).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[43002] = dialog + tail

    # pipelining deeper than the parser's queue: SMTP_PIPE_MAX (128)
    # runs of one command each (a run of NOOPs would take one slot)
    s = Session(43003)
    smtp_open(s)
    s.client(b"NOOP\r\nRSET\r\n" * 100 + b"MAIL FROM:<a@example.org>\r\n"
             b"RCPT TO:<r@example.net>\r\nDATA\r\n")
    s.server(b"250 2.0.0 Ok\r\n" * 200 + OK_MAIL + OK_RCPT + GO_DATA)
    s.client(body).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    # past SMTP_PIPE_MAX capturo stops matching answers to commands (it
    # reads on as for a one-sided capture), and says so before the mail
    # line: the message has no reply=, and still nothing of its body is
    # read as a command
    want[43003] = dialog[:2] + [ev("unheard")] + dialog[2:] + [
        ev("message", ("subject", "odd"), ("size", size), ("rcpts", 1)),
        tail[1]]

    # a server that never answers after its banner; the client goes on
    s = Session(43004).handshake().server(BANNER)
    for cmd in (b"EHLO client.example.org\r\n", b"MAIL FROM:<a@example.org>\r\n",
                b"RCPT TO:<r@example.net>\r\n", b"DATA\r\n"):
        s.client(cmd)
    s.client(body)
    s.client(b"QUIT\r\n")
    s.close()
    sessions.append(s)
    # the answers to MAIL and RCPT never come: unheard says so for both
    want[43004] = dialog + [ev("unheard", ("pending", 2)),
                            ev("message", ("subject", "odd"), ("size", size),
                               ("rcpts", 1)),
                            ev("close", ("how", "fin"), ("msgs", 1))]

    # a client that never ends DATA: the connection closes inside it
    s = Session(43005)
    prologue(s)
    s.client(b"DATA\r\n").server(GO_DATA)
    never = (b"Subject: never ends\r\n\r\nMAIL FROM:<inbody@x>\r\n"
             b"RCPT TO:<inbody@x>\r\n.\n\r.\r\nQUIT\r\n" + b"x" * 3000)
    s.client(never)
    s.close()
    sessions.append(s)
    want[43005] = dialog + [ev("message", ("subject", "never ends"),
                               ("size", unstuffed_len(never)), ("rcpts", 1),
                               ("cut", 1)),
                            ev("close", ("how", "fin"), ("msgs", 1))]
    return sessions, want


def long_line_sessions():
    """A 1 MB command line and a 1 MB header (written at test time)."""
    sessions, want = [], {}
    mb = 1 << 20
    s = Session(44001)
    smtp_open(s)
    s.client(b"MAIL FROM:<a@example.org> " + b"X" * mb + b"\r\n")
    s.server(b"500 5.5.2 Error: line too long\r\n")
    s.client(b"MAIL FROM:<" + b"b" * mb + b">\r\n")
    s.server(b"500 5.5.2 Error: line too long\r\n")
    s.client(b"MAIL FROM:<next@example.org>\r\n").server(OK_MAIL)
    smtp_quit(s)
    sessions.append(s)
    # a line is kept up to SMTP_LINE_MAX (2048) bytes, its end cut off,
    # and a path is cut at SMTP_ADDR_MAX (512)
    want[44001] = [ev("connect"), HELO_EV,
                   ev("mail", ("from", "a@example.org"), ("cut", 1)),
                   ev("refused", ("verb", "MAIL"), ("from", "a@example.org"),
                      ("reply", 500), ("esc", "5.5.2"), ("cut", 1)),
                   ev("mail", ("from", b"b" * 512), ("cut", 1)),
                   ev("refused", ("verb", "MAIL"), ("from", b"b" * 512),
                      ("reply", 500), ("esc", "5.5.2"), ("cut", 1)),
                   ev("mail", ("from", "next@example.org")),
                   ev("close", ("how", "fin"), ("msgs", 0))]
    for port, before in ((44002, True), (44003, False)):
        s = Session(port)
        w = prologue(s)
        s.client(b"DATA\r\n").server(GO_DATA)
        hdr = b"X-Long: " + b"y" * mb + b"\r\n"
        subj = b"Subject: long header\r\n"
        body = (subj + hdr if before else hdr + subj) + \
            b"\r\nMAIL FROM:<inbody@x>\r\n.\r\n"
        s.client(body).server(QUEUED)
        smtp_quit(s)
        sessions.append(s)
        kv = [("subject", "long header")] if before else []
        want[port] = w + [ev("message", *(kv + [("size", message_size(body)),
                                                ("rcpts", 1), ("reply", 250),
                                                ("cut", 1)])),
                          ev("close", ("how", "fin"), ("msgs", 1))]
    return sessions, want


def rcpt_sessions(n=10000, batch=100):
    s = Session(45001)
    smtp_open(s)
    s.client(b"MAIL FROM:<many@example.org>\r\n").server(OK_MAIL)
    w = [ev("connect"), HELO_EV, ev("mail", ("from", "many@example.org"))]
    for i in range(0, n, batch):
        k = min(batch, n - i)
        s.client(b"".join(b"RCPT TO:<u%05d@example.net>\r\n" % j
                          for j in range(i, i + k)))
        s.server(OK_RCPT * k)
        w += [ev("rcpt", ("to", b"u%05d@example.net" % j))
              for j in range(i, i + k)]
    s.client(b"DATA\r\n").server(GO_DATA)
    body = b"Subject: many\r\n\r\nhi\r\n.\r\n"
    s.client(body).server(QUEUED)
    smtp_quit(s)
    w += [ev("message", ("subject", "many"), ("size", message_size(body)),
             ("rcpts", n), ("reply", 250)),
          ev("close", ("how", "fin"), ("msgs", 1))]
    return [s], {45001: w}


# --- TCP the way stacks do it: stray SYNs and resets, tags, options -------

def tcp_sessions():
    """Segments a receiving stack ignores, the port reused, and frames
    behind VLAN tags or IPv6 extension headers."""
    sessions, want = [], {}
    body = b"Subject: tcp\r\n\r\nhello\r\n.\r\n"

    def rest(s, w):
        """DATA, QUIT and the close, after prologue()."""
        s.client(b"DATA\r\n").server(GO_DATA)
        s.client(body).server(QUEUED)
        smtp_quit(s)
        return w + [ev("message", ("subject", "tcp"),
                       ("size", message_size(body)), ("rcpts", 1),
                       ("reply", 250)),
                    ev("close", ("how", "fin"), ("msgs", 1))]

    def odd(s, who, flags, seq, payload=b""):
        """A segment at seq, leaving the session's own numbers alone."""
        if who == "c":
            keep, s.cseq = s.cseq, seq
            s._c(flags, payload)
            s.cseq = keep
        else:
            keep, s.sseq = s.sseq, seq
            s._s(flags, payload)
            s.sseq = keep

    # a SYN with another ISN, and bytes, inside the connection: the
    # server answers with a challenge ACK and goes on (RFC 5961 4.2)
    s = Session(47001)
    w = prologue(s)
    odd(s, "c", SYN, s.cseq + 200000, b"MAIL FROM:<smuggled@x>\r\n")
    s._s(ACK)
    want[47001] = rest(s, w)
    sessions.append(s)

    # the port reused, the old connection's end not captured: the
    # server's SYN-ACK to the new ISN shows the new connection
    s = Session(47002)
    w = prologue(s)
    s.client(b"QUIT\r\n").server(BYE, ack=False)
    n = Session(47002, cisn=s.cseq + 64000, sisn=s.sseq + 128000)
    s.frames += n.frames
    n.frames = s.frames
    want[47002] = w + [ev("close", ("how", "timeout"), ("msgs", 0))] + \
        rest(n, prologue(n))
    sessions.append(s)

    # the port reused after the client's FIN, the rest of the close and
    # the new SYN-ACK lost to the capture: the SYN alone is enough
    s = Session(47003)
    w = prologue(s)
    s.client(b"QUIT\r\n").server(BYE, ack=False)
    s._c(FIN | ACK)
    n = Session(47003, cisn=s.cseq + 64000, sisn=s.sseq + 128000)
    n.handshake()
    del n.frames[1]
    n.server(BANNER)
    n.client(b"EHLO client.example.org\r\n").server(EHLO_REPLY)
    n.client(b"MAIL FROM:<a@example.org>\r\n").server(OK_MAIL)
    n.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
    s.frames += n.frames
    n.frames = s.frames
    want[47003] = w + [ev("close", ("how", "timeout"), ("msgs", 0))] + \
        rest(n, [ev("connect"), HELO_EV, ev("mail", ("from", "a@example.org")),
                 ev("rcpt", ("to", "r@example.net"))])
    sessions.append(s)

    # the port reused after a reset at the client's next byte
    s = Session(47004)
    w = prologue(s)
    s._c(RST)
    n = Session(47004, cisn=s.cseq + 64000, sisn=s.sseq + 128000)
    s.frames += n.frames
    n.frames = s.frames
    want[47004] = w + [ev("close", ("how", "rst"), ("msgs", 0))] + \
        rest(n, prologue(n))
    sessions.append(s)

    # resets outside the window, ignored by the receiver (RFC 5961 3.2):
    # the client's far ahead inside DATA, the server's behind
    s = Session(47011)
    w = prologue(s)
    s.client(b"DATA\r\n").server(GO_DATA)
    odd(s, "c", RST, s.cseq + 50000000)
    s.client(body).server(QUEUED)
    odd(s, "s", RST | ACK, s.sseq - 100000)
    s.client(b"MAIL FROM:<b@example.org>\r\n").server(OK_MAIL)
    smtp_quit(s)
    want[47011] = w + [ev("message", ("subject", "tcp"),
                          ("size", message_size(body)), ("rcpts", 1),
                          ("reply", 250)),
                       ev("mail", ("from", "b@example.org")),
                       ev("close", ("how", "fin"), ("msgs", 1))]
    sessions.append(s)

    # a reset past bytes the capture missed and nothing of the receiver
    # shows: not taken (a receiver takes only the next byte it expects);
    # the connection ends with the capture
    s = Session(47012)
    w = prologue(s)
    s.client(b"DATA\r\n").server(GO_DATA)
    part = b"Subject: cut\r\n\r\nfirst line\r\n"
    s.client(part)
    odd(s, "c", RST, s.cseq + 3000)
    want[47012] = w + [ev("message", ("subject", "cut"), ("size", len(part)),
                          ("rcpts", 1), ("cut", 1)),
                       ev("close", ("how", "end"), ("msgs", 1))]
    sessions.append(s)

    # a reset one byte past the client's place, the server's challenge
    # ACK, then the envelope pipelined: the connection goes on
    s = Session(47014)
    smtp_open(s)
    w = [ev("connect"), HELO_EV]
    odd(s, "c", RST | ACK, s.cseq + 1)
    s._s(ACK)
    s.client(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<r@example.net>\r\n")
    s.server(OK_MAIL + OK_RCPT)
    want[47014] = rest(s, w + [ev("mail", ("from", "a@example.org")),
                               ev("rcpt", ("to", "r@example.net"))])
    sessions.append(s)

    # an early copy of garbage one byte ahead, then the real line in
    # order: the server reads the real line (Linux drops the early copy)
    s = Session(47015)
    smtp_open(s)
    line = b"MAIL FROM:<hidden@example.org>\r\n"
    odd(s, "c", PSH | ACK, s.cseq + 1, b"X" * (len(line) - 1))
    s.client(line).server(OK_MAIL)
    s.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
    want[47015] = rest(s, [ev("connect"), HELO_EV,
                           ev("mail", ("from", "hidden@example.org")),
                           ev("rcpt", ("to", "r@example.net"))])
    sessions.append(s)

    # garbage without ACK, which the server drops, before the real line;
    # and a FIN without ACK followed by a SYN with another ISN
    s = Session(47016)
    smtp_open(s)
    odd(s, "c", PSH, s.cseq, b"QUIT\r\n")
    odd(s, "c", FIN, s.cseq)
    odd(s, "c", SYN, s.cseq + 0x80000000)
    s._s(ACK)
    s.client(b"MAIL FROM:<a@example.org>\r\n").server(OK_MAIL)
    s.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
    want[47016] = rest(s, [ev("connect"), HELO_EV,
                           ev("mail", ("from", "a@example.org")),
                           ev("rcpt", ("to", "r@example.net"))])
    sessions.append(s)

    # the first SYN-ACK lost on its way, the SYN sent again, a SYN-ACK
    # with another ISN (SYN cookies, a SYN proxy): the client's ACK says
    # which one counts
    s = Session(47018)
    s._c(SYN, opts=MSS_OPT)
    first = s.sseq
    s.sseq += 0x40000000
    odd(s, "s", SYN | ACK, first)
    s.cseq -= 1
    s._c(SYN, opts=MSS_OPT)
    s._s(SYN | ACK, opts=MSS_OPT)
    s._c(ACK)
    s.server(BANNER)
    s.client(b"EHLO client.example.org\r\n").server(EHLO_REPLY)
    s.client(b"MAIL FROM:<a@example.org>\r\n").server(OK_MAIL)
    s.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
    s.client(b"RCPT TO:<no@example.net>\r\n").server(
        b"550 5.1.1 no such user\r\n")
    s.client(b"DATA\r\n").server(GO_DATA)
    s.client(body).server(QUEUED)
    smtp_quit(s)
    want[47018] = [ev("connect"), HELO_EV,
                   ev("mail", ("from", "a@example.org")),
                   ev("rcpt", ("to", "r@example.net")),
                   ev("rcpt", ("to", "no@example.net")),
                   ev("refused", ("verb", "RCPT"), ("to", "no@example.net"),
                      ("reply", 550), ("esc", "5.1.1")),
                   ev("message", ("subject", "tcp"),
                      ("size", message_size(body)), ("rcpts", 1),
                      ("reply", 250)),
                   ev("close", ("how", "fin"), ("msgs", 1))]
    sessions.append(s)

    # 65 one-byte early copies inside a NOOP line, past the segment
    # bound, then the whole stream in order: nothing is skipped
    s = Session(47017)
    smtp_open(s)
    noop = b"NOOP " + b"n" * 140 + b"\r\n"
    for i in range(65):
        odd(s, "c", PSH | ACK, s.cseq + 5 + 2 * i, b"n")
    s.client(noop + b"MAIL FROM:<a@example.org>\r\n"
             b"RCPT TO:<r@example.net>\r\n")
    s.server(b"250 2.0.0 Ok\r\n" + OK_MAIL + OK_RCPT)
    want[47017] = rest(s, [ev("connect"), HELO_EV,
                           ev("mail", ("from", "a@example.org")),
                           ev("rcpt", ("to", "r@example.net"))])
    sessions.append(s)

    # 40 MB the capture missed, which the server acknowledged: the reset
    # at the client's place is judged by that acknowledgement
    s = Session(47013)
    w = prologue(s)
    s.client(b"DATA\r\n").server(GO_DATA)
    part = b"Subject: lost\r\n\r\n"
    s.client(part, ack=False)
    s.cseq += 40000000
    s._s(ACK)
    s._c(RST)
    want[47013] = w + [ev("message", ("subject", "lost"), ("size", len(part)),
                          ("rcpts", 1), ("cut", 1)),
                       ev("close", ("how", "rst"), ("msgs", 1))]
    sessions.append(s)

    # behind an 802.1Q tag, behind QinQ (802.1ad, then 802.1Q), and
    # IPv6 with extension headers, one chain behind a tag too
    for port, tags, ext in ((47021, ((0x8100, 100),), ()),
                            (47022, ((0x88A8, 200), (0x8100, 100)), ()),
                            (47031, (), (60,)),
                            (47032, (), (0, 43, 60)),
                            (47033, ((0x8100, 100),), (0,))):
        v6 = port > 47030
        s = Session(port, CLIENT6 if v6 else CLIENT,
                    SERVER6 if v6 else SERVER, tags=tags, ext=ext)
        want[("v6", port) if v6 else port] = rest(s, prologue(s))
        sessions.append(s)
    return sessions, want


# --- the committed captures ------------------------------------------------

def interleave(sessions):
    """The sessions' frames, one of each in turn, as on a busy link."""
    out, lists = [], [list(s.frames) for s in sessions]
    i = 0
    while any(lists):
        for fl in lists:
            if i < len(fl):
                out.append(fl[i])
        i += 1
        if all(i >= len(fl) for fl in lists):
            break
    return out


def small_captures():
    """name -> (pcap bytes, expected events by client port)."""
    caps = {}
    ss, w = fields_sessions()
    caps["hostile-fields"] = (pcap_bytes(interleave(ss)), w)
    ss, w = fields_sessions(v6=True)
    caps["hostile-fields6"] = (pcap_bytes(interleave(ss)), w)
    ss, w = smuggle_sessions()
    caps["hostile-smuggle"] = (pcap_bytes(interleave(ss)), w)
    ss, w = unhardened_sessions()
    caps["hostile-unhardened"] = (pcap_bytes(interleave(ss)), w)
    ss, w = bdat_sessions()
    caps["hostile-bdat"] = (pcap_bytes(interleave(ss)), w)
    ss, w = odd_sessions()
    caps["hostile-odd"] = (pcap_bytes(interleave(ss)), w)
    ss, w = tcp_sessions()
    caps["hostile-tcp"] = (pcap_bytes(interleave(ss)), w)
    return caps


# --- case 4: floods --------------------------------------------------------

def flood_pcap(path, nflows, nreal=20, half_open_share=0.3):
    """nflows flows, a SYN flood and half-open sessions, with nreal real
    sessions spread through; written in bulk.  Returns the real ports."""
    rnd = random.Random(4)
    src_base = 198 << 24 | 18 << 16          # 198.18.0.0/15
    dst = ipbytes(SERVER)
    nhalf = int(nflows * half_open_share)
    real = []
    for j in range(nreal):
        s = Session(50001 + j)
        smtp_open(s)
        s.client(b"MAIL FROM:<real-%02d@example.org>\r\n" % j).server(OK_MAIL)
        s.client(b"RCPT TO:<r@example.net>\r\n").server(OK_RCPT)
        smtp_quit(s)
        real.append(list(s.frames))
    # where each real session starts, and one frame every `gap` flows
    starts = [int(nflows * (0.05 + 0.9 * j / max(nreal, 1)))
              for j in range(nreal)]
    gap = 97
    sched = {}
    for j, st in enumerate(starts):
        for k, f in enumerate(real[j]):
            sched.setdefault(st + k * gap, []).append(f)
    f = open(path, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    buf = []
    t = T0 * 1000000
    rec = struct.Struct("<IIII")
    ehdr = SMAC + CMAC + b"\x08\x00"
    ehdr_r = CMAC + SMAC + b"\x08\x00"
    syn_opts = MSS_OPT
    banner = BANNER
    half_every = int(1 / half_open_share) if half_open_share else 0
    made_half = 0
    for i in range(nflows):
        # a bijection of i onto 17 address bits and 15 port bits
        x = (i * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
        a = struct.pack("!I", src_base | x >> 15)
        port = 32768 | (x & 0x7FFF)
        isn = rnd.getrandbits(32)
        half = half_every and i % half_every == 0 and made_half < nhalf
        t += 50
        syn = frame(a, dst, port, 25, isn, 0, SYN, b"", CMAC, SMAC, i,
                    syn_opts)
        buf.append(rec.pack(t // 1000000, t % 1000000, len(syn), len(syn)))
        buf.append(syn)
        if half:
            made_half += 1
            sisn = rnd.getrandbits(32)
            pk = [frame(dst, a, 25, port, sisn, isn + 1, SYN | ACK, b"",
                        SMAC, CMAC, i, syn_opts),
                  frame(a, dst, port, 25, isn + 1, sisn + 1, ACK, b"",
                        CMAC, SMAC, i + 1),
                  frame(dst, a, 25, port, sisn + 1, isn + 1, PSH | ACK,
                        banner, SMAC, CMAC, i + 1)]
            for p in pk:
                t += 1
                buf.append(rec.pack(t // 1000000, t % 1000000, len(p),
                                    len(p)))
                buf.append(p)
        for p in sched.get(i, ()):
            t += 1
            buf.append(rec.pack(t // 1000000, t % 1000000, len(p), len(p)))
            buf.append(p)
        if len(buf) > 200000:
            f.write(b"".join(buf))
            buf = []
    f.write(b"".join(buf))
    f.close()
    return made_half


def run_flood(tmp, nflows):
    path = os.path.join(tmp, "flood.pcap")
    t0 = time.time()
    nhalf = flood_pcap(path, nflows)
    gen = time.time() - t0
    out = os.path.join(tmp, "flood.out")
    t0 = time.time()
    with open(out, "wb") as fo, open(os.path.join(tmp, "flood.err"),
                                      "wb") as fe:
        p = subprocess.Popen([CAPTURO_FAST, "-F", "65536", "-r", path],
                             stdout=fo, stderr=fe)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    run = time.time() - t0
    err = open(os.path.join(tmp, "flood.err"), "rb").read().decode(
        "utf-8", "replace")
    st = stats(err)
    print("# flood: %d flows (%d half-open SMTP sessions, %d SYN only, 20 "
          "real sessions), pcap %d MB written in %.1f s, capturo %.1f s, "
          "peak RSS %d KB" % (nflows, nhalf, nflows - nhalf,
                              os.path.getsize(path) >> 20, gen, run,
                              ru.ru_maxrss))
    print("# flood: %s" % err.strip().splitlines()[-1] if err.strip() else
          "# flood: no stats line")
    report(p.returncode == 0, "flood: capturo exits 0", err[-2000:])
    report(int(st.get("evicted", 0)) > 0 and
           int(st.get("active", 1 << 30)) <= 65536,
           "flood: evicted > 0 and active <= 65536 at the end (evicted=%s "
           "active=%s)" % (st.get("evicted"), st.get("active")), err)
    report(int(st.get("flows", 0)) == nflows + 20,
           "flood: flows=%d (every SYN opened one)" % (nflows + 20),
           "flows=%s" % st.get("flows"))
    report(ru.ru_maxrss < 200 * 1024,
           "flood: peak RSS %d MB < 200 MB" % (ru.ru_maxrss >> 10))
    mails, bad, closes, nlines = {}, [], {}, 0
    hows = {}
    with open(out, "rb") as fi:
        for line in fi:
            nlines += 1
            h = line.rfind(b" how=")
            if h > 0:
                how = line[h + 5:line.index(b" ", h + 1)]
                hows[how] = hows.get(how, 0) + 1
            if b" mail " in line or b"src=198.51.100.10:" in line:
                try:
                    _, name, fields = parse_line(line)
                except BadLine as e:
                    bad.append("%s: %r" % (e, line))
                    continue
                d = dict(fields)
                if name == "mail":
                    mails[d["src"]] = d["from"]
                elif name == "close":
                    closes[d["src"]] = d["how"]
    want = {("%s:%d" % (CLIENT, 50001 + j)).encode():
            b"real-%02d@example.org" % j for j in range(20)}
    report(not bad and mails == want,
           "flood: every real session's mail event is reported (20 of 20)",
           "\n".join(bad) + "\nwant %r\ngot %r" % (want, mails))
    report(all(closes.get(k) == b"fin" for k in want),
           "flood: the real sessions end with how=fin, not evicted",
           repr(closes))
    print("# flood: %d event lines, close how=%r" % (nlines, hows))
    # the flows still open when the capture ended: never more than -F
    report(hows.get(b"end", 0) <= 65536 and
           hows.get(b"evicted", 0) == int(st.get("evicted", -1)) and
           sum(hows.values()) == int(st.get("flows", -1)),
           "flood: at most 65536 flows open at the end of the capture (%d), "
           "every flow closed once" % hows.get(b"end", 0), repr(hows))


# --- detengo ---------------------------------------------------------------

def run_detengo(out, what, allow=None, host=CLIENT):
    args = [DETENGO, "-n", "--once"]
    if allow:
        args += ["-a", allow]
    args.append("-")
    p = subprocess.run(args, input=out, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    recs, errs = parse_all(p.stdout)
    blocks = [d["host"].decode() for n, d, _ in recs if n == "block"]
    san = [ln for ln in err.splitlines() if "Sanitizer" in ln or
           "runtime error" in ln]
    report(p.returncode == 0 and not san and not errs,
           "%s: detengo -n --once exits 0, its lines parse" % what,
           "status %d\n%s\n%s" % (p.returncode, "\n".join(errs), err[-2000:]))
    bad = raw_bytes_ok(p.stdout)
    report(bad is None, "%s: detengo's output holds no raw control byte"
           % what, bad)
    if allow:
        report(not blocks, "%s: detengo -a %s blocks nothing" % (what, allow),
               "blocked: %s" % blocks)
    else:
        report(blocks == [host],
               "%s: detengo blocks only %s, once" % (what, host),
               "blocked: %s\n%s" % (blocks, p.stdout.decode("utf-8",
                                                            "replace")))


def run_detengo_pipe(out, what):
    """capturo | detengo -n --once -, the writer a little slower than
    detengo's start (as capturo under the sanitizer is): a pipe's end
    is its end of file, so every line must still be read."""
    with tempfile.NamedTemporaryFile(prefix="hostile.") as f:
        f.write(out)
        f.flush()
        w = subprocess.Popen(["/bin/sh", "-c", 'sleep 0.5; cat "$1"', "sh",
                              f.name], stdout=subprocess.PIPE)
        p = subprocess.run([DETENGO, "-n", "--once", "-"], stdin=w.stdout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        w.stdout.close()
        w.wait()
    recs, _ = parse_all(p.stdout)
    blocks = [d["host"].decode() for n, d, _ in recs if n == "block"]
    report(blocks == [CLIENT],
           "%s: (sleep; cat) | detengo -n --once - reads the pipe to its "
           "end and blocks %s" % (what, CLIENT),
           "blocked: %s; stderr: %s" % (blocks, p.stderr.decode(
               "utf-8", "replace").strip()))


# --- main ------------------------------------------------------------------

def tshark_check(paths, odd=()):
    """odd: the captures whose TCP anomalies are the point of them,
    only their checksums checked."""
    tshark = shutil.which("tshark")
    if not tshark:
        # tests/deps.sh installs it: the checksums are always checked
        report(False, "tshark missing (sh tests/deps.sh installs it), "
               "the captures' checksums not checked")
        return
    bad = []
    for p in paths:
        check = "ip.checksum.status == 0 || tcp.checksum.status == 0"
        if p not in odd:
            check += (" || (tcp.analysis.flags && !tcp.analysis.window_update"
                      " && !tcp.analysis.keep_alive)")
        r = subprocess.run(
            [tshark, "-n", "-r", p, "-o", "tcp.check_checksum:TRUE",
             "-o", "ip.check_checksum:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE",
             "-Y", check, "-T", "fields", "-e", "frame.number",
             "-e", "_ws.expert.message"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.returncode != 0 or r.stdout.strip():
            bad.append("%s: %s %s" % (os.path.basename(p),
                                      r.stdout.decode()[:500],
                                      r.stderr.decode()[:500]))
    report(not bad, "tshark finds no bad checksum and no TCP anomaly in the "
           "committed captures (in %s no bad checksum)"
           % ", ".join(os.path.basename(p) for p in odd), "\n".join(bad))


def reader_selfcheck():
    """The strict reader must refuse what the format forbids."""
    head = (b"2026-03-03T16:45:44.880222Z mail sid=7f3a2c01 "
            b"src=198.51.100.10:43712 dst=203.0.113.25:25 ")
    bad = [head + b'from="a\x01b"\n', head + b'from="a\\qb"\n',
           head + b'from="a\\xffb"\n', head + b'from="\xe2\x80\xae"\n',
           head + b'from="\xff"\n', head + b"from=a\"b\n",
           head + b'from=""\n'.replace(b'""', b""), head + b"from=x cut=2\n",
           head + b"from=x from=y\n", head[:-1] + b"\n",
           head.replace(b"sid=7f3a2c01 src", b"src") + b"from=x\n",
           head + b"to=x\n", head + b"from=x\r\n", head + b"from=x",
           head + b'from="x\n', head + b"from=x" + b"x" * 4096 + b"\n",
           head.replace(b"44.880222Z", b"44Z") + b"from=x\n"]
    taken = []
    for ln in bad:
        try:
            parse_line(ln)
            taken.append(ln)
        except BadLine:
            pass
    good = head + b'from="\\"a\\x00\\u{202E}\xc3\xa9" cut=1\n'
    try:
        _, _, f = parse_line(good)
        good_ok = f[3] == ("from", b'"a\x00\xe2\x80\xae\xc3\xa9')
    except BadLine as e:
        good_ok = False
        taken.append(b"good line refused: %s" % str(e).encode())
    report(not taken and good_ok, "the strict reader refuses %d malformed "
           "lines and reads a well-formed one" % len(bad),
           b"\n".join(taken).decode("utf-8", "replace"))


# --- second checks: each of these is also checked elsewhere, once -------

PASSWORD = b"S3cr3t-Passw0rd"
BIDI = [0x85, 0x9B, 0x61C, 0x200E, 0x200F] + list(range(0x2028, 0x202F)) + \
    list(range(0x2066, 0x206A))


def second_sessions():
    """A body sent before the 354; AUTH LOGIN in a client-only capture,
    both forms; every bidirectional and line-breaking code point the
    writer escapes, in each value a client chooses."""
    import base64
    sessions, want = [], {}

    # the client does not wait for the 354: its body, command-shaped
    # lines and all, arrives before the server's answer
    s = Session(49001)
    w = prologue(s, b"real@example.org", b"rcpt@example.net")
    body = (b"Subject: early\r\n\r\nMAIL FROM:<inbody@example.org>\r\n"
            b"RCPT TO:<inbody@example.net>\r\nQUIT\r\n.\r\n")
    s.client(b"DATA\r\n" + body)
    s.server(GO_DATA)
    s.server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[49001] = w + [
        ev("message", ("subject", "early"), ("size", message_size(body)),
           ("rcpts", 1), ("reply", 250)),
        ev("close", ("how", "fin"), ("msgs", 1))]

    # only the client's packets captured (no server byte, not even its
    # SYN-ACK): AUTH LOGIN's next line is the user, the one after it the
    # password; with an initial response the next line is the password
    user = base64.b64encode(b"alice") + b"\r\n"
    pw = base64.b64encode(PASSWORD) + b"\r\n"
    for port, lines, who in (
            (49011, [b"AUTH LOGIN\r\n", user, pw], "alice"),
            (49012, [b"AUTH LOGIN " + base64.b64encode(b"bob") + b"\r\n",
                     pw], "bob")):
        s = Session(port)
        s._c(SYN, opts=MSS_OPT)
        s._c(ACK)
        for p in [b"EHLO pc.example.org\r\n"] + lines + \
                [b"MAIL FROM:<after@example.org>\r\n"]:
            s._c(PSH | ACK, p)
        s._c(FIN | ACK)
        sessions.append(s)
        want[port] = [
            ev("connect"), ev("helo", ("verb", "EHLO"),
                              ("name", "pc.example.org")),
            ev("auth", ("mech", "LOGIN"), ("user", who)),
            ev("unheard"),
            ev("mail", ("from", "after@example.org")),
            ev("close", ("how", "end"), ("msgs", 0))]

    # the code points that turn or break a line, in every value
    chars = "".join(chr(c) for c in BIDI).encode()
    s = Session(49021)
    smtp_open(s, b"EHLO pc" + chars + b".example.org\r\n")
    s.client(b"MAIL FROM:<w" + chars + b"@example.org>\r\n").server(OK_MAIL)
    s.client(b"RCPT TO:<r" + chars + b"@example.net>\r\n").server(OK_RCPT)
    s.client(b"DATA\r\n").server(GO_DATA)
    body = b"Subject: s" + chars + b"\r\n\r\nbody\r\n.\r\n"
    s.client(body).server(QUEUED)
    smtp_quit(s)
    sessions.append(s)
    want[49021] = [
        ev("connect"),
        ev("helo", ("verb", "EHLO"), ("name", b"pc" + chars + b".example.org")),
        ev("mail", ("from", b"w" + chars + b"@example.org")),
        ev("rcpt", ("to", b"r" + chars + b"@example.net")),
        ev("message", ("subject", b"s" + chars), ("size", message_size(body)),
           ("rcpts", 1), ("reply", 250)),
        ev("close", ("how", "fin"), ("msgs", 1))]
    return sessions, want


def second_checks(tmp):
    import base64
    ss, want = second_sessions()
    path = os.path.join(tmp, "hostile-second.pcap")
    with open(path, "wb") as f:
        f.write(pcap_bytes([fr for s in ss for fr in s.frames]))
    out, err, rc = run_capturo(path)
    sane_run("hostile-second", out, err, rc)
    check_sessions("hostile-second", out, want)
    bad = [ln for ln in out.splitlines() if b"inbody" in ln]
    report(not bad, "hostile-second: a body sent before the 354 is not read "
           "as commands", b"\n".join(bad).decode("utf-8", "replace"))
    seen = [f for f in (PASSWORD, base64.b64encode(PASSWORD))
            if f in out or f.decode() in err]
    report(not seen, "hostile-second: the AUTH LOGIN password of a "
           "client-only capture is in no output, plain or base64",
           "found: %r" % seen)
    raw = [c for c in BIDI if chr(c).encode() in out]
    esc = [c for c in BIDI if out.count(b"\\u{%04X}" % c) != 4]
    report(not raw and not esc, "hostile-second: U+%s escaped as \\u{...} "
           "in the helo, mail, rcpt and message lines" %
           ", U+".join("%04X" % c for c in BIDI),
           "raw: %s; not escaped 4 times: %s" %
           (["%04X" % c for c in raw], ["%04X" % c for c in esc]))
    run_detengo(out, "hostile-second")


def main():
    args = sys.argv[1:]
    caps = small_captures()
    if "--write" in args:
        total = 0
        for name, (data, _) in caps.items():
            with open(os.path.join(DATA, name + ".pcap"), "wb") as f:
                f.write(data)
            total += len(data)
            print("wrote tests/data/%s.pcap (%d bytes)" % (name, len(data)))
        print("total %d bytes" % total)
        return 0
    for b in (CAPTURO_SAN, CAPTURO_FAST, DETENGO):
        if not os.access(b, os.X_OK):
            report(False, "%s is built" % os.path.relpath(b, TOP),
                   "run make first")
            return 1
    reader_selfcheck()
    stale = [n for n, (data, _) in caps.items()
             if not os.path.exists(os.path.join(DATA, n + ".pcap")) or
             open(os.path.join(DATA, n + ".pcap"), "rb").read() != data]
    report(not stale, "the committed captures are what the generator writes",
           "differ: %s (tests/hostile.py --write)" % ", ".join(stale))
    total = sum(os.path.getsize(os.path.join(DATA, n + ".pcap"))
                for n in caps if n not in stale)
    report(total < 300 * 1024, "the committed captures take %d KB < 300 KB"
           % (total >> 10))
    tmp = tempfile.mkdtemp(prefix="hostile.")
    try:
        paths = {}
        for name, (data, _) in caps.items():
            paths[name] = os.path.join(tmp, name + ".pcap")
            with open(paths[name], "wb") as f:
                f.write(data)
        tshark_check(list(paths.values()), odd=[paths["hostile-tcp"]])

        # case 1
        for name in ("hostile-fields", "hostile-fields6"):
            out, err, rc = run_capturo(paths[name])
            sane_run(name, out, err, rc)
            check_sessions(name, out, caps[name][1])
            bad = raw_bytes_ok(out)
            report(bad is None, "%s: no raw control byte, DEL or U+202E in "
                   "any line" % name, bad)
            host = CLIENT6 if name.endswith("6") else CLIENT
            run_detengo(out, name, host=host)
            run_detengo(out, name, allow=host)
            if not name.endswith("6"):
                run_detengo_pipe(out, name)
            out, err, rc = run_capturo(paths[name], extra=["-J"])
            jbad = raw_bytes_ok(out)
            import json
            try:
                for ln in out.splitlines():
                    json.loads(ln)
                jerr = None
            except ValueError as e:
                jerr = "%s" % e
            report(rc == 0 and jbad is None and jerr is None and out,
                   "%s: -J lines are JSON with no raw control byte" % name,
                   "%s %s" % (jbad, jerr))

        out, err, rc = run_capturo(paths["hostile-unhardened"])
        sane_run("hostile-unhardened", out, err, rc)
        check_sessions("hostile-unhardened (known limit: a server that ends "
                       "DATA at LF.LF)", out, caps["hostile-unhardened"][1])

        # case 2 and the small extremes
        for name in ("hostile-smuggle", "hostile-bdat", "hostile-odd",
                     "hostile-tcp"):
            out, err, rc = run_capturo(paths[name])
            sane_run(name, out, err, rc)
            check_sessions(name, out, caps[name][1])
            bad = [ln for ln in out.splitlines() if b"smuggled" in ln or
                   b"inchunk" in ln or b"inbody" in ln]
            report(not bad, "%s: nothing from inside a message is read as a "
                   "command" % name, b"\n".join(bad).decode("utf-8",
                                                           "replace"))

        # the big extremes, written now
        for name, gen in (("hostile-longlines", long_line_sessions),
                          ("hostile-rcpts", rcpt_sessions)):
            ss, want = gen()
            path = os.path.join(tmp, name + ".pcap")
            with open(path, "wb") as f:
                f.write(pcap_bytes(interleave(ss)))
            out, err, rc = run_capturo(path)
            sane_run(name, out, err, rc)
            recs = check_sessions(name, out, want)
            if name == "hostile-rcpts":
                n = sum(1 for r in recs if r[0] == "rcpt")
                report(n == 10000, "hostile-rcpts: 10000 rcpt events (%d)"
                       % n)

        # a client pushing its own connection out with SYNs from other
        # ports (capturo -F 16): the connections that never carried a
        # byte go first, its own stays and its envelope is read
        s = Session(48001)
        smtp_open(s)
        for port in range(48100, 48120):
            s.frames += Session(port).syn_only().frames
        s.client(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<r@example.net>\r\n")
        s.server(OK_MAIL + OK_RCPT)
        s.client(b"DATA\r\n").server(GO_DATA)
        s.client(b"Subject: kept\r\n\r\nx\r\n.\r\n").server(QUEUED)
        smtp_quit(s)
        path = os.path.join(tmp, "hostile-evict.pcap")
        with open(path, "wb") as f:
            f.write(pcap_bytes(s.frames))
        out, err, rc = run_capturo(path, extra=["-F", "16"])
        sane_run("hostile-evict", out, err, rc)
        sess, _ = by_session(parse_all(out)[0])
        evs = sess.get("%s:48001" % CLIENT, {"ev": []})["ev"]
        report([n for n, _ in evs] == ["connect", "helo", "mail", "rcpt",
                                       "message", "close"] and
               ("how", b"fin") in evs[-1][1],
               "hostile-evict: 20 SYNs from other ports with -F 16 do not "
               "push out a connection that speaks", show(evs))

        second_checks(tmp)

        if "--quick" not in args:
            nflows = int(os.environ.get("HOSTILE_FLOWS", "1000000"))
            run_flood(tmp, nflows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
