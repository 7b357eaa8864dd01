"""Execute one submitted notebook, for the student's feedback only.

Started by the grader as ``python runner.py JOB_FOLDER`` (inside the
sandbox when there is one). It imports no ``fashionlib``: the kernel sees
only the student build. It writes into JOB_FOLDER ``executed.ipynb`` (the
notebook with its outputs) and ``runner.json`` (notes on what went wrong).
Nothing here decides a point: the probes run in a process of their own
(:mod:`fashionlib.teaching.harness`), and the grader reads these files
back as hostile input.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def output_capped_client(limit):
    """An nbclient NotebookClient class that keeps ``limit`` output chars."""
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        output_kept = 0
        output_limit = limit
        output_dropped = False

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {})))
            if self.output_kept + size > self.output_limit:
                self.output_dropped = True
                return None
            self.output_kept += size
            return super().output(outs, msg, display_id, cell_index)

    return GradingClient


def execute_extra(client, source):
    """Execute a cell of the grader's after the notebook's, then drop it."""
    import nbformat

    cells = client.nb.cells
    cells.append(nbformat.v4.new_code_cell(source))
    try:
        client.execute_cell(cells[-1], len(cells) - 1)
    finally:
        cells.pop()


def kernel_answers(client, seconds=10):
    """Whether the kernel runs an empty cell within ``seconds``."""
    timeout, client.timeout = client.timeout, seconds
    started = time.monotonic()
    execute_extra(client, "pass")
    client.timeout = timeout
    return time.monotonic() - started < seconds


def run_cells(client, cells, job, notes):
    """Execute the submission's code cells; stop early if the kernel is
    lost."""
    deadline = time.monotonic() + job["notebook_timeout"]
    for index, cell in cells:
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            notes.append(
                f"stopped after {job['notebook_timeout']} s: cells from "
                f"{index} on were not run"
            )
            return
        if cell.cell_type != "code":
            continue
        client.timeout = max(1, int(min(job["cell_timeout"], remaining)))
        started = time.monotonic()
        client.execute_cell(cell, index)
        errors = [
            f"{out.get('ename', '')}: {out.get('evalue', '')}"[:200]
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        if errors:
            notes.append(f"cell {index} raised {errors[0]}")
        if time.monotonic() - started >= client.timeout:
            notes.append(
                f"cell {index} ran longer than {client.timeout} s and was "
                "interrupted"
            )
            if not kernel_answers(client):
                notes.append(
                    "the kernel ignored the interrupt and was stopped"
                )
                return


def replace(path, text):
    """Write ``text`` to a new file that takes the place of ``path``
    (whatever the notebook left there: a link, a pipe, a folder)."""
    temporary = path.with_name(f".{path.name}.new")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.unlink(missing_ok=True)
    with open(temporary, "x") as f:
        f.write(text)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    os.replace(temporary, path)


def leftover_processes():
    """Processes of this PID namespace other than this one and its parents."""
    mine = {os.getpid(), os.getppid(), 1}
    return [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and int(entry) not in mine
    ]


def run(folder):
    """Execute the job in ``folder``; returns the notes."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    job = json.loads((folder / "job.json").read_text())
    notebook = nbformat.read(folder / "submission.ipynb", as_version=4)
    client = output_capped_client(job["output_limit"])(
        notebook,
        timeout=job["cell_timeout"],
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"cell ran longer than {job['cell_timeout']} s",
        },
        resources={"metadata": {"path": str(folder / "work")}},
    )
    notes = []
    cells = list(enumerate(notebook.cells))
    try:
        with client.setup_kernel(
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ):
            run_cells(client, cells, job, notes)
            if client.output_dropped:
                notes.append(
                    f"output beyond {job['output_limit']} characters was "
                    "discarded"
                )
    except DeadKernelError:
        notes.append(
            "the kernel died (the submission ended its own process or ran "
            "out of memory)"
        )
    if job["sandboxed"] and leftover_processes():
        notes.append(
            "left background processes running; they were killed at the end"
        )
    replace(folder / "executed.ipynb", nbformat.writes(notebook))
    return notes


def main(folder):
    """Run the job in ``folder`` and write ``runner.json``."""
    folder = Path(folder)
    notes = run(folder)
    replace(folder / "runner.json", json.dumps({"notes": notes}))


if __name__ == "__main__":
    main(sys.argv[1])
