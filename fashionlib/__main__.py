"""Command line: ``python -m fashionlib data`` fetches, verifies and caches
Fashion-MNIST; ``student`` makes the student edition; ``grade`` grades
student notebooks; ``train`` trains a multilayer perceptron with
mini-batches.  A user error ends in one ``error: ...`` line, exit status 1;
Ctrl-C in exit status 130, another ending signal in 128 + its number,
without a traceback."""

import argparse
import sys
from pathlib import Path

from fashionlib import data
from fashionlib._signals import (
    ending_signals_as_interrupts,
    exit_status,
    interrupted_by,
)
from fashionlib._streams import Guarded
from fashionlib.cli_train import add_train_command


def run_data(args):
    """Prepare the npz cache and report what was used."""
    folder = Path(args.data_dir) if args.data_dir else data.default_data_dir()
    print(f"preparing Fashion-MNIST in {folder}")
    data.prepare(folder, download_allowed=not args.no_download)
    print("data ready")
    return 0


def build_parser():
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="python -m fashionlib", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    data_command = commands.add_parser(
        "data", help="fetch, verify and cache Fashion-MNIST"
    )
    data_command.add_argument(
        "--data-dir",
        help="cache folder (default: data/ of the checkout, "
        "or $FASHIONLIB_DATA)",
    )
    data_command.add_argument(
        "--no-download", action="store_true", help="never try the network"
    )
    data_command.set_defaults(run=run_data)
    from fashionlib.teaching.cli import add_teaching_commands

    add_teaching_commands(commands)
    add_train_command(commands)
    return parser


def main(argv=None):
    """Parse ``argv`` and run the chosen command; returns the exit status.

    A signal that ends runs (SIGTERM, SIGHUP, ...) is handled like Ctrl-C;
    a failing stdout or stderr does not stop the command (see
    :mod:`fashionlib._streams`) but makes the status 1.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    streams = Guarded(sys.stdout), Guarded(sys.stderr)
    sys.stdout, sys.stderr = streams
    try:
        with ending_signals_as_interrupts():
            status = run(args)
    finally:
        sys.stdout, sys.stderr = (guarded.stream for guarded in streams)
    return stream_status(status, streams)


def run(args):
    """Run the command of ``args``; user errors and interrupts in one
    line on stderr.  Returns the exit status."""
    try:
        return args.run(args)
    except KeyboardInterrupt as interrupt:
        print(interrupted_by(interrupt), file=sys.stderr)
        return exit_status(interrupt)
    except USER_ERRORS as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 1


def stream_status(status, streams):
    """``status``, or 1 if it was 0 and stdout or stderr failed (said on
    stderr when stderr still works)."""
    failed = [
        f"{name} ({guarded.error.strerror or guarded.error})"
        for name, guarded in zip(("stdout", "stderr"), streams, strict=True)
        if guarded.error is not None
    ]
    if not failed:
        return status
    if streams[1].error is None:
        print(
            f"error: could not write to {failed[0]}; the run went on to its "
            "end and saved what it was asked to",
            file=sys.stderr,
        )
    return status or 1


#: Errors caused by the user's data, paths or values: one line, exit 1.
#: FloatingPointError is a diverging training run, MemoryError a run
#: refused up front (or a size beyond this machine).
USER_ERRORS = (
    data.DataError,
    FloatingPointError,
    MemoryError,
    OSError,
    ValueError,
)


def describe(error):
    """The message of a user error; an OSError names the path and the fix."""
    if isinstance(error, OSError) and error.filename:
        return (
            f"cannot use {error.filename}: {error.strerror or error}; "
            "choose another path or make this one writable"
        )
    if isinstance(error, MemoryError) and not str(error):
        return "out of memory: choose smaller sizes"
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
