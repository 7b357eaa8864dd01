"""Signals that end a run, handled like Ctrl-C.

Inside :func:`ending_signals_as_interrupts`, each signal of
:data:`ENDING` (SIGTERM from ``timeout`` or a scheduler, SIGHUP from a
closed terminal, ...) raises :class:`Stopped`, a KeyboardInterrupt: so
whatever a command saves on Ctrl-C it saves on these too.  SIGKILL cannot
be caught; atomic writes leave nothing half-written then.
"""

import signal
from contextlib import contextmanager

#: The signals whose default action ends a process and that can be caught
#: (Python already turns SIGINT into KeyboardInterrupt and ignores SIGPIPE
#: and SIGXFSZ, whose failures surface as OSError).
ENDING = tuple(
    getattr(signal, name)
    for name in (
        "SIGHUP",
        "SIGTERM",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGALRM",
        "SIGXCPU",
        "SIGVTALRM",
        "SIGPROF",
    )
    if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """The run was ended by the signal ``signum``."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(interrupt):
    """The shells' status of a run ended by ``interrupt``: 128 + signal."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def interrupted_by(interrupt):
    """ "interrupted" (Ctrl-C) or "interrupted by SIGTERM" (the signal)."""
    if isinstance(interrupt, Stopped):
        return f"interrupted by {interrupt}"
    return "interrupted"


@contextmanager
def ending_signals_as_interrupts():
    """Within the block, the first :data:`ENDING` signal raises
    :class:`Stopped`; later ones are ignored, so that what the first one
    makes the program save is saved whole."""

    def stop(signum, frame):
        for number in ENDING:
            signal.signal(number, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {number: signal.signal(number, stop) for number in ENDING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
