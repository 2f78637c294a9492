"""Shape and type primitives: convert_element_type, broadcast_in_dim, reshape,
transpose, squeeze, rev, concatenate, pad, select_n, iota, and the constant
builders on top of them (full, full_like, broadcast, expand_dims, ...)."""
from __future__ import annotations

import warnings

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims._util import check_dtype, is_int_or_bool, is_real_number


def _canonical_axis(name: str, axis: int, ndim: int) -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis + ndim if axis < 0 else axis


def _check_axes(name: str, axes, ndim: int) -> None:
    for a in axes:
        if not 0 <= a < ndim:
            raise ValueError(f"{name}: dimension {a} is out of bounds for an operand of rank "
                             f"{ndim}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: dimensions must be unique, got {tuple(axes)}")


def _shift_axes(axes, bdim: int) -> tuple:
    """Axes of an unbatched operand, renumbered for the operand with its batch axis
    at `bdim` (axes at or past it move up by one)."""
    return tuple(a + (a >= bdim) for a in axes)


# --- convert_element_type ---------------------------------------------------
convert_element_type_p = Primitive("convert_element_type")


def plain_astype(src: np.dtype, dst: np.dtype) -> bool:
    """Whether converting src to dst is NumPy's astype as it is: neither complex to
    real (which takes the real part) nor float to integer (XLA's truncation and
    saturation). Backends that write the conversion inline ask this too."""
    return not ((src.kind == "c" and dst.kind != "c") or (src.kind == "f" and dst.kind in "iu"))


def _convert_impl(x, *, new_dtype, weak_type):
    if x.dtype == new_dtype:
        return x
    if plain_astype(x.dtype, np.dtype(new_dtype)):
        return np.asarray(x).astype(new_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        if np.issubdtype(x.dtype, np.complexfloating) and not np.issubdtype(new_dtype, np.complexfloating):
            x = np.real(x)
        if np.issubdtype(x.dtype, np.floating) and np.issubdtype(new_dtype, np.integer):
            # float -> int truncates toward zero, NaN gives 0 and out-of-range values
            # saturate, as XLA's conversion. (The bounds are compared in x's dtype, where
            # int32's maximum rounds up to 2**31: clipping there and casting would wrap.)
            new_dtype = np.dtype(new_dtype)
            info = np.iinfo(new_dtype)
            t = np.trunc(x)
            with np.errstate(invalid="ignore"):  # (the out-of-range casts, replaced below)
                cast = np.asarray(t).astype(new_dtype)
            hi, lo = t >= x.dtype.type(info.max), t <= x.dtype.type(info.min)
            out = np.where(hi, new_dtype.type(info.max), np.where(lo, new_dtype.type(info.min), cast))
            return np.asarray(np.where(np.isnan(x), new_dtype.type(0), out), new_dtype)
        return np.asarray(x).astype(new_dtype)


convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = lambda x, *, new_dtype, weak_type: ShapedArray(
    x.shape, new_dtype, weak_type)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    # Only float -> float carries a derivative; int/bool outputs get float0 zeros.
    if type(t) is Zero or not dtypes.is_inexact(new_dtype) or not dtypes.is_inexact(
            core.get_aval(x).dtype):
        return out, Zero.from_primal_value(out)
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    if type(ct) is Zero:
        return [None]
    old = x.aval
    return [convert_element_type_p.bind(ct, new_dtype=old.dtype, weak_type=old.weak_type)]


convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = _convert_transpose
batching.defvectorized(convert_element_type_p)


def convert_element_type(x, new_dtype, weak_type: bool = False):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    if dtypes.is_python_scalar(x):
        from purejax._src.array import Array
        return Array(np.asarray(x, dtype=new_dtype), weak_type)
    aval = core.get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)


# --- broadcast_in_dim -------------------------------------------------------
broadcast_in_dim_p = Primitive("broadcast_in_dim")


def _bid_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _bid_abstract(x, *, shape, broadcast_dimensions):
    if any(s < 0 for s in shape):
        raise TypeError(f"broadcast_in_dim: shape must be non-negative, got {shape}")
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must "
                        f"have one entry per operand dimension, operand shape {x.shape}")
    if any(a >= b for a, b in zip(broadcast_dimensions, broadcast_dimensions[1:])):
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions must be strictly increasing, "
                        f"got {broadcast_dimensions}")
    for i, d in enumerate(broadcast_dimensions):
        if not (0 <= d < len(shape)) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast "
                            f"to {shape} with broadcast_dimensions {broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _bid_transpose(ct, x, *, shape, broadcast_dimensions):
    from purejax._src.prims.reductions import reduce_sum
    in_shape = x.aval.shape
    summed = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions)
    kept_ones = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    ct = reduce_sum(ct, tuple(sorted(summed + kept_ones)))
    return reshape(ct, in_shape)


def _bid_batch(args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    size = core.get_aval(x).shape[0]
    return broadcast_in_dim(x, (size,) + tuple(shape),
                            (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


broadcast_in_dim_p.impl = _bid_impl
broadcast_in_dim_p.abstract_eval = _bid_abstract
ad.deflinear1(broadcast_in_dim_p, _bid_transpose)
broadcast_in_dim_p.batch = _bid_batch


def broadcast_in_dim(x, shape, broadcast_dimensions):
    shape = tuple(int(s) for s in shape)
    aval = core.get_aval(x)
    if aval.shape == shape and tuple(broadcast_dimensions) == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape,
                                   broadcast_dimensions=tuple(int(d) for d in broadcast_dimensions))


def broadcast(x, sizes):
    """Prepend dimensions of the given sizes: result shape sizes + x.shape."""
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        return x
    nd = core.get_aval(x).ndim
    return broadcast_in_dim(x, sizes + core.get_aval(x).shape,
                            tuple(range(len(sizes), len(sizes) + nd)))


def broadcast_to_rank(x, rank: int):
    """Prepend size-1 dimensions until x has the given rank."""
    nd = core.get_aval(x).ndim
    if nd == rank:
        return x
    return broadcast(x, (1,) * (rank - nd))


def expand_dims(x, dimensions):
    """Insert size-1 dimensions at the given positions of the result (no primitive
    of its own, as in JAX: a broadcast_in_dim)."""
    aval = core.get_aval(x)
    out_ndim = aval.ndim + len(dimensions)
    dims = [_canonical_axis("expand_dims", d, out_ndim) for d in dimensions]
    if len(set(dims)) != len(dims):
        raise ValueError(f"expand_dims: repeated dimensions {tuple(dimensions)}")
    shape = list(aval.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    kept = tuple(i for i in range(out_ndim) if i not in dims)
    return broadcast_in_dim(x, tuple(shape), kept)


# --- reshape ----------------------------------------------------------------
reshape_p = Primitive("reshape")
reshape_p.impl = lambda x, *, new_sizes, dimensions: np.reshape(x, new_sizes)


def _reshape_abstract(x, *, new_sizes, dimensions):
    if any(s < 0 for s in new_sizes):
        raise TypeError(f"reshape new_sizes must be non-negative, got {new_sizes}")
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} "
                        f"for shape {x.shape}.")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


def _reshape_batch(args, dims, *, new_sizes, dimensions):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return reshape(x, (core.get_aval(x).shape[0],) + tuple(new_sizes)), 0


reshape_p.abstract_eval = _reshape_abstract
ad.deflinear1(reshape_p, lambda ct, x, **p: reshape(ct, x.aval.shape))
reshape_p.batch = _reshape_batch


def reshape(x, new_sizes, dimensions=None):
    new_sizes = tuple(int(s) for s in new_sizes)
    if dimensions is not None:
        x = transpose(x, tuple(dimensions))
    if core.get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=None)


# --- transpose --------------------------------------------------------------
transpose_p = Primitive("transpose")
transpose_p.impl = lambda x, *, permutation: np.transpose(x, permutation)


def _transpose_abstract(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation {permutation} is not a permutation of the "
                        f"operand's {x.ndim} dimensions")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return transpose(x, (0,) + tuple(p + 1 for p in permutation)), 0


transpose_p.abstract_eval = _transpose_abstract
ad.deflinear1(transpose_p,
              lambda ct, x, *, permutation: transpose(ct, tuple(np.argsort(permutation))))
transpose_p.batch = _transpose_batch


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


# --- squeeze: drop size-1 dimensions ------------------------------------------
squeeze_p = Primitive("squeeze")
squeeze_p.impl = lambda x, *, dimensions: np.reshape(
    x, tuple(s for i, s in enumerate(x.shape) if i not in dimensions))


def _squeeze_abstract(x, *, dimensions):
    _check_axes("squeeze", dimensions, x.ndim)
    for d in dimensions:
        if x.shape[d] != 1:
            raise ValueError(f"squeeze: cannot squeeze dimension {d} of size {x.shape[d]} "
                             f"(expected size 1); operand shape {x.shape}")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i not in dimensions),
                       x.dtype, x.weak_type)


def _squeeze_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    return (squeeze_p.bind(x, dimensions=_shift_axes(dimensions, d)),
            d - sum(a < d for a in dimensions))


squeeze_p.abstract_eval = _squeeze_abstract
ad.deflinear1(squeeze_p, lambda ct, x, **p: reshape(ct, x.aval.shape))
squeeze_p.batch = _squeeze_batch


def squeeze(array, dimensions):
    nd = core.get_aval(array).ndim
    dims = tuple(sorted(_canonical_axis("squeeze", d, nd) for d in dimensions))
    if not dims:
        return array
    return squeeze_p.bind(array, dimensions=dims)


# --- rev: reverse along dimensions ---------------------------------------------
rev_p = Primitive("rev")
rev_p.impl = lambda x, *, dimensions: np.flip(x, axis=dimensions)


def _rev_abstract(x, *, dimensions):
    _check_axes("rev", dimensions, x.ndim)
    return x


def _rev_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    return rev_p.bind(x, dimensions=_shift_axes(dimensions, d)), d


rev_p.abstract_eval = _rev_abstract
ad.deflinear1(rev_p, lambda ct, x, *, dimensions: rev(ct, dimensions))
rev_p.batch = _rev_batch


def rev(operand, dimensions):
    dims = tuple(int(d) for d in dimensions)
    if not dims:
        return operand
    return rev_p.bind(operand, dimensions=dims)


# --- concatenate: linear in every operand; transposes into slices ---------------
concatenate_p = Primitive("concatenate")
concatenate_p.impl = lambda *xs, dimension: np.concatenate(xs, axis=dimension)


def _concatenate_abstract(*xs, dimension):
    if not xs:
        raise TypeError("concatenate requires at least one operand")
    x0 = xs[0]
    if not 0 <= dimension < max(x0.ndim, 1) or x0.ndim == 0:
        raise TypeError(f"concatenate: dimension {dimension} is out of bounds for operands of "
                        f"rank {x0.ndim} (rank-0 operands cannot be concatenated)")
    for x in xs[1:]:
        if x.dtype != x0.dtype:
            raise TypeError(f"concatenate requires operands to have the same dtype, got "
                            f"{', '.join(x.dtype.name for x in xs)}")
        if x.ndim != x0.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape))
                                    if i != dimension):
            raise TypeError(f"concatenate: operand shapes must be equal except in dimension "
                            f"{dimension}, got {', '.join(str(x.shape) for x in xs)}")
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), x0.dtype, all(x.weak_type for x in xs))


def _concatenate_transpose(ct, *xs, dimension):
    from purejax._src.prims.indexing import slice_in_dim
    outs, start = [], 0
    for x in xs:
        aval = x.aval if is_undefined_primal(x) else core.get_aval(x)
        stop = start + aval.shape[dimension]
        outs.append(slice_in_dim(ct, start, stop, 1, dimension) if is_undefined_primal(x)
                    else None)
        start = stop
    return outs


def _concatenate_batch(args, dims, *, dimension):
    size = next(core.get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
    xs = [batching.moveaxis(x, d, 0, size) for x, d in zip(args, dims)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


concatenate_p.abstract_eval = _concatenate_abstract
ad.deflinear(concatenate_p, _concatenate_transpose)
concatenate_p.batch = _concatenate_batch


def concatenate(operands, dimension: int):
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


# --- pad: lo/hi (possibly negative) and interior padding ---------------------
# Linear in (operand, padding_value) jointly: the transpose for the operand strips
# the edges (a pad by -lo, -hi) and takes every (interior+1)-th element; the padding
# value receives the sum of everything that did not come from the operand.
pad_p = Primitive("pad")


def _padded_size(n, lo, hi, interior):
    return lo + hi + n + max(n - 1, 0) * interior


def _pad_impl(x, padding_value, *, padding_config):
    full_shape, inner, crop = [], [], []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        lo_pos, hi_pos = max(lo, 0), max(hi, 0)
        spread = n + max(n - 1, 0) * interior
        full_shape.append(lo_pos + spread + hi_pos)
        inner.append(slice(lo_pos, lo_pos + spread, interior + 1))
        crop.append(slice(max(-lo, 0), lo_pos + spread + hi_pos - max(-hi, 0)))
    out = np.full(full_shape, padding_value, dtype=x.dtype)
    out[tuple(inner)] = x
    return out[tuple(crop)]


def _pad_abstract(x, padding_value, *, padding_config):
    if padding_value.shape != ():
        raise TypeError(f"pad: padding_value must be a scalar, got shape {padding_value.shape}")
    if padding_value.dtype != x.dtype:
        raise TypeError(f"pad: operand and padding_value must have the same dtype, got "
                        f"{x.dtype.name} and {padding_value.dtype.name}")
    if len(padding_config) != x.ndim:
        raise ValueError(f"pad: padding_config needs one (lo, hi, interior) triple per "
                         f"operand dimension: got {len(padding_config)} for shape {x.shape}")
    shape = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise ValueError(f"pad: interior padding must be non-negative, got "
                             f"{padding_config}")
        size = _padded_size(n, lo, hi, interior)
        if size < 0:
            raise ValueError(f"pad: padding_config {padding_config} gives a negative "
                             f"dimension size for operand shape {x.shape}")
        shape.append(size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type and padding_value.weak_type)


def _pad_transpose(ct, x, padding_value, *, padding_config):
    from purejax._src.prims.indexing import slice as lax_slice
    from purejax._src.prims.reductions import reduce_sum
    from purejax._src.prims import elementwise as ew
    lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
    zero = full_like(ct, 0, shape=())
    unpadded = pad(ct, zero, tuple((-a, -b, 0) for a, b in zip(lo, hi)))
    ct_x = lax_slice(unpadded, (0,) * len(lo), core.get_aval(unpadded).shape,
                     tuple(i + 1 for i in interior))
    ct_pv = None
    if is_undefined_primal(padding_value):
        every = tuple(range(core.get_aval(ct).ndim))
        ct_pv = ew.sub(reduce_sum(ct, every), reduce_sum(ct_x, every))
    return [ct_x if is_undefined_primal(x) else None, ct_pv]


def _pad_batch(args, dims, *, padding_config):
    (x, pv), (xd, pvd) = args, dims
    config = ((0, 0, 0),) + tuple(padding_config)
    if pvd is None:
        return pad_p.bind(batching.moveaxis(x, xd, 0), pv, padding_config=config), 0
    # A batched padding value: pad with anything, then select it back in through a
    # mask of where the operand landed.
    size = core.get_aval(pv).shape[pvd]
    x = batching.moveaxis(x, xd, 0, size)
    x_aval = core.get_aval(x)
    padded = pad_p.bind(x, full_like(pv, 0, shape=()), padding_config=config)
    mask = pad(full(x_aval.shape, True), False, config)
    out_shape = core.get_aval(padded).shape
    pv = broadcast_in_dim(batching.moveaxis(pv, pvd, 0), out_shape, (0,))
    return select_n(mask, pv, padded), 0


pad_p.impl = _pad_impl
pad_p.abstract_eval = _pad_abstract
ad.deflinear(pad_p, _pad_transpose)
pad_p.batch = _pad_batch


def pad(operand, padding_value, padding_config):
    config = tuple((int(lo), int(hi), int(interior)) for lo, hi, interior in padding_config)
    from purejax._src.prims._util import as_operands
    operand, padding_value = as_operands(operand, padding_value)
    return pad_p.bind(operand, padding_value, padding_config=config)


# --- select_n: cases[which] elementwise; which is bool (2 cases) or int32 -----
select_n_p = Primitive("select_n")


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0]) if len(cases) > 1 else cases[0]
    return np.choose(which, cases, mode="clip") if len(cases) > 1 else cases[0]


def _select_n_abstract(which, *cases):
    if not cases:
        raise TypeError("select_n requires at least one case")
    check_dtype("select_n (which)", is_int_or_bool, which.dtype)
    if which.dtype == np.bool_ and len(cases) > 2:
        raise TypeError("select_n with a bool predicate takes at most 2 cases")
    c0 = cases[0]
    for c in cases[1:]:
        if c.shape != c0.shape or c.dtype != c0.dtype:
            raise TypeError(f"select_n cases must have the same shapes and dtypes, got "
                            f"{', '.join(c.str_short() for c in cases)}")
    if which.shape not in ((), c0.shape):
        raise TypeError(f"select_n `which` must be scalar or have the cases' shape "
                        f"{c0.shape}, got {which.shape}")
    return ShapedArray(c0.shape, c0.dtype, all(c.weak_type for c in cases))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n_p.bind(which, *cases)
    ts = tangents[1:]
    if all(type(t) is Zero for t in ts):
        return out, Zero.from_primal_value(out)
    return out, select_n_p.bind(which, *map(ad.instantiate_zeros, ts))


def _select_n_transpose(ct, which, *cases):
    assert not is_undefined_primal(which)
    if type(ct) is Zero:
        return [None] * (1 + len(cases))
    zeros = full_like(ct, 0)
    outs = [None]
    for i, c in enumerate(cases):
        if is_undefined_primal(c):
            branch = [zeros] * len(cases)
            branch[i] = ct
            outs.append(select_n_p.bind(which, *branch))
        else:
            outs.append(None)
    return outs


def _select_n_batch(args, dims):
    # A scalar `which` may stay scalar only while it is unbatched; a batched one
    # must take the cases' full (batched) shape.
    which, *cases = args
    wd, *cds = dims
    size = next(core.get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
    case_aval = core.get_aval(cases[0])
    case_shape = case_aval.shape if cds[0] is None else \
        case_aval.shape[:cds[0]] + case_aval.shape[cds[0] + 1:]
    cases = [batching.moveaxis(c, d, 0, size) for c, d in zip(cases, cds)]
    w_ndim = core.get_aval(which).ndim
    if wd is None:
        if w_ndim:
            which = batching.broadcast_batched(which, size, 0)
    else:
        which = batching.moveaxis(which, wd, 0)
        if w_ndim == 1 and case_shape:
            which = broadcast_in_dim(which, (size,) + case_shape, (0,))
    return select_n_p.bind(which, *cases), 0


select_n_p.impl = _select_n_impl
select_n_p.abstract_eval = _select_n_abstract
select_n_p.jvp = _select_n_jvp
select_n_p.transpose = _select_n_transpose
select_n_p.batch = _select_n_batch


def select_n(which, *cases):
    return select_n_p.bind(which, *cases)


def select(pred, on_true, on_false):
    """lax.select: on_true where pred, else on_false (select_n with the cases swapped)."""
    return select_n(pred, on_false, on_true)


# --- iota: a constant with no operands ---------------------------------------------
iota_p = Primitive("iota")


def _iota_impl(*, dtype, shape, dimension):
    ramp = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(
        ramp.reshape(tuple(s if i == dimension else 1 for i, s in enumerate(shape))), shape)


def _iota_abstract(*, dtype, shape, dimension):
    check_dtype("iota", is_real_number, dtype)
    if any(s < 0 for s in shape):
        raise ValueError(f"iota: shape must be non-negative, got {shape}")
    if not 0 <= dimension < len(shape):
        raise ValueError(f"iota: dimension {dimension} is out of bounds for shape {shape}")
    return ShapedArray(tuple(shape), dtype, False)


iota_p.impl = _iota_impl
iota_p.abstract_eval = _iota_abstract
# With no operands the transformations never call these; they are filled so that
# every primitive answers every transformation.
ad.defjvp_zero(iota_p)
iota_p.batch = lambda args, dims, **params: (iota_p.bind(**params), None)


def iota(dtype, size: int):
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension: int):
    shape = tuple(int(s) for s in shape)
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=shape,
                       dimension=_canonical_axis("broadcasted_iota", dimension, len(shape)))


# --- constants ----------------------------------------------------------------
def full(shape, fill_value, dtype=None):
    if np.shape(fill_value):
        raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape "
                        f"{np.shape(fill_value)}.")
    shape = tuple(int(s) for s in shape)
    if dtype is None:
        dtype = dtypes.dtype(fill_value, canonicalize=True)
        weak = dtypes.is_weakly_typed(fill_value)
    else:
        weak = False
    x = convert_element_type(fill_value, dtypes.canonicalize_dtype(dtype), weak)
    return broadcast_in_dim(x, shape, ()) if shape else x


def full_like(x, fill_value, dtype=None, shape=None):
    aval = core.get_aval(x)
    dt = aval.dtype if dtype is None else dtypes.canonicalize_dtype(dtype)
    weak = aval.weak_type if dtype is None else False
    val = convert_element_type(fill_value, dt, weak)
    shape = aval.shape if shape is None else tuple(shape)
    return broadcast_in_dim(val, shape, ()) if shape else val


def zeros_like_array(x):
    return full_like(x, 0)




__all__ = [
    "broadcast",
    "broadcast_in_dim",
    "broadcast_in_dim_p",
    "broadcast_to_rank",
    "broadcasted_iota",
    "concatenate",
    "concatenate_p",
    "convert_element_type",
    "convert_element_type_p",
    "expand_dims",
    "full",
    "full_like",
    "iota",
    "iota_p",
    "pad",
    "pad_p",
    "reshape",
    "reshape_p",
    "rev",
    "rev_p",
    "select",
    "select_n",
    "select_n_p",
    "squeeze",
    "squeeze_p",
    "transpose",
    "transpose_p",
    "zeros_like_array",
]
