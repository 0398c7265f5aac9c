#!/usr/bin/env python3
"""Memory loads for the autoscale scenarios, run in the test guest. Anonymous memory, every page written.

  load.py stairs STEP_MIB PERIOD_S TOTAL_MIB HOLD_S   adds STEP_MIB every PERIOD_S up to TOTAL_MIB, holds, frees
  load.py flip MIB ON_S OFF_S ROUNDS                  holds MIB for ON_S, frees it for OFF_S, ROUNDS times
  load.py react BASE_MIB HOLD_S STEP_MIB PERCENT LIMIT_S
                                                      holds BASE_MIB for HOLD_S (a level the guest settles at), then
                                                      takes STEP_MIB more at once; the reaction runs from MemAvailable
                                                      falling under PERCENT % of MemTotal (the onset) to a new memory
                                                      block online Movable, 0 when that came first ("ahead"); prints
                                                      "reaction S from-step S ahead|after" (or "no reaction")

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


def available_fraction():
    with open("/proc/meminfo") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["MemAvailable"].split()[0]) / int(fields["MemTotal"].split()[0])


def react(base, hold, step, percent, limit):
    chunks = [bytearray(b"\x01") * (base * MIB)]
    time.sleep(hold)
    before = movable_blocks()
    start = time.monotonic()
    under = online = None
    while len(chunks) * 32 < step + 32:
        chunks.append(bytearray(b"\x01") * (32 * MIB))
        now = time.monotonic()
        if under is None and available_fraction() * 100 < percent:
            under = now
        if online is None and movable_blocks() > before:
            online = now
    while online is None:
        if under is None and available_fraction() * 100 < percent:
            under = time.monotonic()
        if movable_blocks() > before:
            online = time.monotonic()
        elif time.monotonic() - start > limit:
            print("no reaction", flush=True)
            return
        else:
            time.sleep(0.01)
    ahead = under is None or online <= under
    print(f"reaction {0.0 if ahead else online - under:.2f} from-step {online - start:.2f} {'ahead' if ahead else 'after'}", flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "stairs":
        stairs(int(args[0]), float(args[1]), int(args[2]), float(args[3]))
    elif mode == "flip":
        flip(int(args[0]), float(args[1]), float(args[2]), int(args[3]))
    elif mode == "react":
        react(int(args[0]), float(args[1]), int(args[2]), int(args[3]), float(args[4]))
    else:
        sys.exit(f"unknown load {mode}: stairs, flip or react")
    say("done")
