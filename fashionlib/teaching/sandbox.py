"""The sandbox each submission runs in: bubblewrap (``bwrap``) and limits.

Inside, the submission sees a read-only system (``/usr``, ``/etc``, the
Python environment), a private ``/tmp`` and home, the student build at
``/grader/lib``, the data read-only at ``/data``, and one writable folder,
``/job``, holding its own copy of the notebook. Nothing else of the machine
is mounted: not the other submissions, not the instructor's home, not the
repository. There is no network (a private network namespace with only
loopback), every process lives in a private PID namespace that dies with
the runner, and ``prlimit`` caps the address space and the processes.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: Bytes of address space a submission may use (2 GiB).
MEMORY_LIMIT = 2 * 1024**3
#: Processes (threads included) the sandbox's user may run.
PROCESS_LIMIT = 256
#: What to install where bwrap is missing.
INSTALL = "sudo apt-get install bubblewrap"
#: The instructor's fashionlib (the reference), never visible inside.
PACKAGE = Path(__file__).resolve().parents[1]
#: System folders mounted read-only (those that exist).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
#: Where the sandbox sees the job folder, the student build, the data.
JOB, LIB, DATA, TOOLS = "/job", "/grader/lib", "/data", "/grader/bin"


class SandboxError(RuntimeError):
    """The sandbox cannot be used here; the message says what to do."""


def bwrap_path():
    """The bwrap command; SandboxError with the install command if absent."""
    found = shutil.which("bwrap")
    if not found:
        raise SandboxError(
            f"bubblewrap (bwrap) is not installed: {INSTALL}, or grade "
            "without a sandbox with --no-sandbox (see the README: it "
            "exposes your files and network to the submissions)"
        )
    return found


def require():
    """Check that bwrap is installed and can make a sandbox here.

    Raises SandboxError with the install command, or with bwrap's own
    complaint (user namespaces disabled, for example).
    """
    probe = [bwrap_path(), "--ro-bind", "/", "/", "--unshare-all", "true"]
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        raise SandboxError(
            f"bwrap cannot make a sandbox here ({result.stderr.strip()}): "
            "allow unprivileged user namespaces (e.g. sysctl "
            "kernel.unprivileged_userns_clone=1), or grade with "
            "--no-sandbox (see the README for what that exposes)"
        )


def python_roots():
    """The folders the Python environment lives in (venv and base)."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return sorted(str(r) for r in roots if not str(r).startswith("/usr"))


def python_executable():
    """The running Python by its resolved folder: the sandbox binds the
    resolved roots, so a venv reached through a link must be started
    there (the name stays: a venv's python finds its pyvenv.cfg beside)."""
    executable = Path(sys.executable)
    return executable.parent.resolve() / executable.name


def environment(data_dir):
    """Environment variables of the sandboxed runner and its kernel."""
    return {
        "HOME": "/tmp/home",
        "PATH": f"{python_executable().parent}:/usr/bin:/bin",
        "PYTHONPATH": LIB,
        "FASHIONLIB_DATA": DATA if data_dir else "/nonexistent",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def command(
    job, lib, tools, data_dir, memory=MEMORY_LIMIT, program="runner.py"
):
    """The bwrap command that runs ``tools/PROGRAM`` on folder ``job``.

    ``lib`` holds the student build (a folder named fashionlib inside),
    ``tools`` the runner and harness, ``data_dir`` the data (or None).
    The runner gets ``job`` writable and works in ``job/work``; the
    harness (the probe process) gets it read-only and works in ``/tmp``.
    """
    probing = program == "harness.py"
    args = [bwrap_path()]
    for folder in SYSTEM:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        else:
            args += ["--ro-bind-try", folder, folder]
    # the private /tmp first: a Python environment inside /tmp (a checkout
    # there) is bound on top of it, not hidden by it
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for root in python_roots():
        args += ["--ro-bind", root, root]
    if any(PACKAGE.is_relative_to(root) for root in python_roots()):
        args += ["--tmpfs", str(PACKAGE)]  # an installed reference: masked
    args += ["--dir", "/tmp/home"]
    args += ["--ro-bind" if probing else "--bind", str(job), JOB]
    args += ["--ro-bind", str(lib), LIB]
    args += ["--ro-bind", str(tools), TOOLS]
    if data_dir:
        args += ["--ro-bind", str(data_dir), DATA]
    args += ["--remount-ro", "/", "--unshare-all", "--die-with-parent"]
    work = "/tmp" if probing else f"{JOB}/work"
    args += ["--new-session", "--chdir", work, "--clearenv"]
    for key, value in environment(data_dir).items():
        args += ["--setenv", key, value]
    limits = [f"--as={memory}", f"--nproc={PROCESS_LIMIT}"]
    return args + [
        "prlimit",
        *limits,
        "--",
        str(python_executable()),
        f"{TOOLS}/{program}",
        JOB,
    ]


def unsandboxed_command(job, tools, program="runner.py"):
    """The runner (or harness) without a sandbox (``--no-sandbox``)."""
    return [sys.executable, str(Path(tools) / program), str(job)]


def unsandboxed_environment(lib, data_dir):
    """The environment of an unsandboxed runner: the student build first."""
    env = {**os.environ, "PYTHONPATH": str(lib), "MPLBACKEND": "Agg"}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if data_dir:
        env["FASHIONLIB_DATA"] = str(data_dir)
    return env
