"""Grading throughput: submissions per minute with --jobs 1 and --jobs N.

Generates NUMBER submissions to the activations chapter (one folder per
student; right and wrong functions in turn), grades them in the sandbox
with each job count, and prints the rate and the speed-up over one job.
A measurement, not a test: nothing fails when it is slow.

    .venv/bin/python bench/grading_throughput.py --number 50 --jobs 1 2
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from fashionlib.teaching import examples, grading


def make_course(folder, number):
    """``number`` student folders, each with an activations notebook."""
    for i in range(number):
        code = (
            examples.RIGHT_ACTIVATIONS if i % 2 else examples.SLIP_ACTIVATIONS
        )
        path = Path(folder) / f"student{i:03d}" / "activations.ipynb"
        examples.write_submission(path, [code])


def rate(submissions, jobs):
    """(seconds, submissions per minute) of grading with ``jobs`` jobs."""
    started = time.perf_counter()
    grading.grade(submissions, grading.Settings(), jobs=jobs)
    seconds = time.perf_counter() - started
    return seconds, 60 * len(submissions) / seconds


def main():
    """Grade the generated course with each job count and print rates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=50)
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=[1, os.cpu_count() or 1]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        make_course(folder, args.number)
        submissions = grading.find_submissions([folder], "all")
        print(f"{len(submissions)} submissions, {os.cpu_count()} cores")
        first = None
        for jobs in args.jobs:
            seconds, per_minute = rate(submissions, jobs)
            first = first or per_minute
            print(
                f"--jobs {jobs}: {seconds:.0f} s, {per_minute:.1f} "
                f"submissions/minute, speed-up {per_minute / first:.2f}x, "
                f"load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
