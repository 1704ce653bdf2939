"""Driving load with wrk and reading its figures, including the status counts our Lua scripts print."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATUS_LUA = HERE / "status.lua"
EVENTS_LUA = HERE / "events.lua"
CONNECTIONS = 32
THREADS = 2
WARM_UP_SECONDS = 2
MISSING = "the benchmark needs wrk, which is not installed: apt-get install wrk"


@dataclass(frozen=True)
class WrkResult:
    seconds: int
    requests: int  # answers wrk counted in the measured period
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_200: int  # counted by the Lua response() callback
    socket_errors: int  # connect, read, write and timeout errors reported by wrk
    first_bad: str  # the first non-200 status and the start of its body, for diagnosis

    @property
    def clean(self) -> bool:
        return self.non_200 == 0 and self.socket_errors == 0 and self.requests > 0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _find(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.M)
    if match is None:
        raise RuntimeError(f"could not read {pattern!r} in wrk's output:\n{text}")
    return match


def parse(output: str, seconds: int) -> WrkResult:
    status = _find(r"^bench-status responses=(\d+) non200=(\d+) first=(.*)$", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        seconds=seconds,
        requests=int(_find(r"(\d+) requests in", output).group(1)),
        requests_per_second=float(_find(r"^Requests/sec:\s+([\d.]+)", output).group(1)),
        # Anchored to the latency distribution: "+/- Stdev" columns also hold percentages.
        p50_ms=_ms(_find(r"^\s+50%\s+(\S+)\s*$", output).group(1)),
        p99_ms=_ms(_find(r"^\s+99%\s+(\S+)\s*$", output).group(1)),
        non_200=int(status.group(2)),
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        first_bad=status.group(3).strip(),
    )


def run(url: str, *, seconds: int, headers: dict[str, str], script: Path = STATUS_LUA,
        script_args: tuple[str, ...] = ()) -> WrkResult:
    """One wrk run: THREADS threads, CONNECTIONS connections, ``--latency``."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout, seconds)


def measure(url: str, *, seconds: int, headers: dict[str, str], script: Path = STATUS_LUA,
            script_args: tuple[str, ...] = ()) -> WrkResult:
    """A warm-up run of WARM_UP_SECONDS (discarded), then the measured run."""
    run(url, seconds=WARM_UP_SECONDS, headers=headers, script=script, script_args=script_args)
    return run(url, seconds=seconds, headers=headers, script=script, script_args=script_args)
