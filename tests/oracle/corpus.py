"""A corpus of user-style functions, each written once against module handles so that
it runs unchanged under JAX and under purejax.

Each entry's ``make(jax, jnp, lax)`` returns the function; ``args`` is a tuple of
argument specs (``F``, ``I``, ``B``, ``S``, or pytrees of them: dicts, tuples,
namedtuples) from which both libraries get the same NumPy/Python inputs.

Entry options:
  diff   -- argument numbers to differentiate (default: every argument whose leaves are
            all floating point; Python floats count)
  vmap   -- False where batching does not apply (e.g. Python scalars that must stay
            Python scalars)
  hess   -- False to skip the hessian (slow or not twice differentiable)
  tol    -- tolerance multiplier for this entry
  skip   -- transforms to skip, each with a reason in ``why``
"""
from collections import namedtuple
from dataclasses import dataclass, field
from functools import partial

import numpy as np

Point = namedtuple("Point", ["x", "y"])
Params = namedtuple("Params", ["w", "b"])


# --- argument specs ----------------------------------------------------------------

@dataclass(frozen=True)
class F:
    """A floating array of the run's float dtype, uniform in [lo, hi)."""
    shape: tuple = ()
    lo: float = -2.0
    hi: float = 2.0
    fixed: object = None  # exact values (broadcast to shape)

    def make(self, rng, fdtype):
        if self.fixed is not None:
            return np.broadcast_to(np.asarray(self.fixed, fdtype), self.shape).copy()
        return rng.uniform(self.lo, self.hi, self.shape).astype(fdtype)


@dataclass(frozen=True)
class I:
    shape: tuple = ()
    lo: int = -5
    hi: int = 6

    def make(self, rng, fdtype):
        return rng.integers(self.lo, self.hi, self.shape).astype(np.int32)


@dataclass(frozen=True)
class B:
    shape: tuple = ()

    def make(self, rng, fdtype):
        return rng.integers(0, 2, self.shape).astype(bool)


@dataclass(frozen=True)
class S:
    """A Python scalar (weakly typed in both libraries)."""
    value: object

    def make(self, rng, fdtype):
        return self.value


def make_args(specs, rng, fdtype):
    def go(s):
        if isinstance(s, (F, I, B, S)):
            return s.make(rng, fdtype)
        if isinstance(s, dict):
            return {k: go(v) for k, v in s.items()}
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[go(v) for v in s])
        if isinstance(s, (tuple, list)):
            return type(s)(go(v) for v in s)
        raise TypeError(s)
    return tuple(go(s) for s in specs)


def spec_is_float(s):
    if isinstance(s, F):
        return True
    if isinstance(s, S):
        return isinstance(s.value, float)
    if isinstance(s, (I, B)):
        return False
    if isinstance(s, dict):
        return all(spec_is_float(v) for v in s.values())
    return all(spec_is_float(v) for v in s)


@dataclass
class Entry:
    name: str
    make: object
    args: tuple
    diff: tuple = None
    vmap: bool = True
    hess: bool = True
    tol: float = 1.0
    skip: dict = field(default_factory=dict)
    jaxpr: bool = False   # compare make_jaxpr text with JAX's
    jax_eager: bool = False  # run JAX's reference op by op instead of under jax.jit

    def __post_init__(self):
        if self.diff is None:
            self.diff = tuple(i for i, s in enumerate(self.args) if spec_is_float(s))
        if any(isinstance(s, S) for s in self.args):
            self.vmap = False


CORPUS = []


def entry(*args, name=None, **opts):
    def deco(make):
        CORPUS.append(Entry(name or make.__name__, make, args, **opts))
        return make
    return deco


# ===================================================================================
# Seeds' examples
# ===================================================================================

@entry(F(), jaxpr=True)
def log1pexp_plain(jax, jnp, lax):
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    return log1pexp


@entry(F((4,), -3, 120))
def log1pexp_plain_large(jax, jnp, lax):
    return lambda x: jnp.log(1. + jnp.exp(x))


@entry(F((4,), -3, 120))
def log1pexp_custom_jvp(jax, jnp, lax):
    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = log1pexp(x)
        ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
        return ans, ans_dot
    return log1pexp


@entry(F((3,), -2, 2))
def log1pexp_defjvps(jax, jnp, lax):
    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    log1pexp.defjvps(lambda t, ans, x: (1 - 1 / (1 + jnp.exp(x))) * t)
    return log1pexp


@entry(F((3,), 0.0, 4.0, fixed=[0.0, 1.0, 4.0]), hess=False, jax_eager=True)
def boundary_plain(jax, jnp, lax):
    return lambda x: x / (1 + jnp.sqrt(x))


@entry(F((3,), fixed=[0.0, 1.0, 4.0]), jax_eager=True)
def boundary_custom_jvp(jax, jnp, lax):
    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = f(x)
        ans_dot = ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * x_dot
        return ans, ans_dot
    return f


@entry(F((5,), 0, 10))
def clip_gradient_sin(jax, jnp, lax):
    @jax.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def fwd(lo, hi, x):
        return x, (lo, hi)

    def bwd(res, g):
        lo, hi = res
        return (None, None, jnp.clip(g, lo, hi))

    clip_gradient.defvjp(fwd, bwd)

    def clip_sin(x):
        x = clip_gradient(-0.75, 0.75, x)
        return jnp.sin(x)
    return clip_sin


@entry(F((4,), -3, 3), hess=False)
def ste_round(jax, jnp, lax):
    @jax.custom_vjp
    def round_st(x):
        return jnp.round(x)
    round_st.defvjp(lambda x: (round_st(x), None), lambda res, g: (g,))
    return lambda x: round_st(x) * x


@entry(F((4,), fixed=[0.0, 4.0, 2.0, 0.25]), jax_eager=True)
def stable_sqrt(jax, jnp, lax):
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
        deriv = 0.5 * lax.rsqrt(safe_x)
        tangent_out = jnp.where(is_zero, 0.0, deriv * t)
        return primal_out, tangent_out
    return stable_sqrt


@entry(Point(F(), F()))
def point_custom_jvp(jax, jnp, lax):
    @jax.custom_jvp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2, 'b': (jnp.sin(x), jnp.cos(y))}

    @f.defjvp
    def f_jvp(primals, tangents):
        pt, = primals
        pt_dot, = tangents
        ans = f(pt)
        ans_dot = {'a': 2 * pt.x * pt_dot.x,
                   'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
        return ans, ans_dot
    return f


@entry(Point(F(), F()))
def point_custom_jvp_fun(jax, jnp, lax):
    f = point_custom_jvp(jax, jnp, lax)

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]
    return fun


@entry(Point(F((3,)), F((3,))))
def point_custom_vjp(jax, jnp, lax):
    @jax.custom_vjp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2, 'b': (jnp.sin(x), jnp.cos(y))}

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
    return fun


@entry(F())
def app_nondiff_argnums(jax, jnp, lax):
    @partial(jax.custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def app_jvp(f, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(x), 2. * x_dot
    return lambda x: app(lambda x: x ** 3, x)


@entry(F())
def app2_nondiff_argnums(jax, jnp, lax):
    @partial(jax.custom_jvp, nondiff_argnums=(0, 2))
    def app2(f, x, g):
        return f(g((x)))

    @app2.defjvp
    def app2_jvp(f, g, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(g(x)), 3. * x_dot
    return lambda x: app2(lambda x: x ** 3, x, lambda y: 5 * y)


@entry(F())
def app_custom_vjp_nondiff(jax, jnp, lax):
    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)
    app.defvjp(lambda f, x: (f(x), x), lambda f, x, g: (5 * g,))
    return lambda x: app(lambda x: x ** 2, x)


def _fixed_point(jax, jnp, lax, custom):
    def fixed_point_plain(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)

        _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    if not custom:
        return fixed_point_plain
    fixed_point = partial(jax.custom_vjp, nondiff_argnums=(0,))(fixed_point_plain)

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)
    return fixed_point


@entry(F((), 0.5, 4.0), tol=10)
def newton_sqrt_while(jax, jnp, lax):
    fixed_point = _fixed_point(jax, jnp, lax, custom=False)
    return lambda a: fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)


@entry(F((), 0.5, 4.0), tol=10)
def newton_sqrt_custom_vjp(jax, jnp, lax):
    fixed_point = _fixed_point(jax, jnp, lax, custom=True)
    return lambda a: fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)


@entry(F(), F())
def tldr_custom_jvp(jax, jnp, lax):
    @jax.custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        return f(x, y), jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
    return f


@entry(F(), F())
def tldr_custom_vjp(jax, jnp, lax):
    @jax.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)
    f.defvjp(f_fwd, f_bwd)
    return f


@entry(F((3,)), F((3,)))
def custom_jvp_defjvps_partial(jax, jnp, lax):
    @jax.custom_jvp
    def f(x, y):
        return x ** 2 * y
    f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot, None)
    return f


@entry(F(), F())
def stop_gradient_product(jax, jnp, lax):
    def f(x, y):
        return jnp.sin(x) * lax.stop_gradient(jnp.cos(y * x))
    return f


# ===================================================================================
# Numerically delicate functions
# ===================================================================================

@entry(F((5,), -100, 100))
def softplus_nn(jax, jnp, lax):
    return jax.nn.softplus


@entry(F((5,), -30, 30))
def softplus_logaddexp(jax, jnp, lax):
    return lambda x: jnp.logaddexp(x, 0.)


@entry(F((6,), -6, 6), F((6,), -6, 6))
def logaddexp_pairs(jax, jnp, lax):
    return jnp.logaddexp


@entry(F((6,), -6, 6), F((6,), -6, 6))
def logaddexp2_pairs(jax, jnp, lax):
    return jnp.logaddexp2


@entry(F((6,), -6, 6), F((6,), -6, 6))
def logaddexp_chain(jax, jnp, lax):
    return lambda a, b: jnp.sum(jnp.logaddexp(a * b, jnp.sin(a)) * jnp.logaddexp2(b, 1.5))


@entry(F((2, 4), -50, 50))
def logsumexp_rows(jax, jnp, lax):
    return lambda x: jax.nn.logsumexp(x, axis=1)


@entry(F((4,), -5, 5))
def logsumexp_manual_stable(jax, jnp, lax):
    def lse(x):
        m = lax.stop_gradient(jnp.max(x))
        return m + jnp.log(jnp.sum(jnp.exp(x - m)))
    return lse


@entry(F((3,), fixed=0.0), hess=False, jax_eager=True)
def norm_at_zero(jax, jnp, lax):
    return lambda x: jnp.sqrt(jnp.sum(x ** 2))


@entry(F((3,), fixed=0.0), hess=False, jax_eager=True)
def linalg_norm_at_zero(jax, jnp, lax):
    return lambda x: jnp.linalg.norm(x)


@entry(F((3,)))
def linalg_norm(jax, jnp, lax):
    return lambda x: jnp.linalg.norm(x)


@entry(F((3,), fixed=0.0), jax_eager=True)
def safe_norm_where(jax, jnp, lax):
    def safe_norm(x):
        sq = jnp.sum(x ** 2)
        is_zero = sq == 0
        safe = jnp.where(is_zero, 1.0, sq)
        return jnp.where(is_zero, 0.0, jnp.sqrt(safe))
    return safe_norm


@entry(F((4,), fixed=[0.0, 0.5, 1.0, 2.0]), hess=False, jax_eager=True)
def xlogx_naive(jax, jnp, lax):
    return lambda x: x * jnp.log(x)


@entry(F((4,), fixed=[0.0, 0.5, 1.0, 2.0]), jax_eager=True)
def xlogx_where_guard(jax, jnp, lax):
    def f(x):
        safe = jnp.where(x > 0, x, 1.0)
        return jnp.where(x > 0, safe * jnp.log(safe), 0.0)
    return f


@entry(F((4,), fixed=[0.0, 0.5, 1.0, 2.0]), hess=False, jax_eager=True)
def xlogy_scipy(jax, jnp, lax):
    return lambda x: jax.scipy.special.xlogy(x, x)


@entry(F((4,), fixed=[0.0, 1.0, -2.0, 3.0]), F((4,), fixed=[0.0, 2.0, 0.0, 4.0]), hess=False, jax_eager=True)
def where_guarded_division(jax, jnp, lax):
    def f(x, y):
        safe_y = jnp.where(y == 0, 1.0, y)
        return jnp.where(y == 0, 0.0, x / safe_y)
    return f


@entry(F((3,), fixed=[0.0, 1.0, 9.0]), hess=False, jax_eager=True)
def sqrt_at_zero(jax, jnp, lax):
    return jnp.sqrt


@entry(F((5,), fixed=[-100.0, -20.0, 0.0, 20.0, 100.0]))
def sigmoid_large(jax, jnp, lax):
    return jax.nn.sigmoid


@entry(F((5,), fixed=[-100.0, -20.0, 0.0, 20.0, 100.0]), hess=False, jax_eager=True)
def sigmoid_naive(jax, jnp, lax):
    return lambda x: 1 / (1 + jnp.exp(-x))


@entry(F((5,), fixed=[-100.0, -20.0, 0.0, 20.0, 100.0]))
def tanh_large(jax, jnp, lax):
    return jnp.tanh


@entry(F((2, 5), -10, 10))
def softmax_axis(jax, jnp, lax):
    return lambda x: jax.nn.softmax(x, axis=-1)


@entry(F((2, 5), -10, 10))
def log_softmax(jax, jnp, lax):
    return lambda x: jax.nn.log_softmax(x, axis=-1)


@entry(F((5,), -3, 3))
def relu_gelu_silu(jax, jnp, lax):
    return lambda x: (jax.nn.relu(x), jax.nn.gelu(x), jax.nn.silu(x))


@entry(F((4,), fixed=[-1.0, 0.0, 0.0, 2.0]), hess=False, jax_eager=True)
def relu_at_zero(jax, jnp, lax):
    return jax.nn.relu


@entry(F((4,), fixed=[-1.0, 0.0, 0.5, 2.0]), hess=False, jax_eager=True)
def abs_at_zero(jax, jnp, lax):
    return jnp.abs


@entry(F((4,), fixed=[-1.0, 0.0, 0.5, 2.0]), F((4,), fixed=[-1.0, 0.0, 1.0, 1.0]), hess=False, jax_eager=True)
def max_min_ties(jax, jnp, lax):
    return lambda x, y: (jnp.maximum(x, y), jnp.minimum(x, y))


@entry(F((4,), fixed=[1.0, 3.0, 3.0, 2.0]), hess=False, jax_eager=True)
def max_reduce_ties(jax, jnp, lax):
    return lambda x: jnp.max(x)


@entry(F((4,), fixed=[-0.5, 0.0, 1e-8, 0.5]))
def log1p_expm1(jax, jnp, lax):
    return lambda x: (jnp.log1p(x), jnp.expm1(x))


@entry(F((4,), 0.1, 3.0))
def pow_float(jax, jnp, lax):
    return lambda x: x ** 2.5 + x ** -1.5


@entry(F((4,), 0.1, 3.0), F((4,), -2, 2))
def pow_both(jax, jnp, lax):
    return lambda x, y: jnp.power(x, y)


@entry(F((3,), fixed=[0.0, 1.0, 2.0]), hess=False, jax_eager=True)
def pow_zero_base(jax, jnp, lax):
    return lambda x: x ** 3 + x ** 2


@entry(F((4,), -0.9, 0.9))
def trig_inverse(jax, jnp, lax):
    return lambda x: jnp.arcsin(x) + jnp.arccos(x) * jnp.arctan(x)


@entry(F((4,), -3, 3), F((4,), -3, 3))
def arctan2_hypot(jax, jnp, lax):
    return lambda y, x: (jnp.arctan2(y, x), jnp.hypot(x, y))


@entry(F((4,), 0.5, 3.0))
def special_functions(jax, jnp, lax):
    return lambda x: (lax.lgamma(x), lax.erf(x - 1), lax.digamma(x))


@entry(F((4,), -3, 3))
def clip_and_sign(jax, jnp, lax):
    return lambda x: jnp.clip(x, -1.0, 1.0) * jnp.sign(x) + jnp.floor(x)


@entry(F((4,), -3, 3))
def log_cosh_stable(jax, jnp, lax):
    return lambda x: jnp.abs(x) + jnp.log1p(jnp.exp(-2 * jnp.abs(x))) - jnp.log(2.0)


# ===================================================================================
# Integer and boolean paths
# ===================================================================================

@entry(F((5,)))
def argmax_onehot(jax, jnp, lax):
    def f(x):
        i = jnp.argmax(x)
        return i, x[i], jax.nn.one_hot(i, 5)
    return f


@entry(F((2, 4)))
def argmin_axis(jax, jnp, lax):
    return lambda x: (jnp.argmin(x, axis=1), jnp.argsort(x[0]))


@entry(I((4,)), I((4,), 1, 5))
def int_arithmetic(jax, jnp, lax):
    return lambda a, b: (a + b, a * b, a // b, a % b, -a, jnp.abs(a), a ** 2)


@entry(I((4,)), I((4,)))
def int_comparisons(jax, jnp, lax):
    return lambda a, b: (a < b, a == b, a >= b, jnp.logical_and(a > 0, b > 0))


@entry(B((4,)), B((4,)))
def bool_logic(jax, jnp, lax):
    return lambda a, b: (a & b, a | b, ~a, a ^ b, jnp.any(a), jnp.all(b), jnp.sum(a))


@entry(F((4,)), I((4,)))
def mixed_int_float(jax, jnp, lax):
    return lambda x, i: jnp.asarray(x) * i + jnp.asarray(i) / 2 + x ** 2


@entry(F((4,), -3, 3))
def casts(jax, jnp, lax):
    def f(x):
        i = x.astype(jnp.int32)
        b = x > 0
        return i, b.astype(jnp.float32) * x, i.astype(x.dtype) * x, jnp.asarray(b, jnp.int32) + 1
    return f


@entry(F((4,)))
def count_positive(jax, jnp, lax):
    return lambda x: (jnp.sum(x > 0), jnp.count_nonzero(x > 1), jnp.mean(x > 0))


@entry(I((5,), 0, 10))
def int_reductions(jax, jnp, lax):
    return lambda a: (jnp.sum(a), jnp.prod(a[:3]), jnp.max(a), jnp.cumsum(a))


@entry(F((4,)), S(3))
def weak_int_scalar(jax, jnp, lax):
    return lambda x, n: x * n + n


@entry(S(2.0), S(3.0))
def weak_float_scalars(jax, jnp, lax):
    return lambda x, y: jnp.sin(x) * y + x ** 2


@entry(F((3,)))
def weak_literals(jax, jnp, lax):
    return lambda x: (x + 1, x * 2.0, jnp.float32(2) * x, 1.0 - x)


@entry(I((3,)))
def int_to_float_promotion(jax, jnp, lax):
    return lambda i: (jnp.asarray(i) + 1.5, jnp.asarray(i) * 2, jnp.asarray(i) / 3,
                      jnp.sqrt(i.astype(jnp.float32) ** 2))


@entry(F((4,)))
def where_bool_mask(jax, jnp, lax):
    return lambda x: jnp.where(x > 0, x, 0.1 * x)


@entry(F((3,)), I(()))
def dynamic_int_index(jax, jnp, lax):
    return lambda x, i: x[jnp.clip(i, 0, 2)] * x


# ===================================================================================
# Pytrees in and out, closures
# ===================================================================================

@entry({"w": F((3, 2)), "b": F((2,))}, F((4, 3)))
def dense_layer_dict(jax, jnp, lax):
    return lambda p, x: jnp.tanh(x @ p["w"] + p["b"])


@entry(Params(F((3, 2)), F((2,))), F((4, 3)))
def dense_layer_namedtuple(jax, jnp, lax):
    def f(p, x):
        y = jnp.tanh(x @ p.w + p.b)
        return {"out": y, "norm": jnp.sum(y ** 2), "params": Params(p.w * 2, p.b)}
    return f


@entry((F((3,)), (F(()), F((2,)))))
def nested_tuple_in(jax, jnp, lax):
    def f(t):
        a, (b, c) = t
        return jnp.sum(a * b) + jnp.prod(c)
    return f


@entry(F((3,)))
def tuple_out_mixed(jax, jnp, lax):
    return lambda x: (x, [jnp.sin(x), {"c": jnp.cos(x)}], Point(x[0], x[1:]))


@entry([F((2,)), F((2,)), F((2,))])
def list_input(jax, jnp, lax):
    return lambda xs: sum(jnp.dot(x, x) for x in xs)


@entry(F((3,)))
def closure_over_constant(jax, jnp, lax):
    w = np.array([1.0, -2.0, 0.5], np.float32)
    return lambda x: jnp.sum(jnp.sin(x * w))


@entry(F((3,)), F(()))
def closure_inner_grad(jax, jnp, lax):
    def f(x, s):
        def inner(y):
            return jnp.sum(jnp.sin(y * s))
        return jax.grad(inner)(x) * s
    return f


@entry(F((3,)))
def closure_factory(jax, jnp, lax):
    def make_scaler(k):
        return lambda v: v * k
    fs = [make_scaler(k) for k in (1.0, 2.0, 3.0)]
    return lambda x: sum(f(x) for f in fs) + jnp.exp(x)


@entry(F((3,)), F((3,)))
def nested_jit_inside(jax, jnp, lax):
    @jax.jit
    def g(a, b):
        return a * jnp.sin(b)
    return lambda x, y: g(x, y) + g(y, x)


@entry(F((3,)))
def value_and_grad_inside(jax, jnp, lax):
    def f(x):
        v, g = jax.value_and_grad(lambda y: jnp.sum(y ** 3))(x)
        return v + jnp.sum(g * x)
    return f


@entry(F((3,)))
def vmap_inside(jax, jnp, lax):
    return lambda x: jax.vmap(lambda a: a * x)(x)


@entry(F((3,)))
def jvp_inside(jax, jnp, lax):
    return lambda x: jax.jvp(jnp.sin, (x,), (jnp.ones_like(x),))


@entry(F((3,)))
def vjp_inside(jax, jnp, lax):
    def f(x):
        y, pull = jax.vjp(lambda a: jnp.cumsum(a * a), x)
        return pull(y)[0]
    return f


# ===================================================================================
# custom_jvp / custom_vjp beyond the seeds
# ===================================================================================

@entry(F((3,)), F((3,)))
def custom_vjp_two_outputs(jax, jnp, lax):
    @jax.custom_vjp
    def f(x, y):
        return x * y, jnp.sin(x)

    def fwd(x, y):
        return f(x, y), (x, y)

    def bwd(res, g):
        x, y = res
        g1, g2 = g
        return (g1 * y + g2 * jnp.cos(x), g1 * x)
    f.defvjp(fwd, bwd)
    return f


@entry(F((3,)))
def custom_jvp_composed_twice(jax, jnp, lax):
    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)
    f.defjvps(lambda t, ans, x: jnp.cos(x) * t)
    return lambda x: f(f(x)) * x


@entry(F((3,)))
def custom_vjp_inside_jit_vmap(jax, jnp, lax):
    @jax.custom_vjp
    def f(x):
        return jnp.exp(x)
    f.defvjp(lambda x: (jnp.exp(x), jnp.exp(x)), lambda r, g: (r * g,))
    return jax.jit(lambda x: jax.vmap(f)(x) * 2)


@entry(F((3,)))
def custom_jvp_with_int_output(jax, jnp, lax):
    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)
    f.defjvps(lambda t, ans, x: jnp.cos(x) * t)
    return lambda x: (f(x), jnp.argmax(f(x)))


@entry(F((3,)), F(()), jax_eager=True)
def custom_vjp_closure(jax, jnp, lax):
    def f(x, s):
        @jax.custom_vjp
        def scaled(v):
            return v * s

        scaled.defvjp(lambda v: (v * s, None), lambda r, g: (g * s,))
        return jnp.sum(scaled(x) ** 2)
    return f


@entry(F((3,)))
def custom_jvp_where_guard(jax, jnp, lax):
    @jax.custom_jvp
    def safe_log(x):
        return jnp.log(jnp.where(x > 0, x, 1.0))

    @safe_log.defjvp
    def _(primals, tangents):
        x, = primals
        t, = tangents
        return safe_log(x), jnp.where(x > 0, t / jnp.where(x > 0, x, 1.0), 0.0)
    return safe_log


@entry(F((2, 3)))
def custom_vjp_gradient_scale(jax, jnp, lax):
    @jax.custom_vjp
    def scale_grad(x):
        return x
    scale_grad.defvjp(lambda x: (x, None), lambda r, g: (0.1 * g,))
    return lambda x: jnp.sum(jnp.tanh(scale_grad(x * 2.0)), axis=0)


# ===================================================================================
# Control flow
# ===================================================================================

@entry(F((3,)), F(()))
def cond_simple(jax, jnp, lax):
    return lambda x, p: lax.cond(p > 0, lambda v: jnp.sin(v), lambda v: v ** 2, x)


@entry(F((3,)), F(()))
def cond_pytree_operands(jax, jnp, lax):
    def f(x, p):
        return lax.cond(p > 0, lambda a, b: (a * b, {"s": jnp.sum(a)}),
                        lambda a, b: (a - b, {"s": jnp.max(a)}), x, p)
    return f


@entry(F((3,)), I((), 0, 3))
def switch_three(jax, jnp, lax):
    branches = [lambda v: jnp.sin(v), lambda v: jnp.cos(v) * 2, lambda v: v ** 3]
    return lambda x, i: lax.switch(i, branches, x)


@entry(F((3,)), I((), -2, 6))
def switch_clamped_index(jax, jnp, lax):
    branches = [lambda v: v + 1.0, lambda v: v * v]
    return lambda x, i: lax.switch(i, branches, x)


@entry(F((), 0.5, 2.0))
def while_loop_count(jax, jnp, lax):
    def f(x):
        def body(c):
            i, v = c
            return i + 1, v * 1.5
        return lax.while_loop(lambda c: c[1] < 10.0, body, (0, x))
    return f


@entry(F((3,)))
def fori_loop_static(jax, jnp, lax):
    return lambda x: lax.fori_loop(0, 5, lambda i, v: jnp.sin(v) + i, x)


@entry(F((3,)), I((), 1, 4), jax_eager=True)
def fori_loop_dynamic(jax, jnp, lax):
    return lambda x, n: lax.fori_loop(0, n, lambda i, v: v * 0.9 + 0.1, x)


@entry(F((5,)))
def scan_cumsum(jax, jnp, lax):
    def f(xs):
        def step(c, x):
            c = c + x
            return c, c * c
        return lax.scan(step, 0.0, xs)
    return f


@entry(F((4, 2)), F((2,)))
def scan_rnn(jax, jnp, lax):
    def f(xs, h0):
        w = np.array([[0.5, -0.2], [0.1, 0.3]], np.float32)

        def step(h, x):
            h = jnp.tanh(h @ w + x)
            return h, jnp.sum(h)
        return lax.scan(step, h0, xs)
    return f


@entry(F((4,)))
def scan_reverse_length(jax, jnp, lax):
    def f(x):
        def step(c, _):
            return c * 0.5 + jnp.sin(c), c
        return lax.scan(step, x, None, length=3, reverse=True)
    return f


@entry(F((3,)))
def cond_inside_scan(jax, jnp, lax):
    def f(xs):
        def step(c, x):
            c = lax.cond(x > 0, lambda a: a + x, lambda a: a * x, c)
            return c, c
        return lax.scan(step, 1.0, xs)
    return f


@entry(F((3,)))
def scan_inside_cond(jax, jnp, lax):
    def f(x):
        def loop(v):
            return lax.scan(lambda c, a: (c + a, c * a), 0.0, v)[1]
        return lax.cond(jnp.sum(x) > 0, loop, lambda v: v * 2, x)
    return f


@entry(F((3,)))
def map_over_rows(jax, jnp, lax):
    return lambda x: lax.map(lambda v: jnp.sin(v) * v, x)


@entry(F(()), F(()))
def select_scalar(jax, jnp, lax):
    return lambda x, y: lax.select(x > y, x * y, x - y)


# ===================================================================================
# Indexing and .at[] updates
# ===================================================================================

@entry(F((4, 3)))
def static_slicing(jax, jnp, lax):
    return lambda x: (x[1], x[:, 0], x[1:3, ::2], x[::-1], x[-1, -1], x[None, 0])


@entry(F((5,)), I((3,), 0, 5))
def array_indexing(jax, jnp, lax):
    return lambda x, idx: x[idx] * 2


@entry(F((4, 3)), I((2,), 0, 4))
def array_indexing_2d(jax, jnp, lax):
    return lambda x, idx: (x[idx], x[idx, 1], x[:, jnp.array([0, 2])])


@entry(F((5,)))
def boolean_mask_static(jax, jnp, lax):
    mask = np.array([True, False, True, True, False])
    return lambda x: x[mask]


@entry(F((5,)), F(()))
def at_set(jax, jnp, lax):
    return lambda x, v: jnp.asarray(x).at[2].set(v)


@entry(F((5,)), F((3,)))
def at_add_dup(jax, jnp, lax):
    idx = np.array([0, 2, 0])
    return lambda x, v: jnp.asarray(x).at[idx].add(v)


@entry(F((4, 3)), F((3,)))
def at_mul_row(jax, jnp, lax):
    return lambda x, v: jnp.asarray(x).at[1].mul(v)


@entry(F((5,)), F((2,)))
def at_min_max_slice(jax, jnp, lax):
    return lambda x, v: (jnp.asarray(x).at[1:3].min(v), jnp.asarray(x).at[3:].max(v))


@entry(F((5,)))
def at_get_oob_fill(jax, jnp, lax):
    return lambda x: jnp.asarray(x).at[np.array([0, 4, 7])].get(mode="fill", fill_value=-1.0)


@entry(F((5,)), I((), 0, 5))
def dynamic_slice(jax, jnp, lax):
    return lambda x, i: lax.dynamic_slice(x, (jnp.minimum(i, 2),), (3,))


@entry(F((5,)), F((2,)), I((), 0, 5))
def dynamic_update_slice(jax, jnp, lax):
    return lambda x, u, i: lax.dynamic_update_slice(x, u, (i,))


@entry(F((3, 4)))
def take_along_axis(jax, jnp, lax):
    return lambda x: jnp.take_along_axis(x, jnp.argsort(x, axis=1), axis=1)


@entry(F((3, 4)))
def sort_values(jax, jnp, lax):
    return lambda x: (jnp.sort(x, axis=1), jnp.sort(x, axis=0))


@entry(F((6,)))
def negative_strides_concat(jax, jnp, lax):
    return lambda x: jnp.concatenate([x[::2], x[1::2][::-1], x[:1]])


# ===================================================================================
# Reductions
# ===================================================================================

@entry(F((2, 3, 4)))
def sum_axes(jax, jnp, lax):
    return lambda x: (jnp.sum(x), jnp.sum(x, axis=1), jnp.sum(x, axis=(0, 2), keepdims=True))


@entry(F((3, 4)))
def mean_var_std(jax, jnp, lax):
    return lambda x: (jnp.mean(x, axis=0), jnp.var(x, axis=1), jnp.std(x))


@entry(F((3, 4), 0.5, 2))
def prod_reduce(jax, jnp, lax):
    return lambda x: (jnp.prod(x, axis=1), jnp.prod(x))


@entry(F((3, 4)))
def max_min_reduce(jax, jnp, lax):
    return lambda x: (jnp.max(x, axis=0), jnp.min(x, axis=1), jnp.ptp(x))


@entry(F((5,)))
def cumulative(jax, jnp, lax):
    return lambda x: (jnp.cumsum(x), jnp.cumprod(x), lax.cummax(x))


@entry(F((3, 4)))
def normalize_rows(jax, jnp, lax):
    return lambda x: (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-3)


@entry(F((2, 3)))
def methods_on_arrays(jax, jnp, lax):
    return lambda x: (x.sum(), x.T, x.reshape(3, 2), x.max(axis=1), x.mean())


# ===================================================================================
# dot / matmul / einsum
# ===================================================================================

@entry(F((3, 4)), F((4, 2)), jaxpr=True)
def matmul_2d(jax, jnp, lax):
    return lambda a, b: a @ b


@entry(F((4,)), F((4, 2)))
def matvec_vecmat(jax, jnp, lax):
    return lambda v, m: (v @ m, m.T @ v, jnp.dot(v, v))


@entry(F((2, 3, 4)), F((2, 4, 5)))
def batched_matmul(jax, jnp, lax):
    return lambda a, b: jnp.matmul(a, b)


@entry(F((3, 4)), F((4, 5)), F((5,)))
def einsum_chain(jax, jnp, lax):
    return lambda a, b, c: jnp.einsum("ij,jk,k->i", a, b, c)


@entry(F((2, 3)), F((3, 2)))
def einsum_trace_outer(jax, jnp, lax):
    return lambda a, b: (jnp.einsum("ij,ji->", a, b), jnp.einsum("i,j->ij", a[0], b[:, 0]))


@entry(F((2, 3)), F((2, 3)))
def dot_general_contract_batch(jax, jnp, lax):
    return lambda a, b: lax.dot_general(a, b, (((1,), (1,)), ((0,), (0,))))


@entry(F((3,)), F((3,)))
def inner_outer_cross(jax, jnp, lax):
    return lambda a, b: (jnp.inner(a, b), jnp.outer(a, b), jnp.cross(a, b))


@entry(F((3, 3)))
def tensordot_trace(jax, jnp, lax):
    return lambda a: (jnp.tensordot(a, a, axes=1), jnp.trace(a), jnp.diag(a))


@entry(F((4,)), F((3, 4)))
def mlp_two_layers(jax, jnp, lax):
    w2 = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)

    def f(x, w1):
        h = jax.nn.relu(w1 @ x)
        return jnp.sum(jax.nn.log_softmax(h @ w2))
    return f


# ===================================================================================
# Broadcasting and shape manipulation
# ===================================================================================

@entry(F((3, 1)), F((4,)))
def broadcast_add(jax, jnp, lax):
    return lambda a, b: a + b


@entry(F((2, 1, 3)), F((4, 1)))
def broadcast_mul_3d(jax, jnp, lax):
    return lambda a, b: a * b - b


@entry(F((3,)), F(()))
def scalar_broadcast(jax, jnp, lax):
    return lambda x, s: x * s + s ** 2


@entry(F((2, 3)))
def reshape_transpose(jax, jnp, lax):
    return lambda x: (x.reshape(-1), x.T.reshape(3, 2, 1), jnp.transpose(x[None], (2, 0, 1)))


@entry(F((3,)))
def broadcast_to_tile(jax, jnp, lax):
    return lambda x: (jnp.broadcast_to(x, (2, 3)), jnp.tile(x, 2), jnp.repeat(x, 2))


@entry(F((2, 3)), F((2, 3)))
def stack_concat(jax, jnp, lax):
    return lambda a, b: (jnp.stack([a, b]), jnp.concatenate([a, b], axis=1), jnp.vstack([a, b]))


@entry(F((2, 1, 3)))
def squeeze_expand(jax, jnp, lax):
    return lambda x: (jnp.squeeze(x, 1), jnp.expand_dims(x, 0), x[:, 0, :, None])


@entry(F((4,)))
def pad_roll_flip(jax, jnp, lax):
    return lambda x: (jnp.pad(x, (1, 2)), jnp.roll(x, 1), jnp.flip(x))


@entry(F((3, 3)))
def triangular(jax, jnp, lax):
    return lambda x: (jnp.tril(x), jnp.triu(x, 1), x * jnp.eye(3))


@entry(F((2, 3)))
def split_and_sum(jax, jnp, lax):
    def f(x):
        a, b, c = jnp.split(x, 3, axis=1)
        return a * b + c
    return f


@entry(F((4,)))
def linspace_arange_const(jax, jnp, lax):
    return lambda x: x * jnp.linspace(0.0, 1.0, 4) + jnp.arange(4) + jnp.zeros(4) + jnp.full((4,), 2.0)


@entry(F((3,)))
def elementwise_grab_bag(jax, jnp, lax):
    def f(x):
        return (jnp.sin(x) * jnp.cos(x) + jnp.tan(x / 3) + jnp.sinh(x) / (1 + jnp.cosh(x))
                + jnp.exp2(x) + jnp.log2(x ** 2 + 1) + jnp.log10(x ** 2 + 1) + jnp.cbrt(x ** 2 + 1)
                + jnp.reciprocal(x ** 2 + 1) + jnp.square(x) + jnp.arctanh(x / 3)
                + jnp.arcsinh(x) + jnp.arccosh(x ** 2 + 1.5))
    return f


@entry(F((3,), fixed=[1.0, 0.0, -2.0]), F((3,), fixed=[-1.0, 0.0, 2.0]), hess=False, jax_eager=True)
def copysign_remainder(jax, jnp, lax):
    return lambda x, y: (jnp.copysign(x, y), jnp.fmod(x + 3.5, 2.0), jnp.remainder(x + 3.5, 2.0))


@entry(F((3,)), F((3,)))
def lax_level_binary(jax, jnp, lax):
    return lambda x, y: lax.add(lax.mul(x, y), lax.max(x, lax.neg(y))) - lax.div(x, lax.exp(y))


@entry(F((3,)), jaxpr=True)
def lax_level_unary(jax, jnp, lax):
    return lambda x: lax.sin(lax.cos(x)) * lax.exp(x) + lax.tanh(x) - lax.log(lax.exp(x))


@entry(F((2, 3)), jaxpr=True)
def lax_reduce_broadcast(jax, jnp, lax):
    def f(x):
        s = jnp.sum(x, axis=1)
        return lax.broadcast_in_dim(s, (2, 3), (0,)) * x
    return f


@entry(F((3,)), F((3,)), jaxpr=True)
def jaxpr_mul_sin(jax, jnp, lax):
    return lambda x, y: jnp.sin(x) * y + x


@entry(F((3,)), jaxpr=True)
def jaxpr_grad_body(jax, jnp, lax):
    return jax.grad(lambda x: jnp.sum(jnp.tanh(x) ** 2))


@entry(F((3,)), jaxpr=True)
def jaxpr_jit_inside(jax, jnp, lax):
    g = jax.jit(lambda v: jnp.exp(v) * 2.0)
    return lambda x: g(x) + 1.0


@entry(F((3,)), F(()), jaxpr=True)
def jaxpr_cond(jax, jnp, lax):
    return lambda x, p: lax.cond(p > 0, jnp.sin, jnp.cos, x)


@entry(F((4,)), jaxpr=True)
def jaxpr_scan(jax, jnp, lax):
    return lambda xs: lax.scan(lambda c, x: (c + x, c * x), 0.0, xs)
