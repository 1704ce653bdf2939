"""The few statistics the follow-up needs, without a statistics package: the 95 % confidence interval of a
mean change (Student's t). The figures themselves are protected in ``server.reports.figures``."""

from __future__ import annotations

import math
import statistics

# Two-sided 95 % critical values of Student's t for 1-30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


def t95(df: int) -> float:
    """Above 30 degrees of freedom 1.96 + 2.4/df is within 0.002 of the exact value."""
    if df < 1:
        raise ValueError("no degrees of freedom")
    return _T95[df - 1] if df <= len(_T95) else 1.96 + 2.4 / df


def half_width(changes: list[float]) -> float:
    """Half the width of the 95 % confidence interval of the mean of ``changes`` (at least two)."""
    if len(changes) < 2:
        raise ValueError("an interval needs two changes or more")
    return t95(len(changes) - 1) * statistics.stdev(changes) / math.sqrt(len(changes))
