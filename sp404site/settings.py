"""Settings for sp404site, driven by environment variables with safe defaults.

Every variable is documented in README.md. A fresh checkout runs with none set:
SQLite and the django-q2 ORM broker in the data directory, a generated secret key,
and a host check that lets a phone on the LAN reach the app by the machine's address.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; an unrecognised word is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """Read a whole-number variable no smaller than `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    """Read one word out of `choices`; anything else is a configuration error."""
    word = os.environ.get(name, default).strip().lower() or default
    if word not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}; got {word!r}"
        )
    return word


def read_or_create_secret_key(data_dir: Path) -> str:
    """Keep one generated key in the data directory so sessions survive restarts."""
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Create with owner-only permissions; O_EXCL makes two processes starting at
    # once agree on whichever key was written first.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Everything the app writes lives here: database, audio, exports, backups, caches.
DATA_DIR = Path(os.environ.get("SP404_DATA_DIR") or BASE_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# librosa compiles numba kernels on first use; a persistent cache makes a fresh
# worker fast. It must be set before numba is imported anywhere.
os.environ.setdefault("NUMBA_CACHE_DIR", str(DATA_DIR / "numba-cache"))

SECRET_KEY = os.environ.get("SP404_SECRET_KEY") or read_or_create_secret_key(DATA_DIR)
DEBUG = env_bool("SP404_DEBUG", False)

# The app is reached by whatever address the machine has on the LAN (which DHCP
# may change), so the default accepts any host. Set a list to restrict it.
ALLOWED_HOSTS = env_list("SP404_ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("SP404_CSRF_TRUSTED_ORIGINS", [])

# Behind a TLS-terminating proxy, turn on the secure-cookie and HSTS settings.
HTTPS = env_bool("SP404_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "axes",
    "core",
    "accounts",
    "library",
    "imports",
    "vibe",
    "kits",
    "exports",
]

MIDDLEWARE = [
    # First, so its time covers every other middleware.
    "core.slowlog.SlowLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.FirstRunMiddleware",
    # Every view needs a login unless it is marked with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords (django-axes, recorded in the database so every web process
# and machine counts them): this many in a row lock the account, and so many
# from one address lock that address, until the lock-out time has passed. A
# right password resets the count.
AXES_FAILURE_LIMIT = env_int("SP404_LOGIN_ATTEMPTS", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SP404_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

ROOT_URLCONF = "sp404site.urls"
WSGI_APPLICATION = "sp404site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.safety",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "sp404site.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # A web server and a worker write at once: take the write lock at
                # BEGIN so a reader never has to upgrade (the cause of "database is
                # locked"), and wait for it rather than fail.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    # Read pages straight from the mapped file, and keep more of
                    # them per connection: library queries touch many rows.
                    "PRAGMA mmap_size=268435456;"
                    "PRAGMA cache_size=-32000;"
                ),
            },
            # Each web thread keeps its connection, and with it the page cache
            # and the file mapping, instead of opening one per request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            # Tests use a file too, so the live server's threads see WAL and
            # the busy timeout exactly as a real install does.
            # One file per test run, so two runs on one machine never share it.
            "TEST": {"NAME": DATA_DIR / f"test-sp404site-{os.getpid()}.sqlite3"},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "library:index"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("SP404_TIME_ZONE", "UTC")
# English only; without i18n, every number and URL in a long list is cheaper to render.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded and imported audio; served only through views that check ownership.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
EXPORT_ROOT = DATA_DIR / "exports"
# Backups (manage.py backup, and the daily one): best on another disk than the
# data directory's. The newest BACKUP_KEEP are kept.
BACKUP_ROOT = Path(os.environ.get("SP404_BACKUP_DIR") or DATA_DIR / "backups").resolve()
BACKUP_KEEP = env_int("SP404_BACKUP_KEEP", 7, minimum=1)
# Slow log (core.slowlog): requests and SQL queries slower than these many
# milliseconds go to DATA_DIR/logs/slow.jsonl, listed for staff; 0 logs every
# one, -1 turns that kind off.
SLOW_REQUEST_MS = env_int("SP404_SLOW_REQUEST_MS", 200, minimum=-1)
SLOW_QUERY_MS = env_int("SP404_SLOW_QUERY_MS", 50, minimum=-1)

UPLOAD_MAX_FILE_MB = env_int("SP404_UPLOAD_MAX_MB", 1024, minimum=1)
UPLOAD_MAX_FILE_BYTES = UPLOAD_MAX_FILE_MB * 1024 * 1024
# Large uploads stream to temporary files instead of memory, inside the data
# directory (its disk has the room, and leftovers are removed from there).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SCRATCH_ROOT = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR = SCRATCH_ROOT / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("SP404_UPLOAD_MAX_FILES", 1000, minimum=1)

# Background work: django-q2. The ORM broker keeps a one-machine install free of
# extra services; SP404_REDIS_URL moves the queue to Redis when scaling out.
TASK_WORKERS = env_int("SP404_WORKERS", 2, minimum=1)
TASK_TIMEOUT = env_int("SP404_TASK_TIMEOUT", 600, minimum=1)
# make run's supervisor (manage.py serve), in seconds: between heartbeat tasks;
# how long one may wait, with no task running, before the worker cluster counts
# as stuck and is restarted; the first and the longest wait between restarts;
# how long a process gets to stop before it is killed.
SERVE_HEARTBEAT_INTERVAL = env_int("SP404_HEARTBEAT_INTERVAL", 30, minimum=1)
SERVE_WORKER_STUCK_AFTER = env_int("SP404_WORKER_STUCK_AFTER", 90, minimum=5)
SERVE_RESTART_BACKOFF = env_int("SP404_RESTART_BACKOFF", 1, minimum=0)
SERVE_RESTART_BACKOFF_MAX = env_int("SP404_RESTART_BACKOFF_MAX", 60, minimum=1)
SERVE_STOP_GRACE = env_int("SP404_STOP_GRACE", 20, minimum=1)
# The worker cluster's niceness (0-19): analysis takes the CPU only when the web
# server leaves it, so pages stay quick while an import is analysed.
SERVE_WORKER_NICE = env_int("SP404_WORKER_NICE", 10, minimum=0)
REDIS_URL = os.environ.get("SP404_REDIS_URL", "").strip()
Q_CLUSTER = {
    "name": "sp404site",
    "workers": TASK_WORKERS,
    "timeout": TASK_TIMEOUT,
    # A task may not be handed out again before its first run has timed out.
    "retry": TASK_TIMEOUT + env_int("SP404_TASK_RETRY_MARGIN", 60, minimum=1),
    "max_attempts": env_int("SP404_TASK_MAX_ATTEMPTS", 3, minimum=1),
    # Recycle workers so memory held by audio libraries is returned.
    "recycle": env_int("SP404_WORKER_RECYCLE", 200, minimum=1),
    "queue_limit": TASK_WORKERS * 4,
    # Results live on the models; only failed tasks are kept for the admin.
    "save_limit": -1,
    "ack_failures": True,
    "catch_up": False,
    "poll": float(os.environ.get("SP404_QUEUE_POLL", "0.5")),
    "sync": env_bool("SP404_TASKS_SYNC", False),
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SP404_LOG_LEVEL", "INFO")},
    # django-axes tells of every login at INFO; a lock-out is a WARNING.
    "loggers": {"django_q": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# Imports.
URL_IMPORT_MAX_MB = env_int("SP404_URL_MAX_MB", 2048, minimum=1)
URL_IMPORT_TIMEOUT = env_int("SP404_URL_TIMEOUT", 30, minimum=1)
URL_IMPORT_MAX_REDIRECTS = env_int("SP404_URL_MAX_REDIRECTS", 5, minimum=0)
# A whole download must finish within this many seconds (under the task timeout,
# so the import is closed with the reason) and keep at least this average rate.
URL_IMPORT_DEADLINE = env_int("SP404_URL_DEADLINE", 540, minimum=1)
URL_IMPORT_MIN_KBPS = env_int("SP404_URL_MIN_KBPS", 8, minimum=0)
# Where sample links may lead: "lan" (the default) allows the local network (a
# NAS) but not this machine itself (loopback, link-local); "yes" allows both;
# "no" allows only public addresses.
URL_ALLOW_PRIVATE = env_choice("SP404_URL_ALLOW_PRIVATE", "lan", {"lan", "yes", "no"})
ZIP_MAX_UNPACKED_MB = env_int("SP404_ZIP_MAX_MB", 8192, minimum=1)
# Audio compresses to at best a few times smaller; far higher ratios mean a bomb.
ZIP_MAX_RATIO = env_int("SP404_ZIP_MAX_RATIO", 100, minimum=2)
MIN_FREE_DISK_MB = env_int("SP404_MIN_FREE_MB", 500, minimum=0)
# Tempo range the analysis prefers when choosing between half and double time.
TEMPO_MIN_BPM = env_int("SP404_TEMPO_MIN", 70, minimum=20)
TEMPO_MAX_BPM = env_int("SP404_TEMPO_MAX", 180, minimum=40)

# Exports: finished ZIPs are kept this many days; folder exports may only be
# written under these roots (an SD card's mount point, say).
EXPORT_KEEP_DAYS = env_int("SP404_EXPORT_KEEP_DAYS", 7, minimum=1)
EXPORT_FOLDER_ROOTS = env_list("SP404_EXPORT_ROOTS", [])

# Vibe analysis: an OpenAI-compatible chat-completions endpoint, OpenRouter by
# default. With no key the default endpoint counts as not configured; a custom
# base URL (a llama.cpp, Ollama or vLLM server on the LAN) needs no key, and
# SP404_LLM_FREE=1 marks it free so models without a price row may be used.
LLM_DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
LLM_BASE_URL = (os.environ.get("SP404_LLM_BASE_URL") or LLM_DEFAULT_BASE_URL).strip().rstrip("/")
LLM_API_KEY = os.environ.get("SP404_LLM_API_KEY", "").strip()
LLM_FREE = env_bool("SP404_LLM_FREE", False)
LLM_TIMEOUT = env_int("SP404_LLM_TIMEOUT", 60, minimum=1)
