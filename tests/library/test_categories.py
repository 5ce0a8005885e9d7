"""Categories: the shipped classifier, names as evidence, and calibrated confidence."""

import numpy as np
import pytest

from library.analysis import analyze, classifier
from library.analysis.categories import combine, may_have_key
from library.analysis.naming import DRUMS, NameHints, read_name
from library.analysis.timbre import TIMBRE_NAMES
from tests import audiogen

# The shipped model ---------------------------------------------------------------


def test_the_shipped_model_loads_without_pickle_and_reads_the_timbre_vector():
    network = classifier.load(classifier.MODEL_PATH)
    assert network.feature_names == TIMBRE_NAMES
    assert set(network.classes) >= DRUMS | {"bass", "keys", "pad", "lead"}
    assert 0.2 < network.temperature < 5
    assert classifier.MODEL_PATH.stat().st_size < 400_000
    with np.load(classifier.MODEL_PATH, allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)


def test_an_absurd_feature_value_counts_no_more_than_a_far_one():
    network = classifier.shipped()
    far, absurd = network.mean.copy(), network.mean.copy()
    far[0] += classifier.MAX_STANDARD_SCORE * network.scale[0]
    absurd[0] += 1e9
    assert np.allclose(network.probabilities(absurd), network.probabilities(far))


def test_save_and_load_give_the_same_network(tmp_path):
    network = classifier.shipped()
    classifier.save(tmp_path / "copy.npz", network)
    copy = classifier.load(tmp_path / "copy.npz")
    row = network.mean[None, :] + network.scale[None, :]
    assert np.allclose(copy.probabilities(row), network.probabilities(row), atol=1e-6)


def test_members_vote_by_their_weights_and_a_one_layer_member_is_linear():
    def linear(weights):
        return ((np.asarray(weights, dtype=float), np.zeros(2)),)

    network = classifier.Network(
        feature_names=("a", "b"),
        classes=("kick", "snare"),
        mean=np.zeros(2),
        scale=np.ones(2),
        members=(linear([[2.0, 0.0], [0.0, 0.0]]), linear([[0.0, 2.0], [0.0, 0.0]])),
        member_weights=(3.0, 1.0),
        temperature=1.0,
    )
    row = np.array([[1.0, 0.0]])
    first = classifier.log_softmax(np.array([[2.0, 0.0]]))
    second = classifier.log_softmax(np.array([[0.0, 2.0]]))
    assert np.allclose(network.logits(row), (3 * first + second) / 4)
    assert network.probabilities(row)[0].argmax() == 0


def test_the_shipped_model_weighs_networks_against_a_linear_model():
    network = classifier.shipped()
    depths = [len(layers) for layers in network.members]
    assert 1 in depths and max(depths) > 1
    assert all(share > 0 for share in network.member_weights)


def analyse(folder, audio, name="sample.wav", folder_hint=""):
    path = audiogen.write(folder / name, audio)
    return analyze(path, name_hint=name, folder_hint=folder_hint)


GENERATED_HITS = {
    "kick": audiogen.kick,
    "snare": audiogen.snare,
    "clap": audiogen.clap,
    "closed_hat": audiogen.closed_hat,
    "open_hat": audiogen.open_hat,
    "tom": lambda seed: audiogen.tom(pitch_hz=140, seed=seed),
}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("category", sorted(GENERATED_HITS))
def test_the_shipped_model_classifies_generated_hits_by_their_sound(tmp_path, category, seed):
    result = analyse(tmp_path, GENERATED_HITS[category](seed=seed))
    assert result.kind == "one-shot"
    assert result.category_source == "audio"
    if result.category_confidence >= 0.5:
        assert result.category == category
    else:
        # A synthetic tom is a pitched sine body, as a kick is: unsure between the
        # two (and shown as a guess), the model may take one for the other.
        assert {result.category, category} <= {"tom", "kick"} or result.category == category


@pytest.mark.parametrize(
    "make",
    [
        lambda: audiogen.pad_chord("D", "minor", 5.0),
        lambda: audiogen.bass_note(33, 1.5),
        lambda: audiogen.long_808(),
        lambda: audiogen.chord("A", "minor", 2.0),
        lambda: audiogen.note(57, 0.25, ring=0.2),
    ],
    ids=["pad", "bass note", "long 808", "chord", "short plucked note"],
)
def test_sustained_or_tonal_sounds_are_never_toms_or_kicks(tmp_path, make):
    assert analyse(tmp_path, make()).category not in {"tom", "kick"}


# Names as evidence ----------------------------------------------------------------

AUDIO_SAYS_SNARE = {"snare": 0.55, "cymbal": 0.25, "open_hat": 0.1, "tom": 0.1}
AUDIO_IS_SURE = {"closed_hat": 0.995, "kick": 0.001, "snare": 0.004}


def test_a_clear_file_name_wins_over_a_weak_audio_guess():
    chosen = combine(AUDIO_SAYS_SNARE, read_name("Ride 2.wav"))
    assert (chosen.name, chosen.source) == ("cymbal", "name")
    assert chosen.confidence >= 0.8


def test_a_sure_audio_verdict_outweighs_a_wrong_name():
    chosen = combine(AUDIO_IS_SURE, read_name("Kick 3.wav"))
    assert (chosen.name, chosen.source) == ("closed_hat", "audio")


def test_a_folder_counts_for_less_than_the_file_name():
    # The sound says snare forty times more likely than tom: enough against a
    # folder's word, not against the file's own name.
    audio = {"snare": 0.8, "tom": 0.02, "cymbal": 0.18}
    from_file = combine(audio, read_name("Tom 1.wav"))
    from_folder = combine(audio, read_name("take 1.wav", "Toms"))
    assert (from_file.name, from_folder.name) == ("tom", "snare")


def test_without_a_name_the_audio_decides():
    chosen = combine(AUDIO_SAYS_SNARE, NameHints(frozenset(), None))
    assert (chosen.name, chosen.confidence, chosen.source) == ("snare", 0.55, "audio")


def test_a_name_naming_a_family_lets_the_audio_choose_within_it():
    chosen = combine({"keys": 0.5, "snare": 0.3, "kick": 0.2}, read_name("drums 4.wav"))
    assert chosen.name == "snare"


UNSURE = dict.fromkeys(("kick", "snare", "clap", "closed_hat", "open_hat", "percussion"), 1 / 6)


@pytest.mark.parametrize(
    ("name", "folder_hint", "category"),
    [
        ("thing.wav", "Drums/Kicks", "kick"),
        ("BD_01.wav", "", "kick"),
        ("OpenHH 3.wav", "", "open_hat"),
        ("Clap_Tight.wav", "", "clap"),
        ("perc 7.wav", "", "percussion"),
        ("Tight.wav", "Pack/Snares", "snare"),
    ],
)
def test_words_in_the_name_and_folders_set_the_category_when_the_sound_is_unsure(
    name, folder_hint, category
):
    chosen = combine(UNSURE, read_name(name, folder_hint))
    assert (chosen.name, chosen.source) == (category, "name")


def test_a_name_agreeing_with_the_sound_is_the_source(tmp_path):
    result = analyse(tmp_path, audiogen.clap(), name="Clap_Tight.wav")
    assert (result.category, result.category_source) == ("clap", "name")
    assert result.category_confidence >= 0.8


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("BD 01.wav", "kick"),
        ("808_SD.wav", "snare"),
        ("HH_3.wav", "closed_hat|open_hat"),
        ("OH.wav", "open_hat"),
        ("CH 2.wav", "closed_hat"),
        ("RD_A.wav", "cymbal"),
        ("CR1.wav", "cymbal"),
        ("TM low.wav", "tom"),
        ("RS.wav", "percussion|snare"),
        ("CP_09.wav", "clap"),
        ("Side Stick v80.wav", "percussion"),
        ("Pedal Hi-Hat.wav", "closed_hat"),
        ("HiHat_Open_2.flac", "open_hat"),
        ("Ride Bell.wav", "cymbal"),
        ("Cow Bell.wav", "percussion"),
        ("snare_rimshot.wav", "snare"),
        ("Splash 10in.wav", "cymbal"),
        ("China.wav", "cymbal"),
        ("shaker 2.wav", "percussion"),
        ("Conga Low.wav", "percussion"),
        ("Acoustic Bass Drum.wav", "kick"),
        ("Snare OH mic.wav", "snare"),
    ],
)
def test_names_and_abbreviations_say_what_they_are(name, category):
    assert read_name(name).categories == frozenset(category.split("|"))


@pytest.mark.parametrize(
    "name", ["808.wav", "TR808 01.wav", "Kit 3 - Electric.wav", "Deep 808.wav"]
)
def test_a_machine_or_kit_name_names_no_class(name):
    assert read_name(name).categories == frozenset()


def test_a_files_own_name_outweighs_its_folder():
    hints = read_name("Snare 1.wav", "Kicks")
    assert hints.categories == {"snare"} and hints.from_file_name


def test_a_name_says_what_the_network_does_not_learn():
    chosen = combine({"pad": 0.6, "lead": 0.4}, read_name("Riser 01.wav"))
    assert (chosen.name, chosen.source) == ("fx", "name")
    assert not may_have_key(chosen.name)


def test_what_only_the_folder_rules_out_is_doubted_as_a_folder_would():
    # "drums" in the file name allows any drum; only the folder says kick.
    audio = {"snare": 0.8, "kick": 0.01, "keys": 0.19}
    assert combine(audio, read_name("drums 4.wav", "Kicks")).name == "snare"
    assert combine(audio, read_name("kick 4.wav")).name == "kick"


def swell(seconds=2.0):
    t = np.arange(int(seconds * audiogen.SR)) / audiogen.SR
    return (np.sin(2 * np.pi * 220 * t) * (t / seconds) ** 2 * 0.8).astype(np.float32)


@pytest.mark.parametrize(
    "make",
    [
        swell,
        lambda: np.random.default_rng(1).uniform(-0.5, 0.5, 132).astype(np.float32),
        lambda: np.concatenate([np.zeros(4000), np.random.default_rng(2).uniform(-1, 1, 50)]),
    ],
    ids=["swell to the last sample", "3 ms of noise", "a click at the very end"],
)
def test_sounds_unlike_any_drum_hit_are_not_called_cymbals_with_certainty(tmp_path, make):
    result = analyse(tmp_path, make())
    assert not (result.category == "cymbal" and result.category_confidence > 0.9)
