#!/usr/bin/env python3
# Forwarding through a gateway whose firewall is switched between a few
# states every few hundred ms while one replay runs: every state sees
# the same machine, minute by minute.
#
# Usage (in the gateway's namespace, a replay running through it):
#   python3 bench/fwd-toggle.py DEV ROUNDS MS 'CMD 1' 'CMD 2' ...
# In each round, every state once, in an order drawn at random: run its
# command, wait 50 ms, count the packets DEV sent in MS ms.  Prints one
# line a round: the packets per second of each state, in the order of
# the arguments.  The commands run through sh -c; one that fails ends the
# script with status 1.  The first state is left on at the end.

import random
import subprocess
import sys
import time


def tx(dev):
    with open("/sys/class/net/%s/statistics/tx_packets" % dev) as f:
        return int(f.read())


def sample(dev, cmd, ms):
    if subprocess.call(["sh", "-c", cmd]) != 0:
        sys.exit("fwd-toggle.py: failed: %s" % cmd)
    time.sleep(0.05)
    c0, t0 = tx(dev), time.monotonic_ns()
    time.sleep(ms / 1000)
    c1, t1 = tx(dev), time.monotonic_ns()
    return (c1 - c0) / ((t1 - t0) / 1e9)


def main():
    if len(sys.argv) < 6:
        sys.exit("usage: fwd-toggle.py DEV ROUNDS MS 'CMD 1' 'CMD 2' ...")
    dev, rounds, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cmds = sys.argv[4:]
    rnd = random.Random(rounds * 1000 + ms)
    for _ in range(rounds):
        order = list(range(len(cmds)))
        rnd.shuffle(order)
        pps = [0.0] * len(cmds)
        for i in order:
            pps[i] = sample(dev, cmds[i], ms)
        print(" ".join("%.0f" % p for p in pps), flush=True)
    subprocess.call(["sh", "-c", cmds[0]])


main()
