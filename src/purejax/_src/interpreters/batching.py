"""Vectorisation (vmap): a BatchTrace carries each value with the position of its
batch dimension (or None when the value is the same for every batch member).
A primitive's `batch` rule maps (args, dims) to (out, out_dim)."""
from __future__ import annotations

from typing import Callable, Sequence


from purejax._src import core
from purejax._src.core import MissingRuleError, Trace, Tracer

class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim", "_aval")

    def __init__(self, trace: "BatchTrace", val, batch_dim: int | None):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim
        self._aval = None

    @property
    def aval(self):
        aval = self._aval  # made once: val and batch_dim never change
        if aval is None:
            aval = core.get_aval(self.val)
            if self.batch_dim is not None:
                shape = aval.shape[:self.batch_dim] + aval.shape[self.batch_dim + 1:]
                aval = aval.update(shape=shape)
            self._aval = aval
        return aval

    def __repr__(self):
        # as JAX 0.10: VmapTracer(aval=float32[], batched=float32[3])
        return f"VmapTracer(aval={self.aval}, batched={core.get_aval(self.val)})"


class BatchTrace(Trace):
    """`tag` identifies one vmap: a trace re-created under another parent (to batch a
    function staged elsewhere) shares it, so values closed over from the original
    are still recognised as batched."""

    def __init__(self, parent: Trace, axis_size: int, axis_name=None, tag=None):
        self.parent = parent
        self.axis_size = axis_size
        self.axis_name = axis_name
        self.tag = object() if tag is None else tag

    def _describe(self):
        return "vmap"

    def to_batch_info(self, x):
        if type(x) is BatchTracer and (x._trace is self or x._trace.tag is self.tag):
            return x.val, x.batch_dim
        if isinstance(x, Tracer) and not x._trace._alive:
            core._raise_escaped(x)
        return x, None

    def process_primitive(self, prim, args, params):
        vals, dims = [], []
        for x in args:
            v, d = self.to_batch_info(x)
            vals.append(v)
            dims.append(d)
        if all(d is None for d in dims):
            with core.set_current_trace(self.parent):
                return prim.bind(*vals, **params)
        rule = prim.batch
        if rule is None:
            raise MissingRuleError(prim.name, "vmap (batching)")
        done = None
        if prim.eval_with_arrays and type(self.parent) is core.EvalTrace:
            # eager cond/scan/remat...: the rule compiled once per structure
            from purejax._src.interpreters.eager_templates import eager_batch
            done = eager_batch(prim, vals, dims, params, self.axis_size)
        if done is not None:
            out, out_dim = done
        else:
            with core.set_current_trace(self.parent):
                out, out_dim = rule(vals, dims, axis_size=self.axis_size, **params) \
                    if getattr(rule, "wants_axis_size", False) else rule(vals, dims, **params)
        if prim.multiple_results:
            return [BatchTracer(self, o, d) for o, d in core.zip_checked(out, out_dim)]
        return BatchTracer(self, out, out_dim)


def wants_axis_size(rule):
    rule.wants_axis_size = True
    return rule


# ---------------------------------------------------------------------------
# Helpers for rules (run under the parent trace: they bind lax primitives)

def moveaxis(x, src: int | None, dst: int, axis_size: int | None = None):
    """Move the batch dimension of x from src to dst; broadcast it in when src is None."""
    from purejax._src import lax
    if src is None:
        if axis_size is None:
            raise ValueError("moveaxis of an unbatched value needs axis_size")
        return broadcast_batched(x, axis_size, dst)
    if src == dst:
        return x
    ndim = core.get_aval(x).ndim
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm))


def broadcast_batched(x, axis_size: int, dim: int):
    from purejax._src import lax
    aval = core.get_aval(x)
    shape = list(aval.shape)
    shape.insert(dim, axis_size)
    bdims = tuple(i for i in range(len(shape)) if i != dim)
    return lax.broadcast_in_dim(x, tuple(shape), bdims)


def defvectorized(prim: core.Primitive) -> None:
    """Elementwise with one operand (or operands all batched alike): apply as is."""

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        return prim.bind(x, **params), d

    prim.batch = rule


def defbroadcasting(prim: core.Primitive) -> None:
    """Elementwise n-ary: operands have equal shapes or rank 0. Batched operands get
    their batch dim first; unbatched ones are broadcast only if not rank 0."""

    def rule(args, dims, **params):
        from purejax._src import lax
        avals = [core.get_aval(x) for x in args]
        first = dims[0]
        if all(d == first for d in dims) and len({a.ndim for a in avals}) == 1:
            return prim.bind(*args, **params), first
        size = next(a.shape[d] for a, d in zip(avals, dims) if d is not None)
        full = (size,) + _out_shape(args, dims)
        new = []
        for x, a, d in zip(args, avals, dims):
            if d is None:
                new.append(x if a.ndim == 0 else broadcast_batched(x, size, 0))
            else:
                x = moveaxis(x, d, 0)
                new.append(x if a.ndim == len(full) else lax.broadcast_in_dim(x, full, (0,)))
        out = prim.bind(*new, **params)
        return (out, [0] * len(out)) if prim.multiple_results else (out, 0)

    prim.batch = rule


def _out_shape(args, dims):
    shapes = []
    for x, d in zip(args, dims):
        s = core.get_aval(x).shape
        if d is not None:
            s = s[:d] + s[d + 1:]
        shapes.append(s)
    return max(shapes, key=len)


def vmap_flat(fun: Callable, axis_size: int, in_dims: Sequence[int | None], args: Sequence,
              out_dims_thunk: Callable, axis_name=None):
    """Run flat `fun` with args batched along in_dims; move outputs to out_dims."""
    parent = core.current_trace()
    trace = BatchTrace(parent, axis_size, axis_name)
    in_tracers = [BatchTracer(trace, x, d) if d is not None else x
                  for x, d in core.zip_checked(args, in_dims)]
    try:
        with core.set_current_trace(trace):
            outs = fun(*in_tracers)
    finally:
        trace.invalidate()
    out_dims = out_dims_thunk()
    results = []
    for x, od in core.zip_checked(outs, out_dims):
        v, d = trace.to_batch_info(x)
        if od is None:
            if d is not None:
                raise ValueError(
                    "vmap has mapped output but out_axes is None: an output marked "
                    "out_axes=None depends on the mapped axis.")
            results.append(v)
            continue
        ndim = core.get_aval(v).ndim + (1 if d is None else 0)
        if not -ndim <= od < ndim:
            raise ValueError(
                f"vmap out_axes={od} is out of bounds for output {len(results)}, whose rank "
                f"with the mapped axis is {ndim} (out_axes must be in [{-ndim}, {ndim})).")
        od = od + ndim if od < 0 else od
        results.append(moveaxis(v, d, od, axis_size))
    return results
