"""Speed of the engine: people per second through quote_many and through a loop over quote.

Run: ``.venv/bin/python benchmarks/engine.py [--people 1000000] [--sample 5000] [--repeat 3]``.
One line per local jurisdiction-year and a total; memory as the peak traced by tracemalloc during one
quote_many call and the process's peak resident set size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import pandas as pd

from policylib import catalogue, engine
from policylib.population import DATE_COLUMNS, quote_many, synthetic_people


def _people(frame: pd.DataFrame) -> list[engine.Person]:
    records = frame.astype({"categories": object, "circumstance": object}).to_dict("records")
    out = []
    for row in records:
        dates = {name: None if pd.isna(row[name]) else row[name].date() for name in DATE_COLUMNS}
        cats = tuple(c for c in row["categories"].split("+") if c)
        out.append(engine.Person(cats, row["circumstance"], **dates))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="people per jurisdiction-year (vectorized)")
    parser.add_argument("--sample", type=int, default=5_000, help="people per jurisdiction-year (quote loop)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of quote_many; the best is kept")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)

    print(f"{'jurisdiction-year':<18} {'vectorized/s':>14} {'loop/s':>10} {'ratio':>7} {'peak MiB':>9}")
    total_vec_people = total_vec_time = total_loop_people = total_loop_time = 0.0
    worst_peak = 0.0
    for entry in catalogue.local_entries():
        rules = catalogue.rules(entry.jurisdiction, entry.year)
        people = synthetic_people(rules, args.people, args.seed)
        quote_many(rules, people.head(1000))  # warm the caches of the rule file
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            quote_many(rules, people)
            times.append(time.perf_counter() - start)
        vec_time = min(times)

        tracemalloc.start()
        quote_many(rules, people)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        worst_peak = max(worst_peak, peak)

        sample = _people(people.head(args.sample))
        start = time.perf_counter()
        for person in sample:
            engine.quote(rules, person)
        loop_time = time.perf_counter() - start

        vec_rate, loop_rate = args.people / vec_time, len(sample) / loop_time
        print(f"{entry.key:<18} {vec_rate:>14,.0f} {loop_rate:>10,.0f} {vec_rate / loop_rate:>6.0f}x {peak:>9.0f}")
        total_vec_people += args.people
        total_vec_time += vec_time
        total_loop_people += len(sample)
        total_loop_time += loop_time

    vec_rate, loop_rate = total_vec_people / total_vec_time, total_loop_people / total_loop_time
    print(f"{'total':<18} {vec_rate:>14,.0f} {loop_rate:>10,.0f} {vec_rate / loop_rate:>6.0f}x {worst_peak:>9.0f}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB on Linux
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    print(f"peak resident set size of the process: {rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
