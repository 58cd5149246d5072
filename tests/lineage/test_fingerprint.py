"""Fingerprints hash fitted state: same model, same print; any fitted difference shows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import StandardScaler

from sanitizer.lineage import fingerprint

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)


def forest(seed=0, n_jobs=1):
    return RandomForestClassifier(n_estimators=15, random_state=seed, n_jobs=n_jobs).fit(X, y)


def test_forest_fingerprint_ignores_n_jobs_and_repeats():
    assert fingerprint(forest(n_jobs=1)) == fingerprint(forest(n_jobs=2)) == fingerprint(forest())


def test_forest_fingerprint_sees_seed_and_data():
    base = fingerprint(forest())
    assert fingerprint(forest(seed=1)) != base
    other = RandomForestClassifier(n_estimators=15, random_state=0).fit(X[1:], y[1:])
    assert fingerprint(other) != base


def test_vectoriser_fingerprint_sees_its_vocabulary():
    a = TfidfVectorizer().fit(["pried rear window", "jewelry taken"])
    b = TfidfVectorizer().fit(["pried rear window", "jewelry taken", "sealed narrative"])
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(a) == fingerprint(
        TfidfVectorizer().fit(["pried rear window", "jewelry taken"])
    )


def test_scaler_fingerprint_is_exact_to_the_bit():
    a = StandardScaler().fit(X)
    b = StandardScaler().fit(X + 1e-12)
    assert fingerprint(a) != fingerprint(b)


def test_unknown_objects_are_refused_not_guessed():
    with pytest.raises(TypeError, match="cannot fingerprint"):
        fingerprint(object())


def _reference(array: np.ndarray) -> str:
    """The fingerprint of an object array fed item by item (no Arrow fast path)."""
    import hashlib

    from sanitizer.lineage import _fingerprint

    digest = hashlib.sha256()
    _fingerprint._tag(digest, b"O", str(array.shape).encode())
    for item in array.ravel(order="C").tolist():
        _fingerprint._feed(digest, item, 1)
    return digest.hexdigest()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
            st.text(alphabet="0123456789", min_size=9, max_size=9),
            st.none(),
            st.integers(),
            st.binary(max_size=4),
        ),
        max_size=40,
    )
)
def test_object_array_fingerprints_are_the_item_by_item_bytes(items):
    """Key columns are fingerprinted through Arrow buffers for speed; the digest must be
    the documented item-by-item one for any mix of strings (unicode, empty, fixed
    width), None, numbers and bytes, or a stored certificate would stop matching."""
    import hashlib

    from sanitizer.lineage import _fingerprint

    array = np.array(items + [None], dtype=object)[:-1]  # 1-d even for equal-length lists
    digest = hashlib.sha256()
    _fingerprint._feed_array(digest, array, 1)
    assert digest.hexdigest() == _reference(array)
