"""The seed documents' examples, run with purejax in place of JAX.

Each block prints what the seed shows; tests/test_seeds.py checks every number.
"""
from functools import partial

import purejax as jax
import purejax.numpy as jnp
from purejax import custom_jvp, custom_vjp, grad, jit, jvp, make_jaxpr, vjp, vmap


def section(title):
    print(f"\n== {title}")


section("TL;DR: custom_jvp")


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

section("TL;DR: custom_vjp")


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

section("Numerical stability: log1pexp")


def log1pexp(x):
    return jnp.log(1. + jnp.exp(x))


print(repr(log1pexp(3.)))
print(jit(log1pexp)(3.))
print(jit(grad(log1pexp))(3.))
print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
print(grad(log1pexp)(100.))
print(make_jaxpr(grad(log1pexp))(100.))


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

section("Enforcing a differentiation convention")


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

section("Gradient clipping")


@custom_vjp
def clip_gradient(lo, hi, x):
    return x  # identity function


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)  # save bounds as residuals


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))  # None: zero cotangents for lo and hi


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


def clip_sin(x):
    x = clip_gradient(-0.75, 0.75, x)
    return jnp.sin(x)


t = jnp.linspace(0, 10, 5)
print(vmap(grad(jnp.sin))(t))
print(vmap(grad(clip_sin))(t))

section("custom_jvp side effects")


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
print(vmap(f)(jnp.arange(3.)))
print(jit(f)(3.))
y, y_dot = jvp(f, (3.,), (1.,))
print(y_dot)
print(grad(f)(3.))
print(repr(grad(grad(f))(3.)))

section("Python control flow in custom_jvp")


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

section("custom_vjp side effects")


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
print(grad(f)(3.))
y, f_vjp = vjp(f, 3.)
print(y)
print(f_vjp(1.))
try:
    jvp(f, (3.,), (1.,))
except TypeError as e:
    print('ERROR! {}'.format(e))

section("Pytrees")
from collections import namedtuple  # noqa: E402

Point = namedtuple("Point", ["x", "y"])


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

section("nondiff_argnums")


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

section("Straight-through estimator (seed 002)")


@jax.custom_vjp
def round_straight_through(x):
    return jnp.round(x)


def round_straight_through_fwd(x):
    return round_straight_through(x), None


def round_straight_through_bwd(residuals, g):
    return (g,)


round_straight_through.defvjp(round_straight_through_fwd, round_straight_through_bwd)


def ste_example(x):
    return round_straight_through(x) * x


x_val = 2.7
print(f"ste_example({x_val}) = {ste_example(x_val):.3f}")
print(f"grad_ste({x_val}) = {grad(ste_example)(x_val):.3f}")

section("stop_gradient (seed 002)")


def f_normal(x):
    return jnp.sin(x) * jnp.cos(x)


def f_stopped(x):
    return jnp.sin(x) * jax.lax.stop_gradient(jnp.cos(x))


x_val = jnp.pi / 4.0
print(f"grad normal = {grad(f_normal)(x_val):.3f}")
print(f"grad stopped = {grad(f_stopped)(x_val):.3f}")
print(grad(lambda x: jnp.round(x))(2.7))

section("Implicit differentiation of a while_loop fixed point (seed 001)")
from purejax.lax import while_loop  # noqa: E402


@partial(custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)

    _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def fixed_point_fwd(f, a, x_init):
    x_star = fixed_point(f, a, x_init)
    return x_star, (a, x_star)


def fixed_point_rev(f, res, x_star_bar):
    a, x_star = res
    _, vjp_a = vjp(lambda a: f(a, x_star), a)
    a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
    return a_bar, jnp.zeros_like(x_star)


def rev_iter(f, packed, u):
    a, x_star, x_star_bar = packed
    _, vjp_x = vjp(lambda x: f(a, x), x_star)
    return x_star_bar + vjp_x(u)[0]


fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)


def newton_sqrt(a):
    update = lambda a, x: 0.5 * (x + a / x)
    return fixed_point(update, a, a)


print(newton_sqrt(2.))
print(jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))
print(grad(newton_sqrt)(2.))
print(grad(grad(newton_sqrt))(2.))
print(grad(jnp.sqrt)(2.))
print(grad(grad(jnp.sqrt))(2.))
