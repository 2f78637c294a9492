"""Every example of the seed documents, with the numbers and side-effect orderings
they print. Each test is the seed's code with `import purejax as jax`."""
from collections import namedtuple
from functools import partial

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import custom_jvp, custom_vjp, grad, jit, jvp, make_jaxpr, vjp, vmap


def lines(capsys):
    return capsys.readouterr().out.strip().splitlines()


# --- seed 001: TL;DR ---------------------------------------------------------

def test_tldr_custom_jvp(capsys):
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        primal_out = f(x, y)
        tangent_out = jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
        return primal_out, tangent_out

    print(f(2., 3.))
    y, y_dot = jvp(f, (2., 3.), (1., 0.))
    print(y)
    print(y_dot)
    print(grad(f)(2., 3.))
    assert lines(capsys) == ["2.7278922", "2.7278922", "-1.2484405", "-1.2484405"]


def test_tldr_defjvps(capsys):
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
              lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)
    print(f(2., 3.))
    y, y_dot = jvp(f, (2., 3.), (1., 0.))
    print(y)
    print(y_dot)
    print(grad(f)(2., 3.))
    assert lines(capsys) == ["2.7278922", "2.7278922", "-1.2484405", "-1.2484405"]


def test_tldr_custom_vjp(capsys):
    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    print(grad(f)(2., 3.))
    assert lines(capsys) == ["-1.2484405"]


# --- seed 001: numerical stability --------------------------------------------

def log1pexp_plain(x):
    return jnp.log(1. + jnp.exp(x))


def test_log1pexp_plain(capsys):
    assert repr(log1pexp_plain(3.)) == "Array(3.0485873, dtype=float32, weak_type=True)"
    print(jit(log1pexp_plain)(3.))
    print(jit(grad(log1pexp_plain))(3.))
    print(vmap(jit(grad(log1pexp_plain)))(jnp.arange(3.)))
    print(grad(log1pexp_plain)(100.))
    assert lines(capsys) == ["3.0485873", "0.95257413", "[0.5       0.7310586 0.8807971]", "nan"]


def test_log1pexp_jaxpr():
    assert str(make_jaxpr(grad(log1pexp_plain))(100.)) == """\
{ lambda ; a:f32[]. let
    b:f32[] = exp a
    c:f32[] = add 1.0 b
    _:f32[] = log c
    d:f32[] = div 1.0 c
    e:f32[] = mul d b
  in (e,) }"""


def test_log1pexp_custom_jvp(capsys):
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = log1pexp(x)
        ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
        return ans, ans_dot

    print(grad(log1pexp)(100.))
    print(jit(log1pexp)(3.))
    print(jit(grad(log1pexp))(3.))
    print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
    assert lines(capsys) == ["1.0", "3.0485873", "0.95257413", "[0.5       0.7310586 0.8807971]"]


def test_log1pexp_defjvps(capsys):
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    log1pexp.defjvps(lambda t, ans, x: (1 - 1 / (1 + jnp.exp(x))) * t)
    print(grad(log1pexp)(100.))
    print(jit(log1pexp)(3.))
    print(jit(grad(log1pexp))(3.))
    print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
    assert lines(capsys) == ["1.0", "3.0485873", "0.95257413", "[0.5       0.7310586 0.8807971]"]


# --- seed 001: enforcing a differentiation convention ---------------------------

def test_convention_at_boundary(capsys):
    def f(x):
        return x / (1 + jnp.sqrt(x))

    print(grad(f)(0.))

    @custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = f(x)
        ans_dot = ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * x_dot
        return ans, ans_dot

    print(grad(f)(0.))

    @custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * t)
    print(grad(f)(0.))
    assert lines(capsys) == ["nan", "1.0", "1.0"]


# --- seed 001: gradient clipping ------------------------------------------------

def test_clip_gradient():
    @custom_vjp
    def clip_gradient(lo, hi, x):
        return x  # identity function

    def clip_gradient_fwd(lo, hi, x):
        return x, (lo, hi)  # save bounds as residuals

    def clip_gradient_bwd(res, g):
        lo, hi = res
        return (None, None, jnp.clip(g, lo, hi))

    clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

    def clip_sin(x):
        x = clip_gradient(-0.75, 0.75, x)
        return jnp.sin(x)

    t = jnp.linspace(0, 10, 1000)
    np.testing.assert_allclose(clip_sin(t), np.sin(np.linspace(0, 10, 1000, dtype=np.float32)),
                               rtol=1e-6, atol=1e-6)
    g = vmap(grad(clip_sin))(t)
    expected = np.clip(np.cos(np.asarray(t, np.float64)), -0.75, 0.75)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    assert float(jnp.max(g)) == pytest.approx(0.75) and float(jnp.min(g)) == pytest.approx(-0.75)


# --- seed 001: basic custom_jvp usage -------------------------------------------

def test_custom_jvp_basic(capsys):
    @custom_jvp
    def f(x):
        return jnp.sin(x)

    def f_jvp(primals, tangents):
        x, = primals
        t, = tangents
        return f(x), jnp.cos(x) * t

    assert f.defjvp(f_jvp) is f_jvp
    print(f(3.))
    y, y_dot = jvp(f, (3.,), (1.,))
    print(y)
    print(y_dot)
    print(grad(f)(3.))
    print(grad(grad(f))(3.))
    assert lines(capsys) == ["0.14112", "0.14112", "-0.9899925", "-0.9899925", "-0.14112"]


def test_custom_jvp_multiple_args(capsys):
    @custom_jvp
    def f(x, y):
        return x ** 2 * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        primal_out = f(x, y)
        tangent_out = 2 * x * y * x_dot + x ** 2 * y_dot
        return primal_out, tangent_out

    print(grad(f)(2., 3.))

    @custom_jvp
    def f(x):
        return jnp.sin(x)

    f.defjvps(lambda t, ans, x: jnp.cos(x) * t)
    print(grad(f)(3.))

    @custom_jvp
    def f(x, y):
        return x ** 2 * y

    f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot,
              lambda y_dot, primal_out, x, y: x ** 2 * y_dot)
    print(grad(f)(2., 3.))
    print(grad(f, 0)(2., 3.))
    print(grad(f, 1)(2., 3.))

    @custom_jvp
    def f(x, y):
        return x ** 2 * y

    f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot, None)
    print(grad(f)(2., 3.))
    print(grad(f, 0)(2., 3.))
    print(grad(f, 1)(2., 3.))
    assert lines(capsys) == ["12.0", "-0.9899925", "12.0", "12.0", "4.0", "12.0", "12.0", "0.0"]


def test_custom_jvp_side_effects(capsys):
    @custom_jvp
    def f(x):
        print('called f!')  # a harmless side-effect
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        print('called f_jvp!')  # a harmless side-effect
        x, = primals
        t, = tangents
        return f(x), jnp.cos(x) * t

    print(f(3.))
    assert lines(capsys) == ["called f!", "0.14112"]
    print(vmap(f)(jnp.arange(3.)))
    print(jit(f)(3.))
    assert lines(capsys) == ["called f!", "[0.         0.84147096 0.9092974 ]", "called f!", "0.14112"]
    y, y_dot = jvp(f, (3.,), (1.,))
    print(y_dot)
    assert lines(capsys) == ["called f_jvp!", "called f!", "-0.9899925"]
    print(grad(f)(3.))
    assert lines(capsys) == ["called f_jvp!", "called f!", "-0.9899925"]
    out = grad(grad(f))(3.)
    assert lines(capsys) == ["called f_jvp!", "called f_jvp!", "called f!"]
    assert repr(out) == "Array(-0.14112, dtype=float32, weak_type=True)"


def test_custom_jvp_python_control_flow(capsys):
    @custom_jvp
    def f(x):
        if x > 0:
            return jnp.sin(x)
        else:
            return jnp.cos(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = f(x)
        if x > 0:
            return ans, 2 * x_dot
        else:
            return ans, 3 * x_dot

    print(grad(f)(1.))
    print(grad(f)(-1.))
    assert lines(capsys) == ["2.0", "3.0"]


# --- seed 001: basic custom_vjp usage -------------------------------------------

def test_custom_vjp_basic(capsys):
    @custom_vjp
    def f(x):
        return jnp.sin(x)

    def f_fwd(x):
        return f(x), jnp.cos(x)

    def f_bwd(cos_x, y_bar):
        return (cos_x * y_bar,)

    f.defvjp(f_fwd, f_bwd)
    print(f(3.))
    print(grad(f)(3.))

    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    print(grad(f)(2., 3.))
    assert lines(capsys) == ["0.14112", "-0.9899925", "-1.2484405"]


def test_custom_vjp_side_effects(capsys):
    @custom_vjp
    def f(x):
        print("called f!")
        return jnp.sin(x)

    def f_fwd(x):
        print("called f_fwd!")
        return f(x), jnp.cos(x)

    def f_bwd(cos_x, y_bar):
        print("called f_bwd!")
        return (cos_x * y_bar,)

    f.defvjp(f_fwd, f_bwd)
    print(f(3.))
    assert lines(capsys) == ["called f!", "0.14112"]
    print(grad(f)(3.))
    assert lines(capsys) == ["called f_fwd!", "called f!", "called f_bwd!", "-0.9899925"]
    y, f_vjp = vjp(f, 3.)
    print(y)
    assert lines(capsys) == ["called f_fwd!", "called f!", "0.14112"]
    print(f_vjp(1.))
    assert lines(capsys) == ["called f_bwd!",
                             "(Array(-0.9899925, dtype=float32, weak_type=True),)"]
    try:
        jvp(f, (3.,), (1.,))
    except TypeError as e:
        print('ERROR! {}'.format(e))
    assert lines(capsys) == ["called f_fwd!", "called f!",
                             "ERROR! can't apply forward-mode autodiff (jvp) to a custom_vjp "
                             "function."]


def test_custom_vjp_debugger_in_bwd(monkeypatch):
    """Seed 001's pdb example: bwd runs in plain Python with inspectable values."""
    seen = {}

    @custom_vjp
    def debug(x):
        return x  # acts like identity

    def debug_fwd(x):
        return x, x

    def debug_bwd(x, g):
        import pdb
        pdb.set_trace()
        return g

    def fake_set_trace(*args, **kwargs):
        import sys
        frame = sys._getframe(1)
        seen["x"], seen["g"] = frame.f_locals["x"], frame.f_locals["g"]

    import pdb
    monkeypatch.setattr(pdb, "set_trace", fake_set_trace)
    debug.defvjp(debug_fwd, lambda x, g: (debug_bwd(x, g),))

    def foo(x):
        y = x ** 2
        y = debug(y)  # insert pdb in corresponding backward pass step
        return jnp.sin(y)

    jax.grad(foo)(3.)
    # The seed's transcript predates weak-type reprs; JAX 0.10 prints
    # `Array(9., dtype=float32, weak_type=True)` here, as purejax does.
    assert repr(seen["x"]).startswith("Array(9., dtype=float32")
    assert repr(seen["g"]).startswith("Array(-0.91113025, dtype=float32")


# --- seed 001: pytrees ----------------------------------------------------------

Point = namedtuple("Point", ["x", "y"])


def test_pytrees_custom_jvp(capsys):
    @custom_jvp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2,
                'b': (jnp.sin(x), jnp.cos(y))}

    @f.defjvp
    def f_jvp(primals, tangents):
        pt, = primals
        pt_dot, = tangents
        ans = f(pt)
        ans_dot = {'a': 2 * pt.x * pt_dot.x,
                   'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
        return ans, ans_dot

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]

    pt = Point(1., 2.)
    print(f(pt))
    print(grad(fun)(pt))
    assert lines(capsys) == [
        "{'a': 1.0, 'b': (Array(0.84147096, dtype=float32, weak_type=True), "
        "Array(-0.41614684, dtype=float32, weak_type=True))}",
        "Point(x=Array(2.5403023, dtype=float32, weak_type=True), "
        "y=Array(0., dtype=float32, weak_type=True))"]


def test_pytrees_custom_vjp(capsys):
    @custom_vjp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2,
                'b': (jnp.sin(x), jnp.cos(y))}

    def f_fwd(pt):
        return f(pt), pt

    def f_bwd(pt, g):
        a_bar, (b0_bar, b1_bar) = g['a'], g['b']
        x_bar = 2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar
        y_bar = -jnp.sin(pt.y) * b1_bar
        return (Point(x_bar, y_bar),)

    f.defvjp(f_fwd, f_bwd)

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]

    pt = Point(1., 2.)
    print(f(pt))
    print(grad(fun)(pt))
    assert lines(capsys) == [
        "{'a': 1.0, 'b': (Array(0.84147096, dtype=float32, weak_type=True), "
        "Array(-0.41614684, dtype=float32, weak_type=True))}",
        "Point(x=Array(2.5403023, dtype=float32, weak_type=True), "
        "y=Array(-0., dtype=float32, weak_type=True))"]


# --- seed 001: nondiff_argnums --------------------------------------------------

def test_nondiff_argnums_custom_jvp(capsys):
    @partial(custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def app_jvp(f, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(x), 2. * x_dot

    print(app(lambda x: x ** 3, 3.))
    print(grad(app, 1)(lambda x: x ** 3, 3.))

    @partial(custom_jvp, nondiff_argnums=(0, 2))
    def app2(f, x, g):
        return f(g((x)))

    @app2.defjvp
    def app2_jvp(f, g, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(g(x)), 3. * x_dot

    print(app2(lambda x: x ** 3, 3., lambda y: 5 * y))
    print(grad(app2, 1)(lambda x: x ** 3, 3., lambda y: 5 * y))
    assert lines(capsys) == ["27.0", "2.0", "3375.0", "3.0"]


def test_nondiff_argnums_custom_vjp(capsys):
    @partial(custom_vjp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    def app_fwd(f, x):
        return f(x), x

    def app_bwd(f, x, g):
        return (5 * g,)

    app.defvjp(app_fwd, app_bwd)
    print(app(lambda x: x ** 2, 4.))
    print(grad(app, 1)(lambda x: x ** 2, 4.))
    assert lines(capsys) == ["16.0", "5.0"]


# --- seed 002: non-differentiable operations -------------------------------------

def test_stop_gradient_example(capsys):
    def f_normal(x):
        y = jnp.sin(x)
        z = jnp.cos(x)
        return y * z

    def f_stopped(x):
        y = jnp.sin(x)
        z = jax.lax.stop_gradient(jnp.cos(x))
        return y * z

    grad_f_normal = jax.grad(f_normal)
    grad_f_stopped = jax.grad(f_stopped)
    x_val = jnp.pi / 4.0
    print(f"x = {x_val:.3f}")
    print(f"f_normal(x) = {f_normal(x_val):.3f}")
    print(f"f_stopped(x) = {f_stopped(x_val):.3f}")
    print(f"{grad_f_normal(x_val):.3f}")
    print(f"{grad_f_stopped(x_val):.3f}")
    assert lines(capsys) == ["x = 0.785", "f_normal(x) = 0.500", "f_stopped(x) = 0.500",
                             "0.000", "0.500"]


def test_round_has_zero_gradient():
    assert float(jax.grad(lambda x: jnp.round(x))(2.7)) == 0.0
    assert float(jax.grad(lambda x: jnp.sign(x))(0.0)) == 0.0
    assert float(jax.grad(lambda x: jnp.floor(x) + jnp.ceil(x))(1.5)) == 0.0
    g = jax.grad(lambda x: x.astype(jnp.int32).astype(jnp.float32) * x)(2.5)
    assert float(g) == 2.0  # the integer cast contributes no derivative


def test_straight_through_estimator(capsys):
    @jax.custom_vjp
    def round_straight_through(x):
        """Forward uses jnp.round, backward is the identity."""
        return jnp.round(x)

    def round_straight_through_fwd(x):
        return round_straight_through(x), None

    def round_straight_through_bwd(residuals, g):
        return (g,)

    round_straight_through.defvjp(round_straight_through_fwd, round_straight_through_bwd)

    def ste_example(x):
        rounded_x = round_straight_through(x)
        return rounded_x * x

    grad_ste = jax.grad(ste_example)
    x_val = 2.7
    print(f"ste_example({x_val}) = {ste_example(x_val):.3f}")
    print(f"grad_ste({x_val}) = {grad_ste(x_val):.3f}")
    assert lines(capsys) == ["ste_example(2.7) = 8.100", "grad_ste(2.7) = 5.700"]


# --- seed 003: stable_sqrt with a custom JVP -------------------------------------

def test_stable_sqrt(capsys):
    @jax.custom_jvp
    def stable_sqrt(x):
        is_zero = (x == 0.0)
        safe_x = jnp.where(is_zero, 1.0, x)
        return jnp.sqrt(safe_x)

    @stable_sqrt.defjvp
    def stable_sqrt_jvp(primals, tangents):
        x, = primals
        t, = tangents
        primal_out = stable_sqrt(x)
        is_zero = (x == 0.0)
        safe_x = jnp.where(is_zero, 1.0, x)
        deriv = 0.5 * jax.lax.rsqrt(safe_x)
        tangent_out = jnp.where(is_zero, 0.0, deriv * t)
        return primal_out, tangent_out

    x_val = jnp.array(0.0)
    t_val = jnp.array(1.0)
    primal_output, tangent_output = jax.jvp(stable_sqrt, (x_val,), (t_val,))
    print(f"Input x: {x_val}")
    print(f"Input tangent t: {t_val}")
    print(f"Primal output (stable_sqrt(x)): {primal_output}")
    print(f"Tangent output (derivative at x * t): {tangent_output}")
    x_val_pos = jnp.array(4.0)
    primal_output_pos, tangent_output_pos = jax.jvp(stable_sqrt, (x_val_pos,), (t_val,))
    print(f"Input x: {x_val_pos}")
    print(f"Primal output (stable_sqrt(x)): {primal_output_pos}")
    print(f"Tangent output (derivative at x * t): {tangent_output_pos}")
    assert lines(capsys) == [
        "Input x: 0.0", "Input tangent t: 1.0", "Primal output (stable_sqrt(x)): 1.0",
        "Tangent output (derivative at x * t): 0.0",
        "Input x: 4.0", "Primal output (stable_sqrt(x)): 2.0",
        "Tangent output (derivative at x * t): 0.25"]
    assert float(jax.grad(stable_sqrt)(0.0)) == 0.0
    assert float(jax.grad(stable_sqrt)(4.0)) == 0.25
