"""The slow log: requests and SQL queries slower than a threshold, one JSON object a line.

SLOW_REQUEST_MS and SLOW_QUERY_MS (SP404_SLOW_REQUEST_MS, SP404_SLOW_QUERY_MS) are
the thresholds in milliseconds: 0 logs every request or query, and a negative
value (-1) turns that kind off; both negative makes the middleware do nothing.
Entries go to DATA_DIR/logs/slow.jsonl, which is rotated at MAX_BYTES with BACKUPS
older files kept; staff read the newest on the slow-log page.

Only queries run while the middleware answers a request are timed: background
tasks (the django-q2 workers) and management commands never pass through it and
are left out. A streamed response (audio, a ZIP) is timed until the view returns
it, not until its last byte is sent.
"""

import json
import logging
import os
import reprlib
import threading
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from time import perf_counter

from django.conf import settings
from django.db import connections

LOG_NAME = "slow.jsonl"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
KINDS = {"request", "query"}
NEWEST_LIMIT = 200
# Together these keep an entry to about 3 KB, whatever a query or a URL holds.
MAX_SQL_CHARS = 2000
MAX_PARAMS_CHARS = 500
MAX_PATH_CHARS = 300
# SLOW_QUERY_MS=0 on a page of a thousand queries would hold them all until the
# request ends; only the first ones are kept.
MAX_QUERIES_PER_REQUEST = 50

# Parameters that are credentials (session keys and data, password hashes) or
# say who tried to log in: these queries are logged with the SQL alone.
PRIVATE_SQL = ('"django_session"', 'INSERT INTO "auth_user"', 'UPDATE "auth_user"', '"axes_')
HIDDEN_PARAMS = "(hidden: sessions, passwords and login attempts)"
PARAMS_REPR = reprlib.Repr()
PARAMS_REPR.maxlevel = 3
PARAMS_REPR.maxlist = PARAMS_REPR.maxtuple = 20
PARAMS_REPR.maxstring = PARAMS_REPR.maxother = 200

# Its own file only: the lines would drown the console, and the site's log
# level must not silence them.
logger = logging.getLogger("sp404site.slowlog")
logger.propagate = False
logger.setLevel(logging.INFO)
handler_lock = threading.Lock()
file_handler: RotatingFileHandler | None = None
problems = logging.getLogger(__name__)


class SharedRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler that gunicorn's several worker processes can share.

    Before each line it checks that the file it holds is still the one at its
    path, and reopens it when another process has rotated it: otherwise it would
    go on writing into the backup and then rotate the other process's new file.
    """

    def shouldRollover(self, record):
        if self.stream is not None and self.moved_away():
            self.stream.close()
            self.stream = None  # The parent's check opens the file at the path.
        return super().shouldRollover(record)

    def moved_away(self) -> bool:
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        held = os.fstat(self.stream.fileno())
        return (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino)


def log_path() -> Path:
    return Path(settings.DATA_DIR) / "logs" / LOG_NAME


def log_files() -> list[Path]:
    """The log and its backups, newest first (RotatingFileHandler's naming)."""
    path = log_path()
    return [path] + [path.with_name(f"{LOG_NAME}.{number}") for number in range(1, BACKUPS + 1)]


def attach_handler(path: Path) -> None:
    """Point the logger at `path`: once, and again whenever the data directory changes (tests)."""
    global file_handler
    with handler_lock:
        if file_handler is not None and file_handler.baseFilename == str(path):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = SharedRotatingFileHandler(
            path,
            maxBytes=MAX_BYTES,
            backupCount=BACKUPS,
            encoding="utf-8",
            errors="backslashreplace",
            delay=True,
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        if file_handler is not None:
            logger.removeHandler(file_handler)
            file_handler.close()
        logger.addHandler(handler)
        file_handler = handler


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class QueryTimer:
    """An execute wrapper (connection.execute_wrapper) keeping the queries slower than its threshold.

    Per query it costs two perf_counter calls and a comparison; only a slow
    query's SQL and parameters are copied.
    """

    def __init__(self, threshold_ms: float):
        self.threshold = threshold_ms / 1000
        self.slow: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = perf_counter() - started
            if seconds >= self.threshold and len(self.slow) < MAX_QUERIES_PER_REQUEST:
                self.slow.append(query_entry(seconds, sql, params, context["connection"].alias))


def query_entry(seconds: float, sql: str, params, database: str) -> dict:
    """A slow query as it is logged: SQL with its placeholders, and the parameters' repr, both clipped."""
    sql = str(sql)
    private = any(marker in sql for marker in PRIVATE_SQL)
    return {
        "kind": "query",
        "at": now_text(),
        "ms": round(seconds * 1000, 1),
        "sql": clip(sql, MAX_SQL_CHARS),
        "params": HIDDEN_PARAMS if private else clip(PARAMS_REPR.repr(params), MAX_PARAMS_CHARS),
        "database": database,
    }


class SlowLogMiddleware:
    """Times each request and, while it runs, each SQL query on every database connection.

    It goes first in MIDDLEWARE, so the time covers the other middleware too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_ms, query_ms = settings.SLOW_REQUEST_MS, settings.SLOW_QUERY_MS
        if request_ms < 0 and query_ms < 0:
            return self.get_response(request)
        timer = QueryTimer(query_ms) if query_ms >= 0 else None
        started = perf_counter()
        with ExitStack() as wrappers:
            if timer is not None:
                for alias in connections:
                    wrappers.enter_context(connections[alias].execute_wrapper(timer))
            response = self.get_response(request)
        elapsed_ms = (perf_counter() - started) * 1000
        entries = timer.slow if timer is not None else []
        if 0 <= request_ms <= elapsed_ms:
            # After its queries, so that read newest first the request heads them.
            entries = [*entries, request_entry(elapsed_ms, response.status_code)]
        if entries:
            write_entries(request, entries)
        return response


def request_entry(elapsed_ms: float, status: int) -> dict:
    return {"kind": "request", "at": now_text(), "ms": round(elapsed_ms, 1), "status": status}


def write_entries(request, entries: list[dict]) -> None:
    """Append the entries, each with the request's method, path and user id."""
    # The user was looked up by the views' login check; a login page may leave it unread.
    user = getattr(request, "user", None)
    shared = {
        "method": request.method,
        "path": clip(request.get_full_path(), MAX_PATH_CHARS),
        "user_id": user.pk if user is not None else None,
    }
    try:
        attach_handler(log_path())
    except OSError as error:
        # The page was answered; a log that cannot be written must not turn it into an error.
        problems.warning("The slow log cannot be written: %s", error)
        return
    for entry in entries:
        logger.info(json.dumps({**entry, **shared}, ensure_ascii=False))


@dataclass(frozen=True)
class SlowEntry:
    """One line of the log, read back for the staff page."""

    kind: str
    at: datetime
    ms: float
    method: str
    path: str
    user_id: int | None
    status: int | None
    sql: str
    params: str
    line: str  # The line itself, for copying into a report.


def parse_line(line: str) -> SlowEntry | None:
    """The entry a line holds, or None for anything else (a torn or hand-edited line)."""
    try:
        data = json.loads(line)
        entry = SlowEntry(
            kind=data["kind"],
            at=datetime.fromisoformat(data["at"]),
            ms=float(data["ms"]),
            method=str(data.get("method", "")),
            path=str(data.get("path", "")),
            user_id=data.get("user_id"),
            status=data.get("status"),
            sql=str(data.get("sql", "")),
            params=str(data.get("params", "")),
            line=line.strip(),
        )
    except (ValueError, KeyError, TypeError):
        return None
    numbers_or_none = all(
        value is None or (isinstance(value, int) and not isinstance(value, bool))
        for value in (entry.user_id, entry.status)
    )
    return entry if entry.kind in KINDS and numbers_or_none else None


def newest_entries(limit: int = NEWEST_LIMIT) -> list[SlowEntry]:
    """Up to `limit` entries of the log and its backups, newest first; garbled lines are skipped."""
    entries: list[SlowEntry] = []
    for path in log_files():
        wanted = limit - len(entries)
        if wanted <= 0:
            break
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                last_lines = deque(lines, maxlen=wanted)
        except FileNotFoundError:
            continue
        entries.extend(entry for entry in map(parse_line, reversed(last_lines)) if entry)
    return entries
