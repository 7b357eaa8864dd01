"""Reading what a submission could touch: every byte of it is hostile.

A file is read only when it is a regular file, opened without following a
link (``O_NOFOLLOW``) and without waiting on a pipe (``O_NONBLOCK``), and
no larger than a cap checked before reading. An npz is loaded only when
its members are stored uncompressed and their declared sizes fit the cap.
A notebook is parsed only under a size cap, validated by ``nbformat``, and
its code cells are capped before anything parses them. Each refusal is a
:class:`HostileInput` whose message names the file and the reason.
"""

import errno
import io
import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np

#: Bytes of a submitted notebook (outputs included).
NOTEBOOK_LIMIT = 8 * 1024**2
#: Characters of one code cell, and of all code cells together.
CELL_LIMIT, CODE_LIMIT = 100_000, 400_000
#: Cells of a notebook, and outputs of all its cells. Validating costs
#: time and memory in proportion to their number.
CELLS_LIMIT, OUTPUTS_LIMIT = 2_000, 10_000


class HostileInput(ValueError):
    """A file cannot be trusted or read; the message names it and why."""


def read_capped(path, cap):
    """The bytes of the regular file ``path``, at most ``cap`` of them."""
    name = Path(path).name
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise HostileInput(f"{name} is a link, not a file") from None
        raise HostileInput(
            f"{name} cannot be opened: {error.strerror}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HostileInput(f"{name} is not a regular file")
        if info.st_size > cap:
            raise HostileInput(
                f"{name} holds {info.st_size} bytes, more than the "
                f"{cap} allowed"
            )
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise HostileInput(f"{name} grew beyond {cap} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_npz(data, cap, name="results"):
    """{key: array} of the npz bytes ``data``: stored members, <= ``cap``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
        if any(m.compress_type != zipfile.ZIP_STORED for m in members):
            raise HostileInput(f"{name} holds compressed members")
        if sum(m.file_size for m in members) > cap:
            raise HostileInput(f"{name} declares more than {cap} bytes")
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        if isinstance(error, HostileInput):
            raise
        raise HostileInput(f"{name} is not a readable npz: {error}") from None


def read_json(path, cap):
    """The JSON value in file ``path`` (at most ``cap`` bytes)."""
    try:
        return json.loads(read_capped(path, cap))
    except (ValueError, RecursionError) as error:
        if isinstance(error, HostileInput):
            raise
        raise HostileInput(f"{Path(path).name} is not JSON: {error}") from None


def count_problem(value):
    """Why the JSON ``value`` has too many cells or outputs, or None."""
    cells = value.get("cells") if isinstance(value, dict) else None
    if not isinstance(cells, list):
        return None  # validation names what is wrong
    outputs = sum(
        len(c.get("outputs") or ()) for c in cells if isinstance(c, dict)
    )
    if len(cells) > CELLS_LIMIT or outputs > OUTPUTS_LIMIT:
        return (
            f"holds {len(cells)} cells and {outputs} outputs, more than the "
            f"{CELLS_LIMIT} and {OUTPUTS_LIMIT} the grader reads"
        )
    return None


def parse_notebook(data, name):
    """A validated nbformat v4 notebook from the bytes ``data``."""
    import nbformat

    try:
        text = data.decode("utf-8")
        problem = count_problem(json.loads(text))
        if problem:
            raise HostileInput(f"{name} {problem}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except HostileInput:
        raise
    except (
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        RecursionError,
        nbformat.ValidationError,
    ) as error:
        reason = " ".join(str(error).split())[:200]
        raise HostileInput(
            f"{name} is not a valid notebook: {reason}"
        ) from None
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    longest = max(map(len, code), default=0)
    if longest > CELL_LIMIT or sum(map(len, code)) > CODE_LIMIT:
        raise HostileInput(
            f"{name} holds more code than the grader reads ({CELL_LIMIT} "
            f"characters a cell, {CODE_LIMIT} in all)"
        )
    return notebook


def read_notebook(path, cap=NOTEBOOK_LIMIT):
    """The notebook in file ``path``, read and validated as hostile input."""
    return parse_notebook(read_capped(path, cap), Path(path).name)
