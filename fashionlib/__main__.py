"""Command line: ``python -m fashionlib data`` fetches, verifies and caches Fashion-MNIST;
``student`` makes the student edition; ``grade`` grades student notebooks;
``train`` trains a multilayer perceptron with mini-batches."""

import argparse
import sys
from pathlib import Path

from fashionlib import data
from fashionlib.cli_train import add_train_command


def run_data(args):
    """Prepare the npz cache and report what was used; exit status 1 with the fix on failure."""
    folder = Path(args.data_dir) if args.data_dir else data.default_data_dir()
    print(f"preparing Fashion-MNIST in {folder}")
    try:
        data.prepare(folder, download_allowed=not args.no_download)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
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
        help="cache folder (default: data/ of the checkout, or $FASHIONLIB_DATA)",
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
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
