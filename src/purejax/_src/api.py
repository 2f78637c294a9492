"""The user-facing transformations. This module deals only with argnums, pytrees,
input checking and error messages; the work is done by the interpreters."""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import tree_util as tu
from purejax._src.array import Array
from purejax._src.core import ClosedJaxpr, ShapedArray, Tracer
from purejax._src.debug_info import DebugInfo, func_name
from purejax._src.interpreters import ad, batching, tape
from purejax._src.interpreters import partial_eval as pe


# ---------------------------------------------------------------------------
# Argument handling

def _is_array_leaf(x) -> bool:
    return isinstance(x, (Array, Tracer, np.ndarray, np.generic)) or dtypes.is_python_scalar(x)


def _check_leaf(x, fname: str, what: str):
    if not _is_array_leaf(x):
        raise TypeError(
            f"Argument {what} of {fname} is of type {type(x).__name__}, which is not a valid "
            f"purejax type: expected an array, a NumPy array, a Python scalar or a pytree of "
            f"those. Pass non-array values through a closure or functools.partial"
            f"{' (or static_argnums)' if 'jit' in fname else ''}.")
    return x


def _to_value(x):
    """Canonicalise an input leaf: NumPy arrays become Arrays with JAX's dtypes;
    Python scalars become weakly typed Arrays."""
    t = type(x)
    if t is Array or isinstance(x, Tracer):
        return x
    if dtypes.is_python_scalar(x):
        return Array(np.asarray(x, dtypes.python_scalar_dtype(x)), dtypes.is_weakly_typed(x))
    val = dtypes.coerce_to_array(x)
    return Array(val.copy() if val is x else val, False)


def _flatten_args(args, fname, what="args"):
    leaves, tree = tu.tree_flatten(args)
    for i, x in enumerate(leaves):
        _check_leaf(x, fname, f"{what} leaf {i}")
    return [_to_value(x) for x in leaves], tree


def _argnums_tuple(argnums, nargs: int, fname: str, too_few=TypeError) -> tuple[int, ...]:
    """argnums as non-negative indices. Out of range: `too_few` (JAX's grad raises
    TypeError, its Jacobians ValueError) for a positive index, ValueError for a negative
    one, as JAX does."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    out = []
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if a < -nargs:
            raise ValueError(f"argnums={argnums} is out of range for the {nargs} positional "
                             f"arguments passed to {fname}: a negative argnum must be at least "
                             f"-{nargs}.")
        a2 = a + nargs if a < 0 else a
        if a2 >= nargs:
            raise too_few(f"differentiating with respect to argnums={argnums} requires at least "
                          f"{a + 1} positional arguments to be passed by the caller, but got "
                          f"only {nargs} positional arguments to {fname}.")
        out.append(int(a2))
    return tuple(out)


def _strip_aux(aux):
    """Auxiliary outputs leave a finished transformation as their primal values."""
    def strip(x):
        while isinstance(x, (ad.JVPTracer, tape.TapeTracer)) and not x._trace._alive:
            x = x.primal
        return x
    return tu.tree_map(strip, aux)


class _OutTree:
    """Captures the output treedef of a flattened function when it runs."""
    __slots__ = ("tree", "aux")

    def __init__(self):
        self.tree = None
        self.aux = None


def _split_aux(out, fname: str):
    """(output, auxiliary data) from what a has_aux=True function returned."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{fname} with has_aux=True must return a pair (output, "
                        f"auxiliary_data), got {type(out).__name__}.")
    return out


def _flat_fun(fun, in_tree, out_store: _OutTree, has_aux=False, fname=None):
    def flat(*leaves):
        args, kwargs = tu.tree_unflatten(in_tree, list(leaves))
        out = fun(*args, **kwargs)
        if has_aux:
            out, out_store.aux = _split_aux(out, fname or func_name(fun))
        leaves_out, out_store.tree = tu.tree_flatten(out)
        for i, x in enumerate(leaves_out):
            if not _is_array_leaf(x):
                raise TypeError(f"{fname or func_name(fun)} returned a value of type "
                                f"{type(x).__name__} at output leaf {i}, which is not a valid "
                                "purejax type (expected arrays or pytrees of arrays).")
        return [_to_value(x) for x in leaves_out]
    return flat


# ---------------------------------------------------------------------------
# Forward mode

def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """(fun(*primals), J(primals) @ tangents) for pytrees primals and tangents."""
    fname = func_name(fun)
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jax.jvp must be tuples or lists; found "
                        f"{type(primals).__name__} and {type(tangents).__name__}.")
    if len(primals) != len(tangents):
        raise TypeError("primal and tangent arguments to jax.jvp must have equal length; "
                        f"got {len(primals)} primals and {len(tangents)} tangents.")
    p_leaves, p_tree = _flatten_args((tuple(primals), {}), fname, "primals")
    t_leaves, t_tree = tu.tree_flatten((tuple(tangents), {}))
    if p_tree != t_tree:
        raise TypeError("primal and tangent arguments to jax.jvp must have the same tree "
                        f"structure; primals have tree structure {p_tree} whereas tangents "
                        f"have tree structure {t_tree}.")
    t_leaves = [_check_tangent(p, t) for p, t in zip(p_leaves, t_leaves)]
    store = _OutTree()
    flat = _flat_fun(fun, p_tree, store, has_aux, fname)
    out_p, out_t = ad.jvp_flat(flat, p_leaves, t_leaves)
    out_t = [ad.instantiate_zeros(t) for t in out_t]
    res = (tu.tree_unflatten(store.tree, out_p), tu.tree_unflatten(store.tree, out_t))
    return res + (_strip_aux(store.aux),) if has_aux else res


def _check_tangent(p, t):
    p_aval = core.get_aval(p)
    expected = dtypes.tangent_dtype(p_aval.dtype)
    if isinstance(t, (np.ndarray, np.generic)) and t.dtype == dtypes.float0:
        if expected != dtypes.float0:
            raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must "
                            f"be equal, or in case of int/bool primal dtype the tangent dtype "
                            f"must be float0. Got primal dtype {p_aval.dtype.name} and so "
                            f"expected tangent dtype {expected.name}, but got tangent dtype "
                            f"float0 instead.")
        return ad.Zero(p_aval.to_tangent_aval())
    t = _to_value(t)
    t_aval = core.get_aval(t)
    if t_aval.shape != p_aval.shape:
        raise ValueError(f"jvp called with different primal and tangent shapes; Got primal "
                         f"shape {p_aval.shape} and tangent shape as {t_aval.shape}")
    if expected == dtypes.float0:
        raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must be "
                        f"equal, or in case of int/bool primal dtype the tangent dtype must be "
                        f"float0. Got primal dtype {p_aval.dtype.name} and so expected tangent "
                        f"dtype float0, but got tangent dtype {t_aval.dtype.name} instead.")
    if t_aval.dtype != p_aval.dtype:
        if t_aval.weak_type:
            from purejax._src.prims.shape import convert_element_type
            return convert_element_type(t, p_aval.dtype, p_aval.weak_type)
        raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must be "
                        f"equal, or in case of int/bool primal dtype the tangent dtype must be "
                        f"float0. Got primal dtype {p_aval.dtype.name} and so expected tangent "
                        f"dtype {expected.name}, but got tangent dtype {t_aval.dtype.name} "
                        f"instead.")
    return t


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), f_jvp) where f_jvp evaluates the JVP at primals, linearly."""
    fname = func_name(fun)
    p_leaves, p_tree = _flatten_args((primals, {}), fname, "primals")
    store = _OutTree()
    flat = _flat_fun(fun, p_tree, store, has_aux, fname)
    # integer and bool inputs have float0 tangents: nothing to stage for them
    out, lin = ad.linearize_flat(flat, p_leaves)
    out_tree = store.tree
    t_avals = [core.get_aval(p).to_tangent_aval() for p in p_leaves]

    def f_jvp(*tangents):
        t_leaves, t_tree = tu.tree_flatten((tangents, {}))
        if t_tree != p_tree:
            raise TypeError(f"linearized function of {fname} expected tangents of structure "
                            f"{p_tree}, got {t_tree}.")
        t_leaves = [_check_linearized_tangent(fname, p, t, a)
                    for p, t, a in zip(p_leaves, t_leaves, t_avals)]
        return tu.tree_unflatten(out_tree, [ad.instantiate_zeros(t) for t in lin(*t_leaves)])

    res = (tu.tree_unflatten(out_tree, out), f_jvp)
    return res + (_strip_aux(store.aux),) if has_aux else res


def _check_linearized_tangent(fname, primal, t, expected: ShapedArray):
    """A tangent for a linearized function must have exactly the tangent type of its
    primal (a weakly typed one of that dtype too), as in JAX: unlike jvp, nothing is
    converted, since the linear program was staged for that type."""
    if isinstance(t, (np.ndarray, np.generic)) and t.dtype == dtypes.float0:
        t_aval = ShapedArray(np.shape(t), dtypes.float0, False)
    else:
        t = _to_value(t)
        t_aval = core.get_aval(t)
    if t_aval.shape != expected.shape or t_aval.dtype != expected.dtype:
        raise ValueError(
            f"linearized function of {fname} called on tangent values inconsistent with the "
            f"original primal values: got tangent aval {t_aval.str_short()} for primal aval "
            f"{core.get_aval(primal).str_short()} but expected {expected.str_short()}.")
    return ad.Zero(expected) if expected.dtype == dtypes.float0 else t


# ---------------------------------------------------------------------------
# Reverse mode

def vjp(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), f_vjp) where f_vjp maps an output cotangent to input cotangents."""
    fname = func_name(fun)
    p_leaves, p_tree = _flatten_args((primals, {}), fname, "primals")
    store = _OutTree()
    flat = _flat_fun(fun, p_tree, store, has_aux, fname)
    if tape.usable():
        out, lin = tape.vjp_flat(flat, p_leaves)
    else:
        out, lin = ad.linearize_flat(flat, p_leaves)
    out_tree = store.tree
    out_avals = [core.get_aval(o) for o in out]
    f_vjp = _VjpFun(lin, p_tree, p_leaves, out_tree, out_avals, fname)
    res = (tu.tree_unflatten(out_tree, out), f_vjp)
    return res + (_strip_aux(store.aux),) if has_aux else res


class _VjpFun:
    """The pullback returned by vjp; a pytree-callable like JAX's."""

    def __init__(self, lin, in_tree, primals, out_tree, out_avals, fname):
        self.lin = lin
        self.in_tree = in_tree
        self.primals = primals
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.fname = fname

    def __call__(self, *cts):
        ct = cts[0] if len(cts) == 1 else cts
        if len(cts) != 1:
            raise TypeError(f"The function returned by vjp of {self.fname} takes one cotangent "
                            f"argument (a pytree matching the output), got {len(cts)}.")
        ct_leaves, ct_tree = tu.tree_flatten(ct)
        if ct_tree != self.out_tree:
            raise ValueError(
                f"Tree structure of cotangent input {ct_tree}, does not match structure of "
                f"primal output {self.out_tree}.")
        ct_vals = [_check_cotangent(c, a) for c, a in zip(ct_leaves, self.out_avals)]
        cts_in = self.lin.transpose(ct_vals)
        cts_in = [_materialize_ct(c, p) for c, p in zip(cts_in, self.primals)]
        args, _ = tu.tree_unflatten(self.in_tree, cts_in)
        return tuple(args)


def _check_cotangent(ct, aval):
    expected = dtypes.tangent_dtype(aval.dtype)
    if isinstance(ct, (np.ndarray, np.generic)) and ct.dtype == dtypes.float0:
        if expected != dtypes.float0:
            raise TypeError(f"Type of cotangent input to vjp pullback function (float0) is not the "
                            f"expected tangent type ({expected.name}) of the primal output "
                            f"({aval.str_short()}).")
        return ad.Zero(aval.to_tangent_aval())
    if expected == dtypes.float0:
        return ad.Zero(aval.to_tangent_aval())
    ct = _to_value(ct)
    c_aval = core.get_aval(ct)
    if c_aval.shape != aval.shape:
        raise ValueError(f"Shape of cotangent input to vjp pullback function {c_aval.shape} "
                         f"must be the same as the shape of corresponding primal input "
                         f"{aval.shape}.")
    if c_aval.dtype != aval.dtype:
        if c_aval.weak_type or dtypes.is_python_scalar(ct):
            from purejax._src.prims.shape import convert_element_type
            return convert_element_type(ct, aval.dtype, aval.weak_type)
        raise TypeError(f"Type of cotangent input to vjp pullback function ({c_aval.dtype.name}) "
                        f"is not the expected tangent type ({aval.dtype.name}) of the primal "
                        f"output ({aval.str_short()}).")
    return ct


def _materialize_ct(ct, primal):
    if type(ct) is ad.Zero:
        aval = core.get_aval(primal)
        if not dtypes.is_inexact(aval.dtype):
            return np.zeros(aval.shape, dtypes.float0)
        return ad.zeros_like_aval(aval.to_tangent_aval())
    return ct


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False, reduce_axes=()) -> Callable:
    """The gradient of scalar-valued `fun` with respect to the arguments at argnums."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, reduce_axes,
                        _name="grad")

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__", "__module__"))
    def grad_f(*args, **kwargs):
        out = vg(*args, **kwargs)
        if has_aux:
            (_, aux), g = out
            return g, aux
        return out[1]

    return grad_f


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False, reduce_axes=(),
                   _name: str = "value_and_grad") -> Callable:
    """(fun(*args), grad(fun)(*args)) computed together."""
    fname = func_name(fun)
    if not callable(fun):
        raise TypeError(f"{_name} requires a callable as its first argument, got {fun!r}.")

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__", "__module__"))
    def value_and_grad_f(*args, **kwargs):
        if type(argnums) is int and not holomorphic and 0 <= argnums < len(args) \
                and tape.usable():
            fast = _value_and_grad_one_leaf(fun, args, kwargs, argnums, has_aux, _name, fname)
            if fast is not None:
                return fast
        nums = _argnums_tuple(argnums, len(args), fname)
        dyn = [args[i] for i in nums]

        def f_partial(*dyn_args):
            full = list(args)
            for i, a in zip(nums, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)

        _check_grad_inputs(dyn, nums, _name, holomorphic, allow_int)
        res = vjp(f_partial, *dyn, has_aux=has_aux)
        ans, pullback = res[0], res[1]
        _check_scalar_output(ans, _name, holomorphic, fname)
        g = pullback(_ones_like_out(ans))
        g = g[0] if isinstance(argnums, int) else g
        if has_aux:
            return (ans, res[2]), g
        return ans, g

    return value_and_grad_f


def _value_and_grad_one_leaf(fun, args, kwargs, i, has_aux, name, fname):
    """value_and_grad for the commonest eager call, one real floating-point array or
    Python float argument, straight onto the tape: the general path's pytree
    flattening and per-leaf checks cost more than a small function's whole gradient.
    None (before running anything) when the argument is anything else."""
    x = args[i]
    t = type(x)
    if t is float:
        x = Array(np.asarray(x, dtypes.python_scalar_dtype(x)), True)
    elif t is not Array or x._value.dtype.kind != "f":
        return None
    aux_box = []

    def flat(xt):
        out = fun(*args[:i], xt, *args[i + 1:], **kwargs)
        if has_aux:
            out, aux = _split_aux(out, fname)
            aux_box.append(aux)
        return [out]

    outs, lin = tape.vjp_flat(flat, [x])
    ans = outs[0]
    _check_scalar_output(ans, name, False, fname)
    ans = _to_value(ans)
    ct, = lin.transpose([_ones_like_out(ans)])
    g = _materialize_ct(ct, x)
    if has_aux:
        return (ans, _strip_aux(aux_box[0])), g
    return ans, g


def _check_grad_inputs(dyn, nums, name, holomorphic, allow_int):
    for i, arg in zip(nums, dyn):
        for x in tu.tree_leaves(arg):
            dt = dtypes.dtype(x) if _is_array_leaf(x) else None
            if dt is None:
                continue
            if holomorphic:
                if not dtypes.is_complex(dt):
                    raise TypeError(f"{name} with holomorphic=True requires inputs with complex "
                                    f"dtype, but got {dt.name}.")
            elif dtypes.is_integer(dt) or dt == np.bool_:
                if not allow_int:
                    raise TypeError(
                        f"{name} requires real- or complex-valued inputs (input dtype that is "
                        f"a sub-dtype of np.inexact), but got {dt.name}. If you want to use "
                        "Boolean- or integer-valued inputs, use vjp or set allow_int to True.")
            elif not dtypes.is_inexact(dt):
                raise TypeError(f"{name} requires numerical-valued inputs (input dtype that is a "
                                f"sub-dtype of np.bool_ or np.number), but got {dt.name}.")


def _check_scalar_output(ans, name, holomorphic, fname):
    if not holomorphic and (type(ans) is Array or isinstance(ans, Tracer)):
        aval = ans.aval  # the common case, checked first
        if aval.shape == () and aval.dtype.kind == "f":
            return
    if not _is_array_leaf(ans):
        raise TypeError(f"Gradient only defined for scalar-output functions. Output of {fname} "
                        f"was a {type(ans).__name__}: {_short(ans)}.")
    aval = core.get_aval(_to_value(ans))
    if aval.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had shape: "
                        f"{aval.shape}.")
    if holomorphic:
        if not dtypes.is_complex(aval.dtype):
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex dtype, "
                            f"but got {aval.dtype.name}.")
    elif dtypes.is_complex(aval.dtype):
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a sub-dtype "
                        f"of np.floating), but got {aval.dtype.name}. For holomorphic "
                        "differentiation, pass holomorphic=True. For differentiation of "
                        "non-holomorphic functions involving complex outputs, use jax.vjp "
                        "directly.")
    elif not dtypes.is_float(aval.dtype):
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a sub-dtype "
                        f"of np.floating), but got {aval.dtype.name}. For differentiation of "
                        "functions with integer outputs, use jax.vjp directly.")


def _short(x):
    s = repr(x)
    return s if len(s) < 80 else s[:77] + "..."


def _ones_like_out(ans):
    aval = core.get_aval(_to_value(ans))
    key = (aval.dtype, aval.weak_type)
    one = _ONES.get(key)
    if one is None:  # Arrays are immutable, so one per dtype serves every call
        one = _ONES[key] = Array(np.ones((), aval.dtype), aval.weak_type)
    return one


_ONES: dict = {}


# ---------------------------------------------------------------------------
# vmap

def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size=None,
         spmd_axis_name=None) -> Callable:
    """Vectorise `fun` over the leading (or given) axis of its arguments."""
    fname = func_name(fun)
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    _check_axes_spec(in_axes, "in_axes", fname)
    _check_axes_spec(out_axes, "out_axes", fname)

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__", "__module__"))
    def vmap_f(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
                f"positional arguments passed to the function, but got len(in_axes)="
                f"{len(in_axes)}, len(args)={len(args)} (calling {fname}).")
        in_axes_full = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        if not kwargs and all(type(x) is Array or isinstance(x, Tracer) for x in args) and \
                all(d is None or type(d) is int for d in in_axes_full):
            # every argument an array, one axis each: what flattening would find
            leaves, dims, in_tree = list(args), list(in_axes_full), _array_args_tree(len(args))
        else:
            leaves, in_tree = tu.tree_flatten((args, kwargs))
            dims = _broadcast_prefix((in_axes_full, 0), (args, kwargs), "in_axes", fname)
            leaves = [_to_value(_check_leaf(x, f"vmap({fname})", f"leaf {i}")) if d is not None
                      else x for i, (x, d) in enumerate(zip(leaves, dims))]
        sizes = {}
        for i, (x, d) in enumerate(zip(leaves, dims)):
            if d is None:
                continue
            shape = core.get_aval(x).shape
            dd = d + len(shape) if d < 0 else d
            if not 0 <= dd < len(shape):
                raise ValueError(f"vmap was requested to map its argument along axis {d}, which "
                                 f"implies that its rank should be at least {d + 1 if d >= 0 else -d}, "
                                 f"but is only {len(shape)} (its shape is {shape}) "
                                 f"(calling {fname}).")
            sizes.setdefault(shape[dd], []).append(i)
        dims = [None if d is None else (d + core.get_aval(x).ndim if d < 0 else d)
                for x, d in zip(leaves, dims)]
        if len(sizes) > 1:
            paths = _leaf_names(args, kwargs, fun)
            detail = "\n".join(f"  * {paths[i]} has size {s} along its mapped axis"
                               for s, idxs in sizes.items() for i in idxs)
            raise ValueError(f"vmap got inconsistent sizes for array axes to be mapped:\n{detail}")
        if not sizes:
            if axis_size is None:
                raise ValueError(f"vmap must have at least one non-None value in in_axes, or "
                                 f"be given axis_size (calling {fname}).")
            size = axis_size
        else:
            (size,) = sizes
            if axis_size is not None and axis_size != size:
                raise ValueError(f"vmap got axis_size={axis_size} but the mapped inputs have "
                                 f"size {size}.")
        store = _OutTree()
        flat = _flat_fun(fun, in_tree, store, False, fname)

        def out_dims():
            if out_axes is None or type(out_axes) is int:
                return [out_axes] * store.tree.num_leaves
            return _broadcast_prefix(out_axes, tu.tree_unflatten(store.tree, [0] * store.tree.num_leaves),
                                     "out_axes", fname)

        outs = batching.vmap_flat(flat, size, dims, leaves, out_dims, axis_name)
        return tu.tree_unflatten(store.tree, outs)

    return vmap_f


@functools.lru_cache(maxsize=64)
def _array_args_tree(n: int):
    """The treedef of (args, {}) for n array arguments."""
    return tu.tree_structure(((0,) * n, {}))


def _check_axes_spec(spec, name, fname):
    for leaf in tu.tree_leaves(spec):
        if not isinstance(leaf, (int, np.integer)):
            raise TypeError(f"vmap {name} must be an int, None, or (nested) container with those "
                            f"types as leaves, but got {leaf!r} (calling {fname}).")


def _broadcast_prefix(prefix, tree, name, fname):
    """Expand the axes spec `prefix` (a pytree prefix of `tree`) to one entry per leaf."""
    out = []
    try:
        prefix_leaves, prefix_tree = tu.tree_flatten(prefix, is_leaf=lambda x: x is None)
        subtrees = prefix_tree.flatten_up_to(tree)
    except ValueError:
        raise ValueError(f"vmap {name} specification must be a tree prefix of the corresponding "
                         f"value, got specification {prefix!r} for value tree "
                         f"{tu.tree_structure(tree)} (calling {fname}).") from None
    for p, sub in zip(prefix_leaves, subtrees):
        out.extend([p] * tu.tree_structure(sub).num_leaves)
    return out


def _leaf_names(args, kwargs, fun):
    from purejax._src.debug_info import flat_arg_names
    paths = [p for p, _ in tu.tree_flatten_with_path(args)[0]]
    names = flat_arg_names(fun, args, {}, paths)
    kw = [f"kwargs{tu.keystr(p)}" for p, _ in tu.tree_flatten_with_path(kwargs)[0]]
    return names + kw


# ---------------------------------------------------------------------------
# Jacobians

def _std_basis(leaves):
    sizes = [int(np.prod(core.get_aval(x).shape, dtype=np.int64)) for x in leaves]
    n = sum(sizes)
    dt = dtypes.result_type(*[core.get_aval(x).dtype for x in leaves]) if leaves else np.float32
    eye = np.eye(n, dtype=dt)
    out, start = [], 0
    for x, s in zip(leaves, sizes):
        aval = core.get_aval(x)
        out.append(Array(eye[:, start:start + s].reshape((n,) + aval.shape).astype(aval.dtype),
                         aval.weak_type))  # keeps weak types through the Jacobian
        start += s
    return out, sizes


def _jac_target(fun, args, kwargs, argnums, fname):
    """(g, target): g(target) == fun(*args) with the differentiated arguments replaced;
    target is args[argnums] for an int, else the tuple of those arguments."""
    nums = _argnums_tuple(argnums, len(args), fname, ValueError)
    single = isinstance(argnums, int)

    def g(t):
        full = list(args)
        for i, a in zip(nums, (t,) if single else t):
            full[i] = a
        return fun(*full, **kwargs)

    target = args[nums[0]] if single else tuple(args[i] for i in nums)
    return g, target


def _slice_axis(x, start, stop, axis):
    from purejax._src import lax
    return lax.slice_in_dim(x, start, stop, axis=axis)


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """The Jacobian by forward mode (vmapped jvp): output shape + input shape."""
    fname = func_name(fun)

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__", "__module__"))
    def jacfun(*args, **kwargs):
        g, target = _jac_target(fun, args, kwargs, argnums, fname)
        _check_jac_inputs(target, "jacfwd", holomorphic)
        leaves, tree = _flatten_args(target, fname)
        primal = tu.tree_unflatten(tree, leaves)
        basis, sizes = _std_basis(leaves)

        def push(*basis_leaves):
            return jvp(g, (primal,), (tu.tree_unflatten(tree, list(basis_leaves)),),
                       has_aux=has_aux)

        # The primal output and aux do not depend on the basis, but batching rules may
        # still batch them: take them at index 0 rather than rely on out_axes=None.
        res = vmap(push, out_axes=(0, -1, 0) if has_aux else (0, -1))(*basis)
        first = lambda t: tu.tree_map(lambda v: v[0], t)
        y, jac = first(res[0]), res[1]

        def split(j, yy):
            out_shape = core.get_aval(_to_value(yy)).shape
            parts, start = [], 0
            for x, n in zip(leaves, sizes):
                piece = _slice_axis(j, start, start + n, -1)
                parts.append(_possible_downcast(
                    lax_reshape(piece, tuple(out_shape) + core.get_aval(x).shape), yy))
                start += n
            return tu.tree_unflatten(tree, parts)

        jac_tree = tu.tree_map(split, jac, y)
        return (jac_tree, first(res[2])) if has_aux else jac_tree

    return jacfun


def _possible_downcast(x, example):
    """A Jacobian block takes the dtype and weak type of `example` (the output leaf for
    jacfwd, the input leaf for jacrev), as JAX's do; the real part if x is complex
    and the example is not."""
    from purejax._src import lax
    from purejax._src.prims.shape import convert_element_type
    dt, weak = dtypes.dtype(example), dtypes.is_weakly_typed(example)
    if dtypes.is_complex(core.get_aval(x).dtype) and not dtypes.is_complex(dt):
        x = lax.real(x)
    return convert_element_type(x, dt, weak)


def lax_reshape(x, shape):
    from purejax._src import lax
    return lax.reshape(x, shape)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable:
    """The Jacobian by reverse mode (vmapped vjp): output shape + input shape."""
    fname = func_name(fun)

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__", "__module__"))
    def jacfun(*args, **kwargs):
        g, target = _jac_target(fun, args, kwargs, argnums, fname)
        _check_jac_inputs(target, "jacrev", holomorphic, allow_int)
        res = vjp(g, target, has_aux=has_aux)
        y, pullback = res[0], res[1]
        y_leaves, y_tree = tu.tree_flatten(y)
        y_leaves = [_to_value(v) for v in y_leaves]
        basis, sizes = _std_basis(y_leaves)
        (cts,) = vmap(lambda *b: pullback(tu.tree_unflatten(y_tree, list(b))))(*basis)
        per_out, start = [], 0
        for yl, n in zip(y_leaves, sizes):
            oshape = core.get_aval(yl).shape
            per_out.append(tu.tree_map(
                lambda c, x, start=start, n=n: _possible_downcast(lax_reshape(
                    _slice_axis(c, start, start + n, 0), oshape + core.get_aval(c).shape[1:]), x),
                cts, target))
            start += n
        jac = tu.tree_unflatten(y_tree, per_out)
        return (jac, res[2]) if has_aux else jac

    return jacfun


def _check_jac_inputs(target, name, holomorphic, allow_int=False):
    for x in tu.tree_leaves(target):
        dt = dtypes.dtype(x)
        if holomorphic and not dtypes.is_complex(dt):
            raise TypeError(f"{name} with holomorphic=True requires inputs with complex dtype, "
                            f"but got {dt.name}.")
        if not holomorphic and not dtypes.is_inexact(dt) and not allow_int:
            raise TypeError(f"{name} requires real- or complex-valued inputs (input dtype that is "
                            f"a sub-dtype of np.inexact), but got {dt.name}. If you want to use "
                            "Boolean- or integer-valued inputs, use vjp or set allow_int to True.")


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable:
    """jacfwd(jacrev(fun)): forward-over-reverse."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)


def linear_transpose(fun: Callable, *primals, reduce_axes=()) -> Callable:
    """The transpose of the linear function `fun`, at the types of `primals`.

    As in JAX, the result is a `tree_util.Partial` (a pytree holding the traced
    constants, so it can be passed to and returned from transformed functions), called
    with one cotangent pytree; its inputs and outputs are all inexact or all integer."""
    fname = func_name(fun)
    p_leaves, p_tree = _flatten_args((primals, {}), fname, "primals")
    in_avals = [core.get_aval(x) for x in p_leaves]
    store = _OutTree()
    flat = _flat_fun(fun, p_tree, store, False, fname)
    jaxpr, consts, _ = pe.trace_to_jaxpr(flat, in_avals)
    out_avals = jaxpr.out_avals
    kinds = [a.dtype for a in in_avals + list(out_avals)]
    if not (all(dtypes.is_inexact(d) for d in kinds)
            or all(np.issubdtype(d, np.integer) for d in kinds)):
        raise TypeError(
            f"linear_transpose of {fname}: only [float or complex] -> [float or complex] and "
            f"integer -> integer functions can be transposed, but got "
            f"{[a.dtype.name for a in in_avals]} -> {[a.dtype.name for a in out_avals]}.")
    return tu.Partial(functools.partial(_transposed, fname, jaxpr, store.tree, in_avals, p_tree),
                      consts)


def _transposed(fname, jaxpr, out_tree, in_avals, p_tree, consts, *cotangents):
    if len(cotangents) != 1:
        raise TypeError(f"the transpose of {fname} takes one argument, a cotangent pytree "
                        f"shaped like the function's output ({out_tree}); got "
                        f"{len(cotangents)} arguments.")
    ct_leaves, ct_tree = tu.tree_flatten(cotangents[0])
    if ct_tree != out_tree:
        raise TypeError(f"linear_transpose of {fname}: cotangent tree structure {ct_tree} does "
                        f"not match the output structure {out_tree}.")
    ct_vals = []
    for c, a in zip(ct_leaves, jaxpr.out_avals):
        c = _to_value(c)
        c_aval = core.get_aval(c)
        if c_aval.shape != a.shape or c_aval.dtype != a.dtype:
            raise TypeError(f"linear_transpose of {fname}: cotangent type does not match the "
                            f"function's output: expected {a.str_short()}, got "
                            f"{c_aval.str_short()}.")
        ct_vals.append(c)
    res = ad.backward_pass(jaxpr, consts, ct_vals)
    res = [ad.zeros_like_aval(a) if type(r) is ad.Zero else r for r, a in zip(res, in_avals)]
    args, _ = tu.tree_unflatten(p_tree, res)
    return tuple(args)


# ---------------------------------------------------------------------------
# Staging

class ShapeDtypeStruct:
    """A shape and dtype standing in for an array (for eval_shape and tracing)."""
    __slots__ = ("shape", "dtype", "weak_type", "sharding")

    def __init__(self, shape, dtype, *, weak_type: bool = False, sharding=None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type
        self.sharding = sharding

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


def abstractify(x, fname="function", what="argument") -> ShapedArray:
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), x.weak_type)
    _check_leaf(x, fname, what)
    if dtypes.is_python_scalar(x):
        return ShapedArray((), dtypes.python_scalar_dtype(x), dtypes.is_weakly_typed(x))
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), False)
    return core.get_aval(x)


def _split_static(fun, args, static_argnums):
    nums = tuple(a if a >= 0 else a + len(args) for a in
                 ((static_argnums,) if isinstance(static_argnums, int) else static_argnums))
    dyn_idx = [i for i in range(len(args)) if i not in nums]

    def f_dyn(*dyn_args, **kwargs):
        full = list(args)
        for i, a in zip(dyn_idx, dyn_args):
            full[i] = a
        return fun(*full, **kwargs)

    return f_dyn, tuple(args[i] for i in dyn_idx)


def make_jaxpr(fun: Callable, static_argnums: int | Sequence[int] = (),
               axis_env=None, return_shape: bool = False, abstracted_axes=None) -> Callable:
    """A function returning the ClosedJaxpr of `fun` at the given arguments' types."""
    fname = func_name(fun)

    @functools.wraps(fun, assigned=("__name__", "__qualname__", "__doc__"))
    def make_jaxpr_f(*args, **kwargs):
        f_dyn, dyn = _split_static(fun, args, static_argnums)
        leaves, in_tree = tu.tree_flatten((dyn, kwargs))
        in_avals = [abstractify(x, fname) for x in leaves]
        store = _OutTree()
        flat = _flat_fun(f_dyn, in_tree, store, False, fname)
        paths = [p for p, _ in tu.tree_flatten_with_path((dyn, kwargs))[0]]
        info = DebugInfo("make_jaxpr", fun, _safe_names(fun, dyn, kwargs, paths))
        jaxpr, consts, _ = pe.trace_to_jaxpr(flat, in_avals, debug_info=info)
        closed = ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                      for a in jaxpr.out_avals]
            return closed, tu.tree_unflatten(store.tree, shapes)
        return closed

    return make_jaxpr_f


def _safe_names(fun, dyn, kwargs, paths):
    from purejax._src.debug_info import flat_arg_names
    out = []
    for p in paths:
        top = p[0]
        rest = p[1:]
        if getattr(top, "idx", None) == 0:  # positional args tuple
            out.append(flat_arg_names(fun, dyn, {}, [rest])[0] if rest else "args")
        else:
            out.append("kwargs" + tu.keystr(tuple(rest)))
    return out


def eval_shape(fun: Callable, *args, **kwargs):
    """The output shapes and dtypes of fun(*args), without computing anything."""
    closed, shapes = make_jaxpr(fun, return_shape=True)(*args, **kwargs)
    return shapes


# ---------------------------------------------------------------------------
# Misc JAX API

def block_until_ready(x):
    return x


def device_get(x):
    return tu.tree_map(lambda v: np.asarray(v) if type(v) is Array else v, x)


def device_put(x, device=None):
    return tu.tree_map(lambda v: _to_value(v) if _is_array_leaf(v) else v, x)
