"""Terminal commands draw progress bars: libraries' INFO logs would break them."""

import logging
from contextlib import contextmanager


@contextmanager
def library_logs_at_warning(verbosity: int):
    """Log only warnings and errors while a command runs, unless it was given -v 2 or more."""
    if verbosity >= 2:
        yield
        return
    # The root level covers django-q's and httpx's loggers (they inherit it);
    # loggers configured with their own lower level are raised as well.
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and logging.NOTSET < logger.level < logging.WARNING
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.WARNING))
    try:
        yield
    finally:
        for logger, level in levels:
            logger.setLevel(level)
