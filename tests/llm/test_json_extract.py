import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    obj=st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=4),
    before=st.text(alphabet=st.characters(blacklist_characters="{"), max_size=30),
    after=st.text(max_size=30),
    fenced=st.booleans(),
)
def test_an_object_inside_any_prose_is_found(
    obj: dict[str, object], before: str, after: str, fenced: bool
) -> None:
    body = json.dumps(obj, ensure_ascii=False)
    if fenced:
        body = f"```json\n{body}\n```"
    assert extract_json_object(f"{before}{body}{after}") == obj


@given(st.text())
def test_any_text_gives_an_object_or_no_json_found(text: str) -> None:
    with contextlib.suppress(NoJSONFound):
        assert isinstance(extract_json_object(text), dict)


@pytest.mark.parametrize(
    "reply", ['{"title": "T", "summary": ' + "[" * 5000, "{" * 5000, '{"a": [' * 3000]
)
def test_nesting_too_deep_is_no_object_not_a_crash(reply: str) -> None:
    for truncated in (False, True):
        with pytest.raises(NoJSONFound):
            extract_json_object(reply, truncated=truncated)


def test_a_reply_cut_short_keeps_its_complete_items() -> None:
    cut = '{"title": "T", "summary": [{"text": "a", "evidence": [1, 2]}, {"text": "b is lo'
    assert extract_json_object(cut, truncated=True) == {
        "title": "T",
        "summary": [{"text": "a", "evidence": [1, 2]}],
    }
