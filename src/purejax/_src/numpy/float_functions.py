"""jnp functions on the parts of floating-point numbers: frexp, ldexp, modf, spacing,
and the Bessel function i0, each composed from lax/jnp operations as JAX composes them.

JAX computes `frexp` by bit-casting to integers, and `ldexp` from `frexp`; purejax has
no bitcast primitive, so both scale by exact powers of two instead (see `_frexp` and
`ldexp`), which gives JAX's values, including what XLA:CPU's flush-to-zero makes of
float32/float64 subnormals; ldexp's derivative with respect to x1 is 2**x2 everywhere.
`i0` evaluates JAX's Chebyshev series for `bessel_i0e` (Cephes' coefficients, in the
operand's dtype, float16 in float32) with ordinary operations, so its derivative is
that of the series rather than JAX's `bessel_i1e`-based rule (equal to within the
series' accuracy).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from purejax._src import dtypes
from purejax._src import lax
from purejax._src.custom_derivatives import custom_jvp
from purejax._src.numpy import ufuncs, util
from purejax._src.numpy.util import lax_const, where as _where


def _float_operand(name: str, x: Any):
    """x as an inexact operand (integers and bools become the default float type)."""
    util.check_arraylike(name, x)
    (x,) = util.promote_dtypes_inexact(util.canonicalize_operand(x))
    return x


def _full(x, value):
    """A constant broadcast to x's shape and dtype, strongly typed."""
    return lax.full_like(x, value, dtype=dtypes.dtype(x))


# ---------------------------------------------------------------------------
# frexp

@custom_jvp
def _frexp(x):
    dt = dtypes.dtype(x)
    fi = dtypes.finfo(dt)
    x = util.convert(x, dt, weak_type=False)
    a = lax.abs(x)
    special = ufuncs.isinf(x) | ufuncs.isnan(x) | lax.eq(x, _full(x, 0))
    # Subnormals are first scaled into the normal range by 2**nmant (exact), as JAX's
    # _normalize_float does.
    subnormal = lax.lt(a, _full(x, fi.tiny)) & ~special
    a = _where(subnormal, lax.mul(a, _full(x, 2.0 ** fi.nmant)), a)
    a = _where(special, _full(x, 1), a)
    # Exponent estimate from log2 (off by at most one, corrected below); the scaling by
    # 2**-e is done in two steps, each an exact power of two in the normal range.
    e = lax.add(lax.floor(ufuncs.log2(a)), _full(x, 1))
    half_e = lax.floor(lax.mul(e, _full(x, -0.5)))
    m = lax.mul(lax.mul(a, lax.exp2(half_e)), lax.exp2(lax.sub(lax.neg(e), half_e)))
    too_big = lax.ge(m, _full(x, 1))
    m = _where(too_big, lax.mul(m, _full(x, 0.5)), m)
    e = _where(too_big, lax.add(e, _full(x, 1)), e)
    too_small = lax.lt(m, _full(x, 0.5))
    m = _where(too_small, lax.mul(m, _full(x, 2)), m)
    e = _where(too_small, lax.sub(e, _full(x, 1)), e)
    e = lax.convert_element_type(e, np.int32)
    e = _where(subnormal, lax.sub(e, lax.full_like(e, fi.nmant)), e)
    if dt != np.float16:
        # XLA:CPU flushes float32/float64 subnormals to zero before JAX's bit
        # manipulation: every subnormal gives (+-0.5, minexp - nmant).
        m = _where(subnormal, _full(x, 0.5), m)
        e = _where(subnormal, lax.full_like(e, fi.minexp - fi.nmant), e)
    m = ufuncs.copysign(m, x)
    return _where(special, x, m), _where(special, lax.full_like(e, 0), e)


@_frexp.defjvp
def _frexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, e = _frexp(x)
    # the factor keeps t's weak type, so grad of a weakly typed x is weakly typed, as JAX's
    scale = lax.exp2(lax.neg(lax.convert_element_type(e, dtypes.dtype(t))))
    m_dot = lax.mul(t, lax.convert_element_type(scale, dtypes.dtype(t), dtypes.is_weakly_typed(t)))
    return (m, e), (m_dot, np.zeros(np.shape(e), dtypes.float0))


def frexp(x: Any, /):
    """Split x into a mantissa in [0.5, 1) (with x's sign) and an int32 exponent, as
    `jax.numpy.frexp`: x == m * 2**e; 0, inf and nan give (x, 0)."""
    util.check_arraylike("frexp", x)
    (x,) = util.promote_dtypes_inexact(util.canonicalize_operand(x))
    if dtypes.is_complex(dtypes.dtype(x)):
        raise TypeError("frexp does not support complex-valued inputs")
    return _frexp(x)


# ---------------------------------------------------------------------------
# ldexp

def _max_useful_exponent(dt: np.dtype) -> int:
    """A bound on |x2| past which x1 * 2**x2 is 0 or inf for every finite nonzero x1
    (float32: from the smallest subnormal 2**-149 to above the largest finite value,
    below 2**128, is a factor 2**277)."""
    fi = np.finfo(dt)
    return int(fi.maxexp - (fi.minexp - fi.nmant)) + 1


def ldexp(x1: Any, x2: Any, /):
    """x1 * 2**x2 elementwise, as `jax.numpy.ldexp`.

    x1 is real (integers and bools become the default float), x2 an integer or bool
    array; the result has x1's float dtype and is never weakly typed, as in JAX.
    Values are exact (NumPy's `np.ldexp`) wherever the result is a normal number.
    """
    util.check_arraylike("ldexp", x1, x2)
    x1_dtype = dtypes.dtype(x1, canonicalize=True)
    x2_dtype = dtypes.dtype(x2, canonicalize=True)
    if dtypes.is_complex(x1_dtype) or np.issubdtype(x2_dtype, np.inexact):
        raise ValueError(f"ldexp not supported for input types {(x1_dtype, x2_dtype)}")
    (x1,) = util.promote_args_inexact("ldexp", x1)
    dt = dtypes.dtype(x1)
    x1 = util.convert(x1, dt, weak_type=False)
    # As JAX: the exponent is converted to x1's float type (a huge int32 exponent
    # becomes a huge float, not a wrapped value).
    x2 = util.convert(x2, dt, weak_type=False)
    x1, x2 = util.promote_shapes("ldexp", x1, x2)
    bound = _max_useful_exponent(dt)
    e = lax.clamp(util.lax_const(x2, -bound), x2, util.lax_const(x2, bound))
    # 2**e itself may overflow (float32: 2**200 * 2**-100 is finite), so scale in three
    # steps of at most ceil(bound / 3) (93 for float32, 14 for float16), each an exact
    # power of two. The three parts have e's sign, so every intermediate lies between
    # x1 and the result: none overflows unless the result does, and each product is
    # exact unless the result is subnormal (where XLA flushes to zero anyway).
    round_even = lax.RoundingMethod.TO_NEAREST_EVEN
    e1 = lax.round(lax.div(e, util.lax_const(e, 3)), round_even)
    rest = lax.sub(e, e1)
    e2 = lax.round(lax.div(rest, util.lax_const(rest, 2)), round_even)
    e3 = lax.sub(rest, e2)
    out = x1
    for part in (e1, e2, e3):
        out = lax.mul(out, lax.exp2(part))
    return out


# ---------------------------------------------------------------------------
# modf

def modf(x: Any, /, out=None):
    """Fractional and integral parts of x, both with x's sign, as `jax.numpy.modf`."""
    util.check_arraylike("modf", x)
    (x,) = util.promote_dtypes_inexact(util.canonicalize_operand(x))
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.modf is not supported.")
    whole = _where(lax.ge(x, lax_const(x, 0)), ufuncs.floor(x), ufuncs.ceil(x))
    return ufuncs.subtract(x, whole), whole


# ---------------------------------------------------------------------------
# spacing

def spacing(x: Any, /):
    """Distance from x to the next float away from zero, as `jax.numpy.spacing`
    (negative for negative x; float16 always steps towards +inf, as NumPy does)."""
    (arr,) = util.promote_args_inexact("spacing", x)
    dt = dtypes.dtype(arr)
    if dtypes.is_complex(dt):
        raise ValueError("jnp.spacing is not defined for complex inputs.")
    inf = lax_const(arr, np.inf)
    if dt == np.float16:
        return ufuncs.subtract(lax.nextafter(arr, lax.full_like(arr, np.inf)), arr)
    smallest_subnormal = dtypes.finfo(dt).smallest_subnormal
    result = ufuncs.subtract(lax.nextafter(arr, ufuncs.copysign(inf, arr)), arr)
    return _where(lax.eq(result, lax_const(result, 0)),
                  ufuncs.copysign(smallest_subnormal, arr), result)


# ---------------------------------------------------------------------------
# i0

# Cephes' Chebyshev coefficients for exp(-x) I0(x), as JAX's lax.bessel_i0e uses them
# (shorter series in float32): [0, 8] in terms of x/2 - 2, (8, inf) of 32/x - 2.
_I0E_A64 = (
    -4.41534164647933937950E-18, 3.33079451882223809783E-17,
    -2.43127984654795469359E-16, 1.71539128555513303061E-15,
    -1.16853328779934516808E-14, 7.67618549860493561688E-14,
    -4.85644678311192946090E-13, 2.95505266312963983461E-12,
    -1.72682629144155570723E-11, 9.67580903537323691224E-11,
    -5.18979560163526290666E-10, 2.65982372468238665035E-9,
    -1.30002500998624804212E-8, 6.04699502254191894932E-8,
    -2.67079385394061173391E-7, 1.11738753912010371815E-6,
    -4.41673835845875056359E-6, 1.64484480707288970893E-5,
    -5.75419501008210370398E-5, 1.88502885095841655729E-4,
    -5.76375574538582365885E-4, 1.63947561694133579842E-3,
    -4.32430999505057594430E-3, 1.05464603945949983183E-2,
    -2.37374148058994688156E-2, 4.93052842396707084878E-2,
    -9.49010970480476444210E-2, 1.71620901522208775349E-1,
    -3.04682672343198398683E-1, 6.76795274409476084995E-1)
_I0E_B64 = (
    -7.23318048787475395456E-18, -4.83050448594418207126E-18,
    4.46562142029675999901E-17, 3.46122286769746109310E-17,
    -2.82762398051658348494E-16, -3.42548561967721913462E-16,
    1.77256013305652638360E-15, 3.81168066935262242075E-15,
    -9.55484669882830764870E-15, -4.15056934728722208663E-14,
    1.54008621752140982691E-14, 3.85277838274214270114E-13,
    7.18012445138366623367E-13, -1.79417853150680611778E-12,
    -1.32158118404477131188E-11, -3.14991652796324136454E-11,
    1.18891471078464383424E-11, 4.94060238822496958910E-10,
    3.39623202570838634515E-9, 2.26666899049817806459E-8,
    2.04891858946906374183E-7, 2.89137052083475648297E-6,
    6.88975834691682398426E-5, 3.36911647825569408990E-3,
    8.04490411014108831608E-1)
_I0E_A32 = _I0E_A64[12:]
_I0E_B32 = _I0E_B64[18:]


def _chebyshev(x, coefficients):
    """Clenshaw's recurrence as JAX's evaluate_chebyshev_polynomial: 0.5 (b0 - b2)."""
    b0 = b1 = b2 = lax.full_like(x, 0)
    for c in coefficients:
        b2 = b1
        b1 = b0
        b0 = lax.add(lax.sub(lax.mul(x, b1), b2), lax.full_like(x, c))
    return lax.mul(lax.full_like(x, 0.5), lax.sub(b0, b2))


def _bessel_i0e(x):
    """exp(-|x|) I0(x) by JAX's bessel_i0e series, in x's dtype (float16 in float32)."""
    dt = dtypes.dtype(x)
    if dt == np.float16:
        return lax.convert_element_type(_bessel_i0e(lax.convert_element_type(x, np.float32)),
                                        dt, dtypes.is_weakly_typed(x))
    a_coeffs, b_coeffs = (_I0E_A64, _I0E_B64) if dt == np.float64 else (_I0E_A32, _I0E_B32)
    x = lax.abs(x)
    small = lax.le(x, lax.full_like(x, 8.0))
    result_le_8 = _chebyshev(lax.sub(lax.mul(lax.full_like(x, 0.5), x), lax.full_like(x, 2.0)),
                             a_coeffs)
    # The large-x branch sees x only where it is selected (32 / 0 would make the
    # unselected branch's derivative nan in reverse mode).
    x_big = lax.select_n(small, x, lax.full_like(x, 32.0))
    result_gt_8 = lax.div(
        _chebyshev(lax.sub(lax.div(lax.full_like(x, 32.0), x_big), lax.full_like(x, 2.0)),
                   b_coeffs), lax.sqrt(x_big))
    return lax.select_n(small, result_gt_8, result_le_8)


@custom_jvp
def _i0(x):
    abs_x = lax.abs(x)
    return lax.mul(lax.exp(abs_x), _bessel_i0e(abs_x))


@_i0.defjvp
def _i0_jvp(primals, tangents):
    from purejax._src.api import jvp
    primal_out, tangent_out = jvp(_i0.fun, primals, tangents)
    (x,) = primals
    return primal_out, _where(lax.eq(x, lax_const(x, 0)), 0.0, tangent_out)


def i0(x: Any):
    """The modified Bessel function of the first kind of order zero, as
    `jax.numpy.i0` (real floating inputs only; integers become floats)."""
    (x,) = util.promote_args_inexact("i0", x)
    if not dtypes.is_float(dtypes.dtype(x)):
        raise ValueError(f"Unsupported input type to jax.numpy.i0: {dtypes.dtype(x)}")
    return _i0(x)
