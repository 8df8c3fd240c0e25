"""Percentiles as the benchmarks report them: ``percentile`` interpolates between the nearest
ranks (the HTTP benchmarks), ``nearest_rank`` takes one measured value (the in-process page
benchmarks)."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_text(values: list[float]) -> str:
    ms = [1000 * v for v in values]
    if not ms:
        return "no successful request"
    return (
        f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms, "
        f"mean {statistics.fmean(ms):.0f} ms, max {max(ms):.0f} ms"
    )
