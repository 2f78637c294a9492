"""jnp.einsum: a subscripts parser lowered to lax.dot_general, transposes and sums.

Each operand is first simplified on its own (repeated labels become a diagonal,
labels used nowhere else are summed out, size-1 broadcast labels are squeezed);
operands are then contracted pairwise from left to right with one dot_general each
(labels shared by both and kept become batch dimensions; shared labels needed
neither later nor in the output are contracted). `optimize` is accepted and ignored:
the order is always left to right.
"""
from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.numpy import util
from purejax._src.numpy.util import check_arraylike, shape_of

_LETTERS = string.ascii_letters


def _sublist_to_str(sub: Sequence) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = int(s)
            if not 0 <= s < len(_LETTERS):
                raise ValueError(f"einsum: subscript {s} in a sublist must be in [0, 52)")
            out.append(_LETTERS[s])
    return "".join(out)


def _interleaved_to_subscripts(args: tuple) -> tuple[str, list]:
    args = list(args)
    operands, subs = [], []
    while len(args) >= 2:
        operands.append(args.pop(0))
        subs.append(_sublist_to_str(args.pop(0)))
    out = "->" + _sublist_to_str(args.pop(0)) if args else ""
    return ",".join(subs) + out, operands


def _parse(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Input label strings (ellipses replaced by fresh labels) and the output labels."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
        explicit = True
    else:
        lhs, out, explicit = subscripts, "", False
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts given for {len(shapes)} "
                         f"operands in '{subscripts}'")
    used = set(c for c in subscripts if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    ell_rank = 0
    for s, shape in zip(ins, shapes):
        n_labels = len(s.replace("...", ""))
        if "..." in s:
            ell_rank = max(ell_rank, len(shape) - n_labels)
        elif n_labels != len(shape):
            raise ValueError(f"einsum: operand subscripts '{s}' have {n_labels} labels but "
                             f"the operand has rank {len(shape)}")
    if len(free) < ell_rank:
        raise ValueError("einsum: too many dimensions for the available labels")
    ell_labels = "".join(free[:ell_rank])
    new_ins = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            if k < 0:
                raise ValueError(f"einsum: operand subscripts '{s}' have more labels than "
                                 f"the operand's rank {len(shape)}")
            s = s.replace("...", ell_labels[ell_rank - k:])
        for c in s:
            if not c.isalpha():
                raise ValueError(f"einsum: invalid subscript '{c}' in '{subscripts}'")
        new_ins.append(s)
    if explicit:
        if out.count("...") > 1:
            raise ValueError("einsum: more than one ellipsis in the output")
        out = out.replace("...", ell_labels)
        for c in out:
            if not c.isalpha():
                raise ValueError(f"einsum: invalid output subscript '{c}'")
            if not any(c in s for s in new_ins):
                raise ValueError(f"einsum: output subscript '{c}' does not appear in the "
                                 "inputs")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts '{out}' contain a repeated label")
    else:
        counts: dict[str, int] = {}
        for s in new_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell_labels + "".join(sorted(c for c, n in counts.items()
                                          if n == 1 and c not in ell_labels))
    return new_ins, out


def _diagonal_of_repeats(x, labels: str):
    """Take the diagonal over repeated labels within one operand."""
    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        axes = [i for i, c in enumerate(labels) if c == dup]
        shape = shape_of(x)
        n = shape[axes[0]]
        if any(shape[a] != n for a in axes):
            raise ValueError(f"einsum: repeated label '{dup}' has different sizes {shape}")
        mask = None
        for a in axes[1:]:
            eq = lax.eq(lax.broadcasted_iota(np.dtype(np.int32), shape, axes[0]),
                        lax.broadcasted_iota(np.dtype(np.int32), shape, a))
            mask = eq if mask is None else lax.bitwise_and(mask, eq) if hasattr(
                lax, "bitwise_and") else lax.and_(mask, eq)
        x = lax.select_n(mask, lax.full_like(x, 0), x)
        x = lax.reduce_sum(x, tuple(axes[1:]))
        labels = "".join(c for i, c in enumerate(labels) if i not in axes[1:])


def _simplify(x, labels: str, keep: set[str]):
    """Diagonals, then sum out labels that are neither kept nor repeated elsewhere."""
    x, labels = _diagonal_of_repeats(x, labels)
    drop = tuple(i for i, c in enumerate(labels) if c not in keep)
    if drop:
        x = lax.reduce_sum(x, drop)
        labels = "".join(c for i, c in enumerate(labels) if i not in drop)
    return x, labels


def _squeeze_label(x, labels: str, c: str):
    i = labels.index(c)
    return lax.squeeze(x, (i,)), labels[:i] + labels[i + 1:]


def _contract(x, xl: str, y, yl: str, keep: set[str], precision, pet):
    """Contract two simplified operands; returns (result, labels)."""
    # size-1 labels broadcast against a larger size: squeeze them from the size-1 side
    for c in [c for c in xl if c in yl]:
        sx, sy = shape_of(x)[xl.index(c)], shape_of(y)[yl.index(c)]
        if sx != sy:
            if sx == 1:
                x, xl = _squeeze_label(x, xl, c)
            elif sy == 1:
                y, yl = _squeeze_label(y, yl, c)
            else:
                raise ValueError(f"einsum: label '{c}' has incompatible sizes {sx} and {sy}")
    x, xl = _simplify(x, xl, keep | set(yl))
    y, yl = _simplify(y, yl, keep | set(xl))
    shared = [c for c in xl if c in yl]
    batch = [c for c in shared if c in keep]
    contracted = [c for c in shared if c not in keep]
    dn = ((tuple(xl.index(c) for c in contracted), tuple(yl.index(c) for c in contracted)),
          (tuple(xl.index(c) for c in batch), tuple(yl.index(c) for c in batch)))
    from purejax._src.numpy.tensor_contractions import _dot_general
    out = _dot_general(x, y, dn, precision, pet)
    out_labels = ("".join(batch) + "".join(c for c in xl if c not in shared)
                  + "".join(c for c in yl if c not in shared))
    return out, out_labels


def einsum(subscripts, /, *operands, out=None, optimize: Any = "auto", precision=None,
           preferred_element_type=None, _use_xeinsum: bool = False, _dot_general=None):
    """Einstein summation, e.g. einsum('ij,jk->ik', a, b) or einsum('...ii->...i', x).

    The interleaved form einsum(a, [0, 1], b, [1, 2], [0, 2]) is accepted too."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.einsum is not supported.")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_subscripts((subscripts,) + tuple(operands))
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    check_arraylike("einsum", *operands)
    util.check_user_dtype_supported(preferred_element_type, "einsum")
    dt, weak = dtypes.result_type(*operands, return_weak_type_flag=True)
    ops = util.promote_dtypes(*operands) if len(operands) > 1 else \
        [util.canonicalize_operand(operands[0])]
    ins, out_labels = _parse(subscripts, [shape_of(o) for o in ops])
    sizes: dict[str, int] = {}
    for o, s in zip(ops, ins):
        for c, d in zip(s, shape_of(o)):
            if d != 1:
                if sizes.setdefault(c, d) != d:
                    raise ValueError(f"einsum: label '{c}' has incompatible sizes "
                                     f"{sizes[c]} and {d}")
    keep_out = set(out_labels)
    rest = [set(s) for s in ins]
    x, xl = ops[0], ins[0]
    later = set().union(*rest[1:]) if len(rest) > 1 else set()
    x, xl = _simplify(x, xl, keep_out | later)
    for k in range(1, len(ops)):
        later = set().union(*rest[k + 1:]) if k + 1 < len(rest) else set()
        x, xl = _contract(x, xl, ops[k], ins[k], keep_out | later, precision,
                          preferred_element_type)
    # labels of size 1 everywhere and absent from the output were kept only if needed
    x, xl = _simplify(x, xl, keep_out)
    # output labels of size 1 that were squeezed away during contraction come back
    missing = [c for c in out_labels if c not in xl]
    if missing:
        x = util.expand_dims_lax(x, tuple(range(len(missing))))
        xl = "".join(missing) + xl
    perm = tuple(xl.index(c) for c in out_labels)
    x = lax.transpose(x, perm)
    final_shape = tuple(sizes.get(c, 1) for c in out_labels)
    if shape_of(x) != final_shape:
        x = util.broadcast_to_shape(x, final_shape)
    if preferred_element_type is not None:
        return lax.convert_element_type(x, dtypes.canonicalize_dtype(preferred_element_type))
    return lax.convert_element_type(x, core.get_aval(x).dtype, weak)


def einsum_path(subscripts, *operands, optimize: Any = "greedy"):
    """A trivial path (left to right), for API compatibility."""
    n = len(operands)
    path = ["einsum_path"] + [(0, 1)] * (n - 1)
    return path, f"purejax contracts einsum operands pairwise from left to right: {subscripts}"
