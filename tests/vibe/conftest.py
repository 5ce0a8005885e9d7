"""A fake OpenAI-compatible server on 127.0.0.1 (real HTTP), and vibe analysis switched on."""

import importlib
import json
import threading
import time
from collections import deque
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

API_KEY = "sk-test-9f8e7d6c5b4a-NEVER-SHOW-ME"
MODEL = "openai/gpt-4o-mini"
BATCH_MODEL = "meta/llama-batch"

GOOD_ANSWER = {
    "mood_primary": "Dark",
    "mood_secondary": "tense",
    "energy": 0.8,
    "danceability": 0.7,
    "acousticness": 0.1,
    "instrumentalness": 0.95,
    "texture_tags": ["gritty", "Punchy"],
    "suggested_genre": "techno",
    "description": "A hard, gritty kick with a dark low end.",
    "confidence": 0.6,
}


def chat_completion(content, *, prompt_tokens=1000, completion_tokens=100, cost=None) -> dict:
    """The body an OpenAI-compatible server answers with."""
    if not isinstance(content, str):
        content = json.dumps(content)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": usage,
    }


class FakeLLM:
    """Scripted replies, served in order; a good answer when the script runs out."""

    def __init__(self):
        self.script = deque()
        self.requests = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.url = ""

    def reply(self, body=None, *, status=200, headers=None, delay=0.0, raw=None):
        """Queue one reply: a JSON body, or raw bytes."""
        self.script.append((status, headers or {}, body, raw, delay))

    def next_reply(self):
        with self.lock:
            if self.script:
                return self.script.popleft()
        return 200, {}, chat_completion(GOOD_ANSWER), None, self.delay

    def sent_json(self, index=-1) -> dict:
        return self.requests[index]["json"]


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeLLM/1"

    def do_POST(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        with fake.lock:
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
        status, headers, payload, raw, delay = fake.next_reply()
        time.sleep(delay)
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up waiting (the timeout tests).

    def log_message(self, *args):
        pass


@pytest.fixture
def llm_server():
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr("vibe.client.BACKOFF_SECONDS", 0.01)


@pytest.fixture
def vibe_on(settings, llm_server, fast_retries, db):
    """Vibe analysis pointed at the fake server, with a key and a price for both models."""
    from core.models import SitePreferences
    from vibe.models import ModelPrice

    settings.LLM_BASE_URL = llm_server.url
    settings.LLM_API_KEY = API_KEY
    settings.LLM_FREE = False
    settings.LLM_TIMEOUT = 5
    for model in (MODEL, BATCH_MODEL):
        ModelPrice.objects.create(
            model=model,
            prompt_price_per_million=Decimal("0.15"),
            completion_price_per_million=Decimal("0.60"),
        )
    preferences = SitePreferences.load()
    preferences.vibe_model = MODEL
    preferences.batch_model = BATCH_MODEL
    preferences.save()
    return llm_server


@pytest.fixture
def vibe_off(settings):
    settings.LLM_BASE_URL = settings.LLM_DEFAULT_BASE_URL
    settings.LLM_API_KEY = ""
    settings.LLM_FREE = False


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Run queued django-q2 tasks inline, in order, once the transaction commits."""
    ran = []

    def run(path, *args, **kwargs):
        module_name, function_name = path.rsplit(".", 1)
        function = getattr(importlib.import_module(module_name), function_name)
        ran.append((path, args))
        return function(*args)

    for module in ("library.tasks", "vibe.tasks", "imports.views"):
        monkeypatch.setattr(f"{module}.async_task", run)
    return ran


@pytest.fixture
def measured_sample(user, make_sample, make_features):
    """A kick with measured features (loudness unknown) and one tag of the user's."""
    sample = make_sample(
        user, name="Kick Deep", duration=0.5, kind="one-shot", category="kick", tempo_bpm=None
    )
    make_features(
        sample,
        spectral_centroid=420.5,
        spectral_bandwidth=300.0,
        rms=0.3,
        peak=0.99,
        loudness_lufs=None,
        harmonic_ratio=0.2,
    )
    sample.add_tag("808")
    return sample
