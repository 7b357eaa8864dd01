"""tests/mutation_score.py: the score sets equivalent survivors aside."""

import json

import mutation_score


def test_equivalent_survivors_leave_the_denominator(tmp_path):
    folder = tmp_path / "fashionlib"
    folder.mkdir()
    codes = {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": 0, "m.x_f__mutmut_3": 0}
    (folder / "m.py.meta").write_text(json.dumps({"exit_code_by_key": codes}))
    listed = {"m.x_f__mutmut_2": "same result", "m.x_g__mutmut_9": "gone"}
    rows, unjudged, stale = mutation_score.score(
        mutation_score.verdicts(tmp_path), listed
    )
    assert rows == [("m", 3, 1, 1, 50.0)]
    assert unjudged == ["m.x_f__mutmut_3"]
    assert stale == ["m.x_g__mutmut_9"]


def test_every_listed_equivalent_gives_a_reason():
    listed = mutation_score.equivalents()
    assert all(reason for reason in listed.values())
    assert all(".x" in name for name in listed)
