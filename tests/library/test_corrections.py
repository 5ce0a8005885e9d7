"""A correction is a label: offered to the nearest sounds, and heard when new ones arrive."""

import pytest
import soundfile as sf
from django.urls import reverse

from imports.importing import import_file
from library.models import Sample
from library.tasks import analyze_sample
from tests import audiogen

pytestmark = pytest.mark.django_db


def add(user, tmp_path, name, audio):
    path = tmp_path / name
    sf.write(path, audio, audiogen.SR)
    sample = import_file(user, path, name).sample
    analyze_sample(sample.pk)
    return Sample.objects.get(pk=sample.pk)


@pytest.fixture
def toms(user, tmp_path):
    """Four toms a little apart in pitch (the last one furthest), and sounds unlike them."""
    found = {
        f"take {number}": add(
            user, tmp_path, f"take {number}.wav", audiogen.tom(pitch_hz=hz, seed=number)
        )
        for number, hz in enumerate((100.0, 104.0, 108.0, 116.0), start=1)
    }
    found["hat"] = add(user, tmp_path, "hh.wav", audiogen.closed_hat())
    found["chord"] = add(user, tmp_path, "pad.wav", audiogen.pad_chord("C", "major", 3.0))
    return found


def test_a_correction_is_offered_to_the_nearest_sounds_with_the_old_label(client_for, user, toms):
    first = toms["take 1"]
    old = first.category
    assert {toms[f"take {n}"].category for n in range(1, 5)} == {
        old
    }  # the model agrees with itself
    client = client_for(user)
    form = {"name": first.name, "category": "percussion", "kind": first.kind}
    saved = client.post(reverse("library:sample_detail", args=[first.pk]), form, follow=True)
    offer = saved.context["relabel"]
    offered = {sample.name: ticked for sample, _score, ticked in offer["offer"]}
    assert offered == {"take 2": True, "take 3": True, "take 4": False}
    assert f"labelled {offer['was_label']}; call them Percussion too?" in saved.content.decode()

    chosen = [toms["take 2"].pk, toms["take 3"].pk, toms["hat"].pk]  # the hat is not offered, but
    client.post(
        reverse("library:relabel", args=[first.pk]), {"field": "category", "samples": chosen}
    )
    relabelled = dict(Sample.objects.values_list("name", "category"))
    assert relabelled["take 2"] == relabelled["take 3"] == "percussion"
    assert relabelled["take 4"] == old  # left unticked
    assert relabelled["hh"] == "percussion"  # a ticked sample is the user's choice
    assert Sample.objects.get(pk=toms["take 2"].pk).category_set_by_user


def test_a_users_correction_outweighs_the_model_for_a_close_new_sound(user, tmp_path, toms):
    for number in (1, 2, 3, 4):
        sample = toms[f"take {number}"]
        sample.save(update_fields=sample.set_by_user(category="percussion"))
    close = add(user, tmp_path, "take 9.wav", audiogen.tom(pitch_hz=109.0, seed=9))
    far = add(user, tmp_path, "take 10.wav", audiogen.closed_hat(seed=11))
    assert close.category == "percussion" and not close.category_set_by_user
    assert far.category == toms["hat"].category


def test_without_corrections_the_model_decides(user, tmp_path, toms):
    close = add(user, tmp_path, "take 9.wav", audiogen.tom(pitch_hz=109.0, seed=9))
    assert close.category == toms["take 1"].category


def test_nothing_is_offered_when_nothing_sounds_near(client_for, user, toms):
    chord = toms["chord"]
    form = {"name": chord.name, "category": "keys", "kind": chord.kind}
    saved = client_for(user).post(
        reverse("library:sample_detail", args=[chord.pk]), form, follow=True
    )
    assert "relabel" not in saved.context


@pytest.mark.parametrize("was", ["tom\x00", "no-such-label", "x" * 5000])
def test_an_odd_old_label_in_the_address_offers_nothing(client_for, user, toms, was):
    first = toms["take 1"]
    url = reverse("library:sample_detail", args=[first.pk])
    response = client_for(user).get(url, {"corrected": "category", "was": was})
    assert response.status_code == 200 and "relabel" not in response.context


def test_odd_sample_ids_are_ignored(client_for, user, toms):
    first = toms["take 1"]
    odd = ["99999999999999999999999", "-1", "x", "1\x00"]
    response = client_for(user).post(
        reverse("library:relabel", args=[first.pk]), {"field": "category", "samples": odd}
    )
    assert response.status_code == 302
    assert not Sample.objects.exclude(pk=first.pk).filter(category_set_by_user=True).exists()


def test_a_cleared_category_is_not_passed_on(client_for, user, toms):
    first = toms["take 1"]
    client = client_for(user)
    form = {"name": first.name, "category": "", "kind": first.kind}
    saved = client.post(reverse("library:sample_detail", args=[first.pk]), form, follow=True)
    assert "relabel" not in saved.context
    others = [toms["take 2"].pk]
    client.post(
        reverse("library:relabel", args=[first.pk]), {"field": "category", "samples": others}
    )
    assert Sample.objects.get(pk=others[0]).category == toms["take 2"].category
