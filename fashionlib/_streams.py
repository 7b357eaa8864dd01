"""Output streams whose failure does not end the run.

A run piped into ``head -1`` (broken pipe) or writing to a full disk must
still save its model: :class:`Guarded` records the first OSError of a
stream, sends the rest of its output to ``/dev/null`` and lets the run go
on; the command then says so and exits non-zero.
"""

import os


class Guarded:
    """Wraps a text stream; ``error`` is its first OSError (or None)."""

    def __init__(self, stream):
        self.stream, self.error = stream, None

    def write(self, text):
        """Write ``text`` unless the stream failed; returns its length."""
        self.guard(self.stream.write, text)
        return len(text)

    def flush(self):
        """Flush unless the stream failed."""
        self.guard(self.stream.flush)

    def guard(self, action, *args):
        """Run ``action(*args)``; on OSError record it and silence the
        stream's file descriptor, so that no later flush fails again."""
        if self.error is not None:
            return
        try:
            action(*args)
        except OSError as error:
            self.error = error
            silence(self.stream)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def silence(stream):
    """Point ``stream``'s file descriptor at /dev/null, if it has one."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)
