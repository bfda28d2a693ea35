"""Search: `Store.search` across 1,000 incidents x 1,000 entries answers within 100 ms.

The database is built once (in a temporary directory) with Store.log_many, the search index
kept by its triggers as in use. Then, alternating, each of a few queries (a rare word, a
common one, two words) is run through `Store.search` and, as the baseline measured in the
same run, a one-row lookup by primary key through the same reader (the floor of any query).
Figures: the median of the runs per query, and its ratio to the baseline's median.

Target: every query's median <= 100 ms.

    python bench/search.py [--quick] [--incidents N] [--entries N] [--runs N]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from _harness import fmt_ms, median, temp_dir, verdict

from warroom.playbook import default_playbook
from warroom.store.store import Store

TARGET_MS = 100.0
WORDS = [
    "pool",
    "deploy",
    "rollback",
    "latency",
    "timeout",
    "kafka",
    "replica",
    "cache",
    "dns",
    "certificate",
]


def build(store: Store, incidents: int, entries: int) -> None:
    rng = random.Random(7)
    for n in range(incidents):
        incident = store.declare(f"Incident {n}", 1 + n % 3)
        lines = [
            f"{rng.choice(WORDS)} {rng.choice(WORDS)} on host-{rng.randrange(500)} step {k}"
            for k in range(entries)
        ]
        if n == incidents // 2:
            lines[entries // 2] = "zanzibar-unique marker for the rare-word query"
        store.log_many(incident.id, lines)
        store.close(incident.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 x 200, 5 runs")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if args.quick:
        args.incidents, args.entries, args.runs = 100, 200, 5
    queries = ["zanzibar-unique", "kafka", "pool timeout"]
    with temp_dir("warroom-search-") as tmp:
        clock_now = datetime(2026, 1, 1, tzinfo=UTC)
        store = Store(tmp / "search.db", default_playbook(), clock=lambda: clock_now)
        started = time.perf_counter()
        build(store, args.incidents, args.entries)
        built = time.perf_counter() - started
        total = args.incidents * (args.entries + 3)
        print(f"built {args.incidents} incidents x {args.entries} entries in {built:.0f} s")
        timings: dict[str, list[float]] = {q: [] for q in [*queries, "baseline"]}
        some_id = store.incidents()[0].id
        for _ in range(args.runs):
            for query in queries:
                t0 = time.perf_counter()
                found = store.search(query)
                timings[query].append(time.perf_counter() - t0)
                assert found, query
            t0 = time.perf_counter()
            store.get(some_id)
            timings["baseline"].append(time.perf_counter() - t0)
        base = median(timings["baseline"])
        print(f"~{total:,} entries; baseline (one-row read): {fmt_ms(base)}")
        ok = True
        for query in queries:
            med = median(timings[query])
            ok &= med * 1000 <= TARGET_MS
            print(f"search {query!r:20} median {fmt_ms(med)}  ({med / base:.1f}x baseline)")
        print(f"target: every median <= {TARGET_MS:.0f} ms: {verdict(ok)}")
        store.dispose()


if __name__ == "__main__":
    main()
