"""The package version: one home, read by the package, its records and its build."""

__version__ = "0.1.0"
