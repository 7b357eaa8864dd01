"""Teaching with the book: the student build, the grader and its rubric.

Instructor tooling only: the chapter modules of ``fashionlib`` never import
this subpackage, and the student build of ``fashionlib`` leaves it out.

- :mod:`fashionlib.teaching.rubric`: the homework's points per check;
- :mod:`fashionlib.teaching.contracts`: what each graded function must do;
- :mod:`fashionlib.teaching.build`: the student build of ``fashionlib``;
- :mod:`fashionlib.teaching.probes`: the grader's inputs and comparisons;
- :mod:`fashionlib.teaching.hostile`: reading what a submission touched;
- :mod:`fashionlib.teaching.extract`: a notebook's graded definitions;
- :mod:`fashionlib.teaching.harness`: the probe process, in the sandbox;
- :mod:`fashionlib.teaching.sandbox`: bubblewrap around each submission;
- :mod:`fashionlib.teaching.grading`: grading, feedback and gradebook;
- :mod:`fashionlib.teaching.shards`: split a course into shards, merge them;
- :mod:`fashionlib.teaching.cli`: the ``student`` and ``grade`` commands.

The student notebooks and site are made from a checkout of the book, by
:mod:`publish.edition` (the ``student`` command calls it).
"""
