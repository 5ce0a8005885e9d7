"""The answer's schema: what passes, and what is rejected with a reason the model can act on."""

import json

import pytest

from tests.vibe.conftest import GOOD_ANSWER
from vibe.schema import SchemaError, build_messages, correction_messages, parse


def answer(**changes) -> str:
    data = {**GOOD_ANSWER, **changes}
    return json.dumps({key: value for key, value in data.items() if value is not ...})


def test_a_good_answer_is_parsed_and_normalised():
    result = parse(answer())

    assert result.mood_primary == "dark"
    assert result.energy == 0.8
    assert result.texture_tags == ["gritty", "punchy"]
    assert result.suggested_genre == "techno"


def test_json_in_a_code_fence_is_accepted():
    assert parse(f"```json\n{answer()}\n```").mood_primary == "dark"


def test_an_empty_genre_and_secondary_mood_are_allowed():
    result = parse(answer(suggested_genre="", mood_secondary=None))

    assert (result.suggested_genre, result.mood_secondary) == ("", "")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json at all", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (answer(energy=1.5), "energy must be between 0 and 1"),
        (answer(danceability=-0.1), "danceability must be between 0 and 1"),
        (answer(acousticness="high"), "acousticness must be a number"),
        (answer(confidence=True), "confidence must be a number"),
        (answer(instrumentalness=...), "instrumentalness must be a number"),
        (answer(description=""), "description must not be empty"),
        (answer(description="x" * 301), "description must be at most 300"),
        (answer(mood_primary=...), "mood_primary must not be empty"),
        (answer(texture_tags="gritty"), "texture_tags must be a list"),
        (answer(texture_tags=["a"] * 9), "at most 8"),
        (answer(texture_tags=[""]), "1 to 32 characters"),
    ],
)
def test_schema_violations_say_what_is_wrong(content, reason):
    with pytest.raises(SchemaError, match=reason):
        parse(content)


def test_measurements_are_sent_as_json_and_a_correction_repeats_the_error():
    messages = build_messages({"tempo_bpm": None, "name": "Kick"})
    assert json.loads(messages[-1]["content"]) == {"name": "Kick", "tempo_bpm": None}

    retry = correction_messages(messages, "oops", "energy must be between 0 and 1")

    assert retry[-2] == {"role": "assistant", "content": "oops"}
    assert "energy must be between 0 and 1" in retry[-1]["content"]
