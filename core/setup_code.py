"""The one-time code that proves whoever creates the first account can see the server's terminal.

Until an account exists, the setup page is open to anyone on the network, so
it asks for a code that `make run` prints in its terminal (and the log shows,
when the app runs some other way). The code lives in the data directory, where
every web process reads the same one, and is gone once the account is made.
"""

import hmac
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def code_file() -> Path:
    return Path(settings.DATA_DIR) / "setup-code"


def issue() -> str:
    """The current code, made (readable by this user only) when there is none."""
    path = code_file()
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # Another process made one a moment ago: use theirs.
        return path.read_text().strip()
    with os.fdopen(handle, "w") as out:
        out.write(code)
    logger.warning("First run: the setup code is %s", code)
    return code


def matches(given: str) -> bool:
    """Whether ``given`` is the current code (digits only; spaces and dashes ignored)."""
    typed = "".join(character for character in given if character.isdigit())
    return hmac.compare_digest(typed.encode(), issue().encode())


def forget() -> None:
    code_file().unlink(missing_ok=True)
