"""JAX's dtype rules: x64 canonicalization, weak types and the promotion lattice.

Two facts shape this module:

* With `jax_enable_x64` off (the default), 64-bit dtypes do not exist: they are
  *canonicalized* to their 32-bit counterparts everywhere, including on the inputs
  of type promotion.
* Python scalars are *weakly typed*: `int8_array + 1` stays int8. Promotion is the
  join on a small lattice in which the weak types i*, f*, c* sit below every
  strong type of their category (see docs/type_promotion in JAX's documentation).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from purejax._src.config import _flags as _config_flags

# The NumPy scalar types, re-exported so that `purejax.numpy.float32` etc. exist.
bool_ = np.bool_
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
uint16 = np.uint16
uint32 = np.uint32
uint64 = np.uint64
float16 = np.float16
float32 = np.float32
float64 = np.float64
complex64 = np.complex64
complex128 = np.complex128

# The tangent dtype of integer and boolean values: zero bytes per element, since
# such values have no nonzero tangent.
float0: np.dtype = np.dtype([("float0", np.void, 0)])


class TypePromotionError(ValueError):
    """Raised when the inputs of an operation have no implicit promotion."""


_PY_SCALAR_TYPES = (bool, int, float, complex)
_WEAK_PY_TYPES = (int, float, complex)

_X64_TO_32 = {
    np.dtype(np.int64): np.dtype(np.int32),
    np.dtype(np.uint64): np.dtype(np.uint32),
    np.dtype(np.float64): np.dtype(np.float32),
    np.dtype(np.complex128): np.dtype(np.complex64),
}

# Indexed by the x64 flag; the values are already canonical for that mode.
_DEFAULTS = {
    True: {"b": np.dtype(bool), "i": np.dtype(np.int64), "u": np.dtype(np.uint64),
           "f": np.dtype(np.float64), "c": np.dtype(np.complex128)},
    False: {"b": np.dtype(bool), "i": np.dtype(np.int32), "u": np.dtype(np.uint32),
            "f": np.dtype(np.float32), "c": np.dtype(np.complex64)},
}
_PY_TYPE_KIND = {bool: "b", int: "i", float: "f", complex: "c"}
_KIND_PY_TYPE = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


# ---------------------------------------------------------------------------
# Flags and defaults

def x64_enabled() -> bool:
    return _config_flags["jax_enable_x64"]


def default_float_dtype() -> np.dtype:
    return _DEFAULTS[_config_flags["jax_enable_x64"]]["f"]


def default_int_dtype() -> np.dtype:
    return _DEFAULTS[_config_flags["jax_enable_x64"]]["i"]


def default_uint_dtype() -> np.dtype:
    return _DEFAULTS[_config_flags["jax_enable_x64"]]["u"]


def default_complex_dtype() -> np.dtype:
    return _DEFAULTS[_config_flags["jax_enable_x64"]]["c"]


# ---------------------------------------------------------------------------
# Getting a dtype out of things

def is_python_scalar(x: Any) -> bool:
    """True for instances of bool, int, float, complex, but not NumPy scalars
    (np.float64 subclasses float, yet it is strongly typed)."""
    t = type(x)
    if t in _PY_SCALAR_TYPES:
        return True
    return isinstance(x, _PY_SCALAR_TYPES) and not isinstance(x, np.generic)


def _py_scalar_kind(x: Any) -> str:
    # bool before int: bool subclasses int.
    t = type(x)
    kind = _PY_TYPE_KIND.get(t)
    if kind is not None:
        return kind
    for base in _PY_SCALAR_TYPES:
        if isinstance(x, base):
            return _PY_TYPE_KIND[base]
    raise TypeError(f"{x!r} of type {t.__name__} is not a Python scalar.")


def python_scalar_dtype(x: Any) -> np.dtype:
    """The canonical dtype of a Python scalar: bool, or the default int/float/complex."""
    if isinstance(x, np.generic):
        raise TypeError(f"{x!r} is a NumPy scalar, not a Python scalar.")
    return _DEFAULTS[_config_flags["jax_enable_x64"]][_py_scalar_kind(x)]


def _to_np_dtype(x: Any) -> np.dtype:
    """The NumPy dtype that `x` denotes or carries, without validation or canonicalization.

    Python types and scalars map to purejax's (canonical) defaults, not NumPy's.
    """
    if isinstance(x, np.dtype):
        return x
    if isinstance(x, type):
        kind = _PY_TYPE_KIND.get(x)
        if kind is not None:
            return _DEFAULTS[_config_flags["jax_enable_x64"]][kind]
        # Checked before `.dtype`: np.float32 (the class) has a `dtype` attribute
        # that is a descriptor, not a dtype.
        return np.dtype(x)
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if is_python_scalar(x):
        return python_scalar_dtype(x)
    if isinstance(x, str):
        return np.dtype(x)
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return dt if isinstance(dt, np.dtype) else np.dtype(dt)
    try:
        return np.dtype(x)
    except TypeError:
        raise TypeError(f"Cannot determine the dtype of {x!r} "
                        f"(type {type(x).__name__}).") from None


def _is_supported(dt: np.dtype) -> bool:
    return dt.kind in "biufc" or dt == float0


def dtype(x: Any, *, canonicalize: bool = False) -> np.dtype:
    """The dtype of a value or dtype-like.

    Accepts Python scalars and the types bool/int/float/complex (giving the
    canonical defaults), NumPy arrays and scalars, anything with a `.dtype`
    (Arrays, Tracers), and dtype-likes such as np.float32, 'float32' or a
    np.dtype. `canonicalize=True` also applies x64 canonicalization.
    """
    if x is None:
        raise ValueError("Invalid argument to dtype: None.")
    dt = _to_np_dtype(x)
    if not _is_supported(dt):
        raise TypeError(f"Value {x!r} with dtype {dt} is not a valid purejax array type: "
                        "only numeric and boolean dtypes are supported.")
    if canonicalize and not _config_flags["jax_enable_x64"]:
        return _X64_TO_32.get(dt, dt)
    return dt


def canonicalize_dtype(dtype: Any) -> np.dtype:
    """Map 64-bit dtypes to 32-bit ones when x64 is disabled; others pass through."""
    dt = dtype if isinstance(dtype, np.dtype) else _to_np_dtype(dtype)
    if _config_flags["jax_enable_x64"]:
        return dt
    return _X64_TO_32.get(dt, dt)


def is_weakly_typed(x: Any) -> bool:
    """True for Python int/float/complex values and for values whose `weak_type` is True.

    Python bools are not weak, as in JAX: bool is the bottom of the lattice, so a
    weak bool would promote exactly like a strong one.
    """
    t = type(x)
    if t in _WEAK_PY_TYPES:
        return True
    if t is bool or isinstance(x, (np.ndarray, np.generic, type)):
        return False
    if isinstance(x, _WEAK_PY_TYPES) and not isinstance(x, bool):
        return True
    weak = getattr(x, "weak_type", None)
    if weak is None:
        weak = getattr(getattr(x, "aval", None), "weak_type", False)
    return weak is True


def scalar_type_of(x: Any) -> type:
    """The Python scalar type (bool, int, float or complex) matching `x`'s dtype."""
    dt = dtype(x)
    try:
        return _KIND_PY_TYPE[dt.kind]
    except KeyError:
        raise TypeError(f"No Python scalar type corresponds to dtype {dt}.") from None


def itemsize_bits(dtype: Any) -> int:
    """Number of bits per element (8 for bool, 0 for float0)."""
    return _to_np_dtype(dtype).itemsize * 8


# ---------------------------------------------------------------------------
# Dtype predicates

def issubdtype(a: Any, b: Any) -> bool:
    """NumPy's `issubdtype`, except that float0 is a subtype only of itself and np.void.

    Python types keep NumPy's meaning here (float is float64), as in jnp.issubdtype.
    """
    if isinstance(a, type) and (a in _PY_TYPE_KIND or issubclass(a, np.generic)):
        # Scalar classes, including abstract ones like np.floating, go to NumPy as is.
        a_dt: Any = a
    else:
        a_dt = _to_np_dtype(a)
    if isinstance(b, np.dtype) and b == float0:
        return isinstance(a_dt, np.dtype) and a_dt == float0
    return bool(np.issubdtype(a_dt, b))


def is_float(dt: Any) -> bool:
    return _to_np_dtype(dt).kind == "f"


def is_complex(dt: Any) -> bool:
    return _to_np_dtype(dt).kind == "c"


def is_integer(dt: Any) -> bool:
    """Signed or unsigned integer; bool is not an integer."""
    return _to_np_dtype(dt).kind in "iu"


def is_inexact(dt: Any) -> bool:
    return _to_np_dtype(dt).kind in "fc"


def tangent_dtype(dt: Any) -> np.dtype:
    """float0 for bool and integer dtypes, the dtype itself for inexact ones."""
    d = _to_np_dtype(dt)
    kind = d.kind
    if kind in "fc":
        return d
    if kind in "biu" or d == float0:
        return float0
    raise TypeError(f"dtype {d} has no tangent dtype.")


def _info_dtype(x: Any) -> Any:
    # Python types keep NumPy's reading (float -> float64), as jnp.finfo does.
    if isinstance(x, (type, str, np.dtype)):
        return x
    return _to_np_dtype(x)


def finfo(dt: Any) -> np.finfo:
    return np.finfo(_info_dtype(dt))


def iinfo(dt: Any) -> np.iinfo:
    return np.iinfo(_info_dtype(dt))


# ---------------------------------------------------------------------------
# The promotion lattice
#
# Nodes are named as in JAX's docs: b1, u1..u8, i1..i8, f2..f8, c8, c16 (strong,
# by kind and itemsize) and i*, f*, c* (weak). bfloat16 is omitted: NumPy has none.

_STRONG_NODES = {
    "b1": np.dtype(bool),
    "u1": np.dtype(np.uint8), "u2": np.dtype(np.uint16),
    "u4": np.dtype(np.uint32), "u8": np.dtype(np.uint64),
    "i1": np.dtype(np.int8), "i2": np.dtype(np.int16),
    "i4": np.dtype(np.int32), "i8": np.dtype(np.int64),
    "f2": np.dtype(np.float16), "f4": np.dtype(np.float32), "f8": np.dtype(np.float64),
    "c8": np.dtype(np.complex64), "c16": np.dtype(np.complex128),
}
_WEAK_NODE_KIND = {"i*": "i", "f*": "f", "c*": "c"}
_DTYPE_TO_NODE = {dt: node for node, dt in _STRONG_NODES.items()}
# A weak value sits at the weak node of its category; unsigned counts as int.
_WEAK_NODE_OF_KIND = {"b": "b1", "i": "i*", "u": "i*", "f": "f*", "c": "c*"}
# The Python types int/float/complex used as dtype-likes denote the weak nodes.
_PY_TYPE_NODE = {bool: "b1", int: "i*", float: "f*", complex: "c*"}

_UINTS = ["u1", "u2", "u4", "u8"]
_INTS = ["i1", "i2", "i4", "i8"]
_FLOATS = ["f2", "f4", "f8"]
_COMPLEXES = ["c8", "c16"]

# Covering relations: each node lists the nodes immediately above it.
_STANDARD_EDGES: dict[str, list[str]] = {
    "b1": ["i*"],
    "i*": ["u1", "i1"],
    "u1": ["u2", "i2"], "u2": ["u4", "i4"], "u4": ["u8", "i8"], "u8": ["f*"],
    "i1": ["i2"], "i2": ["i4"], "i4": ["i8"], "i8": ["f*"],
    "f*": ["c*", "f2"], "f2": ["f4"], "f4": ["f8", "c8"], "f8": ["c16"],
    "c*": ["c8"], "c8": ["c16"], "c16": [],
}
# 'strict' promotion: weak types may still join a strong type of their category
# or above, but no two distinct strong types have a common upper bound.
_STRICT_EDGES: dict[str, list[str]] = {
    **{node: [] for node in _STANDARD_EDGES},
    "i*": ["f*", *_UINTS, *_INTS],
    "f*": ["c*", *_FLOATS],
    "c*": _COMPLEXES,
}


def _upper_sets(edges: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}

    def visit(node: str) -> frozenset[str]:
        if node not in out:
            above = {node}
            for nxt in edges[node]:
                above |= visit(nxt)
            out[node] = frozenset(above)
        return out[node]

    for node in edges:
        visit(node)
    return out


def _join_table(edges: dict[str, list[str]]) -> dict[tuple[str, str], str | None]:
    """All pairwise least upper bounds; None where no unique one exists."""
    upper = _upper_sets(edges)
    table: dict[tuple[str, str], str | None] = {}
    for a in edges:
        for b in edges:
            common = upper[a] & upper[b]
            least = [c for c in common if upper[c] >= common]
            table[a, b] = least[0] if len(least) == 1 else None
    return table


# Without x64 there is no int64 to hold every uint32, so uint32 joins signed ints
# at int32 (promote_types('uint32', 'int8') is int32, as in JAX with x64 off).
_STANDARD_EDGES_X32 = {**_STANDARD_EDGES, "u4": ["u8", "i4"]}

_JOIN = {
    ("standard", True): _join_table(_STANDARD_EDGES),
    ("standard", False): _join_table(_STANDARD_EDGES_X32),
    ("strict", True): _join_table(_STRICT_EDGES),
    ("strict", False): _join_table(_STRICT_EDGES),
}


def _least_upper_bound(nodes: list[str], mode: str, names: list[str]) -> str:
    table = _JOIN[mode, _config_flags["jax_enable_x64"]]
    acc = nodes[0]
    for node in nodes[1:]:
        joined = table[acc, node]
        if joined is None:
            raise TypePromotionError(
                f"Input dtypes ({', '.join(names)}) have no available implicit dtype "
                f"promotion path when jax_numpy_dtype_promotion={mode}. Try explicitly "
                "casting inputs to the desired output type, or set "
                "jax_numpy_dtype_promotion=standard.")
        acc = joined
    return acc


def _describe(pairs: Any) -> list[str]:
    return [f"{dt} (weak)" if weak else str(dt) for dt, weak in pairs]


def _dtype_and_weak(x: Any) -> tuple[np.dtype, bool]:
    """A promotion operand's dtype (not yet canonicalized) and weak flag."""
    t = type(x)
    if t is np.ndarray and x.dtype in _DTYPE_TO_NODE:
        return x.dtype, False
    kind = _PY_TYPE_KIND.get(t)
    if kind is not None:
        return _DEFAULTS[_config_flags["jax_enable_x64"]][kind], t is not bool
    if not isinstance(x, type):
        # Fast path for Arrays and Tracers, which carry a NumPy dtype.
        dt = getattr(x, "dtype", None)
        if isinstance(dt, np.dtype) and dt in _DTYPE_TO_NODE:
            weak = getattr(x, "weak_type", None)
            if weak is None:
                weak = getattr(getattr(x, "aval", None), "weak_type", False)
            return dt, weak is True
    if x is None:
        # As in JAX: None in result_type stands for the default float.
        return np.dtype(np.float64), False
    if isinstance(x, type) and x in _PY_TYPE_NODE:
        # The Python types themselves are weak dtype-likes (promote_types('u1', int) is u1).
        return _DEFAULTS[_config_flags["jax_enable_x64"]][_PY_TYPE_KIND[x]], x is not bool
    if isinstance(x, (np.dtype, type, str, np.generic)):
        return dtype(x), False
    return dtype(x), is_weakly_typed(x)


def _node_of(dt: np.dtype, weak: bool) -> str:
    node = _WEAK_NODE_OF_KIND.get(dt.kind) if weak else _DTYPE_TO_NODE.get(dt)
    if node is None and dt.kind in "biufc":
        # A non-native byte order hashes differently from the native dtype.
        node = _DTYPE_TO_NODE.get(dt.newbyteorder("="))
    if node is None:
        raise ValueError(f"dtype={dt} is not a valid dtype for JAX type promotion.")
    return node


def _result_from_node(node: str, weak: bool) -> np.dtype:
    if weak:
        kind = _WEAK_NODE_KIND.get(node) or _STRONG_NODES[node].kind
        return _DEFAULTS[_config_flags["jax_enable_x64"]][kind]
    return canonicalize_dtype(_STRONG_NODES[node])


_RESULT_CACHE: dict[tuple, tuple[np.dtype, bool]] = {}


def _promote(pairs: tuple[tuple[np.dtype, bool], ...]) -> tuple[np.dtype, bool]:
    """Promote (dtype, weak) pairs to a canonical (dtype, weak) result."""
    x64 = _config_flags["jax_enable_x64"]
    mode = _config_flags["jax_numpy_dtype_promotion"]
    key = (pairs, x64, mode)
    hit = _RESULT_CACHE.get(key)
    if hit is not None:
        return hit
    if not x64:
        # Canonicalize first: with x64 off, u64 + i64 is u32 + i32 = i64 -> i32,
        # not the lattice's f* for (u8, i8).
        pairs = tuple((_X64_TO_32.get(d, d), w) for d, w in pairs)
    dts = [d for d, _ in pairs]
    # A weak bool still counts as weak when deciding whether *all* inputs are
    # weak, but it sits at b1 on the lattice and a bool result is never weak.
    raw_weaks = [w for _, w in pairs]
    weaks = [w and d.kind in "iufc" for d, w in pairs]
    first = dts[0]
    if len(pairs) == 1 or (all(d == first for d in dts) and not all(raw_weaks)):
        # Includes float0 with float0, which is not on the lattice.
        weak = weaks[0] if len(pairs) == 1 else False
        result = ((_DEFAULTS[x64][first.kind] if weak else canonicalize_dtype(first)), weak)
    elif all(raw_weaks) and mode != "strict":
        # Join the strong counterparts, then make the result weak: the result is
        # then the default dtype of the joined category (never e.g. a weak int16).
        node = _least_upper_bound([_node_of(d, False) for d in dts], mode, _describe(pairs))
        weak = node != "b1"
        result = (_result_from_node(node, weak), weak)
    else:
        node = _least_upper_bound([_node_of(d, w) for d, w in zip(dts, weaks, strict=True)], mode,
                                  _describe(pairs))
        weak = node in _WEAK_NODE_KIND
        result = (_result_from_node(node, weak), weak)
    if len(_RESULT_CACHE) > 4096:
        _RESULT_CACHE.clear()
    _RESULT_CACHE[key] = result
    return result


def result_type(*args: Any, return_weak_type_flag: bool = False
                ) -> np.dtype | tuple[np.dtype, bool]:
    """The canonical dtype that JAX's promotion gives `args`.

    Args may be Python scalars (weak), dtype-likes (strong, except the Python
    types int/float/complex which are weak), NumPy arrays (strong), or objects
    with `.dtype` and optionally `.weak_type`. With `return_weak_type_flag`,
    returns `(dtype, weak)`.
    """
    if not args:
        raise ValueError("at least one array or dtype is required")
    dt, weak = _promote(tuple(_dtype_and_weak(a) for a in args))
    return (dt, weak) if return_weak_type_flag else dt


def promote_types(a: Any, b: Any) -> np.dtype:
    """The join of two dtype-likes on the lattice, not canonicalized (as jnp.promote_types).

    The Python types int, float and complex are weak (promote_types('uint8', int)
    is uint8); a weak result is returned as int64/float64/complex128.
    """
    nodes, names = [], []
    for x in (a, b):
        if isinstance(x, type) and x in _PY_TYPE_NODE:
            nodes.append(_PY_TYPE_NODE[x])
            names.append(x.__name__)
        else:
            dt = dtype(x)
            nodes.append(_node_of(dt, False))
            names.append(str(dt))
    node = _least_upper_bound(nodes, _config_flags["jax_numpy_dtype_promotion"], names)
    if node in _WEAK_NODE_KIND:
        return np.dtype({"i*": int, "f*": float, "c*": complex}[node])
    return _STRONG_NODES[node]


# ---------------------------------------------------------------------------
# Conversion to NumPy arrays

_NOT_ARRAY_LIKE = (str, bytes, bytearray, dict, set, frozenset, type(None))


def _not_array_like(x: Any, inside: Any = None) -> TypeError:
    where = "" if inside is None else f" (found inside a {type(inside).__name__})"
    return TypeError(f"purejax cannot convert {type(x).__name__} to an array{where}: expected "
                     "a Python scalar, a (nested) list/tuple of numbers or arrays, or an "
                     "array-like with a numeric or boolean dtype.")


def _leaves(seq: Any) -> Iterator[Any]:
    for item in seq:
        if isinstance(item, (list, tuple)):
            yield from _leaves(item)
        else:
            yield item


def _sequence_dtype(seq: Any) -> np.dtype:
    """Promote a nested list's leaves the way result_type would (jnp.array([np.float32(1), 2.0])
    is float32). An empty list gives the default float, as in NumPy and JAX."""
    leaves = list(_leaves(seq))
    if not leaves:
        return default_float_dtype()
    types = set(map(type, leaves))
    if types <= set(_PY_SCALAR_TYPES):
        # Fast path for long lists of plain numbers: promote by type only.
        pairs = tuple((_DEFAULTS[_config_flags["jax_enable_x64"]][_PY_TYPE_KIND[t]],
                       t is not bool) for t in types)
    else:
        found = set()
        for leaf in leaves:
            if isinstance(leaf, _NOT_ARRAY_LIKE):
                raise _not_array_like(leaf, seq)
            found.add(_dtype_and_weak(leaf))
        pairs = tuple(found)
    # A list literal is strongly typed: only its dtype comes from promotion.
    return _promote(pairs)[0]


# Called when coerce_to_array meets a NumPy array the user may still write to: tracing
# notes that what it stages depends on a mutable value (set by partial_eval).
mutable_input_hook: Callable[[], None] | None = None


def coerce_to_array(x: Any, dtype: Any = None) -> np.ndarray:
    """Convert Python scalars, nested lists/tuples and array-likes to a NumPy array
    with purejax's canonical dtype (or `canonicalize_dtype(dtype)` when given).

    The result may share memory with `x` when no conversion is needed.
    """
    target = None if dtype is None else canonicalize_dtype(dtype)
    if target is not None and not _is_supported(target):
        raise TypeError(f"purejax does not support dtype {target}: only numeric and boolean "
                        "dtypes (and float0) are supported.")
    if isinstance(x, _NOT_ARRAY_LIKE):
        raise _not_array_like(x)
    if isinstance(x, (np.ndarray, np.generic)):
        arr = np.asarray(x)
        if type(x) is np.ndarray and x.flags.writeable and mutable_input_hook is not None:
            mutable_input_hook()
    elif is_python_scalar(x):
        dt = target if target is not None else python_scalar_dtype(x)
        if dt == float0:
            return np.zeros((), float0)
        # NumPy raises OverflowError for Python ints that do not fit, as JAX does.
        return np.asarray(x, dtype=dt)
    elif isinstance(x, (list, tuple)):
        dt = target if target is not None else _sequence_dtype(x)
        if dt == float0:
            return np.zeros(np.shape(np.asarray(x, dtype=object)), float0)
        if target is not None:
            for leaf in _leaves(x):
                if isinstance(leaf, _NOT_ARRAY_LIKE):
                    raise _not_array_like(leaf, x)
        return np.asarray(x, dtype=dt)
    elif hasattr(x, "__array__") or hasattr(x, "__array_interface__"):
        arr = np.asarray(x)
    else:
        raise _not_array_like(x)
    if not _is_supported(arr.dtype):
        raise TypeError(f"purejax cannot convert {type(x).__name__} with dtype {arr.dtype} to an "
                        "array: only numeric and boolean dtypes are supported.")
    dt = target if target is not None else canonicalize_dtype(arr.dtype)
    if arr.dtype == dt:
        return arr
    if dt == float0 or arr.dtype == float0:
        # float0 carries no data: converting either way yields zeros.
        return np.zeros(arr.shape, dt)
    return arr.astype(dt)
