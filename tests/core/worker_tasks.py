"""A task the serve recovery test queues, importable by the workers `serve` starts."""

import os
import time
from pathlib import Path


def note_pid(path: str, seconds: float) -> None:
    """Write the pid of the worker running this task to `path`, then stay busy for `seconds`."""
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)
