"""Control flow traces a function object once per input types (control_flow/common.py
`trace_fun`), as JAX 0.10 does: passing the same cond/body/step again does not run its
Python again. The counts below are JAX's (measured with jax 0.10.2). A reused trace
must still give each call's numbers: operands are inputs, and a trace that closed over
a tracer or over a NumPy array the user may mutate is never reused."""
import gc

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.control_flow import common as cf
from purejax._src.control_flow import loops
from purejax.experimental import enable_x64


def _counting():
    n = {"while": 0, "cond": 0, "scan": 0, "fori": 0, "map": 0, "fresh": 0}

    def body(x):
        n["while"] += 1
        return x + 1.0

    def true_branch(x):
        n["cond"] += 1
        return x + 1.0

    def step(c, x):
        n["scan"] += 1
        return c + x, c

    def fori_body(i, x):
        n["fori"] += 1
        return x * 2.0

    def map_fn(x):
        n["map"] += 1
        return x * 2.0

    def run():
        lax.while_loop(lambda x: x < 3.0, body, 0.0)
        lax.cond(True, true_branch, lambda x: x - 1.0, 1.0)
        lax.scan(step, 0.0, jnp.arange(3.0))
        lax.fori_loop(0, 3, fori_body, 1.0)
        lax.map(map_fn, jnp.arange(3.0))

        def fresh(x):  # a new function object on every call: traced every time
            n["fresh"] += 1
            return x + 1.0
        lax.while_loop(lambda x: x < 3.0, fresh, 0.0)
    return n, run, body


def test_same_function_objects_are_traced_once_as_in_jax():
    n, run, _ = _counting()
    for _ in range(3):
        run()
    # jax 0.10.2: {'while': 1, 'cond': 1, 'scan': 1, 'fori': 1, 'map': 3, 'fresh': 3}
    # (lax.map wraps its function in a new closure on every call)
    assert n == {"while": 1, "cond": 1, "scan": 1, "fori": 1, "map": 3, "fresh": 3}


def test_new_input_types_trace_again():
    n, _, body = _counting()
    lax.while_loop(lambda x: jnp.all(x < 3.0), body, 0.0)
    cond = lambda x: jnp.all(x < 3.0)
    for init in (0.0, jnp.float32(0.0), jnp.zeros(2), jnp.zeros(2), 0.0):
        lax.while_loop(cond, body, init)
    # the body's traces: weak f32[] (once, whatever the cond), strong f32[], f32[2]
    assert n["while"] == 3
    with enable_x64(True):
        np.testing.assert_array_equal(lax.while_loop(cond, body, 0.0), 3.0)
        assert lax.while_loop(cond, body, 0.0).dtype == np.float64
    assert n["while"] == 4


def test_reused_traces_give_each_calls_values():
    def step(c, x):
        return c * 0.5 + jnp.sin(x), c

    def body(i, x):
        return x * 0.9 + jnp.cos(x) * i

    def branch(x):
        return jnp.tanh(x) * 3.0

    rng = np.random.default_rng(0)
    for _ in range(4):
        xs = rng.standard_normal(5).astype(np.float32)
        x0 = np.float32(rng.standard_normal())
        c, ys = lax.scan(step, x0, xs)
        want_c, want_ys = x0, []
        for x in xs:
            want_ys.append(want_c)
            want_c = np.float32(want_c * 0.5 + np.sin(x))
        np.testing.assert_allclose(c, want_c, rtol=1e-6)
        np.testing.assert_allclose(ys, want_ys, rtol=1e-6)
        want = x0
        for i in range(3):
            want = want * np.float32(0.9) + np.cos(want) * i
        np.testing.assert_allclose(lax.fori_loop(0, 3, body, x0), want, rtol=1e-6)
        np.testing.assert_allclose(lax.cond(x0 > 0, branch, jnp.sin, x0),
                                   np.tanh(x0) * 3 if x0 > 0 else np.sin(x0), rtol=1e-6)
        # the same functions under grad, vmap and jit
        g = jax.grad(lambda x: lax.scan(step, x, xs)[0])(x0)
        h = 1e-3
        fd = (lax.scan(step, x0 + h, xs)[0] - lax.scan(step, x0 - h, xs)[0]) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-2)
        v = jax.vmap(lambda x: lax.fori_loop(0, 3, body, x))(xs)
        j = jax.jit(lambda x: lax.fori_loop(0, 3, body, x))(xs)
        np.testing.assert_allclose(v, j, rtol=1e-6)


def test_mutated_numpy_arrays_are_seen_as_in_jax():
    """JAX passes a closed-over NumPy array to its cached loop body by reference: an
    in-place change shows in the next call (the trace is not reused here). A NumPy
    scalar read while tracing is baked in, in JAX too."""
    vec = np.array([1.0, 2.0], np.float32)

    def body(s):
        return s[0] + 1, s[1] + vec

    def cond(s):
        return s[0] < 2

    init = (0, jnp.zeros(2, jnp.float32))
    np.testing.assert_array_equal(lax.while_loop(cond, body, init)[1], [2.0, 4.0])
    vec[:] = [100.0, 200.0]
    np.testing.assert_array_equal(lax.while_loop(cond, body, init)[1], [200.0, 400.0])

    def step(c, x):
        return c + x * vec[0], None
    assert float(lax.scan(step, 0.0, jnp.arange(3.0))[0]) == 300.0
    vec[:] = [1.0, 2.0]
    assert float(lax.scan(step, 0.0, jnp.arange(3.0))[0]) == 300.0  # jax 0.10.2: 300.0


def test_a_trace_closing_over_a_tracer_is_not_reused():
    """(JAX reuses it, and its jit call below fails with UnexpectedTracerError.)"""
    held = {}

    def body(i, x):
        return x + held["y"]

    def f(y):
        held["y"] = y
        return lax.fori_loop(0, 2, body, 0.0)

    assert float(jax.grad(f)(1.5)) == 2.0
    assert float(jax.jit(f)(1.5)) == 3.0
    assert float(jax.grad(f)(2.5)) == 2.0


def test_a_function_reading_a_changed_global_sees_its_first_trace_as_in_jax():
    """An impure function (it reads a global that changes): like JAX 0.10.2, the trace
    made with the first value serves the later calls (8.0, 0.0, 8.0 there too)."""
    held = {"y": 4.0}

    def body(i, x):
        return x + held["y"]

    def f(y):
        held["y"] = y
        return lax.fori_loop(0, 2, body, 0.0)

    assert float(lax.fori_loop(0, 2, body, 0.0)) == 8.0
    assert float(jax.grad(f)(2.5)) == 0.0
    held["y"] = 5.0
    assert float(lax.fori_loop(0, 2, body, 0.0)) == 8.0


def test_cache_entries_go_with_their_functions():
    import weakref

    def make():
        def body(i, x):
            return x + i
        return body

    body = make()
    lax.fori_loop(0, 3, body, 0.0)
    wrappers = loops._wrappers.get(body)
    assert wrappers is not None and wrappers[0] in cf._traces
    dead = [weakref.ref(body), weakref.ref(wrappers[0])]
    del body, wrappers
    gc.collect()
    assert [r() for r in dead] == [None, None]  # nothing the caches hold keeps them


def test_callable_objects_that_cannot_be_weakly_referenced_still_work():
    class Step:
        __slots__ = ()

        def __call__(self, c, x):
            return c + x, None

    for _ in range(2):
        assert float(lax.scan(Step(), 0.0, jnp.arange(4.0))[0]) == 6.0
        assert float(lax.fori_loop(0, 3, lambda i, x: Step()(x, 1.0)[0], 0.0)) == 3.0


def test_disable_jit_runs_the_python_every_iteration_and_pytrees_are_in_the_key():
    n = {"body": 0, "step": 0}

    def body(x):
        n["body"] += 1
        return x + 1.0

    for _ in range(2):
        lax.while_loop(lambda x: x < 3.0, body, 0.0)
    assert n["body"] == 1
    with jax.disable_jit():  # as JAX: a Python loop, the body run per iteration
        for _ in range(2):
            assert float(lax.while_loop(lambda x: x < 3.0, body, 0.0)) == 3.0
    assert n["body"] == 7

    def step(c, x):
        n["step"] += 1
        return jax.tree_util.tree_map(lambda v: v + x, c), None

    xs = jnp.arange(3.0)
    assert float(lax.scan(step, (0.0, 1.0), xs)[0][1]) == 4.0
    assert float(lax.scan(step, [0.0, 1.0], xs)[0][1]) == 4.0    # a new pytree: traced
    assert float(lax.scan(step, {"a": 0.0, "b": 1.0}, xs)[0]["b"]) == 4.0
    assert float(lax.scan(step, (0.0, 1.0), xs)[0][1]) == 4.0    # seen: not traced
    assert n["step"] == 3
