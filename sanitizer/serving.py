"""``sanitizer.serving``: the name issue 6 gives the serving API; see :mod:`sanitizer.serve`."""

from .serve import GuardedModel, load_certified, load_uri, load_version

__all__ = ["GuardedModel", "load_certified", "load_uri", "load_version"]
