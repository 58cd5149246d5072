import pytest

from sanitizer.synth import generate


@pytest.fixture(scope="session")
def small_world():
    return generate("small", seed=0)


@pytest.fixture(scope="session")
def tiny_world():
    return generate("tiny", seed=0)
