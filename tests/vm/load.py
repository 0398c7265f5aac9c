#!/usr/bin/env python3
"""Memory loads for the autoscale scenarios, run in the test guest. Anonymous memory, every page written.

  load.py stairs STEP_MIB PERIOD_S TOTAL_MIB HOLD_S   adds STEP_MIB every PERIOD_S up to TOTAL_MIB, holds, frees
  load.py flip MIB ON_S OFF_S ROUNDS                  holds MIB for ON_S, frees it for OFF_S, ROUNDS times
  load.py react PERCENT MIB LIMIT_S                   takes up to MIB in 32 MiB pieces; from the moment MemAvailable
                                                      falls under PERCENT % of MemTotal (the onset) to a new memory
                                                      block online Movable, prints "reaction SECONDS" (or "no reaction")

Each step is said on stdout ("held N MiB", "freed"), then "done"; the OOM killer ending it is the failure."""
import os
import sys
import time

MIB = 1 << 20


def say(text):
    print(f"{time.monotonic():.1f} {text}", flush=True)


def stairs(step, period, total, hold):
    chunks = []
    while len(chunks) * step < total:
        started = time.monotonic()
        chunks.append(bytearray(b"\x01") * (step * MIB))
        say(f"held {len(chunks) * step} MiB")
        time.sleep(max(0.0, period - (time.monotonic() - started)))
    time.sleep(hold)
    chunks.clear()
    say("freed")


def flip(size, on, off, rounds):
    for _ in range(rounds):
        chunk = bytearray(b"\x01") * (size * MIB)
        say(f"held {size} MiB")
        time.sleep(on)
        del chunk
        say("freed")
        time.sleep(off)


def meminfo():
    with open("/proc/meminfo") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["MemTotal"].split()[0]), int(fields["MemAvailable"].split()[0])


def movable_blocks():
    count = 0
    root = "/sys/devices/system/memory"
    for name in os.listdir(root):
        if name.startswith("memory"):
            try:
                with open(f"{root}/{name}/state") as s, open(f"{root}/{name}/valid_zones") as z:
                    count += s.read().strip() == "online" and z.read().strip() == "Movable"
            except OSError:
                pass
    return count


def react(percent, size, limit):
    before = movable_blocks()
    chunks, onset = [], None
    while len(chunks) * 32 < size:
        chunks.append(bytearray(b"\x01") * (32 * MIB))
        total, available = meminfo()
        if onset is None and available * 100 < percent * total:
            onset = time.monotonic()
    if onset is None:
        sys.exit("the load never took the guest under the buffer")
    while movable_blocks() == before:
        if time.monotonic() - onset > limit:
            print("no reaction", flush=True)
            return
        time.sleep(0.01)
    print(f"reaction {time.monotonic() - onset:.2f}", flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "stairs":
        stairs(int(args[0]), float(args[1]), int(args[2]), float(args[3]))
    elif mode == "flip":
        flip(int(args[0]), float(args[1]), float(args[2]), int(args[3]))
    elif mode == "react":
        react(int(args[0]), int(args[1]), float(args[2]))
    else:
        sys.exit(f"unknown load {mode}: stairs, flip or react")
    say("done")
