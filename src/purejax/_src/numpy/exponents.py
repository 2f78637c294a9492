"""jnp functions on binary exponents: ldexp.

JAX computes `ldexp` from `frexp`, which needs a bitcast primitive that purejax does
not have. Scaling by exact powers of two gives the same values without one (see
`ldexp`), and its derivative with respect to x1 is 2**x2 everywhere.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from purejax._src import dtypes
from purejax._src import lax
from purejax._src.numpy import util


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
