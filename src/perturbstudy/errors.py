"""Errors that name the problem and the fix, raised before expensive work starts."""


class PerturbstudyError(Exception):
    """Base class: a user-facing error whose message says what is wrong and how to fix it."""


class ConfigError(PerturbstudyError):
    """The configuration is invalid; the message names the key."""


class DataError(PerturbstudyError):
    """A dataset or a data file is missing, malformed or inconsistent."""


class CheckpointError(PerturbstudyError):
    """A checkpoint cannot be loaded safely or does not match the model."""


class TrainingError(PerturbstudyError):
    """Training diverged or cannot proceed."""


class OutputError(PerturbstudyError):
    """An output folder cannot be written (read-only, not a folder, disk full)."""


class ResourceError(PerturbstudyError):
    """A planned allocation would not fit the job's memory (resources.mem_mb); the message names the key to lower."""


class DependencyError(PerturbstudyError):
    """An optional package or a system library a feature needs is missing; the message says how to install it."""
