"""The default jit backend: turn a Jaxpr into Python source, one NumPy call per
equation, after dead-code elimination, constant folding, forwarding of trivial
operations and common-subexpression elimination.

The source is written under a real filename (and registered with linecache), so
tracebacks and pdb show the generated line. Set the flag
`purejax_dump_generated_code` (env PUREJAX_DUMP_GENERATED_CODE=1) to print it, or
read `compiled.source`.
"""
from __future__ import annotations

import functools
import itertools
import linecache
import os
import tempfile
from typing import Callable

import numpy as np

from purejax._src import core
from purejax._src.array import Array
from purejax._src.config import _flags
from purejax._src.core import ClosedJaxpr, Literal
from purejax._src.interpreters import partial_eval as pe
from purejax._src.backends import codegen_emit, codegen_simplify

# prim -> fn(eqn, compile_sub) returning a callable on raw NumPy values (for
# higher-order primitives: pjit, custom calls, control flow)
_lowerings: dict = {}

# Equations whose constant inputs are folded at compile time, up to this many elements.
_FOLD_LIMIT = 1 << 16

_counter = itertools.count()


def register_lowering(prim, fn: Callable) -> None:
    _lowerings[prim] = fn


def _dump_dir() -> str | None:
    d = os.path.join(tempfile.gettempdir(), f"purejax_generated_{os.getuid() if hasattr(os, 'getuid') else 'u'}")
    try:
        os.makedirs(d, exist_ok=True)
        return d
    except OSError:
        return None


def _is_ufunc_without_params(prim, params) -> bool:
    return isinstance(prim.impl, np.ufunc) and not params


def _raw_literal(lit: Literal):
    v = lit.val
    if type(v) is Array:
        return v._value
    return np.asarray(v, dtype=lit.aval.dtype) if not isinstance(v, np.ndarray) else v


_TRIVIAL = {"copy"}


def _forward_trivial(eqn, in_avals) -> int | None:
    """Index of the input an equation merely forwards, or None."""
    name = eqn.primitive.name
    out = eqn.outvars[0].aval if len(eqn.outvars) == 1 else None
    if out is None or not in_avals:
        return None
    a = in_avals[0]
    if name in _TRIVIAL:
        return 0
    if name in ("reshape", "broadcast_in_dim", "convert_element_type", "transpose",
                "squeeze", "expand_dims") and a.shape == out.shape and a.dtype == out.dtype:
        if name == "transpose" and eqn.params["permutation"] != tuple(range(len(a.shape))):
            return None
        return 0
    return None


def _cse_args(prim, args):
    if prim.name in codegen_simplify.COMMUTATIVE and len(args) == 2:
        return tuple(sorted(args))
    return tuple(args)


class _Emitter:
    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.globals: dict = {"np": np}
        self._gid = itertools.count()
        self._vid = itertools.count()
        self._global_ids: dict = {}

    def global_ref(self, obj, hint="g") -> str:
        key = id(obj)
        ref = self._global_ids.get(key)
        if ref is None:
            ref = f"_{hint}{next(self._gid)}"
            self.globals[ref] = obj
            self._global_ids[key] = ref
        return ref

    def fresh(self) -> str:
        return f"v{next(self._vid)}"


def _sanitize(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "f_" + out


def compile_jaxpr(closed: ClosedJaxpr, name: str = "jaxpr") -> Callable:
    """A callable taking raw NumPy inputs and returning a list of raw NumPy outputs."""
    jaxpr = pe.dce_jaxpr(closed.jaxpr)
    jaxpr = codegen_simplify.simplify(jaxpr)  # algebraic peepholes (codegen_simplify.py)
    from purejax._src.backends.fusion import fuse_elementwise  # (imports this module)
    jaxpr = fuse_elementwise(jaxpr)  # big elementwise chains -> blocked kernels
    em = _Emitter(name)
    env: dict = {}       # var -> expression (a local name or a global ref)
    consts_env: dict = {}  # var -> concrete NumPy value (for folding)
    for v, c in zip(jaxpr.constvars, closed.consts):
        val = c._value if type(c) is Array else np.asarray(c)
        env[v] = em.global_ref(val, "c")
        consts_env[v] = val
    params = []
    for v in jaxpr.invars:
        n = em.fresh()
        env[v] = n
        params.append(n)

    def atom(v):
        if type(v) is Literal:
            return em.global_ref(_raw_literal(v), "k")
        return env[v]

    def const_value(v):
        if type(v) is Literal:
            return _raw_literal(v)
        return consts_env.get(v, None)

    cse: dict = {}
    body = em.lines
    lines: list = []  # (index in body, outputs, operands, eqn, call): for reuse_buffers
    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        in_avals = [v.aval for v in eqn.invars]
        fwd = _forward_trivial(eqn, in_avals)
        if fwd is not None:
            env[eqn.outvars[0]] = atom(eqn.invars[fwd])
            if const_value(eqn.invars[fwd]) is not None:
                consts_env[eqn.outvars[0]] = const_value(eqn.invars[fwd])
            continue
        lowering = _lowerings.get(prim)
        # constant folding: all inputs known, small result, no sub-programs
        if lowering is None and not prim.eval_with_arrays and prim.impl is not None:
            cvals = [const_value(v) for v in eqn.invars]
            if all(c is not None for c in cvals) and all(
                    v.aval.size <= _FOLD_LIMIT for v in eqn.outvars):
                with np.errstate(all="ignore"):
                    out = prim.impl(*cvals, **eqn.params)
                outs = out if prim.multiple_results else [out]
                for v, o in zip(eqn.outvars, outs):
                    o = np.asarray(o)
                    consts_env[v] = o
                    env[v] = em.global_ref(o, "k")
                continue
        args = [atom(v) for v in eqn.invars]
        try:
            key = (prim, _cse_args(prim, args), tuple(sorted(eqn.params.items())))
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in cse:
            for v, n in zip(eqn.outvars, cse[key]):
                env[v] = n
            continue
        outs = [em.fresh() for _ in eqn.outvars]
        inline = None if lowering is not None or prim.multiple_results else \
            codegen_emit.emit(eqn, args, em.global_ref)
        if inline is not None:
            call = inline
        elif lowering is not None:
            fn = em.global_ref(lowering(eqn, compile_jaxpr), f"{_sanitize(prim.name)}_")
            call = f"{fn}({', '.join(args)})"
        elif prim.eval_with_arrays:
            fn = em.global_ref(_array_fallback(eqn), f"{_sanitize(prim.name)}_")
            call = f"{fn}({', '.join(args)})"
        elif _is_ufunc_without_params(prim, eqn.params):
            call = f"{em.global_ref(prim.impl, _sanitize(prim.name))}({', '.join(args)})"
        else:
            if prim.impl is None:
                raise core.MissingRuleError(prim.name, "evaluation (impl)")
            fn = functools.partial(prim.impl, **eqn.params) if eqn.params else prim.impl
            call = f"{em.global_ref(fn, _sanitize(prim.name) + '_')}({', '.join(args)})"
        if prim.multiple_results:
            lhs = ", ".join(outs) + ("," if len(outs) == 1 else "")
            body.append(f"{lhs} = {call}" if outs else call)
        else:
            body.append(f"{outs[0]} = {call}")
        lines.append((len(body) - 1, outs, args, eqn, call))
        for v, n in zip(eqn.outvars, outs):
            env[v] = n
        if key is not None:
            cse[key] = outs

    returned = [atom(v) for v in jaxpr.outvars]
    codegen_emit.reuse_buffers(body, lines, params, returned, em.globals)  # out= (codegen_emit.py)
    ret = ", ".join(returned)
    fname = _sanitize(name)
    src_lines = [f"def {fname}({', '.join(params)}):"]
    src_lines += ["    " + ln for ln in body]
    src_lines.append(f"    return [{ret}]")
    source = "\n".join(src_lines) + "\n"
    # Eager control flow retraces its bodies on every call (new closures each time),
    # so the same source comes back often: compile it once.
    hit = _code_cache.get(source)
    if hit is None:
        hit = _compile_source(source, fname)
        if len(_code_cache) >= _CODE_CACHE_LIMIT:
            _code_cache.clear()
        _code_cache[source] = hit
    code, filename = hit
    namespace = dict(em.globals)
    namespace["__name__"] = "purejax._generated"  # so core's RuntimeWarning filter applies
    exec(code, namespace)
    fn = namespace[fname]
    if _flags.get("purejax_dump_generated_code"):
        print(f"# purejax generated code: {filename}\n{source}")
    fn.raw = fn  # control flow lowerings call this (historically without an errstate guard)
    fn.source = source
    fn.filename = filename
    return fn


_code_cache: dict = {}
_CODE_CACHE_LIMIT = 2048


def _compile_source(source: str, fname: str):
    """(code object, filename): the source is written under a real file when possible
    and registered with linecache, so tracebacks and pdb show it."""
    import hashlib  # lazily: only compilation needs it
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<purejax generated {fname} {digest}>"
    d = _dump_dir()
    if d is not None:
        path = os.path.join(d, f"{fname}_{digest}.py")
        try:
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(source)
            filename = path
        except OSError:
            pass
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec"), filename


def _array_fallback(eqn):
    """Run a primitive that evaluates on Arrays (a higher-order primitive without a
    lowering) from generated code."""
    prim, params = eqn.primitive, eqn.params
    weak = [v.aval.weak_type for v in eqn.invars]

    def run(*raw):
        args = [Array(np.asarray(r), w) for r, w in zip(raw, weak)]
        with core.set_current_trace(core.EvalTrace()):
            out = prim.impl(*args, **params)
        if prim.multiple_results:
            return [o._value if type(o) is Array else np.asarray(o) for o in out]
        return out._value if type(out) is Array else np.asarray(out)
    return run


def lower_call_jaxpr(param_name: str):
    """Lowering for primitives whose semantics is 'evaluate the sub-Jaxpr param'."""
    def lower(eqn, compile_sub):
        return compile_sub(eqn.params[param_name], eqn.params.get("name", eqn.primitive.name))
    # All the generated code depends on (structural_key.py): a custom_jvp_call's rule,
    # a fresh closure on every trace, must not make equal programs look different.
    lower.key_params = (param_name, "name")
    return lower
