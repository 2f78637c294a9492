"""Elementwise fusion for the numpy_codegen backend: chains and DAGs of elementwise
equations on large arrays are evaluated block by block, so their temporaries stay
in cache instead of round-tripping to memory.

`fuse_elementwise(jaxpr)` (called by numpy_codegen.compile_jaxpr right after DCE)
groups the equations whose primitive is elementwise (a fixed list, below) and whose
output has at least MIN_SIZE elements, with every operand of the output's shape or
rank 0 (scalar broadcasts `broadcast_in_dim` of a rank-0 value join too). Each group
becomes one `fused_elementwise` equation whose lowering is a generated kernel:

    for each block of CHUNK elements (of the flattened arrays):
        evaluate the group's equations on the block, into reusable scratch buffers
        write the group's outputs (the values used outside it) into preallocated arrays

A group that fits in one block is straight-line code on the whole arrays. Scratch
buffers are pooled between calls. The equations are scheduled by need (_schedule), and
a pad_add of two of the group's values (the transpose of shifted slices, as in
stencils and the Rosenbrock HVP) is computed by the kernel too (_pad_add_epilogue).

An elementwise NumPy operation on a slice gives the same values as on the whole
array, so the results are bit-identical to the unfused code: the kernel calls the
same ufuncs with the same dtypes (the dtypes are checked by a dry run at compile
time), with `out=` buffers where the primitive's impl is a plain ufunc, and the
primitive's own impl otherwise. Reductions are never fused (NumPy's pairwise sum
of the whole array cannot be reproduced from block partial sums).

A group may be evaluated later than its first equation (at its first consumer
outside the group), never earlier than any of its inputs; groups are pure.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from purejax._src.config import _flags
from purejax._src.core import Jaxpr, JaxprEqn, Literal, Primitive, ShapedArray
from purejax._src.backends.codegen_emit import minmax_scalar_is_slow
from purejax._src.backends.numpy_codegen import register_lowering

# Groups are formed for outputs with at least this many elements.
MIN_SIZE = 1 << 16
# Elements per block (about: blocks are of one length, see _block_length). A NumPy
# pass costs the same per element from ~16K to ~1M elements while the data stays in
# L2/L3, and each block costs a NumPy call per equation: so blocks are large (a
# float32 block is 512 KiB; a chain's few live temporaries stay in L3), and a group up
# to ~1.5 CHUNK is one block, run as straight-line code.
CHUNK = 1 << 17

_FUSIBLE_NAMES = {
    # purejax._src.prims.elementwise
    "neg", "sign", "floor", "ceil", "round", "is_finite", "nextafter", "exp", "exp2", "log",
    "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "cbrt", "abs", "integer_pow",
    "square", "pow", "add", "sub", "mul", "div", "rem", "max", "min", "clamp", "eq", "ne",
    "lt", "le", "gt", "ge", "real", "imag", "conj", "complex", "copy", "stop_gradient",
    "logaddexp", "logaddexp2",
    # purejax._src.prims.bitwise
    "not", "and", "or", "xor", "shift_left", "shift_right_logical", "shift_right_arithmetic",
    "population_count",
    # purejax._src.prims.shape, purejax._src.interpreters.ad
    "convert_element_type", "select_n", "add_any",
}


@functools.lru_cache(maxsize=None)
def _fusible() -> frozenset:
    from purejax._src.interpreters import ad
    from purejax._src.prims import bitwise, elementwise, shape
    prims = set()
    for mod in (elementwise, bitwise, shape):
        for obj in vars(mod).values():
            if isinstance(obj, Primitive) and obj.name in _FUSIBLE_NAMES:
                prims.add(obj)
    prims.add(ad.add_any_p)
    return frozenset(prims)


# Primitives whose impl is a small wrapper around a ufunc: name -> (operand dtype ->
# (ufunc, operand indices) or None). Must mirror the impls (the fusion tests compare
# every one of them with the unfused evaluation).
_UFUNC_OF = {
    "add_any": lambda dt: (np.add, (0, 1)),
    "abs": lambda dt: None if dt.kind == "c" else (np.abs, (0,)),
    "square": lambda dt: (np.multiply, (0, 0)),
    "div": lambda dt: None if dt.kind in "iu" else (np.true_divide, (0, 1)),
}


_UINT = {1: (np.uint8, np.int8), 2: (np.uint16, np.int16), 4: (np.uint32, np.int32),
         8: (np.uint64, np.int64)}


def _broadcast_in_dim_p():
    from purejax._src.prims.shape import broadcast_in_dim_p
    return broadcast_in_dim_p


# ---------------------------------------------------------------------------
# The primitive standing for a fused group (only ever inside compiled code)

fused_elementwise_p = Primitive("fused_elementwise", multiple_results=True)
fused_elementwise_p.impl = lambda *args, kernel: kernel(*args)
fused_elementwise_p.abstract_eval = lambda *avals, kernel: list(kernel.out_avals)


def _not_traceable(*args, **params):
    raise NotImplementedError("fused_elementwise exists only inside compiled code "
                              "(numpy_codegen's fusion pass); it is never transformed")


fused_elementwise_p.jvp = _not_traceable
fused_elementwise_p.batch = _not_traceable
# The generated function itself (one call less). It carries no `source`, so that
# control_flow/inline.py leaves it a call: splicing it into the caller would save
# ~0.5 us per call for milliseconds of first-call time.
register_lowering(fused_elementwise_p, lambda eqn, compile_sub: eqn.params["kernel"]._fn)


# ---------------------------------------------------------------------------
# Grouping

def _group_shape(eqn, fusible, bid_p):
    """The shape a group containing `eqn` has, or None when `eqn` cannot join one."""
    prim = eqn.primitive
    if prim.multiple_results or len(eqn.outvars) != 1:
        return None
    shape = eqn.outvars[0].aval.shape
    if not shape or _size(shape) < MIN_SIZE:
        return None
    if prim is bid_p:
        (x,) = eqn.invars
        return shape if x.aval.shape == () else None
    if prim not in fusible:
        return None
    for v in eqn.invars:
        if v.aval.shape != shape and v.aval.shape != ():
            return None
    return shape


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class _Group:
    def __init__(self, shape):
        self.shape = shape
        self.eqns: list = []
        self.open = True


def fuse_elementwise(jaxpr: Jaxpr) -> Jaxpr:
    """`jaxpr` with its groups of large elementwise equations replaced by
    fused_elementwise equations (the same Jaxpr when there is nothing to fuse)."""
    if MIN_SIZE is None:
        return jaxpr
    fusible, bid_p = _fusible(), _broadcast_in_dim_p()
    shapes = [_group_shape(e, fusible, bid_p) for e in jaxpr.eqns]
    if sum(s is not None for s in shapes) < 2:
        return jaxpr

    items: list = []          # equations and groups, in evaluation order
    open_groups: dict = {}    # shape -> the open group of that shape
    made_by: dict = {}        # var -> the group that computes it

    def close(g):
        g.open = False
        del open_groups[g.shape]
        items.append(g)

    for eqn, shape in zip(jaxpr.eqns, shapes):
        if shape is not None:
            g = open_groups.get(shape)
            if g is None:
                g = open_groups[shape] = _Group(shape)
            g.eqns.append(eqn)
            made_by[eqn.outvars[0]] = g
            continue
        # Another equation: the groups it reads from are evaluated first; the others
        # wait (nothing of theirs is needed before their own consumers).
        for v in eqn.invars:
            g = made_by.get(v) if type(v) is not Literal else None
            if g is not None and g.open:
                close(g)
        items.append(eqn)
    for g in list(open_groups.values()):
        close(g)

    # Which group values are read outside their group.
    used_outside: set = {v for v in jaxpr.outvars if type(v) is not Literal}
    for it in items:
        if isinstance(it, JaxprEqn):
            used_outside.update(v for v in it.invars if type(v) is not Literal)
        else:
            defined = {e.outvars[0] for e in it.eqns}
            for e in it.eqns:
                used_outside.update(v for v in e.invars if type(v) is not Literal and v not in defined)

    epilogues = _pad_add_epilogues(jaxpr, items, made_by)
    eqns = []
    changed = False
    for it in items:
        if isinstance(it, JaxprEqn):
            if not any(it is pad for pad in epilogues.values()):
                eqns.append(it)
            continue
        kernel = None
        if sum(e.primitive is not bid_p for e in it.eqns) >= 2:
            pad = epilogues.get(id(it))
            if pad is not None:
                kernel = _build_kernel(it, used_outside - set(pad.invars), pad)
            if kernel is None:
                if pad is not None:
                    del epilogues[id(it)]
                kernel = _build_kernel(it, used_outside)
        if kernel is None:
            eqns.extend(it.eqns)
        else:
            changed = True
            eqns.append(JaxprEqn(kernel.invars, kernel.outvars, fused_elementwise_p,
                                 {"kernel": kernel}, it.eqns[0].source))
    if not changed:
        return jaxpr
    return Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)


def _pad_add_epilogues(jaxpr, items, made_by) -> dict:
    """id(group) -> a pad_add equation (codegen_simplify's add of two zero pads) whose
    operands are values of that group read nowhere else: the kernel then writes the
    padded sum block by block, instead of two whole arrays for a pass of their own."""
    from purejax._src.backends.codegen_simplify import pad_add_p
    reads: dict = {}  # reads of each group value from outside its group
    for it in items:
        for e in ([it] if isinstance(it, JaxprEqn) else it.eqns):
            for v in e.invars:
                if type(v) is not Literal and made_by.get(v) not in (None, it):
                    reads[v] = reads.get(v, 0) + 1
    for v in jaxpr.outvars:
        if type(v) is not Literal:
            reads[v] = reads.get(v, 0) + 2
    out = {}
    for it in items:
        if not isinstance(it, JaxprEqn) or it.primitive is not pad_add_p:
            continue
        x, y = it.invars
        if type(x) is Literal or type(y) is Literal:
            continue
        g = made_by.get(x)
        if g is None or made_by.get(y) is not g or id(g) in out:
            continue
        if reads[x] != (1 if x is not y else 2) or reads[y] != reads[x]:
            continue
        p = it.params
        if x.aval.shape != g.shape or _size(g.shape[:p["axis"]]) != 1:
            continue
        out[id(g)] = it
    return out


# ---------------------------------------------------------------------------
# Kernels

def _raw(lit: Literal):
    from purejax._src.array import Array
    v = lit.val
    if type(v) is Array:
        return v._value
    return np.asarray(v, dtype=lit.aval.dtype) if not isinstance(v, np.ndarray) else v


def _cse(eqns):
    """Common-subexpression elimination inside a group: (equations, var -> the equal
    var computed earlier)."""
    subst, seen, out = {}, {}, []
    for e in eqns:
        ins = [v if type(v) is Literal else subst.get(v, v) for v in e.invars]
        try:
            key = (e.primitive, tuple(("lit", str(_raw(v).dtype), _raw(v).tobytes())
                                      if type(v) is Literal else v for v in ins),
                   tuple(sorted(e.params.items())))
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in seen:
            subst[e.outvars[0]] = seen[key]
            continue
        if key is not None:
            seen[key] = e.outvars[0]
        out.append(JaxprEqn(ins, e.outvars, e.primitive, e.params, e.source))
    return out, subst


def _schedule(eqns, results):
    """The equations reordered so that each is evaluated just before it is first
    needed, the operand needing more work first (as Sethi and Ullman order register
    use): fewer values are live at once, so fewer scratch buffers, and a value is
    read back while it is still in cache. Values are unchanged (the equations are
    pure); `results` (the group's values read outside it) are computed in order."""
    made = {e.outvars[0]: e for e in eqns}
    cone: dict = {}  # var -> number of equations its value needs (upper bound)

    def size(v):
        if v not in made:
            return 0
        n = cone.get(v)
        if n is None:
            n = cone[v] = 1 + sum(size(a) for a in made[v].invars if type(a) is not Literal)
        return n
    order, done = [], set()

    def visit(v):
        stack = [(v, False)]
        while stack:
            u, expanded = stack.pop()
            if u in done or u not in made:
                continue
            if expanded:
                done.add(u)
                order.append(made[u])
                continue
            stack.append((u, True))
            ops = [a for a in made[u].invars if type(a) is not Literal]
            # pushed last = visited first: the largest cone
            for a in sorted(ops, key=size):
                stack.append((a, False))
    for e in eqns:  # cones in evaluation order (no deep recursion)
        size(e.outvars[0])
    for v in results:
        visit(v)
    for e in eqns:  # values read only inside the group but by nothing scheduled
        visit(e.outvars[0])
    return order


def _dry_run(eqns, invars, chunk_len):
    """The dtype of every value of the group, from evaluating the impls on tiny blocks;
    None when an impl does not behave elementwise (or fails)."""
    env = {}
    for v in invars:
        a = v.aval
        env[v] = np.zeros((), a.dtype) if a.shape == () else np.zeros(chunk_len, a.dtype)
    bid_p = _broadcast_in_dim_p()
    dtypes = {}
    try:
        with np.errstate(all="ignore"):
            for e in eqns:
                args = [_raw(v) if type(v) is Literal else env[v] for v in e.invars]
                if e.primitive is bid_p:
                    out = np.full(chunk_len, args[0])
                else:
                    out = np.asarray(e.primitive.impl(*args, **e.params))
                if out.shape != (chunk_len,):
                    return None
                env[e.outvars[0]] = out
                dtypes[e.outvars[0]] = out.dtype
    except Exception:  # noqa: BLE001 - such a group is simply left unfused
        return None
    return dtypes


class _Kernel:
    """A compiled group: call it with the group's inputs (raw NumPy values) to get
    its outputs. `source` is the generated Python."""

    def __init__(self, invars, outvars, out_avals, fn, source):
        self.invars, self.outvars, self.out_avals = invars, outvars, out_avals
        self._fn, self.source = fn, source

    def __call__(self, *args):
        return self._fn(*args)

    def __repr__(self):
        return f"<fused elementwise kernel: {len(self.invars)} in, {len(self.outvars)} out>"


_counter = itertools.count()


def _block_length(n: int) -> int:
    """About CHUNK elements per block, and blocks of one length (the last one at most
    a few elements shorter): a short last block would cost as many NumPy calls as a
    full one."""
    blocks = max(1, round(n / CHUNK))
    return max(1, -(-n // blocks))


def _build_kernel(group, used_outside, pad=None):
    """The kernel for `group`, or None. With `pad` (a pad_add equation whose operands
    are values of the group read nowhere else), the kernel returns the pad_add's
    result in their place (see _pad_add_epilogue)."""
    shape, eqns = group.shape, group.eqns
    bid_p = _broadcast_in_dim_p()
    defined = {e.outvars[0] for e in eqns}
    invars, seen = [], set()
    for e in eqns:
        for v in e.invars:
            if type(v) is not Literal and v not in defined and v not in seen:
                seen.add(v)
                invars.append(v)
    ext_outvars = [e.outvars[0] for e in eqns if e.outvars[0] in used_outside]
    if not ext_outvars and pad is None:
        return None
    eqns, subst = _cse(eqns)
    outvars = list(dict.fromkeys(subst.get(v, v) for v in ext_outvars))
    pad_ops = [] if pad is None else [subst.get(v, v) for v in pad.invars]
    eqns = _schedule(eqns, outvars + pad_ops)
    dtypes = _dry_run(eqns, invars, 3)
    if dtypes is None:
        return None
    n = _size(shape)
    length = _block_length(n)
    if pad is not None:
        if not (dtypes[pad_ops[0]] == dtypes[pad_ops[1]] == pad.outvars[0].aval.dtype):
            return None
        inner = _size(shape[pad.params["axis"] + 1:])
        shift = abs(pad.params["lo_x"] - pad.params["lo_y"]) * inner
        if n == 0 or shift > (n % length or length):
            return None  # the carried part must fit in the shortest block

    g: dict = {"np": np, "_flags": _flags}
    gid = itertools.count()

    def ref(obj, hint="g"):
        name = f"_{hint}{next(gid)}"
        g[name] = obj
        return name

    single = n <= length  # one block: straight-line code on the whole arrays
    if single:
        length = n
    blk = "" if single else "[i0:i1]"
    # Names: inputs x<i> (whole arrays, flattened) and s<i> (rank 0); per block,
    # big inputs are sliced into a<i>; outputs o<i> (whole) / p<i> (block slice);
    # scratch buffers b<slot>; fill buffers c<i>; values t<i>.
    name: dict = {}
    pre, body = [], []   # lines before the loop (per call), lines of the block body
    reads_mode = False   # the body tests the float32 math mode (read once per call)
    params, big_in = [], []
    for i, v in enumerate(invars):
        if v.aval.shape == ():
            params.append(f"s{i}")
            name[v] = f"s{i}"
        else:
            params.append(f"x{i}")
            big_in.append(i)
            if len(shape) != 1:
                pre.append(f"x{i} = x{i}.reshape(-1)")
            body.append(f"a{i} = x{i}{blk}")
            name[v] = f"a{i}"
    out_index = {v: k for k, v in enumerate(outvars)}
    for k, v in enumerate(outvars):
        pre.append(f"o{k} = np.empty({shape!r}, {ref(dtypes[v], 'dt')})")
        pre.append(f"f{k} = o{k}.reshape(-1)")

    # Liveness: the last equation reading each value inside the group.
    last_use: dict = {}
    for k, e in enumerate(eqns):
        for v in e.invars:
            if type(v) is not Literal:
                last_use[v] = k
    if pad is not None:
        for v in pad_ops:
            last_use[v] = len(eqns)  # read by the epilogue, after the group's equations

    # Scratch slots, reused by dtype once no live value holds them.
    slot_dtype: list = []
    free: dict = {}           # dtype -> [slot]
    holders: dict = {}        # slot -> number of live values holding it
    holds: dict = {}          # value -> slots it may alias

    def take(dt):
        lst = free.get(dt)
        s = lst.pop() if lst else None
        if s is None:
            s = len(slot_dtype)
            slot_dtype.append(dt)
        holders[s] = 0
        return s

    def release_dead(k, e):
        for v in e.invars:
            if type(v) is Literal or last_use.get(v) != k or v not in holds:
                continue
            for s in holds.pop(v):
                holders[s] -= 1
                if holders[s] == 0:
                    free.setdefault(slot_dtype[s], []).append(s)

    def hold(v, slots):
        holds[v] = set(slots)
        for s in slots:
            holders[s] += 1

    def destination(v, dt):
        """(where v's block is computed, its scratch slot or None): the block of v's
        output array when v leaves the group, else a scratch slot of dtype dt."""
        if v in out_index:
            dest = f"p{out_index[v]}"
            body.append(f"{dest} = f{out_index[v]}{blk}")
            return dest, None
        slot = take(dt)
        return f"b{slot}", slot

    fills = []

    def fill(value_expr, dt):
        """A block-long buffer of one value (per call)."""
        c = f"c{len(fills)}"
        fills.append(c)
        pre.append(f"{c} = np.full({length}, {value_expr}, {ref(dt, 'dt')})")
        return c

    for k, e in enumerate(eqns):
        v = e.outvars[0]
        dt = dtypes[v]
        prim, args = e.primitive, [ref(_raw(a), "k") if type(a) is Literal else name[a]
                                   for a in e.invars]
        is_out = v in out_index
        if prim is bid_p:
            c = fill(args[0], dt)
            release_dead(k, e)
            if is_out:
                body.append(f"p{out_index[v]} = f{out_index[v]}{blk}; p{out_index[v]}[...] = {c}")
                name[v] = f"p{out_index[v]}"
            else:
                name[v] = c  # the fill buffers live for the whole call
            continue
        impl = prim.impl
        wide = getattr(impl, "wide_ufunc", None)
        in_dt = e.invars[0].aval.dtype
        ufunc = isinstance(impl, np.ufunc) and not e.params
        order = range(len(args))
        if not ufunc and prim.name in _UFUNC_OF and not e.params:
            found = _UFUNC_OF[prim.name](in_dt)
            if found is not None:
                ufunc, order = True, found[1]
                impl = found[0]
                args = [args[i] for i in order]
                if prim.name == "div" and dt.kind == "f" and e.invars[1].aval.shape == ():
                    # elementwise._float_div: times the rank-0 divisor's reciprocal
                    impl = np.multiply
                    args = [args[0], f"np.true_divide({ref(dt.type(1), 'one')}, {args[1]})"]
        if ufunc and minmax_scalar_is_slow(impl, dt):
            # an array of the constant instead of the broadcast rank-0 value: the same
            # comparisons, on NumPy's SIMD path (see codegen_emit)
            ops = [e.invars[i] for i in order]
            args = [fill(a, dt) if o.aval.shape == () else a for a, o in zip(args, ops)]
        case_dts = {dtypes.get(a, a.aval.dtype) for a in e.invars[1:]}
        if (prim.name == "select_n" and len(e.invars) == 3 and e.invars[0].aval.dtype == np.bool_
                and case_dts == {dt} and dt.itemsize in _UINT):
            # np.where(which, case1, case0) as a bitwise select, case0 ^ ((case0 ^ case1) &
            # -which): the same bits (NaN payloads included), without np.where's
            # data-dependent branches (several times faster on unpredictable masks)
            u, m = _UINT[dt.itemsize]
            bm, bx = take(np.dtype(m)), take(np.dtype(u))  # before the operands are freed
            release_dead(k, e)
            dest, s = destination(v, dt)
            U = ref(np.dtype(u), "u")
            body.append(f"np.subtract(0, {args[0]}, dtype={ref(np.dtype(m), 'm')}, out=b{bm})")
            body.append(f"np.bitwise_xor({args[1]}.view({U}), {args[2]}.view({U}), out=b{bx})")
            body.append(f"np.bitwise_and(b{bx}, b{bm}.view({U}), out=b{bx})")
            body.append(f"np.bitwise_xor(b{bx}, {args[1]}.view({U}), out={dest}.view({U}))")
            for t in (bm, bx):
                free.setdefault(slot_dtype[t], []).append(t)
            name[v] = dest
            if s is not None:
                hold(v, [s])
            continue
        double = (wide is not None and not e.params and in_dt.kind == "f"
                  and in_dt.itemsize < 8 and dt == in_dt)
        if ufunc or double:
            release_dead(k, e)  # an operand dying here may share the output's buffer
            dest, s = destination(v, dt)
            if ufunc:
                # out positionally, a little cheaper to parse than the keyword (which
                # maximum and minimum require)
                out = f"out={dest}" if impl in (np.maximum, np.minimum) else dest
                body.append(f"{ref(impl, prim.name)}({', '.join(args)}, {out})")
            else:
                fn = ref(wide, prim.name)
                w = take(np.dtype(np.float64))
                # in_double's ways (read per call: the flag may change between calls)
                modes = impl.native_modes(in_dt)
                indent = ""
                if modes:
                    reads_mode, indent = True, "    "
                    body.append(f"if mode in {modes!r}:")
                    body.append(f"    {fn}({args[0]}, out={dest})")
                    body.append("else:")
                body.append(f"{indent}{fn}({args[0]}, dtype=np.float64, out=b{w})")
                body.append(f"{indent}np.copyto({dest}, b{w}, casting='unsafe')  # rounds once")
                free.setdefault(slot_dtype[w], []).append(w)
            name[v] = dest
            if s is not None:
                hold(v, [s])
            continue
        # Any other elementwise impl: its result is a new array, or a view of an operand.
        fn = functools.partial(impl, **e.params) if e.params else impl
        t = f"t{k}"
        body.append(f"{t} = {ref(fn, prim.name)}({', '.join(args)})")
        aliases = set()
        for a in e.invars:
            if type(a) is not Literal:
                aliases |= holds.get(a, set())
        if is_out:
            body.append(f"p{out_index[v]} = f{out_index[v]}{blk}; p{out_index[v]}[...] = {t}")
            name[v] = f"p{out_index[v]}"
        else:
            name[v] = t
            hold(v, aliases)  # before the operands let go of the buffers
        release_dead(k, e)

    tail = []
    if pad is not None:
        _pad_add_epilogue(pad, [name[v] for v in pad_ops], dtypes[pad_ops[0]], shape, n, ref,
                          pre, body, tail, single)

    nslots = len(slot_dtype)
    bufs = [f"b{s}" for s in range(nslots)] + fills
    if nslots:
        # Scratch buffers are kept between calls (a pool, so that concurrent calls
        # never share one): fresh pages for every call cost more than the work on
        # them when the allocator hands memory back to the system.
        g["_pool"] = []
        new = ref(functools.partial(_new_scratch, length, tuple(slot_dtype)), "new")
        pre.append("scratch = _pool.pop() if _pool else " + new + "()")
        pre.append(f"{', '.join(bufs[:nslots])}{',' if nslots == 1 else ''} = scratch")
    fname = f"fused_{next(_counter)}"
    src = [f"def {fname}({', '.join(params)}):"]
    src += ["    " + ln for ln in pre]
    if reads_mode:
        src.append("    mode = _flags['purejax_float32_math']")
    if single:
        src += ["    " + ln for ln in body]
    else:
        src.append(f"    def block(i0, i1{''.join(', ' + b for b in bufs)}):")
        src += ["        " + ln for ln in body]
        src.append(f"    full = {n} - {n} % {length}")
        src.append(f"    for i0 in range(0, full, {length}):")
        src.append(f"        block(i0, i0 + {length}{''.join(', ' + b for b in bufs)})")
        src.append(f"    if full < {n}:")
        src.append(f"        r = {n} - full")
        src.append(f"        block(full, {n}{''.join(', ' + b + '[:r]' for b in bufs)})")
    src += ["    " + ln for ln in tail]
    if nslots:
        src.append("    _pool.append(scratch)")
    rets = [f"o{out_index[subst.get(v, v)]}" for v in ext_outvars] + (["pad_out"] if pad else [])
    src.append(f"    return [{', '.join(rets)}]")
    source = "\n".join(src) + "\n"
    g["__name__"] = "purejax._generated"  # core's RuntimeWarning filter applies
    exec(compile(source, f"<purejax fused {fname}>", "exec"), g)
    out_avals = [ShapedArray(shape, dtypes[subst.get(v, v)], v.aval.weak_type) for v in ext_outvars]
    kernel_outvars = list(ext_outvars)
    if pad is not None:
        out_avals.append(pad.outvars[0].aval)
        kernel_outvars.append(pad.outvars[0])
    return _Kernel(invars, kernel_outvars, out_avals, g[fname], source)


def _new_scratch(length, dts):
    return [np.empty(length, dt) for dt in dts]


def _pad_add_epilogue(pad, xy, dt, shape, n, ref, pre, body, tail, single):
    """Source lines computing pad_add(x, y) (codegen_simplify._pad_add_impl: x + y where
    both are present, x + 0 or 0 + y where one is, +0 elsewhere) from the blocks of x
    and y. Flattened, the padded operands are x and y shifted by sx and sy elements;
    the one shifted less, `a`, meets in each block the other's elements up to d = |sx -
    sy| before the block's end; the other's last d elements are carried to the next
    block (and after the last, stand alone)."""
    p = pad.params
    inner = _size(shape[p["axis"] + 1:])
    sx, sy = p["lo_x"] * inner, p["lo_y"] * inner
    total = _size(p["shape"])
    D = ref(dt, "dt")
    zero = ref(np.zeros((), dt), "zero")
    pre.append(f"pad_out = np.empty({tuple(p['shape'])!r}, {D})")
    pre.append("F = pad_out" + ("" if len(p["shape"]) == 1 else ".reshape(-1)"))
    x, y = xy
    lo, hi = min(sx, sy), max(sx, sy)
    d = hi - lo

    def at(start, stop):  # a slice of F, offsets from the block's start/end
        if single:
            return f"F[{start}:{n + stop}]"
        return f"F[i0{f' + {start}' if start else ''}:i1{f' + {stop}' if stop else ''}]"
    if lo:
        pre.append(f"F[:{lo}] = 0")
    if hi + n < total:
        pre.append(f"F[{hi + n}:] = 0")
    if d == 0:
        body.append(f"np.add({x}, {y}, {at(lo, lo)})")
        return
    a, b = (x, y) if sx <= sy else (y, x)

    def add(a_part, b_part, dest):  # x stays the left operand
        left, right = (a_part, b_part) if sx <= sy else (b_part, a_part)
        return f"np.add({left}, {right}, {dest})"
    head = add(f"{a}[:{d}]", zero, f"F[{lo}:{hi}]")  # a alone
    if single:
        body.append(head)
    else:
        pre.append(f"carry = np.empty({d}, {D})")
        body.append("if i0:")
        body.append("    " + add(f"{a}[:{d}]", "carry", f"F[i0 + {lo}:i0 + {hi}]"))
        body.append("else:")
        body.append("    " + head)
    body.append(add(f"{a}[{d}:]", f"{b}[:-{d}]", at(hi, lo)))
    if single:
        body.append(add(zero, f"{b}[-{d}:]", f"F[{n + lo}:{n + hi}]"))  # b alone
    else:
        body.append(f"carry[...] = {b}[-{d}:]")
        tail.append(add(zero, "carry", f"F[{n + lo}:{n + hi}]"))
