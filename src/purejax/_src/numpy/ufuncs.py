"""jnp's elementwise functions (NumPy's ufuncs), lowered to lax with JAX's promotion.

Each function promotes its operands like JAX (see util.promote_args*), then calls
one or a few lax functions. The compositions follow JAX's definitions so results,
dtypes, weak types and derivatives agree with JAX, with documented exceptions: sinc
is a plain formula instead of JAX's custom_jvp, and logaddexp/logaddexp2 are
primitives carrying JAX's rule (see their docstrings).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.config import _flags as _config_flags
from purejax._src.prims import elementwise as _elementwise
from purejax._src.numpy import util
from purejax._src.numpy.util import (check_arraylike, lax_const, promote_args,
                                     promote_args_inexact, promote_args_numeric,
                                     promote_dtypes_numeric, where as _where)


_LAX_FNS: dict = {}  # names -> the lax function found (looked up on every jnp call)


def _lax(*names: str):
    """The first lax function among `names` that exists (JAX has aliases)."""
    fn = _LAX_FNS.get(names)
    if fn is not None:
        return fn
    for name in names:
        fn = getattr(lax, name, None)
        if fn is not None:
            _LAX_FNS[names] = fn
            return fn
    raise NotImplementedError(f"lax.{names[0]} is not implemented yet in purejax")


def _dtype(x):
    if type(x) is Array:
        return x._value.dtype
    return core.get_aval(x).dtype


def _is_int(x) -> bool:
    return dtypes.is_integer(_dtype(x))


def _is_bool(x) -> bool:
    # kind "b" is exactly np.bool_, and reading it is cheaper than `== np.bool_`
    # (which converts the type to a dtype on every call): add/multiply ask this each time.
    return _dtype(x).kind == "b"


def _constant_like(x, value):
    """JAX's jnp `_constant_like`: a strong constant of x's dtype, even if x is weak."""
    return Array(np.asarray(value, dtype=_dtype(x)))


def _is_complex(x) -> bool:
    return dtypes.is_complex(_dtype(x))


def _to_bool(x):
    return x if _is_bool(x) else lax.ne(x, lax_const(x, 0))


def _round_method_even():
    rm = getattr(lax, "RoundingMethod", None)
    return rm.TO_NEAREST_EVEN if rm is not None else 1


# ---------------------------------------------------------------------------
# Unary functions of inexact dtype

def _inexact_unop(name: str, lax_name: str, doc: str = ""):
    lax_fn = None
    # each lax function here is its primitive's bind: an inexact Array where the trace
    # computes concrete operations gets the impl at once, what bind would run there
    impl = getattr(_elementwise, f"{lax_name}_p").impl
    state, flags = core._state, _config_flags

    def fn(x, /):
        nonlocal lax_fn
        if type(x) is Array and state.trace.computes_concrete \
                and not (flags["jax_debug_nans"] or flags["jax_debug_infs"]):
            v = x._value
            if v.dtype.kind in "fc":
                out = impl(v)
                return Array(out if type(out) is np.ndarray else np.asarray(out), x.weak_type)
        if lax_fn is None:
            lax_fn = _lax(lax_name)
        aval = _operand_aval(x)  # an inexact Array or tracer is already an operand
        if aval is not None and aval.dtype.kind in "fc":
            return lax_fn(x)
        (x,) = promote_args_inexact(name, x)
        return lax_fn(x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"Elementwise {name} (lax.{lax_name}); integers become floats."
    return fn


sin = _inexact_unop("sin", "sin")
cos = _inexact_unop("cos", "cos")
tan = _inexact_unop("tan", "tan")
arcsin = _inexact_unop("arcsin", "asin")
arccos = _inexact_unop("arccos", "acos")
arctan = _inexact_unop("arctan", "atan")
sinh = _inexact_unop("sinh", "sinh")
cosh = _inexact_unop("cosh", "cosh")
tanh = _inexact_unop("tanh", "tanh")
arcsinh = _inexact_unop("arcsinh", "asinh")
arccosh = _inexact_unop("arccosh", "acosh")
arctanh = _inexact_unop("arctanh", "atanh")
exp = _inexact_unop("exp", "exp")
exp2 = _inexact_unop("exp2", "exp2")
log = _inexact_unop("log", "log")
log1p = _inexact_unop("log1p", "log1p")
expm1 = _inexact_unop("expm1", "expm1")
sqrt = _inexact_unop("sqrt", "sqrt")
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh


def cbrt(x, /):
    (x,) = promote_args_inexact("cbrt", x)
    if _is_complex(x):
        raise TypeError("cbrt does not support complex inputs")
    return _lax("cbrt")(x)


def _log_base(name: str, x, base: float):
    """log(x) times the strongly typed constant 1 / log(base), as JAX's results are:
    log10 multiplies by the float64 constant 1 / log(10) rounded to x's precision;
    log2 divides by log(2), a constant, which XLA rewrites into a multiplication by
    its reciprocal (rounded in x's precision). Both agree with JAX's bits where the
    logarithm does."""
    (x,) = promote_args_inexact(name, x)
    dt = np.finfo(_dtype(x)).dtype  # the real part's dtype
    if base == 10:
        scale = np.asarray(0.4342944819032518, dt)  # 1 / log(10)
    else:
        ln_base = np.asarray(np.log(np.float64(base)), dt)  # folded, correctly rounded
        scale = np.asarray(dt.type(1) / ln_base, dt)
    scale = Array(scale, False)
    if _is_complex(x):
        r = lax.log(x)
        return lax.complex(lax.mul(lax.real(r), scale), lax.mul(lax.imag(r), scale))
    return lax.mul(lax.log(x), scale)


def log2(x, /):
    return _log_base("log2", x, 2)


def log10(x, /):
    return _log_base("log10", x, 10)


def deg2rad(x, /):
    (x,) = promote_args_inexact("deg2rad", x)
    return lax.mul(x, lax_const(x, np.pi / 180))


def rad2deg(x, /):
    (x,) = promote_args_inexact("rad2deg", x)
    return lax.mul(x, lax_const(x, 180 / np.pi))


radians = deg2rad
degrees = rad2deg


def reciprocal(x, /):
    (x,) = promote_args_inexact("reciprocal", x)
    return lax.integer_pow(x, -1)


def sinc(x, /):
    """sin(pi x) / (pi x), with value 1 at 0.

    JAX gives the point x == 0 a custom_jvp holding the Maclaurin series; here the
    branch at 0 is the series 1 - (pi x)^2/6 + (pi x)^4/120 itself, so derivatives
    at 0 are exact up to order 3 (JAX: all orders), and no NaN enters the gradient."""
    (x,) = promote_args_inexact("sinc", x)
    eq_zero = lax.eq(x, lax_const(x, 0))
    pi_x = lax.mul(lax_const(x, np.pi), x)
    safe = lax.select_n(eq_zero, pi_x, lax.full_like(pi_x, 1))
    # the series sees x only at 0 (elsewhere a constant 0): at huge x its (pi x)^4
    # would overflow, and the untaken branch's infinite derivative times the select's
    # zero cotangent would make the gradient NaN
    pi_x0 = lax.select_n(eq_zero, lax.full_like(pi_x, 0), pi_x)
    sq = lax.mul(pi_x0, pi_x0)
    series = lax.add(lax.sub(lax_const(x, 1), lax.div(sq, lax_const(x, 6))),
                     lax.div(lax.mul(sq, sq), lax_const(x, 120)))
    return lax.select_n(eq_zero, lax.div(lax.sin(safe), safe), series)


# ---------------------------------------------------------------------------
# Unary functions keeping their dtype

def negative(x, /):
    (x,) = promote_args("negative", x)
    return lax.neg(x)


def positive(x, /):
    (x,) = promote_args("positive", x)
    return x


def sign(x, /):
    (x,) = promote_args("sign", x)
    return _lax("sign")(x)


def floor(x, /):
    check_arraylike("floor", x)
    x = util.canonicalize_operand(x)
    if _is_int(x) or _is_bool(x):
        return x
    (x,) = promote_args_inexact("floor", x)
    return _lax("floor")(x)


def ceil(x, /):
    check_arraylike("ceil", x)
    x = util.canonicalize_operand(x)
    if _is_int(x) or _is_bool(x):
        return x
    (x,) = promote_args_inexact("ceil", x)
    return _lax("ceil")(x)


def absolute(x, /):
    (x,) = promote_args("absolute", x)
    dt = _dtype(x)
    if dt == np.bool_ or dtypes.issubdtype(dt, np.unsignedinteger):
        return x
    return _lax("abs")(x)


abs = absolute


def fabs(x, /):
    (x,) = promote_args_inexact("fabs", x)
    if _is_complex(x):
        raise TypeError("ufunc 'fabs' does not support complex dtypes")
    return _lax("abs")(x)


def square(x, /):
    (x,) = promote_args_numeric("square", x)
    fn = getattr(lax, "square", None)
    return fn(x) if fn is not None else lax.integer_pow(x, 2)


def _round_float(x, decimals: int):
    if decimals == 0:
        return lax.round(x, _round_method_even())
    dt = _dtype(x)
    if dt == np.float16:
        x = lax.convert_element_type(x, np.dtype(np.float32))
    wide = _dtype(x)
    factor = lax_const(x, 10.0 ** decimals)
    # times the reciprocal rounded to the dtype, not divided by the factor: what JAX's
    # jitted jnp.round computes once XLA turns the division by a constant into that
    # (bit for bit on 200,000 values, float32 and float64, against 43-87% for a division)
    inverse = lax_const(x, wide.type(1) / wide.type(10.0 ** decimals))
    out = lax.mul(lax.round(lax.mul(x, factor), _round_method_even()), inverse)
    return lax.convert_element_type(out, dt) if dt == np.float16 else out


def round(a, decimals: int = 0, out=None):
    """Round half to even (as NumPy and JAX), to `decimals` decimal places."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.round is not supported.")
    (a,) = promote_args("round", a)
    decimals = operator.index(decimals)
    if _is_int(a) or _is_bool(a):
        if decimals < 0:
            raise NotImplementedError("integer np.round not implemented for decimals < 0")
        return a
    if _is_complex(a):
        return lax.complex(_round_float(lax.real(a), decimals),
                           _round_float(lax.imag(a), decimals))
    return _round_float(a, decimals)


around = round


def rint(x, /):
    check_arraylike("rint", x)
    x = util.canonicalize_operand(x)
    if _is_int(x) or _is_bool(x):
        # As JAX: integers become the default float (float64 under x64, even for
        # int32 and smaller), strongly typed.
        return lax.convert_element_type(x, dtypes.default_float_dtype())
    if _is_complex(x):
        return lax.complex(rint(lax.real(x)), rint(lax.imag(x)))
    return lax.round(x, _round_method_even())


def trunc(x, /):
    check_arraylike("trunc", x)
    x = util.canonicalize_operand(x)
    if _is_int(x) or _is_bool(x):
        return x
    return _where(lax.lt(x, lax_const(x, 0)), ceil(x), floor(x))


def fix(x, out=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.fix is not supported.")
    check_arraylike("fix", x)
    x = util.canonicalize_operand(x)
    if _is_int(x) or _is_bool(x):
        return x
    return _where(lax.ge(x, lax_const(x, 0)), floor(x), ceil(x))


def conjugate(x, /):
    check_arraylike("conjugate", x)
    x = util.canonicalize_operand(x)
    return lax.conj(x) if _is_complex(x) else x


conj = conjugate


def real(val, /):
    check_arraylike("real", val)
    val = util.canonicalize_operand(val)
    return lax.real(val) if _is_complex(val) else val


def imag(val, /):
    check_arraylike("imag", val)
    val = util.canonicalize_operand(val)
    return lax.imag(val) if _is_complex(val) else lax.full_like(val, 0)


def angle(z, deg: bool = False):
    check_arraylike("angle", z)
    z = util.canonicalize_operand(z)
    re, im = real(z), imag(z)
    dt = _dtype(re)
    if not dtypes.is_inexact(dt) or (dtypes.is_float(_dtype(z)) and util.ndim_of(z) == 0):
        dt = dtypes.default_float_dtype()
        re = lax.convert_element_type(re, dt)
        im = lax.convert_element_type(im, dt)
    result = lax.atan2(im, re)
    return degrees(result) if deg else result


# ---------------------------------------------------------------------------
# Predicates

def isfinite(x, /):
    check_arraylike("isfinite", x)
    x = util.canonicalize_operand(x)
    dt = _dtype(x)
    if dtypes.is_float(dt):
        return _lax("is_finite")(x)
    if dtypes.is_complex(dt):
        return logical_and(isfinite(lax.real(x)), isfinite(lax.imag(x)))
    return lax.full_like(x, True, dtype=np.bool_)


def isinf(x, /):
    check_arraylike("isinf", x)
    x = util.canonicalize_operand(x)
    dt = _dtype(x)
    if dtypes.is_float(dt):
        return lax.eq(_lax("abs")(x), _constant_like(x, np.inf))
    if dtypes.is_complex(dt):
        return logical_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.full_like(x, False, dtype=np.bool_)


def _isposneginf(x, infinity):
    check_arraylike("isposinf", x)
    x = util.canonicalize_operand(x)
    dt = _dtype(x)
    if dtypes.is_complex(dt):
        raise ValueError("isposinf/isneginf are not well defined for complex-valued inputs")
    if dtypes.is_float(dt):
        return lax.eq(x, _constant_like(x, infinity))
    return lax.full_like(x, False, dtype=np.bool_)


def isposinf(x, /):
    return _isposneginf(x, np.inf)


def isneginf(x, /):
    return _isposneginf(x, -np.inf)


def isnan(x, /):
    check_arraylike("isnan", x)
    x = util.canonicalize_operand(x)
    return lax.ne(x, x)


def signbit(x, /):
    (x,) = promote_args("signbit", x)
    dt = _dtype(x)
    if dtypes.is_integer(dt):
        return lax.lt(x, _constant_like(x, 0))
    if dt == np.bool_:
        return lax.full_like(x, False, dtype=np.bool_)
    if not dtypes.is_float(dt):
        raise ValueError(f"jnp.signbit is not well defined for {dt}")
    bitcast = getattr(lax, "bitcast_convert_type", None)
    if bitcast is not None:
        int_dt = {2: np.int16, 4: np.int32, 8: np.int64}[dt.itemsize]
        bits = bitcast(x, np.dtype(int_dt))
        return lax.lt(bits, _constant_like(bits, 0))
    # Without a bitcast primitive: negative numbers, and -0.0 (whose reciprocal is
    # -inf). The sign bit of a NaN cannot be seen this way (reported False).
    zero = lax_const(x, 0)
    neg_zero = logical_and(lax.eq(x, zero), lax.lt(lax.div(lax_const(x, 1), x), zero))
    return logical_or(lax.lt(x, zero), neg_zero)


def isclose(a, b, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False):
    a, b = promote_args("isclose", a, b)
    a, b = promote_args_inexact("isclose", a, b)
    dt = _dtype(a)
    if dtypes.is_complex(dt):
        dt = np.array(0, dt).real.dtype
    rtol = util.convert(rtol, dt)
    atol = util.convert(atol, dt)
    out = lax.le(_lax("abs")(lax.sub(a, b)), lax.add(atol, lax.mul(rtol, _lax("abs")(b))))
    a_inf, b_inf = isinf(a), isinf(b)
    any_inf = logical_or(a_inf, b_inf)
    both_inf = logical_and(a_inf, b_inf)
    out = logical_and(out, logical_not(any_inf))
    out = logical_or(out, logical_and(both_inf, lax.eq(a, b)))
    a_nan, b_nan = isnan(a), isnan(b)
    out = logical_and(out, logical_not(logical_or(a_nan, b_nan)))
    if equal_nan:
        out = logical_or(out, logical_and(a_nan, b_nan))
    return out


def allclose(a, b, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False):
    from purejax._src.numpy import reductions
    return reductions.all(isclose(a, b, rtol, atol, equal_nan))


def nan_to_num(x, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None):
    check_arraylike("nan_to_num", x)
    x = util.canonicalize_operand(x)
    dt = _dtype(x)
    if not dtypes.is_inexact(dt):
        return x
    if dtypes.is_complex(dt):
        return lax.complex(nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf),
                           nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf))
    info = dtypes.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    # JAX's replacement values are strongly typed, and so is the result
    out = _where(isnan(x), util.convert(nan, dt, False), x)
    out = _where(isposinf(out), util.convert(posinf, dt, False), out)
    out = _where(isneginf(out), util.convert(neginf, dt, False), out)
    return out


# ---------------------------------------------------------------------------
# Arithmetic

# add, subtract and multiply bind their primitive at once for operands that need no
# promotion (util.common_aval), or an inexact operand and a Python scalar
# (util._inexact_with_py_scalar): the eager hot paths of `x + y` and `0.5 * x`.

def _fast_operands(x, y):
    aval = _common_aval((x, y))
    if aval is not None:
        return (x, y) if aval.dtype.kind != "b" else None
    return _with_py_scalar((x, y))


def add(x, y, /):
    ops = _fast_operands(x, y)
    if ops is not None:
        return _add_p.bind(*ops)
    x, y = promote_args("add", x, y)
    return lax.add(x, y) if not _is_bool(x) else _lax("bitwise_or", "or_")(x, y)


def subtract(x, y, /):
    ops = _fast_operands(x, y)
    if ops is not None:
        return _sub_p.bind(*ops)
    x, y = promote_args("subtract", x, y)
    return lax.sub(x, y)


def multiply(x, y, /):
    ops = _fast_operands(x, y)
    if ops is not None:
        return _mul_p.bind(*ops)
    x, y = promote_args("multiply", x, y)
    return lax.mul(x, y) if not _is_bool(x) else _lax("bitwise_and", "and_")(x, y)


_common_aval, _operand_aval = util.common_aval, util.operand_aval
_with_py_scalar = util._inexact_with_py_scalar
_add_p, _sub_p, _mul_p = _elementwise.add_p, _elementwise.sub_p, _elementwise.mul_p


def true_divide(x1, x2, /):
    x1, x2 = promote_args_inexact("true_divide", x1, x2)
    return lax.div(x1, x2)


divide = true_divide


def _float_divmod(x1, x2):
    mod = _lax("rem")(x1, x2)
    # x1 itself over a zero divisor (x1 - mod is NaN there): +-inf, or NaN for 0 / 0,
    # as NumPy's and JAX's floor_divide give
    numerator = _where(lax.eq(x2, lax_const(x2, 0)), x1, lax.sub(x1, mod))
    div = lax.div(numerator, x2)
    ind = _lax("bitwise_and", "and_")(lax.ne(mod, lax_const(mod, 0)),
                                      lax.ne(_lax("sign")(x2), _lax("sign")(mod)))
    mod = lax.select_n(ind, mod, lax.add(mod, x2))
    div = lax.select_n(ind, div, lax.sub(div, util.python_scalar_like(div, 1)))
    return lax.round(div), mod


def floor_divide(x1, x2, /):
    """Floor division: rounds toward -inf for negative operands (Python's //)."""
    x1, x2 = promote_args_numeric("floor_divide", x1, x2)
    dt = _dtype(x1)
    if dtypes.issubdtype(dt, np.unsignedinteger):
        return lax.div(x1, x2)
    if dtypes.is_integer(dt):
        quotient = lax.div(x1, x2)
        select = logical_and(lax.ne(_lax("sign")(x1), _lax("sign")(x2)),
                             lax.ne(_lax("rem")(x1, x2), lax_const(x1, 0)))
        return _where(select, lax.sub(quotient, util.python_scalar_like(quotient, 1)),
                      quotient)
    if dtypes.is_complex(dt):
        raise TypeError("floor_divide does not support complex-valued inputs")
    return _float_divmod(x1, x2)[0]


def remainder(x1, x2, /):
    """x1 - floor(x1 / x2) * x2: the result has the sign of x2 (Python's %)."""
    x1, x2 = promote_args_numeric("remainder", x1, x2)
    zero = lax_const(x1, 0)
    if _is_int(x2):
        x2 = _where(lax.eq(x2, lax_const(x2, 0)), lax.full_like(x2, 1), x2)
    trunc_mod = _lax("rem")(x1, x2)
    trunc_mod_not_zero = lax.ne(trunc_mod, zero)
    do_plus = _lax("bitwise_and", "and_")(
        lax.ne(lax.lt(trunc_mod, zero), lax.lt(x2, lax_const(x2, 0))), trunc_mod_not_zero)
    return lax.select_n(do_plus, trunc_mod, lax.add(trunc_mod, x2))


mod = remainder


def fmod(x1, x2, /):
    """C's fmod: the result has the sign of x1."""
    x1, x2 = promote_args_numeric("fmod", x1, x2)
    if _is_int(x2):
        x2 = _where(lax.eq(x2, lax_const(x2, 0)), lax.full_like(x2, 1), x2)
    return _lax("rem")(x1, x2)


def divmod(x1, x2, /):
    x1, x2 = promote_args_numeric("divmod", x1, x2)
    if _is_int(x1):
        return floor_divide(x1, x2), remainder(x1, x2)
    return _float_divmod(x1, x2)


def _integer_power_loop(x1, x2):
    """x1 ** x2 for integer arrays by binary exponentiation (x2 >= 0)."""
    one = _constant_like(x2, 1)
    zero = _constant_like(x2, 0)
    and_ = _lax("bitwise_and", "and_")
    acc = _where(and_(lax.eq(x1, lax_const(x1, 0)), lax.ne(x2, zero)), zero, one)
    for _ in range(6):  # any exponent of 64 or more overflows unless |x1| <= 1
        acc = _where(lax.ne(and_(x2, one), zero), lax.mul(acc, x1), acc)
        x1 = lax.mul(x1, x1)
        x2 = _lax("shift_right_logical")(x2, one)
    return acc


def power(x1, x2, /):
    """x1 ** x2. A concrete integer exponent uses lax.integer_pow (exact repeated
    multiplication, as JAX); integer arrays use binary exponentiation."""
    check_arraylike("power", x1, x2)
    util.check_no_float0s("power", x1, x2)
    if not isinstance(x2, (np.ndarray, np.generic)) or np.ndim(x2) == 0:
        try:
            exponent = operator.index(x2)
        except TypeError:
            pass
        else:
            (x1,) = promote_dtypes_numeric(x1)
            return lax.integer_pow(x1, exponent)
    if (not dtypes.is_python_scalar(x2) and dtypes.is_integer(_dtype(x2))
            and dtypes.is_inexact(_dtype(x1))):
        # an integer exponent array stays integer, as in JAX: pow's derivative in the
        # base is then 0 where the exponent is 0 (not 0 * x ** -1, nan at x = 0)
        (x1,) = promote_dtypes_numeric(x1)
        x1, x2 = util.promote_shapes("power", x1, x2)
        return lax.pow(x1, x2)
    x1, x2 = promote_args_numeric("power", x1, x2)
    dt = _dtype(x1)
    if dtypes.is_integer(dt):
        return _integer_power_loop(x1, x2)
    return lax.pow(x1, x2)


pow = power


def float_power(x1, x2, /):
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return lax.pow(x1, x2)


def maximum(x1, x2, /):
    return lax.max(*promote_args("maximum", x1, x2))


def minimum(x1, x2, /):
    return _lax("min")(*promote_args("minimum", x1, x2))


def fmax(x1, x2):
    x1, x2 = promote_args("fmax", x1, x2)
    return _where(logical_or(_ordered(lax.gt, "fmax", x1, x2), isnan(x2)), x1, x2)


def fmin(x1, x2):
    x1, x2 = promote_args("fmin", x1, x2)
    return _where(logical_or(_ordered(lax.lt, "fmin", x1, x2), isnan(x2)), x1, x2)


def arctan2(x1, x2, /):
    return _lax("atan2")(*promote_args_inexact("arctan2", x1, x2))


atan2 = arctan2


def hypot(x1, x2, /):
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    x1, x2 = _lax("abs")(x1), _lax("abs")(x2)
    idx_inf = logical_or(isposinf(x1), isposinf(x2))
    x1, x2 = maximum(x1, x2), minimum(x1, x2)
    safe = _where(lax.eq(x1, lax_const(x1, 0)), lax.full_like(x1, 1), x1)
    x = _where(lax.eq(x1, lax_const(x1, 0)), x1,
               lax.mul(x1, lax.sqrt(lax.add(util.python_scalar_like(x1, 1),
                                            square(lax.div(x2, safe))))))
    return _where(idx_inf, lax_const(x, np.inf), x)


def copysign(x1, x2, /):
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    if _is_complex(x1):
        raise TypeError("copysign does not support complex-valued inputs")
    ax = _lax("abs")(x1)
    return _where(signbit(x2), lax.neg(ax), ax)


def heaviside(x1, x2, /):
    x1, x2 = util.promote_dtypes_inexact(*util.promote_args("heaviside", x1, x2))
    zero = lax_const(x1, 0)
    # NaN where x1 is NaN (NumPy's and JAX's value; its gradient goes to x1, as JAX's)
    at_zero = _where(lax.ne(x1, x1), x1, x2)
    return _where(lax.lt(x1, zero), zero, _where(lax.gt(x1, zero), lax_const(x1, 1), at_zero))


def nextafter(x1, x2, /):
    return _lax("nextafter")(*promote_args_inexact("nextafter", x1, x2))


def _logaddexp_complex(x1, x2, log_scale):
    if log_scale is None:
        return lax.log(lax.add(lax.exp(x1), lax.exp(x2)))
    return lax.div(lax.log(lax.add(exp2(x1), exp2(x2))), lax_const(x1, log_scale))


def logaddexp(x1, x2, /):
    """log(exp(x1) + exp(x2)), computed stably.

    JAX defines this with a custom_jvp; purejax with a primitive of the same rule
    (`prims.elementwise.logaddexp_p`), whose derivative with respect to x1 is
    logistic(x1 - x2): 0.5 each at ties at every order, 0 and 1 at infinities, NaN
    where x1 - x2 is NaN. Where x1 - x2 is NaN the value is x1 + x2."""
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    if _is_complex(x1):
        return _logaddexp_complex(x1, x2, None)
    return _elementwise.logaddexp(x1, x2)


def logaddexp2(x1, x2, /):
    """log2(2**x1 + 2**x2), computed stably (see logaddexp for the derivatives)."""
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    if _is_complex(x1):
        return _logaddexp_complex(x1, x2, np.log(2))
    if core.get_aval(x1).weak_type and (np.shape(x1) or np.shape(x2)):
        # JAX's lax.logaddexp2 mixes in 1/log(2) as lax._const, strong next to an
        # array, so weak array operands give a strong result
        x1, x2 = util.convert(x1, _dtype(x1)), util.convert(x2, _dtype(x2))
    return _elementwise.logaddexp2(x1, x2)


# ---------------------------------------------------------------------------
# Comparisons and logic

def equal(x1, x2, /):
    return lax.eq(*promote_args("equal", x1, x2))


def not_equal(x1, x2, /):
    return lax.ne(*promote_args("not_equal", x1, x2))


def _ordered(lax_op, name, x1, x2):
    """lax_op(x1, x2) after promotion, complex numbers ordered lexicographically (real
    part, then imaginary part) as jax.numpy orders them; lax itself rejects complex
    operands."""
    x1, x2 = promote_args(name, x1, x2)
    if _dtype(x1).kind != "c":  # (promoted: x2 has x1's dtype)
        return lax_op(x1, x2)
    re1, re2 = lax.real(x1), lax.real(x2)
    return lax.select(lax.eq(re1, re2), lax_op(lax.imag(x1), lax.imag(x2)), lax_op(re1, re2))


def less(x1, x2, /):
    return _ordered(lax.lt, "less", x1, x2)


def less_equal(x1, x2, /):
    return _ordered(lax.le, "less_equal", x1, x2)


def greater(x1, x2, /):
    return _ordered(lax.gt, "greater", x1, x2)


def greater_equal(x1, x2, /):
    return _ordered(lax.ge, "greater_equal", x1, x2)


def logical_and(x1, x2, /):
    return _lax("bitwise_and", "and_")(*map(_to_bool, promote_args("logical_and", x1, x2)))


def logical_or(x1, x2, /):
    return _lax("bitwise_or", "or_")(*map(_to_bool, promote_args("logical_or", x1, x2)))


def logical_xor(x1, x2, /):
    return _lax("bitwise_xor", "xor")(*map(_to_bool, promote_args("logical_xor", x1, x2)))


def logical_not(x, /):
    return _lax("bitwise_not", "not_")(*map(_to_bool, promote_args("logical_not", x)))


def _check_int_or_bool(name, *args):
    for a in args:
        dt = _dtype(a)
        if not (dtypes.is_integer(dt) or dt == np.bool_):
            raise TypeError(f"{name} only accepts integer or boolean arguments, got {dt}")


def bitwise_and(x1, x2, /):
    x1, x2 = promote_args("bitwise_and", x1, x2)
    _check_int_or_bool("bitwise_and", x1)
    return _lax("bitwise_and", "and_")(x1, x2)


def bitwise_or(x1, x2, /):
    x1, x2 = promote_args("bitwise_or", x1, x2)
    _check_int_or_bool("bitwise_or", x1)
    return _lax("bitwise_or", "or_")(x1, x2)


def bitwise_xor(x1, x2, /):
    x1, x2 = promote_args("bitwise_xor", x1, x2)
    _check_int_or_bool("bitwise_xor", x1)
    return _lax("bitwise_xor", "xor")(x1, x2)


def bitwise_not(x, /):
    (x,) = promote_args("bitwise_not", x)
    _check_int_or_bool("bitwise_not", x)
    return _lax("bitwise_not", "not_")(x)


invert = bitwise_not
bitwise_invert = bitwise_not


def left_shift(x1, x2, /):
    x1, x2 = promote_args_numeric("left_shift", x1, x2)
    _check_int_or_bool("left_shift", x1)
    return _lax("shift_left")(x1, x2)


bitwise_left_shift = left_shift


def right_shift(x1, x2, /):
    x1, x2 = promote_args_numeric("right_shift", x1, x2)
    _check_int_or_bool("right_shift", x1)
    if dtypes.issubdtype(_dtype(x1), np.unsignedinteger):
        return _lax("shift_right_logical")(x1, x2)
    return _lax("shift_right_arithmetic")(x1, x2)


bitwise_right_shift = right_shift
