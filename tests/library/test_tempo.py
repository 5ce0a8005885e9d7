"""Tempo where a musician hears one, on generated audio: the beat level, one-bar loops, no pulse."""

from pathlib import Path

import numpy as np
import pytest

from library.analysis import analyze, rhythm
from tests import audiogen

BACKBEAT_FAST = {  # Drum and bass: kick on 1 and the "and" of 3, snare on 2 and 4.
    "kick": "x.........x.....",
    "snare": "....x.......x...",
    "hat": "x.x.x.x.x.x.x.x.",
}
BOOM_BAP = {  # Snare on 2 and 4 with eighth-note hats: the slow level is the beat.
    "kick": "x......x..x.....",
    "snare": "....x.......x...",
    "hat": "x.x.x.x.x.x.x.x.",
}
SYNCOPATED = {  # Kicks on 1, the "a" of 2 and the "and" of 3 under sixteenth-note hats.
    "kick": "x......x..x...x.",
    "snare": "........x.......",
    "hat": "xxxxxxxxxxxxxxxx",
}
HALF_TIME = {  # Kick on 1 and the "and" of 3, snare on 3 alone: at half the tempo, a backbeat.
    "kick": "x.........x.....",
    "snare": "........x.......",
    "hat": "x.x.x.x.x.x.x.x.",
}
FILL = {  # The boom bap bar with the snare running in sixteenths through its second half.
    "kick": "x......x..x.....",
    "snare": "....x...xxxxxxxx",
    "hat": "x.x.x.x.x.x.x.x.",
}
WALTZ = {  # One bar of 3/4: the kick on 1, the snare on 2 and 3 (twelve sixteenths).
    "kick": "x...........",
    "snare": "....x...x...",
    "hat": "x.x.x.x.x.x.",
}
BREAKBEAT = {  # Kicks on sixteenths next to each other: at half the tempo, thirty-seconds.
    "kick": "x.x.......xx....",
    "snare": "....x.......x...",
    "hat": "x.x.x.x.x.x.x.x.",
}
FOUR_ON_THE_FLOOR = {"kick": "x...x...x...x..."}
SPARSE_HALF_TIME = {  # Two strong hits, kick and snare, and two soft hats: one bar.
    "kick": "x...............",
    "snare": "........x.......",
    "hat": "....x.......x...",
}
ONE_DROP = {  # Kick and snare together on 3 only, under soft eighth-note hats.
    "kick": "........x.......",
    "snare": "........x.......",
    "hat": "x.x.x.x.x.x.x.x.",
}
CRASH_TECHNO = {  # A phrase opening on a crash, over kicks and off-beat hats alone.
    "kick": "x...x...x...x...",
    "hat": "..x...x...x...x.",
    "crash": "x...............",
}
CRASH_TRANCE = {**CRASH_TECHNO, "snare": "....x.......x..."}
SWUNG_BOOM_BAP = {  # Off-beat sixteenths in the hats, played late when swung.
    "kick": "x......x..x.....",
    "snare": "....x.......x...",
    "hat": "x.xxx.x.x.xxx.x.",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tempo")


def analyse(folder: Path, audio, name: str):
    path = audiogen.write(folder / f"{name}.wav", audio)
    return analyze(path, name_hint="take 7.wav")


@pytest.mark.parametrize(
    "sound",
    [
        pytest.param(lambda: audiogen.detuned_pad("D", "minor", 6.0), id="detuned pad"),
        pytest.param(
            lambda: audiogen.detuned_pad("A", "major", 9.0, detune_cents=12), id="strings"
        ),
        pytest.param(lambda: audiogen.drone(38, 8.0), id="drone"),
        pytest.param(lambda: audiogen.pad_chord("F", "major", 5.0), id="held chord"),
        pytest.param(
            lambda: audiogen.with_tremolo(audiogen.detuned_pad("C", "minor", 6.0), 5.0, 0.4),
            id="pad with tremolo",
        ),
    ],
)
def test_a_sustained_sound_without_a_pulse_gets_no_tempo(folder, sound):
    result = analyse(folder, sound(), f"sustained-{id(sound)}")
    assert result.bpm is None
    assert result.bpm_confidence is None


@pytest.mark.parametrize(("bpm", "bars"), [(170, 2), (174, 1), (165, 4)])
def test_a_fast_loop_with_the_snare_on_two_and_four_is_read_at_its_tempo_not_half(
    folder, bpm, bars
):
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, BACKBEAT_FAST), f"dnb-{bpm}-{bars}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars"), [(170, 2), (158, 1), (160, 4)])
def test_a_fast_breakbeat_with_syncopated_kicks_is_read_at_its_tempo_not_half(folder, bpm, bars):
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, BREAKBEAT), f"break-{bpm}-{bars}")
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars"), [(142, 2), (150, 4), (148, 1)])
def test_trap_hats_in_sixteenths_are_not_read_as_thirty_seconds_of_half_the_tempo(
    folder, bpm, bars
):
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, SYNCOPATED), f"trap-{bpm}-{bars}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)
    # The pulse repeats clearly every two beats; syncopation blurs only the beat itself.
    assert result.bpm_confidence >= 0.25


@pytest.mark.parametrize(("bpm", "bars", "swing"), [(84, 2, 0.2), (80, 4, 0.25), (90, 2, 0.3)])
def test_a_swung_boom_bap_loop_keeps_its_slow_tempo(folder, bpm, bars, swing):
    audio = audiogen.pattern_loop(bpm, bars, SWUNG_BOOM_BAP, swing=swing)
    result = analyse(folder, audio, f"swung-{bpm}-{swing}")
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars"), [(84, 2), (92, 4)])
def test_a_slow_backbeat_loop_is_not_read_at_double_tempo(folder, bpm, bars):
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, BOOM_BAP), f"boombap-{bpm}")
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [140, 152, 166])
def test_a_one_bar_half_time_loop_is_not_read_as_half_a_bar_of_half_its_tempo(folder, bpm):
    result = analyse(folder, audiogen.pattern_loop(bpm, 1, HALF_TIME), f"half-time-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars", "fill_at"), [(86, 2, -1), (92, 4, -1), (88, 2, 0)])
def test_a_fill_does_not_double_the_tempo(folder, bpm, bars, fill_at):
    # The fill puts snares between the beats, but only in its own bar.
    parts = [audiogen.pattern_loop(bpm, 1, BOOM_BAP, seed=bar) for bar in range(bars)]
    parts[fill_at] = audiogen.pattern_loop(bpm, 1, FILL)
    result = analyse(folder, np.concatenate(parts), f"fill-{bpm}-{bars}-{fill_at}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [90, 110])
def test_a_one_bar_loop_in_three_four_keeps_its_tempo(folder, bpm):
    bar = audiogen.pattern_loop(bpm, 1, WALTZ)
    audio = bar[: round(12 * 15 / bpm * audiogen.SR)]  # Three beats, not four.
    result = analyse(folder, audio, f"waltz-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [95, 110, 128, 135])
def test_a_one_bar_loop_is_not_read_at_two_thirds_or_four_thirds_of_its_tempo(folder, bpm):
    result = analyse(folder, audiogen.pattern_loop(bpm, 1, SYNCOPATED), f"one-bar-{bpm}")
    assert result.bpm == pytest.approx(bpm, abs=0.5)


def test_a_loop_keeps_the_exact_tempo_its_length_gives(folder):
    # 2 bars in 2.9 s: 165.517 BPM, not a whole number.
    bpm = 240 * 2 / 2.9
    result = analyse(folder, audiogen.pattern_loop(bpm, 2, BACKBEAT_FAST), "exact")
    assert result.bpm == pytest.approx(bpm, abs=0.02)


@pytest.mark.parametrize("bpm", [120, 128])
def test_a_bar_of_four_kicks_with_its_tail_is_a_loop_with_its_tempo(folder, bpm):
    bar = audiogen.pattern_loop(bpm, 1, FOUR_ON_THE_FLOOR)
    audio = np.concatenate([bar, np.zeros(round(0.25 * audiogen.SR))])
    result = analyse(folder, audio, f"four-kicks-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [140, 160])
def test_a_sparse_bar_of_kick_snare_and_soft_hats_has_a_pulse(folder, bpm):
    result = analyse(folder, audiogen.pattern_loop(bpm, 1, SPARSE_HALF_TIME), f"sparse-{bpm}")
    assert result.kind == "loop"
    # Kick on 1 and snare on 3, or kick and snare a beat apart at half the tempo.
    assert result.bpm in (pytest.approx(bpm, abs=0.5), pytest.approx(bpm / 2, abs=0.5))


@pytest.mark.parametrize(("bpm", "bars"), [(72, 1), (80, 2), (90, 4)])
def test_a_bar_of_soft_hats_around_one_loud_hit_is_a_loop_at_its_tempo(folder, bpm, bars):
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, ONE_DROP), f"one-drop-{bpm}")
    assert result.kind == "loop"
    # Every bar has its accent: at double the tempo the drop would come once in two bars.
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [72, 96])
def test_a_one_drop_whose_hats_are_too_soft_to_be_onsets_is_still_a_loop(folder, bpm):
    # Two bars hold two loud hits; the hats between them, a tenth of the kick's
    # level, fall under the onset threshold but on the grid of the drops' tempo.
    loop = audiogen.pattern_loop(bpm, 2, ONE_DROP, gains={"hat": 0.1})
    result = analyse(folder, loop, f"soft-one-drop-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars"), [(76, 2), (88, 4)])
def test_a_one_drop_under_hats_as_loud_as_its_rim_is_heard_by_its_kick(folder, bpm, bars):
    # Lo-fi hats as loud as the side-stick fill the body band with accents; the
    # kick alone, once a bar, still tells the bar.
    loop = audiogen.pattern_loop(
        bpm,
        bars,
        ONE_DROP,
        gains={"kick": 0.5, "snare": 0.2, "hat": 0.5},
        sounds={"hat": audiogen.dull_hat()},
    )
    result = analyse(folder, loop, f"quiet-rim-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(
    ("pattern", "bpm", "bars"),
    [
        pytest.param(CRASH_TECHNO, 136, 2, id="techno-136"),
        pytest.param(CRASH_TECHNO, 150, 4, id="techno-150"),
        pytest.param(CRASH_TRANCE, 140, 2, id="trance-140"),
        pytest.param(CRASH_TRANCE, 138, 1, id="trance-138"),
    ],
)
def test_a_crash_that_opens_the_loop_does_not_halve_its_tempo(folder, pattern, bpm, bars):
    # On the 1 the crash is on the beat at every slower level: it marks the bar, not the beat.
    result = analyse(folder, audiogen.pattern_loop(bpm, bars, pattern), f"crash-{bpm}-{bars}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "bars"), [(96, 2), (135, 2), (110, 4), (121, 4)])
def test_a_syncopated_bass_line_is_read_at_its_bar_not_at_its_dotted_notes(folder, bpm, bars):
    # Its dotted eighths recur every 1.5 beats (2/3 or 4/3 of the tempo); its bars recur exactly.
    result = analyse(folder, audiogen.bass_line(bpm, bars), f"bass-{bpm}-{bars}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize("bpm", [74, 84])
def test_a_held_bass_line_has_no_backbeat_to_follow(folder, bpm):
    # Its notes on the "and" of 2 and of 4 have a snare's bands, but nothing in
    # it is a drum: the pulse of its bars decides, not a backbeat.
    result = analyse(folder, audiogen.bass_line(bpm, 4, legato=True), f"legato-bass-{bpm}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(
    ("sound", "bpm"),
    [
        pytest.param(lambda: audiogen.melodic_loop("A", "minor", 93.0, 4), 93, id="arpeggio"),
        pytest.param(lambda: audiogen.bass_line(91, 4), 91, id="bass line"),
    ],
)
def test_a_loop_inside_the_preferred_range_is_not_doubled_out_of_it(folder, sound, bpm):
    # Its notes between the beats read like snares there, and its double, just
    # past 180 BPM, would put them on beats; the preferred range decides instead.
    result = analyse(folder, sound(), f"inside-{bpm}")
    assert result.bpm == pytest.approx(bpm, abs=0.5)


@pytest.mark.parametrize(("bpm", "per_beat"), [(78, 2), (84, 2), (150, 2), (164, 2), (140, 1)])
def test_a_tonal_loop_is_read_at_the_level_where_its_chords_change_each_bar(folder, bpm, per_beat):
    # The same stream of notes is eighths at 78 or quarters at 156; the chords,
    # changing on each bar line and not half-way through a bar, tell which.
    audio = audiogen.chord_arpeggio(bpm, per_beat=per_beat)
    result = analyse(folder, audio, f"chord-arpeggio-{bpm}-{per_beat}")
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)


def test_bar_line_contrast_needs_chords_that_change_on_the_bar_lines():
    frame_rate, half = 40.0, 20  # Frames in half a bar.
    bpm = 120 * frame_rate / half
    fifths = [np.eye(12)[[root]] + np.eye(12)[[(root + 7) % 12]] for root in (0, 2, 4, 6)]
    one_chord = np.tile(fifths[0], (8 * half, 1))
    per_bar = np.concatenate([np.tile(chord, (2 * half, 1)) for chord in fifths])
    per_half_bar = np.concatenate([np.tile(chord, (half, 1)) for chord in fifths * 2])
    assert rhythm.bar_line_contrast(one_chord, frame_rate, bpm) == pytest.approx(0.0)
    assert rhythm.bar_line_contrast(per_half_bar, frame_rate, bpm) == pytest.approx(0.0)
    assert rhythm.bar_line_contrast(per_bar, frame_rate, bpm) > 0.5
    assert rhythm.bar_line_contrast(per_bar[: 3 * half], frame_rate, bpm) is None  # Under 2 bars.
    # A tail past the whole bars (a fifth of a bar of another chord) is left out.
    tail = np.tile(fifths[3], (2 * half // 5, 1))
    with_tail = rhythm.bar_line_contrast(np.vstack([per_bar, tail]), frame_rate, bpm)
    assert with_tail == pytest.approx(rhythm.bar_line_contrast(per_bar, frame_rate, bpm))
    # A bar with a rest in its second half still counts through the others.
    rest = per_bar.copy()
    rest[3 * half : 4 * half] = 0.0
    assert rhythm.bar_line_contrast(rest, frame_rate, bpm) > 0.5


def _envelope_with(peaks: dict[float, float], seconds: float, frame_rate: float) -> np.ndarray:
    envelope = np.zeros(round(seconds * frame_rate))
    for at, height in peaks.items():
        envelope[round(at * frame_rate)] = height
    return envelope


def test_soft_hits_count_only_when_nearly_all_fall_on_the_grid():
    frame_rate, bpm = 200.0, 120.0  # Sixteenths of 125 ms.
    strong = {0.0: 1.0, 1.0: 0.9}
    on_grid = {0.25: 0.05, 0.5: 0.04, 0.75: 0.05, 1.25: 0.04, 1.5: 0.05}
    wobble = {0.31: 0.05, 0.44: 0.04, 0.58: 0.05, 0.69: 0.04, 1.21: 0.05}

    def soft_hits(soft):
        envelope = _envelope_with({**strong, **soft}, 2.0, frame_rate)
        onsets = rhythm.Onsets(
            np.array(list(strong)), np.array(list(strong.values())), envelope, frame_rate
        )
        return rhythm.soft_hits_on_grid(onsets, bpm)

    assert soft_hits(on_grid) == 5
    # A held sound's wobble lands a peak or two on the grid by chance, never nearly all.
    assert soft_hits(wobble) == 0
    # Under a third of the onset threshold (0.1 of the loudest here) is no hit at all.
    assert soft_hits(dict.fromkeys(on_grid, 0.02)) == 0
