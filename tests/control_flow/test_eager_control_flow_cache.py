"""Eager control flow reuses code compiled for an earlier call whose sub-Jaxprs have the
same structure (control_flow/common.py `_structural_cached`, backends/structural_key.py).

A stale reuse would be a silently wrong number, so most tests here change exactly what
a too-coarse key would miss (closed-over values, literals, dtypes, weak types, arrays
mutated in place) and check the numbers; the others check that the cache is hit,
bounded, and stays out of jit's way."""
from collections import OrderedDict

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import config, lax
from purejax._src.backends import numpy_codegen
from purejax._src.backends import structural_key as sk
from purejax._src.control_flow import common as cf
from purejax._src.control_flow import hoisting
from purejax._src.core import ShapedArray
from purejax._src.interpreters import partial_eval as pe


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    """Each test starts with empty caches and no literal history (and leaves the real
    ones alone)."""
    monkeypatch.setattr(cf, "_runners", OrderedDict())
    monkeypatch.setattr(cf, "_compiled_subs", OrderedDict())
    monkeypatch.setattr(hoisting, "_history", {})


@pytest.fixture
def compiles(monkeypatch):
    """The names of the Jaxprs the code generator compiles (nested ones included)."""
    names = []
    real = numpy_codegen.compile_jaxpr

    def counting(closed, name="jaxpr"):
        names.append(name)
        return real(closed, name)
    monkeypatch.setattr(numpy_codegen, "compile_jaxpr", counting)
    return names


def uncached(f, *args):
    """f(*args) computed with empty structural caches: the reference behaviour."""
    saved = cf._runners, cf._compiled_subs
    cf._runners, cf._compiled_subs = OrderedDict(), OrderedDict()
    try:
        return f(*args)
    finally:
        cf._runners, cf._compiled_subs = saved


def assert_same_array(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.weak_type == want.weak_type
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# ---------------------------------------------------------------------------
# The cache is hit

def affine_loop(x, c):
    """Five steps of v -> v * c + 1 with c closed over (a const hoisted to an operand)."""
    return lax.while_loop(lambda s: s[0] < 5, lambda s: (s[0] + 1, s[1] * c + 1.0),
                          (0, x))[1]


def affine_loop_np(x, c):
    v = np.asarray(x, np.float32)
    for _ in range(5):
        v = v * np.float32(c) + np.float32(1)
    return v


def test_repeated_eager_while_compiles_once(compiles):
    x = jnp.ones(3, jnp.float32)
    for c in (0.5, 0.5):
        np.testing.assert_allclose(affine_loop(x, jnp.float32(c)),
                                   affine_loop_np(np.ones(3), c), rtol=1e-6)
    # new closures on each call, the same program: generated once
    assert compiles == ["while_cond", "while_body"]
    compiles.clear()
    np.testing.assert_allclose(affine_loop(x, jnp.float32(2.0)), affine_loop_np(np.ones(3), 2.0),
                               rtol=1e-6)
    # c changed: the body's Literal becomes an operand (hoisting.py), compiled once more
    assert compiles == ["while_body"]
    compiles.clear()
    for c in (-1.5, 0.0, 3.25, 0.5):
        np.testing.assert_allclose(affine_loop(x, jnp.float32(c)),
                                   affine_loop_np(np.ones(3), c), rtol=1e-6)
    assert compiles == []  # ... and reused for any value of c
    assert len(cf._runners) == 2


def test_primitive_params_are_in_the_key(compiles):
    """The same bodies under other params (trip count, direction): other runners."""
    xs = jnp.array([1.0, 2.0, 3.0], jnp.float32)
    for n in (3, 5, 0, 3):
        assert float(lax.fori_loop(0, n, lambda i, v: v * 2.0, jnp.float32(1.0))) == 2.0 ** n
    for reverse in (False, True, False):
        _, ys = lax.scan(lambda c, x: (c * 10.0 + x, c), 0.0, xs, reverse=reverse)
        want = [0.0, 1.0, 12.0] if not reverse else [32.0, 3.0, 0.0]
        np.testing.assert_array_equal(ys, want)
    assert compiles == ["scan_body"] * 2  # each body once, whatever the params


def test_every_eager_primitive_hits(compiles):
    x = jnp.arange(4.0, dtype=jnp.float32)

    def run(c):
        a = lax.fori_loop(0, 3, lambda i, v: v * c + i, x)                 # scan
        b = lax.fori_loop(0, jnp.int32(3), lambda i, v: v * c - i, x)      # while
        s, ys = lax.scan(lambda k, xi: (k + xi * c, k * 2), 0.0 * c, x)
        d = lax.switch(1, [lambda v: v - c, lambda v: v * c], x)
        return a, b, s, ys, d

    run(jnp.float32(1.0))
    run(jnp.float32(3.0))  # a second value: the closed-over scalar becomes an operand
    compiles.clear()
    for c in (0.5, -2.0):
        a, b, s, ys, d = run(jnp.float32(c))
        va, vb = np.asarray(x), np.asarray(x)
        for i in range(3):
            va, vb = va * np.float32(c) + i, vb * np.float32(c) - i
        k, want_ys = np.float32(0), []
        for xi in np.asarray(x):
            want_ys.append(k * 2)
            k = k + xi * np.float32(c)
        np.testing.assert_allclose(a, va, rtol=1e-6)
        np.testing.assert_allclose(b, vb, rtol=1e-6)
        np.testing.assert_allclose(s, k, rtol=1e-6)
        np.testing.assert_allclose(ys, want_ys, rtol=1e-6)
        np.testing.assert_allclose(d, np.asarray(x) * np.float32(c), rtol=1e-6)
    assert compiles == []


def test_newton_fixed_point_grad_hits(compiles):
    """The W7 benchmark's shape: grad through a custom_vjp whose forward and backward
    passes run while loops."""
    from functools import partial

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x0):
        _, x = lax.while_loop(lambda c: jnp.abs(c[0] - c[1]) > 1e-6,
                              lambda c: (c[1], f(a, c[1])), (x0, f(a, x0)))
        return x

    def fwd(f, a, x0):
        x = fixed_point(f, a, x0)
        return x, (a, x)

    def rev(f, res, x_bar):
        a, x = res
        _, vjp_a = jax.vjp(lambda a: f(a, x), a)

        def rev_iter(packed, u):
            a, x, x_bar = packed
            _, vjp_x = jax.vjp(lambda x: f(a, x), x)
            return x_bar + vjp_x(u)[0]
        w = fixed_point(rev_iter, (a, x, x_bar), x_bar)
        return vjp_a(w)[0], jnp.zeros_like(x)

    fixed_point.defvjp(fwd, rev)
    g = jax.grad(lambda a: fixed_point(lambda a, x: 0.5 * (x + a / x), a, a))
    g(2.0)
    g(3.0)
    compiles.clear()
    for a in (2.0, 9.0, 0.25):
        np.testing.assert_allclose(g(a), 0.5 / np.sqrt(a), rtol=1e-5)
    assert compiles == []


# ---------------------------------------------------------------------------
# Reuse never returns a stale number

def test_closed_over_arrays_change_between_calls():
    x = jnp.ones(3, jnp.float32)
    rng = np.random.default_rng(0)
    for _ in range(4):
        c = rng.standard_normal(3).astype(np.float32)
        np.testing.assert_allclose(affine_loop(x, jnp.asarray(c)),
                                   affine_loop_np(np.ones(3), c), rtol=1e-5)


def test_numpy_arrays_mutated_in_place():
    """Raw NumPy values closed over: lax.add keeps them as they are, so a 1-d one is a
    const (hoisted to an operand) and a 0-d one a literal that refers to the user's
    array. Mutating either between calls must change the result."""
    vec = np.array([1.0, 2.0], np.float32)
    sc = np.array(10.0, np.float32)

    def run(init):
        return lax.while_loop(lambda s: s[0] < 2,
                              lambda s: (s[0] + 1, lax.add(lax.add(s[1], vec), sc)),
                              (0, init))[1]

    init = jnp.zeros(2, jnp.float32)
    np.testing.assert_array_equal(run(init), [22.0, 24.0])
    vec[:] = [100.0, 200.0]
    np.testing.assert_array_equal(run(init), [220.0, 420.0])
    sc[...] = -1.0
    np.testing.assert_array_equal(run(init), [198.0, 398.0])


def test_equal_valued_numpy_scalars_are_not_confused():
    """Code compiled while a 0-d NumPy array held 2 must not serve another array
    holding 2 once the first has changed (the code may refer to the first array)."""
    a = np.array(2.0, np.float32)
    b = np.array(2.0, np.float32)

    def run(k):
        return lax.fori_loop(0, 3, lambda i, v: lax.mul(v, k), jnp.float32(1.0))

    assert float(run(a)) == 8.0
    a[...] = 5.0
    assert float(run(b)) == 8.0
    assert float(run(a)) == 125.0
    b[...] = 3.0
    assert float(run(b)) == 27.0
    a[...] = 2.0
    assert float(run(a)) == 8.0


@pytest.mark.parametrize("k", [2.0, 3.0, 0.5, 0.0, -0.0, float("inf"), float("nan")])
def test_python_literals_change_between_calls(k, jit_backend):
    for kk in (1.0, k, -k, k):  # each value once more after others (warm cache)
        got = lax.while_loop(lambda s: s[0] < 1, lambda s: (s[0] + 1, s[1] * kk),
                             (0, jnp.float32(1.0)))[1]
        want = np.float32(1.0) * np.float32(kk)
        np.testing.assert_array_equal(got, want)
        assert np.signbit(got) == np.signbit(want)  # 0.0 and -0.0 are different code


def test_integer_and_boolean_literals():
    def run(k):
        return lax.fori_loop(0, 2, lambda i, v: v + k, jnp.int32(0))

    assert int(run(1)) == 2
    assert int(run(True)) == 2  # promoted like JAX: a weak bool literal
    assert int(run(3)) == 6
    assert int(run(1)) == 2


def poly_loop(init):
    return lax.fori_loop(0, 3, lambda i, v: v * 2 + 1, init)


@pytest.mark.parametrize("init", [1.0, 1, jnp.float32(1.0), jnp.int32(1), jnp.float16(1.0),
                                  jnp.array([1.0, 2.0]), jnp.array([1, 2], jnp.int8)])
def test_dtypes_and_weak_types_match_uncached(init):
    """The same Python body with carries of other dtypes and weak types: a warm cache
    (every other kind already compiled) gives exactly the cold result."""
    for other in (1.0, 1, jnp.float32(1.0), jnp.int32(1), jnp.array([1.0, 2.0])):
        poly_loop(other)
    want = uncached(poly_loop, init)
    got = poly_loop(init)
    assert_same_array(got, want)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(init) * 8 + 7)


def test_float32_then_float64(x64):
    got32 = poly_loop(jnp.float32(1.1))
    got64 = poly_loop(jnp.float64(1.1))
    weak = poly_loop(1.1)
    assert got32.dtype == np.float32 and got64.dtype == np.float64
    assert weak.dtype == np.float64 and weak.weak_type and not got64.weak_type
    assert float(got64) == 1.1 * 8 + 7
    assert float(got32) == float(np.float32(np.float32(1.1) * 8 + 7))
    assert float(got32) != float(got64)


def test_switching_x64_between_calls():
    """Traced under x64 the same body is another program (f64 avals): no reuse across."""
    before = poly_loop(1.0)
    config.update("jax_enable_x64", True)
    try:
        during = poly_loop(1.0)
    finally:
        config.update("jax_enable_x64", False)
    assert before.dtype == np.float32 and during.dtype == np.float64
    assert_same_array(poly_loop(1.0), before)


# ---------------------------------------------------------------------------
# Nesting and transformations

def test_while_inside_scan_with_changing_constants(compiles, jit_backend):
    xs = jnp.array([1.0, 2.0, 3.0], jnp.float32)

    def run(c, lim):
        def step(carry, x):
            # count how many times x can be multiplied by c before passing lim
            n, v = lax.while_loop(lambda s: s[1] < lim, lambda s: (s[0] + 1, s[1] * c),
                                  (0, x))
            return carry + n, v
        return lax.scan(step, 0, xs)

    def run_np(c, lim):
        total, vs = 0, []
        for x in np.asarray(xs):
            n, v = 0, np.float32(x)
            while v < lim:
                n, v = n + 1, v * np.float32(c)
            total += n
            vs.append(v)
        return total, vs

    run(jnp.float32(2.0), jnp.float32(10.0))
    run(jnp.float32(1.2), jnp.float32(5.0))
    compiles.clear()
    for c, lim in ((2.0, 10.0), (3.0, 100.0), (1.5, 7.0)):
        total, vs = run(jnp.float32(c), jnp.float32(lim))
        want_total, want_vs = run_np(c, lim)
        assert int(total) == want_total
        np.testing.assert_allclose(vs, want_vs, rtol=1e-6)
    assert compiles == []


def test_cond_inside_while_with_changing_constants(compiles):
    def run(x, hi, lo):
        def body(s):
            i, v = s
            v = lax.cond(v > 0, lambda v: v - hi, lambda v: v + lo, v)
            return i + 1, v
        return lax.while_loop(lambda s: s[0] < 6, body, (0, x))[1]

    def run_np(x, hi, lo):
        v = np.float32(x)
        for _ in range(6):
            v = v - np.float32(hi) if v > 0 else v + np.float32(lo)
        return v

    run(jnp.float32(1.0), jnp.float32(1.0), jnp.float32(1.0))
    run(jnp.float32(-1.0), jnp.float32(2.0), jnp.float32(3.0))
    compiles.clear()
    for x, hi, lo in ((5.0, 2.0, 0.5), (-3.0, 1.0, 2.5), (0.0, 4.0, 4.0)):
        got = run(jnp.float32(x), jnp.float32(hi), jnp.float32(lo))
        np.testing.assert_allclose(got, run_np(x, hi, lo), rtol=1e-6)
    assert compiles == []


def test_while_inside_eager_cond_with_changing_constants(compiles):
    """An eager cond interprets its branch; the loop in it is compiled, and reused."""
    def run(p, x, lim):
        return lax.cond(p, lambda v: lax.while_loop(lambda u: u < lim, lambda u: u * 3.0, v),
                        lambda v: v - lim, x)

    def run_np(p, x, lim):
        v = np.float32(x)
        if not p:
            return v - np.float32(lim)
        while v < lim:
            v = v * np.float32(3)
        return v

    run(True, jnp.float32(1.0), jnp.float32(10.0))
    run(True, jnp.float32(1.0), jnp.float32(20.0))
    compiles.clear()
    for p, x, lim in ((True, 2.0, 100.0), (False, 2.0, 5.0), (True, 0.5, 1.0)):
        np.testing.assert_allclose(run(p, jnp.float32(x), jnp.float32(lim)),
                                   run_np(p, x, lim), rtol=1e-6)
    assert compiles == []


def test_callbacks_in_eager_loops_are_the_current_ones():
    """A pure_callback's function is a param the generated code calls: a body with a
    new callback is new code (keyed by identity), never the last call's."""
    def run(scale):
        cb = lambda v: np.asarray(v * scale, np.float32)
        shape = jax.ShapeDtypeStruct((), jnp.float32)
        return lax.fori_loop(0, 2, lambda i, v: jax.pure_callback(cb, shape, v),
                             jnp.float32(1.0))

    for scale in (2.0, 3.0, 2.0, 5.0):
        assert float(run(scale)) == scale ** 2


def test_nested_jit_closing_over_values_inside_eager_loop():
    """A jitted function closing over an array, called in an eager loop body: its
    const is baked into the compiled body, so a new jit function (new value) is new
    code."""
    def make(c):
        return jax.jit(lambda v: v * jnp.asarray(c))

    for c in ([2.0, 3.0], [5.0, 7.0], [2.0, 3.0]):
        g = make(np.array(c, np.float32))
        got = lax.fori_loop(0, 2, lambda i, v: g(v), jnp.ones(2, jnp.float32))
        np.testing.assert_allclose(got, np.square(c), rtol=1e-6)


def test_grad_of_eager_loops_with_changing_constants(x64):
    def f(x, c):
        # v_{k+1} = v_k * c + x from v_0 = x, three steps: x (c^3 + c^2 + c + 1)
        return lax.fori_loop(0, 3, lambda i, v: v * c + x, x)

    for c in (0.5, 2.0, -1.0):
        cc = jnp.float64(c)
        np.testing.assert_allclose(jax.grad(f)(1.3, cc), c ** 3 + c ** 2 + c + 1, rtol=1e-12)
        # and d/dc = x (3c^2 + 2c + 1)
        np.testing.assert_allclose(jax.grad(f, argnums=1)(1.3, cc),
                                   1.3 * (3 * c ** 2 + 2 * c + 1), rtol=1e-12)

    def g(x, c):  # forward mode through a while loop: x * c^4
        return lax.while_loop(lambda s: s[0] < 4, lambda s: (s[0] + 1, s[1] * c), (0, x))[1]

    for c in (1.5, -0.5):
        _, t = jax.jvp(lambda x: g(x, jnp.float64(c)), (2.0,), (1.0,))
        np.testing.assert_allclose(t, c ** 4, rtol=1e-12)


def test_vmap_of_eager_loops_with_changing_constants(compiles):
    def f(x, lim):  # a batched predicate: lanes stop at different steps
        return lax.while_loop(lambda v: v < lim, lambda v: v * 2.0 + 1.0, x)

    xs = jnp.array([0.0, 1.0, 5.0, 20.0], jnp.float32)
    # lim becomes an operand on the second call (hoisting.py); the third sees that
    # program again and compiles the batching rule (interpreters/eager_templates.py)
    for lim in (10.0, 3.0, 7.0):
        jax.vmap(f, in_axes=(0, None))(xs, jnp.float32(lim))
    compiles.clear()
    for lim in (10.0, 50.0, 0.0):
        got = jax.vmap(f, in_axes=(0, None))(xs, jnp.float32(lim))
        want = []
        for v in np.asarray(xs):
            while v < lim:
                v = v * np.float32(2) + np.float32(1)
            want.append(v)
        np.testing.assert_array_equal(got, want)
    assert compiles == []


# ---------------------------------------------------------------------------
# Bounds, flags, jit

def test_cache_is_bounded(monkeypatch, compiles):
    monkeypatch.setattr(cf, "STRUCTURAL_CACHE_SIZE", 3)

    def run(k):  # k steps of sin: a different program for each k
        def body(i, v):
            for _ in range(k):
                v = jnp.sin(v)
            return v
        return lax.fori_loop(0, 2, body, jnp.float32(1.0))

    for k in range(1, 8):
        want = np.float32(1.0)
        for _ in range(2 * k):
            want = np.sin(want)
        np.testing.assert_allclose(run(k), want, rtol=1e-6)
        assert len(cf._runners) <= 3 and len(cf._compiled_subs) <= 3
    compiles.clear()
    run(7)
    assert compiles == []  # the most recent survives
    run(1)
    assert compiles == ["scan_body"]  # the oldest was evicted


def test_dump_flag_still_prints_every_compile(capsys):
    config.update("purejax_dump_generated_code", True)
    try:
        for _ in range(2):
            affine_loop(jnp.ones(2, jnp.float32), jnp.float32(2.0))
    finally:
        config.update("purejax_dump_generated_code", False)
    out = capsys.readouterr().out
    assert out.count("def while_body") == 2 and out.count("def while_cond") == 2


def test_jit_does_not_use_the_structural_caches():
    f = jax.jit(affine_loop)
    for c in (2.0, 3.0):
        np.testing.assert_allclose(f(jnp.ones(2, jnp.float32), jnp.float32(c)),
                                   affine_loop_np(np.ones(2), c), rtol=1e-6)
    assert len(cf._runners) == 0 and len(cf._compiled_subs) == 0


# ---------------------------------------------------------------------------
# The key itself

def key_of(f, *avals):
    jaxpr, consts, _ = pe.trace_to_jaxpr(lambda *a: [f(*a)], list(avals))
    from purejax._src.core import ClosedJaxpr
    return sk.closed_jaxpr_key(ClosedJaxpr(jaxpr, consts))


F32 = ShapedArray((), np.dtype("float32"))
F32W = ShapedArray((), np.dtype("float32"), True)
I32 = ShapedArray((), np.dtype("int32"))
V3 = ShapedArray((3,), np.dtype("float32"))


def test_key_equal_for_equal_programs():
    assert key_of(lambda x, y: x * 2.0 - y, F32, F32) == key_of(lambda a, b: a * 2.0 - b,
                                                                  F32, F32)
    c1, c2 = jnp.array([1.0, 2.0, 3.0]), jnp.array([1.0, 2.0, 3.0])
    assert key_of(lambda x: x + c1, V3) == key_of(lambda x: x + c2, V3)  # consts by value


def test_key_differs_for_what_codegen_reads():
    base = key_of(lambda x, y: x - y, F32, F32)
    assert base is not None
    assert key_of(lambda x, y: y - x, F32, F32) != base              # wiring
    assert key_of(lambda x, y: x + y, F32, F32) != base              # primitive
    assert key_of(lambda x, y: x - y, F32W, F32) != base             # weak type
    assert key_of(lambda x: -x, F32W) != key_of(lambda x: -x, F32)
    assert key_of(lambda x, y: x - y, I32, I32) != base              # dtype
    assert key_of(lambda x: x * 0.0, F32) != key_of(lambda x: x * -0.0, F32)
    assert key_of(lambda x: x * 2.0, F32) != key_of(lambda x: x * 3.0, F32)
    assert key_of(lambda x: x + 1, I32) != key_of(lambda x: x + 2, I32)
    assert key_of(lambda x: x + jnp.array([1.0, 2.0, 3.0]), V3) != \
        key_of(lambda x: x + jnp.array([1.0, 2.0, 4.0]), V3)         # const values
    assert key_of(lambda x: jnp.sum(x, axis=0), V3) != key_of(lambda x: jnp.max(x, axis=0), V3)


def test_key_of_python_scalars_is_exact():
    """Python scalars (Literals bound unconverted, params) by type and exact value."""
    from purejax._src.core import ClosedJaxpr, Jaxpr, JaxprEqn, Literal, Var
    from purejax._src.prims import elementwise as ew

    def one_eqn(lit, **params):
        x, out = Var(F32W), Var(F32W)
        eqn = JaxprEqn([x, Literal(lit, F32W)], [out], ew.mul_p, params)
        return sk.closed_jaxpr_key(ClosedJaxpr(Jaxpr([], [x], [out], [eqn]), []))

    assert one_eqn(0.0) == one_eqn(0.0) and one_eqn(float("nan")) == one_eqn(float("nan"))
    assert one_eqn(0.0) != one_eqn(-0.0)
    assert one_eqn(1.0) != one_eqn(1) != one_eqn(True)
    assert one_eqn(1.0, p=0.0) != one_eqn(1.0, p=-0.0)
    assert one_eqn(1.0, p=(1, 1)) != one_eqn(1.0, p=(1, True))
    assert one_eqn(1.0, p=1) != one_eqn(1.0, p=True)
    assert one_eqn(1.0, p=np.dtype("float32")) != one_eqn(1.0, p=np.dtype("float64"))
    f, g = (lambda: 0), (lambda: 0)
    assert one_eqn(1.0, p=f) == one_eqn(1.0, p=f) != one_eqn(1.0, p=g)  # by identity


def test_key_gives_up_on_large_mutable_consts():
    big = np.zeros(sk.VALUE_KEY_BYTES, np.float32)  # 4x the byte limit
    shape = ShapedArray(big.shape, big.dtype)
    # tracing captures a frozen copy: keyed by identity, so each trace is its own
    first = key_of(lambda x: lax.add(x, big), shape)
    assert first is not None and first != key_of(lambda x: lax.add(x, big), shape)
    frozen = jnp.asarray(big)  # an immutable Array: keyed by identity
    assert key_of(lambda x: lax.add(x, frozen), shape) == key_of(lambda x: lax.add(x, frozen),
                                                                  shape)
    assert key_of(lambda x: lax.add(x, frozen), shape) != \
        key_of(lambda x: lax.add(x, jnp.asarray(big)), shape)


def test_key_of_mutable_numpy_literals_is_their_value_when_traced():
    """Tracing copies a mutable NumPy constant into a frozen array (as JAX captures its
    value), so the key is that value: equal values share code, a later mutation of the
    user's array is a new value."""
    k = np.array(2.0, np.float32)
    same_value = np.array(2.0, np.float32)
    first = key_of(lambda x: lax.mul(x, k), F32)
    assert first == key_of(lambda x: lax.mul(x, k), F32)
    assert first == key_of(lambda x: lax.mul(x, same_value), F32)
    k[...] = 3.0
    assert first != key_of(lambda x: lax.mul(x, k), F32)


def test_key_of_mutable_numpy_arrays_in_hand_built_jaxprs():
    """A Jaxpr built by other means may still hold a mutable NumPy const: a small one
    is keyed by identity and bytes, a large one makes the key None; a frozen one of
    its own is keyed by value (small) or identity (large)."""
    from purejax._src.core import ClosedJaxpr
    c3 = jnp.ones(3)
    jaxpr, consts, _ = pe.trace_to_jaxpr(lambda x: [x * c3], [V3])
    assert len(consts) == 1
    small = np.ones(3, np.float32)
    key = lambda c: sk.closed_jaxpr_key(ClosedJaxpr(jaxpr, [c]))  # noqa: E731
    assert key(small) == key(small) != key(small.copy())
    frozen, frozen2 = small.copy(), small.copy()
    frozen.setflags(write=False)
    frozen2.setflags(write=False)
    assert key(frozen) == key(frozen2) != key(small)
    view = small[:]  # read-only view of a buffer that may still change: identity
    view.setflags(write=False)
    assert key(view) != key(frozen)
    c_big = jnp.ones(1 << 16)
    big_jaxpr, _, _ = pe.trace_to_jaxpr(lambda x: [x * c_big],
                                        [ShapedArray((1 << 16,), np.dtype("float32"))])
    big = np.ones(1 << 16, np.float32)
    assert sk.closed_jaxpr_key(ClosedJaxpr(big_jaxpr, [big])) is None
    big.setflags(write=False)
    assert sk.closed_jaxpr_key(ClosedJaxpr(big_jaxpr, [big])) is not None


def test_compile_sub_with_consts_uses_their_values(compiles):
    """A sub-Jaxpr with consts (as the rules' derived Jaxprs may have): equal values
    share code, other values get their own (constant folding bakes them in)."""
    from purejax._src.core import ClosedJaxpr

    def closed_with(c):
        jaxpr, consts, _ = pe.trace_to_jaxpr(lambda x: [x * jnp.asarray(c) + 1.0], [V3])
        assert len(consts) == 1
        return ClosedJaxpr(jaxpr, consts)

    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(cf.compile_sub(closed_with([1.0, 2.0, 3.0]), "s")(x)[0],
                                  [2.0, 3.0, 4.0])
    compiles.clear()
    np.testing.assert_array_equal(cf.compile_sub(closed_with([1.0, 2.0, 3.0]), "s")(x)[0],
                                  [2.0, 3.0, 4.0])
    assert compiles == []
    np.testing.assert_array_equal(cf.compile_sub(closed_with([5.0, 6.0, 7.0]), "s")(x)[0],
                                  [6.0, 7.0, 8.0])
    assert compiles == ["s"]
