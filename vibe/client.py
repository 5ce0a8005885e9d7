"""A small OpenAI-compatible chat-completions client (OpenRouter, llama.cpp, Ollama, vLLM).

It knows nothing about Django: it takes a base URL, a key and a timeout, and
returns what the model said with the token counts (and the cost, when the
provider reports one). The key is sent in a header only and scrubbed from every
message this module writes, so it never reaches a log, a page or an error.
"""

import email.utils
import logging
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
# Seconds before the first retry; doubled for each further one.
BACKOFF_SECONDS = 0.5
# A server asking us to wait longer than this is treated as a failure: the
# call runs in a worker that should not sit idle for minutes.
MAX_RETRY_AFTER_SECONDS = 30.0
RETRY_STATUSES = {429, 500, 502, 503, 504}


class LLMError(Exception):
    """A call that produced no answer; the message is safe to show and to log."""

    def __init__(self, message: str, *, billable: bool = False):
        super().__init__(message)
        # A timed-out request may still have been processed (and charged) by the provider.
        self.billable = billable


@dataclass
class Completion:
    """What the model answered and what the answer cost in tokens (and dollars, if reported)."""

    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: Decimal | None
    elapsed_ms: int


class ChatClient:
    """Chat completions over HTTP, with timeouts and retries on 429 and 5xx.

    The retries are a small loop rather than ``tenacity`` or ``stamina``: the
    wait comes from the server's Retry-After (seconds or an HTTP date), a wait
    too long for a worker is a failure, and a timeout is never retried because
    the provider may already have charged for it; spelled out in one loop that
    reads more plainly than the same policy in a retry library's vocabulary.
    ``sleep`` is how the client waits between tries (tests pass their own).
    """

    def __init__(
        self, base_url: str, api_key: str = "", timeout: float = 60, transport=None, sleep=None
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport
        self.sleep = sleep or time.sleep

    @property
    def is_openrouter(self) -> bool:
        return (urlsplit(self.base_url).hostname or "").endswith("openrouter.ai")

    def redact(self, text: str) -> str:
        return text.replace(self.api_key, "[redacted]") if self.api_key else text

    def complete(self, model: str, messages: list[dict], max_tokens: int) -> Completion:
        """Send one chat request (retrying 429/5xx) and return the answer."""
        body = {
            "model": model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
        }
        if self.is_openrouter:
            body["usage"] = {"include": True}  # OpenRouter then reports the call's cost.
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        started = time.monotonic()
        with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
            response = self.post_with_retries(http, body, headers)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        return self.parse(response, model, elapsed_ms)

    def post_with_retries(self, http, body: dict, headers: dict) -> httpx.Response:
        url = f"{self.base_url}/chat/completions"
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = http.post(url, json=body, headers=headers)
            except httpx.TimeoutException:
                raise LLMError(
                    f"The model server did not answer within {self.timeout:g} s.", billable=True
                ) from None
            except httpx.HTTPError as error:
                message = self.redact(f"Could not reach the model server: {error}")
                raise LLMError(message) from None
            if response.status_code not in RETRY_STATUSES:
                return self.checked(response)
            wait = retry_delay(response, attempt)
            if attempt == MAX_RETRIES or wait > MAX_RETRY_AFTER_SECONDS:
                raise LLMError(self.failure_message(response, attempt + 1))
            logger.warning(
                "Model server answered %s; retrying in %.1f s", response.status_code, wait
            )
            self.sleep(wait)
        raise AssertionError("unreachable")

    def checked(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        raise LLMError(self.failure_message(response, 1))

    def failure_message(self, response: httpx.Response, attempts: int) -> str:
        detail = " ".join(response.text.split())[:300]
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return self.redact(f"The model server answered {response.status_code}{tries}: {detail}")

    def parse(self, response: httpx.Response, model: str, elapsed_ms: int) -> Completion:
        try:
            payload = response.json()
            content = payload["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError("The model server's answer was not a chat completion.") from None
        usage = payload.get("usage") or {}
        prompt_tokens = whole(usage.get("prompt_tokens"))
        completion_tokens = whole(usage.get("completion_tokens"))
        return Completion(
            content=content,
            model=str(payload.get("model") or model),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=whole(usage.get("total_tokens")) or prompt_tokens + completion_tokens,
            cost=reported_cost(usage.get("cost")),
            elapsed_ms=elapsed_ms,
        )


def whole(value) -> int:
    """A token count from the response; missing or nonsense counts as 0."""
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def reported_cost(value) -> Decimal | None:
    """The provider's own cost in USD (OpenRouter's `usage.cost`), if it gave a usable one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        return None
    return cost if cost.is_finite() and cost >= 0 else None


def retry_delay(response: httpx.Response, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (seconds or a date), else exponential backoff."""
    header = response.headers.get("Retry-After", "").strip()
    if header:
        try:
            return max(float(header), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(when.timestamp() - time.time(), 0.0)
    return BACKOFF_SECONDS * 2**attempt
