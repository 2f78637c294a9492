"""Neural-network activation functions and helpers (public as purejax.nn).

As in JAX, relu and relu6 have custom JVP rules so that their derivative at the
kinks is 0 (relu'(0) = 0, not the 0.5 that max's tie-splitting would give);
softmax/log_softmax/logsumexp shift by the maximum with its gradient stopped,
which is exact because the result does not depend on the shift.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from purejax._src import dtypes
from purejax._src import lax
from purejax._src.custom_derivatives import custom_jvp
from purejax._src.numpy import lax_numpy as jnp_lax_numpy
from purejax._src.numpy import reductions, ufuncs, util
from purejax._src.numpy.util import check_arraylike, promote_args_inexact


def _asarray(x):
    check_arraylike("nn", x)
    return util.canonicalize_operand(x)


def _stop_gradient(x):
    fn = getattr(lax, "stop_gradient", None)
    if fn is None:
        raise NotImplementedError("lax.stop_gradient is not implemented yet in purejax")
    return fn(x)


@custom_jvp
def relu(x):
    """max(x, 0), with derivative 0 at x == 0 (JAX's choice)."""
    return ufuncs.maximum(x, 0)


def _relu_jvp(primals, tangents):
    # As JAX: a select, not t * (x > 0), so that an inf or NaN tangent (cotangent)
    # meets an inactive unit as 0, not NaN.
    (x,), (t,) = primals, tangents
    return relu(x), lax.select(ufuncs.greater(x, 0), t, lax.full_like(t, 0))


relu.defjvp(_relu_jvp)


@custom_jvp
def relu6(x):
    """min(max(x, 0), 6), with derivative 0 at both kinks (as JAX)."""
    return ufuncs.minimum(ufuncs.maximum(x, 0), 6.0)


def _relu6_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    inside = ufuncs.logical_and(ufuncs.greater(x, 0), ufuncs.less(x, 6.0))
    return relu6(x), lax.select(inside, t, lax.full_like(t, 0))


relu6.defjvp(_relu6_jvp)


def sigmoid(x):
    """1 / (1 + exp(-x)), i.e. lax.logistic."""
    (x,) = promote_args_inexact("sigmoid", x)
    fn = getattr(lax, "logistic", None)
    if fn is not None:
        return fn(x)
    return ufuncs.true_divide(1, ufuncs.add(1, ufuncs.exp(ufuncs.negative(x))))


def softplus(x):
    """log(1 + exp(x)), computed stably as logaddexp(x, 0)."""
    return ufuncs.logaddexp(x, 0)


def sparse_plus(x):
    x = _ensure("sparse_plus", x)
    return jnp_lax_numpy.where(
        ufuncs.less_equal(x, -1.0), 0.0,  # (+0, as JAX: x * 0 gave -0, and NaN at -inf)
        jnp_lax_numpy.where(ufuncs.greater_equal(x, 1.0), x,
                            ufuncs.multiply(0.25, ufuncs.square(ufuncs.add(x, 1.0)))))


def soft_sign(x):
    """x / (|x| + 1)."""
    x = _asarray(x)
    return ufuncs.true_divide(x, ufuncs.add(ufuncs.absolute(x), 1))


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    x = _asarray(x)
    return ufuncs.multiply(x, sigmoid(x))


swish = silu


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    x = _asarray(x)
    return ufuncs.negative(softplus(ufuncs.negative(x)))


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit: the tanh approximation by default, the exact
    x * Phi(x) (via erf) with approximate=False."""
    (x,) = promote_args_inexact("gelu", x)
    dt = x.dtype
    if approximate:
        c = np.asarray(np.sqrt(2 / np.pi), dt)
        inner = ufuncs.multiply(c, ufuncs.add(x, ufuncs.multiply(0.044715, ufuncs.power(x, 3))))
        cdf = ufuncs.multiply(0.5, ufuncs.add(1.0, ufuncs.tanh(inner)))
        return ufuncs.multiply(x, cdf)
    erf = getattr(lax, "erf", None)
    if erf is None:
        raise NotImplementedError("gelu(approximate=False) needs lax.erf")
    sqrt_half = np.asarray(np.sqrt(0.5), dt)
    return ufuncs.multiply(ufuncs.multiply(0.5, x),
                           ufuncs.add(1.0, erf(ufuncs.multiply(x, sqrt_half))))


def elu(x, alpha: Any = 1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise (no overflow in the unused branch)."""
    x = _asarray(x)
    pos = ufuncs.greater(x, 0)
    safe_x = jnp_lax_numpy.where(pos, 0.0, x)
    return jnp_lax_numpy.where(pos, x, ufuncs.multiply(alpha, ufuncs.expm1(safe_x)))


def leaky_relu(x, negative_slope: Any = 1e-2):
    x = _asarray(x)
    return jnp_lax_numpy.where(ufuncs.greater_equal(x, 0), x,
                               ufuncs.multiply(negative_slope, x))


def celu(x, alpha: Any = 1.0):
    x = _asarray(x)
    return ufuncs.add(ufuncs.maximum(x, 0.0),
                      ufuncs.multiply(alpha, ufuncs.expm1(
                          ufuncs.true_divide(ufuncs.minimum(x, 0.0), alpha))))


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return ufuncs.multiply(scale, elu(x, alpha))


def hard_tanh(x):
    x = _asarray(x)
    return jnp_lax_numpy.where(ufuncs.greater(x, 1), 1,
                               jnp_lax_numpy.where(ufuncs.less(x, -1), -1, x))


def hard_sigmoid(x):
    return ufuncs.true_divide(relu6(ufuncs.add(x, 3.0)), 6.0)


def hard_silu(x):
    x = _asarray(x)
    return ufuncs.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def glu(x, axis: int = -1):
    x = _asarray(x)
    size = util.shape_of(x)[util.canonicalize_axis(axis, util.ndim_of(x))]
    if size % 2:
        raise ValueError(f"axis size must be divisible by 2 for glu, got {size}")
    a, b = jnp_lax_numpy.split(x, 2, axis)
    return ufuncs.multiply(a, sigmoid(b))


def _axes(x, axis):
    return reductions._reduction_dims(x, reductions._ensure_axes(axis))


def log_softmax(x, axis: Any = -1, where: Any = None):
    """x - logsumexp(x) along `axis`, shifted by the (gradient-stopped) maximum."""
    (x,) = promote_args_inexact("log_softmax", x)
    x_max = reductions.max(x, axis, where=where, initial=-np.inf, keepdims=True)
    x_safe = x if where is None else jnp_lax_numpy.where(where, x, -np.inf)
    shifted = ufuncs.subtract(x_safe, _stop_gradient(x_max))
    shifted_lse = ufuncs.log(reductions.sum(ufuncs.exp(shifted), axis, where=where,
                                            keepdims=True))
    result = ufuncs.subtract(shifted, shifted_lse)
    if where is not None:
        return jnp_lax_numpy.where(where, result, -np.inf)
    return result


def softmax(x, axis: Any = -1, where: Any = None, initial: Any = None):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the (gradient-stopped) maximum;
    entries masked out by `where` are 0."""
    (x,) = promote_args_inexact("softmax", x)
    x_max = reductions.max(x, axis, where=where, initial=-np.inf, keepdims=True)
    x_safe = x if where is None else jnp_lax_numpy.where(where, x, -np.inf)
    unnormalized = ufuncs.exp(ufuncs.subtract(x_safe, _stop_gradient(x_max)))
    result = ufuncs.true_divide(unnormalized, reductions.sum(unnormalized, axis, where=where,
                                                             keepdims=True))
    if where is not None:
        result = jnp_lax_numpy.where(where, result, 0)
    return result


def logsumexp(a, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None):
    """log(sum(b * exp(a))) along `axis`, stable for large and -inf entries.

    The shift by the maximum is gradient-stopped (the value does not depend on it)
    and replaced by 0 where the maximum is infinite, as in JAX. With `b`, entries
    where b == 0 are ignored; a negative sum gives NaN unless `return_sign`."""
    if b is not None:
        a_arr, b_arr = promote_args_inexact("logsumexp", a, b)
        a_arr = jnp_lax_numpy.where(ufuncs.not_equal(b_arr, 0), a_arr, -np.inf)
        if util.shape_of(b_arr) != util.shape_of(a_arr):
            b_arr = util.broadcast_to_shape(b_arr, util.shape_of(a_arr))
    else:
        (a_arr,) = promote_args_inexact("logsumexp", a)
        b_arr = None
    dims = _axes(a_arr, axis)
    amax = reductions.max(ufuncs.real(a_arr), axis=dims, keepdims=keepdims, where=where,
                          initial=-np.inf)
    amax = _stop_gradient(jnp_lax_numpy.where(ufuncs.isfinite(amax), amax, 0))
    amax_with_dims = amax if keepdims else util.expand_dims_lax(amax, dims)
    amax_b = util.broadcast_to_shape(lax.convert_element_type(amax_with_dims, a_arr.dtype),
                                     util.shape_of(a_arr))
    exp_a = ufuncs.exp(ufuncs.subtract(a_arr, amax_b))
    if b_arr is not None:
        exp_a = ufuncs.multiply(exp_a, b_arr)
    sumexp = reductions.sum(exp_a, axis=dims, keepdims=keepdims, where=where)
    sign = ufuncs.sign(sumexp)
    if return_sign or not dtypes.is_complex(sumexp.dtype):
        sumexp = ufuncs.absolute(sumexp)
    out = ufuncs.add(ufuncs.log(sumexp), lax.convert_element_type(amax, sumexp.dtype))
    if return_sign:
        return out, sign
    if b is not None and not dtypes.is_complex(out.dtype):
        out = jnp_lax_numpy.where(ufuncs.less(sign, 0), np.asarray(np.nan, out.dtype), out)
    return out


def one_hot(x, num_classes: int, *, dtype: Any = None, axis: int | Any = -1):
    """One-hot encode integer labels: out[..., c] = (x[...] == c). Labels outside
    [0, num_classes) give all-zero rows."""
    num_classes = util.concrete_int(num_classes, "The num_classes argument of one_hot")
    dtype = dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    x = _asarray(x)
    nd = util.ndim_of(x)
    axis = operator.index(axis)
    out_axis = util.canonicalize_axis(axis, nd + 1)
    lhs = util.expand_dims_lax(x, (out_axis,))
    rhs_shape = [1] * nd
    rhs_shape.insert(out_axis, num_classes)
    rhs = lax.broadcasted_iota(x.dtype, tuple(rhs_shape), out_axis)
    return lax.convert_element_type(ufuncs.equal(lhs, rhs), dtype)


def standardize(x, axis: Any = -1, mean: Any = None, variance: Any = None,
                epsilon: Any = 1e-5, where: Any = None):
    """(x - mean) / sqrt(variance + epsilon), with mean/variance computed along axis
    when not given."""
    (x,) = promote_args_inexact("standardize", x)
    if mean is None:
        mean = reductions.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        variance = ufuncs.subtract(
            reductions.mean(ufuncs.square(x), axis, keepdims=True, where=where),
            ufuncs.square(mean))
    return ufuncs.multiply(ufuncs.subtract(x, mean),
                           ufuncs.true_divide(1, ufuncs.sqrt(ufuncs.add(variance, epsilon))))


normalize = standardize


# ---------------------------------------------------------------------------
# Further activations (JAX's formulas, so values and gradients at the edge
# points -- 0, +-inf, NaN, the kinks -- are JAX's)

def _ensure(name, x):
    check_arraylike(name, x)
    return util.canonicalize_operand(x)


def identity(x):
    """Returns x unchanged (as an Array; lists are rejected as in JAX)."""
    return _ensure("identity", x)


tanh = ufuncs.tanh


def squareplus(x, b: Any = 4):
    """(x + sqrt(x**2 + b)) / 2."""
    check_arraylike("squareplus", x, b)
    x, b = util.canonicalize_operand(x), util.canonicalize_operand(b)
    return ufuncs.true_divide(ufuncs.add(x, ufuncs.sqrt(ufuncs.add(ufuncs.square(x), b))), 2)


def mish(x):
    """x * tanh(softplus(x))."""
    x = _ensure("mish", x)
    return ufuncs.multiply(x, ufuncs.tanh(softplus(x)))


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 in between, 1 for x >= 1 (the derivative of
    sparse_plus): 0.5 * clip(x + 1, 0, 2), as JAX."""
    return ufuncs.multiply(0.5, jnp_lax_numpy.clip(ufuncs.add(x, 1.0), 0.0, 2.0))


@custom_jvp
def log1mexp(x):
    """log(1 - exp(-x)), stable on both sides of log(2) (Maechler's split); its
    derivative is 1 / expm1(x)."""
    x = _ensure("log1mexp", x)
    c = ufuncs.log(2.0)
    return jnp_lax_numpy.where(ufuncs.less(x, c),
                               ufuncs.log(ufuncs.negative(ufuncs.expm1(ufuncs.negative(x)))),
                               ufuncs.log1p(ufuncs.negative(ufuncs.exp(ufuncs.negative(x)))))


log1mexp.defjvps(lambda g, ans, x: ufuncs.true_divide(g, ufuncs.expm1(x)))


def logmeanexp(x, axis: Any = None, where: Any = None, keepdims: bool = False):
    """log(mean(exp(x))) = logsumexp(x) - log(n) along `axis` (n counts the entries
    `where` selects)."""
    x = _ensure("logmeanexp", x)
    lse = logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    if where is None:
        count = lax.convert_element_type(
            np.asarray(reductions._axis_size(x, _axes(x, axis))), lse.dtype)
    else:
        where_b = util.broadcast_to_shape(_asarray(where), util.shape_of(x))
        count = reductions.sum(where_b, axis, dtype=lse.dtype, keepdims=keepdims)
    return ufuncs.subtract(lse, ufuncs.log(count))
