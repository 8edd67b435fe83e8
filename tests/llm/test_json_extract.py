import pytest

from mumu.llm.json_extract import NoJSONFound, extract_json_object


@pytest.mark.parametrize(
    "reply",
    [
        '{"title": "T"}',
        'Sure! Here you go:\n```json\n{"title": "T"}\n```',
        'Notes {not json} then {"title": "T"} trailing {',
        '[1, 2] {"title": "T"}',
    ],
)
def test_the_first_json_object_is_found(reply: str) -> None:
    assert extract_json_object(reply) == {"title": "T"}


def test_nested_objects_stay_whole() -> None:
    assert extract_json_object('x {"a": {"b": [1, {"c": 2}]}} y') == {"a": {"b": [1, {"c": 2}]}}


@pytest.mark.parametrize("reply", ["", "no json here", "[1, 2, 3]", "{broken"])
def test_no_object_is_an_error(reply: str) -> None:
    with pytest.raises(NoJSONFound):
        extract_json_object(reply)
