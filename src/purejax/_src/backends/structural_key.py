"""Structural keys of Jaxprs: equal keys mean the code generator emits the same function.

Eager control flow re-traces its user functions on every call (fresh closures each
time, as JAX requires), so its sub-Jaxprs are new objects whose `side` caches start
empty. The key here lets it find code compiled for an earlier call instead: two
ClosedJaxprs get equal keys only when everything the code generator reads from them
is equal:

* equations: primitive, the wiring of variables (by position of definition), the
  avals of every variable (shape, dtype, weak type) and the params, sub-Jaxprs by
  their own structural keys;
* literals by dtype, weak type and exact value (bytes; Python scalars by type and
  exact value, so 0.0 and -0.0, 1 and True differ);
* consts by value as well, since constant folding bakes their values into the
  generated code. Small values are keyed by their bytes; a large immutable `Array`
  by identity (the key holds a reference, so the id cannot be reused).

What the key cannot vouch for makes it None (no reuse, the caller compiles): a large
NumPy array that is mutable. (Tracing copies a mutable NumPy constant into a frozen
array of its own, which is keyed like an Array; these cases arise only in Jaxprs
built by other means.) A mutable NumPy value small enough to key by bytes
(e.g. a 0-d array a user function closed over) is keyed by identity *and* its
current bytes, because generated code may refer to the object itself: reuse then
needs the same object holding the same value. Keys with such parts are "volatile"
and never memoized on the Jaxpr.

Params of an equation whose lowering reads only some of them (`key_params` on the
lowering, e.g. a custom_jvp_call runs `call_jaxpr` and ignores its JVP rule, a fresh
closure each trace) are keyed by those alone. Other params of unknown types are keyed
by identity: the generated code refers to the same object.
"""
from __future__ import annotations

import numpy as np

from purejax._src.array import Array
from purejax._src.backends import numpy_codegen
from purejax._src.core import ClosedJaxpr, Jaxpr, Literal, ShapedArray

# Values up to this many bytes are keyed by their contents.
VALUE_KEY_BYTES = 1 << 12

_MEMO = "structural_key"
_MEMO_FULL = "structural_key_full"


class _Unkeyable(Exception):
    pass


class _Ident:
    """Keys an object by identity, holding a reference so its id cannot be reused."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is _Ident and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


class Key:
    """A structural key: a flat tuple of tokens, hashed once (a cache lookup hashes
    the key more than once, and Python does not cache tuple hashes)."""
    __slots__ = ("tokens", "_hash")

    def __init__(self, tokens: tuple):
        self.tokens = tokens
        self._hash = hash(tokens)

    def __eq__(self, other):
        return self is other or (type(other) is Key and self._hash == other._hash
                                 and self.tokens == other.tokens)

    def __hash__(self):
        return self._hash


def closed_jaxpr_key(closed: ClosedJaxpr) -> Key | None:
    """A hashable structural key for `closed`, or None when it cannot have one."""
    try:
        return _KeyBuilder().closed(closed)
    except _Unkeyable:
        return None


def params_key(params: dict, full: bool = False) -> Key | None:
    """A hashable structural key for an equation's params (sub-Jaxprs by structure),
    or None. `full`: every param of every equation counts, `key_params` or not (a key
    for differentiating the equation: its custom_jvp_calls' rules matter then)."""
    try:
        return Key(_KeyBuilder(full).param(params))
    except _Unkeyable:
        return None


# Token encodings. A Jaxpr is a flat run of tokens: counts, then per variable its
# shape, dtype and weak type in order of definition (a variable's later uses are its
# definition number); per equation the primitive, the number of inputs and each input
# (an int for a variable, a tuple for a literal), the params' key, and the outputs'
# definitions. Every variable-length run is preceded by its length, so two different
# Jaxprs cannot produce the same tokens.
_EMPTY_PARAMS = (dict, ())


class _KeyBuilder:
    def __init__(self, full: bool = False):
        self.volatile = False  # the key includes a mutable value's current contents
        self.full = full
        self.memo = _MEMO_FULL if full else _MEMO

    def closed(self, closed: ClosedJaxpr) -> Key:
        memo = closed.side.get(self.memo)
        if memo is not None:
            return memo
        outer, self.volatile = self.volatile, False
        tokens = ["closed"]
        self.jaxpr(closed.jaxpr, tokens)
        tokens.append(len(closed.consts))
        tokens.extend(self.value(c) for c in closed.consts)
        key = Key(tuple(tokens))
        if not self.volatile:
            closed.side[self.memo] = key
        self.volatile = outer or self.volatile
        return key

    def jaxpr(self, jaxpr: Jaxpr, out: list) -> None:
        ids: dict = {}
        app = out.append
        self.define(jaxpr.constvars, ids, out)
        self.define(jaxpr.invars, ids, out)
        app(len(jaxpr.eqns))
        lowerings = numpy_codegen._lowerings
        for eqn in jaxpr.eqns:
            app(eqn.primitive)  # Primitives compare by identity
            self.use(eqn.invars, ids, out)
            params = eqn.params
            if not params:
                app(_EMPTY_PARAMS)
            else:
                only = None if self.full else \
                    getattr(lowerings.get(eqn.primitive), "key_params", None)
                if only is not None:
                    params = {k: params[k] for k in only if k in params}
                app(self.param(params))
            self.define(eqn.outvars, ids, out)
        self.use(jaxpr.outvars, ids, out)

    @staticmethod
    def define(vs, ids: dict, out: list) -> None:
        app = out.append
        app(len(vs))
        for v in vs:
            ids[v] = len(out)  # unique per definition, even for a repeated var
            a = v.aval
            if type(a) is ShapedArray:
                app(a.shape)
                app(a.dtype)
                app(a.weak_type)
            else:
                app(_Ident(a))

    def use(self, vs, ids: dict, out: list) -> None:
        app = out.append
        app(len(vs))
        for v in vs:
            if type(v) is Literal:
                a = v.aval
                app((a.shape, a.dtype, a.weak_type, self.value(v.val)))
            else:
                i = ids.get(v)
                if i is None:  # a free variable: not a well-formed Jaxpr
                    raise _Unkeyable
                app(i)

    def param(self, x):
        """The key of a param value: a tuple led by the value's type (or an _Ident)."""
        t = type(x)
        if t is int or t is bool or t is str or t is type(None) or t is bytes:
            return (t, x)
        if t is float:
            return (float, x.hex())  # exact: 0.0 and -0.0 differ, nan equals nan
        if t is tuple and all(type(v) is int for v in x):
            return (t, x)  # shapes, axes (elements are ints, not the tuples below)
        if t is dict:
            try:
                items = sorted(x.items())
            except TypeError:
                raise _Unkeyable from None
            return (dict, tuple((k, self.param(v)) for k, v in items))
        if t is ClosedJaxpr:
            return (ClosedJaxpr, self.closed(x))
        if t is Jaxpr:
            tokens: list = []
            self.jaxpr(x, tokens)
            return (Jaxpr, tuple(tokens))
        if isinstance(x, (tuple, list)):  # namedtuples too: their type is in the key
            return (t, tuple(self.param(v) for v in x))
        if isinstance(x, np.dtype):
            return (np.dtype, x)
        if t is complex:
            return (complex, x.real.hex(), x.imag.hex())
        if t is slice:
            return (slice, self.param(x.start), self.param(x.stop), self.param(x.step))
        if t is Array or isinstance(x, (np.ndarray, np.generic)):
            return self.value(x)
        # Functions, primitives, enums, treedefs...: the generated code refers to
        # this very object, so reuse needs the same object.
        return _Ident(x)

    def value(self, x):
        """The key of a literal's or const's value."""
        t = type(x)
        if t is Array:
            v = x._value  # frozen: its contents cannot change
            if v.nbytes <= VALUE_KEY_BYTES:
                return (Array, x.weak_type, v.dtype, v.shape, v.tobytes())
            return (Array, _Ident(x))
        if t is int or t is bool:
            return (t, x)
        if t is float or t is complex:
            return self.param(x)
        if isinstance(x, np.generic):  # NumPy scalars are immutable
            return (t, x.dtype, x.tobytes())
        if isinstance(x, np.ndarray):
            if not x.flags.writeable and x.base is None:
                # a frozen buffer of its own (tracing copies mutable NumPy constants
                # into one): immutable, like an Array's
                if x.nbytes <= VALUE_KEY_BYTES:
                    return (np.ndarray, x.dtype, x.shape, x.tobytes())
                return (np.ndarray, _Ident(x))
            if x.nbytes > VALUE_KEY_BYTES:
                raise _Unkeyable  # could be mutated in place; too big to compare by value
            self.volatile = True
            return (np.ndarray, _Ident(x), x.dtype, x.shape, x.tobytes())
        raise _Unkeyable
