"""The answer's schema: what passes, and what is rejected with a reason the model can act on."""

import json

import pytest

from tests.vibe.conftest import GOOD_ANSWER
from vibe.schema import SCHEMA, SchemaError, VibeResult, build_messages, correction_messages, parse


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


def test_a_missing_genre_secondary_mood_and_tag_list_read_as_empty():
    result = parse(answer(suggested_genre=..., mood_secondary=..., texture_tags=...))

    assert (result.suggested_genre, result.mood_secondary, result.texture_tags) == ("", "", [])


def test_words_are_lower_cased_and_spaces_collapsed_before_lengths_are_checked():
    result = parse(
        answer(
            mood_primary="  Very\tDARK ",
            texture_tags=["Gritty", " gritty ", "Lo  Fi", "lo fi", " " * 40 + "x"],
            suggested_genre="  Deep\n House ",
            description=" A kick. " + " " * 300,
        )
    )

    assert result.mood_primary == "very dark"
    assert result.texture_tags == ["gritty", "lo fi", "x"]
    assert result.suggested_genre == "Deep House", "a genre keeps its capitals"
    assert result.description == "A kick."


def test_whole_numbers_are_accepted_as_unit_values():
    result = parse(answer(energy=1, acousticness=0))

    assert (result.energy, result.acousticness) == (1.0, 0.0)
    assert isinstance(result.energy, float)


def test_keys_the_schema_does_not_name_are_ignored():
    result = parse(answer(tempo_guess=128, notes={"free": "text"}))

    assert result.mood_primary == "dark"
    assert not hasattr(result, "tempo_guess")


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
        (answer(texture_tags=["a"] * 9), "texture_tags must have at most 8 items"),
        (answer(texture_tags=[""]), "1 to 32 characters"),
        # Wrong types: nothing is coerced.
        (answer(energy="0.8"), "energy must be a number between 0 and 1"),
        (answer(danceability=None), "danceability must be a number between 0 and 1"),
        (answer(mood_primary=5), "mood_primary must be a string"),
        (answer(description=None), "description must be a string"),
        (answer(suggested_genre=["techno"]), "suggested_genre must be a string"),
        (answer(texture_tags=["gritty", 3]), "texture_tags must be a list of strings"),
        (answer(texture_tags=None), "texture_tags must be a list of strings"),
        # Out of range, after cleaning.
        (answer(confidence=7), "confidence must be between 0 and 1, got 7"),
        (answer(mood_primary="x" * 33), "mood_primary must be at most 32 characters"),
        (answer(mood_secondary="x" * 33), "mood_secondary must be at most 32 characters"),
        (answer(suggested_genre="x" * 65), "suggested_genre must be at most 64 characters"),
        (answer(texture_tags=["x" * 33]), "each texture tag must be 1 to 32 characters"),
        (answer(description="   "), "description must not be empty"),
        # Missing.
        (answer(description=...), "description must not be empty"),
        (answer(energy=...), "energy must be a number between 0 and 1"),
        # Junk around or instead of the object.
        (f"Here is the JSON: {answer()}", "not valid JSON"),
        (f"{answer()} Hope this helps!", r"not valid JSON \(trailing characters"),
        ('"dark"', "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("", "not valid JSON"),
    ],
)
def test_schema_violations_say_what_is_wrong(content, reason):
    with pytest.raises(SchemaError, match=reason):
        parse(content)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_rejected(number):
    content = answer(energy=0.123456789).replace("0.123456789", number)

    with pytest.raises(SchemaError, match="energy must be between 0 and 1, got"):
        parse(content)


def test_every_problem_is_reported_at_once_and_each_only_once():
    content = answer(energy=2, mood_primary=..., texture_tags=["x" * 40, "y" * 40])

    with pytest.raises(SchemaError) as raised:
        parse(content)

    assert str(raised.value) == (
        "mood_primary must not be empty; energy must be between 0 and 1, got 2; "
        "each texture tag must be 1 to 32 characters"
    )


def test_the_prompt_carries_the_schema_generated_from_the_result_model():
    prompt = build_messages({})[0]["content"]

    assert json.dumps(SCHEMA) in prompt
    assert SCHEMA["required"] == list(VibeResult.model_fields)
    assert SCHEMA["properties"]["energy"] == {"maximum": 1, "minimum": 0, "type": "number"}
    assert SCHEMA["properties"]["texture_tags"]["maxItems"] == 8
    assert SCHEMA["properties"]["description"]["maxLength"] == 300
    assert "title" not in json.dumps(SCHEMA), "titles cost tokens and tell the model nothing"


def test_measurements_are_sent_as_json_and_a_correction_repeats_the_error():
    messages = build_messages({"tempo_bpm": None, "name": "Kick"})
    assert json.loads(messages[-1]["content"]) == {"name": "Kick", "tempo_bpm": None}

    retry = correction_messages(messages, "oops", "energy must be between 0 and 1")

    assert retry[-2] == {"role": "assistant", "content": "oops"}
    assert "energy must be between 0 and 1" in retry[-1]["content"]
