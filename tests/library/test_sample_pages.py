"""A sample's page and actions: edit, tags, tempo, rating, trash and restore, audio."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from imports.importing import import_file
from kits.models import Kit, KitPad, KitPadRemoval
from library.models import Sample, SampleTag, Tag
from library.tasks import make_preview
from library.trash import purge_expired
from tests import audiogen
from tests.files import write_audio

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(user, tmp_path):
    """A real imported sample (file on disk)."""
    path = write_audio(tmp_path / "Loops" / "dusty.wav", audiogen.drum_loop(90, 1))
    return import_file(user, path, "Loops/dusty.wav").sample


def test_editing_marks_corrections_as_the_users(client_for, user, make_sample):
    sample = make_sample(user, tempo_bpm=120.0, category="drum_loop", kind="loop")
    response = client_for(user).post(
        reverse("library:sample_detail", args=[sample.pk]),
        {"name": "Boom Bap 1", "genre": "hip hop", "description": "", "tempo_bpm": "92",
         "key": "", "scale": "", "category": "drum_loop", "kind": "loop"},
    )  # fmt: skip
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.name, sample.genre, sample.tempo_bpm) == ("Boom Bap 1", "hip hop", 92.0)
    assert sample.tempo_set_by_user
    assert sample.genre_set_by_user
    assert not sample.category_set_by_user  # unchanged, so still the analysis's


def test_edit_rejects_a_key_without_a_scale(client_for, user, make_sample):
    sample = make_sample(user)
    response = client_for(user).post(
        reverse("library:sample_detail", args=[sample.pk]),
        {"name": "x", "key": "C", "scale": "", "category": "", "kind": ""},
    )
    assert response.status_code == 200
    assert "both a key and major or minor" in response.content.decode()


@pytest.mark.parametrize(
    ("posted", "said"),
    [
        ({"tempo_bpm": "1000"}, "A tempo is between 20 and 400 BPM, or empty."),
        ({"key": "C", "scale": ""}, "Choose both a key and major or minor, or neither."),
    ],
)
def test_refused_values_are_explained_in_words_and_never_shown_as_saved(
    client_for, user, make_sample, posted, said
):
    sample = make_sample(user, tempo_bpm=90.0, kind="loop", category="drum_loop")
    form = {"name": sample.name, "category": "drum_loop", "kind": "loop", **posted}
    response = client_for(user).post(reverse("library:sample_detail", args=[sample.pk]), form)
    page = response.content.decode()
    assert response.status_code == 200 and page.count(said) == 1
    assert "Constraint" not in page and "constraint" not in page
    measured = page[page.index("<h2>Measured</h2>") : page.index("<h2>Edit</h2>")]
    assert "90.0 BPM" in measured and "(set by you)" not in measured
    sample.refresh_from_db()
    assert sample.tempo_bpm == 90.0 and not sample.tempo_set_by_user and not sample.key


def test_tempo_double_and_half(client_for, user, make_sample):
    sample = make_sample(user, tempo_bpm=85.0)
    client = client_for(user)
    client.post(reverse("library:set_tempo", args=[sample.pk]), {"change": "double"})
    sample.refresh_from_db()
    assert sample.tempo_bpm == 170.0
    assert sample.tempo_set_by_user
    client.post(reverse("library:set_tempo", args=[sample.pk]), {"change": "half"})
    sample.refresh_from_db()
    assert sample.tempo_bpm == 85.0


def test_tags_are_added_and_removed_inline_with_htmx(client_for, user, make_sample):
    sample = make_sample(user)
    client = client_for(user)
    headers = {"HX-Request": "true", "HX-Target": "sample-tags"}
    response = client.post(
        reverse("library:add_tag", args=[sample.pk]), {"name": " Dusty  Vinyl "}, headers=headers
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="sample-tags"')
    assert "Dusty Vinyl" in html
    again = client.post(
        reverse("library:add_tag", args=[sample.pk]), {"name": "dusty vinyl"}, headers=headers
    )
    assert Tag.objects.count() == 1  # the same tag, ignoring case
    assert "Already tagged “Dusty Vinyl”." in again.content.decode()
    tag = Tag.objects.get()
    response = client.post(reverse("library:remove_tag", args=[sample.pk, tag.pk]), headers=headers)
    assert "Dusty Vinyl" not in response.content.decode()
    assert not SampleTag.objects.exists()


def test_tag_names_ignore_case_beyond_a_to_z(client_for, user, make_sample):
    first, second, untagged = make_sample(user), make_sample(user), make_sample(user)
    first.add_tag("Über Dusty")
    second.add_tag("über dusty")
    assert Tag.objects.get().name == "Über Dusty"
    client = client_for(user)
    page = client.get(reverse("library:index"), {"tag": "ÜBER DUSTY"}).content.decode()
    assert first.name in page and second.name in page and untagged.name not in page
    client.post(reverse("library:add_tag", args=[first.pk]), {"name": "ÉTÉ"})
    Tag.objects.get(name="ÉTÉ").rename("été")  # Only its spelling changes.
    assert Tag.objects.filter(name="été").count() == 1
    bulk = {"action": "untag", "value": "über DUSTY", "samples": [first.pk, second.pk]}
    client.post(reverse("library:bulk"), bulk)
    assert not SampleTag.objects.filter(tag__name="Über Dusty").exists()


def test_tag_without_javascript_redirects_back(client_for, user, make_sample):
    sample = make_sample(user)
    response = client_for(user).post(reverse("library:add_tag", args=[sample.pk]), {"name": "warm"})
    assert response.status_code == 302
    assert sample.tags.get().name == "warm"


@pytest.mark.parametrize(
    ("name", "said"),
    [("a\x00b", "Null characters are not allowed."), ("   ", "This field is required.")],
)
def test_a_refused_tag_without_javascript_says_why(client_for, user, make_sample, name, said):
    sample = make_sample(user)
    url = reverse("library:add_tag", args=[sample.pk])
    response = client_for(user).post(url, {"name": name}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"The tag was not added: {said}"]
    assert not sample.tags.exists()


def test_favourite_and_rating(client_for, user, make_sample):
    sample = make_sample(user)
    client = client_for(user)
    client.post(reverse("library:favorite", args=[sample.pk]), {"favorite": "1"})
    client.post(reverse("library:rate", args=[sample.pk]), {"rating": "4"})
    sample.refresh_from_db()
    assert (sample.is_favorite, sample.rating) == (True, 4)
    client.post(reverse("library:rate", args=[sample.pk]), {"rating": "9"})
    sample.refresh_from_db()
    assert sample.rating is None


def test_trash_warns_about_kits_and_restore_brings_it_back(client_for, user, make_sample):
    sample = make_sample(user)
    kit = Kit.objects.create(owner=user, name="Beat")
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    client = client_for(user)
    page = client.get(reverse("library:sample_detail", args=[sample.pk])).content.decode()
    assert "This sample is on pads in 1 kit" in page
    client.post(reverse("library:trash_sample", args=[sample.pk]))
    sample.refresh_from_db()
    assert sample.in_trash
    assert sample.name in client.get(reverse("library:trash")).content.decode()
    assert sample.name not in client.get(reverse("library:index")).content.decode()
    client.post(reverse("library:restore", args=[sample.pk]))
    sample.refresh_from_db()
    assert not sample.in_trash


def test_purge_clears_pads_notes_the_kit_and_keeps_shared_files(
    user, other_user, stored, django_capture_on_commit_callbacks
):
    kit = Kit.objects.create(owner=user, name="Beat")
    KitPad.objects.create(kit=kit, bank="B", pad_number=3, sample=stored)
    path = Path(stored.file.path)
    twin = import_file(other_user, path, "dusty.wav").sample  # another user, same stored file
    Sample.objects.filter(pk=stored.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired() == 1
    assert not Sample.objects.filter(pk=stored.pk).exists()
    assert not KitPad.objects.exists()
    removal = KitPadRemoval.objects.get()
    assert (removal.kit, removal.bank, removal.pad_number, removal.sample_name) == (
        kit,
        "B",
        3,
        "dusty",
    )
    assert path.exists()  # the other user's sample still uses it
    Sample.objects.filter(pk=twin.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired()
    assert not path.exists()


def test_recently_trashed_samples_are_not_purged(user, make_sample):
    sample = make_sample(user)
    sample.move_to_trash()
    assert purge_expired() == 0
    assert Sample.objects.filter(pk=sample.pk).exists()


def test_empty_trash_now(client_for, user, make_sample):
    sample = make_sample(user)
    sample.move_to_trash()
    client_for(user).post(reverse("library:empty_trash"))
    assert not Sample.objects.exists()


def test_audio_supports_byte_ranges(client_for, user, stored):
    client = client_for(user)
    url = reverse("library:audio", args=[stored.pk])
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Content-Type"] == "audio/wav"
    assert whole["Accept-Ranges"] == "bytes"
    data = Path(stored.file.path).read_bytes()
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416


def test_audio_is_for_the_owner_and_shared_kits_only(client_for, user, other_user, stored):
    url = reverse("library:audio", args=[stored.pk])
    assert client_for(other_user).get(url).status_code == 404
    kit = Kit.objects.create(owner=user, name="Shared", is_shared=True)
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=stored)
    assert client_for(other_user).get(url).status_code == 200


def test_aiff_gets_a_browser_playable_preview(client_for, user, tmp_path):
    path = write_audio(tmp_path / "pad.aiff", audiogen.pad_chord("D", "minor", 1.0))
    sample = import_file(user, path, "pad.aiff").sample
    make_preview(sample.pk)
    sample.refresh_from_db()
    assert sample.preview.name.endswith(".mp3")
    response = client_for(user).get(reverse("library:audio", args=[sample.pk]))
    assert response["Content-Type"] == "audio/mpeg"


def test_playing_is_remembered(client_for, user, make_sample):
    sample = make_sample(user)
    response = client_for(user).post(reverse("library:played", args=[sample.pk]))
    assert response.status_code == 204
    sample.refresh_from_db()
    assert sample.last_played_at is not None


def test_bulk_tag_genre_and_trash(client_for, user, make_sample):
    first, second, untouched = make_sample(user), make_sample(user), make_sample(user)
    client = client_for(user)
    bulk = reverse("library:bulk")
    selected = [first.pk, second.pk]
    client.post(bulk, {"action": "tag", "value": "crate", "samples": selected})
    assert set(Tag.objects.get(name="crate").samples.all()) == {first, second}
    client.post(bulk, {"action": "genre", "value": "boom bap", "samples": selected})
    first.refresh_from_db()
    assert (first.genre, first.genre_set_by_user) == ("boom bap", True)
    client.post(bulk, {"action": "untag", "value": "CRATE", "samples": [first.pk]})
    assert set(Tag.objects.get(name="crate").samples.all()) == {second}
    client.post(bulk, {"action": "trash", "samples": selected})
    assert set(Sample.objects.trashed()) == {first, second}
    untouched.refresh_from_db()
    assert not untouched.in_trash


def test_bulk_tagging_says_what_changed(client_for, user, make_sample):
    first, second = make_sample(user), make_sample(user)
    first.add_tag("crate")
    client = client_for(user)

    def said(action, value, samples):
        posted = {"action": action, "value": value, "samples": [s.pk for s in samples]}
        response = client.post(reverse("library:bulk"), posted, follow=True)
        return [str(message) for message in response.context["messages"]]

    assert said("tag", "", [first, second]) == ["Nothing was changed: type the tag to add."]
    assert said("tag", "Crate", [first, second]) == ["Tagged “Crate”: 1 sample."]
    assert said("tag", "crate", [first, second]) == [
        "Every selected sample already has the tag “crate”."
    ]
    assert said("untag", "", [first]) == ["Nothing was changed: type the tag to remove."]
    assert said("untag", "dusty", [first, second]) == [
        "None of the selected samples has the tag “dusty”."
    ]
    assert said("untag", "CRATE", [first, second]) == ["Took “CRATE” off 2 samples."]
    assert said("tag", "Über", [first, second]) == ["Tagged “Über”: 2 samples."]
    assert said("untag", "über", [first]) == ["Took “über” off 1 sample."]
    assert list(SampleTag.objects.values_list("sample", flat=True)) == [second.pk]


def test_bulk_ignores_other_users_samples(client_for, user, other_user, make_sample):
    theirs = make_sample(other_user)
    client_for(user).post(reverse("library:bulk"), {"action": "trash", "samples": [theirs.pk]})
    theirs.refresh_from_db()
    assert not theirs.in_trash


def test_tag_rename_merge_and_counts(client_for, user, make_sample):
    one, two = make_sample(user), make_sample(user)
    one.add_tag("dusty")
    two.add_tag("dust")
    two.add_tag("dusty")
    client = client_for(user)
    page = client.get(reverse("library:tags"))
    counts = {tag.name: tag.usage for tag in page.context["tags"]}
    assert counts == {"dust": 1, "dusty": 2}
    dust = Tag.objects.get(name="dust")
    client.post(reverse("library:rename_tag", args=[dust.pk]), {"name": "Dusty"})
    assert list(Tag.objects.values_list("name", flat=True)) == ["dusty"]
    assert Tag.objects.get().samples.count() == 2
    client.post(reverse("library:rename_tag", args=[Tag.objects.get().pk]), {"name": "lofi"})
    assert Tag.objects.get().name == "lofi"
