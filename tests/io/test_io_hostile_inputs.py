"""Inputs built to stop a reader (issue 11, finding 1): each ends in a FormatError naming the line,
within a wall-clock bound, run in a child process so that a regression fails rather than hangs.

Before the fix: the 140-byte short TextGrid with entry count -4 looped for ever, and with -10
raised IndexError (the scan stepped back before the first token); a 4,301-digit
entry count and `xmin = -1.2.3` raised ValueError; a first line nested 3,000 deep raised
RecursionError during format detection; negative counts and wrong tier counts were accepted
silently; a long TextGrid whose text opens a quote that no line closes took time quadratic in
its size (320 KB: 30 s), and a run of blank lines made the negative-time scan quadratic. A count
such as `4²` (str.isdigit() says yes, int() says no) broke the first version of the count check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
FUZZ = FIXTURES / "fuzz"
SAMPLE = (FIXTURES / "ok" / "sample.TextGrid").read_text()
SHORT = (FIXTURES / "ok" / "sample_short.TextGrid").read_text()

# fixture under fuzz/ -> (line the FormatError names, words in its message)
HOSTILE = {
    "textgrid/short_negative_entry_count.TextGrid": (12, "entry count '-4' is not a count"),
    "textgrid/short_very_negative_entry_count.TextGrid": (12, "entry count '-10' is not a count"),
    "textgrid/short_huge_entry_count.TextGrid": (12, "is not a count"),
    "textgrid/short_negative_tier_count.TextGrid": (7, "tier count '-1' is not a count"),
    "textgrid/short_tier_count_mismatch.TextGrid": (7, "declares 3 tiers but 2 were found"),
    "textgrid/long_huge_entry_count.TextGrid": (14, "is not a count"),
    "textgrid/long_negative_entry_count.TextGrid": (14, "entry count '-1' is not a count"),
    "textgrid/long_tier_count_mismatch.TextGrid": (7, "declares 3 tiers but 2 were found"),
    "textgrid/long_malformed_negative_time.TextGrid": (24, "'-1.2.3' is not a number"),
    "textgrid/long_unclosed_text.TextGrid": (48, "opens a quote that no line closes"),
    "textgrid/short_superscript_entry_count.TextGrid": (12, "entry count '1²' is not a count"),
    "textgrid/long_superscript_tier_count.TextGrid": (7, "tier count '2²' is not a count"),
    "detect/deep_first_line.bin": (None, "maximum recursion depth"),
}


def test_the_issue_input_is_140_bytes() -> None:
    assert len((FUZZ / "textgrid" / "short_negative_entry_count.TextGrid").read_bytes()) == 140


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_fixture_raises_format_error_with_its_line(read_within, name: str) -> None:
    path = FUZZ / name
    reader = path.parent.name
    fmt = None if reader == "detect" else reader
    outcome = read_within(path.read_bytes(), fmt, path.name, seconds=2.0)
    line, words = HOSTILE[name]
    assert outcome.kind == "format_error"
    assert outcome.line == line
    assert words in outcome.message
    assert outcome.seconds < 0.5


def test_unclosed_text_in_a_megabyte_is_refused_in_linear_time(read_within) -> None:
    head = SAMPLE[: SAMPLE.rindex('text = "')]
    data = (head + 'text = "x\n' * 100_000).encode()  # 1 MB: hours in praatio's search
    outcome = read_within(data, "textgrid", "big.TextGrid", seconds=2.0)
    assert outcome.kind == "format_error"
    assert "opens a quote" in outcome.message


def test_many_blank_lines_do_not_slow_the_negative_time_scan(read_within) -> None:
    data = (SAMPLE + "\n" * 300_000 + "x = -1\n").encode()
    outcome = read_within(data, "textgrid", "blank.TextGrid", seconds=2.0)
    assert outcome.kind == "ok"


def test_a_count_of_a_billion_entries_is_compared_not_looped(read_within) -> None:
    lines = SHORT.split("\n")
    lines[11] = "999999999"
    outcome = read_within("\n".join(lines).encode(), "textgrid", "x.TextGrid", seconds=2.0)
    assert outcome.kind == "format_error"
    assert "declares 999999999 entries but 3 were found" in outcome.message


def test_minus_zero_counts_as_zero_not_negative(read_within) -> None:
    data = SAMPLE.replace("xmin = 0\n", "xmin = -0\n", 1).encode()
    assert read_within(data, "textgrid", "zero.TextGrid").kind == "ok"


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("json", b'{"turns": [' + b'{"speaker": "A", "text": "hi"},' * 40_000 + b"1]}"),
        ("jsonl", b'{"turns": ' + b"[" * 100_000 + b"\n"),
        ("csv", b"speaker,text\n" + b'A,"' + b"x" * 2_000_000 + b"\n"),
        ("vtt", b"WEBVTT\n\n" + b"00:00:01.000 --> 00:00:02.000\nA: hi\n\n" * 30_000 + b"x\n"),
        ("srt", b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n" * 30_000 + b"1\n00:00"),
        ("text", b"A: " + b"<" * 500_000 + b"\n" + b"[1:" * 100_000),
        ("vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v a" + b" " * 1_000_000 + b"x\n"),
        ("srt", b"1\n00:00:01,000 --> 00:00:02,000\n<v a" + b" " * 1_000_000 + b"x\n"),
        ("srt", b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n" + b"1" * 24 * 20_000 + b"\n"),
        ("srt", b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n" + (b"1" * 24 + b"\n") * 20_000),
    ],
    ids=[
        "json-40k-turns",
        "jsonl-deep",
        "csv-2MB-field",
        "vtt-30k-cues",
        "srt-30k",
        "text-tags",
        "vtt-unclosed-voice",  # was quadratic: 40 KB of spaces after `<v a` took over 3 s
        "srt-unclosed-voice",
        "srt-digit-run",  # was cubic in the run: 10 KB of digits took over 3 s in `srt`
        "srt-digit-lines",
    ],
)
def test_large_hostile_inputs_end_within_the_bound(read_within, fmt: str, data: bytes) -> None:
    outcome = read_within(data, fmt, f"big.{fmt}", seconds=5.0)
    assert outcome.kind in {"ok", "format_error"}  # ending is the point; a hang fails above


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("csv", b"speaker,text,start\nA,hi," + b"9x" * 50_000 + b"\n"),
        ("json", b'{"turns": [{"speaker": ["' + b"x" * 100_000 + b'"], "text": "hi"}]}'),
        ("json", b'{"id": [' + b"1," * 50_000 + b"1], " + b'"turns": []}'),
    ],
    ids=["csv-number-cell", "json-speaker-list", "json-id-list"],
)
def test_error_messages_quote_a_few_characters_not_the_input(read_within, fmt, data) -> None:
    outcome = read_within(data, fmt, f"x.{fmt}")
    assert outcome.kind == "format_error"
    assert len(outcome.message) < 200


def test_a_long_run_of_digits_in_an_srt_file_is_refused_with_its_place(read_within) -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n" + b"1" * 10_000 + b"x\n"
    outcome = read_within(data, "srt", "digits.srt", seconds=2.0)
    assert outcome.kind == "format_error"
    assert (outcome.line, outcome.column) == (5, 1)
    assert "a run of 10000 digits" in outcome.message


def test_a_json_array_of_many_conversations_reads_in_linear_time(read_within) -> None:
    one = b'{"turns": [{"speaker": "A", "text": "hi"}]}'
    data = b"[" + b",".join([one] * 8_000) + b"]"  # was quadratic: 5,000 took 7 s, 20,000 114 s
    outcome = read_within(data, "json", "many.json", seconds=5.0)
    assert (outcome.kind, outcome.conversations) == ("ok", 8_000)


@pytest.mark.parametrize("short", [True, False], ids=["short", "long"])
def test_a_textgrid_of_many_tiers_reads_in_linear_time(read_within, short: bool) -> None:
    tiers = 12_000  # was quadratic in the tier count: a line count from the start for each tier
    if short:
        body = "".join(
            f'"IntervalTier"\n"S{i}"\n0\n{tiers}\n1\n{i}\n{i + 1}\n"hi"\n' for i in range(tiers)
        )
        text = (
            f'File type = "ooTextFile short"\n"TextGrid"\n\n0\n{tiers}\n<exists>\n{tiers}\n{body}'
        )
    else:
        body = "".join(
            f'    item [{i + 1}]:\n        class = "IntervalTier"\n        name = "S{i}"\n'
            f"        xmin = 0\n        xmax = {tiers}\n        intervals: size = 1\n"
            f"        intervals [1]:\n            xmin = {i}\n            xmax = {i + 1}\n"
            f'            text = "hi"\n'
            for i in range(tiers)
        )
        text = (
            f'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = {tiers}\n'
            f"tiers? <exists>\nsize = {tiers}\nitem []:\n{body}"
        )
    outcome = read_within(text.encode(), "textgrid", "many.TextGrid", seconds=5.0)
    assert (outcome.kind, outcome.conversations) == ("ok", 1)


def test_metadata_nested_too_deep_for_later_code_is_refused(read_within) -> None:
    deep = b"[" * 900 + b"]" * 900  # json.loads takes it; json.dumps a few frames deeper did not
    data = b'{"metadata": {"a": ' + deep + b'}, "turns": [{"speaker": "A", "text": "hi"}]}'
    outcome = read_within(data, "json", "deep.json")
    assert outcome.kind == "format_error"
    assert "nested more than 32 levels" in outcome.message
    shallow = data.replace(deep, b"[[[1]]]")
    assert read_within(shallow, "json", "shallow.json").kind == "ok"
