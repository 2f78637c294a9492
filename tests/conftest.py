"""Shared fixtures."""
import pytest

from purejax import config


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (float64 derivative checks), then restore."""
    prev = config.read("jax_enable_x64")
    config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        config.update("jax_enable_x64", prev)
