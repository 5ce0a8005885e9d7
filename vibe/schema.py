"""What is sent to the model (measurements only) and the checked shape of what comes back."""

import json
import math
import re
from dataclasses import dataclass, field

UNIT_FIELDS = ("energy", "danceability", "acousticness", "instrumentalness", "confidence")
MAX_TEXTURE_TAGS = 8

SCHEMA = {
    "type": "object",
    "required": ["mood_primary", "mood_secondary", *UNIT_FIELDS[:4], "texture_tags",
                 "suggested_genre", "description", "confidence"],
    "properties": {
        "mood_primary": {"type": "string", "minLength": 1, "maxLength": 32},
        "mood_secondary": {"type": "string", "maxLength": 32},
        **{name: {"type": "number", "minimum": 0, "maximum": 1} for name in UNIT_FIELDS},
        "texture_tags": {
            "type": "array",
            "maxItems": MAX_TEXTURE_TAGS,
            "items": {"type": "string", "minLength": 1, "maxLength": 32},
        },
        "suggested_genre": {"type": "string", "maxLength": 64},
        "description": {"type": "string", "minLength": 1, "maxLength": 300},
    },
}  # fmt: skip

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


@dataclass
class VibeResult:
    """A checked answer from the model."""

    mood_primary: str
    mood_secondary: str
    energy: float
    danceability: float
    acousticness: float
    instrumentalness: float
    confidence: float
    description: str
    suggested_genre: str = ""
    texture_tags: list[str] = field(default_factory=list)


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
    """Check the model's answer against the schema; raise SchemaError saying what is wrong."""
    text = content.strip()
    # Many models wrap JSON in a Markdown code fence despite being told not to.
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError:
        raise SchemaError("the answer is not valid JSON") from None
    if not isinstance(data, dict):
        raise SchemaError("the answer must be a JSON object")
    return VibeResult(
        mood_primary=word(data, "mood_primary", 32, required=True),
        mood_secondary=word(data, "mood_secondary", 32),
        **{name: unit(data, name) for name in UNIT_FIELDS},
        description=text_field(data, "description", 300, required=True),
        suggested_genre=text_field(data, "suggested_genre", 64),
        texture_tags=tag_list(data),
    )


def text_field(data: dict, name: str, max_length: int, required: bool = False) -> str:
    value = data.get(name, "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str):
        raise SchemaError(f"{name} must be a string")
    value = " ".join(value.split())
    if required and not value:
        raise SchemaError(f"{name} must not be empty")
    if len(value) > max_length:
        raise SchemaError(f"{name} must be at most {max_length} characters")
    return value


def word(data: dict, name: str, max_length: int, required: bool = False) -> str:
    return text_field(data, name, max_length, required).lower()


def unit(data: dict, name: str) -> float:
    value = data.get(name)
    # bool is an int in Python, but true is no energy level.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{name} must be a number between 0 and 1")
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise SchemaError(f"{name} must be between 0 and 1, got {value}")
    return float(value)


def tag_list(data: dict) -> list[str]:
    tags = data.get("texture_tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise SchemaError("texture_tags must be a list of strings")
    if len(tags) > MAX_TEXTURE_TAGS:
        raise SchemaError(f"texture_tags must have at most {MAX_TEXTURE_TAGS} items")
    cleaned = [" ".join(tag.lower().split()) for tag in tags]
    if any(not tag or len(tag) > 32 for tag in cleaned):
        raise SchemaError("each texture tag must be 1 to 32 characters")
    return list(dict.fromkeys(cleaned))
