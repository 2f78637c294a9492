"""Oracle tests: compare purejax with JAX on the same programs.

Skipped when JAX is not installed (install with ``pip install -e '.[oracle]'``)."""
import os
import sys

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
SKIP_REASON = ("JAX is not installed: oracle tests compare purejax with JAX; "
               "install with pip install -e '.[oracle]'")
try:
    # Each test module calls pytest.importorskip("jax", reason=SKIP_REASON) first, so a
    # run without JAX reports the oracle modules as skipped. (importorskip here, in a
    # conftest, would be a collection error rather than a skip.)
    import jax
except ImportError:
    jax = None
else:
    jax.config.update("jax_platforms", "cpu")

import purejax  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))


def _set_x64(enabled):
    old = (bool(jax.config.read("jax_enable_x64")), bool(purejax.config.read("jax_enable_x64")))
    jax.config.update("jax_enable_x64", enabled)
    purejax.config.update("jax_enable_x64", enabled)
    return old


@pytest.fixture(params=["f32", "f64"])
def mode(request):
    """Runs the test with x64 off ("f32") and on ("f64") in both libraries, restoring
    the previous settings afterwards."""
    old = _set_x64(request.param == "f64")
    try:
        yield request.param
    finally:
        jax.config.update("jax_enable_x64", old[0])
        purejax.config.update("jax_enable_x64", old[1])


@pytest.fixture
def x64():
    old = _set_x64(True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old[0])
        purejax.config.update("jax_enable_x64", old[1])
