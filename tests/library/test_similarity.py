"""Find similar and the duplicate finder, on generated audio imported and analysed for real."""

from dataclasses import replace
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import soxr
from scipy import signal

from imports.importing import import_file
from library import duplicates, similarity
from library.duplicates import find_duplicates
from library.models import Sample
from library.similarity import similar_samples
from library.tasks import analyze_sample, analyze_samples
from tests import audiogen
from tests.files import SR, write_audio

pytestmark = pytest.mark.django_db


@cache
def library_sounds() -> dict:
    """Varied drums, tonal sounds and loops, four kicks among them."""
    return {
        "Kicks/kick deep.wav": audiogen.kick(),
        "Kicks/kick short.wav": audiogen.kick(seconds=0.3, start_hz=200, end_hz=60, seed=4),
        "Kicks/kick long.wav": audiogen.kick(seconds=0.8, start_hz=130, end_hz=42, seed=5),
        "Kicks/kick punchy.wav": audiogen.kick(seconds=0.45, start_hz=190, end_hz=48, seed=8),
        "Snares/snare.wav": audiogen.snare(),
        "Snares/snare tight.wav": audiogen.snare(seconds=0.25, seed=21),
        "Claps/clap.wav": audiogen.clap(),
        "Hats/closed hat.wav": audiogen.closed_hat(),
        "Hats/open hat.wav": audiogen.open_hat(),
        "Toms/tom.wav": audiogen.tom(),
        "Bass/808.wav": audiogen.long_808(seconds=3.0),
        "Chords/chords.wav": audiogen.chord("A", "minor", 4.0),
        "Chords/pad.wav": audiogen.pad_chord("F#", "major", 3.0),
        "Loops/drums 90.wav": audiogen.drum_loop(90, 2),
        "Loops/keys 100.wav": audiogen.melodic_loop("C", "minor", 100.0, 2),
    }


@pytest.fixture(autouse=True)
def fresh_indexes():
    """Each test starts as a fresh process does: no index in memory."""
    similarity.forget_indexes()
    yield
    similarity.forget_indexes()


@pytest.fixture
def add(tmp_path):
    """Import a file through the real import and analyse it; returns the ready sample."""

    def add(owner, relative: str, audio=None, sr=SR, path=None) -> Sample:
        path = path or write_audio(tmp_path / owner.username / relative, audio, sr)
        outcome = import_file(owner, path, relative)
        assert outcome.sample is not None, outcome.message
        assert analyze_sample(outcome.sample.pk) == Sample.Status.READY
        return Sample.objects.get(pk=outcome.sample.pk)

    return add


@pytest.fixture
def library(user, add) -> dict[str, Sample]:
    """The whole varied library, for ranking and duplicate checks."""
    return {name: add(user, name, audio) for name, audio in library_sounds().items()}


@pytest.fixture
def small_library(user, add) -> dict[str, Sample]:
    """Five different sounds, for checks of what may appear at all."""
    names = ["Kicks/kick deep.wav", "Snares/snare.wav", "Hats/open hat.wav", "Bass/808.wav",
             "Chords/chords.wav"]  # fmt: skip
    return {name: add(user, name, library_sounds()[name]) for name in names}


def ids_of(results) -> list[int]:
    return [sample_id for sample_id, _ in results]


def padded(audio, seconds=0.2):
    silence = audiogen.silence(seconds, SR)
    return np.concatenate([silence, audio, silence])


@pytest.mark.parametrize(
    "name", ["Kicks/kick deep.wav", "Snares/snare.wav", "Chords/chords.wav", "Loops/drums 90.wav"]
)
def test_re_encoded_copies_are_the_nearest_neighbours(user, library, add, name):
    original = library_sounds()[name]
    at_48k = soxr.resample(original, SR, 48000).astype(np.float32)
    versions = [("mp3", SR, original), ("flac", SR, original), ("wav", 48000, at_48k)]
    copies = {add(user, f"Copies/copy.{suffix}", audio, sr).pk for suffix, sr, audio in versions}
    results = similar_samples(user, library[name], limit=5)
    assert set(ids_of(results)[:3]) == copies
    assert all(0 < score <= 1 for _, score in results)
    assert [score for _, score in results] == sorted((score for _, score in results), reverse=True)


@pytest.mark.parametrize("name", ["Claps/clap.wav", "Toms/tom.wav", "Chords/pad.wav"])
def test_a_quieter_copy_is_the_same_sound(user, library, add, tmp_path, name):
    # A velocity layer or a normalised copy: 30 dB apart, alike in everything else
    # (24-bit, so that the copy's quantisation noise is as far under it as the original's).
    path = tmp_path / "quiet.wav"
    sf.write(path, library_sounds()[name] * 10 ** (-30 / 20), SR, subtype="PCM_24")
    quiet = add(user, f"Quiet/{name}", path=path)
    ((nearest, score), *_) = similar_samples(user, library[name], limit=3)
    assert nearest == quiet.pk
    assert score >= 0.8


def test_a_kicks_nearest_neighbours_are_mostly_kicks(user, library):
    kick = library["Kicks/kick deep.wav"]
    nearest = Sample.objects.in_bulk(ids_of(similar_samples(user, kick, limit=3)))
    assert kick.pk not in nearest
    assert sum(sample.source_path == "Kicks" for sample in nearest.values()) >= 2


def test_within_ids_restricts_the_results(user, small_library):
    kick = small_library["Kicks/kick deep.wav"]
    within = {small_library[name].pk for name in ("Snares/snare.wav", "Hats/open hat.wav")}
    restricted = similar_samples(user, kick, within_ids=within)
    assert set(ids_of(restricted)) == within
    everything = ids_of(similar_samples(user, kick, limit=100))
    assert ids_of(restricted) == [sample_id for sample_id in everything if sample_id in within]


def test_within_ids_accepts_the_filtered_queryset(user, small_library):
    kick = small_library["Kicks/kick deep.wav"]
    tonal = Sample.objects.owned_by(user).filter(source_path__in=["Bass", "Chords"])
    found = ids_of(similar_samples(user, kick, within_ids=tonal))
    assert sorted(found) == sorted(tonal.values_list("id", flat=True))


def test_trashed_samples_never_appear_and_come_back_when_restored(user, small_library, add):
    kick = small_library["Kicks/kick deep.wav"]
    copy = add(user, "Copies/kick.mp3", library_sounds()["Kicks/kick deep.wav"])
    assert ids_of(similar_samples(user, kick))[0] == copy.pk
    copy.move_to_trash()
    assert copy.pk not in ids_of(similar_samples(user, kick, limit=100))
    # A sample in the trash can still be asked about; its neighbours are alive ones.
    assert ids_of(similar_samples(user, copy))[0] == kick.pk
    copy.restore()
    assert ids_of(similar_samples(user, kick))[0] == copy.pk


def test_a_sample_deleted_outright_never_appears(user, small_library):
    kick = small_library["Kicks/kick deep.wav"]
    similar_samples(user, kick)
    Sample.objects.filter(pk=small_library["Snares/snare.wav"].pk).delete()
    found = ids_of(similar_samples(user, kick, limit=100))
    assert small_library["Snares/snare.wav"].pk not in found
    assert len(found) == len(small_library) - 2


def test_another_users_samples_never_appear(user, other_user, small_library, add):
    audio = library_sounds()["Kicks/kick deep.wav"]
    theirs = {add(other_user, name, audio).pk for name in ("Kicks/kick deep.wav", "kick.mp3")}
    kick = small_library["Kicks/kick deep.wav"]
    found = ids_of(similar_samples(user, kick, limit=100))
    assert set(found) == {sample.pk for sample in small_library.values()} - {kick.pk}
    their_kick = Sample.objects.get(pk=min(theirs))
    assert ids_of(similar_samples(other_user, their_kick, limit=100)) == [max(theirs)]


def test_the_index_notices_new_imports(user, small_library, add):
    kick = small_library["Kicks/kick deep.wav"]
    before = ids_of(similar_samples(user, kick))
    copy = add(user, "Copies/kick.mp3", library_sounds()["Kicks/kick deep.wav"])
    assert copy.pk not in before
    assert ids_of(similar_samples(user, kick))[0] == copy.pk


def test_a_fresh_process_catches_up_from_the_saved_index(user, small_library, add):
    kick = small_library["Kicks/kick deep.wav"]
    similarity.save(similarity.owner_index(user), similarity.index_path(user.pk))
    copy = add(user, "Copies/kick.mp3", library_sounds()["Kicks/kick deep.wav"])
    small_library["Hats/open hat.wav"].move_to_trash()
    similarity.forget_indexes()
    found = ids_of(similar_samples(user, kick, limit=100))
    assert found[0] == copy.pk
    assert small_library["Hats/open hat.wav"].pk not in found
    assert len(found) == len(small_library) - 1
    stored = similarity.load(similarity.index_path(user.pk))
    assert stored is not None and stored.ids.size == len(small_library)


def test_the_analysis_task_saves_the_index_once_nothing_waits(user, small_library, tmp_path):
    path = similarity.index_path(user.pk)
    path.unlink(missing_ok=True)
    clap = write_audio(tmp_path / "new" / "clap.wav", library_sounds()["Claps/clap.wav"])
    tom = write_audio(tmp_path / "new" / "tom.wav", library_sounds()["Toms/tom.wav"])
    first = import_file(user, clap, "New/clap.wav").sample
    second = import_file(user, tom, "New/tom.wav").sample
    analyze_samples([first.pk])
    assert not path.exists()  # The tom still waits: the import is not done.
    analyze_samples([second.pk])
    stored = similarity.load(path)
    assert stored is not None
    assert set(stored.ids.tolist()) == {s.pk for s in small_library.values()} | {
        first.pk,
        second.pk,
    }
    assert stored.newest_id >= second.pk


def test_a_sample_analysed_again_is_replaced_not_doubled(user, small_library):
    kick = small_library["Kicks/kick deep.wav"]
    similar_samples(user, kick)
    snare = small_library["Snares/snare.wav"]
    Sample.objects.filter(pk=snare.pk).update(status=Sample.Status.PENDING)
    assert snare.pk not in ids_of(similar_samples(user, kick, limit=100))
    assert analyze_sample(snare.pk) == Sample.Status.READY
    found = ids_of(similar_samples(user, kick, limit=100))
    assert sorted(found) == sorted(sample.pk for sample in small_library.values() if sample != kick)


def test_a_sample_read_while_it_became_ready_is_not_doubled(user, small_library):
    # Building the index can read a vector whose sample it also saw as not ready.
    snare = small_library["Snares/snare.wav"]
    index = similarity.owner_index(user)
    raced = replace(index, outside_ids=frozenset({snare.pk}))
    index = similarity.catch_up(raced, user)
    ids, squared = index.squared_distances(index.point_of(snare.pk))
    assert list(ids[np.isfinite(squared)]).count(snare.pk) == 1


def test_a_warm_query_costs_two_small_queries(user, small_library, django_assert_num_queries):
    kick = small_library["Kicks/kick deep.wav"]
    similar_samples(user, kick)
    with django_assert_num_queries(2):
        similar_samples(user, kick)


def test_an_unanalysed_sample_has_no_similar_samples(user, small_library, make_sample):
    assert similar_samples(user, make_sample(user)) == []


def test_duplicates_list_the_re_encoded_and_the_padded_copy_but_not_other_kicks(user, library, add):
    kick = library_sounds()["Kicks/kick deep.wav"]
    copies = {
        add(user, "Copies/kick.mp3", kick).pk,
        add(user, "Copies/kick padded.wav", padded(kick)).pk,
    }
    # Harder than the library's kicks: the same kick tuned 3 % higher.
    add(user, "Kicks/kick detuned.wav", audiogen.kick(start_hz=165, end_hz=51.5))
    groups = find_duplicates(user)
    kick_pk = library["Kicks/kick deep.wav"].pk
    assert [set(group.sample_ids) for group in groups] == [{kick_pk, *copies}]
    assert groups[0].reason == duplicates.TRIMMED


def test_sounds_that_differ_only_in_their_noise_are_not_duplicates(user, add):
    for seed in (2, 3, 7):
        add(user, f"Snares/snare {seed}.wav", audiogen.snare(seed=seed))
        add(user, f"Hats/open hat {seed}.wav", audiogen.open_hat(seed=seed))
    assert find_duplicates(user) == []


def test_processed_versions_are_not_duplicates(user, library, add):
    loop = library_sounds()["Loops/drums 90.wav"]
    low_pass = signal.butter(4, 3000, fs=SR, output="sos")
    add(user, "Loops/drums 90 dull.wav", signal.sosfilt(low_pass, loop).astype(np.float32))
    chords = library_sounds()["Chords/chords.wav"]
    add(user, "Chords/chords driven.wav", (np.tanh(3 * chords) / np.tanh(3)).astype(np.float32))
    assert find_duplicates(user) == []


@pytest.mark.parametrize(
    ("name", "process"),
    [
        (
            "Loops/drums 90.wav",
            lambda audio: signal.sosfilt(signal.butter(4, 3000, fs=SR, output="sos"), audio),
        ),
        ("Loops/keys 100.wav", lambda audio: np.tanh(3 * audio) / np.tanh(3)),
        ("Chords/chords.wav", lambda audio: np.tanh(3 * audio) / np.tanh(3)),
    ],
)
def test_processed_audio_is_not_the_same_audio(tmp_path, name, process):
    def heard(file_name, audio):
        path = write_audio(tmp_path / file_name, np.asarray(audio, dtype=np.float32))
        return duplicates.hear(SimpleNamespace(file=SimpleNamespace(path=str(path))))

    original = heard("original.wav", library_sounds()[name])
    assert duplicates.same_audio(original, heard("copy.mp3", library_sounds()[name]))
    assert (
        duplicates.same_audio(original, heard("processed.wav", process(library_sounds()[name])))
        is None
    )


def test_a_quieter_copy_in_the_same_format_is_a_duplicate_of_another_level(user, library, add):
    kick = library_sounds()["Kicks/kick deep.wav"]
    copy = add(user, "Copies/kick deep quiet.wav", kick * 10 ** (-12 / 20))
    (group,) = find_duplicates(user)
    assert group.sample_ids == tuple(sorted([library["Kicks/kick deep.wav"].pk, copy.pk]))
    assert group.reason == duplicates.REENCODED == "same audio, another format or level"


def test_duplicates_without_silence_are_reported_as_a_different_format(user, library, add):
    loop = library_sounds()["Loops/drums 90.wav"]
    copy = add(user, "Copies/drums.mp3", loop)
    (group,) = find_duplicates(user)
    assert group.sample_ids == tuple(sorted([library["Loops/drums 90.wav"].pk, copy.pk]))
    assert group.reason == duplicates.REENCODED


def test_the_same_audio_with_other_metadata_is_an_exact_duplicate(
    user, small_library, add, tmp_path
):
    path = tmp_path / "tagged.wav"
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as tagged:
        tagged.title = "Deep kick, tagged by the pack's author"
        tagged.write(library_sounds()["Kicks/kick deep.wav"])
    copy = add(user, "Tagged/kick.wav", path=path)
    (group,) = find_duplicates(user)
    assert group.sample_ids == tuple(sorted([small_library["Kicks/kick deep.wav"].pk, copy.pk]))
    assert group.reason == duplicates.EXACT


def test_a_library_without_copies_has_no_duplicates(user, library):
    assert find_duplicates(user) == []


def test_an_empty_library_has_no_duplicates_and_nothing_similar(user, make_sample):
    assert find_duplicates(user) == []
    assert similar_samples(user, make_sample(user)) == []


def test_candidate_pairs_find_near_rows_across_blocks():
    rng = np.random.default_rng(3)
    scale = np.array([similarity.codec_noise(name) for name in similarity.FEATURE_NAMES])
    vectors = rng.normal(0, 1, (3000, len(scale))) * scale * 40
    vectors[2999] = vectors[5] + scale * 0.5  # Within codec noise of row 5.
    pairs = duplicates.candidate_pairs(vectors, block=256)
    assert {tuple(sorted(pair)) for pair in pairs.tolist()} == {(5, 2999)}
