"""Atomic writes: complete files or nothing, under failures and kills."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from fashionlib import _files


def names(folder):
    """Every file in ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def test_a_write_replaces_the_target_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with _files.atomic_file(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and names(tmp_path) == ["out.bin"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_files.current_umask()


@pytest.mark.parametrize("where", ["block", "fsync", "chmod", "replace"])
def test_a_failure_anywhere_leaves_the_old_file_and_no_temporary(
    tmp_path, monkeypatch, where
):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where != "block":
        monkeypatch.setattr(os, where, disk_full)
    with pytest.raises(OSError, match="No space left") as error:
        with _files.atomic_file(target) as f:
            f.write(b"half")
            if where == "block":
                disk_full()
    assert error.value.filename == str(target)
    assert names(tmp_path) == ["out.bin"] and target.read_bytes() == b"old"


def test_a_folder_as_target_fails_and_leaves_nothing(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError):
        with _files.atomic_file(tmp_path / "out") as f:
            f.write(b"data")
    assert names(tmp_path) == ["out"]


def test_a_pair_is_written_both_or_neither(tmp_path):
    first, second = tmp_path / "a.npz", tmp_path / "a.json"
    first.write_bytes(b"old a")
    second.mkdir()  # replacing a folder by a file fails
    with pytest.raises(IsADirectoryError):
        with _files.atomic_files(first, second) as (f, g):
            f.write(b"new a")
            g.write(b"new b")
    assert names(tmp_path) == ["a.json", "a.npz"]
    assert first.read_bytes() == b"old a"
    second.rmdir()
    with _files.atomic_files(first, second) as (f, g):
        f.write(b"new a")
        g.write(b"new b")
    assert (first.read_bytes(), second.read_bytes()) == (b"new a", b"new b")


def test_a_failure_in_the_block_changes_neither_file_of_a_pair(tmp_path):
    first, second = tmp_path / "a.npz", tmp_path / "a.json"
    with pytest.raises(RuntimeError):
        with _files.atomic_files(first, second) as (f, g):
            f.write(b"a")
            raise RuntimeError("stop")
    assert names(tmp_path) == []


def test_check_writable_names_the_problem(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(IsADirectoryError) as error:
        _files.check_writable(tmp_path / "folder.npz")
    assert error.value.filename == str(tmp_path / "folder.npz")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        _files.check_writable(tmp_path / "file" / "x.npz")
    _files.check_writable(tmp_path / "new" / "x.npz")
    assert names(tmp_path / "new") == []


def test_sweep_removes_only_unlocked_temporaries(tmp_path):
    target = tmp_path / "x.npz"
    stale = tmp_path / f".x.npz.abc{_files.PART}"
    stale.write_bytes(b"left by a killed run")
    other = tmp_path / f".y.npz.abc{_files.PART}"
    other.write_bytes(b"another target's")
    live = _files.temporary_file(target)  # holds its lock
    try:
        assert _files.sweep(target) == [stale]
        assert sorted(names(tmp_path)) == sorted(
            [other.name, os.path.basename(live.name)]
        )
    finally:
        _files.discard(live)


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fashionlib import _files
    target = sys.argv[1]
    data = np.arange(2_000_000, dtype=np.int64)
    print("ready", flush=True)
    while True:
        with _files.atomic_file(target) as f:
            np.save(f, data)
    """
)


@pytest.mark.slow  # kills a real subprocess many times
def test_random_kills_leave_only_complete_files(tmp_path):
    """SIGKILL a process rewriting a 16 MB file at random moments; the file
    always loads completely, and a sweep removes what the kills left."""
    target = tmp_path / "array.npy"
    rng = np.random.default_rng(0)
    for delay in rng.uniform(0.05, 0.4, size=6):
        writer = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(target)],
            stdout=subprocess.PIPE,
        )
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        if target.exists():
            assert np.load(target)[-1] == 2_000_000 - 1
    _files.sweep(target)
    assert names(tmp_path) in ([], ["array.npy"])
