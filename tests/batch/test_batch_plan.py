"""Planning inputs: files, directories, stdin, and --merge grouping by stem."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bedside.batch import group_key, plan_sources
from bedside.errors import BedsideError


def _discover(inputs: Sequence[str | Path]) -> list[Path]:
    found: list[Path] = []
    for item in inputs:
        found.extend(sorted(p for p in Path(item).iterdir() if p.suffix in {".TextGrid", ".txt"}))
    return found


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("day1_consultation01_doctor.TextGrid", "day1_consultation01"),
        ("day1_consultation01_patient.TextGrid", "day1_consultation01"),
        ("visit.vtt", "visit"),
        ("_x.txt", "_x"),
    ],
)
def test_group_key(name: str, key: str) -> None:
    assert group_key(Path(name)) == key


def _tree(tmp_path: Path) -> Path:
    folder = tmp_path / "pairs"
    folder.mkdir()
    for name in ("c02_doctor", "c01_patient", "c01_doctor", "c02_patient", "solo"):
        (folder / f"{name}.TextGrid").write_text("x")
    (folder / "notes.md").write_text("ignored")
    return folder


def test_directory_without_merge_is_one_source_per_file(tmp_path: Path) -> None:
    sources = plan_sources([str(_tree(tmp_path))], merge=False, discover=_discover)
    assert [s.paths[0].name for s in sources] == [
        "c01_doctor.TextGrid",
        "c01_patient.TextGrid",
        "c02_doctor.TextGrid",
        "c02_patient.TextGrid",
        "solo.TextGrid",
    ]
    assert not any(s.merge for s in sources)


def test_directory_with_merge_groups_pairs_by_stem(tmp_path: Path) -> None:
    sources = plan_sources([str(_tree(tmp_path))], merge=True, discover=_discover)
    assert [(s.conv_id, [p.name for p in s.paths]) for s in sources] == [
        ("c01", ["c01_doctor.TextGrid", "c01_patient.TextGrid"]),
        ("c02", ["c02_doctor.TextGrid", "c02_patient.TextGrid"]),
        ("solo", ["solo.TextGrid"]),
    ]
    assert all(s.merge for s in sources)


def test_named_files_with_merge_are_one_conversation(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    files = [str(folder / "c01_doctor.TextGrid"), str(folder / "c01_patient.TextGrid")]
    (source,) = plan_sources(files, merge=True, discover=_discover)
    assert source.merge and len(source.paths) == 2 and source.conv_id is None


def test_stdin_alone(tmp_path: Path) -> None:
    (source,) = plan_sources(["-"], merge=False, discover=_discover)
    assert source.paths == () and source.label == "<stdin>"
    with pytest.raises(BedsideError, match="cannot be combined"):
        plan_sources(["-", str(tmp_path)], merge=False, discover=_discover)


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(BedsideError, match="no such file or directory"):
        plan_sources([str(tmp_path / "nope.txt")], merge=False, discover=_discover)
