"""The model card logged with every retrain (Mitchell et al. 2019).

What the model is for, what it was trained on, what was removed from its data before
anything was computed, and how it did at the gates.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["model_card"]


def model_card(**fields) -> str:
    """The card as Markdown; ``fields`` are the template's names (see ``_retrain``)."""
    environment = Environment(
        loader=PackageLoader("sanitizer.certify", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    removed = fields.get("removed") or {}
    fields["removed"] = _Obj(removed)
    fields["gates"] = {k: _Obj(v) for k, v in (fields.get("gates") or {}).items()}
    return environment.get_template("model_card.md.j2").render(**fields)


class _Obj(dict):
    """Attribute access for the template over plain dicts."""

    def __getattr__(self, name):
        value = self.get(name)
        return _Obj(value) if isinstance(value, Mapping) else value
