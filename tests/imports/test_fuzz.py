"""Hundreds of malformed files and archives, generated from a fixed seed: each fails alone and plainly.

No worker crash, a clear error per file naming no server path, nothing written
outside the data directory, and the good files of the same batch imported.
"""

import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings

from imports.models import Batch, BatchItem
from imports.sources import import_paths
from tests.imports.test_importing import scratch_files

pytestmark = pytest.mark.django_db

SEED = 404
FILES = 240


def encoded(format_: str, subtype: str, seconds=0.2, sr=22050) -> bytes:
    tone = np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr).astype(np.float32) * 0.5
    out = io.BytesIO()
    sf.write(out, tone, sr, format=format_, subtype=subtype)
    return out.getvalue()


def mangled(data: bytes, rng: random.Random) -> bytes:
    """One of the ways bytes go wrong: cut, flipped, padded, zeroed or shuffled."""
    data = bytearray(data)
    way = rng.randrange(6)
    if way == 0:
        return bytes(data[: rng.randrange(len(data))])
    if way == 1:
        for _ in range(rng.randrange(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif way == 2:
        data[rng.randrange(len(data)) :] = bytes(
            rng.randrange(256) for _ in range(rng.randrange(64))
        )
    elif way == 3:
        start = rng.randrange(min(64, len(data)))
        data[start : start + rng.randrange(1, 64)] = bytes(64)
    elif way == 4:
        header = data[:64]
        rng.shuffle(header)
        data[:64] = header
    else:
        data[:0] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512)))
    return bytes(data)


def fuzzed_archive(seeds: dict[str, bytes], rng: random.Random) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(rng.randrange(1, 5)):
            name = rng.choice([f"loop {index}.wav", f"../up{index}.wav", f"deep/{index}{'x' * 300}.flac",
                               f"{index}.zip", f"odd {index}.ogg", f"/abs{index}.mp3"])  # fmt: skip
            archive.writestr(name, mangled(rng.choice(list(seeds.values())), rng))
    data = out.getvalue()
    return mangled(data, rng) if rng.random() < 0.5 else data


def test_malformed_files_and_archives_fail_alone_and_plainly(user, tmp_path):
    rng = random.Random(SEED)
    seeds = {
        "wav": encoded("WAV", "PCM_16"),
        "aiff": encoded("AIFF", "PCM_24"),
        "flac": encoded("FLAC", "PCM_16"),
        "ogg": encoded("OGG", "VORBIS"),
        "mp3": encoded("MP3", "MPEG_LAYER_III"),
    }
    folder = tmp_path / "dig"
    folder.mkdir()
    for number in range(FILES):
        extension = rng.choice([*seeds, "zip"])
        data = fuzzed_archive(seeds, rng) if extension == "zip" else mangled(seeds[extension], rng)
        (folder / f"fuzz {number:03d}.{extension}").write_bytes(data)
    for extension, data in seeds.items():
        (folder / f"good.{extension}").write_bytes(data)
    outside_before = sorted(tmp_path.rglob("*"))

    batch = import_paths(Batch.objects.start(user, source="folder", name="fuzz"), [folder])

    assert batch.status == Batch.Status.COMPLETED
    imported = set(
        batch.items.filter(status=BatchItem.Status.IMPORTED).values_list("path", flat=True)
    )
    assert {f"dig/good.{extension}" for extension in seeds} <= imported
    failures = batch.items.filter(status=BatchItem.Status.FAILED)
    assert failures.count() > FILES / 2, "most mangled files are refused"
    for item in failures:
        assert item.error.strip(), item.path
        assert str(tmp_path) not in item.error and str(settings.DATA_DIR) not in item.error
        assert "Traceback" not in item.error
    data_dir = Path(settings.DATA_DIR)
    outside_after = [path for path in tmp_path.rglob("*") if not path.is_relative_to(data_dir)]
    assert sorted(outside_after) == [p for p in outside_before if not p.is_relative_to(data_dir)]
    assert scratch_files() == []
