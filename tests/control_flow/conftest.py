"""Fixtures for the control-flow tests: float64 for derivative checks, and a
parametrisation over both jit backends (generated code and the interpreter)."""
import pytest

from purejax import config


@pytest.fixture
def x64():
    prev = config.read("jax_enable_x64")
    config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        config.update("jax_enable_x64", prev)


@pytest.fixture(params=["numpy_codegen", "interpret"])
def jit_backend(request):
    """Run the test under each jit backend: the code generator, then the interpreter."""
    prev = config.read("purejax_jit_backend")
    config.update("purejax_jit_backend", request.param)
    try:
        yield request.param
    finally:
        config.update("purejax_jit_backend", prev)
