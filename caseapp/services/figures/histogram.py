"""Durations on a fixed log scale, so median and 90th percentile over any period are read from
daily counts summed, not from every task.

Bucket 0 holds durations under a minute; bucket k >= 1 holds [60 * 2^((k-1)/8), 60 * 2^(k/8))
seconds: each bucket is 9 % wider than the one before. Each bucket also keeps its shortest and
longest duration. A percentile is PostgreSQL's percentile_cont (linear between the two ranks
around (n - 1) * q); a rank is read exactly when it is the first or last of its bucket or the
bucket holds one value, else by spreading the bucket's values evenly between its shortest and
longest — so the figure is within the bucket around the true one (at most 9 % off).
"""
from __future__ import annotations

import math

from ...extensions import db

STEPS_PER_DOUBLING = 8
FIRST_EDGE_SECONDS = 60.0
MAX_ERROR = 2 ** (1 / STEPS_PER_DOUBLING) - 1  # 0.0905: how far off an approximate figure can be


def bucket_sql(seconds):
    """The bucket of a duration in seconds, as SQL (ln() exists on PostgreSQL and SQLite >= 3.35)."""
    scaled = db.func.floor(STEPS_PER_DOUBLING * db.func.ln(seconds / FIRST_EDGE_SECONDS)
                           / math.log(2)) + 1
    return db.cast(db.case((seconds < FIRST_EDGE_SECONDS, 0), else_=scaled), db.Integer)


def merge(into: dict, bucket: int, count: int, shortest: float, longest: float) -> None:
    """Add a bucket's (count, shortest, longest) to a histogram {bucket: [n, min, max]}."""
    seen = into.get(bucket)
    if seen is None:
        into[bucket] = [int(count), float(shortest), float(longest)]
    else:
        seen[0] += int(count)
        seen[1] = min(seen[1], float(shortest))
        seen[2] = max(seen[2], float(longest))


def percentiles(histogram: dict, quantiles=(0.5, 0.9)) -> tuple[int, list[float | None]]:
    """(how many, [the value at each quantile]) from a histogram {bucket: [n, min, max]}."""
    buckets = [(b, *histogram[b]) for b in sorted(histogram) if histogram[b][0] > 0]
    total = sum(n for _, n, _, _ in buckets)
    if total == 0:
        return 0, [None for _ in quantiles]

    def value_at(rank: int) -> float:
        before = 0
        for _, n, shortest, longest in buckets:
            if rank < before + n:
                inside = rank - before
                return shortest if n == 1 else shortest + (longest - shortest) * inside / (n - 1)
            before += n
        return buckets[-1][3]

    values = []
    for q in quantiles:
        position = (total - 1) * q
        low = int(position)
        value = value_at(low)
        if position > low and low + 1 < total:
            value += (position - low) * (value_at(low + 1) - value)
        values.append(value)
    return total, values
