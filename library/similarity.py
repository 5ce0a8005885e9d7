"""Find similar samples by their feature vectors, and find duplicates in a library.

Distance is Euclidean over the analysis feature vector (``FEATURE_NAMES``), each
dimension in units of how far re-encoding moves it (``codec_noise``) and each
group (timbre, spectrum, envelope) given a fixed share. On 43 generated sounds in
eight versions each, per-library z-scores with cosine ranked another sound above
the MP3 copy for 9-14 of the 43; codec-noise units for 0-1, because MFCCs move
2-10x more under MP3 than the spectral measures do.

Each owner's index is a memory-mapped file under ``DATA_DIR/similarity`` (SQLite
takes ~280 ms to read 100,000 vectors) plus what changed since it was written,
which one statement over small partial-index ranges finds before every query.
"""

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import BinaryField, F, Value
from scipy.signal import correlate

from library import analysis
from library.analysis import ANALYSIS_RATE, FEATURE_NAMES
from library.analysis.decoding import analysis_signal
from library.analysis.spectral import mel_filterbank
from library.models import AudioFeatures, Sample

logger = logging.getLogger(__name__)

ENVELOPE = {"log_attack_time", "log_decay_time", "temporal_centroid", "log_duration",
            "log1p_onset_rate", "crest_factor_db"}  # fmt: skip
# Without shares the 26 MFCC dimensions would outweigh the rest. Shares from 0.2 to 0.5
# per group ranked copies alike (0-1 of 43 missed); spectral measures get the most
# because they survive re-encoding best (spread 30-480x their codec noise, MFCCs 2-10x).
SHARES = {"timbre": 0.3, "spectrum": 0.4, "envelope": 0.3}
# Similarity 0.5 at the median distance from a sound to the nearest different one.
HALF_SIMILARITY_DISTANCE = 3.7
SAVE_AFTER_CHANGES = 64  # Fewer are quicker to fetch again than to write.
MERGE_AFTER_CHANGES = 5000  # Keeps the per-query cost of the changes small.
CACHED_OWNERS = 4


def codec_noise(name: str) -> float:
    """How far re-encoding moves a feature: measured RMS, rounded up, floored at a just-audible step."""
    if name.startswith("mfcc_"):
        number = int(name.rsplit("_", 1)[1])
        if name.startswith("mfcc_mean_"):
            return 12.0 if number <= 2 else 5.0 if number <= 8 else 3.0
        return 5.0 if number == 1 else 3.0 if number <= 7 else 1.5
    if name.startswith("band_share_"):
        return 0.005
    return {
        "log_spectral_centroid": 0.02, "log_spectral_rolloff": 0.035,
        "log_spectral_bandwidth": 0.12, "log10_spectral_flatness": 0.06,
        "zero_crossing_rate": 0.007, "harmonic_ratio": 0.01, "log_attack_time": 0.5,
        "log_decay_time": 0.3, "temporal_centroid": 0.01, "log_duration": 0.03,
        "log1p_onset_rate": 0.02, "crest_factor_db": 0.4,
    }[name]  # fmt: skip


def feature_weights() -> np.ndarray:
    """Per-dimension multipliers: codec-noise units, then each group scaled to its share."""
    groups = ["timbre" if n.startswith("mfcc_") else "envelope" if n in ENVELOPE else "spectrum"
              for n in FEATURE_NAMES]  # fmt: skip
    shares = [np.sqrt(SHARES[group] / groups.count(group)) for group in groups]
    return (np.array(shares) / [codec_noise(name) for name in FEATURE_NAMES]).astype(np.float32)


WEIGHTS = feature_weights()
DIMENSIONS = len(FEATURE_NAMES)
FILE_TAG = f"a{analysis.ANALYSIS_VERSION}-{hashlib.sha1(WEIGHTS.tobytes()).hexdigest()[:10]}"


def as_ids(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(np.int64, copy=False)
    return np.fromiter(values, dtype=np.int64)


def positions_in(sorted_ids: np.ndarray, wanted) -> np.ndarray:
    """Positions in sorted_ids of the wanted ids that are there (in the order wanted)."""
    wanted = as_ids(wanted)
    if sorted_ids.size == 0:
        return wanted[:0]
    at = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.size - 1)
    return at[sorted_ids[at] == wanted]


@dataclass(frozen=True)
class VectorIndex:
    """One owner's ready, alive samples as weighted points: a saved base plus later changes."""

    ids: np.ndarray  # Of the base, ascending; often memory-mapped.
    points: np.ndarray  # float32 vector * WEIGHTS - center, one row per id.
    norms: np.ndarray  # Squared lengths of the points.
    center: np.ndarray  # Subtracted so float32 distances stay precise.
    newest_id: int  # Ids above it were not looked at yet.
    outside_ids: frozenset  # Not ready, or in the trash, when last looked.
    added_ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # Ascending.
    added_points: np.ndarray = field(default_factory=lambda: np.empty((0, DIMENSIONS), np.float32))
    dropped: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # Base rows gone.
    unsaved_changes: int = 0

    def squared_distances(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, squared distances to query); dropped rows are infinitely far."""
        # |p - q|^2 = |p|^2 - 2 p.q + |q|^2: one matrix-vector product over the library.
        # einsum, not BLAS: OpenBLAS's two threads are faster alone (0.6 against 1.0 ms
        # for 100,000 rows) but stall behind other work (p90 7 ms, max 56; einsum 1.8, 5).
        base = self.norms - 2 * np.einsum("ij,j->i", self.points, query)
        base[self.dropped] = np.inf
        extra = self.added_points
        added = np.einsum("ij,ij->i", extra, extra) - 2 * np.einsum("ij,j->i", extra, query)
        squared = np.concatenate([base, added]) + np.dot(query, query)
        return np.concatenate([self.ids, self.added_ids]), squared

    def positions(self, sample_ids) -> np.ndarray:
        """Where these ids sit in the order squared_distances uses, each once, ascending."""
        sample_ids = as_ids(sample_ids)
        # A mask over the rows removes repeats in linear time; np.unique sorts (5 ms for 50,000).
        chosen = np.zeros(self.ids.size + self.added_ids.size, dtype=bool)
        chosen[positions_in(self.ids, sample_ids)] = True
        chosen[positions_in(self.added_ids, sample_ids) + self.ids.size] = True
        return np.flatnonzero(chosen)

    def point_of(self, sample_id: int) -> np.ndarray | None:
        for ids, points in ((self.added_ids, self.added_points), (self.ids, self.points)):
            found = positions_in(ids, [sample_id])
            if found.size:
                return points[found[0]]
        return None


def to_points(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors * WEIGHTS - center, dtype=np.float32)


def based_on(ids, points, center, newest_id, outside_ids, unsaved_changes=0) -> VectorIndex:
    """A fresh base from points in any order."""
    order = np.argsort(ids, kind="stable")
    points = np.ascontiguousarray(points[order])
    norms = np.einsum("ij,ij->i", points, points)
    return VectorIndex(ids[order], points, norms, center, newest_id, frozenset(outside_ids),
                       unsaved_changes=unsaved_changes)  # fmt: skip


def merged(index: VectorIndex) -> VectorIndex:
    """The index with its changes folded into the base (copies the whole matrix)."""
    keep = np.ones(index.ids.size, dtype=bool)
    keep[index.dropped] = False
    ids = np.concatenate([index.ids[keep], index.added_ids])
    points = np.concatenate([index.points[keep], index.added_points])
    return based_on(ids, points, index.center, index.newest_id, index.outside_ids,
                    index.unsaved_changes)  # fmt: skip


def raw_vectors(index: VectorIndex) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unweighted feature vectors) of every sample in the index."""
    index = merged(index)
    return index.ids, (index.points + index.center) / WEIGHTS


# Reading the database ------------------------------------------------------


def ready_features(owner):
    return AudioFeatures.objects.filter(
        sample__owner=owner, sample__status=Sample.Status.READY, sample__deleted_at__isnull=True
    ).order_by()


def decode_rows(rows) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 vectors) from (sample_id, bytes) rows; vectors of another length are skipped."""
    rows = [(i, data) for i, data in rows if data is not None and len(data) == 4 * DIMENSIONS]
    ids = np.fromiter((sample_id for sample_id, _ in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(data for _, data in rows)
    return ids, np.frombuffer(blob, dtype=np.float32).reshape(len(rows), DIMENSIONS)


def vector_rows(owner, ids=None) -> list:
    """(sample_id, vector bytes) of the owner's ready, alive samples: all, or these ids."""
    query = ready_features(owner).values_list("sample_id", "feature_vector")
    if ids is None:
        return list(query)
    ids = sorted(ids)
    # SQLite caps the parameters of one statement.
    chunks = [ids[start : start + 10_000] for start in range(0, len(ids), 10_000)]
    return [row for chunk in chunks for row in query.filter(sample_id__in=chunk)]


# Stand-ins compiled into the changes query, replaced by the real values per call.
OWNER_MARK, NEWEST_MARK = -404_001, -404_002


@cache
def changes_statement() -> tuple[str, tuple]:
    """The changes query, compiled once: building it costs ten times running it (0.66 / 0.06 ms)."""
    owned = Sample.objects.filter(owner_id=OWNER_MARK).order_by()
    waiting = [status for status in Sample.Status.values if status != Sample.Status.READY]
    no_vector = Value(None, output_field=BinaryField())
    parts = [
        owned.alive().ready().filter(id__gt=NEWEST_MARK)
        .annotate(arrived=Value(True), vector=F("features__feature_vector")),
        owned.alive().filter(status__in=waiting).annotate(arrived=Value(False), vector=no_vector),
        owned.trashed().annotate(arrived=Value(False), vector=no_vector),
    ]  # fmt: skip
    rows = [part.values_list("id", "arrived", "vector") for part in parts]
    return rows[0].union(*rows[1:], all=True).query.sql_with_params()


def changes_since(owner, newest_id: int) -> tuple[set[int], dict]:
    """(ids not ready or in the trash, {id: vector} of ready samples above newest_id).

    One statement, so one consistent view; each part walks a few rows of a
    partial index (live status, trash) or of the primary key.
    """
    sql, params = changes_statement()
    marks = {OWNER_MARK: owner.pk, NEWEST_MARK: newest_id}
    with connection.cursor() as cursor:
        cursor.execute(sql, [marks.get(value, value) if type(value) is int else value
                             for value in params])  # fmt: skip
        rows = cursor.fetchall()
    outside = {sample_id for sample_id, arrived, _ in rows if not arrived}
    return outside, {sample_id: vector for sample_id, arrived, vector in rows if arrived}


def build(owner) -> VectorIndex:
    """Read every vector: about 280 ms for 100,000 samples, so done once and saved."""
    # The newest id is read first: anything later has a higher id and counts as new.
    newest = Sample.objects.owned_by(owner).order_by("-id").values_list("id", flat=True).first()
    outside, arrived = changes_since(owner, newest or 0)
    ids, vectors = decode_rows(vector_rows(owner))
    center = vectors.mean(axis=0) * WEIGHTS if len(ids) else np.zeros(DIMENSIONS)
    center = center.astype(np.float32)
    newest = max([newest or 0, *arrived])
    return based_on(ids, to_points(vectors, center), center, newest, outside, SAVE_AFTER_CHANGES)


def catch_up(index: VectorIndex, owner) -> VectorIndex:
    """Apply what changed since the index last looked; the same index when nothing did."""
    outside, arrived = changes_since(owner, index.newest_id)
    # Ids that left the outside set were analysed, restored, or deleted for good.
    returned = index.outside_ids - outside
    if not arrived and not returned and outside == index.outside_ids:
        return index
    rows = [*arrived.items(), *vector_rows(owner, returned - arrived.keys())]
    fetched_ids, fetched = decode_rows(rows)
    gone = outside | set(fetched_ids.tolist())  # Left the library, or replaced.
    kept = ~np.isin(index.added_ids, list(gone))
    added_ids = np.concatenate([index.added_ids[kept], fetched_ids])
    order = np.argsort(added_ids, kind="stable")
    added = np.concatenate([index.added_points[kept], to_points(fetched, index.center)])
    changes = len(arrived.keys() | returned) + len(outside ^ index.outside_ids)
    index = replace(
        index,
        newest_id=max([index.newest_id, *arrived]),
        outside_ids=frozenset(outside),
        added_ids=added_ids[order],
        added_points=added[order],
        dropped=np.union1d(index.dropped, positions_in(index.ids, gone)),
        unsaved_changes=index.unsaved_changes + changes,
    )
    too_many = index.added_ids.size + index.dropped.size > MERGE_AFTER_CHANGES
    return merged(index) if too_many else index


# The per-process cache and its file ---------------------------------------

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def index_path(owner_id: int):
    return settings.DATA_DIR / "similarity" / f"owner-{owner_id}-{FILE_TAG}.vectors"


def save(index: VectorIndex, path) -> None:
    """Write the merged index beside its file and rename, so readers never see half a file."""
    index = merged(index)
    header = {"rows": int(index.ids.size), "dimensions": DIMENSIONS,
              "newest_id": index.newest_id, "outside_ids": sorted(index.outside_ids)}  # fmt: skip
    text = json.dumps(header).encode()
    text += b" " * (-(len(text) + 8) % 64)  # The arrays start 64-byte aligned.
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            handle.write(len(text).to_bytes(8, "little") + text)
            for array in (index.ids, index.points, index.norms, index.center):
                handle.write(np.ascontiguousarray(array).tobytes())
        os.replace(partial, path)
    except OSError as error:  # Only a cache: the index is rebuilt without it.
        logger.warning("Could not save the similarity index %s: %s", path, error)


def load(path) -> VectorIndex | None:
    """Map a saved index into memory: pages are read when a query first touches them."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size))
        rows, offset = header["rows"], 8 + size
        if header["dimensions"] != DIMENSIONS or rows == 0:
            return None
        arrays = []
        for dtype, shape in (("<i8", (rows,)), ("<f4", (rows, DIMENSIONS)), ("<f4", (rows,)),
                             ("<f4", (DIMENSIONS,))):  # fmt: skip
            arrays.append(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape))
            offset += np.dtype(dtype).itemsize * int(np.prod(shape))
    except (OSError, ValueError, KeyError):
        return None
    return VectorIndex(*arrays, header["newest_id"], frozenset(header["outside_ids"]))


def cache_key(owner) -> tuple:
    return (str(settings.DATA_DIR), owner.pk)  # Tests give every database its own data dir.


def owner_index(owner) -> VectorIndex:
    """The owner's index, brought up to date; loaded from its file or built on first use."""
    with _lock:
        index = _cache.get(cache_key(owner)) or load(index_path(owner.pk)) or build(owner)
        index = catch_up(index, owner)
        _cache[cache_key(owner)] = index
        _cache.move_to_end(cache_key(owner))
        while len(_cache) > CACHED_OWNERS:
            _cache.popitem(last=False)
    return index


def save_soon(owner) -> None:
    """Write the owner's index file when enough changed, on a thread: merging and writing
    take 10-50 ms, so they start once a query has its answer."""
    with _lock:
        index = _cache.get(cache_key(owner))
        if index is None or index.unsaved_changes < SAVE_AFTER_CHANGES:
            return
        _cache[cache_key(owner)] = replace(index, unsaved_changes=0)
    threading.Thread(target=save, args=(index, index_path(owner.pk)), daemon=True).start()


def save_now(owner) -> None:
    """Bring the owner's index file up to date, so that a fresh process's first
    query maps it and has little or nothing to catch up on."""
    index = owner_index(owner)
    with _lock:
        if cache_key(owner) in _cache:
            _cache[cache_key(owner)] = replace(_cache[cache_key(owner)], unsaved_changes=0)
    save(index, index_path(owner.pk))


def forget_indexes() -> None:
    """Drop the in-memory indexes (files stay), as a fresh process starts."""
    with _lock:
        _cache.clear()


# Find similar --------------------------------------------------------------


def similarity(squared_distance: float) -> float:
    """1 for the same point, 0.5 at HALF_SIMILARITY_DISTANCE, towards 0 beyond."""
    return 1.0 / (1.0 + max(squared_distance, 0.0) / HALF_SIMILARITY_DISTANCE**2)


def query_point(index: VectorIndex, sample) -> np.ndarray | None:
    point = index.point_of(sample.pk)
    if point is not None:
        return point
    # In the trash, say: its stored vector still says what it sounds like.
    stored = AudioFeatures.objects.filter(sample_id=sample.pk).values_list("feature_vector")
    data = stored.first()
    if data is None or len(data[0]) != 4 * DIMENSIONS:
        return None
    return to_points(np.frombuffer(data[0], dtype=np.float32)[None], index.center)[0]


def nearest_first(squared: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` smallest values, smallest first, without sorting them all."""
    if count < squared.size:
        chosen = np.argpartition(squared, count)[:count]
        return chosen[np.argsort(squared[chosen], kind="stable")]
    return np.argsort(squared, kind="stable")


def similar_samples(owner, sample, *, limit=20, within_ids=None) -> list[tuple[int, float]]:
    """The owner's samples that sound most like `sample`, nearest first, as (id, similarity).

    Never the sample itself or the trash; `within_ids` (ids or a queryset) keeps
    only those samples, e.g. the result of the current filters.
    """
    index = owner_index(owner)
    query = query_point(index, sample)
    if query is None or limit <= 0:
        return []
    ids, squared = index.squared_distances(query)
    if within_ids is not None:
        if hasattr(within_ids, "values_list"):
            within_ids = ids_of(within_ids)
        rows = index.positions(within_ids)
        ids, squared = ids[rows], squared[rows]
    results = checked_nearest(owner, sample.pk, ids, squared, limit)
    save_soon(owner)
    return results


def ids_of(queryset) -> np.ndarray:
    """The queryset's primary keys as an array, read with a plain cursor: tens of
    thousands of ids come back several times faster than through values_list()."""
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)


def checked_nearest(owner, sample_id, ids, squared, limit) -> list[tuple[int, float]]:
    """The nearest ids that are still the owner's, alive and ready: a sample deleted
    outright (not through the trash) may linger in the index."""
    wanted = limit + 8
    while True:
        chosen = nearest_first(squared, min(wanted, squared.size))
        chosen = chosen[np.isfinite(squared[chosen])]
        found = ids[chosen].tolist()
        live = Sample.objects.owned_by(owner).alive().ready().filter(pk__in=found)
        live = set(live.values_list("id", flat=True).order_by())
        live.discard(sample_id)
        results = [
            (i, similarity(float(squared[at])))
            for i, at in zip(found, chosen, strict=True)
            if i in live
        ]
        if len(results) >= limit or wanted >= squared.size:
            return results[:limit]
        wanted *= 4


# Duplicates ----------------------------------------------------------------
# Thresholds measured on 43 generated sounds, each in 8 versions (WAV, MP3 at two
# bitrates, OGG, FLAC, 48 kHz, 200 ms of silence added as WAV and MP3): all 1,204
# pairs of copies match. Per band, copies correlate at least 0.997, 0.965, 0.883,
# 0.815; different sounds of equal trimmed length reached 1.0 (a shared tonal body),
# 0.815, 0.614, 0.394. Copies' trimmed lengths differ by <= 10 ms + 3 %, their
# log-mel by <= 2.0 dB; the 3 dB guard turns away low-passed and saturated variants
# that the bands let through. Same-length snares, hats and claps with other noise,
# kicks detuned 3-6 %, 808s a semitone apart: none match. Two drum loops differing
# only in hit velocities (<= 15 %) do: their waveforms are nearly the same.

# Leading or trailing silence moves these, so duplicates are matched without them.
SILENCE_SENSITIVE = {"temporal_centroid", "log_duration", "log1p_onset_rate", "crest_factor_db"}
# RMS distance (codec-noise units, silence-free dimensions) below which two samples
# are compared as audio: copies reached 4.0 at most, 2.8 at the 99th percentile.
DUPLICATE_CANDIDATE_DISTANCE = 5.0
# Bounds the pairs to decode at this many per sample, however dense the library.
# With 8, all 8 versions of 41 of the 43 sounds joined up; three drum loops that
# differ only in tempo (not among these features) crowd each other, so two of them
# formed two candidate clusters each, so each would be listed as two groups.
DUPLICATE_NEIGHBOURS = 8
EXACT = "identical audio, different file"
REENCODED = "same audio, different format"
TRIMMED = "same audio after trimming silence"
LEAST_EXACT_LAST = (EXACT, REENCODED, TRIMMED)
MAX_SPECTRAL_DIFFERENCE_DB = 3.0
TRIM_LEVEL = 10 ** (-50 / 20)  # Of the peak: quieter ends count as silence.
COMPARED_SECONDS = 10
MAX_SHIFT_SECONDS = 0.05  # Encoder delay and padding.
MEL_FFT, MEL_HOP, MEL_BANDS = 1024, 256, 40
BAND_EDGES_HZ = (500, 2000, 6000)
MIN_BAND_CORRELATION = (0.98, 0.9, 0.8, 0.65)  # Below, between and above the edges.
MIN_BAND_SHARE = 0.05


@dataclass(frozen=True)
class DuplicateGroup:
    """Samples holding the same audio, listed for the owner to review."""

    sample_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class Heard:
    """A sample decoded once for comparison: trimmed, mono, unit energy."""

    fingerprint: str  # Of the decoded samples and their rate.
    signal: np.ndarray
    trimmed_seconds: float
    total_seconds: float


def find_duplicates(owner, progress=None) -> list[DuplicateGroup]:
    """Groups of the owner's samples that hold the same audio (decodes the candidates).

    `progress(checked, candidates, samples)` is called as the pairs are compared.
    """
    ids, vectors = raw_vectors(owner_index(owner))
    pairs = sorted({(int(ids[a]), int(ids[b])) for a, b in candidate_pairs(vectors)})
    save_soon(owner)
    return grouped(confirmed(owner, pairs, progress, len(ids)))


def candidate_pairs(vectors: np.ndarray, block: int = 1024) -> np.ndarray:
    """Row pairs (i < j): each row's DUPLICATE_NEIGHBOURS nearest within DUPLICATE_CANDIDATE_DISTANCE.

    Rows are sorted by spectral centroid: an RMS distance of T over k dimensions
    keeps every single one within T * sqrt(k), so a block meets only its window.
    """
    if len(vectors) < 2:
        return np.empty((0, 2), dtype=np.int64)
    kept = [i for i, name in enumerate(FEATURE_NAMES) if name not in SILENCE_SENSITIVE]
    units = vectors[:, kept] / [codec_noise(FEATURE_NAMES[i]) for i in kept]
    units = (units - units.mean(axis=0)).astype(np.float32)  # Centred: precise float32.
    key = units[:, kept.index(FEATURE_NAMES.index("log_spectral_centroid"))]
    order = np.argsort(key, kind="stable")
    units, key = units[order], key[order]
    norms = np.einsum("ij,ij->i", units, units)
    reach = DUPLICATE_CANDIDATE_DISTANCE * np.sqrt(len(kept))
    found = [np.empty((0, 2), dtype=np.int64)]
    for start in range(0, len(units), block):
        stop = min(start + block, len(units))
        low, high = np.searchsorted(key, [key[start] - reach, key[stop - 1] + reach])
        near = []
        for left in range(low, high, 16 * block):  # Bounded memory per product.
            right = min(left + 16 * block, high)
            products = units[start:stop] @ units[left:right].T
            squared = norms[start:stop, None] + norms[None, left:right] - 2 * products
            rows, cols = np.nonzero(squared <= reach**2)
            near.append((rows + start, cols + left, squared[rows, cols]))
        found.append(nearest_per_row(*map(np.concatenate, zip(*near, strict=True))))
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)
    return order[pairs]


def nearest_per_row(rows, cols, squared) -> np.ndarray:
    """(row, col) pairs keeping each row's DUPLICATE_NEIGHBOURS nearest other rows."""
    other = rows != cols
    rows, cols, squared = rows[other], cols[other], squared[other]
    ranked = np.lexsort((squared, rows))
    rows, cols = rows[ranked], cols[ranked]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    keep = rank < DUPLICATE_NEIGHBOURS
    return np.stack([rows[keep], cols[keep]], axis=1)


PROGRESS_EVERY = 50  # Pairs compared between progress reports.


def confirmed(owner, pairs, progress=None, sample_count=0) -> list[tuple[int, int, str]]:
    """The candidate pairs whose decoded audio matches, with the reason."""
    samples = Sample.objects.owned_by(owner).in_bulk({i for pair in pairs for i in pair})
    hear_cached = lru_cache(maxsize=128)(lambda sample_id: hear(samples[sample_id]))
    matches = []
    for checked, (first, second) in enumerate(pairs):
        if progress and checked % PROGRESS_EVERY == 0:
            progress(checked, len(pairs), sample_count)
        if first in samples and second in samples:
            reason = same_audio(hear_cached(first), hear_cached(second))
            if reason:
                matches.append((first, second, reason))
    if progress:
        progress(len(pairs), len(pairs), sample_count)
    return matches


def hear(sample) -> Heard | None:
    """Decode a sample for comparison; None when it cannot be read or is silent."""
    try:
        decoded = analysis.load_audio(sample.file.path)
    except (analysis.AnalysisError, OSError, ValueError):
        return None
    digest = hashlib.sha256(str((*decoded.samples.shape, decoded.info.sample_rate)).encode())
    digest.update(np.ascontiguousarray(decoded.samples).data)
    mono = analysis_signal(decoded.mono(), decoded.info.sample_rate)
    loud = np.flatnonzero(np.abs(mono) >= np.abs(mono).max(initial=0) * TRIM_LEVEL)
    if loud.size == 0 or not mono.any():
        return None
    part = mono[loud[0] : loud[-1] + 1]
    compared = part[: COMPARED_SECONDS * ANALYSIS_RATE].astype(np.float64)
    return Heard(digest.hexdigest(), compared / np.linalg.norm(compared),
                 part.size / ANALYSIS_RATE, decoded.info.duration)  # fmt: skip


def same_audio(first: Heard | None, second: Heard | None) -> str | None:
    """Why two decoded samples are the same audio, or None when they are not."""
    if first is None or second is None:
        return None
    if first.fingerprint == second.fingerprint:
        return EXACT
    tolerance = 0.015 + 0.03 * max(first.trimmed_seconds, second.trimmed_seconds)
    if abs(first.trimmed_seconds - second.trimmed_seconds) > tolerance:
        return None
    first_part, second_part = aligned(first.signal, second.signal)
    if not bands_agree(first_part, second_part):
        return None
    if spectral_difference_db(first_part, second_part) > MAX_SPECTRAL_DIFFERENCE_DB:
        return None
    return TRIMMED if abs(first.total_seconds - second.total_seconds) > tolerance else REENCODED


def aligned(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts once shifted (within MAX_SHIFT_SECONDS) to correlate best."""
    # Both start where the sound starts, so their first two seconds fix the lag.
    window = 2 * ANALYSIS_RATE
    full = correlate(first[:window], second[:window], mode="full", method="fft")
    lags = np.arange(-min(second.size, window) + 1, min(first.size, window))
    near = np.abs(lags) <= MAX_SHIFT_SECONDS * ANALYSIS_RATE
    shift = int(lags[near][np.argmax(full[near])])
    first, second = (first[shift:], second) if shift > 0 else (first, second[-shift:])
    length = min(first.size, second.size)
    return first[:length], second[:length]


def bands_agree(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether every band holding MIN_BAND_SHARE of either signal's energy correlates enough.

    Per band, because two snares with different noise correlate 0.8 overall (their
    tonal bodies agree) and near 0 above 2 kHz; and per band its own threshold,
    because codecs keep low bands' waveform but only high bands' spectral envelope.
    """
    spectra = np.fft.rfft(first), np.fft.rfft(second)
    bands = np.searchsorted(BAND_EDGES_HZ, np.fft.rfftfreq(first.size, 1 / ANALYSIS_RATE))
    count = len(BAND_EDGES_HZ) + 1
    energy = [np.bincount(bands, np.abs(spectrum) ** 2, count) for spectrum in spectra]
    cross = np.bincount(bands, np.real(spectra[0] * np.conj(spectra[1])), count)
    correlation = cross / np.sqrt(energy[0] * energy[1] + 1e-30)
    shares = np.maximum(energy[0] / energy[0].sum(), energy[1] / energy[1].sum())
    return bool(np.all((correlation >= MIN_BAND_CORRELATION) | (shares < MIN_BAND_SHARE)))


def spectral_difference_db(first: np.ndarray, second: np.ndarray) -> float:
    """Mean absolute log-mel difference (dB) of aligned signals over their loud part."""
    first_db, second_db = log_mel_db(first), log_mel_db(second)
    top = max(first_db.max(), second_db.max())
    # A floor 60 dB down keeps near-silent bands (which codecs drop) from counting.
    first_db, second_db = np.maximum(first_db, top - 60), np.maximum(second_db, top - 60)
    loud = (first_db > top - 40) | (second_db > top - 40)
    return float(np.abs(first_db - second_db)[loud].mean())


def log_mel_db(audio: np.ndarray) -> np.ndarray:
    padded = np.pad(audio, (0, max(0, MEL_FFT - audio.size)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, MEL_FFT)[::MEL_HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(MEL_FFT), axis=1)) ** 2
    return 10 * np.log10(power @ mel_filterbank(ANALYSIS_RATE, MEL_FFT, MEL_BANDS) + 1e-12)


def grouped(matches) -> list[DuplicateGroup]:
    """Join matching pairs into groups; a group's reason is its least exact pair's."""
    parent: dict[int, int] = {}

    def root(sample_id: int) -> int:
        while parent.setdefault(sample_id, sample_id) != sample_id:
            sample_id = parent[sample_id]
        return sample_id

    for first, second, _ in matches:
        parent[root(first)] = root(second)
    members, reasons = defaultdict(set), defaultdict(set)
    for first, second, reason in matches:
        members[root(first)] |= {first, second}
        reasons[root(first)].add(reason)
    groups = [
        DuplicateGroup(tuple(sorted(members[key])), max(reasons[key], key=LEAST_EXACT_LAST.index))
        for key in members
    ]
    return sorted(groups, key=lambda group: group.sample_ids)
