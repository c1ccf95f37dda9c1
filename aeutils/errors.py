"""The errors a user can cause and fix: the command line prints each as one line.

A leaf module (nothing heavier than :mod:`aeutils.registry`), so the command line can
catch them without importing the code that raises them.
"""

from __future__ import annotations

from .registry import ConfigError

__all__ = ["BadDataError", "ConfigError", "DataNotFoundError", "StoreError",
           "TrainingDivergedError"]


class DataNotFoundError(FileNotFoundError):
    """A dataset is missing locally and could not be downloaded."""


class BadDataError(ValueError):
    """A dataset exists but cannot be used as it is (unreadable image, mixed sizes, …)."""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


class StoreError(OSError):
    """A results table cannot be written or read (full disk, read-only folder, …)."""
