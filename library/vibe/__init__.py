"""Vibe analysis: a language model describes what the audio analysis measured.

`client` talks to any OpenAI-compatible endpoint, `schema` builds the prompt and
checks the answer, `budget` reserves and records every call's cost, and
`service` ties them to a sample.
"""

from library.vibe.budget import BudgetRefused
from library.vibe.client import LLMError
from library.vibe.service import (
    NOT_CONFIGURED,
    VibeError,
    describe,
    endpoint_host,
    is_configured,
    precheck,
)

__all__ = [
    "NOT_CONFIGURED",
    "BudgetRefused",
    "LLMError",
    "VibeError",
    "describe",
    "endpoint_host",
    "is_configured",
    "precheck",
]
