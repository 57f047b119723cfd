#!/usr/bin/env python3
"""Model-based test of detengo's firewall record, one backend a run.

detengo runs as a daemon in a network namespace of its own and is driven
through a seeded random sequence of steps: new hosts blocked singly and
in bursts, --unblock, blocks that expire (-x), allow-list edits and
SIGHUP, kill -9 and restart, and the reloads of the field (nft flush
ruleset, nft -f of a saved table inet detengo with old elements, ipset
destroy, iptables -F, iptables-restore), some of them at the worst
moments: between a block and detengo's next look at the firewall, and
in the middle of a burst.  After every step the kernel (read with nft,
ipset or iptables-legacy), `detengo --list` and the test's own model of
which hosts must be blocked until when must agree: the same hosts, ends
within a second or two.  Hosts whose block ends within the tolerance of
now are left out of the comparison.

usage: fwmodel.py -b iptc|nft|ipset [-n STEPS] [-s SEED] [-d DETENGO]
Prints TAP lines; on a failure, the seed and the step, so that
`fwmodel.py -b B -s SEED` replays it.  Needs root.
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

SCALE = int(os.environ.get("TIME_SCALE", "1") or "1")
EXPIRE = 12          # -x: long enough to outlive a few steps
SLACK = 2.5          # seconds either side of an end that are no one's fault

ap = argparse.ArgumentParser()
ap.add_argument("-b", "--backend", required=True,
                choices=("iptc", "nft", "ipset"))
ap.add_argument("-n", "--steps", type=int, default=200)
ap.add_argument("-s", "--seed", type=int, default=None)
ap.add_argument("-d", "--detengo", default="./obj-san/bin/detengo")
args = ap.parse_args()
B = args.backend
seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4),
                                                             "big")
rng = random.Random(seed)
NS = "cdmod-%d-%s" % (os.getpid(), B)
T = tempfile.mkdtemp(prefix="cdmod-")
LOG, STATE, ALLOW = T + "/events.log", T + "/state", T + "/allow"
ERR, OUT = T + "/d.err", T + "/d.out"
name = "fwmodel %s" % B
failed = 0
npass = 0


def say(ok, what):
    global failed, npass
    if ok:
        npass += 1
        print("ok - %s: %s" % (name, what))
    else:
        failed += 1
        print("not ok - %s: %s" % (name, what))
    sys.stdout.flush()


def sh(*cmd, ns=True, check=False, inp=None):
    full = (["ip", "netns", "exec", NS] if ns else []) + list(cmd)
    r = subprocess.run(full, input=inp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


# --- the hosts: documentation ranges only ---
def host(i):
    if i % 3 == 2:
        return "2001:db8:7::%x" % (i + 1)
    return "198.51.100.%d" % (i % 250 + 1) if i < 250 else \
        "203.0.113.%d" % (i % 250 + 1)


POOL = [host(i) for i in range(300)]
sid = 0


def event(h):
    global sid
    sid += 1
    now = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
        ".%06dZ" % int((now % 1) * 1e6)
    src = "[%s]:40000" % h if ":" in h else "%s:40000" % h
    dst = "[2001:db8:2::25]:25" if ":" in h else "203.0.113.25:25"
    return "%s mail sid=%08x src=%s dst=%s from=w@example.org\n" % (
        ts, sid, src, dst)


# --- the model: host -> the time its block ends ---
model = {}
allowed = set()
why = {}     # host -> how and when it left the model, for a failure


def model_block(h, now):
    if h in allowed or h in model:
        return
    model[h] = now + EXPIRE


def mail(hs):
    """events from these hosts, into the log and the model.  A host whose
    block ends within the tolerance is left out: detengo keeps whole
    seconds, so its block may be over a second before the model's, and a
    mail then is a new block for one and nothing for the other"""
    now = time.time()
    hs = [h for h in hs if not (h in model and model[h] - now < SLACK + 1)]
    append([event(h) for h in hs])
    for h in hs:
        model_block(h, now)


def model_expire(now):
    for h in [h for h, u in model.items() if u <= now]:
        expired_at[h] = model.pop(h)
        why[h] = "its block ended at %.1f" % expired_at[h]


# --- reading the kernel ---
nocounter = set()    # hosts the kernel holds without a counter


def kernel_hosts():
    """host -> seconds left in the kernel (None: the kernel keeps no time)"""
    got = {}
    nocounter.clear()
    if B == "nft":
        for s in ("hosts4", "hosts6"):
            r = sh("nft", "list", "set", "inet", "detengo", s)
            if r.returncode != 0:
                continue
            m = re.search(r"elements = \{(.*?)\}", r.stdout, re.S)
            if not m:
                continue
            for e in m.group(1).split(","):
                w = e.split()
                if not w:
                    continue
                left = None
                if "expires" in w:
                    left = dur(w[w.index("expires") + 1])
                got[w[0]] = left
                if "counter" not in w:
                    nocounter.add(w[0])
    elif B == "ipset":
        for s in ("detengo4", "detengo6"):
            r = sh("ipset", "list", s, "-o", "save")
            for line in r.stdout.splitlines():
                w = line.split()
                if len(w) >= 3 and w[0] == "add":
                    left = None
                    if "timeout" in w:
                        left = float(w[w.index("timeout") + 1])
                    got[w[2]] = left
                    if "packets" not in w:
                        nocounter.add(w[2])
    else:
        for v in ("", "6"):
            r = sh("ip%stables-legacy" % v, "-S", "FORWARD")
            for line in r.stdout.splitlines():
                m = re.match(r"-A FORWARD -s (\S+)/(32|128) .* -j DROP", line)
                if m:
                    got[m.group(1)] = None
    return got


def dur(s):
    """nft's 1h2m3s500ms"""
    t = 0.0
    for n, u in re.findall(r"(\d+)(ms|d|h|m|s)", s):
        t += int(n) * {"d": 86400, "h": 3600, "m": 60, "s": 1,
                       "ms": 0.001}[u]
    return t


def rules_ok():
    """the rules that send to the sets (ipset) or the chain (nft) are there"""
    if B == "nft":
        r = sh("nft", "list", "chain", "inet", "detengo", "forward")
        return r.returncode == 0 and "@hosts4" in r.stdout and \
            "@hosts6" in r.stdout
    if B == "ipset":
        a = sh("iptables-legacy", "-S", "FORWARD").stdout
        b = sh("ip6tables-legacy", "-S", "FORWARD").stdout
        return a.count("detengo4") == 2 and b.count("detengo6") == 2
    return True


def listed():
    r = sh(args.detengo, "-b", B, "-s", STATE, "--list")
    hosts = {}
    for line in r.stdout.splitlines()[1:]:
        w = line.split()
        if w:
            hosts[w[0]] = w
    return (r.returncode, r.stderr.strip().replace("\n", " | ")), hosts


def compare(now):
    """what differs between the model, the kernel and --list; [] if all agree"""
    model_expire(now)
    k = kernel_hosts()
    diffs = []
    close = {h for h, u in model.items() if abs(u - now) < SLACK}
    for h, u in model.items():
        if h in close:
            continue
        if h not in k:
            diffs.append("%s blocked in the model, not in the kernel" % h)
        elif k[h] is not None and abs(now + k[h] - u) > SLACK:
            diffs.append("%s ends in %.0f s in the kernel, %.0f in the "
                         "model" % (h, k[h], u - now))
    for h in k:
        if h not in model:
            # an end just past: the kernel or detengo lifts it shortly
            diffs.append("%s in the kernel, lifted in the model" % h)
    for h in sorted(nocounter):
        diffs.append("%s in the kernel without its counter" % h)
    if model and not rules_ok():
        diffs.append("the rules that use the sets are missing")
    return diffs


def settle(now_fn, what, tenths=40):
    """wait until the kernel and the model agree, then check --list"""
    deadline = time.time() + tenths / 10 * SCALE
    while True:
        d = compare(now_fn())
        # hosts the model just let expire may linger a second in the kernel
        d = [x for x in d if not just_expired(x, now_fn())]
        if not d or time.time() > deadline:
            break
        time.sleep(0.05)
    if d:
        return d
    (rc, err), lh = listed()
    now = now_fn()
    if rc != 0:
        return ["detengo --list exited %d: %s" % (rc, err)]
    for h, u in model.items():
        if abs(u - now) < SLACK:
            continue
        if h not in lh:
            d.append("%s blocked in the model, not in --list" % h)
        elif not lh[h][-1].endswith("s") or \
                abs(int(lh[h][-1][:-1]) - (u - now)) > SLACK + 1:
            d.append("%s: --list says %s left, the model %.0f s" %
                     (h, lh[h][-1], u - now))
    for h in lh:
        if h not in model and not (h in expired_at and
                                   now - expired_at[h] < SLACK):
            d.append("%s in --list, lifted in the model" % h)
    return d


expired_at = {}


def just_expired(diff, now):
    h = diff.split()[0]
    return "lifted in the model" in diff and h in expired_at and \
        now - expired_at[h] < SLACK


# --- detengo ---
proc = None


def start():
    global proc
    with open(ERR, "a") as e, open(OUT, "a") as o:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", NS, args.detengo, "-b", B, "-x",
             str(EXPIRE), "-s", STATE, "-A", ALLOW, "--from-start", LOG],
            stdout=o, stderr=e)
    # following its log: its inotify descriptor is open
    for _ in range(200 * SCALE):
        try:
            if any("inotify" in os.readlink("/proc/%d/fd/%s" % (proc.pid, f))
                   for f in os.listdir("/proc/%d/fd" % proc.pid)):
                return
        except OSError:
            pass
        if proc.poll() is not None:
            return
        time.sleep(0.02)


def stopped(pid):
    """until the kernel has stopped pid (state T): a signal sent returns
    before a process running on another CPU stops"""
    for _ in range(250 * SCALE):
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "T":
                    return
        except (OSError, IndexError):
            return
        time.sleep(0.004)


def stop(sig=signal.SIGTERM):
    global proc
    if proc is None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(10 * SCALE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc = None


def append(lines):
    with open(LOG, "a") as f:
        f.write("".join(lines))


saved_nft = None


def reload_kinds():
    k = ["iptables-F", "iptables-restore"]
    if B == "nft":
        k = ["nft-flush", "nft-flush", "nft-saved", "nft-saved-late"]
    if B == "ipset":
        k += ["ipset-destroy", "ipset-destroy"]
    return k


def do_reload(kind):
    global saved_nft
    if kind == "nft-flush":
        sh("nft", "flush", "ruleset")
    elif kind in ("nft-saved", "nft-saved-late"):
        if saved_nft is None:
            sh("nft", "flush", "ruleset")
        else:
            sh("nft", "-f", "-", inp="add table inet detengo\n"
               "delete table inet detengo\n" + saved_nft)
    elif kind == "iptables-F":
        sh("iptables-legacy", "-F", "FORWARD")
        sh("ip6tables-legacy", "-F", "FORWARD")
    elif kind == "iptables-restore":
        # a firewall script's own ruleset: what is there, less detengo's
        for v in ("", "6"):
            s = sh("ip%stables-legacy-save" % v, "-t", "filter").stdout
            s = "\n".join(l for l in s.splitlines()
                          if "detengo" not in l and "-j DROP" not in l) + "\n"
            sh("ip%stables-legacy-restore" % v, inp=s)
    elif kind == "ipset-destroy":
        sh("iptables-legacy", "-F", "FORWARD")
        sh("ip6tables-legacy", "-F", "FORWARD")
        sh("ipset", "destroy", "detengo4")
        sh("ipset", "destroy", "detengo6")


def cleanup():
    stop(signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", T])


def main():
    global saved_nft
    if os.geteuid() != 0:
        print("skip - %s: needs root (a network namespace, the firewall)"
              % name)
        return 0
    subprocess.run(["modprobe", "-q", "-a", "ip_tables", "ip6_tables"],
                   stderr=subprocess.DEVNULL)
    sh("ip", "netns", "add", NS, ns=False, check=True)
    sh("ip", "link", "set", "lo", "up")
    open(LOG, "w").close()
    open(ALLOW, "w").close()
    print("# %s: seed %d, %d steps (replay: tests/fwmodel.py -b %s -s %d)"
          % (name, seed, args.steps, B, seed))
    start()
    fresh = 0
    counts = {}
    first_bad = None
    for step in range(1, args.steps + 1):
        r = rng.random()
        if r < 0.30:
            kind = "block"
            n = 1 if rng.random() < 0.6 else rng.randint(2, 25)
            hs = POOL[fresh:fresh + n]
            fresh = (fresh + n) % len(POOL)
            mail(hs)
        elif r < 0.45:
            kind = "reload"
            rk = rng.choice(reload_kinds())
            kind = "reload " + rk
            # at its worst moment: right after a block, before detengo's
            # next look; or in the middle of a burst
            how = rng.random()
            if rk == "nft-saved":
                saved_nft = sh("nft", "list", "table", "inet",
                               "detengo").stdout or None
            if how < 0.4:
                hs = POOL[fresh:fresh + 1]
                fresh = (fresh + 1) % len(POOL)
                mail(hs)
                kind += ", just after a block"
                do_reload(rk)
            elif how < 0.7:
                hs = POOL[fresh:fresh + 20]
                fresh = (fresh + 20) % len(POOL)
                mail(hs[:10])
                do_reload(rk)
                mail(hs[10:])
                kind += ", in the middle of a burst"
            else:
                proc.send_signal(signal.SIGSTOP)
                stopped(proc.pid)
                do_reload(rk)
                proc.send_signal(signal.SIGCONT)
            if rk == "nft-saved-late":
                saved_nft = sh("nft", "list", "table", "inet",
                               "detengo").stdout or None
        elif r < 0.55 and model:
            kind = "--unblock"
            h = rng.choice(sorted(model))
            stop()
            rr = sh(args.detengo, "-b", B, "-s", STATE, "--unblock", h)
            if rr.returncode == 0:
                del model[h]
                why[h] = "--unblock at step %d" % step
            else:
                print("# --unblock %s: %s" % (h, rr.stderr.strip()))
            start()
        elif r < 0.65:
            kind = "allow list, SIGHUP"
            if allowed and rng.random() < 0.4:
                h = rng.choice(sorted(allowed))
                allowed.discard(h)
                why[h] = why.get(h, "") + ", off the allow list at step %d" \
                    % step
            elif model:
                h = rng.choice(sorted(model))
                allowed.add(h)
                model.pop(h, None)
                why[h] = "allowed at step %d" % step
            with open(ALLOW, "w") as f:
                f.write("".join(h + "\n" for h in sorted(allowed)))
            proc.send_signal(signal.SIGHUP)
        elif r < 0.75:
            kind = "kill -9, restart"
            stop(signal.SIGKILL)
            start()
        elif r < 0.80:
            kind = "an allowed host mails"
            if allowed:
                append([event(rng.choice(sorted(allowed)))])
        else:
            kind = "time passes"
            time.sleep(rng.choice((0.2, 0.5, 1.0, 2.0)))
        counts[kind.split(",")[0]] = counts.get(kind.split(",")[0], 0) + 1
        d = settle(time.time, kind)
        if proc is None or proc.poll() is not None:
            d.append("detengo exited (%s)" % (proc.returncode if proc else
                                                "none"))
            start()
        if d and first_bad is None:
            first_bad = (step, kind, d)
            break
    ok = first_bad is None
    say(ok, "%d steps, seed %d: the kernel, --list and the model agree "
        "after each" % (step, seed))
    if not ok:
        s, k, d = first_bad
        print("#   at step %d (%s, %.1f): %s" % (s, k, time.time(),
                                            "; ".join(d[:6])))
        for x in d[:6]:
            if x.split()[0] in why:
                print("#   %s: %s" % (x.split()[0], why[x.split()[0]]))
        print("#   replay: tests/fwmodel.py -b %s -s %d -n %d"
              % (B, seed, s))
        if os.environ.get("FWMODEL_DEBUG"):
            for c in (("iptables-legacy", "-S"), ("ip6tables-legacy", "-S"),
                      ("nft", "list", "ruleset"), ("ipset", "list", "-t")):
                for line in sh(*c).stdout.splitlines():
                    print("#   %s: %s" % (c[0], line))
        with open(ERR) as f:
            for line in f.readlines()[-12:]:
                print("#   detengo: " + line.rstrip())
    print("# steps: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    stop()
    with open(ERR) as f:
        e = f.read()
    say("Sanitizer" not in e and "runtime error" not in e,
        "no sanitizer report")
    return 1 if failed else 0


# a time limit's SIGTERM (tests/run.sh) ends the run through cleanup()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
rc = 1
try:
    rc = main()
finally:
    cleanup()
sys.exit(rc)
