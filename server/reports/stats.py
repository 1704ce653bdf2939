"""The few statistics the follow-up needs, without a statistics package: a paired mean change with its
95 % confidence interval (Student's t), and the share whose change is meaningful."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# Two-sided 95 % critical values of Student's t for 1-30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


def t95(df: int) -> float:
    """Above 30 degrees of freedom 1.96 + 2.4/df is within 0.002 of the exact value."""
    if df < 1:
        raise ValueError("no degrees of freedom")
    return _T95[df - 1] if df <= len(_T95) else 1.96 + 2.4 / df


@dataclass(frozen=True, slots=True)
class PairedChange:
    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    ci_low: float
    ci_high: float
    improved: int  # change >= threshold
    worsened: int  # change <= -threshold

    @property
    def share_improved(self) -> float:
        return self.improved / self.n

    @property
    def share_worsened(self) -> float:
        return self.worsened / self.n


def paired_change(pairs: list[tuple[float, float]], threshold: float) -> PairedChange | None:
    """``pairs``: (before, after) per person. None with fewer than two pairs (no interval exists)."""
    if len(pairs) < 2:
        return None
    changes = [after - before for before, after in pairs]
    mean = statistics.fmean(changes)
    half = t95(len(changes) - 1) * statistics.stdev(changes) / math.sqrt(len(changes))
    return PairedChange(
        n=len(pairs), mean_before=statistics.fmean(b for b, _a in pairs),
        mean_after=statistics.fmean(a for _b, a in pairs),
        mean_change=mean, ci_low=mean - half, ci_high=mean + half,
        improved=sum(c >= threshold for c in changes), worsened=sum(c <= -threshold for c in changes))
