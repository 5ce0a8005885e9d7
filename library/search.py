"""Full-text search over the library: SQLite FTS5 or PostgreSQL text search.

Each sample keeps a `search_text` document (its names, folder, description,
tags, category and loop/one-shot words, lower-cased and split into words). The
database indexes it: an FTS5 table kept in step by triggers on SQLite, a GIN
index on a stored tsvector on PostgreSQL. Drum shorthand is matched both ways
("bd" finds kicks, "hh" finds hats) by expanding the query's words into their
synonyms.

Best match first means: samples whose *name* holds more of the typed words (or
their synonyms) come first, and the newest first among equals. The document
marks its name words for this (`NAME_MARK` + word: "0nwarm" for a sample named
"Warm Pad"), so each rank is one more index condition. That order can be read
off the index a page at a time, newest first, whatever the number of matches
(`BestMatch`); a score per match, as bm25 or ts_rank give, costs time in
proportion to the matches (70 ms for 14,000 at 100,000 samples, measured) and
could not hold a page under 50 ms at a million.
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import combinations

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import IntegerField
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
# Marks a name word in the document. words() splits a digit from a following
# letter, so no word of any text starts with "0n".
NAME_MARK = "0n"
# The typed words that count towards the rank (a rank's query grows with the
# subsets of these).
RANKED_WORDS = 4


def words(text: str) -> list[str]:
    """Lower-case words, with camelCase and digits split off ("KickDeep01" -> kick deep 01)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text or "")
    spaced = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", spaced)
    return re.findall(r"\w+", spaced.lower().replace("_", " "))


def document(sample, tag_names) -> str:
    """The text a sample is found by, and its name words marked for ranking."""
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
    marks = dict.fromkeys(NAME_MARK + word for word in words(sample.name))
    return " ".join([*seen, *marks])


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
    A lone "0" matches whole too: as a prefix it would match every name mark.
    """
    typed = list(dict.fromkeys(words(query)))
    terms = []
    for position, word in enumerate(typed):
        prefix = (
            position == len(typed) - 1
            and not query.endswith(" ")
            and not NAME_MARK.startswith(word)
        )
        forms = [(word, prefix)]
        forms += [(synonym, False) for synonym in sorted(SYNONYMS.get(word, set()) - {word})]
        terms.append(forms)
    return terms


class Syntax:
    """How one database's full-text query language writes words, AND, OR and NOT."""

    def __init__(self, word, prefix, both, either, but_not):
        self.word, self.prefix = word, prefix
        self.both, self.either, self.but_not = both, either, but_not

    def forms(self, forms, mark="") -> str:
        written = [
            self.word(mark + form) + (self.prefix if prefix else "") for form, prefix in forms
        ]
        return "(" + self.either.join(written) + ")"

    def match(self, terms, rank=None) -> str:
        """All the terms; with `rank`, only documents whose name holds exactly that many.

        A word marked in the name is in the document too, so a rank's query
        asks for the marks instead of the words, not for both: the index then
        reads only the short lists of marks (1.5 ms against 7.8 ms for three
        words at 100,000 samples, measured).
        """
        if rank is None:
            return self.both.join(self.forms(forms) for forms in terms)
        ranked, rest = terms[:RANKED_WORDS], terms[RANKED_WORDS:]
        choices = []
        for chosen in combinations(range(len(ranked)), rank):
            unnamed = [forms for i, forms in enumerate(ranked) if i not in chosen]
            wanted = [self.forms(ranked[i], NAME_MARK) for i in chosen]
            wanted += [self.forms(forms) for forms in unnamed + rest]
            choice = f"({self.both.join(wanted)})"
            choices.append(
                f"{choice}{self.but_not}({self.in_name(unnamed)})" if unnamed else choice
            )
        return self.either.join(f"({choice})" for choice in choices)

    def in_name(self, terms) -> str:
        return self.either.join(self.forms(forms, NAME_MARK) for forms in terms)


# FTS5 words are quoted, so words like AND or NEAR are plain words.
FTS5 = Syntax(lambda word: f'"{word}"', "*", " AND ", " OR ", " NOT ")
TSQUERY = Syntax(lambda word: word, ":*", " & ", " | ", " & !")


def ranks(query: str) -> range:
    """The name ranks a query's matches can have, best first."""
    return range(min(len(query_terms(query)), RANKED_WORDS), -1, -1)


def matching(queryset, query: str, *, rank=None, walk_index=False):
    """Samples matching the query; with `rank`, only those whose name holds that many of its words.

    `walk_index` (SQLite) joins the full-text index and orders by it, newest
    first: a page of a broad search is then read at once, but every match is
    read when other filters leave few of them. Without it the matches (all, or
    a rank's) are a list of ids that the sample table's own indexes pick from.
    """
    terms = query_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.extra(
            where=[f'"library_sample"."{PG_VECTOR_COLUMN}" @@ to_tsquery(\'{PG_CONFIG}\', %s)'],
            params=[TSQUERY.match(terms, rank)],
        )
    if not walk_index:
        # The MATCH runs once, into a list of ids. Joined instead, the query
        # is only as good as the planner's statistics: without them SQLite
        # read every sample of the owner and ran the MATCH once per sample
        # (17 s to count "tape warm loop" at 100,000 samples; 2 ms from the list).
        listed = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        return queryset.filter(pk__in=RawSQL(listed, [FTS5.match(terms, rank)]))
    # Joined and ordered by the index's own rowid, SQLite reads the index first
    # and stops at the page's end (with or without statistics, as measured).
    return queryset.extra(
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = library_sample.id", f"{FTS_TABLE} MATCH %s"],
        params=[FTS5.match(terms, rank)],
        order_by=[f"-{FTS_TABLE}.rowid"],
    )


def search(queryset, query: str):
    """Samples matching the query, annotated with `search_rank`: the typed words in the name.

    This is the exact best-match order (`search_rank` then id, both descending)
    for every match at once; BestMatch reads the same order a page at a time.
    """
    terms = query_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        named = [TSQUERY.forms(forms, NAME_MARK) for forms in terms[:RANKED_WORDS]]
        test = f'("library_sample"."{PG_VECTOR_COLUMN}" @@ to_tsquery(\'{PG_CONFIG}\', %s))::int'
    else:
        named = [FTS5.forms(forms, NAME_MARK) for forms in terms[:RANKED_WORDS]]
        test = f"(library_sample.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s))"
    counted = RawSQL(" + ".join([test] * len(named)), named, IntegerField())
    return matching(queryset, query).annotate(search_rank=counted)


_THROUGH_THE_INDEX = ContextVar("through_the_index", default=False)


@contextmanager
def found_through_the_index():
    """On PostgreSQL, the enclosed queries find their rows through the GIN index only.

    The planner misjudges how many samples a search matches ("dusty snare":
    6,256 guessed, 2,127 true) and then reads the table in order, hoping to
    stop early: 37 ms for a capped count that a bitmap from the full-text index
    gives in 8 ms. Counting each of bench/library.py's searches took 1.5-37 ms
    left to the planner and 4-16 ms through the index (100,000 samples,
    measured): a bound worth more than the best case. Nested, it does nothing more.
    """
    if connection.vendor != "postgresql" or _THROUGH_THE_INDEX.get():
        yield
        return
    scans = ("enable_seqscan", "enable_indexscan")
    enclosed = connection.in_atomic_block
    # Settings local to the transaction: its end (or an error's rollback)
    # undoes them; inside a longer transaction they are put back on the way out.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s), current_setting(%s),"
            " set_config(%s, 'off', true), set_config(%s, 'off', true)",
            scans * 2,
        )
        saved = cursor.fetchone()[:2]
        token = _THROUGH_THE_INDEX.set(True)
        try:
            yield
        finally:
            _THROUGH_THE_INDEX.reset(token)
        if enclosed:
            cursor.execute(
                "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
                [scans[0], saved[0], scans[1], saved[1]],
            )


class BestMatch:
    """A search's matches in best-match order, read a page at a time.

    Each rank's matches come newest first straight from an index, so a page
    costs about as much at a million samples as at a thousand. `narrowed`
    says other filters apply, and SQLite should pick rows by them instead.
    """

    def __init__(self, queryset, query: str, *, narrowed=False):
        self.queryset, self.query, self.narrowed = queryset, query, narrowed

    @property
    def walks_index(self) -> bool:
        """Whether SQLite reads the matches from the full-text index, newest first."""
        return connection.vendor == "sqlite" and not self.narrowed

    @property
    def matches(self):
        """Every match, unranked: what counting them needs.

        Walked from the index (see `walks_index`), keep their order when
        counting: SQLite then stops at the count's limit, where the list of
        every matching id costs more the more there are ("l" at 100,000
        samples: 0.9 ms against 8.2 ms to count 1,001; measured).
        """
        return matching(self.queryset, self.query, walk_index=self.walks_index)

    def ids(self, offset: int, limit: int, *, few=False) -> list[int]:
        """The ids at [offset, offset + limit) of the order, read rank by rank.

        `few` says the matches were counted and are few. PostgreSQL then reads
        them all at once through the full-text index and ranks them: its rank
        queries walk the table newest first, crossing every sample when a rank
        has no match, and a GIN bitmap of a rank's query is no faster ("tape
        warm loop", 350 matches at 100,000 samples: 5-44 ms per rank either
        way, against 7 ms to rank every match at once; measured).
        """
        if few and connection.vendor == "postgresql":
            with found_through_the_index():
                ranked = search(self.queryset, self.query).order_by("-search_rank", "-id")
                return list(ranked.values_list("pk", flat=True)[offset : offset + limit])
        found: list[int] = []
        walk_index = self.walks_index
        for rank in ranks(self.query):
            wanted = offset + limit - len(found)
            if wanted <= 0:
                break
            matches = matching(self.queryset, self.query, rank=rank, walk_index=walk_index)
            if not walk_index:
                matches = matches.order_by("-id")
            found += matches.values_list("pk", flat=True)[:wanted]
        return found[offset : offset + limit]
