"""Atomic file writes: complete files or nothing, never a half-written one.

Each target is written to a hidden temporary file beside it,
``.<name>.<random>.part``, which replaces the target only once every
byte is on disk.  The writer holds an advisory lock on its temporary file,
so :func:`sweep` can tell the leftovers of a killed process (unlocked)
from a write in progress (locked) and removes only the former.
"""

import errno
import fcntl
import os
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

#: Suffix of the temporary files.
PART = ".part"


def current_umask():
    """The process's file-creation mask (read by setting it and restoring)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_file(target):
    """A new locked temporary file beside ``target``, open for binary writing.

    Creates the target's folder if needed; an OSError names that folder.
    A concurrent :func:`sweep` may remove the file between its creation
    and its lock (sweep unlinks only while it holds the lock): a file
    found unlinked once locked is dropped and another one made.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            file = tempfile.NamedTemporaryFile(
                dir=target.parent,
                prefix=f".{target.name}.",
                suffix=PART,
                delete=False,
            )
        except OSError as error:
            error.filename = str(target.parent)
            raise
        fcntl.flock(file, fcntl.LOCK_EX)
        if os.fstat(file.fileno()).st_nlink:
            return file
        file.close()


def discard(file):
    """Close ``file`` and remove it; errors here are ignored (the first
    error, which made the write fail, is the one to report)."""
    try:
        file.close()
    except OSError:
        pass
    Path(file.name).unlink(missing_ok=True)


@contextmanager
def atomic_files(*targets):
    """Write several files as a set: yields one open binary file per target.

    On success every file is flushed, synced and given the mode a new
    file gets (``0o666`` minus the umask); only then are they renamed onto
    their targets, one after the other.  On any failure every temporary
    file is removed and the error propagates (a system error without a
    file name, such as a full disk, gets the first target's); a target that is
    a folder is refused before any target changes.
    """
    try:
        with ExitStack() as cleanup:
            files = []
            for target in targets:
                files.append(temporary_file(target))
                cleanup.callback(discard, files[-1])
            yield files
            mode = 0o666 & ~current_umask()
            for file, target in zip(files, targets, strict=True):
                file.flush()
                os.fsync(file.fileno())
                os.chmod(file.name, mode)
                refuse_folder(target)
            for file, target in zip(files, targets, strict=True):
                os.replace(file.name, target)
    except OSError as error:
        if error.errno is not None and error.filename is None:
            error.filename = str(targets[0])
        raise


@contextmanager
def atomic_file(target):
    """Write one file atomically: yields an open binary file (see above)."""
    with atomic_files(target) as (file,):
        yield file


def check_writable(*targets):
    """Raise OSError unless each target could be written here and now.

    A target must not be a folder, its folder not a file, and its folder
    must accept a new file (checked by creating and removing one).
    """
    for target in map(Path, targets):
        if target.parent.exists() and not target.parent.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "is a file, not a folder", str(target.parent)
            )
        refuse_folder(target)
        discard(temporary_file(target))


def refuse_folder(target):
    """Raise IsADirectoryError if the path ``target`` is a folder."""
    if Path(target).is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "is a folder, not a file name", str(target)
        )


def sweep(*targets):
    """Remove stale temporary files of ``targets`` left by killed writers.

    A temporary file is stale when no process holds its lock.  Returns
    the removed paths.
    """
    removed = []
    for target in map(Path, targets):
        if not target.parent.is_dir():
            continue
        for part in target.parent.glob(f".{target.name}.*{PART}"):
            if remove_unlocked(part):
                removed.append(part)
    return removed


def remove_unlocked(path):
    """Remove the file ``path`` if no process holds its lock; True if
    removed.  The lock is taken for the removal, so a writer that locks
    its new file meanwhile finds it unlinked (see :func:`temporary_file`).
    """
    try:
        with open(path, "rb") as file:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            Path(path).unlink(missing_ok=True)
            return True
    except (BlockingIOError, FileNotFoundError):
        return False
