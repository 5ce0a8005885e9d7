"""The chat client against a real HTTP server on 127.0.0.1: answers, costs, retries, failures."""

import email.utils
import logging
import time
from decimal import Decimal

import pytest

from tests.vibe.conftest import API_KEY, GOOD_ANSWER, MODEL, chat_completion
from vibe.client import ChatClient, LLMError

MESSAGES = [{"role": "user", "content": "{}"}]


@pytest.fixture
def waits():
    """The seconds the client chose to wait between tries, recorded instead of slept."""
    return []


@pytest.fixture
def chat(llm_server, waits):
    return ChatClient(llm_server.url, API_KEY, timeout=2, sleep=waits.append)


def test_success_returns_the_answer_and_token_counts(chat, llm_server):
    llm_server.reply(chat_completion(GOOD_ANSWER, prompt_tokens=812, completion_tokens=95))

    completion = chat.complete(MODEL, MESSAGES, max_tokens=400)

    assert '"mood_primary": "Dark"' in completion.content
    assert (completion.prompt_tokens, completion.completion_tokens) == (812, 95)
    assert completion.total_tokens == 907
    assert completion.cost is None
    sent = llm_server.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert sent["json"]["model"] == MODEL
    assert sent["json"]["max_tokens"] == 400
    assert sent["json"]["response_format"] == {"type": "json_object"}


def test_reported_cost_is_kept_exactly(chat, llm_server):
    llm_server.reply(chat_completion(GOOD_ANSWER, cost=0.00001234))

    assert chat.complete(MODEL, MESSAGES, 400).cost == Decimal("0.00001234")


def test_no_key_sends_no_authorization_header(llm_server):
    ChatClient(llm_server.url, "", timeout=2).complete(MODEL, MESSAGES, 400)

    assert "Authorization" not in llm_server.requests[0]["headers"]


@pytest.mark.parametrize("retry_after", ["0", "1", "25"])
def test_429_is_retried_after_the_servers_retry_after(chat, llm_server, waits, retry_after):
    llm_server.reply({"error": "slow down"}, status=429, headers={"Retry-After": retry_after})
    llm_server.reply(chat_completion(GOOD_ANSWER))

    completion = chat.complete(MODEL, MESSAGES, 400)

    assert completion.content
    assert len(llm_server.requests) == 2
    assert waits == [float(retry_after)]


def test_a_retry_after_date_is_waited_for_until_then(chat, llm_server, waits):
    soon = email.utils.formatdate(time.time() + 10, usegmt=True)
    llm_server.reply({"error": "slow down"}, status=503, headers={"Retry-After": soon})
    llm_server.reply(chat_completion(GOOD_ANSWER))

    chat.complete(MODEL, MESSAGES, 400)

    assert len(waits) == 1 and 8 <= waits[0] <= 10


def test_without_retry_after_the_waits_double(chat, llm_server, waits):
    for _ in range(3):
        llm_server.reply({"error": "busy"}, status=502)
    llm_server.reply(chat_completion(GOOD_ANSWER))

    chat.complete(MODEL, MESSAGES, 400)

    assert waits == [0.5, 1.0, 2.0]


def test_a_retry_after_too_long_to_wait_for_fails_at_once(chat, llm_server):
    llm_server.reply({"error": "come back tomorrow"}, status=429, headers={"Retry-After": "3600"})

    with pytest.raises(LLMError, match="429"):
        chat.complete(MODEL, MESSAGES, 400)
    assert len(llm_server.requests) == 1


def test_5xx_is_retried_then_reported_clearly(chat, llm_server):
    for _ in range(4):
        llm_server.reply({"error": "overloaded"}, status=500)

    with pytest.raises(LLMError, match=r"answered 500 after 4 attempts: .*overloaded"):
        chat.complete(MODEL, MESSAGES, 400)
    assert len(llm_server.requests) == 4


def test_503_then_success_succeeds(chat, llm_server):
    llm_server.reply({"error": "busy"}, status=503)

    assert chat.complete(MODEL, MESSAGES, 400).content
    assert len(llm_server.requests) == 2


def test_4xx_is_not_retried(chat, llm_server):
    llm_server.reply({"error": {"message": "no such model"}}, status=400)

    with pytest.raises(LLMError, match=r"answered 400: .*no such model"):
        chat.complete(MODEL, MESSAGES, 400)
    assert len(llm_server.requests) == 1


def test_timeout_is_a_clear_error_that_may_have_been_billed(llm_server):
    llm_server.reply(chat_completion(GOOD_ANSWER), delay=1.5)

    with pytest.raises(LLMError, match=r"did not answer within 0\.3 s") as raised:
        ChatClient(llm_server.url, API_KEY, timeout=0.3).complete(MODEL, MESSAGES, 400)
    assert raised.value.billable


def test_a_body_that_is_not_json_is_a_clear_error(chat, llm_server):
    llm_server.reply(raw=b"<html>Bad gateway</html>")

    with pytest.raises(LLMError, match="not a chat completion"):
        chat.complete(MODEL, MESSAGES, 400)


def test_an_unreachable_server_is_a_clear_error():
    with pytest.raises(LLMError, match="Could not reach"):
        ChatClient("http://127.0.0.1:9/v1", API_KEY, timeout=1).complete(MODEL, MESSAGES, 400)


def test_the_key_never_appears_in_errors_or_logs(chat, llm_server, caplog):
    caplog.set_level(logging.DEBUG)
    # A misbehaving proxy that echoes the request's credentials back.
    llm_server.reply({"error": f"bad key Bearer {API_KEY}"}, status=502)
    llm_server.reply({"error": f"invalid key {API_KEY}"}, status=401)

    with pytest.raises(LLMError) as raised:
        chat.complete(MODEL, MESSAGES, 400)

    assert "401" in str(raised.value)
    assert "[redacted]" in str(raised.value)
    assert API_KEY not in str(raised.value)
    assert caplog.records, "the retry should have been logged"
    assert API_KEY not in caplog.text


def test_openrouter_is_asked_to_report_the_cost():
    assert ChatClient("https://openrouter.ai/api/v1").is_openrouter
    assert not ChatClient("http://192.168.1.20:8080/v1").is_openrouter
