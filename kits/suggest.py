"""Suggestions for empty pads: the library's samples ranked for a pad's role and the kit."""

from dataclasses import dataclass, field

from django.db.models import Q

from core.sp404mk2 import MIN_SAMPLE_SECONDS
from kits import rules
from library.models import Sample
from library.vocabulary import CATEGORY_LABELS, note_name

# An 808 or bass hit on the key's root fits best; any note of the scale next.
NOTE_BONUS = {"root note": 2, "in key": 1.5, "out of key": 0}
CANDIDATE_LIMIT = 500  # rows ranked per pad; plenty for a personal library's one category
SHOWN = 5


@dataclass
class Suggestion:
    """A sample proposed for a pad, with its score and the reasons in a word or two each."""

    sample: Sample
    score: float
    reasons: list[str] = field(default_factory=list)
    # For a one-shot with a note: the pad pitch that tunes it to the kit's tonic.
    tuning: rules.NoteFit | None = None


def score(sample, role: rules.Role, kit_bpm, kit_key: str, kit_scale: str) -> Suggestion | None:
    """How well a sample suits a pad of this role in this kit; None if it clashes."""
    suggestion = Suggestion(sample, 0.0)
    label = CATEGORY_LABELS.get(sample.category, "").lower()
    if sample.category in role.primary:
        suggestion.score += 3
        suggestion.reasons.append(label)
    elif sample.category in role.secondary:
        suggestion.score += 1.5
        suggestion.reasons.append(label)
    elif role.loops and sample.kind == "loop":
        suggestion.score += 2
        suggestion.reasons.append("loop")
    else:
        return None
    looped = rules.is_loop(sample.kind, sample.category)
    if looped and kit_bpm and sample.tempo_bpm:
        fit = rules.tempo_fit(sample.tempo_bpm, kit_bpm)
        if fit is None:
            return None
        closeness = 1 - abs(fit.delta_bpm) / (kit_bpm * rules.TEMPO_TOLERANCE)
        suggestion.score += 1 + closeness + (0.5 if fit.relation == "same" else 0)
        suggestion.reasons.append(fit.label)
    if kit_key and sample.key:
        relation = rules.key_relation(sample.key, sample.scale, kit_key, kit_scale)
        if relation is None and sample.category not in rules.DRUM_CATEGORIES:
            return None  # tonal material in a clashing key; drum pitch is left alone
        if relation:
            suggestion.score += {"same key": 2, "relative key": 1.5}.get(relation, 1)
            suggestion.reasons.append(relation)
    if kit_key and sample.pitch_midi is not None and not sample.key:
        fit = rules.note_fit(sample.pitch_midi, kit_key, kit_scale)
        suggestion.score += NOTE_BONUS[fit.relation]
        suggestion.reasons.append(f"{note_name(sample.pitch_midi)}, {fit.relation}")
        suggestion.tuning = fit if fit.offset else None
    suggestion.score += 0.5 if sample.is_favorite else 0
    suggestion.score += (sample.rating or 0) / 10
    return suggestion


def candidates(kit, role: rules.Role, exclude_ids):
    """The owner's live samples that could fill a pad of this role, not already in the kit.

    Samples too short for the SP-404MK2 are left out: placed by hand they get a
    warning, and a proposal should not hand the user one to act on.
    """
    categories = [*role.primary, *role.secondary]
    condition = Q(category__in=categories)
    if role.loops:
        condition |= Q(kind="loop")
    return (
        Sample.objects.owned_by(kit.owner_id)
        .alive()
        .filter(condition)
        .exclude(pk__in=exclude_ids)
        .exclude(duration__lt=MIN_SAMPLE_SECONDS)
        .defer("search_text")
        .order_by("-is_favorite", "name", "id")[:CANDIDATE_LIMIT]
    )


def rank(samples, role, kit) -> list[Suggestion]:
    """Samples scored for the role and kit, best first; clashing ones left out."""
    scored = (score(sample, role, kit.tempo_bpm, kit.key, kit.scale) for sample in samples)
    kept = [suggestion for suggestion in scored if suggestion is not None]
    return sorted(kept, key=lambda item: (-item.score, item.sample.name.lower(), item.sample.pk))


def suggest(kit, pad_number: int, limit: int = SHOWN) -> list[Suggestion]:
    """The best samples of the owner's library for an empty pad of this kit."""
    role = rules.role_of(pad_number)
    used = kit.pads.values_list("sample_id", flat=True)
    return rank(candidates(kit, role, used), role, kit)[:limit]


# Drums first: they are what the hands look for, and loops are the most contested.
FILL_ORDER = [13, 14, 15, 16, 9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]


def fill_bank(kit, bank: str) -> dict[int, Suggestion]:
    """A proposal for every empty pad of a bank, each sample used once; nothing is saved."""
    taken = {pad.pad_number for pad in kit.pads.filter(bank=bank)}
    used = set(kit.pads.values_list("sample_id", flat=True))
    proposal = {}
    ranked_by_role = {}
    for pad_number in FILL_ORDER:
        if pad_number in taken:
            continue
        role = rules.role_of(pad_number)
        if role not in ranked_by_role:
            ranked_by_role[role] = rank(candidates(kit, role, used), role, kit)
        best = next((item for item in ranked_by_role[role] if item.sample.pk not in used), None)
        if best is not None:
            proposal[pad_number] = best
            used.add(best.sample.pk)
    return dict(sorted(proposal.items()))
