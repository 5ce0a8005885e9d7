"""Audio files, ZIPs and a real HTTP server on 127.0.0.1 for the import, analysis and export tests."""

import contextlib
import io
import threading
import time
import wave
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests import audiogen

SR = 44100


def write_audio(path: Path, audio, sr=SR) -> Path:
    """Write generated audio, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return audiogen.write(path, audio, sr)


@pytest.fixture
def audio_dir(tmp_path):
    """A small pack: nested folders, several formats, as a beatmaker's download looks."""
    root = tmp_path / "Pack"
    (root / "Drums" / "Kicks").mkdir(parents=True)
    (root / "Drums" / "Snares").mkdir(parents=True)
    (root / "Loops").mkdir(parents=True)
    audiogen.write(root / "Drums" / "Kicks" / "Kick Deep.wav", audiogen.kick(SR), SR)
    audiogen.write(root / "Drums" / "Snares" / "Snare Crack.aiff", audiogen.snare(SR), SR)
    audiogen.write(root / "Drums" / "hat.flac", audiogen.closed_hat(SR), SR)
    audiogen.write(root / "Loops" / "beat 90.ogg", audiogen.drum_loop(90, 1, SR), SR)
    audiogen.write(root / "Loops" / "chords.mp3", audiogen.chord("A", "minor", 2.0, SR), SR)
    (root / "readme.txt").write_text("Thanks for downloading")
    return root


def tone(seconds=0.5, hz=440.0, sr=SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture
def make_wav(tmp_path):
    """Write a distinct short WAV (distinct content, so no two are duplicates)."""
    counter = iter(range(1, 10_000))

    def make(name="tone.wav", seconds=0.5, folder=None):
        folder = Path(folder or tmp_path / "wavs")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        sf.write(path, tone(seconds, 200.0 + 7 * next(counter)), SR, subtype="PCM_16")
        return path

    return make


def wav_bytes(seconds=0.5, hz=330.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes((tone(seconds, hz) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Route:
    """What the test server answers for one path."""

    def __init__(
        self, body=b"", status=200, headers=None, delay=0.0, redirect=None, unsized=False, drip=0.0
    ):
        self.body = body
        self.drip = drip  # Seconds between single bytes of the body, if it drips.
        self.unsized = unsized  # no Content-Length: the body runs until the connection closes
        self.status = status
        self.headers = headers or {}
        self.delay = delay
        self.redirect = redirect


class LocalServer:
    """A real HTTP server on 127.0.0.1 serving the routes a test sets."""

    def __init__(self, address="127.0.0.1"):
        self.routes: dict[str, Route] = {}
        handler = self._handler()
        self.httpd = ThreadingHTTPServer((address, 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.httpd.server_address[1]}{path}"

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.redirect:
                    self.send_response(302)
                    self.send_header("Location", route.redirect)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in route.headers and not route.unsized:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if not route.drip:
                        self.wfile.write(route.body)
                    for byte in route.body if route.drip else b"":
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(route.drip)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def http_server(settings):
    """The test server; sample links may lead to this machine while it runs."""
    settings.URL_ALLOW_PRIVATE = "yes"
    server = LocalServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
