"""Describe one sample's vibe: measurements out, a checked description in, every call paid for."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from core.models import SitePreferences
from library.models import Sample, SampleTag
from vibe import budget
from vibe.budget import BudgetRefused
from vibe.client import ChatClient, LLMError
from vibe.models import ApiUsage, VibeAnalysis
from vibe.schema import SchemaError, build_messages, correction_messages, parse

logger = logging.getLogger(__name__)

# Room for the JSON answer; also the completion side of every worst-case cost.
MAX_TOKENS = 400
FEATURE_FIELDS = {
    "tempo_confidence": "tempo_confidence",
    "key_confidence": "key_confidence",
    "onset_rate_per_second": "onset_rate",
    "loudness_lufs": "loudness_lufs",
    "rms": "rms",
    "peak": "peak",
    "spectral_centroid_hz": "spectral_centroid",
    "spectral_rolloff_hz": "spectral_rolloff",
    "spectral_bandwidth_hz": "spectral_bandwidth",
    "spectral_flatness": "spectral_flatness",
    "zero_crossing_rate": "zero_crossing_rate",
    "harmonic_ratio": "harmonic_ratio",
}
NOT_CONFIGURED = (
    "Vibe analysis is not set up. Set SP404_LLM_API_KEY to an OpenRouter key, or point "
    "SP404_LLM_BASE_URL at an OpenAI-compatible server on your network (llama.cpp, Ollama, "
    "vLLM; add SP404_LLM_FREE=1 if it costs nothing), then restart the app and its worker."
)


class VibeError(Exception):
    """Why a sample could not be described; safe to show."""


def is_configured() -> bool:
    """A key, or a base URL other than OpenRouter's (a local server needs no key)."""
    return bool(settings.LLM_API_KEY) or settings.LLM_BASE_URL != settings.LLM_DEFAULT_BASE_URL


def endpoint_host() -> str:
    """The endpoint's host name, for pages (never the full URL, which may carry credentials)."""
    return urlsplit(settings.LLM_BASE_URL).hostname or ""


def model_for(operation: str) -> str:
    preferences = SitePreferences.load()
    if operation == ApiUsage.Operation.SINGLE:
        return preferences.vibe_model
    return preferences.batch_model


def measurements(sample: Sample) -> dict:
    """What was measured about the sample; anything not measured is None (sent as null)."""
    try:
        features = sample.features
    except ObjectDoesNotExist:
        features = None
    tags = sample.tags.exclude(sample_tags__source=SampleTag.Source.VIBE)
    values = {
        "name": sample.name,
        "duration_seconds": round(sample.duration, 3) if sample.duration is not None else None,
        "tempo_bpm": sample.tempo_bpm,
        "key": sample.key or None,
        "scale": sample.scale or None,
        "type": sample.kind or None,
        "category": sample.category or None,
        "genre": sample.genre or None,
        "tags": sorted(tags.values_list("name", flat=True)),
    }
    for name, column in FEATURE_FIELDS.items():
        value = getattr(features, column, None) if features else None
        values[name] = round(value, 4) if isinstance(value, float) else value
    return values


def client() -> ChatClient:
    return ChatClient(settings.LLM_BASE_URL, settings.LLM_API_KEY, settings.LLM_TIMEOUT)


def precheck(sample: Sample, operation: str) -> None:
    """Raise VibeError now when a description could not be made (not set up, over budget)."""
    if not is_configured():
        raise VibeError(NOT_CONFIGURED)
    messages = build_messages(measurements(sample))
    try:
        budget.precheck(model_for(operation), messages, MAX_TOKENS, free=settings.LLM_FREE)
    except BudgetRefused as refusal:
        raise VibeError(str(refusal)) from None


def describe(sample: Sample, operation: str) -> VibeAnalysis:
    """Ask the model about the sample and store its checked answer; raises VibeError."""
    if not is_configured():
        raise VibeError(NOT_CONFIGURED)
    model = model_for(operation)
    messages = build_messages(measurements(sample))
    chat = client()
    for attempt in range(2):
        completion = paid_call(chat, model, messages, operation, sample)
        try:
            result = parse(completion.content)
        except SchemaError as error:
            logger.warning("Vibe answer for sample %s was invalid: %s", sample.pk, error)
            if attempt == 1:
                raise VibeError(f"The model's answer was invalid twice: {error}.") from None
            messages = correction_messages(messages, completion.content, str(error))
            continue
        return VibeAnalysis.record(
            sample, result, model=model, processing_time_ms=completion.elapsed_ms
        )
    raise AssertionError("unreachable")


def paid_call(chat: ChatClient, model: str, messages, operation: str, sample: Sample):
    """One call, reserved against the budget before and settled with its real cost after."""
    try:
        usage, call_quote = budget.reserve(
            model,
            messages,
            MAX_TOKENS,
            free=settings.LLM_FREE,
            operation=operation,
            user=sample.owner,
            sample=sample,
        )
    except BudgetRefused as refusal:
        raise VibeError(str(refusal)) from None
    try:
        completion = chat.complete(model, messages, MAX_TOKENS)
    except LLMError as error:
        budget.settle(usage, call_quote, billable=error.billable)
        logger.warning("Vibe call for sample %s failed: %s", sample.pk, error)
        raise VibeError(str(error)) from None
    budget.settle(usage, call_quote, completion)
    return completion
