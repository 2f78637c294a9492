"""NumPy's API on purejax arrays, as jax.numpy (re-exports only)."""
import purejax._src.numpy.array_methods  # noqa: F401  (operators and methods on arrays)
from purejax._src.array import Array as ndarray
from purejax._src.numpy.scalar_types import (bool_, complex64, complex128, float16, float32,
                                             float64, int8, int16, int32, int64, uint8, uint16,
                                             uint32, uint64)
from purejax._src.numpy.einsum import einsum, einsum_path
from purejax._src.numpy.indexing import take, take_along_axis
from purejax._src.numpy.array_creation import (
    arange, array, asarray, can_cast, copy, diag, diagflat, diagonal, e, empty,
    empty_like, euler_gamma, eye, finfo, full, full_like, identity, iinfo, indices, inf,
    iscomplexobj, isrealobj, isscalar, issubdtype, linspace, meshgrid, nan, ndim, newaxis,
    ones, ones_like, pi, promote_types, result_type, shape, size, trace, tri, tril, triu, zeros,
    zeros_like)
from purejax._src.numpy.lax_numpy import (
    argwhere, array_split, astype, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays,
    broadcast_shapes, broadcast_to, clip, column_stack, concat, concatenate, dstack,
    expand_dims, flatnonzero, flip, fliplr, flipud, hsplit, hstack, matrix_transpose,
    moveaxis, nonzero, permute_dims, ravel, ravel_multi_index, repeat, reshape, roll, rot90,
    select, split, squeeze, stack, swapaxes, tile, transpose, unravel_index, vsplit, vstack,
    where)
from purejax._src.numpy.float_functions import frexp, i0, ldexp, modf, spacing
from purejax._src.numpy.numeric_extra import (
    array_equal, array_equiv, convolve, correlate, cross, diff, ediff1d, gcd, geomspace, interp,
    lcm, logspace, polyval, trapezoid)
from purejax._src.numpy.pad import pad
from purejax._src.numpy.printing import get_printoptions, printoptions, set_printoptions
from purejax._src.numpy.selection import choose, compress
from purejax._src.numpy.vectorize import vectorize
from purejax._src.numpy.sorting import (
    argpartition, argsort, lexsort, median, nanmedian, nanpercentile, nanquantile, partition,
    percentile, quantile, searchsorted, sort, sort_complex, unique, unique_all, unique_counts,
    unique_inverse, unique_values)
from purejax._src.numpy.reductions import (
    all, amax, amin, any, argmax, argmin, average, count_nonzero, cumprod, cumsum,
    cumulative_prod, cumulative_sum, max, mean, min, nancumprod, nancumsum, nanmax, nanmean,
    nanmin, nanprod, nansum, prod, ptp, std, sum, var)
from purejax._src.numpy.tensor_contractions import (dot, inner, kron, matmul, outer,
                                                    tensordot, vdot, vecdot)
from purejax._src.numpy.ufuncs import (
    abs, absolute, acos, acosh, add, allclose, angle, arccos, arccosh, arcsin, arcsinh,
    arctan, arctan2, arctanh, around, asin, asinh, atan, atan2, atanh, bitwise_and,
    bitwise_invert, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
    bitwise_xor, cbrt, ceil, conj, conjugate, copysign, cos, cosh, deg2rad, degrees, divide,
    divmod, equal, exp, exp2, expm1, fabs, fix, float_power, floor, floor_divide, fmax, fmin,
    fmod, greater, greater_equal, heaviside, hypot, imag, invert, isclose, isfinite, isinf,
    isnan, isneginf, isposinf, left_shift, less, less_equal, log, log1p, log2, log10,
    logaddexp, logaddexp2, logical_and, logical_not, logical_or, logical_xor, maximum, minimum,
    mod, multiply, nan_to_num, negative, nextafter, not_equal, positive, pow, power, rad2deg,
    radians, real, reciprocal, remainder, right_shift, rint, round, sign, signbit, sin, sinc,
    sinh, sqrt, square, subtract, tan, tanh, true_divide, trunc)

from numpy import dtype  # noqa: E402  (jnp.dtype is NumPy's dtype class, as in JAX)
from numpy import (complexfloating, floating, generic, inexact, integer, number,  # noqa: E402
                   signedinteger, unsignedinteger)

bool = bool_  # noqa: A001  (jnp.bool is the NumPy bool type, as in JAX)
uint = uint64
# NumPy 1's platform-default names are JAX's aliases of the 64-bit types (which
# become 32-bit as dtypes unless x64 is enabled): jnp.float_ is jnp.float64
float_ = float64
int_ = int64
complex_ = complex128
