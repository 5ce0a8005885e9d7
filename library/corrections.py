"""A user's corrections are labels: offered to the sounds nearest them, and heard in later analyses.

When a user changes a sample's category (or loop / one-shot), the samples that
sound nearest to it and still carry the old label are offered the new one. And
when a new sample is analysed, a corrected sample that sounds very close to it
outweighs the shipped model: the user's own ears know their library best.
"""

import dataclasses

import numpy as np
from django.db import transaction

from library import similarity
from library.models import Sample

LEARNED = {"category": "category_set_by_user", "kind": "kind_set_by_user"}
# Similarity 0.5 is the median distance from a sound to its nearest different
# one: anything nearer sounds more alike than neighbours usually do, and is
# ticked in the offer; a little further is offered unticked, to audition.
TICKED_SIMILARITY = 0.5
OFFER_SIMILARITY = 0.3
OFFER_LIMIT = 50
# A corrected sound this near (about half the usual nearest-neighbour distance)
# decides a new sample's category, whatever the model heard.
ADOPT_SIMILARITY = 0.75


def relabel_offer(sample: Sample, field: str, old_value: str) -> list[tuple[Sample, float, bool]]:
    """(sample, similarity, ticked) of the owner's samples nearest this one that still
    have old_value, nearest first.

    Samples whose value the user set by hand are never offered: that was a decision.
    """
    new_value = getattr(sample, field) if field in LEARNED else ""
    if not new_value or not old_value or new_value == old_value:
        return []  # A cleared label is no label to pass on.
    candidates = (
        Sample.objects.owned_by(sample.owner_id)
        .alive()
        .ready()
        .filter(**{field: old_value, LEARNED[field]: False})
    )
    nearest = similarity.similar_samples(
        sample.owner, sample, limit=OFFER_LIMIT, within_ids=candidates
    )
    near = [(pk, score) for pk, score in nearest if score >= OFFER_SIMILARITY]
    found = Sample.objects.in_bulk([pk for pk, _ in near])
    return [(found[pk], score, score >= TICKED_SIMILARITY) for pk, score in near if pk in found]


def relabel(owner, sample_ids, field: str, value: str) -> int:
    """Give the owner's chosen live samples the value, as theirs; returns how many changed."""
    if field not in LEARNED:
        raise ValueError(f"{field} is not a label a user corrects")
    with transaction.atomic():
        chosen = Sample.objects.owned_by(owner).alive().filter(pk__in=sample_ids)
        changed = 0
        for sample in chosen.select_for_update().order_by("pk"):
            sample.save(update_fields=sample.set_by_user(**{field: value}))
            changed += 1
    return changed


class Corrections:
    """heard() over many samples, reading each owner's corrected samples once."""

    def __init__(self):
        self.by_owner: dict[int, dict[int, tuple[str, str]]] = {}

    def __call__(self, sample: Sample, result):
        if sample.owner_id not in self.by_owner:
            self.by_owner[sample.owner_id] = corrected_samples(sample.owner_id)
        return heard(sample, result, self.by_owner[sample.owner_id])


def corrected_samples(owner_id: int) -> dict[int, tuple[str, str]]:
    """The owner's analysed live samples whose category the user corrected: id -> (kind, category)."""
    corrected = (
        Sample.objects.owned_by(owner_id)
        .alive()
        .ready()
        .filter(category_set_by_user=True)
        .exclude(category="")
        # Unordered, so that SQLite reads the index of corrected samples rather than
        # walking all of the owner's in the default order: 0.2 ms instead of 0.9 for an
        # owner of 2,000 samples.
        .order_by()
        .values_list("pk", "kind", "category")
    )
    return {pk: (kind, category) for pk, kind, category in corrected}


def heard(sample: Sample, result, corrections: dict[int, tuple[str, str]] | None = None):
    """The analysis result, its category taken from a very close corrected sound if there is one.

    Only a correction of the same kind counts (a one-shot's category says nothing
    about a loop's), and never the sample's own. ``corrections`` are the owner's
    corrected_samples(), read here when not given.
    """
    if corrections is None:
        corrections = corrected_samples(sample.owner_id)
    corrected = {
        pk: category
        for pk, (kind, category) in corrections.items()
        if kind == result.kind and pk != sample.pk
    }
    if not corrected or not result.feature_vector:
        return result
    index = similarity.owner_index(sample.owner)
    query = similarity.to_points(
        np.asarray(result.feature_vector, dtype=np.float32)[None], index.center
    )[0]
    ids, squared = index.squared_distances(query)
    rows = index.positions(list(corrected))
    if rows.size == 0:
        return result
    nearest = rows[int(np.argmin(squared[rows]))]
    score = similarity.similarity(float(squared[nearest]))
    category = corrected[int(ids[nearest])]
    if score < ADOPT_SIMILARITY or category == result.category:
        return result
    return dataclasses.replace(
        result,
        category=category,
        category_confidence=round(score, 3),
        category_source="correction",
    )
