#!/usr/bin/env python3
"""How truthful was an ingest's ETA? Reads the plain progress lines `polylens ingest --progress` wrote to a log
(stderr not a terminal), e.g.

    polylens ingest out.polylens --model M --lang ... --progress --progress-interval 1 2> ingest.log
    python3 tools/progress_eta_check.py ingest.log

Each line is `ingest D/T documents · d/t tokens · R tokens/s · ETA 1m20s · ...`; the last says `done in 2m05s`.
The elapsed time of a line is d / R (tokens so far at the rate so far). For the first line at or past each
fraction of the tokens (10%, 25%, 50%) it prints the ETA and the time the rest actually took, and their ratio
(the issue's target: within 2x from 10% on)."""
import re
import sys

LINE = re.compile(r"^ingest ([\d,]+)/([\d,]+) documents · ([\d,]+)/([\d,]+) tokens · ([\d,]+) tokens/s · (ETA (\S+)|done in (\S+))")


def seconds(text):
    total = 0
    for value, unit in re.findall(r"(\d+)([hms])", text):
        total += int(value) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


def main(path):
    rows = []
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line.strip())
        if not m:
            continue
        done, total, rate = (int(m.group(i).replace(",", "")) for i in (3, 4, 5))
        rows.append((done, total, rate, m.group(7), m.group(8)))
    if not rows or rows[-1][4] is None:
        sys.exit(f"{path}: no finished ingest progress (run with --progress, stderr to the file)")
    finish = seconds(rows[-1][4])
    total = rows[-1][1]
    print(f"{total} tokens in {finish} s ({len(rows)} lines)")
    for fraction in (0.10, 0.25, 0.50):
        hit = next((r for r in rows if r[0] >= fraction * total and r[3] is not None and r[2] > 0), None)
        if hit is None:
            print(f"{fraction:.0%}: no line")
            continue
        elapsed = hit[0] / hit[2]
        eta, actual = seconds(hit[3]), finish - elapsed
        ratio = eta / actual if actual > 0 else float("inf")
        print(f"{fraction:.0%}: at {hit[0]} tokens ({elapsed:.1f} s) ETA {eta} s, actually {actual:.1f} s, ratio {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
