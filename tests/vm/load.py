#!/usr/bin/env python3
"""Memory loads for the autoscale scenarios, run in the test guest. Anonymous memory, every page written.

  load.py stairs STEP_MIB PERIOD_S TOTAL_MIB HOLD_S   adds STEP_MIB every PERIOD_S up to TOTAL_MIB, holds, frees
  load.py flip MIB ON_S OFF_S ROUNDS                  holds MIB for ON_S, frees it for OFF_S, ROUNDS times

Each step is said on stdout ("held N MiB", "freed"), then "done"; the OOM killer ending it is the failure."""
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


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "stairs":
        stairs(int(args[0]), float(args[1]), int(args[2]), float(args[3]))
    elif mode == "flip":
        flip(int(args[0]), float(args[1]), float(args[2]), int(args[3]))
    else:
        sys.exit(f"unknown load {mode}: stairs or flip")
    say("done")
