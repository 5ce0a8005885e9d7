"""Kit fixtures: a kit and a small library of drums and loops with chosen tempo and key."""

import pytest

from kits.models import Kit


@pytest.fixture
def kit(user):
    return Kit.objects.create(owner=user, name="Boom bap", tempo_bpm=90, key="A", scale="minor")


@pytest.fixture
def library(user, make_sample):
    """A generated library: drum one-shots and loops around 90 BPM in and out of A minor."""

    def one_shot(name, category, **fields):
        return make_sample(user, name=name, kind="one-shot", category=category, **fields)

    def loop(name, bpm, key="", scale="", category="drum_loop", **fields):
        return make_sample(
            user, name=name, kind="loop", category=category, tempo_bpm=bpm, key=key,
            scale=scale, duration=8.0, **fields,
        )  # fmt: skip

    return {
        "kick": one_shot("Kick Deep", "kick"),
        "kick2": one_shot("Kick Punchy", "kick", is_favorite=True),
        "tom": one_shot("Tom Low", "tom"),
        "snare": one_shot("Snare Crack", "snare"),
        "clap": one_shot("Clap Wide", "clap"),
        "hat": one_shot("Hat Closed", "closed_hat"),
        "open_hat": one_shot("Hat Open", "open_hat"),
        "perc": one_shot("Shaker", "percussion"),
        "cymbal": one_shot("Crash", "cymbal"),
        "fx": one_shot("Riser", "fx"),
        "loop_same": loop("Keys 90 Am", 90, "A", "minor", category="melodic_loop"),
        "loop_close": loop("Keys 92 C", 92, "C", "major", category="melodic_loop"),
        "loop_half": loop("Pad 45 Em", 45.5, "E", "minor", category="melodic_loop"),
        "loop_far": loop("Beat 120", 120),
        "loop_clash": loop("Keys 90 F#", 90, "F#", "major", category="melodic_loop"),
        "drums_90": loop("Break 89", 89),
    }
