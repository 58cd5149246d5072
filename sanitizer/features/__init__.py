"""Features: pair and person features built from sanitized tables only.

Everything here starts from ``SanitizedData``; the raw tables never reach this stage.
"""

from ._training_set import TrainingSet

__all__ = ["TrainingSet"]
