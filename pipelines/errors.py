"""The project's error types: the CLI turns these, and only these, into one-line messages.

A `UserError` is a problem the user can fix (a bad file, option or setting, a missing path); its
message says how. Any other exception is a bug and keeps its traceback. Domain errors subclass
`UserError` and, where callers already catch them so, `ValueError` or `FileNotFoundError`.
"""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; the CLI prints its message, without a traceback (exit 2)."""


class MissingPathError(UserError, FileNotFoundError):
    """A file or warehouse the user named does not exist; the message says how to create or find it."""
