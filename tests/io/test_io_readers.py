"""What each reader makes of its hand-written fixture and of the edge cases of its format."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedside.errors import FormatError
from bedside.io import (
    read_conversation,
    read_conversations,
    read_csv,
    read_json,
    read_jsonl,
    read_srt,
    read_text,
    read_textgrid,
    read_vtt,
)
from bedside.model import Role

OK = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "ok"


def summary(conv):
    return [(t.speaker.name, t.text, t.start, t.end, t.tags, t.line) for t in conv.turns]


def test_text_fixture() -> None:
    conv = read_conversation(OK / "sample.txt")
    assert conv.id == "sample"
    assert summary(conv) == [
        ("Dr Lee", "Good morning. What brings you in today?", 1.0, None, (), 1),
        (
            "Patient",
            "I've been getting these headaches, mostly in the mornings. They wake me up sometimes.",
            4.0,
            None,
            ("UNSURE",),
            2,
        ),
        ("Dr Lee", "That sounds exhausting.", 11.0, None, ("UNIN",), 4),
        ("Patient", "It is, honestly.", 14.0, None, (), 5),
    ]
    assert [t.role for t in conv.turns[:2]] == [Role.CLINICIAN, Role.PATIENT]


def test_bom_and_crlf_read_like_the_plain_file() -> None:
    plain = read_conversation(OK / "sample.txt")
    bom = read_conversation(OK / "sample_bom_crlf.txt")
    assert summary(bom) == summary(plain)


@pytest.mark.parametrize(
    ("clock", "seconds"),
    [("[01:02]", 62.0), ("[1:02:03]", 3723.0), ("[00:00:01.5]", 1.5), ("[75:00]", 4500.0)],
)
def test_text_time_prefixes(clock: str, seconds: float) -> None:
    assert read_text(f"{clock} Nurse: Hello").turns[0].start == seconds


def test_text_without_times_and_with_colons_in_the_text() -> None:
    conv = read_text("GP: Take it at 8:30, twice a day.\nClient: OK.")
    assert summary(conv) == [
        ("GP", "Take it at 8:30, twice a day.", None, None, (), 1),
        ("Client", "OK.", None, None, (), 2),
    ]
    assert [t.role for t in conv.turns] == [Role.CLINICIAN, Role.PATIENT]


def test_absurd_clocks_are_format_errors_not_overflows() -> None:
    with pytest.raises(FormatError, match="is not a time"):
        read_text("[" + "9" * 400 + ":00:00] A: hi")
    with pytest.raises(FormatError, match="malformed cue timing"):
        read_vtt("WEBVTT\n\n" + "9" * 400 + ":00:00.000 --> 00:00:01.000\n<v A>hi\n")


def test_continuation_lines_with_times_urls_and_long_clauses_stay_text() -> None:
    conv = read_text(
        "Dr Lee: Take one\nat 8:30 every morning,\nsee https://nhs.uk\n"
        "and then what I would say to him: rest.\nPatient:Thanks."
    )
    assert [(t.speaker.name, t.text) for t in conv.turns] == [
        (
            "Dr Lee",
            "Take one at 8:30 every morning, see https://nhs.uk "
            "and then what I would say to him: rest.",
        ),
        ("Patient", "Thanks."),
    ]


def test_time_prefix_without_speaker_is_an_error() -> None:
    with pytest.raises(FormatError, match="followed by 'Speaker: text'") as caught:
        read_text("[00:01] hello there")
    assert caught.value.line == 1


def test_vtt_fixture_voice_tags_prefixes_entities_and_tags() -> None:
    conv = read_conversation(OK / "sample.vtt")
    assert summary(conv) == [
        ("Dr Lee", "Good morning. What brings you in today?", 1.0, 3.5, (), 7),
        ("Patient", "Headaches & poor sleep, mostly in the mornings.", 4.0, 10.25, ("UNSURE",), 11),
        ("Dr Lee", "That sounds exhausting.", 11.0, 13.0, (), 14),
    ]


def test_vtt_cue_with_two_speakers_and_a_continuing_cue() -> None:
    data = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\n- <v Dr Lee>Ready?\n- <v Patient>Yes.\n\n"
        "00:02.500 --> 00:03.000\nGo on then.\n"
    )
    conv = read_vtt(data)
    assert [(t.speaker.name, t.text, t.line) for t in conv.turns] == [
        ("Dr Lee", "Ready?", 4),
        ("Patient", "Yes.", 5),
        ("Patient", "Go on then.", 8),
    ]


def test_vtt_escaped_tag_stays_text() -> None:
    conv = read_vtt("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>I &lt;3 this &lt;B&gt;\n")
    assert conv.turns[0].text == "I <3 this <B>"
    assert conv.turns[0].tags == ()


def test_srt_fixture() -> None:
    conv = read_conversation(OK / "sample.srt")
    assert summary(conv) == [
        ("Dr Lee", "Good morning. What brings you in today?", 1.0, 3.5, (), 3),
        ("Patient", "Headaches and poor sleep, mostly in the mornings.", 4.0, 10.25, ("UNIN",), 7),
        ("Dr Lee", "That sounds exhausting.", 11.0, 13.0, (), 12),
    ]


def test_srt_without_trailing_newline_and_wrapped_name_line() -> None:
    conv = read_srt("1\n00:00:01,000 --> 00:00:02,000\nDr Lee: Take it\nNote: twice daily")
    assert summary(conv) == [("Dr Lee", "Take it Note: twice daily", 1.0, 2.0, (), 3)]


@pytest.mark.parametrize(
    "name", ["sample.TextGrid", "sample_short.TextGrid", "sample_utf16.TextGrid"]
)
def test_textgrid_long_short_and_utf16(name: str) -> None:
    conv = read_conversation(OK / name)
    times = [(t.start, t.end) for t in conv.turns]
    assert times[:2] == [(1.0, 3.5), (4.0, 10.25)]
    assert conv.turns[0].speaker.name == "Dr Lee"
    assert conv.turns[1].text == "Headaches, mostly in the mornings."
    if name != "sample_short.TextGrid":
        assert conv.turns[2].text == 'That sounds "exhausting".'
        assert conv.turns[2].tags == ("UNIN",)
    assert conv.turns[1].speaker.name == ("Patiënt" if "utf16" in name else "Patient")
    assert [t.line for t in conv.turns[:2]] == ([18, 32] if "short" in name else [22, 44])


def test_textgrid_generic_tier_name_takes_the_file_name_part() -> None:
    data = (OK / "sample.TextGrid").read_text().replace('"Dr Lee"', '"Speaker"')
    single = data[: data.index("    item [2]:")].replace("size = 2", "size = 1")
    conv = read_textgrid(single, source="day9_consultation01_doctor.TextGrid")
    assert {t.speaker.name for t in conv.turns} == {"Doctor"}
    assert conv.turns[0].role is Role.CLINICIAN


def test_textgrid_overlapping_speakers_are_kept() -> None:
    data = (OK / "sample.TextGrid").read_text().replace("xmin = 4\n", "xmin = 3\n")
    conv = read_textgrid(data)
    assert [(t.speaker.name, t.start, t.end) for t in conv.turns[:2]] == [
        ("Dr Lee", 1.0, 3.5),
        ("Patient", 3.0, 10.25),
    ]


def test_csv_fixture_and_role_column() -> None:
    conv = read_conversation(OK / "sample.csv")
    assert summary(conv)[1] == (
        "Patient",
        "Headaches, mostly in the mornings.",
        4.0,
        10.25,
        ("UNSURE",),
        3,
    )
    conv = read_csv("speaker,role,text\nSam,family,Is she all right?\n")
    assert conv.turns[0].role is Role.FAMILY


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_semicolon_and_tab_delimiters_and_decimal_commas(delimiter: str) -> None:
    data = f"speaker{delimiter}text{delimiter}start\nDr Lee{delimiter}Hello, there.{delimiter}1,5\n"
    conv = read_conversation("visit.csv", data=data.encode())
    assert (conv.turns[0].text, conv.turns[0].start) == ("Hello, there.", 1.5)


def test_csv_multiline_cell_keeps_line_numbers() -> None:
    conv = read_csv('speaker,text\nDr Lee,"one\ntwo"\nPatient,three\n')
    assert [(t.text, t.line) for t in conv.turns] == [("one two", 2), ("three", 4)]


def test_json_fixture_roles_ids_metadata() -> None:
    conv = read_conversation(OK / "sample.json")
    assert conv.id == "visit-42"
    assert conv.metadata == {"site": "clinic A"}
    assert [t.role for t in conv.turns] == [Role.CLINICIAN, Role.PATIENT, Role.CLINICIAN]
    assert conv.turns[1].tags == ("UNSURE",)
    assert conv.turns[2].start is None


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"turns": [{"speaker": "A", "text": ["x"]}]}', "expected a string"),
        ('{"turns": [{"speaker": "", "text": "x"}]}', "non-empty string"),
        ('{"turns": [{"speaker": "A", "text": "x", "role": "boss"}]}', "unknown"),
        ('{"turns": [{"speaker": "A", "text": "x", "start": true}]}', "expected a finite number"),
        ('{"turns": [{"speaker": "A", "text": "x", "start": -1}]}', "negative"),
        ('{"turns": [{"speaker": "A", "text": "x", "end": 1' + "0" * 400 + "}]}", "finite"),
        ('{"turns": [{"speaker": "A", "text": "x", "end": 1' + "0" * 5000 + "}]}", "invalid JSON"),
        ('{"turns": {"speaker": "A"}}', "'turns' list"),
        ("[1, 2]", "JSON object"),
        ('{"turns": []}', "no turns"),
    ],
)
def test_json_schema_errors(document: str, words: str) -> None:
    with pytest.raises(FormatError, match=words):
        read_json(document)


def test_jsonl_fixture_streams_with_ids_and_lines() -> None:
    conversations = list(read_conversations(OK / "sample.jsonl"))
    assert [c.id for c in conversations] == ["a", "sample-3"]
    assert [t.line for t in conversations[1].turns] == [3, 3]
    assert conversations[1].turns[0].role is Role.CLINICIAN


def test_jsonl_is_lazy_good_lines_come_before_the_error() -> None:
    stream = read_jsonl(iter(['{"turns": [{"speaker": "A", "text": "one"}]}', "{oops"]))
    assert next(stream).turns[0].text == "one"
    with pytest.raises(FormatError) as caught:
        next(stream)
    assert caught.value.line == 2


def test_read_conversation_rejects_several() -> None:
    with pytest.raises(FormatError, match="several conversations"):
        read_conversation(OK / "sample.jsonl")


def test_json_array_of_conversations_reads_back() -> None:
    data = (
        b'[{"id": "a", "turns": [{"speaker": "Dr Lee", "text": "One."}]},\n'
        b' {"turns": [{"speaker": "Patient", "text": "Two."},\n'
        b'            {"speaker": "Dr Lee", "text": "Three."}]}]\n'
    )
    conversations = list(read_conversations("batch.json", data=data))
    assert [c.id for c in conversations] == ["a", "batch-2"]
    assert [[t.line for t in c.turns] for c in conversations] == [[1], [2, 3]]
    with pytest.raises(FormatError, match="several conversations"):
        read_conversation("batch.json", data=data)
    with pytest.raises(FormatError, match=r"turns\[1\]\.text") as caught:
        list(read_conversations("bad.json", data=data.replace(b'"Three."', b"3")))
    assert caught.value.line == 3
    with pytest.raises(FormatError, match="array is empty"):
        list(read_conversations("empty.json", data=b"[]"))


@pytest.mark.parametrize(
    ("raw", "text", "tags"),
    [
        (
            "<UNSURE>Hello how</UNSURE> um. Good morning <UNIN/>.",
            "Hello how um. Good morning.",
            ("UNSURE", "UNIN"),
        ),
        ("between < normal and > 37", "between < normal and > 37", ()),
        ("pressure <140 and x>90", "pressure <140 and x>90", ()),
        (
            "<INAUDIBLE_SPEECH/> yes <UNSURE >maybe</UNSURE> <UNIN />",
            "yes maybe",
            ("INAUDIBLE_SPEECH", "UNSURE", "UNIN"),
        ),
        ("<UNSURE>unclosed at the end", "unclosed at the end", ("UNSURE",)),
    ],
)
def test_tags_removed_words_kept(raw: str, text: str, tags: tuple[str, ...]) -> None:
    turn = read_text(f"Dr Lee: {raw}").turns[0]
    assert (turn.text, turn.tags) == (text, tags)
