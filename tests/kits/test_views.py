"""Kit pages and pad changes, through htmx and through plain forms, and who may do what."""

import json

import pytest
from django.urls import reverse

from kits.models import Kit, KitPad
from library.models import Sample

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target):
    return {**HTMX, "HTTP_HX_TARGET": target}


def detail(kit, query=""):
    return reverse("kits:kit_detail", args=[kit.pk]) + query


# The kit list


def test_create_kit_redirects_to_its_page(client_for, user):
    response = client_for(user).post(reverse("kits:create"), {"name": "Dusty", "description": "d"})
    kit = Kit.objects.get(name="Dusty")
    assert kit.owner == user
    assert response.status_code == 302 and response["Location"] == detail(kit, "?bank=A")


def test_create_kit_with_a_taken_name_shows_the_form_again(client_for, user, kit):
    response = client_for(user).post(reverse("kits:create"), {"name": kit.name})
    assert response.status_code == 200
    assert "already have a kit" in str(response.context["form"].errors)


def test_the_new_kit_address_opened_again_goes_to_the_kits(client_for, user):
    response = client_for(user).get(reverse("kits:create"))
    assert response.status_code == 302 and response["Location"] == reverse("kits:index")
    assert not Kit.objects.exists()


def test_edit_renames_describes_shares_and_sets_tempo_and_key(client_for, user, kit):
    data = {"name": "Renamed", "description": "Late night", "is_shared": "on",
            "tempo_bpm": "88", "key": "D", "scale": "minor"}  # fmt: skip
    response = client_for(user).post(reverse("kits:edit", args=[kit.pk]), data)
    assert response.status_code == 302
    kit.refresh_from_db()
    assert (kit.name, kit.description, kit.is_shared, kit.tempo_bpm, kit.key) == (
        "Renamed", "Late night", True, 88, "D",
    )  # fmt: skip


def test_edit_with_a_key_but_no_scale_is_refused_with_the_form(client_for, user, kit):
    data = {"name": kit.name, "key": "D", "scale": ""}
    response = client_for(user).post(reverse("kits:edit", args=[kit.pk]), data)
    assert response.status_code == 200
    assert "both a key and major or minor" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("tempo_bpm", "NaN"), ("tempo_bpm", "inf"), ("key", "H"), ("description", "a\x00b")],
)
def test_edit_shows_the_error_of_each_field(client_for, user, kit, field, value):
    data = {"name": kit.name, "tempo_bpm": "90", "key": "A", "scale": "minor", field: value}
    response = client_for(user).post(reverse("kits:edit", args=[kit.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    kit.refresh_from_db()
    assert (kit.tempo_bpm, kit.key, kit.description) == (90, "A", "")


def test_the_loops_proposal_shows_in_the_kit_summary(client_for, user, kit, library):
    kit.assign("A", 1, library["loop_half"])  # 45.5 -> 91, E minor
    page = client_for(user).get(detail(kit)).content.decode()
    summary = page[page.index('id="kit-summary"') :]
    summary = summary[: summary.index("</section>")]
    assert "The loops suggest 91 BPM, E minor." in summary


def test_delete_asks_first_then_deletes(client_for, user, kit, library):
    kit.assign("A", 1, library["kick"])
    client = client_for(user)
    page = client.get(reverse("kits:delete", args=[kit.pk]))
    assert page.status_code == 200 and b"1 pad " in page.content
    assert Kit.objects.filter(pk=kit.pk).exists()
    response = client.post(reverse("kits:delete", args=[kit.pk]))
    assert response.status_code == 302
    assert not Kit.objects.filter(pk=kit.pk).exists()
    assert Sample.objects.filter(pk=library["kick"].pk).exists()


def test_duplicate_and_copy_of_a_shared_kit(client_for, user, other_user, kit, library):
    kit.assign("A", 1, library["kick"])
    response = client_for(user).post(reverse("kits:copy", args=[kit.pk]))
    assert response.status_code == 302
    assert Kit.objects.filter(owner=user, name="Boom bap (copy)").exists()
    client = client_for(other_user)
    assert client.post(reverse("kits:copy", args=[kit.pk])).status_code == 404  # not shared yet
    kit.is_shared = True
    kit.save()
    assert client.post(reverse("kits:copy", args=[kit.pk])).status_code == 302
    copy = Kit.objects.get(owner=other_user)
    assert copy.pads.get().sample.owner == other_user


def test_index_lists_own_and_shared_kits(client_for, user, other_user, kit):
    Kit.objects.create(owner=other_user, name="Theirs shared", is_shared=True)
    Kit.objects.create(owner=other_user, name="Theirs private")
    response = client_for(user).get(reverse("kits:index"))
    content = response.content.decode()
    assert "Boom bap" in content and "Theirs shared" in content
    assert "Theirs private" not in content


# The kit page


def test_kit_page_shows_the_bank_as_a_four_by_four_grid_in_pad_order(
    client_for, user, kit, library
):
    kit.assign("B", 13, library["kick"])
    response = client_for(user).get(detail(kit, "?bank=B"))
    slots = response.context["slots"]
    assert [slot.number for slot in slots] == list(range(1, 17))
    assert slots[12].sample.name == "Kick Deep"
    content = response.content.decode()
    assert (
        content.index('id="pad-B-1"')
        < content.index('id="pad-B-4"')
        < content.index('id="pad-B-16"')
    )
    assert 'id="bank-count-B" class="bank-count has-pads" >1' in content
    assert "cat-kick" in content


def test_bank_tab_htmx_returns_only_the_bank_panel(client_for, user, kit):
    response = client_for(user).get(detail(kit, "?bank=C"), **htmx("bank-panel"))
    content = response.content.decode()
    assert 'id="bank-panel"' in content and 'id="pad-C-1"' in content
    assert "Log out" not in content and 'id="picker-results"' not in content
    assert "HX-Target" in response["Vary"]


def test_picker_reuses_the_library_filters_and_swaps_only_its_results(
    client_for, user, kit, library
):
    response = client_for(user).get(detail(kit, "?category=kick"), **htmx("picker-results"))
    content = response.content.decode()
    assert content.strip().startswith('<div id="picker-results"')
    names = [sample.name for sample in response.context_data["picker_samples"]]
    assert sorted(names) == ["Kick Deep", "Kick Punchy"]


def test_editor_of_an_empty_pad_suggests_and_explains(client_for, user, kit, library):
    response = client_for(user).get(detail(kit, "?bank=A&pad=13"), **htmx("pad-editor"))
    content = response.content.decode()
    assert content.strip().startswith('<section id="pad-editor"')
    assert "Kick Punchy" in content and ">kick<" in content and "Put here" in content


def test_shared_kit_is_read_only_for_others_but_its_pads_play(
    client_for, user, other_user, kit, library
):
    kit.assign("A", 1, library["kick"])
    kit.is_shared = True
    kit.save()
    client = client_for(other_user)
    response = client.get(detail(kit))
    content = response.content.decode()
    assert response.context["can_edit"] is False
    assert "picker_samples" not in response.context and "Copy to my kits" in content
    assert library["kick"] in Sample.objects.playable_by(other_user)  # the audio URL's rule
    writes = [
        ("kits:assign", {"bank": "A", "pad_number": 2, "sample": library["snare"].pk}),
        ("kits:move", {"from_bank": "A", "from_pad": 1, "bank": "A", "pad_number": 2}),
        ("kits:clear", {"bank": "A", "pad_number": 1}),
        ("kits:edit", {"name": "Stolen"}),
        ("kits:propose", {}),
        ("kits:fill", {"bank": "A"}),
        ("kits:delete", {}),
    ]
    for name, data in writes:
        assert client.post(reverse(name, args=[kit.pk]), data).status_code == 404, name
    url = reverse("kits:pad_options", args=[kit.pk, "A", 1])
    assert client.post(url, {"volume": 1, "pitch": 0}).status_code == 404
    assert list(kit.pads.values_list("pad_number", "sample__name")) == [(1, "Kick Deep")]


# Pad changes: plain forms


def test_plain_assign_redirects_back_to_the_bank(client_for, user, kit, library):
    data = {"bank": "D", "pad_number": 5, "sample": library["cymbal"].pk}
    response = client_for(user).post(reverse("kits:assign", args=[kit.pk]), data)
    assert response.status_code == 302 and response["Location"] == detail(kit, "?bank=D")
    assert kit.pads.get().sample == library["cymbal"]


def test_plain_pick_then_place_flow(client_for, user, kit, library):
    client = client_for(user)
    page = client.get(detail(kit, f"?bank=A&pick={library['snare'].pk}")).content.decode()
    assert page.count('<button type="submit">Place here</button>') == 16
    client.post(reverse("kits:assign", args=[kit.pk]),
                {"bank": "A", "pad_number": 14, "sample": library["snare"].pk})  # fmt: skip
    assert kit.pads.get().pad_number == 14


def test_assigning_another_users_sample_is_refused(client_for, user, other_user, kit, make_sample):
    theirs = make_sample(other_user)
    client = client_for(user)
    data = {"bank": "A", "pad_number": 1, "sample": theirs.pk}
    response = client.post(reverse("kits:assign", args=[kit.pk]), data, follow=True)
    assert "not in the kit owner" in response.content.decode()
    response = client.post(reverse("kits:assign", args=[kit.pk]), data, **htmx("pad-A-1"))
    assert response.status_code == 200
    assert "not in the kit owner" in json.loads(response["HX-Trigger"])["kits:error"]["message"]
    assert 'id="pad-A-1"' in response.content.decode()
    assert not kit.pads.exists()


def test_plain_move_clear_and_options(client_for, user, kit, library):
    client = client_for(user)
    kit.assign("A", 1, library["kick"])
    move = {"from_bank": "A", "from_pad": 1, "bank": "B", "pad_number": 13, "editor": "1"}
    response = client.post(reverse("kits:move", args=[kit.pk]), move)
    assert response["Location"] == detail(kit, "?bank=B&pad=13")
    options = {"volume": 100, "pitch": -2, "gate": "on", "reverse": "on"}
    client.post(reverse("kits:pad_options", args=[kit.pk, "B", 13]), options)
    pad = kit.pads.get()
    assert (pad.bank, pad.pad_number, pad.volume, pad.pitch, pad.gate, pad.loop, pad.reverse) == (
        "B", 13, 100, -2, True, False, True,
    )  # fmt: skip
    bad = client.post(reverse("kits:pad_options", args=[kit.pk, "B", 13]), {"volume": 200, "pitch": 0}, follow=True)  # fmt: skip
    assert kit.pads.get().volume == 100 and b"127" in bad.content
    client.post(reverse("kits:clear", args=[kit.pk]), {"bank": "B", "pad_number": 13})
    assert not kit.pads.exists()


def test_fill_bank_reviews_then_saves_only_what_was_kept(client_for, user, kit, library):
    client = client_for(user)
    review = client.get(reverse("kits:fill", args=[kit.pk]) + "?bank=E")
    assert review.status_code == 200 and not kit.pads.exists()
    proposal = review.context["proposal"]
    assert proposal[13].sample.name == "Kick Punchy"
    kept = {"bank": "E", "pad_13": proposal[13].sample.pk, "pad_1": proposal[1].sample.pk}
    response = client.post(reverse("kits:fill", args=[kit.pk]), kept, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Filled 2 pads of bank E."]
    assert set(kit.pads.values_list("bank", "pad_number")) == {("E", 13), ("E", 1)}
    kit.pads.filter(pad_number=1).update(volume=64)
    # Sent again (Back, then the button): the pads filled since keep their samples and settings.
    again = client.post(reverse("kits:fill", args=[kit.pk]), kept, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Those pads of bank E are filled already."
    ]
    assert kit.pads.get(pad_number=1).volume == 64


@pytest.mark.parametrize(
    ("taken", "move", "said"),
    [
        ({1: "kick"}, ("A", 1, "A", 2), "Moved pad A1 to A2."),
        ({1: "kick", 2: "snare"}, ("A", 1, "A", 2), "Swapped pads A1 and A2."),
        ({}, ("A", 5, "A", 6), "Pad A5 is empty: nothing to move."),
        ({1: "kick"}, ("A", 1, "A", 1), "Nothing moved."),
    ],
)
def test_moving_a_pad_says_what_happened(client_for, user, kit, library, taken, move, said):
    for number, name in taken.items():
        kit.assign("A", number, library[name])
    data = dict(zip(("from_bank", "from_pad", "bank", "pad_number"), move, strict=True))
    response = client_for(user).post(reverse("kits:move", args=[kit.pk]), data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [said]


def test_propose_sets_tempo_and_key_from_loops(client_for, user, library):
    kit = Kit.objects.create(owner=user, name="New")
    kit.assign("A", 1, library["loop_close"])
    client_for(user).post(reverse("kits:propose", args=[kit.pk]))
    kit.refresh_from_db()
    assert (kit.tempo_bpm, kit.key, kit.scale) == (92, "C", "major")


# Pad changes: htmx


def test_htmx_assign_returns_the_pad_plus_counter_and_summary_out_of_band(
    client_for, user, kit, library
):
    data = {"bank": "A", "pad_number": 13, "sample": library["kick"].pk}
    response = client_for(user).post(
        reverse("kits:assign", args=[kit.pk]), data, **htmx("pad-A-13")
    )
    content = response.content.decode()
    assert response.status_code == 200 and "Log out" not in content
    pad_tag = content[content.index('id="pad-A-13"') - 60 : content.index("Kick Deep")]
    assert "hx-swap-oob" not in pad_tag
    assert 'id="bank-count-A" class="bank-count has-pads" hx-swap-oob="true">1' in content
    assert '<section id="kit-summary"' in content and "<strong>1</strong> / 160" in content


def test_htmx_move_swaps_both_pads(client_for, user, kit, library):
    kit.assign("A", 1, library["kick"])
    kit.assign("B", 2, library["snare"])
    data = {"from_bank": "A", "from_pad": 1, "bank": "B", "pad_number": 2}
    response = client_for(user).post(reverse("kits:move", args=[kit.pk]), data, **htmx("pad-B-2"))
    content = response.content.decode()
    assert content.count('class="pad filled') == 2
    assert 'id="pad-A-1" class="pad filled cat-snare' in content
    assert 'id="bank-count-A"' in content and 'id="bank-count-B"' in content


def test_htmx_clear_from_the_editor_refreshes_the_editor_with_suggestions(
    client_for, user, kit, library
):
    kit.assign("A", 13, library["kick"])
    data = {"bank": "A", "pad_number": 13, "editor": "1"}
    response = client_for(user).post(
        reverse("kits:clear", args=[kit.pk]), data, **htmx("pad-editor")
    )
    content = response.content.decode()
    assert content.strip().startswith('<section id="pad-editor"')
    assert "Kick Deep" in content and "Put here" in content  # suggested again
    assert 'id="pad-A-13" class="pad empty' in content and 'hx-swap-oob="true"' in content
    assert not kit.pads.exists()


def test_kit_page_query_count_is_fixed(
    client_for, user, kit, make_sample, django_assert_max_num_queries
):
    for number in range(1, 17):
        kit.assign("A", number, make_sample(user, kind="loop", tempo_bpm=90))
    client = client_for(user)
    with django_assert_max_num_queries(10):
        client.get(detail(kit, "?bank=A&pad=1"))


def test_kit_pads_are_all_present_in_database(kit, library):
    kit.assign("A", 1, library["kick"])
    assert KitPad.objects.filter(kit=kit).count() == 1


# Adding a selection from the library


def test_library_bulk_adds_the_selection_to_the_pads_made_for_it(client_for, user, kit, library):
    kit.assign("A", 1, library["tom"])
    chosen = [library["kick"].pk, library["snare"].pk, library["tom"].pk, library["hat"].pk]
    client = client_for(user)
    page = client.get(reverse("library:index"))
    assert [k.name for k in page.context["kits"]] == ["Boom bap"]
    response = client.post(
        reverse("library:bulk"),
        {"action": "kit", "kit": kit.pk, "samples": chosen, "next": "/?kind=one-shot"},
    )
    assert response.url == "/?kind=one-shot"
    pads = {(p.bank, p.pad_number): p.sample.name for p in kit.pads.select_related("sample")}
    # The tom was already on A1, so it is not added twice; the rest go to their pads.
    assert pads == {("A", 1): "Tom Low", ("A", 13): "Kick Deep", ("A", 14): "Snare Crack",
                    ("A", 15): "Hat Closed"}  # fmt: skip
    message = str(next(iter(client.get(reverse("library:index")).context["messages"])))
    assert "Added 3 samples" in message and "A13" in message and "1 was already on it" in message


def test_bulk_add_reports_what_did_not_fit(client_for, user, kit, library, make_sample):
    filler = [make_sample(user, name=f"Filler {n}") for n in range(159)]
    kit.add_samples(filler)
    client = client_for(user)
    chosen = [library["kick"].pk, library["snare"].pk]
    client.post(reverse("library:bulk"), {"action": "kit", "kit": kit.pk, "samples": chosen})
    assert kit.pads.count() == 160
    assert kit.pads.filter(bank="J", pad_number=16, sample=library["kick"]).exists()
    message = str(next(iter(client.get(reverse("library:index")).context["messages"])))
    assert "1 did not fit" in message


def test_bulk_add_only_to_own_kits_and_with_own_samples(client_for, user, other_user, kit, library):
    theirs = Kit.objects.create(owner=other_user, name="Theirs")
    client_for(user).post(
        reverse("library:bulk"),
        {"action": "kit", "kit": theirs.pk, "samples": [library["kick"].pk]},
    )
    assert not theirs.pads.exists()
    client_for(other_user).post(
        reverse("library:bulk"),
        {"action": "kit", "kit": theirs.pk, "samples": [library["kick"].pk]},
    )
    assert not theirs.pads.exists()  # Not their sample: nothing is selected.


def test_a_proposed_tuning_is_kept_with_the_pad_it_fills(client_for, user, kit, make_sample):
    low = make_sample(
        user, name="808 E", kind="one-shot", category="kick", pitch_midi=28, pitch_cents=0
    )
    high = make_sample(
        user, name="808 C", kind="one-shot", category="kick", pitch_midi=36, pitch_cents=0
    )
    client = client_for(user)
    review = client.get(reverse("kits:fill", args=[kit.pk]) + "?bank=B")
    proposed = review.context["proposal"][13]
    assert (proposed.sample, proposed.tuning.offset) == (high, -3)  # C and E are both in A minor.
    assert (
        'name="tune_13" value="-3" checked> tune \N{MINUS SIGN}3 st to A' in review.content.decode()
    )
    client.post(
        reverse("kits:fill", args=[kit.pk]), {"bank": "B", "pad_13": high.pk, "tune_13": -3}
    )
    assert kit.pads.get(bank="B", pad_number=13).pitch == -3
    editor = client.get(reverse("kits:kit_detail", args=[kit.pk]) + "?bank=C&pad=13")
    assert "Put here, tune +5 st to A" in editor.content.decode()
    client.post(
        reverse("kits:assign", args=[kit.pk]),
        {"bank": "C", "pad_number": 13, "sample": low.pk, "pitch": 5, "editor": 1},
    )
    assert kit.pads.get(bank="C", pad_number=13).pitch == 5


def test_kit_settings_explain_refused_values_in_words(client_for, user, kit):
    response = client_for(user).post(
        reverse("kits:edit", args=[kit.pk]), {"name": kit.name, "tempo_bpm": "1000", "key": "C"}
    )
    page = response.content.decode()
    assert "A tempo is between 20 and 400 BPM, or empty." in page
    assert page.count("Choose both a key and major or minor, or neither.") == 1
    assert "onstraint" not in page


@pytest.mark.parametrize(
    "query",
    [
        "?pad=²",
        "?pick=²",
        "?pad=99999999999999999999999",
        "?pick=99999999999999999999999",
        "?loop=99999999999999999999999",
    ],
)
def test_odd_numbers_in_the_kit_address_are_ignored(client_for, user, kit, query):
    response = client_for(user).get(detail(kit, query))
    assert response.status_code == 200


@pytest.mark.parametrize("pad", ["²", "99999999999999999999999", "0"])
def test_assigning_to_an_odd_pad_number_says_so(client_for, user, kit, make_sample, pad):
    sample = make_sample(user)
    posted = {"bank": "A", "pad_number": pad, "sample": sample.pk}
    response = client_for(user).post(reverse("kits:assign", args=[kit.pk]), posted, follow=True)
    assert response.status_code == 200
    assert not kit.pads.exists()
    assert [str(m) for m in response.context["messages"]]
