"""The rubric: the homework's points, chapter by chapter, and the checks
that award them."""

from dataclasses import dataclass

from fashionlib.teaching.exercises import CHAPTERS, GRADED


@dataclass(frozen=True)
class Chapter:
    """A chapter's part of the homework: title, the exercises the grader
    checks (:class:`~fashionlib.teaching.exercises.Exercise`), and parts
    graded by hand."""

    title: str
    parts: tuple
    by_hand: tuple = ()


#: Chapter -> the checks that grade it and their points (the homework's),
#: gathered from the exercises' records.
RUBRIC = {
    name: Chapter(
        title,
        tuple(e for e in GRADED.values() if e.chapter == name),
        by_hand,
    )
    for name, (title, by_hand) in CHAPTERS.items()
}


class GradingError(ValueError):
    """Grading cannot start (unknown chapter, missing file); the message
    says what to do."""


def chapter_rubric(name):
    """The rubric Chapter of ``name``; GradingError lists the valid ones."""
    if name not in RUBRIC:
        raise GradingError(
            f"no rubric for chapter {name!r}: choose from {', '.join(RUBRIC)}"
        )
    return RUBRIC[name]


def rubric_rows():
    """The rubric as rows (chapter, title, what, points, kind), in order.

    ``what`` names the student's functions (the check is ``check_`` + the
    first name, or the weights check for W1, W2); kind is required, hacker
    (optional) or given (not graded)."""
    rows = []
    for name, chapter in RUBRIC.items():
        for p in chapter.parts:
            kind = (
                "hacker"
                if p.hacker
                else ("given" if p.points == 0 else "required")
            )
            rows.append(
                (name, chapter.title, ", ".join(p.names), p.points, kind)
            )
        for what, points in chapter.by_hand:
            rows.append(
                (name, chapter.title, f"by hand: {what}", points, "hacker")
            )
    return rows


def rubric_totals():
    """(required points, optional hacker points) over the whole rubric."""
    rows = rubric_rows()
    return sum(r[3] for r in rows if r[4] == "required"), sum(
        r[3] for r in rows if r[4] == "hacker"
    )


def rubric_markdown():
    """The rubric as a compact Markdown table: chapter (title), what is
    graded, points, kind."""
    lines = [
        "| chapter | graded | points | kind |",
        "| --- | --- | ---: | --- |",
    ]
    shown = set()
    for name, title, what, points, kind in rubric_rows():
        chapter = "" if name in shown else f"{title} (`{name}`)"
        shown.add(name)
        graded = what if what.startswith("by hand") else f"`{what}`"
        lines.append(f"| {chapter} | {graded} | {points} | {kind} |")
    required, optional = rubric_totals()
    lines.append(f"| **total** | | **{required}** + {optional} | |")
    return "\n".join(lines)
