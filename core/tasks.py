"""Background work of the site itself."""


def heartbeat() -> None:
    """Do nothing: `serve` queues this and watches for its result to know the queue moves."""
