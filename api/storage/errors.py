"""What the storage layer refuses; api/errors.py turns each into an HTTP problem."""


class NotFound(Exception):
    """No article has this id or slug."""


class Gone(Exception):
    """The article existed and was deleted."""


class PreconditionFailed(Exception):
    """The caller's If-Match no longer matches the article."""


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused for a different request."""


class BadCursor(Exception):
    """A list cursor that this server did not sign."""


class TooSlow(Exception):
    """A read ran past the query time limit and was stopped."""
