"""A loop's slices: rows that read its frames, analysed, played, sent to pads, trashed and exported."""

import io
import itertools
import zipfile

import numpy as np
import pytest
import soundfile as sf
from django.db import IntegrityError, transaction
from django.urls import reverse

from exports.models import Export
from exports.planning import entries_for_kit
from exports.runner import run
from imports.importing import import_file
from kits.models import Kit, KitPadRemoval
from library import chops, slicing
from library.models import Sample
from library.tasks import analyze_sample, analyze_samples
from library.trash import purge
from tests import audiogen

pytestmark = pytest.mark.django_db
RATE = 44100
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chop-editor"}


@pytest.fixture
def loop(user, tmp_path):
    """A real two-bar drum loop at 100 BPM, imported and analysed."""
    path = tmp_path / "src" / "Amen 100.wav"
    path.parent.mkdir()
    sf.write(path, audiogen.drum_loop(100, 2, RATE), RATE, subtype="PCM_16")
    sample = import_file(user, path, path.name).sample
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    assert sample.kind == Sample.Kind.LOOP
    return sample


@pytest.fixture
def kit(user):
    return Kit.objects.create(owner=user, name="Chops", tempo_bpm=100)


def frames_of(sample) -> int:
    return sf.info(sample.file.path).frames


def test_the_analysis_keeps_the_loops_attacks_for_the_editor(loop):
    onsets = loop.features.onset_times
    # Two bars of kick, snare and eighth-note hats: an attack on every eighth note.
    assert len(onsets) >= 12
    assert all(0 <= seconds < loop.duration and 0 < strength <= 1 for seconds, strength in onsets)
    assert max(strength for _seconds, strength in onsets) == 1.0


def test_chopping_makes_slices_that_share_the_loops_file_and_cover_it(loop):
    done = slicing.chop(loop, chops.equal_parts(frames_of(loop), 4))
    slices = list(loop.slices.order_by("start_frame"))
    assert done.created == 4 and slices == done.slices
    assert [row.name for row in slices] == [f"Amen 100 s0{n}" for n in range(1, 5)]
    assert {row.file.name for row in slices} == {loop.file.name}
    assert {row.sha256 for row in slices} == {loop.sha256}
    assert slices[0].start_frame == 0 and slices[-1].end_frame == frames_of(loop)
    assert all(a.end_frame == b.start_frame for a, b in itertools.pairwise(slices))
    assert sum(row.duration for row in slices) == pytest.approx(loop.duration, abs=1e-3)


def test_stored_files_stay_unique_per_owner_while_slices_share_them(loop, user, make_sample):
    slicing.chop(loop, [1000])
    with pytest.raises(IntegrityError), transaction.atomic():
        make_sample(user, sha256=loop.sha256, file=loop.file.name)


def test_a_slice_row_without_a_range_is_refused(loop, user, make_sample):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_sample(user, parent=loop, sha256=loop.sha256, start_frame=500, end_frame=500)


def test_chopping_again_reuses_the_slices_so_their_pads_follow(loop, kit):
    frames = frames_of(loop)
    first = slicing.chop(loop, chops.equal_parts(frames, 4)).slices
    kit.send_slices("B", first)
    again = slicing.chop(loop, chops.equal_parts(frames, 2))
    assert (again.moved, again.removed, again.created) == (2, 2, 0)  # both ends of 1 and 2 moved
    assert again.slices[0].pk == first[0].pk
    pads = {pad.pad_number: pad.sample for pad in kit.pads.select_related("sample")}
    assert pads[1].pk == first[0].pk and pads[2].pk == first[1].pk
    assert pads[2].start_frame == round(frames / 2)  # the moved slice, read again
    assert set(pads) == {1, 2}  # slices 3 and 4 left their pads, with a note
    assert KitPadRemoval.objects.filter(kit=kit).count() == 2
    assert Sample.objects.get(pk=first[1].pk).status == Sample.Status.PENDING


def test_no_cuts_removes_the_slices(loop):
    slicing.chop(loop, [5000, 20000])
    assert slicing.chop(loop, []).removed == 3
    assert not loop.slices.exists()


def test_snapping_moves_cuts_onto_zero_crossings(loop):
    mono = slicing.loop_mono(loop)
    changes = np.signbit(mono[:-1]) != np.signbit(mono[1:])  # between frame i and i + 1

    def at_crossing(frame):
        return changes[frame - 1] or changes[frame]

    # A frame away from any crossing, with one within the 1 ms (44 frames) reach.
    frame = next(f for f in range(30000, 60000) if not changes[f - 3 : f + 3].any()
                 and changes[f - 40 : f + 40].any())  # fmt: skip
    snapped = slicing.chop(loop, [frame], snap=True).slices[1].start_frame
    assert snapped != frame and at_crossing(snapped) and abs(snapped - frame) <= 44
    assert slicing.chop(loop, [frame]).slices[1].start_frame == frame  # not asked


def test_a_slice_is_analysed_from_its_own_frames(loop):
    done = slicing.chop(loop, chops.equal_parts(frames_of(loop), 8))
    analyze_samples([row.pk for row in done.slices])
    first = Sample.objects.select_related("features").get(pk=done.slices[0].pk)
    assert first.status == Sample.Status.READY
    assert first.duration == pytest.approx(loop.duration / 8, abs=1e-3)
    # An eighth of two bars is a quarter of a bar: one hit, not a loop with a tempo.
    assert first.kind == Sample.Kind.ONE_SHOT
    assert first.tempo_bpm is None
    assert first.features.peak > 0.1


def test_a_slice_plays_its_frames_with_faded_edges(client_for, user, loop):
    (row, _rest) = slicing.chop(loop, [20000]).slices
    response = client_for(user).get(reverse("library:audio", args=[row.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    audio, rate = sf.read(io.BytesIO(response.content), always_2d=True)
    assert (len(audio), rate) == (20000, RATE)
    source, _ = sf.read(loop.file.path, frames=20000, always_2d=True)
    fade = chops.frames_of(chops.FADE_MS, RATE)
    assert audio[0, 0] == 0.0
    np.testing.assert_allclose(audio[fade:-fade], source[fade:-fade], atol=1 / 32768)


def test_importing_the_loop_again_finds_the_loop_not_a_slice(loop, user):
    slicing.chop(loop, [20000])
    again = import_file(user, loop.file.path, "Amen copy.wav")
    assert again.sample.pk == loop.pk


def test_another_user_adopting_a_slice_gets_their_own_loop_and_slice(loop, other_user):
    (row, _rest) = slicing.chop(loop, [20000]).slices
    mine = row.adopted_by(other_user)
    assert mine.owner == other_user and mine.parent.owner == other_user
    assert (mine.start_frame, mine.end_frame, mine.sha256) == (0, 20000, loop.sha256)
    assert row.adopted_by(other_user) == mine  # the second time, the same one


def test_chop_view_answers_htmx_with_the_editor_and_saves_the_slices(client_for, user, loop):
    client = client_for(user)
    response = client.post(
        reverse("library:chop", args=[loop.pk]), {"mode": "parts", "parts": "4"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chop-editor"' in html and "<html" not in html
    assert "4 slices (4 new)." in html
    assert html.count('name="slices"') == 4
    assert loop.slices.count() == 4


def test_chop_view_without_htmx_redirects_to_the_editor(client_for, user, loop):
    url = reverse("library:chop", args=[loop.pk])
    response = client_for(user).post(url, {"mode": "beats"})
    assert response.status_code == 302 and response["Location"].endswith("#chop")
    assert loop.slices.count() == 8  # two bars at 100 BPM


def test_chop_by_hand_and_by_transients(client_for, user, loop):
    client = client_for(user)
    url = reverse("library:chop", args=[loop.pk])
    client.post(url, {"mode": "hand", "cuts": "26460, 52920"}, **HTMX)
    assert list(loop.slices.values_list("start_frame", flat=True).order_by("start_frame")) == [
        0,
        26460,
        52920,
    ]
    client.post(url, {"mode": "transients", "level": "low"}, **HTMX)
    strong = [s for s, strength in loop.features.onset_times if strength >= 0.5 and s > 0.01]
    assert loop.slices.count() == len(strong) + 1


def test_chop_view_says_why_it_cannot_cut(client_for, user, loop):
    Sample.objects.filter(pk=loop.pk).update(tempo_bpm=None)
    url = reverse("library:chop", args=[loop.pk])
    response = client_for(user).post(url, {"mode": "beats"}, **HTMX)
    assert "The loop has no tempo" in response.content.decode()
    response = client_for(user).post(url, {"mode": "hand", "cuts": "12, x"}, **HTMX)
    assert "Cuts are frame numbers" in response.content.decode()
    assert not loop.slices.exists()


def test_only_the_owner_chops(client_for, other_user, loop):
    response = client_for(other_user).post(
        reverse("library:chop", args=[loop.pk]), {"mode": "parts"}
    )
    assert response.status_code == 404


def test_loop_page_shows_the_editor_with_its_slices(
    client_for, user, loop, kit, django_assert_max_num_queries
):
    slicing.chop(loop, chops.equal_parts(frames_of(loop), 16))
    client = client_for(user)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("library:sample_detail", args=[loop.pk]))
    html = response.content.decode()
    assert 'id="chop-editor"' in html and "16 slices" in html and "Whole loop on one pad" in html
    assert f'data-frames="{frames_of(loop)}"' in html


def test_send_to_bank_puts_slices_on_pads_in_the_posted_order(client_for, user, loop, kit):
    slices = slicing.chop(loop, chops.equal_parts(frames_of(loop), 4)).slices
    order = [slices[2].pk, slices[0].pk, slices[3].pk, slices[1].pk]
    data = {"loop": loop.pk, "kit": kit.pk, "bank": "C", "slices": order}
    response = client_for(user).post(reverse("kits:send_slices"), data)
    assert response.status_code == 302 and "bank=C" in response["Location"]
    pads = dict(kit.pads.filter(bank="C").values_list("pad_number", "sample_id"))
    assert pads == {1: order[0], 2: order[1], 3: order[2], 4: order[3]}


def test_more_slices_than_pads_are_refused_and_nothing_changes(client_for, user, loop, kit):
    slicing.chop(loop, chops.equal_parts(frames_of(loop), 16))
    slicing.chop(loop, [*chops.equal_parts(frames_of(loop), 16), 1500])
    data = {"loop": loop.pk, "kit": kit.pk, "bank": "A"}
    response = client_for(user).post(reverse("kits:send_slices"), data, follow=True)
    assert "17 slices do not fit" in response.content.decode()
    assert not kit.pads.exists()


def test_trashing_a_chopped_loop_asks_about_the_pads_then_takes_its_slices_along(
    client_for, user, loop, kit
):
    slices = slicing.chop(loop, [20000, 40000]).slices
    kit.send_slices("A", slices[:2])
    client = client_for(user)
    url = reverse("library:trash_sample", args=[loop.pk])
    asked = client.post(url)
    assert asked.status_code == 200 and "Take them off the pads now" in asked.content.decode()
    assert not Sample.objects.trashed().exists()

    client.post(url, {"slices": "off"})
    assert Sample.objects.trashed().count() == 4
    assert not kit.pads.exists() and KitPadRemoval.objects.count() == 2

    client.post(reverse("library:restore", args=[loop.pk]))
    assert not Sample.objects.trashed().exists()


def test_trashing_and_keeping_pads_then_purging_clears_them(client_for, user, loop, kit):
    slices = slicing.chop(loop, [20000]).slices
    kit.send_slices("A", slices)
    client_for(user).post(reverse("library:trash_sample", args=[loop.pk]), {"slices": "keep"})
    assert kit.pads.count() == 2
    assert purge(Sample.objects.trashed()) == 3  # the loop and its slices
    assert not Sample.objects.exists() and not kit.pads.exists()
    assert KitPadRemoval.objects.count() == 2


def test_a_bank_of_slices_exports_each_slice_as_its_own_file_in_pad_order(user, loop, kit):
    slices = slicing.chop(loop, [11025, 30000, 52000]).slices
    kit.send_slices("A", slices)
    export = Export.objects.start(
        user, entries=entries_for_kit(kit, ""), queued=False, name="Chops",
        source=Export.Source.KIT, kit=kit, organisation="kit", destination="zip",
    )  # fmt: skip
    export = run(export)
    assert export.status == Export.Status.COMPLETED, export.error
    with zipfile.ZipFile(export.output_path) as archive:
        names = sorted(name for name in archive.namelist() if name.endswith((".WAV", ".wav")))
        lengths = [sf.info(io.BytesIO(archive.read(name))).frames for name in names]
    assert [name.rsplit("/", 1)[-1] for name in names] == [
        f"0{n} AMEN 100 S0{n}.WAV" if names[0].endswith(".WAV") else f"0{n} Amen 100 s0{n}.wav"
        for n in range(1, 5)
    ]
    expected = [round((row.end_frame - row.start_frame) * 48000 / RATE) for row in slices]
    assert lengths == pytest.approx(expected, abs=2)


def test_only_the_owner_sends_their_slices_to_their_kits(client_for, user, other_user, loop, kit):
    slicing.chop(loop, [20000])
    theirs = Kit.objects.create(owner=other_user, name="Theirs")
    data = {"loop": loop.pk, "kit": theirs.pk, "bank": "A"}
    assert client_for(other_user).post(reverse("kits:send_slices"), data).status_code == 404
    response = client_for(user).post(reverse("kits:send_slices"), data, follow=True)
    assert "Choose one of your kits" in response.content.decode()
    assert not theirs.pads.exists()


def test_the_library_lists_a_loops_slices_or_hides_slices(client_for, user, loop):
    slicing.chop(loop, [20000, 40000])
    client = client_for(user)
    only = client.get(reverse("library:index"), {"loop": loop.pk})
    assert sorted(row.name for row in only.context["samples"]) == [
        f"Amen 100 s0{n}" for n in (1, 2, 3)
    ]
    assert "Only the slices of “Amen 100”" in only.content.decode()
    hidden = client.get(reverse("library:index"), {"slices": "hide"})
    assert [row.name for row in hidden.context["samples"]] == ["Amen 100"]
    found = client.get(reverse("library:index"), {"q": "amen s02"})
    assert [row.name for row in found.context["samples"]] == ["Amen 100 s02"]


def test_a_slices_page_links_to_its_loop_and_has_no_chop_editor(client_for, user, loop):
    (first, _rest) = slicing.chop(loop, [20000]).slices
    html = client_for(user).get(reverse("library:sample_detail", args=[first.pk])).content.decode()
    assert "A slice of" in html and f"/samples/{loop.pk}/#chop" in html
    assert 'id="chop-editor"' not in html


def test_sending_sixteen_slices_keeps_pad_settings_in_a_few_queries(
    loop, kit, make_sample, user, django_assert_max_num_queries
):
    slices = slicing.chop(loop, chops.equal_parts(frames_of(loop), 16)).slices
    kit.assign("D", 3, make_sample(user), volume=90, pitch=-2)
    with django_assert_max_num_queries(10):
        pads = kit.send_slices("D", slices)
    assert [pad.pad_number for pad in pads] == list(range(1, 17))
    third = kit.pads.get(bank="D", pad_number=3)
    assert (third.sample_id, third.volume, third.pitch) == (slices[2].pk, 90, -2)
    assert kit.pads.filter(bank="D").count() == 16


def test_a_chopped_loop_called_a_one_shot_keeps_its_editor(client_for, user, loop):
    slicing.chop(loop, [20000])
    loop.save(update_fields=loop.set_by_user(kind=Sample.Kind.ONE_SHOT))
    html = client_for(user).get(reverse("library:sample_detail", args=[loop.pk])).content.decode()
    assert 'id="chop-editor"' in html and "2 slices" in html
