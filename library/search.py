"""Full-text search over the library: SQLite FTS5 or PostgreSQL text search.

Each sample keeps a `search_text` document (its names, folder, description,
tags, category and loop/one-shot words, lower-cased and split into words). The
database indexes it: an FTS5 table kept in step by triggers on SQLite, a GIN
expression index on PostgreSQL. Drum shorthand is matched both ways ("bd" finds
kicks, "hh" finds hats) by expanding the query's words into their synonyms.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models.expressions import RawSQL

SYNONYM_GROUPS = [
    {"kick", "kicks", "kik", "kck", "bd", "bassdrum"},
    {"snare", "snares", "snr", "sd", "sn"},
    {"hat", "hats", "hh", "hihat", "hihats", "chh", "ohh"},
    {"clap", "claps", "clp", "cp"},
    {"cymbal", "cymbals", "cym", "crash", "ride"},
    {"perc", "percussion", "percs"},
    {"tom", "toms"},
    {"vocal", "vocals", "vox", "voice"},
    {"fx", "sfx", "effect", "effects"},
    {"keys", "piano", "rhodes", "chord", "chords"},
]
SYNONYMS = {word: group for group in SYNONYM_GROUPS for word in group}
# Words a sample's category adds to its document, so a neutrally named file
# that the analysis heard as a kick is found by "kick" and "bd".
CATEGORY_WORDS = {
    "closed_hat": "closed hat hihat",
    "open_hat": "open hat hihat",
    "keys": "keys chords",
    "drum_loop": "drum loop drums",
    "melodic_loop": "melodic loop",
    "bass_loop": "bass loop",
    "vocal_loop": "vocal loop",
}
# The index itself is made by migrations (0002, 0009, 0010): an FTS5 table kept
# by triggers on SQLite, a stored tsvector column on PostgreSQL.
FTS_TABLE = "library_sample_search"
PG_CONFIG = "simple"
PG_VECTOR_COLUMN = "search_vector"


def words(text: str) -> list[str]:
    """Lower-case words, with camelCase and digits split off ("KickDeep01" -> kick deep 01)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text or "")
    spaced = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", spaced)
    return re.findall(r"\w+", spaced.lower().replace("_", " "))


def document(sample, tag_names) -> str:
    """The text a sample is found by."""
    parts = [
        sample.name,
        sample.original_filename,
        sample.source_path,
        sample.description,
        " ".join(tag_names),
        CATEGORY_WORDS.get(sample.category, sample.category),
        "loop" if sample.kind == "loop" else ("one shot" if sample.kind else ""),
        sample.genre,
        vibe_words(sample),
    ]
    seen = dict.fromkeys(word for part in parts for word in words(part))
    return " ".join(seen)


def vibe_words(sample) -> str:
    """The moods and texture tags a vibe analysis gave the sample ("" when it has none)."""
    if sample.pk is None:
        return ""
    try:
        vibe = sample.vibe
    except ObjectDoesNotExist:
        return ""
    return " ".join([vibe.mood_primary, vibe.mood_secondary, *map(str, vibe.texture_tags or [])])


def query_terms(query: str) -> list[list[tuple[str, bool]]]:
    """Each typed word with its synonyms, as (form, is_prefix); every word must match.

    Only the word being typed (the last) matches as a prefix; synonyms and
    finished words match whole, which keeps "hh" from matching every "hat…".
    """
    typed = list(dict.fromkeys(words(query)))
    terms = []
    for position, word in enumerate(typed):
        prefix = position == len(typed) - 1 and not query.endswith(" ")
        forms = [(word, prefix)]
        forms += [(synonym, False) for synonym in sorted(SYNONYMS.get(word, set()) - {word})]
        terms.append(forms)
    return terms


def fts5_expression(terms) -> str:
    # Quoted, so words like AND or NEAR are plain words.
    return " AND ".join(
        "(" + " OR ".join(f'"{form}"' + ("*" if prefix else "") for form, prefix in forms) + ")"
        for forms in terms
    )


def tsquery_expression(terms) -> str:
    return " & ".join(
        "(" + " | ".join(form + (":*" if prefix else "") for form, prefix in forms) + ")"
        for forms in terms
    )


def search(queryset, query: str):
    """Samples matching the query, annotated with `search_rank` (higher is better)."""
    terms = query_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        search_query = SearchQuery(tsquery_expression(terms), search_type="raw", config=PG_CONFIG)
        # The stored column: computing to_tsvector again for every match to rank it
        # costs far more than the search.
        vector = RawSQL(f'"library_sample"."{PG_VECTOR_COLUMN}"', [], SearchVectorField())
        return (
            queryset.alias(search_document=vector)
            .filter(search_document=search_query)
            .annotate(search_rank=SearchRank(vector, search_query))
        )
    # FTS5 is joined in directly: a correlated subquery per row would run the
    # MATCH once for every matching sample. bm25() is lower for better
    # matches, so it is negated to rank like PostgreSQL.
    return queryset.extra(
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = library_sample.id", f"{FTS_TABLE} MATCH %s"],
        params=[fts5_expression(terms)],
        select={"search_rank": f"-bm25({FTS_TABLE})"},
    )
