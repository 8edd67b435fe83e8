import pytest

from mumu.errors import BadInput
from mumu.speakers import parse_names, speaker_name


def test_names_are_parsed_as_typed() -> None:
    assert parse_names(["1=Agent", "2= Customer  Care ", "3="]) == {
        1: "Agent",
        2: "Customer Care",
        3: "",
    }
    assert parse_names(["1=Ann\x1b[31m\nLee"]) == {1: "Ann [31m Lee"}
    assert parse_names(["1=\u202eAnn", "2=\U0001f469\u200d\U0001f4bb"]) == {
        1: "Ann",
        2: "\U0001f469\u200d\U0001f4bb",
    }


@pytest.mark.parametrize(
    "typed", ["Agent", "0=Agent", "one=Agent", "=Agent", "\u00b2=Agent", "1=" + "x" * 81]
)
def test_a_name_not_given_as_channel_equals_name_is_refused_in_one_line(typed: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_names([typed])
    assert "\n" not in str(caught.value)


def test_a_speaker_without_a_name_is_called_by_its_number() -> None:
    names = {"channel 1": "Agent"}
    assert speaker_name(2, None, names) == "channel 2"
    assert speaker_name(1, None, names) == "Agent"
    assert speaker_name(None, 1, names) == "speaker 1"  # a channel's name is not a voice's
    assert speaker_name(None, None, names) is None
