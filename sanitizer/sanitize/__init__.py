"""Sanitize: remove sealed and sealed-derived records before anything is computed.

The first stage after the registry. Its output, :class:`SanitizedData`, is the only
source later stages may read; the raw tables go no further.
"""

from ._provenance import KeySets, Provenance
from ._strip import ITEM_TYPES, SanitizedData, sanitize

__all__ = ["ITEM_TYPES", "KeySets", "Provenance", "SanitizedData", "sanitize"]
