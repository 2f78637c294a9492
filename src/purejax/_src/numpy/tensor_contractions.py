"""dot, vdot, matmul, inner, outer, tensordot, kron: lowered to lax.dot_general."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.numpy import util
from purejax._src.numpy.util import canonicalize_axis, check_arraylike, shape_of


def _dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    fn = getattr(lax, "dot_general", None)
    if fn is None:
        raise NotImplementedError("lax.dot_general is not implemented yet in purejax")
    kwargs = {}
    if precision is not None:
        kwargs["precision"] = precision
    if preferred_element_type is not None:
        kwargs["preferred_element_type"] = preferred_element_type
    return fn(lhs, rhs, dimension_numbers, **kwargs)


def _finish(result, preferred_element_type, weak: bool):
    if preferred_element_type is None:
        aval = core.get_aval(result)
        return lax.convert_element_type(result, aval.dtype, weak)
    return lax.convert_element_type(result, dtypes.canonicalize_dtype(preferred_element_type),
                                    weak)


def _promote(name, a, b, preferred_element_type):
    check_arraylike(name, a, b)
    util.check_user_dtype_supported(preferred_element_type, name)
    dt, weak = dtypes.result_type(a, b, return_weak_type_flag=True)
    a, b = util.promote_dtypes(a, b)
    return a, b, weak and preferred_element_type is None


def _same_dtype_operands(a, b):
    """The avals of two Arrays/tracers of one (non-bool) dtype and weak type, else None:
    operands with nothing to check, promote or convert afterwards (the hot path)."""
    aa, ab = util.operand_aval(a), util.operand_aval(b)
    if aa is None or ab is None or aa.dtype != ab.dtype or aa.weak_type != ab.weak_type \
            or aa.dtype.kind == "b":
        return None
    return aa, ab


def dot(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's dot: scalars multiply; otherwise contract the last axis of a with the
    last (1-D b) or second-to-last axis of b."""
    same = _same_dtype_operands(a, b) if preferred_element_type is None else None
    if same is not None:
        sa, sb = same[0].shape, same[1].shape
        na, nb = len(sa), len(sb)
        if na and nb:
            contract = ((na - 1,), (0,)) if nb == 1 else ((na - 1,), (nb - 2,))
            if sa[na - 1] == sb[contract[1][0]]:
                # dot_general's own result: this dtype, weak only if both are
                return _dot_general(a, b, (contract, ((), ())), precision)
    a, b, weak = _promote("dot", a, b, preferred_element_type)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        from purejax._src.numpy import ufuncs
        out = ufuncs.multiply(a, b)
        return out if preferred_element_type is None else \
            lax.convert_element_type(out, dtypes.canonicalize_dtype(preferred_element_type))
    contract = ((na - 1,), (0,)) if nb == 1 else ((na - 1,), (nb - 2,))
    if shape_of(a)[na - 1] != shape_of(b)[contract[1][0]]:
        raise TypeError(f"dot: shapes {shape_of(a)} and {shape_of(b)} are not aligned: "
                        f"{shape_of(a)[na - 1]} (dim {na - 1}) != "
                        f"{shape_of(b)[contract[1][0]]} (dim {contract[1][0]})")
    out = _dot_general(a, b, (contract, ((), ())), precision, preferred_element_type)
    return _finish(out, preferred_element_type, weak)


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """a @ b with NumPy's rules: 1-D operands are promoted to matrices and the added
    dimension removed; leading (batch) dimensions broadcast."""
    check_arraylike("matmul", a, b)
    for i, x in enumerate((a, b)):
        if len(shape_of(x)) < 1:
            raise ValueError(f"matmul: {'a' if i == 0 else 'b'} must have ndim >= 1, got "
                             f"shape {shape_of(x)} (use * or jnp.multiply for scalars)")
    a, b, weak = _promote("matmul", a, b, preferred_element_type)
    a_shape, b_shape = shape_of(a), shape_of(b)
    a_is_mat, b_is_mat = len(a_shape) > 1, len(b_shape) > 1
    a_core = a_shape[-1]
    b_core = b_shape[-2] if b_is_mat else b_shape[-1]
    if a_core != b_core:
        raise TypeError(f"matmul: Input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {b_core} is different from {a_core}); shapes {a_shape} and "
                         f"{b_shape}")
    a_batch = a_shape[:-2] if a_is_mat else ()
    b_batch = b_shape[:-2] if b_is_mat else ()
    nb = max(len(a_batch), len(b_batch))
    a_batch = (None,) * (nb - len(a_batch)) + tuple(a_batch)
    b_batch = (None,) * (nb - len(b_batch)) + tuple(b_batch)
    a_squeeze, b_squeeze = [], []
    a_bdims, b_bdims = [], []
    idx_batch, idx_a_other, idx_b_other = [], [], []
    for i, (ba, bb) in enumerate(zip(a_batch, b_batch)):
        if ba is None:
            idx_b_other.append(i)
        elif bb is None:
            idx_a_other.append(i)
        elif ba == 1 and bb != 1:
            idx_b_other.append(i)
            a_squeeze.append(len(idx_batch) + len(idx_a_other) + len(a_squeeze))
        elif bb == 1 and ba != 1:
            idx_a_other.append(i)
            b_squeeze.append(len(idx_batch) + len(idx_b_other) + len(b_squeeze))
        elif ba == bb:
            a_bdims.append(len(idx_batch) + len(idx_a_other))
            b_bdims.append(len(idx_batch) + len(idx_b_other))
            idx_batch.append(i)
        else:
            raise ValueError(f"Incompatible shapes for matmul arguments: {a_shape} and "
                             f"{b_shape}")
    if a_is_mat:
        idx_a_other.append(nb)
    if b_is_mat:
        idx_b_other.append(nb + a_is_mat)
    perm = np.argsort(np.concatenate([idx_batch, idx_a_other, idx_b_other]).astype(int))
    if a_squeeze:
        a = lax.squeeze(a, tuple(a_squeeze))
    if b_squeeze:
        b = lax.squeeze(b, tuple(b_squeeze))
    na, nbb = len(shape_of(a)), len(shape_of(b))
    out = _dot_general(a, b, (((na - 1,), (nbb - 1 - b_is_mat,)), (tuple(a_bdims),
                                                                    tuple(b_bdims))),
                       precision, preferred_element_type)
    out = lax.transpose(out, tuple(int(p) for p in perm))
    return _finish(out, preferred_element_type, weak)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    check_arraylike("vdot", a, b)
    a = util.canonicalize_operand(a)
    if dtypes.is_complex(a.dtype):
        a = lax.conj(a)
    from purejax._src.numpy.lax_numpy import ravel
    return dot(ravel(a), ravel(b), precision=precision,
               preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis: int = -1, precision=None, preferred_element_type=None):
    from purejax._src.numpy import reductions, ufuncs
    check_arraylike("vecdot", x1, x2)
    x1 = util.canonicalize_operand(x1)
    if dtypes.is_complex(x1.dtype):
        x1 = lax.conj(x1)
    return reductions.sum(ufuncs.multiply(x1, x2), axis=axis)


def tensordot(a, b, axes: Any = 2, *, precision=None, preferred_element_type=None):
    a, b, weak = _promote("tensordot", a, b, preferred_element_type)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if type(axes) is int or isinstance(axes, (np.integer,)):
        axes = operator.index(axes)
        if axes > min(na, nb):
            raise TypeError("Number of tensordot axes (axes {}) exceeds input ranks ({} and {})"
                            .format(axes, shape_of(a), shape_of(b)))
        contracting = (tuple(range(na - axes, na)), tuple(range(axes)))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        ax1, ax2 = axes
        if isinstance(ax1, (int, np.integer)) and isinstance(ax2, (int, np.integer)):
            contracting = ((canonicalize_axis(ax1, na),), (canonicalize_axis(ax2, nb),))
        elif isinstance(ax1, (list, tuple)) and isinstance(ax2, (list, tuple)):
            if len(ax1) != len(ax2):
                raise TypeError("tensordot requires axes lists to have equal length, got "
                                f"{ax1} and {ax2}.")
            contracting = (tuple(canonicalize_axis(i, na) for i in ax1),
                           tuple(canonicalize_axis(i, nb) for i in ax2))
        else:
            raise TypeError("tensordot requires both axes lists to be either ints, tuples or "
                            f"lists, got {ax1} and {ax2}")
    else:
        raise TypeError("tensordot axes argument must be an int, a pair of ints, or a pair of "
                        f"lists/tuples of ints, got {axes}")
    for i, j in zip(*contracting):
        if shape_of(a)[i] != shape_of(b)[j]:
            raise TypeError(f"tensordot: shape mismatch on contracted axes: {shape_of(a)} "
                            f"axis {i} vs {shape_of(b)} axis {j}")
    out = _dot_general(a, b, (contracting, ((), ())), precision, preferred_element_type)
    return _finish(out, preferred_element_type, weak)


def inner(a, b, *, precision=None, preferred_element_type=None):
    check_arraylike("inner", a, b)
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        from purejax._src.numpy import ufuncs
        out = ufuncs.multiply(a, b)
        return out if preferred_element_type is None else \
            lax.convert_element_type(out, dtypes.canonicalize_dtype(preferred_element_type))
    return tensordot(a, b, (-1, -1), precision=precision,
                     preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.outer is not supported.")
    check_arraylike("outer", a, b)
    from purejax._src.numpy import ufuncs
    from purejax._src.numpy.lax_numpy import ravel
    a, b = util.promote_dtypes(a, b)
    a = util.expand_dims_lax(ravel(a), (1,))
    b = util.expand_dims_lax(ravel(b), (0,))
    return ufuncs.multiply(a, b)


def kron(a, b):
    check_arraylike("kron", a, b)
    from purejax._src.numpy import ufuncs
    from purejax._src.numpy.lax_numpy import reshape
    a, b = util.promote_dtypes(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na < nb:
        a = lax.reshape(a, (1,) * (nb - na) + shape_of(a))
    elif nb < na:
        b = lax.reshape(b, (1,) * (na - nb) + shape_of(b))
    sa, sb = shape_of(a), shape_of(b)
    n = len(sa)
    a_r = util.expand_dims_lax(a, tuple(range(1, 2 * n, 2)))
    b_r = util.expand_dims_lax(b, tuple(range(0, 2 * n, 2)))
    prod = ufuncs.multiply(a_r, b_r)
    return reshape(prod, tuple(x * y for x, y in zip(sa, sb)))
