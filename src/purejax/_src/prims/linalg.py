"""dot_general (XLA's general tensor contraction) and the lax.dot / batch_matmul
conveniences on top of it.

dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)). The
output layout is XLA's: batch dims (in lhs_batch order), then the lhs free dims,
then the rhs free dims (each in increasing order).
"""
from __future__ import annotations

import enum

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.prims._util import check_dtype, is_any



class Precision(enum.Enum):
    """Accepted for API compatibility; NumPy always computes at the operands' full
    precision, so every setting gives the same result."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @staticmethod
    def from_any(p):
        if p is None or isinstance(p, Precision):
            return p
        names = {"default": Precision.DEFAULT, "bfloat16": Precision.DEFAULT,
                 "high": Precision.HIGH, "tensorfloat32": Precision.HIGH,
                 "highest": Precision.HIGHEST, "float32": Precision.HIGHEST}
        if isinstance(p, str) and p.lower() in names:
            return names[p.lower()]
        if isinstance(p, (tuple, list)) and len(p) == 2:
            return (Precision.from_any(p[0]), Precision.from_any(p[1]))
        raise ValueError(f"Unknown precision {p!r}: expected None, a lax.Precision, one of "
                         f"{sorted(names)} or a pair of those")


dot_general_p = Primitive("dot_general")


def _free_dims(ndim, contract, batch):
    return [d for d in range(ndim) if d not in contract and d not in batch]


def _matmul_no_batch(lhs, rhs, lc, rc):
    # The MLP hot path: rank <= 2 with one contraction maps onto np.dot over
    # (transposed) views, which BLAS reads without copying.
    if len(lc) == 1 and lhs.ndim <= 2 and rhs.ndim <= 2:
        a = lhs if lc[0] == lhs.ndim - 1 else lhs.T
        b = rhs if rc[0] == 0 else rhs.T
        return np.dot(a, b)
    return np.tensordot(lhs, rhs, axes=(list(lc), list(rc)))


def _matmul_batched(lhs, rhs, lc, rc, lb, rb):
    lf = _free_dims(lhs.ndim, lc, lb)
    rf = _free_dims(rhs.ndim, rc, rb)
    a = np.transpose(lhs, list(lb) + lf + list(lc))
    b = np.transpose(rhs, list(rb) + list(rc) + rf)
    nb = len(lb)
    batch_shape = a.shape[:nb]
    m_shape = a.shape[nb:nb + len(lf)]
    n_shape = b.shape[nb + len(rc):]
    k = int(np.prod(a.shape[nb + len(lf):], dtype=np.int64))
    m = int(np.prod(m_shape, dtype=np.int64))
    n = int(np.prod(n_shape, dtype=np.int64))
    out = np.matmul(a.reshape(batch_shape + (m, k)), b.reshape(batch_shape + (k, n)))
    return out.reshape(batch_shape + m_shape + n_shape)


def outer_product_layout(lhs_shape, rhs_shape, lb, rb):
    """How a dot_general without contraction is one broadcasting multiply: the
    operands' axis permutations (None: already in order) and the shapes to reshape the
    permuted operands to. Shared by the impl and the code generator."""
    lf = _free_dims(len(lhs_shape), (), lb)
    rf = _free_dims(len(rhs_shape), (), rb)
    perm_a, perm_b = list(lb) + lf, list(rb) + rf
    a_shape = tuple(lhs_shape[d] for d in perm_a)
    b_shape = tuple(rhs_shape[d] for d in perm_b)
    nb = len(lb)
    return (None if perm_a == list(range(len(lhs_shape))) else tuple(perm_a),
            a_shape + (1,) * len(rf),
            None if perm_b == list(range(len(rhs_shape))) else tuple(perm_b),
            b_shape[:nb] + (1,) * len(lf) + b_shape[nb:])


def _product_no_contraction(lhs, rhs, lb, rb):
    # Nothing to sum: a (batched) outer product is one broadcasting multiply. It is
    # what vmap(grad) of a dot produces (W4), where a matmul with k=1 per batch
    # element costs ~5x more, and it is exact (no `0 + a*b`, so -0.0 survives).
    perm_a, a_shape, perm_b, b_shape = outer_product_layout(lhs.shape, rhs.shape, lb, rb)
    a = lhs if perm_a is None else np.transpose(lhs, perm_a)
    b = rhs if perm_b is None else np.transpose(rhs, perm_b)
    return np.multiply(a.reshape(a_shape), b.reshape(b_shape))


def _dot_general_impl(lhs, rhs, *, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    out_dtype = lhs.dtype if preferred_element_type is None else np.dtype(preferred_element_type)
    if lhs.dtype != out_dtype:  # accumulate in the preferred (wider) type
        lhs, rhs = lhs.astype(out_dtype), rhs.astype(out_dtype)
    if not lc:
        out = _product_no_contraction(lhs, rhs, lb, rb)
    elif lb:
        out = _matmul_batched(lhs, rhs, lc, rc, lb, rb)
    else:
        out = _matmul_no_batch(lhs, rhs, lc, rc)
    return np.asarray(out, dtype=out_dtype)


def _check_dims(side, dims, ndim, field):
    if any(not 0 <= d < ndim for d in dims) or len(set(dims)) != len(dims):
        raise TypeError(f"dot_general requires {side} {field} dimensions to be unique and in "
                        f"range [0, {ndim}), got {tuple(dims)}")


def _dot_general_abstract(lhs, rhs, *, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    check_dtype("dot_general", is_any, lhs.dtype)
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires lhs and rhs to have the same dtype, got "
                        f"{lhs.dtype.name} and {rhs.dtype.name}")
    if len(lc) != len(rc):
        raise TypeError(f"dot_general requires equal numbers of lhs and rhs contracting "
                        f"dimensions, got lhs_contract {lc} and rhs_contract {rc}")
    if len(lb) != len(rb):
        raise TypeError(f"dot_general requires equal numbers of lhs and rhs batch dimensions, "
                        f"got lhs_batch {lb} and rhs_batch {rb}")
    _check_dims("lhs", lc, lhs.ndim, "contracting")
    _check_dims("rhs", rc, rhs.ndim, "contracting")
    _check_dims("lhs", lb, lhs.ndim, "batch")
    _check_dims("rhs", rb, rhs.ndim, "batch")
    if set(lc) & set(lb) or set(rc) & set(rb):
        raise TypeError(f"dot_general requires contracting and batch dimensions to be "
                        f"disjoint, got dimension_numbers {dimension_numbers}")
    for kind, ls, rs in (("contracting", lc, rc), ("batch", lb, rb)):
        lshape = tuple(lhs.shape[d] for d in ls)
        rshape = tuple(rhs.shape[d] for d in rs)
        if lshape != rshape:
            raise TypeError(f"dot_general requires {kind} dimensions to have the same shape, "
                            f"got {lshape} and {rshape} (lhs shape {lhs.shape}, rhs shape "
                            f"{rhs.shape}, dimension_numbers {dimension_numbers})")
    dt = lhs.dtype
    if preferred_element_type is not None:
        dt = np.dtype(preferred_element_type)
        _check_preferred(lhs.dtype, dt)
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in _free_dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free_dims(rhs.ndim, rc, rb)))
    weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
    return ShapedArray(shape, dt, weak)


def _kind(dt):
    if dt == np.bool_ or np.issubdtype(dt, np.integer):
        return "integral"
    return "floating" if np.issubdtype(dt, np.floating) else "complex"


def _check_preferred(in_dtype, pref):
    ok = {("integral", "integral"), ("integral", "floating"), ("floating", "floating"),
          ("complex", "complex")}
    if (_kind(in_dtype), _kind(pref)) not in ok:
        raise TypeError(f"dot_general: input dtype {in_dtype.name} is incompatible with "
                        f"preferred_element_type {pref.name}; the compatible kinds are "
                        "(integral, integral), (integral, floating), (floating, floating) "
                        "and (complex, complex)")
    if _kind(in_dtype) == _kind(pref) and in_dtype != np.bool_ and pref.itemsize < in_dtype.itemsize:
        raise TypeError(f"dot_general: preferred_element_type {pref.name} must not be "
                        f"narrower than the input dtype {in_dtype.name}")


# --- bilinear: JVP by the product rule; each transpose is another dot_general -----
# ct has layout [batch, lhs free, rhs free]. Contracting ct's rhs-free part against
# rhs's free dims gives [batch, lhs free, rhs contracting (in increasing rhs order)];
# a transpose puts those axes back where lhs had them. Symmetrically for rhs.
def _transpose_operand(ct, other, dimension_numbers, this_ndim, this_is_lhs):
    from purejax._src.prims.shape import convert_element_type, transpose
    (lc, rc), (lb, rb) = dimension_numbers
    if not this_is_lhs:
        lc, rc, lb, rb = rc, lc, rb, lb
    # now "this" plays lhs: contracting lc, batch lb; the other operand rc, rb
    other_ndim = core.get_aval(other).ndim
    nb = len(lb)
    this_free = _free_dims(this_ndim, lc, lb)
    other_free = _free_dims(other_ndim, rc, rb)
    # where the other operand's free dims sit in ct: after this one's when this is lhs
    first = nb + len(this_free) if this_is_lhs else nb
    other_pos = list(range(first, first + len(other_free)))
    other_dtype = core.get_aval(other).dtype
    if core.get_aval(ct).dtype != other_dtype:  # ct came out in preferred_element_type
        ct = convert_element_type(ct, other_dtype)
    dims = ((tuple(other_pos), tuple(other_free)), (tuple(range(nb)), tuple(rb)))
    out = dot_general_p.bind(ct, other, dimension_numbers=dims, precision=None,
                             preferred_element_type=None)
    # out layout: [batch, this operand's free dims, other's contracting dims (sorted)]
    src = list(lb) + this_free + [lc[list(rc).index(r)] for r in sorted(rc)]
    return transpose(out, tuple(int(i) for i in np.argsort(src)))


def _dot_transpose_lhs(ct, x, y, *, dimension_numbers, precision, preferred_element_type):
    return _transpose_operand(ct, y, dimension_numbers, x.aval.ndim, True)


def _dot_transpose_rhs(ct, x, y, *, dimension_numbers, precision, preferred_element_type):
    return _transpose_operand(ct, x, dimension_numbers, y.aval.ndim, False)


def _shift(axes, bdim):
    return tuple(a + (a >= bdim) for a in axes)


def _dot_general_batch(args, dims, *, dimension_numbers, **params):
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None and rd is not None:
        # both batched: one more dot_general batch dimension, first in the output
        lhs = batching.moveaxis(lhs, ld, 0)
        rhs = batching.moveaxis(rhs, rd, 0)
        dn = ((_shift(lc, 0), _shift(rc, 0)), ((0,) + _shift(lb, 0), (0,) + _shift(rb, 0)))
        out_dim = 0
    elif ld is not None:
        # the batch axis stays put as one more free dim of lhs
        lc2, lb2 = _shift(lc, ld), _shift(lb, ld)
        dn = ((lc2, rc), (lb2, rb))
        out_dim = len(lb) + sum(1 for d in range(ld) if d not in lc2 and d not in lb2)
    else:
        rc2, rb2 = _shift(rc, rd), _shift(rb, rd)
        dn = ((lc, rc2), (lb, rb2))
        n_lhs_free = core.get_aval(lhs).ndim - len(lc) - len(lb)
        out_dim = len(rb) + n_lhs_free + sum(1 for d in range(rd)
                                             if d not in rc2 and d not in rb2)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), out_dim


dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_abstract
ad.defbilinear(dot_general_p, _dot_transpose_lhs, _dot_transpose_rhs)
dot_general_p.batch = _dot_general_batch


def _canonical_dnums(dimension_numbers):
    try:
        (lc, rc), (lb, rb) = dimension_numbers
    except (TypeError, ValueError):
        raise TypeError("dot_general dimension_numbers must be ((lhs_contract, rhs_contract), "
                        f"(lhs_batch, rhs_batch)), got {dimension_numbers!r}") from None
    return tuple(tuple(int(d) for d in x) for x in (lc, rc)), \
        tuple(tuple(int(d) for d in x) for x in (lb, rb))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    pref = None if preferred_element_type is None else dtypes.canonicalize_dtype(
        preferred_element_type)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=_canonical_dnums(dimension_numbers),
                              precision=Precision.from_any(precision),
                              preferred_element_type=pref)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/matrix products: contracts lhs's last dim with rhs's first (ranks 1-2)."""
    ls, rs = core.get_aval(lhs).shape, core.get_aval(rhs).shape
    if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2 and ls[-1] == rs[0]):
        raise TypeError(f"Incompatible shapes for dot: got {ls} and {rs}.")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over equal leading batch dims: (..., m, k) @ (..., k, n)."""
    ls, rs = core.get_aval(lhs).shape, core.get_aval(rhs).shape
    if len(ls) != len(rs) or len(ls) < 2 or ls[:-2] != rs[:-2] or ls[-1] != rs[-2]:
        raise ValueError(f"batch_matmul requires operands of equal rank >= 2 with equal batch "
                         f"dims and matching inner dims, got shapes {ls} and {rs}")
    nb = len(ls) - 2
    batch = tuple(range(nb))
    return dot_general(lhs, rhs, (((nb + 1,), (nb,)), (batch, batch)), precision)


__all__ = [
    "Precision",
    "batch_matmul",
    "dot",
    "dot_general",
    "dot_general_p",
]
