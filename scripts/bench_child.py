"""Time and peak memory of a benchmark's child process (`adwh ...` run as people run it).

The peak is the child's own VmHWM (peak RSS since exec), read from /proc until it exits.
`ru_maxrss` from wait4 / RUSAGE_CHILDREN is not used: a child forked from a benchmark that
holds generated files or a stand-in server's objects reports the parent's pages it shared
before exec (a 10-row Surfside load showed the same ~800 MB as the 1 M-row one).
"""

from __future__ import annotations

import subprocess
import time


def _peak_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_child(command: list[str], env: dict, **popen) -> tuple[float, float, int]:
    """Run `command`; return (seconds, peak RSS in MB, exit code)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, **popen)
    peak_kb = 0
    while child.poll() is None:
        peak_kb = max(peak_kb, _peak_kb(child.pid))
        time.sleep(0.005)
    return time.perf_counter() - start, peak_kb / 1024, child.returncode
