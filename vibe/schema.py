"""What is sent to the model (measurements only) and the checked shape of what comes back.

`VibeResult` is the one definition of the answer: pydantic checks and cleans the model's reply
against it, and the JSON Schema in the prompt is generated from it.
"""

import json
import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import ErrorDetails

UNIT_FIELDS = ("energy", "danceability", "acousticness", "instrumentalness", "confidence")
MAX_TEXTURE_TAGS = 8
OUT_OF_RANGE = ("greater_than_equal", "less_than_equal")


def collapse_whitespace(value: object) -> object:
    """Runs of spaces, tabs and newlines become one space; a non-string is left to the type check."""
    return " ".join(value.split()) if isinstance(value, str) else value


def null_as_empty(value: object) -> object:
    return "" if value is None else value


def unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def drop_titles(schema: dict) -> None:
    """Leave pydantic's titles and the docstring out: they tell the model nothing, at a price."""
    schema.pop("description", None)
    for part in (schema, *schema["properties"].values()):
        part.pop("title", None)


Spaced = BeforeValidator(collapse_whitespace)
NullIsEmpty = BeforeValidator(null_as_empty)
# The cleaning validators always run first. Listed after the constraints, they leave those
# inside the string check, whose errors (string_too_long) `explain` knows.
Word = Annotated[str, StringConstraints(min_length=1, max_length=32, to_lower=True), Spaced]
# NaN and infinity fail the bounds too.
Unit = Annotated[float, Field(ge=0, le=1)]


class VibeResult(BaseModel):
    """A checked answer from the model: words lower-cased, spaces collapsed, tags de-duplicated."""

    model_config = ConfigDict(
        # Strict: "0.8" and true are not numbers, 5 is not a string.
        strict=True,
        # Keys the schema does not name are dropped: they harm nothing, and a retry costs money.
        extra="ignore",
        # The prompt asks for every field, though a missing genre, secondary mood or tag list
        # is accepted as empty.
        json_schema_serialization_defaults_required=True,
        json_schema_extra=drop_titles,
    )

    mood_primary: Word
    mood_secondary: Annotated[
        str, StringConstraints(max_length=32, to_lower=True), Spaced, NullIsEmpty
    ] = ""
    energy: Unit
    danceability: Unit
    acousticness: Unit
    instrumentalness: Unit
    texture_tags: Annotated[
        list[Word], Field(max_length=MAX_TEXTURE_TAGS), AfterValidator(unique)
    ] = []
    suggested_genre: Annotated[str, StringConstraints(max_length=64), Spaced, NullIsEmpty] = ""
    description: Annotated[str, StringConstraints(min_length=1, max_length=300), Spaced]
    confidence: Unit


SCHEMA = VibeResult.model_json_schema(mode="serialization")

SYSTEM_PROMPT = (
    "You describe audio samples for music producers. You hear nothing: you get only "
    "what an analysis measured, as JSON. null means the value is unknown; do not "
    "invent it, and lower your confidence when much is unknown. Reply with one JSON "
    "object and nothing else, matching this JSON Schema:\n"
    + json.dumps(SCHEMA)
    + "\nMoods and texture tags are short lower-case words (e.g. dark, warm, gritty, airy). "
    "description is one sentence. suggested_genre may be an empty string."
)


class SchemaError(ValueError):
    """The model's answer is not the JSON object the schema asks for."""


def build_messages(measurements: dict) -> list[dict]:
    """The chat messages for one sample's measurements."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(measurements, sort_keys=True)},
    ]


def correction_messages(messages: list[dict], answer: str, error: str) -> list[dict]:
    """The conversation again, telling the model what was wrong with its answer."""
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": f"That answer is invalid: {error}. Reply with only the corrected JSON object.",
        },
    ]


def parse(content: str) -> VibeResult:
    """Check the model's answer against the schema; raise SchemaError saying all that is wrong."""
    text = content.strip()
    # Many models wrap JSON in a Markdown code fence despite being told not to.
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        return VibeResult.model_validate_json(text)
    except ValidationError as invalid:
        reasons = dict.fromkeys(explain(error) for error in invalid.errors())
        raise SchemaError("; ".join(reasons)) from None


def explain(error: ErrorDetails) -> str:
    """One of pydantic's errors as a sentence the model can act on in its second try."""
    kind, location = error["type"], error["loc"]
    if kind == "json_invalid":
        return f"the answer is not valid JSON ({error['ctx']['error']})"
    if not location:
        return "the answer must be a JSON object"
    name = location[0]
    if name in UNIT_FIELDS:
        if kind in OUT_OF_RANGE:
            return f"{name} must be between 0 and 1, got {error['input']}"
        return f"{name} must be a number between 0 and 1"
    if name == "texture_tags":
        if kind == "too_long":
            return f"texture_tags must have at most {MAX_TEXTURE_TAGS} items"
        if kind in ("string_too_short", "string_too_long"):
            return "each texture tag must be 1 to 32 characters"
        return "texture_tags must be a list of strings"
    if kind in ("missing", "string_too_short"):
        return f"{name} must not be empty"
    if kind == "string_too_long":
        return f"{name} must be at most {error['ctx']['max_length']} characters"
    return f"{name} must be a string"
