"""Control groups for one sandbox run: a memory limit and a process limit for the whole process tree, and a way
to kill every process in it at once. Works with cgroup v1 and v2, whichever holds each controller here.

Creating cgroups needs write access to the hierarchy: root, or a delegated v2 subtree (systemd gives each user
one). Where that is missing, `SandboxCgroup.create` returns a group that enforces less and says so in
`enforced`; the sandbox then relies on its rlimits and PID namespace (see agents/tools/sandbox.py).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("memory", "pids")


@dataclass(frozen=True)
class CgroupLayout:
    """Where this process's cgroups are: per v1 controller a folder, and its v2 folder (if cgroup2 is mounted)."""

    v1: dict[str, Path] = field(default_factory=dict)
    v2: Path | None = None

    @classmethod
    def discover(cls, proc: Path = Path("/proc/self")) -> CgroupLayout:
        try:
            mountinfo = (proc / "mountinfo").read_text()
            membership = (proc / "cgroup").read_text()
        except OSError:
            return cls()
        own_v1: dict[str, str] = {}
        own_v2: str | None = None
        for line in membership.splitlines():
            hierarchy, controllers, path = line.split(":", 2)
            if hierarchy == "0" and controllers == "":
                own_v2 = path
            for controller in controllers.split(","):
                own_v1[controller] = path
        v1: dict[str, Path] = {}
        v2: Path | None = None
        for line in mountinfo.splitlines():
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(fields) < 5 or len(rest) < 3:
                continue
            root, mount_point, fstype, options = fields[3], fields[4], rest[0], rest[2].split(",")
            if fstype == "cgroup2" and own_v2 is not None and v2 is None:
                v2 = _below(Path(mount_point), root, own_v2)
            elif fstype == "cgroup":
                for controller in CONTROLLERS:
                    if controller in options and controller in own_v1:
                        v1[controller] = _below(Path(mount_point), root, own_v1[controller])
        return cls(v1=v1, v2=v2)


def _below(mount_point: Path, mount_root: str, own: str) -> Path:
    relative = os.path.relpath(own, mount_root) if own.startswith(mount_root) else own
    return (mount_point / relative.lstrip("/")).resolve() if relative != "." else mount_point


@dataclass
class SandboxCgroup:
    """The cgroup folders of one run. ``enforced`` names what really holds: "memory", "pids", "kill"."""

    folders: dict[str, Path]  # controller (or "kill") -> folder
    enforced: frozenset[str]

    @classmethod
    def create(cls, layout: CgroupLayout, *, memory_bytes: int, max_processes: int) -> SandboxCgroup:
        name = f"agentrt-sandbox-{uuid.uuid4().hex[:12]}"
        folders: dict[str, Path] = {}
        v2_controllers = _v2_home(layout.v2)
        for controller in CONTROLLERS:
            if controller in layout.v1:
                folder = _make(layout.v1[controller] / name)
            elif v2_controllers is not None and controller in _words(v2_controllers / "cgroup.subtree_control"):
                folder = _make(v2_controllers / name)
            else:
                folder = None
            if folder is not None:
                folders[controller] = folder
        # One folder to kill them all: v2's cgroup.kill if we have a v2 folder, else sweeps over the v1 ones.
        kill_folder = next((f for f in folders.values() if (f / "cgroup.kill").exists()), None)
        if kill_folder is None and layout.v2 is not None:
            kill_folder = _make(layout.v2 / name)
        if kill_folder is not None:
            folders["kill"] = kill_folder
        enforced = set()
        if "memory" in folders and _limit_memory(folders["memory"], memory_bytes):
            enforced.add("memory")
        if "pids" in folders and _write(folders["pids"] / "pids.max", str(max_processes)):
            enforced.add("pids")
        if folders:
            enforced.add("kill")
        return cls(folders=folders, enforced=frozenset(enforced))

    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files the sandbox's first process writes itself into (each folder once)."""
        return sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})

    def kill(self) -> None:
        """SIGKILL every process in the group (atomically with cgroup.kill on v2; by repeated sweeps on v1)."""
        if "kill" in self.folders and _write(self.folders["kill"] / "cgroup.kill", "1"):
            return
        for _ in range(200):  # the pids limit bounds how many a fork bomb can add between two sweeps
            pids = {pid for folder in self.folders.values() for pid in _pids(folder)}
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)

    def out_of_memory(self) -> bool:
        folder = self.folders.get("memory")
        if folder is None:
            return False
        events = _counters(folder / "memory.events") or _counters(folder / "memory.oom_control")
        return events.get("oom_kill", 0) > 0 or events.get("oom", 0) > 0

    def hit_process_limit(self) -> bool:
        folder = self.folders.get("pids")
        return folder is not None and _counters(folder / "pids.events").get("max", 0) > 0

    def remove(self) -> None:
        """Kill what is left and remove the folders (a cgroup can only be removed once it is empty)."""
        self.kill()
        for folder in set(self.folders.values()):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _v2_home(own: Path | None) -> Path | None:
    """The nearest v2 folder (ours or an ancestor we may write) whose children get the memory and pids controllers."""
    folder = own
    while folder is not None and (folder / "cgroup.controllers").exists():
        enabled = _words(folder / "cgroup.subtree_control")
        if set(CONTROLLERS) <= enabled and os.access(folder, os.W_OK):
            return folder
        if folder == own and not (folder.parent / "cgroup.controllers").exists():  # the root: may enable them
            if set(CONTROLLERS) <= _words(folder / "cgroup.controllers") and _write(
                folder / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS)
            ):
                return folder
        folder = folder.parent if folder.parent != folder else None
    return None


def _limit_memory(folder: Path, memory_bytes: int) -> bool:
    if (folder / "memory.max").exists():  # v2: no swap either, or the limit would only slow it down
        _write(folder / "memory.swap.max", "0")
        return _write(folder / "memory.max", str(memory_bytes))
    ok = _write(folder / "memory.limit_in_bytes", str(memory_bytes))
    if (folder / "memory.memsw.limit_in_bytes").exists():
        _write(folder / "memory.memsw.limit_in_bytes", str(memory_bytes))
    return ok


def _make(folder: Path) -> Path | None:
    try:
        folder.mkdir()
    except OSError:
        return None
    return folder


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


def _words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _pids(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _counters(path: Path) -> dict[str, int]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    counters = {}
    for line in lines:
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            counters[key] = int(value)
    return counters
