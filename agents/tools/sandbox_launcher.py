"""The sandbox's two small exec wrappers. Standard library only: it runs as a script (``python -I -S``), not as
part of agentrt, so that nothing between fork and exec runs in the (threaded) agentrt process.

``outer`` runs on the host as the user agentrt runs as, before bubblewrap starts:
  1. joins the run's cgroups (so everything it starts is counted and can be killed as one);
  2. lowers its scheduling priority (inherited by the whole tree);
  3. when a disk quota is asked for, makes a private mount namespace in which the workspace is seen through an
     overlay whose writable layer is a size-limited tmpfs; runs bubblewrap on that view; and when the sandbox has
     exited, copies what it wrote back into the real workspace, refusing what a sandbox should not leave behind
     (device nodes, FIFOs, sockets, set-user-ID bits) and never following a link while doing so.
``inner`` runs inside the sandbox (after bubblewrap made the namespaces): it sets the per-process resource
limits, soft and hard, then execs the command. Setting them inside counts processes per sandbox (RLIMIT_NPROC
is accounted per user namespace), and they cannot be raised again without capabilities, which are all gone.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
SETUP_FAILED = 125  # the exit status (like env(1)'s) that says the sandbox itself could not be set up
ERROR_PREFIX = "agentrt-sandbox:"

_RLIMITS = {
    "address_space": resource.RLIMIT_AS,
    "processes": resource.RLIMIT_NPROC,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "cpu_seconds": resource.RLIMIT_CPU,
    "core": resource.RLIMIT_CORE,
}


def _fail(message: str) -> None:
    sys.stderr.write(f"{ERROR_PREFIX} {message}\n")
    sys.stderr.flush()
    os._exit(SETUP_FAILED)


def _libc_call(name: str, *args: Any) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str, flags: int, options: str) -> None:
    _libc_call("mount", source.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(flags), options.encode())


def _private_mount_namespace() -> None:
    """A mount namespace of our own (inside a user namespace of our own where we are not root)."""
    uid, gid = os.getuid(), os.getgid()
    in_userns = os.geteuid() != 0
    _libc_call("unshare", CLONE_NEWNS | (CLONE_NEWUSER if in_userns else 0))
    if in_userns:  # map ourselves to ourselves, so files keep their owners
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    _mount("none", "/", "", MS_REC | MS_PRIVATE, "")  # nothing we mount leaks to the host


def mount_overlay(workspace: str, scratch: str, disk_bytes: int, disk_inodes: int, owner: int | None) -> tuple[str, str]:
    """Mount ``workspace`` + a tmpfs of ``disk_bytes`` as an overlay; (merged view, upper layer) paths.
    Call it in a private mount namespace (`_private_mount_namespace`)."""
    in_userns = os.geteuid() != 0  # then overlay keeps its own attributes in user.* extended attributes
    layer, merged = os.path.join(scratch, "layer"), os.path.join(scratch, "merged")
    os.makedirs(layer, exist_ok=True)
    os.makedirs(merged, exist_ok=True)
    _mount("tmpfs", layer, "tmpfs", 0, f"size={disk_bytes},nr_inodes={disk_inodes},mode=0700")
    upper, work = os.path.join(layer, "upper"), os.path.join(layer, "work")
    os.mkdir(upper)
    os.mkdir(work)
    os.chmod(upper, stat.S_IMODE(os.stat(workspace).st_mode))  # the view's top folder looks like the real one
    if owner is not None:
        os.chown(upper, owner, owner)
    # Whole-file copy-up and no directory redirects: the upper layer is then plain files the merge can copy.
    # (With userxattr, i.e. in a user namespace, redirects are never made and "redirect_dir=off" is refused.)
    options = f"lowerdir={_escape(workspace)},upperdir={upper},workdir={work},metacopy=off"
    _mount("overlay", merged, "overlay", 0, options + (",userxattr" if in_userns else ",redirect_dir=off"))
    return merged, upper


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:")


# --- copying the writable layer back ------------------------------------------------------------------------

_OPAQUE = ("user.overlay.opaque", "trusted.overlay.opaque")


def merge_upper(
    upper_fd: int, target_fd: int, problems: list[str], *, owner: int | None = None, where: str = ""
) -> None:
    """Apply an overlay's upper layer (open directory fd) to the real folder ``target_fd``.

    Whiteouts delete, opaque folders replace, files are copied (mode without set-ID bits, mtime kept) and
    renamed into place, links are recreated as links. Every step is relative to an open folder with O_NOFOLLOW,
    so a link the sandbox left can never redirect a write. What is refused is named in ``problems``. New
    entries belong to ``owner`` when given (the sandbox's user, when agentrt runs as root).
    """
    for entry in sorted(os.scandir(upper_fd), key=lambda e: e.name):
        name, shown = entry.name, where + entry.name
        info = os.stat(name, dir_fd=upper_fd, follow_symlinks=False)
        try:
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:  # a whiteout: the sandbox deleted it
                _remove(target_fd, name)
            elif stat.S_ISDIR(info.st_mode):
                child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=upper_fd)
                try:
                    if _is_opaque(child):
                        _remove(target_fd, name)
                    target_child = _folder(target_fd, name, stat.S_IMODE(info.st_mode) & 0o777, owner)
                    try:
                        merge_upper(child, target_child, problems, owner=owner, where=shown + "/")
                    finally:
                        os.close(target_child)
                finally:
                    os.close(child)
            elif stat.S_ISREG(info.st_mode):
                _copy_file(upper_fd, target_fd, name, info, owner)
            elif stat.S_ISLNK(info.st_mode):
                link = os.readlink(name, dir_fd=upper_fd)
                _remove(target_fd, name)
                os.symlink(link, name, dir_fd=target_fd)
                if owner is not None:
                    os.chown(name, owner, owner, dir_fd=target_fd, follow_symlinks=False)
            else:
                problems.append(f"{shown}: not a file, folder or link; not kept")
        except OSError as exc:
            problems.append(f"{shown}: {exc.strerror or exc}")


def _is_opaque(fd: int) -> bool:
    for attribute in _OPAQUE:
        try:
            if os.getxattr(fd, attribute) == b"y":
                return True
        except OSError:
            continue
    return False


def _remove(dir_fd: int, name: str) -> None:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def _folder(dir_fd: int, name: str, mode: int, owner: int | None) -> int:
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except OSError:  # something else (a file, a link) is in the way: the sandbox replaced it with a folder
        _remove(dir_fd, name)
    os.mkdir(name, mode, dir_fd=dir_fd)
    folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    if owner is not None:
        os.fchown(folder, owner, owner)
    return folder


def _copy_file(upper_fd: int, target_fd: int, name: str, info: os.stat_result, owner: int | None) -> None:
    temporary = f".{name[:200]}.agentrt-merge-{os.getpid()}"
    source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=upper_fd)
    try:
        mode = stat.S_IMODE(info.st_mode) & 0o777  # never set-user-ID or set-group-ID
        sink = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=target_fd)
        try:
            while os.sendfile(sink, source, None, 1 << 20):
                pass
            if owner is not None:
                os.fchown(sink, owner, owner)
            os.fchmod(sink, mode)
            os.utime(sink, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(sink)
    finally:
        os.close(source)
    try:
        target = os.stat(name, dir_fd=target_fd, follow_symlinks=False)
        if stat.S_ISDIR(target.st_mode):
            _remove(target_fd, name)
        os.replace(temporary, name, src_dir_fd=target_fd, dst_dir_fd=target_fd)
    except FileNotFoundError:
        os.replace(temporary, name, src_dir_fd=target_fd, dst_dir_fd=target_fd)
    except OSError:
        _remove(target_fd, temporary)
        raise


# --- handing the workspace to an unprivileged user (when agentrt runs as root) ---------------------------------


def hand_over(workspace: str, uid: int) -> None:
    """Make every entry of the workspace owned by ``uid`` (never following a link), so the sandbox can write."""
    for _, folders, files, dir_fd in os.fwalk(workspace, follow_symlinks=False):
        if os.stat(dir_fd).st_uid != uid:
            os.chown(dir_fd, uid, uid)
        for name in files + folders:
            if os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_uid != uid:
                os.chown(name, uid, uid, dir_fd=dir_fd, follow_symlinks=False)


def make_reachable(command: list[str], scratch: str) -> list[str]:
    """Bind every source bwrap will mount under ``scratch`` (in our private mount namespace), so a user that
    cannot walk the original path (``/root/...`` is 0700) can still mount it. Returns the rewritten argv."""
    reach = os.path.join(scratch, "reach")
    os.mkdir(reach, 0o711)
    rewritten = list(command)
    for index, arg in enumerate(command[:-1]):
        source = command[index + 1]
        if arg not in ("--bind", "--ro-bind", "--ro-bind-try") or source == "/usr" or source.startswith(
            (scratch, "/usr/", "/etc/")
        ):
            continue
        if not os.path.exists(source):
            continue
        target = os.path.join(reach, str(index))
        if os.path.isdir(source):
            os.mkdir(target)
        else:
            open(target, "w").close()
        _mount(source, target, "", MS_BIND | MS_REC, "")
        rewritten[index + 1] = target
    return rewritten


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


# --- the two entry points -----------------------------------------------------------------------------------


def outer(config: dict[str, Any], command: list[str]) -> None:
    for procs in config.get("cgroup_procs", []):
        try:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        except OSError as exc:
            _fail(f"cannot join cgroup {procs}: {exc.strerror}")
    nice = int(config.get("nice", 10))
    os.setpriority(os.PRIO_PROCESS, 0, max(nice, os.getpriority(os.PRIO_PROCESS, 0)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    overlay, uid = config.get("overlay"), config.get("run_as")
    if overlay is None and uid is None:
        os.execvp(command[0], command)
    workspace, scratch = config["workspace"], config["scratch"]
    try:
        if uid is not None:
            hand_over(workspace, uid)
        _private_mount_namespace()
        if uid is not None:
            os.chmod(scratch, 0o711)
            command = make_reachable(command, scratch)
        if overlay is not None:
            merged, upper = mount_overlay(workspace, scratch, overlay["bytes"], overlay["inodes"], uid)
            command = [merged if arg == overlay["placeholder"] else arg for arg in command]
    except OSError as exc:
        _fail(f"cannot prepare the sandbox's view: {exc}")
    if overlay is None:
        drop_privileges(uid)
        os.execvp(command[0], command)
    child = os.fork()
    if child == 0:
        try:
            if uid is not None:
                drop_privileges(uid)
            os.execvp(command[0], command)
        finally:
            os._exit(SETUP_FAILED)
    status = os.waitpid(child, 0)[1]
    problems: list[str] = []
    upper_fd = os.open(upper, os.O_RDONLY | os.O_DIRECTORY)
    workspace_fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY)
    merge_upper(upper_fd, workspace_fd, problems, owner=uid)
    for problem in problems[:20]:
        sys.stderr.write(f"{ERROR_PREFIX} workspace: {problem}\n")
    sys.stderr.flush()
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def inner(limits: dict[str, int], command: list[str]) -> None:
    for name, value in limits.items():
        resource.setrlimit(_RLIMITS[name], (value, value))
    os.execv(command[0], command)


def main(argv: list[str]) -> None:
    mode, config, command = argv[1], json.loads(argv[2]), argv[3:]
    if mode == "outer":
        outer(config, command)
    elif mode == "inner":
        inner(config, command)
    else:
        _fail(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
