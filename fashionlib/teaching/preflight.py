"""Before grading: does the grader's own machinery work here?

A canary notebook that any working setup runs (it imports NumPy and the
student build) goes through the runner exactly as a submission does:
same sandbox, memory limit and Python.  If it does not come back with an
empty report, the fault is the grader's (a Python environment the sandbox
cannot see, a memory limit too small for a kernel, ...): the grade run
stops with the reason, and no student gets a 0 for it.
"""

import json
import subprocess
import tempfile
from pathlib import Path

import nbformat

from fashionlib.teaching import sandbox
from fashionlib.teaching.rubric import GradingError

#: The canary's one cell, what every submission's kernel must manage.
CANARY = "import numpy\nimport fashionlib.activations"
#: Seconds the canary may take (a kernel starts in a few).
CANARY_TIMEOUT = 120


def canary_job(folder, sandboxed):
    """Fill ``folder`` with the runner's job: the canary, no probes."""
    (folder / "work").mkdir(parents=True)
    cells = [nbformat.v4.new_code_cell(CANARY)]
    nbformat.write(
        nbformat.v4.new_notebook(cells=cells), folder / "submission.ipynb"
    )
    job = {
        "cell_timeout": CANARY_TIMEOUT,
        "notebook_timeout": CANARY_TIMEOUT,
        "output_limit": 100_000,
        "check_timeout": 10,
        "sandboxed": sandboxed,
        "calls": {},
    }
    (folder / "job.json").write_text(json.dumps(job))


def canary_command(folder, lib, tools, data, settings):
    """The command and environment a submission's runner gets."""
    if settings.sandboxed:
        command = sandbox.command(folder, lib, tools, data, settings.memory)
        return command, None
    command = sandbox.unsandboxed_command(folder, tools)
    return command, sandbox.unsandboxed_environment(lib, data)


def canary_problem(folder, lib, tools, data, settings):
    """What went wrong running the canary, or None if it ran cleanly."""
    canary_job(folder, settings.sandboxed)
    command, env = canary_command(folder, lib, tools, data, settings)
    try:
        result = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=CANARY_TIMEOUT + 30,
        )
    except subprocess.TimeoutExpired:
        return f"it did not finish in {CANARY_TIMEOUT + 30} s"
    try:
        notes = json.loads((folder / "runner.json").read_text())["notes"]
    except (OSError, ValueError, KeyError):
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"the runner exited with status {result.returncode} ({last})"
    return "; ".join(map(str, notes)) or None


def check_machinery(lib, tools, data, settings):
    """Raise GradingError, saying what to change, unless the canary runs
    with ``settings`` (memory, sandbox) as a submission would."""
    with tempfile.TemporaryDirectory(prefix="fashionlib-canary-") as folder:
        problem = canary_problem(Path(folder), lib, tools, data, settings)
    if problem:
        raise GradingError(
            "the grader's own runner failed on a notebook that only "
            f"imports numpy ({problem}), so no submission was graded: "
            f"with --memory {settings.memory / 1024**3:g} GiB, try the "
            "default 2; check that the Python environment is readable"
        )
