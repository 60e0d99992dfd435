"""The cores this process may use, and a cheap hint of how busy the other processes keep them.

`usable_cores()` starts from the CPUs the scheduler lets this process run on (``sched_getaffinity``: taskset,
cpusets, Ray/Kubernetes pinning) and lowers that to a cgroup CPU quota (v2 ``cpu.max``, v1
``cpu.cfs_quota_us``), because a container limited to 2 CPUs of a 64-core host still sees 64 of them and runs
each of 64 threads a thirty-second of the time. It also counts physical cores (SMT siblings share one), which is
where llama.cpp's own default starts.

`OtherLoad` reads ``/proc/stat`` and this process's own CPU time: the cores the *other* processes kept busy since
the last reading. It is only a hint (a container's ``/proc/stat`` can show the whole host, and it cannot see
our own event loop taking a core from our compute threads): step times are the judge (`agentrt.engine.threads`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

_CGROUP_ROOT = Path("/sys/fs/cgroup")
_CPU_SYS = Path("/sys/devices/system/cpu")


@dataclass(frozen=True)
class UsableCores:
    """What this process may use: ``threads`` is the most compute threads worth running."""

    cpus: tuple[int, ...]  # the CPUs of our affinity mask
    quota_cores: float | None  # a cgroup CPU quota in cores (None: no quota)
    physical: int  # physical cores among ``cpus`` (SMT siblings counted once)

    @property
    def threads(self) -> int:
        """Affinity, lowered to the quota: more threads than the quota allows are throttled, not faster."""
        n = len(self.cpus)
        if self.quota_cores is not None:
            n = min(n, max(1, math.floor(self.quota_cores)))
        return max(1, n)

    @property
    def start_threads(self) -> int:
        """Where the adaptive count starts: physical cores (llama.cpp's own default), within ``threads``."""
        return max(1, min(self.physical, self.threads))

    def describe(self) -> str:
        quota = f", cgroup quota {self.quota_cores:g} cores" if self.quota_cores is not None else ""
        return f"{len(self.cpus)} CPUs in affinity ({self.physical} physical cores){quota}"


def usable_cores() -> UsableCores:
    cpus = tuple(sorted(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else tuple(
        range(os.cpu_count() or 1)
    )
    return UsableCores(cpus=cpus, quota_cores=cgroup_cpu_quota(), physical=_physical_cores(cpus))


def _physical_cores(cpus: tuple[int, ...]) -> int:
    cores = set()
    for cpu in cpus:
        topology = _CPU_SYS / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return len(cpus)  # no topology (some containers, non-Linux): count every CPU as a core
        cores.add((package, core))
    return max(1, len(cores))


def cgroup_cpu_quota(root: Path = _CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> float | None:
    """The tightest CPU quota, in cores, on this process's cgroup and its ancestors (v2 or v1); None if none."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas: list[float] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2 unified hierarchy
            base = root / "unified" if (root / "unified" / "cgroup.controllers").exists() else root
            for directory in _self_and_ancestors(base, path):
                quotas += _v2_quota(directory / "cpu.max")
        elif "cpu" in controllers.split(","):
            for mount in (root / "cpu,cpuacct", root / "cpu", root / "cpuacct,cpu"):
                for directory in _self_and_ancestors(mount, path):
                    quotas += _v1_quota(directory)
    return min(quotas) if quotas else None


def _self_and_ancestors(base: Path, path: str) -> list[Path]:
    # Inside a container the cgroup path often names the host's hierarchy while the mount shows only ours:
    # look at the path below the mount when it exists, and always at the mount itself.
    parts = [p for p in path.strip("/").split("/") if p]
    found = []
    for depth in range(len(parts), 0, -1):
        candidate = base.joinpath(*parts[:depth])
        if candidate.is_dir():
            found.append(candidate)
    found.append(base)
    return found


def _v2_quota(cpu_max: Path) -> list[float]:
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return []
    if quota == "max":
        return []
    return [int(quota) / int(period)]


def _v1_quota(directory: Path) -> list[float]:
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text())
        period = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return []
    return [quota / period] if quota > 0 and period > 0 else []


class OtherLoad:
    """Cores kept busy by other processes, on our CPUs, between two readings (``/proc/stat`` minus ourselves).

    Trust it only where ``/proc/stat`` describes the CPUs we run on (`trusted`): with a cgroup quota below our
    affinity, the CPUs are shared with processes we are not limited against, and the figure says little.
    """

    MIN_INTERVAL_S = 0.25  # readings closer than this return the last figure (jiffies are 10 ms)

    def __init__(self, cores: UsableCores, stat: Path = Path("/proc/stat")) -> None:
        self._cpus = {f"cpu{c}" for c in cores.cpus}
        self._stat = stat
        self.trusted = cores.quota_cores is None or cores.quota_cores >= len(cores.cpus)
        self._hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._last: tuple[float, float, float] | None = None  # (wall, busy jiffies of our CPUs, our CPU seconds)
        self.value: float | None = None

    def _read(self) -> tuple[float, float, float] | None:
        try:
            text = self._stat.read_text()
        except OSError:
            return None
        busy = 0
        for line in text.splitlines():
            name, _, rest = line.partition(" ")
            if name in self._cpus:
                fields = [int(x) for x in rest.split()]
                # user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy
                busy += sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
        times = os.times()
        return time.monotonic(), busy / self._hz, times.user + times.system

    def initial(self) -> float | None:
        """Cores busy with other processes now: the load between the first reading (taken by an earlier `sample`,
        e.g. before the model loaded, else now) and one at least `MIN_INTERVAL_S` after it, waiting for the rest
        of that interval if need be. Not the load average: it follows the last minute, so right after a build or
        a benchmark it reports cores that are free again. None unless `trusted`, or when /proc/stat is missing."""
        if not self.trusted:
            return None
        if self._last is None:
            self.sample()
            if self._last is None:  # /proc/stat cannot be read
                return None
        wait = self._last[0] + self.MIN_INTERVAL_S - time.monotonic()
        if wait > 0:
            time.sleep(wait + 0.001)
        return self.sample()

    def sample(self) -> float | None:
        """Cores busy with other processes since the previous call (None until two readings exist)."""
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self.MIN_INTERVAL_S:
            return self.value
        reading = self._read()
        if reading is None:
            return None
        if self._last is not None:
            wall = reading[0] - self._last[0]
            others = (reading[1] - self._last[1]) - (reading[2] - self._last[2])
            self.value = max(0.0, others / wall) if wall > 0 else self.value
        self._last = reading
        return self.value
