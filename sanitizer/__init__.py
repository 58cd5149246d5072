"""Keep police ML tools free of sealed New York arrest records, and prove it.

The flows users call, importable from the top level (loaded on first use, so that
``import sanitizer`` stays cheap for the command line):

- :func:`retrain`: registry snapshot to a certified (or refused) MLflow model version;
- :func:`verify_model` and :func:`prove_absent`: a reviewer's re-checks;
- :func:`apply_events`: record court events, decertify and retrain affected models;
- :func:`load_certified`: what a serving system calls;
- :class:`Home`: where state lives; :class:`BadInput` and :class:`Refused`: the errors.
"""

from importlib import import_module

__all__ = [
    "BadInput",
    "Home",
    "Refused",
    "SanitizerError",
    "apply_events",
    "load_certified",
    "prove_absent",
    "retrain",
    "verify_model",
]

_WHERE = {
    "BadInput": "._errors",
    "Refused": "._errors",
    "SanitizerError": "._errors",
    "Home": "._home",
    "retrain": "._retrain",
    "verify_model": "._verify",
    "prove_absent": "._verify",
    "apply_events": "._compliance",
    "load_certified": ".serve",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'sanitizer' has no attribute {name!r}")
