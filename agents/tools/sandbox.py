"""A sandbox for code a model wrote, built from bubblewrap (bwrap), control groups and rlimits.

Why bubblewrap: it is the small, audited, widely packaged tool (Debian, Fedora, Arch; Flatpak's sandbox) that
builds exactly what is needed here from Linux namespaces, runs without a daemon or setuid helper, and has no
policy language to get wrong. Docker/podman need a daemon or images; nsjail and firejail are less widely
packaged; writing the namespace setup ourselves would repeat bwrap's work with less review.

What the code inside sees and may do (each enforced by the kernel, not by trusting the code):
- files: a read-only view of only what Python needs: /usr, /lib*, the interpreter's prefixes (and the virtual
  environment's), a few /etc files (dynamic linker cache, time zone, a generated passwd); a fresh /proc and a
  minimal /dev; nothing of /home, /root, /run, /var, the host's /tmp or /dev/shm, so no Unix socket file is
  reachable and no secret (e.g. /etc/shadow) is readable. The workspace is the only writable folder, plus a
  small private tmpfs at /tmp and /dev/shm.
- disk: the workspace is seen through an overlay whose writable layer is a tmpfs of ``disk_mb``; when the code
  ends, what it wrote is copied back into the real workspace (set-ID bits, device nodes, FIFOs and sockets are
  not). Writes past the quota fail with "No space left on device". A run that times out or is killed leaves the
  workspace as it was. (Where the kernel cannot mount the overlay, the sandbox still starts and writes go to the
  workspace directly, bounded per file by RLIMIT_FSIZE; `SandboxSupport.describe` says which holds.)
- processes: its own PID namespace, so it cannot see or signal agentrt or anything else; its own session (no
  terminal injection); all capabilities dropped, no new privileges, uid 1000 inside; no nested user namespaces.
- network: its own empty network namespace: no interfaces but a down loopback, no abstract Unix sockets.
- limits: wall time (the whole tree is killed at ``timeout_s``), CPU time, memory for the whole tree and the
  number of processes (cgroups, v1 or v2, where agentrt may create them: as root, or in a delegated v2 subtree;
  otherwise per-process RLIMIT_AS and per-sandbox RLIMIT_NPROC), open files, output kept (the last
  ``output_bytes``), at a lower scheduling priority (nice) so it yields the CPU to decoding.
- lifetime: when the code ends or is killed, every process it started dies with it (the PID namespace's init
  dies, and the cgroup is killed as a whole), including ones that called setsid().

What it does not stop: CPU-cache and timing side channels; kernel bugs reachable through the system calls
Python may make (there is no seccomp filter); reading the files in the view (e.g. the virtual environment's
source); using the memory and time it is given. On the host the code's files and processes belong to the user
agentrt runs as (inside it is an unprivileged uid without capabilities).

If bwrap is missing or namespaces are disabled, running code is refused with `SandboxUnavailable` saying why.
``AGENTRT_PYTHON_SANDBOX=off`` turns the sandbox off for users who accept the risk: the code then runs as
agentrt's user with only the rlimits, the cgroup and the timeout, and can read and write whatever that user can.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentrt.errors import ToolError

from agents.tools import sandbox_launcher
from agents.tools.cgroups import CgroupLayout, SandboxCgroup

SANDBOX_ENV = "AGENTRT_PYTHON_SANDBOX"  # "off": run without the sandbox (unsafe; see the module docstring)
INSIDE_UID = 1000
HOST_UID_FOR_ROOT = 65534  # "nobody": who the code runs as on the host when agentrt runs as root
INPUTS = "/.agentrt"  # where the inputs (the code, the inner wrapper) appear inside, read-only
_LAUNCHER = Path(sandbox_launcher.__file__)
_OVERLAY_PLACEHOLDER = "{merged-workspace}"  # the launcher puts the overlay's path here
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "mime.types")


class SandboxUnavailable(ToolError):
    """The sandbox cannot start on this machine; the code was not run."""


class SandboxLimits(BaseModel):
    """What one run may use. Memory and processes count the whole process tree where cgroups are available."""

    model_config = ConfigDict(frozen=True)

    timeout_s: float = Field(10.0, gt=0, le=3600)
    memory_mb: int = Field(512, ge=64)
    max_processes: int = Field(64, ge=4)
    disk_mb: int = Field(100, ge=1)  # what it may write into the workspace in one run (tmpfs: memory too)
    disk_files: int = Field(10_000, ge=16)
    tmp_mb: int = Field(64, ge=1)  # its private /tmp and /dev/shm (memory, counted against memory_mb)
    open_files: int = Field(512, ge=32)
    output_bytes: int = Field(1_000_000, ge=1024)  # the last this many bytes of output are kept
    nice: int = Field(10, ge=0, le=19)


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int  # 128 + N when killed by signal N
    output: bytes  # stdout and stderr together, the last ``output_bytes`` of them
    output_total: int  # bytes written in all
    timed_out: bool
    out_of_memory: bool
    hit_process_limit: bool

    @property
    def setup_failed(self) -> bool:
        return self.exit_code == sandbox_launcher.SETUP_FAILED and sandbox_launcher.ERROR_PREFIX.encode() in self.output


@dataclass(frozen=True)
class SandboxSupport:
    """What this machine's sandbox can do, found by starting one (`sandbox_support`)."""

    available: bool
    reason: str  # why not, when not available
    bwrap: str | None = None
    run_as: int | None = None  # the host uid the code runs as, when not agentrt's own (agentrt is root)
    overlay: bool = False  # the disk quota holds for the whole workspace (else per file only)
    disable_userns: bool = False  # bwrap >= 0.8 can forbid nested user namespaces
    cgroups: frozenset[str] = frozenset()  # "memory", "pids", "kill" where agentrt may create cgroups

    def describe(self) -> str:
        if not self.available:
            return f"python sandbox unavailable: {self.reason}"
        tree = ", ".join(sorted(self.cgroups)) or "none (rlimits only)"
        if self.bwrap is None:
            return f"python sandbox OFF ({self.reason}): code runs unconfined; cgroup limits: {tree}"
        disk = "quota on the workspace (overlay)" if self.overlay else "per file only (RLIMIT_FSIZE)"
        user = f"uid {self.run_as}" if self.run_as is not None else f"agentrt's uid {os.getuid()}"
        return f"python sandbox: bubblewrap at {self.bwrap}; runs as {user}; cgroup limits: {tree}; disk: {disk}"


# --- the view of the system -----------------------------------------------------------------------------------


def _python_roots() -> list[str]:
    """The interpreter's prefixes (a venv and the Python it was made from), as given and as resolved."""
    roots: set[str] = set()
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        roots.update({os.path.abspath(prefix), os.path.realpath(prefix)})
    roots.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    return sorted(r for r in roots if r not in ("/", "/usr") and not r.startswith("/usr/") and os.path.isdir(r))


def _system_view() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in _ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for root in _python_roots():
        args += ["--ro-bind", root, root]
    return args


def _bwrap_command(
    bwrap: str, disable_userns: bool, workspace: Path, inputs: Path, limits: SandboxLimits, *, overlay: bool
) -> list[str]:
    home = str(workspace)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "TMPDIR": "/tmp",
           "USER": "sandbox", "LOGNAME": "sandbox", "XDG_CACHE_HOME": "/tmp/.cache", "MPLCONFIGDIR": "/tmp/.mpl",
           "PYTHONDONTWRITEBYTECODE": "1"}
    args = [
        bwrap, "--unshare-user", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID),
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "sandbox", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
    ]
    if disable_userns:
        args.append("--disable-userns")
    args.append("--clearenv")
    for key, value in env.items():
        args += ["--setenv", key, value]
    tmp_bytes = str(limits.tmp_mb * 1024 * 1024)
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", tmp_bytes, "--tmpfs", "/dev/shm", "--size", tmp_bytes, "--tmpfs", "/tmp"]
    # Later mounts cover earlier ones: the workspace first, so the read-only view wins wherever they overlap.
    args += ["--bind", _OVERLAY_PLACEHOLDER if overlay else home, home]
    args += _system_view()
    args += ["--ro-bind", str(inputs / "passwd"), "/etc/passwd", "--ro-bind", str(inputs / "group"), "/etc/group"]
    args += ["--ro-bind", str(inputs), INPUTS, "--chdir", home, "--remount-ro", "/"]
    return args


def check_workspace(workspace: Path) -> None:
    """Refuse a workspace that is / or a top-level folder, or that holds the Python the sandbox runs: the
    sandbox makes the workspace writable (and, as root, hands it to an unprivileged user)."""
    if len(workspace.parts) <= 2:
        raise ToolError(f"tool python: refused workspace {str(workspace)!r}: / or a top-level folder; give the run "
                        "a folder of its own")
    for root in [*_python_roots(), str(_LAUNCHER.parent)]:
        if Path(root).is_relative_to(workspace):
            raise ToolError(f"tool python: refused workspace {str(workspace)!r}: it contains {root}, which the "
                            "sandbox must not be able to change; give the run a folder of its own")


def _inner_command(limits: SandboxLimits, command: list[str], launcher: str) -> list[str]:
    rlimits = {
        "address_space": limits.memory_mb * 1024 * 1024,
        "processes": limits.max_processes,
        "file_size": limits.disk_mb * 1024 * 1024,
        "open_files": limits.open_files,
        "cpu_seconds": int(limits.timeout_s) + 1,
        "core": 0,
    }
    return [sys.executable, "-I", "-S", launcher, "inner", json.dumps(rlimits), *command]


def _write_inputs(inputs: Path, files: Mapping[str, str], workspace: Path) -> None:
    inputs.mkdir(mode=0o755)
    shutil.copyfile(_LAUNCHER, inputs / "launcher.py")
    (inputs / "passwd").write_text(
        f"sandbox:x:{INSIDE_UID}:{INSIDE_UID}:agentrt sandbox:{workspace}:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (inputs / "group").write_text(f"sandbox:x:{INSIDE_UID}:\nnogroup:x:65534:\n")
    for name, text in files.items():
        (inputs / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    for path in inputs.iterdir():
        path.chmod(0o644)


def _launch_command(
    support: SandboxSupport,
    workspace: Path,
    scratch: Path,
    limits: SandboxLimits,
    command: list[str],
    cgroup_procs: list[str],
) -> list[str]:
    """The full argv: outer wrapper (cgroups, nice, overlay) → bwrap → inner wrapper (rlimits) → ``command``."""
    config: dict[str, object] = {
        "cgroup_procs": cgroup_procs, "nice": limits.nice, "workspace": str(workspace), "scratch": str(scratch),
        "run_as": support.run_as,
    }
    if support.bwrap is None:  # the documented opt-out: no namespaces, no view
        inner = _inner_command(limits, command, str(scratch / "inputs" / "launcher.py"))
        return [sys.executable, "-I", "-S", str(_LAUNCHER), "outer", json.dumps(config), *inner]
    if support.overlay:
        config["overlay"] = {
            "placeholder": _OVERLAY_PLACEHOLDER, "bytes": limits.disk_mb * 1024 * 1024, "inodes": limits.disk_files
        }
    bwrap = _bwrap_command(
        support.bwrap, support.disable_userns, workspace, scratch / "inputs", limits, overlay=support.overlay
    )
    inner = _inner_command(limits, command, f"{INPUTS}/launcher.py")
    return [sys.executable, "-I", "-S", str(_LAUNCHER), "outer", json.dumps(config), *bwrap, "--", *inner]


# --- probing ------------------------------------------------------------------------------------------------


@functools.cache
def sandbox_support() -> SandboxSupport:
    """Start a sandbox once (per process) to learn whether it works here, and with which guarantees."""
    if os.environ.get(SANDBOX_ENV, "").lower() in ("off", "0", "no", "false"):
        return SandboxSupport(available=True, reason=f"{SANDBOX_ENV}=off", cgroups=_cgroup_support())
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return SandboxSupport(available=False, reason="bubblewrap (bwrap) is not installed; `apt-get install "
                              "bubblewrap` (or your system's package) and try again")
    disable_userns = _bwrap_version(bwrap) >= (0, 8)
    cgroups = _cgroup_support()
    # Strongest first: as root, run the code as an unprivileged host user; a disk quota through an overlay.
    users = [HOST_UID_FOR_ROOT, None] if os.geteuid() == 0 else [None]
    failures = []
    for run_as in users:
        for overlay in (True, False):
            candidate = SandboxSupport(available=True, reason="", bwrap=bwrap, run_as=run_as, overlay=overlay,
                                       disable_userns=disable_userns, cgroups=cgroups)
            failure = _try(candidate)
            if not failure:
                return candidate
            failures.append(failure)
    return SandboxSupport(available=False, reason=f"bubblewrap could not start a sandbox here: {failures[-1]}",
                          bwrap=bwrap)


def _bwrap_version(bwrap: str) -> tuple[int, ...]:
    try:
        text = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(part) for part in text.split()[-1].split("."))
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return (0,)


def _cgroup_support() -> frozenset[str]:
    group = SandboxCgroup.create(CgroupLayout.discover(), memory_bytes=256 * 1024 * 1024, max_processes=16)
    group.remove()
    return group.enforced


def _try(support: SandboxSupport) -> str:
    """'' if a sandbox with these options runs Python and writes to its workspace; else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="agentrt-sandbox-probe-") as folder:
        scratch = Path(folder)
        workspace = scratch / "workspace"
        workspace.mkdir()
        code = "open('probe.txt', 'w').write('ok'); print('sandbox-ok')"
        _write_inputs(scratch / "inputs", {"probe.py": code}, workspace)
        command = _launch_command(
            support, workspace, scratch, SandboxLimits(), [sys.executable, "-I", f"{INPUTS}/probe.py"], []
        )
        try:
            done = subprocess.run(command, capture_output=True, timeout=60, cwd=scratch, env=_host_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
        written = (workspace / "probe.txt").exists()
        if done.returncode != 0 or "sandbox-ok" not in output or not written:
            return " ".join(output.split())[:500] or f"exit status {done.returncode}"
    return ""


def _host_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


# --- running ------------------------------------------------------------------------------------------------


async def run_sandboxed(
    command: list[str],
    workspace: Path,
    *,
    files: Mapping[str, str],
    limits: SandboxLimits | None = None,
) -> SandboxResult:
    """Run ``command`` (an argv inside the sandbox; ``files`` appear read-only under /.agentrt) with cwd the
    workspace. Raises `SandboxUnavailable` if no sandbox can start here; never runs the command unconfined
    unless the user turned the sandbox off (``AGENTRT_PYTHON_SANDBOX=off``)."""
    limits = limits or SandboxLimits()
    support = await asyncio.to_thread(sandbox_support)
    if not support.available:
        raise SandboxUnavailable(f"tool python: refused to run code: {support.reason}")
    workspace = workspace.resolve()
    check_workspace(workspace)
    with tempfile.TemporaryDirectory(prefix="agentrt-sandbox-") as folder:
        scratch = Path(folder)
        await asyncio.to_thread(_write_inputs, scratch / "inputs", files, workspace)
        cgroup = await asyncio.to_thread(
            SandboxCgroup.create,
            CgroupLayout.discover(),
            memory_bytes=limits.memory_mb * 1024 * 1024,
            max_processes=limits.max_processes,
        )
        if support.bwrap is None:
            command = [arg.replace(INPUTS, str(scratch / "inputs"), 1) for arg in command]
        argv = _launch_command(support, workspace, scratch, limits, command, cgroup.procs_files())
        try:
            return await _supervise(argv, scratch if support.bwrap else workspace, limits, cgroup)
        finally:
            await asyncio.to_thread(cgroup.remove)


async def _supervise(argv: list[str], cwd: Path, limits: SandboxLimits, cgroup: SandboxCgroup) -> SandboxResult:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=_host_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group: one killpg reaches the wrappers and bwrap
    )
    assert process.stdout is not None
    reader = asyncio.ensure_future(_tail(process.stdout, limits.output_bytes))
    timed_out = False
    try:
        exit_code = await asyncio.wait_for(process.wait(), timeout=limits.timeout_s)
    except asyncio.TimeoutError:
        timed_out = True
        exit_code = await _kill(process, cgroup)
    except asyncio.CancelledError:
        await _kill(process, cgroup)
        reader.cancel()
        raise
    # Everything it started is gone now, so the pipe reaches end-of-file; the timeout is only a safety net.
    await asyncio.to_thread(cgroup.kill)
    try:
        output, total = await asyncio.wait_for(reader, timeout=5)
    except asyncio.TimeoutError:
        output, total = b"", 0
    return SandboxResult(
        exit_code=exit_code if exit_code >= 0 else 128 - exit_code,
        output=output,
        output_total=total,
        timed_out=timed_out,
        out_of_memory=cgroup.out_of_memory(),
        hit_process_limit=cgroup.hit_process_limit(),
    )


async def _kill(process: asyncio.subprocess.Process, cgroup: SandboxCgroup) -> int:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    await asyncio.to_thread(cgroup.kill)
    return await process.wait()


async def _tail(stream: asyncio.StreamReader, keep: int) -> tuple[bytes, int]:
    kept = bytearray()
    total = 0
    while chunk := await stream.read(1 << 16):
        total += len(chunk)
        kept += chunk
        if len(kept) > 2 * keep:
            del kept[:-keep]
    return bytes(kept[-keep:]), total
