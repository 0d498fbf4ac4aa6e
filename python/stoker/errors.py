"""Exceptions of the stoker package."""


class StokerError(Exception):
    """Something about a Stoker channel or worker went wrong."""


class WorkerGone(StokerError):
    """The worker stopped (killed, exited, or it dropped this consumer) before the job ended."""


class ViewStillHeld(StokerError):
    """A batch was released while a view of its samples was still referenced: the batch stays held."""
