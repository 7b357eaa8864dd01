"""Command line: ``python -m fashionlib data`` fetches, verifies and caches
Fashion-MNIST; ``student`` makes the student edition; ``grade`` grades
student notebooks; ``train`` trains a multilayer perceptron with
mini-batches.  A user error ends in one ``error: ...`` line, exit status 1;
Ctrl-C in exit status 130, without a traceback."""

import argparse
import sys
from pathlib import Path

from fashionlib import data
from fashionlib.cli_train import INTERRUPTED, add_train_command


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
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except USER_ERRORS as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 1


#: Errors caused by the user's data, paths or values: one line, exit 1.
#: FloatingPointError is a diverging training run.
USER_ERRORS = (data.DataError, FloatingPointError, OSError, ValueError)


def describe(error):
    """The message of a user error; an OSError names the path and the fix."""
    if isinstance(error, OSError) and error.filename:
        return (
            f"cannot use {error.filename}: {error.strerror or error}; "
            "choose another path or make this one writable"
        )
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
