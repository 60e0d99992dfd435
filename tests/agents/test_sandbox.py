"""The python tool's sandbox: each escape a security pass found (issue 13) is tried, and each must be refused.

Every test runs real code in a real sandbox (bubblewrap). Code that could hurt the machine on a regression is
capped (a fork "bomb" of at most 200 forks), and the test that kills its parent runs the tool in a child process
so a regression kills that child, not pytest.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import agents
from agentrt.errors import ToolError

from agents.tools import SandboxLimits, SandboxUnavailable, run_python, sandbox_support
from agents.tools import sandbox as sandbox_module

pytestmark = pytest.mark.skipif(
    not sandbox_support().available, reason=f"no sandbox on this machine: {sandbox_support().reason}"
)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("hello\n")
    return ws


@pytest.fixture()
def token() -> Iterator[str]:
    """A unique sleep duration: processes started with it can be found from the host by their command line."""
    value = f"31.{uuid.uuid4().int % 10**6:06d}"
    yield value
    for pid in _host_processes_with(value):  # a regression must not leave processes behind
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def _host_processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _gone(text: str) -> bool:
    for _ in range(40):  # a killed process may take a moment to be reaped
        if not _host_processes_with(text):
            return True
        time.sleep(0.05)
    return False


async def outcome(code: str, workspace: Path, limits: SandboxLimits | None = None) -> str:
    """The observation the agent would see: the output, or the error's text."""
    try:
        return await run_python(textwrap.dedent(code), workspace, limits=limits)
    except ToolError as exc:
        return str(exc)


# --- processes ------------------------------------------------------------------------------------------------


def test_code_cannot_kill_or_signal_agentrt(workspace: Path, token: str) -> None:
    canary = subprocess.Popen(["sleep", token])
    try:
        runner = textwrap.dedent(
            f"""
            import asyncio, sys
            from pathlib import Path
            from agents.tools import run_python
            code = '''
            import os, signal
            for target in (os.getppid(), {canary.pid}, -1):
                try:
                    os.kill(target, signal.SIGKILL)
                    print("sent", target)
                except OSError as exc:
                    print("refused", target, type(exc).__name__)
            print("pids seen:", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
            '''
            try:
                print(asyncio.run(run_python(code, Path(sys.argv[1]))))
            except Exception as exc:
                print("tool error:", exc)
            print("AGENTRT SURVIVED")
            """
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-c", runner, str(workspace)], capture_output=True, text=True,
                              timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert "AGENTRT SURVIVED" in done.stdout
        assert f"refused {canary.pid} ProcessLookupError" in done.stdout  # host processes do not exist in there
        seen = done.stdout.split("pids seen:")[1].splitlines()[0]
        assert len(eval(seen)) <= 3  # bwrap's init, the snippet (and at most the wrapper): nothing of the host's
        assert canary.poll() is None
    finally:
        canary.kill()
        canary.wait()


async def test_everything_the_code_started_dies_with_it(workspace: Path, token: str) -> None:
    code = f"""
    import subprocess, os
    subprocess.Popen(["sleep", "{token}"], start_new_session=True)   # its own session: killpg misses it
    if os.fork() == 0:                                              # a classic daemon: double fork + setsid
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "{token}"])
        os._exit(0)
    print("started", flush=True)
    """
    assert "started" in await outcome(code, workspace)  # the snippet itself exits at once...
    assert _gone(token)  # ...and the daemons it left are gone with it
    text = await outcome(textwrap.dedent(code) + "while True: pass\n", workspace, SandboxLimits(timeout_s=1.5))
    assert "timed out after 1.5s" in text
    assert _gone(token)


async def test_a_fork_bomb_hits_the_process_limit(workspace: Path, token: str) -> None:
    code = f"""
    import os
    n = 0
    try:
        for n in range(200):                   # capped, so a regression does not take the machine down
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{token}"])
    except OSError as exc:
        print("refused after", n, type(exc).__name__)
    else:
        print("forked all 200")
    """
    text = await outcome(code, workspace, SandboxLimits(max_processes=32))
    assert "refused after" in text, text
    assert int(text.split("refused after")[1].split()[0]) < 32
    assert _gone(token)


async def test_code_runs_niced_as_an_unprivileged_user(workspace: Path) -> None:
    code = """
    import os
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    print("uid", os.getuid(), "nice", os.getpriority(os.PRIO_PROCESS, 0))
    print("caps", status["CapEff"].strip(), status["CapBnd"].strip(), "nnp", status["NoNewPrivs"].strip())
    try:
        os.setuid(0)
        print("BECAME ROOT")
    except OSError:
        print("setuid refused")
    """
    text = await outcome(code, workspace)
    assert "uid 1000 nice 10" in text
    assert "caps 0000000000000000 0000000000000000 nnp 1" in text
    assert "setuid refused" in text


# --- files ----------------------------------------------------------------------------------------------------


async def test_code_cannot_write_outside_the_workspace(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("original")
    host_tmp = Path("/tmp") / f"agentrt-escape-{uuid.uuid4().hex}"
    targets = [outside / "new.txt", outside / "keep.txt", Path(sys.prefix) / "pwned",
               Path(agents.__file__).parent / "pwned.py", Path("/etc/pwned"), host_tmp, Path.home() / "pwned"]
    code = "\n".join(
        f"try:\n    open({str(t)!r}, 'w').write('pwned')\nexcept OSError as exc:\n    print('refused', type(exc).__name__)"
        for t in targets
    )
    await outcome(code, workspace)
    assert (outside / "keep.txt").read_text() == "original"
    for target in targets:
        if target != outside / "keep.txt":
            assert not target.exists(), target


async def test_code_cannot_read_what_only_root_may_read(workspace: Path) -> None:
    code = """
    for path in ("/etc/shadow", "/etc/gshadow", "/proc/kpageflags", "/root/.bash_history", "/proc/kcore"):
        try:
            open(path, "rb").read(1)
            print("READ", path)
        except OSError as exc:
            print("refused", path, type(exc).__name__)
    import os
    print("visible:", sorted(os.listdir("/")))
    """
    text = await outcome(code, workspace)
    assert "READ" not in text
    visible = text.split("visible:")[1]
    for hidden in ("'home'", "'var'", "'run'", "'srv'", "'mnt'", "'opt'"):
        assert hidden not in visible


async def test_the_disk_quota_bounds_what_it_writes(workspace: Path) -> None:
    code = """
    written = 0
    try:
        for i in range(40):
            with open(f"fill-{i}.bin", "wb") as f:
                f.write(b"x" * 1_000_000)
            written += 1
        print("wrote all 40 MB")
    except OSError as exc:
        print("stopped after", written, "MB:", exc.strerror)
    """
    text = await outcome(code, workspace, SandboxLimits(disk_mb=8))
    assert "stopped after" in text
    assert "No space left on device" in text or "File too large" in text
    kept = sum(p.stat().st_size for p in workspace.iterdir())
    assert kept <= 8 * 1024 * 1024


async def test_what_it_leaves_in_the_workspace_is_plain(workspace: Path) -> None:
    (workspace / "old").mkdir()
    (workspace / "old" / "a.txt").write_text("a")
    code = """
    import os, shutil
    open("tool", "w").write("#!/bin/sh\\n")
    os.chmod("tool", 0o4755)                  # set-user-ID: must not survive on the host
    os.mkfifo("pipe")
    os.symlink("/etc/passwd", "link")         # kept as a link (tools refuse links out of the workspace)
    os.remove("notes.txt")
    shutil.rmtree("old")
    os.makedirs("new/deep")
    open("new/deep/b.txt", "w").write("b")
    print("done")
    """
    assert "done" in await outcome(code, workspace)
    assert stat.S_IMODE((workspace / "tool").stat().st_mode) == 0o755
    assert not (workspace / "pipe").exists()
    assert (workspace / "link").is_symlink() and os.readlink(workspace / "link") == "/etc/passwd"
    assert not (workspace / "notes.txt").exists() and not (workspace / "old").exists()
    assert (workspace / "new" / "deep" / "b.txt").read_text() == "b"


# --- memory ---------------------------------------------------------------------------------------------------


@pytest.mark.skipif("memory" not in sandbox_support().cgroups,
                    reason="a memory limit for the whole tree needs a cgroup agentrt may create (root, or delegation)")
async def test_memory_limit_covers_the_whole_process_tree(workspace: Path) -> None:
    code = """
    import os, select, time
    read_end, write_end = os.pipe()
    for _ in range(3):
        if os.fork() == 0:
            block = bytearray(150 * 1024 * 1024)   # each under the per-process limit...
            os.write(write_end, b"x")
            time.sleep(3)
            os._exit(0)
    held, deadline = 0, time.time() + 6
    while held < 3 and time.time() < deadline:
        if select.select([read_end], [], [], 0.2)[0]:
            held += len(os.read(read_end, 3))
    print("ALL THREE HELD" if held >= 3 else f"only {held} held at once")
    """
    text = await outcome(code, workspace, SandboxLimits(memory_mb=256))  # ...but not together
    assert "ALL THREE HELD" not in text


# --- network --------------------------------------------------------------------------------------------------


@pytest.fixture()
def unix_servers(tmp_path: Path) -> Iterator[list[str]]:
    """Listening Unix sockets on the host: a file outside the workspace, one in /tmp, one abstract."""
    servers, addresses = [], []
    for address in (str(tmp_path / "host.sock"), f"/tmp/agentrt-test-{uuid.uuid4().hex[:8]}.sock",
                    f"\0agentrt-test-{uuid.uuid4().hex[:8]}"):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address)
        server.listen()
        server.setblocking(False)
        servers.append(server)
        addresses.append(address)
    yield addresses
    for server, address in zip(servers, addresses):
        try:
            server.accept()
            pytest.fail(f"the sandbox connected to {address!r}")
        except BlockingIOError:
            pass
        server.close()
        if not address.startswith("\0"):
            os.unlink(address)


async def test_unix_sockets_on_the_host_are_unreachable(workspace: Path, unix_servers: list[str]) -> None:
    code = f"""
    import socket
    for address in {unix_servers!r}:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(address)
            print("CONNECTED", repr(address))
        except OSError as exc:
            print("refused", type(exc).__name__)
    """
    text = await outcome(code, workspace)
    assert "CONNECTED" not in text
    assert text.count("refused") == 3


@pytest.fixture()
def tcp_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


async def test_there_is_no_network_of_any_kind(workspace: Path, tcp_port: int) -> None:
    socket.create_connection(("127.0.0.1", tcp_port), timeout=3).close()  # control: reachable from outside
    code = f"""
    import socket
    for name, attempt in [
        ("tcp", lambda: socket.create_connection(("127.0.0.1", {tcp_port}), timeout=3)),
        ("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))),
        ("dns", lambda: socket.getaddrinfo("example.com", 80)),
        ("ipv6", lambda: socket.create_connection(("::1", {tcp_port}), timeout=3)),
    ]:
        try:
            attempt()
            print("REACHED", name)
        except OSError as exc:
            print("refused", name)
    print("interfaces:", [name for _, name in socket.if_nameindex()])
    """
    text = await outcome(code, workspace)
    assert "REACHED" not in text
    assert "interfaces: ['lo']" in text


# --- output, refusal and the opt-out --------------------------------------------------------------------------


async def test_output_is_kept_faithfully_as_valid_text(workspace: Path) -> None:
    code = """
    import sys
    sys.stdout.buffer.write(b"bytes \\xff\\xfe and a latin-1 caf\\xe9\\n")
    print("x" * 3_000_000)
    print("MARKER: the end", "\\udcff".encode("utf-8", "surrogateescape"))
    """
    text = await run_python(textwrap.dedent(code), workspace)
    text.encode("utf-8")  # no lone surrogates: the observation is valid text
    assert text.startswith("[... earlier output cut]")
    assert text.rstrip().endswith("MARKER: the end b'\\xff'")


async def test_without_bubblewrap_the_tool_refuses(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    sandbox_support.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="refused to run code: bubblewrap .* is not installed"):
            await run_python("open('ran.txt', 'w').write('x')", workspace)
        assert not (workspace / "ran.txt").exists()
    finally:
        sandbox_support.cache_clear()


async def test_the_documented_opt_out_runs_unconfined(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRT_PYTHON_SANDBOX", "off")
    sandbox_support.cache_clear()
    try:
        assert "OFF" in sandbox_support().describe()
        text = await run_python("import os\nprint(os.getuid(), os.getcwd())", workspace)
        assert text.split() == [str(os.getuid()), str(workspace.resolve())]
        with pytest.raises(ToolError, match="timed out"):
            await run_python("while True: pass", workspace, limits=SandboxLimits(timeout_s=1))
    finally:
        monkeypatch.delenv("AGENTRT_PYTHON_SANDBOX")
        sandbox_support.cache_clear()


async def test_sandboxes_run_side_by_side_without_blocking_the_event_loop(workspace: Path) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    results = await asyncio.gather(*(run_python(f"print({i} * 7)", workspace) for i in range(4)))
    task.cancel()
    assert [r.strip() for r in results] == ["0", "7", "14", "21"]
    assert ticks > 5


@pytest.mark.parametrize("folder", ["/", "/tmp", "PREFIX", "AGENTS"])
async def test_workspaces_that_would_expose_the_system_are_refused(folder: str) -> None:
    path = {"PREFIX": Path(sys.prefix).parent, "AGENTS": Path(agents.__file__).parent.parent}.get(folder, Path(folder))
    with pytest.raises(ToolError, match="refused workspace"):
        await run_python("print('ran')", path)
