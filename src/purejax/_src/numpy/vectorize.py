"""jnp.vectorize: NumPy's vectorize (with gufunc signatures) built on vmap.

The loop (non-core) dimensions of the arguments are broadcast together; each one
that some argument really has (size other than 1) becomes one vmap, the outermost
vmap for the leading dimension; size-1 loop dimensions are squeezed before the call
and re-inserted into the result. Core dimensions, named in a signature such as
'(m,n),(n)->(m)', are passed to the function whole and checked for consistent sizes.
Errors follow JAX's messages.
"""
from __future__ import annotations

import functools
import re
import warnings
from typing import Any, Callable, Collection, Sequence

from purejax._src.config import _flags
from purejax._src.numpy import util
from purejax._src.numpy.lax_numpy import asarray, expand_dims, squeeze

_DIMENSION_NAME = r"\w+"
_CORE_DIMENSION_LIST = "(?:{0:}(?:,{0:})*)?".format(_DIMENSION_NAME)
_ARGUMENT = rf"\({_CORE_DIMENSION_LIST}\)"
_ARGUMENT_LIST = "{0:}(?:,{0:})*".format(_ARGUMENT)
_SIGNATURE = "^{0:}->{0:}$".format(_ARGUMENT_LIST)

CoreDims = tuple


def _parse_gufunc_signature(signature: str) -> tuple[list[CoreDims], list[CoreDims]]:
    """Input and output core dimensions of a signature like '(m,n),(n,p)->(m,p)'."""
    if not re.match(_SIGNATURE, signature):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    args, retvals = ([tuple(re.findall(_DIMENSION_NAME, arg))
                      for arg in re.findall(_ARGUMENT, arg_list)]
                     for arg_list in signature.split("->"))
    return args, retvals


def _update_dim_sizes(dim_sizes: dict, shape: tuple, core_dims: CoreDims,
                      error_context: str = "", *, is_input: bool) -> None:
    """Check one argument's core dimensions against (and record them in) dim_sizes."""
    num_core_dims = len(core_dims)
    if is_input:
        if len(shape) < num_core_dims:
            raise ValueError(
                "input with shape %r does not have enough dimensions for all core "
                "dimensions %r %s" % (shape, core_dims, error_context))
    elif len(shape) != num_core_dims:
        raise ValueError("output shape %r does not match core dimensions %r %s"
                         % (shape, core_dims, error_context))
    core_shape = shape[-num_core_dims:] if core_dims else ()
    for dim, size in zip(core_dims, core_shape):
        if dim not in dim_sizes:
            dim_sizes[dim] = size
        elif size != dim_sizes[dim]:
            raise ValueError("inconsistent size for core dimension %r: %r vs %r %s"
                             % (dim, size, dim_sizes[dim], error_context))


def _parse_input_dimensions(args: tuple, input_core_dims: list[CoreDims],
                            error_context: str = "") -> tuple[tuple, dict]:
    """The broadcast loop shape and the sizes of the named core dimensions."""
    if len(args) != len(input_core_dims):
        raise TypeError("wrong number of positional arguments: expected %r, got %r %s"
                        % (len(input_core_dims), len(args), error_context))
    shapes = []
    dim_sizes: dict = {}
    for arg, core_dims in zip(args, input_core_dims):
        _update_dim_sizes(dim_sizes, arg.shape, core_dims, error_context, is_input=True)
        ndim = arg.ndim - len(core_dims)
        shapes.append(arg.shape[:ndim])
    return util.broadcast_shapes(*shapes), dim_sizes


def _check_output_dims(func: Callable, dim_sizes: dict, expected_output_core_dims,
                       error_context: str = "") -> Callable:
    """Wrap func to check its outputs' core dimensions against the signature."""
    def wrapped(*args):
        out = func(*args)
        outs = out if isinstance(out, tuple) else [out]
        out_shapes = [tuple(util.shape_of(o)) for o in outs]
        if len(expected_output_core_dims) > 1 and not isinstance(out, tuple):
            raise TypeError("output must be a tuple when multiple outputs are expected, "
                            "got: {!r}\n{}".format(out, error_context))
        if len(out_shapes) != len(expected_output_core_dims):
            raise TypeError("wrong number of output arguments: expected %r, got %r %s"
                            % (len(expected_output_core_dims), len(out_shapes),
                               error_context))
        sizes = dict(dim_sizes)
        for shape, core_dims in zip(out_shapes, expected_output_core_dims):
            _update_dim_sizes(sizes, shape, core_dims, error_context, is_input=False)
        return out
    return wrapped


def _apply_excluded(func: Callable, excluded: Collection, args: Sequence,
                    kwargs: dict) -> tuple[Callable, Sequence, dict]:
    """Partially apply the excluded positional and keyword arguments."""
    if not excluded:
        return func, args, kwargs
    dynamic_args = [arg for i, arg in enumerate(args) if i not in excluded]
    dynamic_kwargs = {key: val for key, val in kwargs.items() if key not in excluded}
    static_args = [(i, args[i]) for i in sorted(e for e in excluded if isinstance(e, int))
                   if i < len(args)]
    static_kwargs = {key: val for key, val in kwargs.items() if key in excluded}

    def new_func(*args, **kwargs):
        args = list(args)
        for i, arg in static_args:
            args.insert(i, arg)
        return func(*args, **kwargs, **static_kwargs)
    return new_func, dynamic_args, dynamic_kwargs


def vectorize(pyfunc: Callable, *, excluded: Collection = frozenset(),
              signature: str | None = None) -> Callable:
    """A vectorized version of pyfunc with NumPy broadcasting, built on vmap.

    excluded: positional indices or keyword names passed to pyfunc unchanged.
    signature: a gufunc signature such as '(m,n),(n)->(m)': the core dimensions that
    pyfunc receives (and returns) whole. Without one, pyfunc gets scalars and may
    return any shape."""
    if any(not isinstance(e, (str, int)) for e in excluded):
        raise TypeError("jax.numpy.vectorize can only exclude integer or string arguments, "
                        "but excluded={!r}".format(excluded))
    if any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"excluded={excluded!r} contains negative numbers")

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        from purejax._src.api import vmap
        error_context = ("on vectorized function with excluded={!r} and "
                         "signature={!r}".format(excluded, signature))
        excluded_func, args, kwargs = _apply_excluded(pyfunc, excluded, args, kwargs)
        if signature is not None:
            input_core_dims, output_core_dims = _parse_gufunc_signature(signature)
        else:
            input_core_dims = [()] * len(args)
            output_core_dims = None

        none_args = {i for i, arg in enumerate(args) if arg is None}
        if any(none_args):  # (as JAX: a None first argument is not excluded)
            if any(input_core_dims[i] != () for i in none_args):
                raise ValueError(f"Cannot pass None at locations {none_args} with "
                                 f"signature={signature!r}")
            excluded_func, args, _ = _apply_excluded(excluded_func, none_args, args, {})
            input_core_dims = [d for i, d in enumerate(input_core_dims) if i not in none_args]

        args = tuple(asarray(a) for a in args)
        broadcast_shape, dim_sizes = _parse_input_dimensions(args, input_core_dims,
                                                             error_context)
        checked_func = excluded_func if output_core_dims is None else _check_output_dims(
            excluded_func, dim_sizes, output_core_dims, error_context)

        mode = _flags["jax_numpy_rank_promotion"]
        if mode != "allow":
            ranks = [a.ndim - len(core) for a, core in zip(args, input_core_dims)
                     if a.ndim != 0]
            if len(set(ranks)) > 1:
                msg = (f"operands with shapes {[a.shape for a in args]} require rank"
                       f" promotion for jnp.vectorize function with signature {signature}."
                       " Set the jax_numpy_rank_promotion config option to 'allow' to"
                       " disable this message; for more information, see"
                       " https://docs.jax.dev/en/latest/rank_promotion_warning.html.")
                if mode == "warn":
                    warnings.warn(msg, stacklevel=2)
                elif mode == "raise":
                    raise ValueError(msg)

        squeezed_args = []
        rev_filled_shapes = []
        for arg, core_dims in zip(args, input_core_dims):
            noncore_shape = arg.shape[:arg.ndim - len(core_dims)]
            pad_ndim = len(broadcast_shape) - len(noncore_shape)
            filled_shape = pad_ndim * (1,) + noncore_shape
            rev_filled_shapes.append(filled_shape[::-1])
            squeeze_indices = tuple(i for i, size in enumerate(noncore_shape) if size == 1)
            squeezed_args.append(squeeze(arg, axis=squeeze_indices))

        vectorized_func = checked_func
        dims_to_expand = []
        for negdim, axis_sizes in enumerate(zip(*rev_filled_shapes)):
            in_axes = tuple(None if size == 1 else 0 for size in axis_sizes)
            if all(axis is None for axis in in_axes):
                dims_to_expand.append(len(broadcast_shape) - 1 - negdim)
            else:
                vectorized_func = vmap(vectorized_func, in_axes)
        result = vectorized_func(*squeezed_args)

        if not dims_to_expand:
            return result
        if isinstance(result, tuple):
            return tuple(expand_dims(r, axis=dims_to_expand) for r in result)
        return expand_dims(result, axis=dims_to_expand)

    return wrapped


__all__ = ["vectorize"]
