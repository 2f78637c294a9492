"""Debugging aids: NaN/inf hunting that names the primitive and the user's line,
generated code that tracebacks can show, printable Jaxprs."""
import linecache
import sys
import traceback

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp


@pytest.fixture
def debug_nans():
    jax.config.update("jax_debug_nans", True)
    yield
    jax.config.update("jax_debug_nans", False)


def test_debug_nans_eager_names_primitive(debug_nans):
    with pytest.raises(FloatingPointError, match=r"nan\) encountered in log"):
        jnp.log(-1.)
    # NaNs that only propagate are not blamed on the next operation
    jax.config.update("jax_debug_nans", False)
    x = jnp.log(-1.)
    jax.config.update("jax_debug_nans", True)
    assert np.isnan(float(x * 2))  # mul did not produce the NaN: no error


def test_debug_nans_eager_checks_operations_whose_signature_is_cached():
    """Arrays with a signature the eager trace has seen take its unrolled path, which
    must still check (one and two operands, before and after the flag changes)."""
    x, y = jnp.float32(-1.0), jnp.float32(0.0)
    for _ in range(2):
        jnp.log(x), x / y, jnp.sqrt(x)  # no check: the signatures get cached
    jax.config.update("jax_debug_nans", True)
    try:
        for _ in range(2):
            with pytest.raises(FloatingPointError, match=r"nan\) encountered in log"):
                jnp.log(x)
            with pytest.raises(FloatingPointError, match=r"nan\) encountered in div"):
                y / y
    finally:
        jax.config.update("jax_debug_nans", False)


def test_debug_nans_under_jit_names_the_traced_line(debug_nans):
    def f(x):
        y = x * 2
        return jnp.log(y)  # the offending line

    with pytest.raises(FloatingPointError) as e:
        jax.jit(f)(-1.)
    msg = str(e.value)
    assert "log" in msg and "test_debugging.py" in msg and "(f)" in msg


def test_debug_nans_in_gradients(debug_nans):
    with pytest.raises(FloatingPointError, match="sqrt"):
        jax.grad(lambda x: jnp.sum(jnp.sqrt(x)))(-jnp.ones(3))


def test_debug_infs():
    jax.config.update("jax_debug_infs", True)
    try:
        with pytest.raises(FloatingPointError, match=r"inf\) encountered in div"):
            jnp.ones(2) / 0.
    finally:
        jax.config.update("jax_debug_infs", False)
    assert np.isinf(float(jnp.array(1.) / 0.))


def test_generated_code_shows_in_tracebacks():
    def f(x):
        return jax.pure_callback(_boom, jax.ShapeDtypeStruct((), jnp.float32), x)

    with pytest.raises(ZeroDivisionError) as e:
        jax.jit(lambda x: f(x) * 2)(1.)
    frames = traceback.extract_tb(e.value.__traceback__)
    generated = [fr for fr in frames if "purejax_generated" in fr.filename
                 or fr.filename.startswith("<purejax")]
    assert generated, "the generated function is a frame of the traceback"
    assert linecache.getline(generated[0].filename, generated[0].lineno).strip()


def _boom(x):
    return 1 / 0


def test_dump_generated_code(capsys):
    jax.config.update("purejax_dump_generated_code", True)
    try:
        jax.jit(lambda x: jnp.sin(x) + 1)(jnp.ones(2))
    finally:
        jax.config.update("purejax_dump_generated_code", False)
    out = capsys.readouterr().out
    assert "# purejax generated code" in out and "def " in out and "return" in out


def test_staged_equations_record_user_source():
    import copy
    import pickle
    closed = jax.make_jaxpr(lambda x: jnp.sin(x))(1.)
    assert all("test_debugging.py" in str(e.source or "") for e in closed.eqns)
    src = closed.eqns[0].source
    line = sys._getframe().f_lineno - 3  # the make_jaxpr line above
    assert str(src).endswith(f"test_debugging.py:{line} (<lambda>)")
    assert pickle.loads(pickle.dumps(src)) == str(src)
    assert str(copy.deepcopy(src)) == str(src)
