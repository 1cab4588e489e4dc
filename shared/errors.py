"""Errors of the shared package. Messages say what was wrong and what to do."""

from __future__ import annotations


class RidesError(Exception):
    """Base of every error the project raises on purpose."""


class ValidationFailed(RidesError):
    """Input that cannot be accepted; nothing was changed."""


class InvalidPhoneNumber(ValidationFailed, ValueError):
    """A phone number that cannot be read as E.164.

    Also a ``ValueError`` so that pydantic validators report it as a validation error.
    """


class NotFound(RidesError):
    """A row that does not exist (or belongs to another organisation)."""


class Conflict(RidesError):
    """A change that clashes with existing rows (a duplicate, a stale version)."""


class ConfigurationError(RidesError):
    """Settings that cannot work together; the message names the variable to fix."""
