"""Where a loop is cut: equal parts, beats, transients, hand cuts cleaned, zero crossings, fades."""

import numpy as np

from library import chops

RATE = 48000


def test_equal_parts_cut_the_loop_into_slices_of_one_length():
    cuts = chops.equal_parts(96000, 4)
    assert cuts == [24000, 48000, 72000]
    lengths = {end - start for start, end in chops.ranges(cuts, 96000)}
    assert lengths == {24000}


def test_beats_follow_the_exact_tempo_and_half_beats_double_them():
    frames = 4 * RATE  # two bars at 120 BPM: eight beats of half a second
    assert chops.on_beats(frames, RATE, 120.0) == [24000 * n for n in range(1, 8)]
    assert len(chops.on_beats(frames, RATE, 120.0, per_beat=2)) == 15
    # A loop a few frames short of its last beat still gets all its beats.
    assert len(chops.on_beats(frames - 30, RATE, 120.0)) == 7


def test_transients_keep_the_attacks_as_strong_as_the_sensitivity_asks():
    onsets = [[0.0, 1.0], [0.5, 0.6], [1.0, 0.3], [1.5, 0.12]]
    assert chops.at_transients(onsets, RATE, 2 * RATE, "low") == [0, 24000]
    assert chops.at_transients(onsets, RATE, 2 * RATE, "medium") == [0, 24000, 48000]
    assert len(chops.at_transients(onsets, RATE, 2 * RATE, "high")) == 4


def test_cuts_are_sorted_inside_the_loop_and_never_closer_than_the_shortest_slice():
    shortest = chops.frames_of(chops.MIN_SLICE_MS, RATE)
    cuts = [72000, 0, 24000, 24000 + shortest - 1, 96000, 48000, 95990]
    assert chops.cleaned(cuts, 96000, RATE) == [24000, 48000, 72000]


def test_no_more_than_the_most_slices_are_made():
    cuts = chops.cleaned(range(1000, 96000, 1000), 96000, RATE)
    assert len(chops.ranges(cuts, 96000)) == chops.MAX_SLICES


def test_slices_cover_the_loop_end_to_end():
    spans = chops.ranges([100, 5000], 9000)
    assert spans == [(0, 100), (100, 5000), (5000, 9000)]


def test_a_cut_moves_to_the_nearest_zero_crossing_within_a_millisecond():
    wave = np.sin(2 * np.pi * 100 * np.arange(RATE) / RATE)  # crossings every 240 frames
    assert chops.to_zero_crossings(wave, [250, 10_050, 10_000], RATE) == [240, 10_080, 10_000]
    # None within reach (10,000 is 80 frames from one; a 5 Hz wave crosses every 4800): it stays.
    slow = np.sin(2 * np.pi * 5 * np.arange(RATE) / RATE)
    assert chops.to_zero_crossings(slow, [1200], RATE) == [1200]


def test_edges_fade_from_silence_and_back_leaving_the_middle_alone():
    block = np.ones((1000, 2), dtype=np.float32)
    chops.fade_edges(block, 96)
    assert block[0].tolist() == [0.0, 0.0]
    assert block[-1, 0] < 0.01
    assert np.all(block[96:-96] == 1.0)
    assert np.all(np.diff(block[:96, 0]) > 0)
