"""The API package's exceptions: one base class carrying an HTTP status, one subclass per kind.

The server turns any :class:`ApiError` raised while handling a request into a JSON response with
its status; the client raises the subclass that matches the status it received.
"""

from __future__ import annotations

from typing import ClassVar

from node.errors import NodeError


class ApiError(NodeError):
    """A request failed; ``status`` is the HTTP status (0 when no response came back)."""

    default_status: ClassVar[int] = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = self.default_status if status is None else status

    def __str__(self) -> str:
        return f"{self.status}: {self.message}" if self.status else self.message


class ApiUnavailableError(ApiError):
    """The server could not be reached, or its reply was not a readable HTTP response."""

    default_status = 0


class BadRequestError(ApiError):
    """The request is malformed: bad HTTP, bad JSON, bad hex, bad CBOR or a bad path value."""

    default_status = 400


class UnauthorizedError(ApiError):
    """The request needs ``Authorization: Bearer <token>`` and did not carry the right one."""

    default_status = 401


class NotFoundError(ApiError):
    """No route matches the path, or the requested object does not exist."""

    default_status = 404


class MethodNotAllowedError(ApiError):
    """The path exists but not for this method."""

    default_status = 405

    def __init__(self, message: str, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allowed = allowed


class PayloadTooLargeError(ApiError):
    """The request body is larger than the server accepts."""

    default_status = 413


class UnsupportedMediaTypeError(ApiError):
    """The request body's content type is not one the route accepts."""

    default_status = 415


class UnprocessableError(ApiError):
    """The body decoded but the node refused it (e.g. the mempool's reason)."""

    default_status = 422


class UnavailableError(ApiError):
    """The server is overloaded or the node did not answer in time."""

    default_status = 503


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    cls.default_status: cls
    for cls in (
        BadRequestError,
        UnauthorizedError,
        NotFoundError,
        PayloadTooLargeError,
        UnsupportedMediaTypeError,
        UnprocessableError,
        UnavailableError,
    )
}


def make_error(status: int, message: str) -> ApiError:
    """The error matching ``status`` (the base class for statuses without a subclass)."""
    cls = ERRORS_BY_STATUS.get(status)
    return cls(message) if cls is not None else ApiError(message, status)
