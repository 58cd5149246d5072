"""Model weights as skops files, loaded against an explicit list of trusted types.

Why skops and not pickle: unpickling runs whatever code the file names, so a model
folder that anyone could edit would be a way into every serving host. A skops file is
a description of objects that :func:`skops.io.load` rebuilds itself, and it refuses any
type it was not told to trust. :data:`TRUSTED_TYPES` is that list, written out: the
package's own fitted classes and the scikit-learn pieces skops does not trust by
default. A weight file naming anything else is refused with :class:`UntrustedWeights`.

A sharded (SISA) forest is written as one file per shard plus a shell holding the rest
of its fitted state, so the files of shards a retrain did not touch keep their bytes
from one version to the next.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

from .._errors import Refused
from ..train import TRUSTED_TYPES as _TRAIN_TYPES
from ..train import ShardedForest

__all__ = ["TRUSTED_TYPES", "UntrustedWeights", "dump_weights", "load_weights"]

#: Every type beyond skops' own defaults (builtins, numpy, scikit-learn estimators) that
#: a weight file may hold. Anything else is refused when loading.
TRUSTED_TYPES: tuple[str, ...] = tuple(
    sorted(
        {
            *_TRAIN_TYPES,
            "sanitizer.features._pairs.PairFeaturizer",
            "sanitizer.features._person.PersonHistoryFeatures",
            "sanitizer.train._shards.ShardedForest",
            "sklearn.tree._tree.Tree",
        }
    )
)

#: Artifact-name separator between a weight and one of its shards (``model.shard-003``).
SHARD_SEP = ".shard-"
MSG_UNTRUSTED = (
    "weight file {file} holds type(s) outside the trusted list: {types}; refusing to load "
    "it (nothing was unpickled). Retrain the model, or if the type is genuinely part of "
    "the package add it to sanitizer.serve.TRUSTED_TYPES"
)
MSG_UNREADABLE = "weight file {file} is not a readable skops file ({error})"


class UntrustedWeights(Refused):
    """A weight file names a type outside :data:`TRUSTED_TYPES`."""


def dump_weights(weights: Mapping[str, object], directory: Path) -> dict[str, str]:
    """Write each weight object as a skops file; returns ``{artifact name: path}``.

    A :class:`~sanitizer.train.ShardedForest` becomes ``NAME.skops`` (the forest with
    its shard list emptied) and ``NAME.shard-KKK.skops`` per fitted shard.
    """
    import skops.io as sio

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name, obj in sorted(weights.items()):
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"weight name {name!r} must be letters, digits, '_' or '-'")
        if isinstance(obj, ShardedForest) and hasattr(obj, "estimators_"):
            shell = copy.copy(obj)
            shell.estimators_ = [None] * len(obj.estimators_)
            for k, forest in enumerate(obj.estimators_):
                if forest is not None:
                    key = f"{name}{SHARD_SEP}{k:03d}"
                    files[key] = str(directory / f"{key}.skops")
                    sio.dump(forest, files[key])
            obj = shell
        files[name] = str(directory / f"{name}.skops")
        sio.dump(obj, files[name])
    return files


def _load_one(path: str):
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        try:
            found = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        except Exception:  # noqa: BLE001 - the refusal matters, not the listing
            found = ["(unlisted)"]
        raise UntrustedWeights(
            MSG_UNTRUSTED.format(file=Path(path).name, types=", ".join(found[:10]))
        ) from None
    except (OSError, ValueError, KeyError) as error:
        raise Refused(MSG_UNREADABLE.format(file=Path(path).name, error=error)) from None


def load_weights(artifacts: Mapping[str, str]) -> dict[str, object]:
    """Read the weight files written by :func:`dump_weights` (``{name: path}``).

    Raises
    ------
    UntrustedWeights
        A file holds a type outside :data:`TRUSTED_TYPES`.
    Refused
        A file is not a readable skops file.
    """
    weights = {n: _load_one(p) for n, p in sorted(artifacts.items()) if SHARD_SEP not in n}
    for name, path in sorted(artifacts.items()):
        if SHARD_SEP in name:
            owner, k = name.split(SHARD_SEP)
            forest = weights.get(owner)
            if not isinstance(forest, ShardedForest):
                raise Refused(f"weight file {Path(path).name} is a shard of no sharded forest")
            forest.estimators_[int(k)] = _load_one(path)
    return weights
