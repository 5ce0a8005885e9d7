"""Find similar samples by their feature vectors.

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
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import BinaryField, F, Value

from library import analysis
from library.analysis import FEATURE_NAMES
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
        # In place, and no copies when nothing was added: at a million rows each
        # temporary array cost about as much as the product itself (measured).
        squared = np.einsum("ij,j->i", self.points, query)
        squared *= -2
        squared += self.norms
        squared[self.dropped] = np.inf
        if self.added_ids.size:
            extra = self.added_points
            added = np.einsum("ij,ij->i", extra, extra) - 2 * np.einsum("ij,j->i", extra, query)
            squared = np.concatenate([squared, added])
        squared += np.dot(query, query)
        if not self.added_ids.size:
            return self.ids, squared
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
    return nearest_to(owner, index, query, limit, within_ids, sample.pk)


# A sound searched with is often a part of what it should find (five seconds
# recorded of a loop, a hit cut short): what depends on its length says nothing.
LENGTH_BOUND = [
    FEATURE_NAMES.index(name) for name in ("log_duration", "temporal_centroid", "log_decay_time")
]


def sounds_like(owner, feature_vector, *, limit=20, within_ids=None) -> list[tuple[int, float]]:
    """The owner's samples nearest a sound that is not in the library, given the feature
    vector its analysis measured, whatever its length; as `similar_samples`."""
    index = owner_index(owner)
    vector = np.asarray(feature_vector, dtype=np.float32)
    query = to_points(vector[None], index.center)[0] if vector.size == DIMENSIONS else None
    return nearest_to(owner, index, query, limit, within_ids, None, ignored=LENGTH_BOUND)


def nearest_to(owner, index, query, limit, within_ids, skip_id, ignored=()):
    """(id, similarity) of the nearest samples to a query point, leaving out ``ignored`` columns."""
    if query is None or limit <= 0:
        return []
    ids, squared = index.squared_distances(query)
    if len(ignored):
        squared = squared - ignored_share(index, query, list(ignored))
    if within_ids is not None:
        if hasattr(within_ids, "values_list"):
            within_ids = ids_of(within_ids)
        rows = index.positions(within_ids)
        ids, squared = ids[rows], squared[rows]
    results = checked_nearest(owner, skip_id, ids, squared, limit)
    save_soon(owner)
    return results


def ignored_share(index: VectorIndex, query: np.ndarray, columns: list[int]) -> np.ndarray:
    """What these columns add to each squared distance (in squared_distances' order)."""
    points = index.points[:, columns]
    if index.added_ids.size:
        points = np.concatenate([points, index.added_points[:, columns]])
    return np.square(points - query[columns]).sum(axis=1)


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
