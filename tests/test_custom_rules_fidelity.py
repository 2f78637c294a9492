"""Custom derivative rules against JAX's behaviour: traced nondiff_argnums, symbolic
zeros in custom_jvp and custom_vjp rules (SymbolicZero, CustomVJPPrimal), the float0
tangent check for integer outputs, jax.custom_derivatives and jax.custom_gradient.

Expected values, dtypes and weak types were obtained from JAX 0.10.2 (CPU, float32)
running the same code; they are hard-coded so that this file does not need JAX."""
from functools import partial

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src import core
from purejax.custom_derivatives import (CustomVJPPrimal, SymbolicZero,
                                        custom_vjp_primal_tree_values, zero_from_primal)

F32 = np.dtype("float32")
FLOAT0 = jax.dtypes.float0


def check(x, value, dtype=F32, weak=False):
    """x is an Array equal to value, of that dtype and weak type."""
    assert isinstance(x, jax.Array), type(x)
    assert x.dtype == dtype, (x.dtype, dtype)
    assert x.weak_type == weak, (x.weak_type, weak)
    np.testing.assert_allclose(np.asarray(x), value, rtol=1e-6)


# ---------------------------------------------------------------------------
# A2: traced values in a custom_jvp's nondiff_argnums (JAX stops their gradient)

@partial(jax.custom_jvp, nondiff_argnums=(1,))
def powk(a, k):
    return a ** k


powk.defjvp(lambda k, p, t: (powk(p[0], k), k * p[0] ** (k - 1) * t[0]))


def test_traced_nondiff_under_jit_and_vmap():
    # JAX 0.10.2: 12.0 weak; [4., 27.] strong; 8.0 weak; [4., 27.] strong
    check(jax.jit(jax.grad(powk))(2., 3), 12.0, weak=True)
    check(jax.vmap(jax.grad(powk))(jnp.array([2., 3.]), jnp.array([2, 3])), [4., 27.])
    check(jax.jit(powk)(2., 3), 8.0, weak=True)
    check(jax.vmap(powk)(jnp.array([2., 3.]), jnp.array([2, 3])), [4., 27.])
    check(jax.jit(jax.vmap(jax.grad(powk)))(jnp.array([2., 3.]), jnp.array([2., 3.])),
          [4., 27.])
    check(jax.vmap(jax.jit(jax.grad(powk)))(jnp.array([2., 3.]), jnp.array([2., 3.])),
          [4., 27.])


def test_traced_nondiff_gets_no_derivative():
    # JAX 0.10.2: the nondiff value is stop_gradient-ed, so d/dk is 0 in every mode
    check(jax.grad(lambda k: powk(2., k))(3.), 0.0, weak=True)
    check(jax.jacfwd(lambda k: powk(2., k))(3.), 0.0, weak=True)
    check(jax.jacrev(lambda k: powk(2., k))(3.), 0.0, weak=True)
    check(jax.jvp(lambda k: powk(2., k), (3.,), (1.,))[1], 0.0, weak=True)
    check(jax.grad(lambda k: jax.grad(lambda b: powk(b, k))(2.))(3.), 0.0, weak=True)
    # a used both ways: only the differentiable slot counts (k * a**(k-1) = 27)
    check(jax.grad(lambda a: powk(a, a))(3.), 27.0, weak=True)
    check(jax.jit(jax.grad(lambda a: powk(a, a)))(3.), 27.0, weak=True)
    check(jax.linearize(lambda a: powk(a, a), 3.)[1](1.), 27.0, weak=True)
    check(jax.grad(lambda k, a: jax.vmap(powk)(a, k).sum())(jnp.array([2., 3.]),
                                                            jnp.array([2., 3.])), [0., 0.])
    check(jax.grad(lambda a, k: jax.vmap(powk)(a, k).sum())(jnp.array([2., 3.]),
                                                            jnp.array([2., 3.])), [4., 27.])


def test_traced_nondiff_higher_order_and_pytrees():
    # JAX 0.10.2: hessian 12.0 weak; jit(grad(grad)) 12.0 strong
    check(jax.hessian(powk)(2., 3.), 12.0, weak=True)
    check(jax.jit(jax.grad(jax.grad(powk)))(2., 3.), 12.0)
    check(jax.vmap(lambda k: jax.grad(powk)(2., k))(jnp.array([1., 2., 3.])), [1., 4., 12.],
          weak=True)

    @partial(jax.custom_jvp, nondiff_argnums=(0,))
    def affine(d, x):
        return d["s"] * x + d["t"]

    affine.defjvp(lambda d, p, t: (affine(d, *p), d["s"] * t[0]))
    f = lambda s, x: affine({"s": s, "t": s}, x)  # noqa: E731
    for g in (jax.grad(f, argnums=(0, 1)), jax.jit(jax.grad(f, argnums=(0, 1)))):
        ds, dx = g(2., 3.)
        check(ds, 0.0, weak=True)  # JAX 0.10.2: (0.0 weak, 2.0 weak)
        check(dx, 2.0, weak=True)
    check(jax.vmap(jax.grad(lambda s, x: affine({"s": s, "t": 1.}, x), argnums=1))(
        jnp.ones(2), jnp.ones(2)), [1., 1.])


# C20: custom_vjp keeps rejecting them, with JAX's exception type

def test_custom_vjp_traced_nondiff_raises_unexpected_tracer_error():
    @partial(jax.custom_vjp, nondiff_argnums=(1,))
    def pv(a, k):
        return a * k

    pv.defvjp(lambda a, k: (pv(a, k), None), lambda k, r, ct: (ct * k,))
    with pytest.raises(jax.errors.UnexpectedTracerError, match=r"pv.*argument 1.*nondiff"):
        jax.jit(jax.grad(pv))(2., 3.)
    with pytest.raises(TypeError):  # still a TypeError, as JAX's is
        jax.vmap(pv, in_axes=(None, 0))(2., jnp.ones(2))
    check(jax.grad(pv)(2., 3.), 3.0, weak=True)  # a concrete value is fine


# ---------------------------------------------------------------------------
# A3: custom_vjp with symbolic_zeros=True

def _logged_product():
    log = []

    @jax.custom_vjp
    def h(a, b):
        return a * b

    def h_fwd(a, b):
        log.append(("fwd", type(a), a.perturbed, b.perturbed))
        return h(a.value, b.value), (a.value, b.value)

    def h_bwd(r, ct):
        log.append(("bwd", type(ct)))
        return ct * r[1], ct * r[0]

    h.defvjp(h_fwd, h_bwd, symbolic_zeros=True)
    return h, log


@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("argnums,perturbed", [(0, (True, False)), (1, (False, True)),
                                               ((0, 1), (True, True))])
def test_symbolic_zeros_fwd_gets_custom_vjp_primal(mode, argnums, perturbed):
    # JAX 0.10.2: perturbed is True exactly for the differentiated arguments
    h, log = _logged_product()
    g = jax.grad(h, argnums=argnums)
    if mode == "jit":
        g = jax.jit(g)
    elif mode == "vmap":
        g = jax.vmap(g)
    args = (jnp.full(2, 2.), jnp.full(2, 3.)) if mode == "vmap" else (2., 3.)
    out = g(*args)
    fwd = [e for e in log if e[0] == "fwd"]
    assert fwd and all(e[1] is CustomVJPPrimal and e[2:] == perturbed for e in fwd), log
    outs = out if isinstance(argnums, tuple) else (out,)
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    expect = {0: 3.0, 1: 2.0}
    for o, i in zip(outs, nums):  # weak throughout: jnp.full of a Python float is weak
        check(o, [expect[i]] * 2 if mode == "vmap" else expect[i], weak=True)


def test_symbolic_zeros_vjp_and_integer_arguments():
    h, log = _logged_product()
    ca, cb = jax.vjp(h, 2., 3.)[1](1.)  # JAX 0.10.2: (3.0, 2.0), both perturbed
    assert float(ca) == 3.0 and float(cb) == 2.0
    assert log[0][2:] == (True, True)

    seen = []

    @jax.custom_vjp
    def scale(a, n):
        return a * n, n

    def scale_fwd(a, n):
        seen.append((a.perturbed, n.perturbed, type(n.value)))
        return scale(a.value, n.value), (a.value, n.value)

    def scale_bwd(r, ct):
        seen.append(ct)
        return ct[0] * r[1], None

    scale.defvjp(scale_fwd, scale_bwd, symbolic_zeros=True)
    # JAX 0.10.2: 3.0 weak; an integer argument is never perturbed, and the integer
    # output's cotangent is a float0 SymbolicZero
    check(jax.grad(lambda a: scale(a, 3)[0])(2.), 3.0, weak=True)
    assert seen[0][:2] == (True, False)
    ct_a, ct_n = seen[1]
    assert isinstance(ct_a, jax.Array) and isinstance(ct_n, SymbolicZero)
    assert ct_n.dtype == FLOAT0 and ct_n.shape == ()
    check(jax.jit(jax.grad(lambda a: scale(a, 3)[0]))(2.), 3.0, weak=True)
    # forward mode runs fwd, then raises as JAX does
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(lambda a: scale(a, 3)[0], (2.,), (1.,))


@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_symbolic_zeros_bwd_gets_symbolic_zero_cotangents(mode):
    seen = []

    @jax.custom_vjp
    def two(a, n):
        return a * 2, a * 3

    def two_fwd(a, n):
        return two(a.value, n.value), None

    def two_bwd(_, ct):
        seen.append(ct)
        g = 0.
        for c, k in zip(ct, (2., 3.)):
            if not isinstance(c, SymbolicZero):
                g = g + k * c
        return g, None

    two.defvjp(two_fwd, two_bwd, symbolic_zeros=True)

    def run(f):
        g = jax.grad(f)
        if mode == "jit":
            return jax.jit(g)(1.)
        if mode == "vmap":
            return jax.vmap(g)(jnp.ones(2))
        return g(1.)

    # JAX 0.10.2: an unused output's cotangent is a SymbolicZero of the output's type
    for i, expect in ((0, 2.0), (1, 3.0)):
        seen.clear()
        out = run(lambda a, i=i: two(a, 1.)[i])
        check(out, [expect] * 2 if mode == "vmap" else expect, weak=mode != "vmap")
        zero = seen[-1][1 - i]
        assert isinstance(zero, SymbolicZero) and not isinstance(seen[-1][i], SymbolicZero)
        # the output's tangent type, weak type included (vmap's outputs are strong)
        weak = mode != "vmap"
        assert zero.shape == () and zero.dtype == F32 and zero.weak_type == weak
        assert zero.aval == core.ShapedArray((), F32, weak_type=weak)
    seen.clear()
    check(run(lambda a: sum(two(a, 1.))), [5.] * 2 if mode == "vmap" else 5.0,
          weak=mode != "vmap")
    assert not any(isinstance(c, SymbolicZero) for c in seen[-1])


def test_bwd_may_return_symbolic_zero_with_or_without_the_flag():
    for flag in (True, False):
        @jax.custom_vjp
        def f(a, b):
            return a * b

        def fwd(a, b, flag=flag):
            a, b = (a.value, b.value) if flag else (a, b)
            return f(a, b), (a, b)

        f.defvjp(fwd, lambda r, ct: (ct * r[1], SymbolicZero.from_primal_value(r[0])),
                 symbolic_zeros=flag)
        da, db = jax.grad(f, argnums=(0, 1))(2., 3.)
        check(da, 3.0, weak=True)  # JAX 0.10.2: (3.0 weak, 0.0 weak)
        check(db, 0.0, weak=True)

    @jax.custom_vjp
    def bad(a):
        return a * 2

    bad.defvjp(lambda a: (bad(a), None),
               lambda r, ct: (SymbolicZero(core.ShapedArray((2,), F32)),))
    with pytest.raises(ValueError, match="SymbolicZero"):  # JAX 0.10.2: ValueError
        jax.grad(bad)(1.)


def test_symbolic_zeros_fwd_with_pytrees_and_misuse():
    @jax.custom_vjp
    def pt(d):
        return d["x"] * d["y"]

    flags = []

    def pt_fwd(d):
        flags.append({k: v.perturbed for k, v in d.items()})
        v = custom_vjp_primal_tree_values(d)
        return pt(v), (v["x"], v["y"])

    pt.defvjp(pt_fwd, lambda r, ct: ({"x": ct * r[1], "y": ct * r[0]},), symbolic_zeros=True)
    check(jax.grad(lambda x: pt({"x": x, "y": 3.}))(2.), 3.0, weak=True)
    assert flags == [{"x": True, "y": False}]
    with pytest.raises(TypeError):
        custom_vjp_primal_tree_values({"x": 1.})

    # returning the record itself is an error (JAX 0.10.2: TypeError, not a JAX type)
    @jax.custom_vjp
    def bad(a):
        return a * 2

    bad.defvjp(lambda a: (bad(a.value), a), lambda r, ct: (ct * 2,), symbolic_zeros=True)
    with pytest.raises(TypeError, match="bad.*CustomVJPPrimal"):
        jax.grad(bad)(2.)
    bad.defvjp(lambda a: (a, None), lambda r, ct: (ct * 2,), symbolic_zeros=True)
    with pytest.raises(TypeError, match="CustomVJPPrimal"):
        jax.grad(bad)(2.)
    assert repr(CustomVJPPrimal(1., True)) == "CustomVJPPrimal(value=1.0, perturbed=True)"


def test_symbolic_zeros_inside_control_flow():
    @jax.custom_vjp
    def h(a, b):
        return a * b

    h.defvjp(lambda a, b: (h(a.value, b.value), (a.value, b.value)),
             lambda r, ct: (ct * r[1], ct * r[0]), symbolic_zeros=True)

    def body(c, x):
        return h(c, x), None

    # d/dc of c * 1 * 2 * 3 = 6 (JAX 0.10.2: strong, the carry becomes float32)
    check(jax.grad(lambda c: lax.scan(body, c, jnp.array([1., 2., 3.]))[0])(1.), 6.0)
    check(jax.grad(lambda c: lax.cond(True, lambda: h(c, 2.), lambda: c))(1.), 2.0, weak=True)


# ---------------------------------------------------------------------------
# custom_jvp(symbolic_zeros=True) hands the rule SymbolicZero

@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_custom_jvp_rule_gets_symbolic_zero(mode):
    log = []

    @jax.custom_jvp
    def f(x, y, n):
        return x * y * n

    def f_jvp(p, t):
        log.append(t)
        x, y, n = p
        tx, ty, _ = t
        out = 0.
        if not isinstance(tx, SymbolicZero):
            out = out + tx * y * n
        if not isinstance(ty, SymbolicZero):
            out = out + x * ty * n
        return f(x, y, n), out

    f.defjvp(f_jvp, symbolic_zeros=True)
    g = jax.grad(f)
    if mode == "jit":
        check(jax.jit(g)(2., 3., 4), 12.0, weak=True)
    elif mode == "vmap":
        check(jax.vmap(g)(jnp.ones(2), jnp.ones(2), jnp.ones(2, jnp.int32)), [1., 1.])
    else:
        check(g(2., 3., 4), 12.0, weak=True)
    # JAX 0.10.2: the differentiated tangent is an array, the others SymbolicZero
    tx, ty, tn = log[-1]
    assert not isinstance(tx, SymbolicZero)
    assert isinstance(ty, SymbolicZero) and ty.dtype == F32 and ty.shape == ()
    assert isinstance(tn, SymbolicZero) and tn.dtype == FLOAT0
    assert repr(ty) == "SymbolicZero"
    with pytest.raises(TypeError):  # not an array (JAX 0.10.2: TypeError too)
        ty + 1


def test_custom_jvp_rule_may_return_symbolic_zero():
    for flag in (True, False):
        @jax.custom_jvp
        def g(x):
            return x * 2, x * 3

        g.defjvp(lambda p, t: (g(p[0]), (t[0] * 2, SymbolicZero.from_primal_value(p[0]))),
                 symbolic_zeros=flag)
        (p0, p1), (t0, t1) = jax.jvp(g, (1.,), (1.,))
        # JAX 0.10.2: tangents (2.0, Array(0., weak)); grad of the sum 2.0 (JAX's grad
        # takes a returned SymbolicZero only with symbolic_zeros=True; purejax either way)
        assert float(t0) == 2.0
        check(t1, 0.0, weak=True)
        if flag:
            assert float(jax.grad(lambda x: g(x)[0] + g(x)[1])(1.)) == 2.0

    @jax.custom_jvp
    def wrong(x):
        return x * 2

    wrong.defjvp(lambda p, t: (wrong(p[0]), SymbolicZero(core.ShapedArray((3,), F32))))
    with pytest.raises(TypeError, match="wrong"):
        jax.jvp(wrong, (1.,), (1.,))


def test_zero_from_primal():
    z = zero_from_primal(jnp.ones(2))
    assert isinstance(z, jax.Array) and z.dtype == F32 and np.all(np.asarray(z) == 0)
    zs = zero_from_primal((1., jnp.ones(2)), symbolic_zeros=True)
    assert all(isinstance(t, SymbolicZero) for t in zs) and zs[1].shape == (2,)
    assert zero_from_primal(1).dtype == FLOAT0  # JAX 0.10.2: a float0 zero


def test_public_module():
    cd = jax.custom_derivatives
    assert cd.custom_jvp is jax.custom_jvp and cd.custom_vjp is jax.custom_vjp
    assert cd.custom_gradient is jax.custom_gradient
    assert cd.closure_convert is jax.closure_convert
    for name in ("SymbolicZero", "CustomVJPPrimal", "zero_from_primal",
                 "custom_vjp_primal_tree_values", "custom_jvp_call_p", "custom_vjp_call_p"):
        assert hasattr(cd, name), name
    assert not isinstance(SymbolicZero.from_primal_value(1.), jax.Array)


# ---------------------------------------------------------------------------
# A8: an integer or boolean output needs a float0 tangent

def test_integer_output_needs_float0_tangent():
    @jax.custom_jvp
    def gi(a):
        return a * 2, jnp.int32(3)

    def int_tangent_rule(p, t):
        return gi(p[0]), (t[0] * 5, jnp.int32(0))

    gi.defjvp(int_tangent_rule)
    # JAX 0.10.2: TypeError "... expecting tangent float0[]"
    with pytest.raises(TypeError, match=r"int_tangent_rule.*gi.*float0\[\]"):
        jax.jvp(gi, (jnp.float32(1.),), (jnp.float32(1.),))
    with pytest.raises(TypeError, match="float0"):
        jax.grad(lambda a: gi(a)[0])(1.)

    def float_tangent_rule(p, t):
        return gi(p[0]), (t[0] * 5, jnp.float32(0))

    gi.defjvp(float_tangent_rule)
    with pytest.raises(TypeError, match="float_tangent_rule"):
        jax.jvp(gi, (jnp.float32(1.),), (jnp.float32(1.),))

    @jax.custom_jvp
    def gb(a):
        return a * 2, a > 0

    gb.defjvp(lambda p, t: (gb(p[0]), (t[0] * 2, jnp.zeros((), jnp.bool_))))
    with pytest.raises(TypeError, match="float0"):
        jax.jvp(gb, (1.,), (1.,))

    # float0 zeros, or a float0 SymbolicZero, are right
    gi.defjvp(lambda p, t: (gi(p[0]), (t[0] * 5, np.zeros((), FLOAT0))))
    (_, _), (t0, t1) = jax.jvp(gi, (jnp.float32(1.),), (jnp.float32(1.),))
    check(t0, 5.0)
    assert t1.dtype == FLOAT0
    gi.defjvp(lambda p, t: (gi(p[0]), (t[0] * 5, SymbolicZero(core.ShapedArray((), FLOAT0)))))
    check(jax.grad(lambda a: gi(a)[0])(jnp.float32(1.)), 5.0)


# ---------------------------------------------------------------------------
# B15 (a documented difference, docs/differences.md): a bwd cotangent of another float
# dtype is converted to the input's tangent dtype. JAX 0.10.2 passes float16 through
# here, and raises TypeError once such a cotangent meets another one.

def test_bwd_cotangent_takes_the_input_dtype():
    @jax.custom_vjp
    def g16(a):
        return a * 2

    g16.defvjp(lambda a: (g16(a), None), lambda r, ct: (ct.astype(jnp.float16),))
    check(jax.grad(g16)(jnp.float32(1.)), 1.0)
    check(jax.grad(lambda x: g16(x) + x)(jnp.float32(1.)), 2.0)


# ---------------------------------------------------------------------------
# custom_gradient

@jax.custom_gradient
def square(x):
    return x ** 2, lambda g: (g * x,)


@jax.custom_gradient
def sin_cg(x):
    return jnp.sin(x), lambda g: (g * jnp.cos(x),)


def test_custom_gradient_first_order():
    # JAX 0.10.2 for each line
    assert float(square(3.)) == 9.0
    check(jax.grad(square)(3.), 3.0, weak=True)  # the rule, not the true 6.0
    check(jax.grad(square)(jnp.float32(3.)), 3.0)
    check(jax.jit(jax.grad(square))(3.), 3.0, weak=True)
    check(jax.jit(square)(3.), 9.0, weak=True)
    (ct,) = jax.vjp(square, 3.)[1](2.)
    check(ct, 6.0, weak=True)
    check(jax.vmap(jax.grad(square))(jnp.array([1., 2.])), [1., 2.])
    check(jax.grad(lambda x: jax.vmap(square)(x).sum())(jnp.array([1., 2.])), [1., 2.])
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(square, (3.,), (1.,))


def test_custom_gradient_higher_order():
    # JAX 0.10.2: the second derivative is that of the rule's closure (g * x -> 1.0)
    check(jax.grad(jax.grad(square))(3.), 1.0, weak=True)
    check(jax.jit(jax.grad(jax.grad(square)))(3.), 1.0, weak=True)
    check(jax.grad(jax.grad(sin_cg))(1.), -0.84147096, weak=True)
    check(jax.grad(jax.grad(jax.grad(sin_cg)))(1.), -0.5403023, weak=True)

    @jax.custom_gradient
    def clip_gradient(x):
        return x, lambda g: (jnp.clip(g, -1., 1.),)

    check(jax.grad(lambda x: 5. * clip_gradient(x))(2.), 1.0, weak=True)
    check(jax.grad(jax.grad(lambda x: clip_gradient(x) ** 2))(2.), 0.0, weak=True)


def test_custom_gradient_arguments_and_pytrees():
    @jax.custom_gradient
    def mul(x, y):
        return x * y, lambda g: (g * y, g * x)

    da, db = jax.grad(mul, argnums=(0, 1))(3., 4.)
    check(da, 4.0, weak=True)
    check(db, 3.0, weak=True)
    check(jax.grad(jax.grad(mul), argnums=1)(3., 4.), 1.0, weak=True)

    @jax.custom_gradient
    def pyt(d):
        return ({"a": d["x"] * 2, "b": d["y"]},
                lambda g: ({"x": g["a"] * 2, "y": g["b"] * 10},))

    out = jax.grad(lambda d: pyt(d)["a"] + pyt(d)["b"])({"x": 1., "y": 2.})
    check(out["x"], 2.0, weak=True)
    check(out["y"], 10.0, weak=True)

    @jax.custom_gradient
    def tup(x):
        return (x, x * 2), lambda g: (g[0] + g[1],)

    check(jax.grad(lambda x: tup(x)[1])(1.), 1.0, weak=True)

    @jax.custom_gradient
    def bare(x):  # one argument: a bare cotangent is accepted, as in JAX
        return x * 2, lambda g: g * 3

    check(jax.grad(bare)(1.), 3.0, weak=True)


def test_custom_gradient_errors():
    @jax.custom_gradient
    def branchy(x):
        return x * 2, lambda g: (g * 3 if g > 0 else g,)

    # JAX 0.10.2: the rule is traced abstractly, so Python control flow raises
    with pytest.raises(jax.errors.TracerBoolConversionError):
        jax.grad(branchy)(1.)

    @jax.custom_gradient
    def no_rule(x):
        return x * 2

    with pytest.raises(TypeError, match="no_rule.*pair"):
        jax.grad(no_rule)(1.)
