"""The mutation score of ``make mutation``, with the equivalent mutants set
aside.

mutmut 3 leaves its verdicts in ``mutants/fashionlib/<module>.py.meta`` (an
exit code per mutant: 0 means the tests still passed, the mutant survived).
A mutant not run (``make mutation MUTANTS=...`` runs some) has no code and
is left out.  ``tests/equivalent_mutants.txt`` lists, one per line, the
survivors judged equivalent, each with why: ``<mutant name>  <reason>``.
This prints, per module, the mutants, the killed, the equivalent and the
score

    killed / (mutants - equivalent)

then the survivors nobody judged, and the listed names that no longer
survive (the code changed: drop or re-judge them).  Exit status 1 when the
score is below ``--target`` percent.

    .venv/bin/python tests/mutation_score.py [--target 95]
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "equivalent_mutants.txt"


def verdicts(mutants_dir):
    """``{module: {mutant name: exit code}}`` from mutmut's meta files."""
    found = {}
    for meta in sorted(Path(mutants_dir).glob("fashionlib/*.py.meta")):
        module = meta.name.removesuffix(".py.meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        run = {name: code for name, code in codes.items() if code is not None}
        if run:  # modules left out of this run (MUTANTS=...) have no codes
            found[module] = run
    if not found:
        sys.exit(f"no mutmut results in {mutants_dir}: run make mutation")
    return found


def equivalents(path=EQUIVALENTS):
    """``{mutant name: reason}`` from the list of equivalent survivors."""
    listed = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {name} has no reason")
        listed[name] = reason.strip()
    return listed


def score(found, listed):
    """Rows ``(module, mutants, killed, equivalent, percent)``, the
    unjudged survivors and the stale names of ``listed``."""
    rows, unjudged, alive = [], [], set()
    for module, codes in found.items():
        survivors = {name for name, code in codes.items() if code == 0}
        alive |= survivors
        equivalent = survivors & listed.keys()
        unjudged += sorted(survivors - equivalent)
        killed = len(codes) - len(survivors)
        judged = len(codes) - len(equivalent)
        percent = 100 * killed / judged if judged else 100.0
        rows.append((module, len(codes), killed, len(equivalent), percent))
    return rows, unjudged, sorted(listed.keys() - alive)


def main():
    """Print the table; exit 1 below the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutants", default=ROOT / "mutants")
    parser.add_argument("--target", type=float, default=95.0)
    args = parser.parse_args()
    rows, unjudged, stale = score(verdicts(args.mutants), equivalents())
    print(f"{'module':12} {'mutants':>7} {'killed':>7} {'equiv.':>7} score")
    for module, total, killed, equivalent, percent in rows:
        print(
            f"{module:12} {total:7} {killed:7} {equivalent:7} {percent:.1f} %"
        )
    total = sum(r[1] for r in rows)
    killed = sum(r[2] for r in rows)
    equivalent = sum(r[3] for r in rows)
    overall = 100 * killed / (total - equivalent)
    print(f"{'all':12} {total:7} {killed:7} {equivalent:7} {overall:.1f} %")
    print(f"\n{len(unjudged)} survivors not judged equivalent:")
    print("\n".join(f"  {name}" for name in unjudged))
    if stale:
        print(f"\n{len(stale)} listed as equivalent but no longer survive:")
        print("\n".join(f"  {name}" for name in stale))
    return 0 if overall >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
