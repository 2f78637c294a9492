"""Pytrees: flattening nested containers into leaves plus a structure.

Every transformation flattens its arguments and unflattens its results on
every call, so the common cases (tuples, lists and dicts of arrays) get
dedicated fast paths: node kinds are looked up in a dict keyed by exact type,
leaf children are handled inline instead of through a recursive call, and
treedefs for flat tuples/lists are interned so they compare by identity.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import operator
from itertools import islice
from typing import Any, Callable, Hashable, Iterable, NamedTuple, Sequence, TypeVar

import numpy as np

__all__ = [
    "PyTreeDef", "Partial",
    "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey", "keystr",
    "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure",
    "tree_map", "tree_reduce", "tree_all", "tree_transpose",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path",
    "treedef_is_leaf", "treedef_is_strict_leaf", "treedef_children",
    "treedef_tuple", "all_leaves",
    "register_pytree_node", "register_pytree_node_class",
    "register_pytree_with_keys", "register_pytree_with_keys_class",
    "register_dataclass",
]

T = TypeVar("T")
KeyPath = tuple[Any, ...]

# Node kinds. Small ints so the hot loops compare with ``==`` on cached ints.
_LEAF, _NONE, _TUPLE, _LIST, _DICT, _NAMEDTUPLE, _CUSTOM = range(7)


class _Registration(NamedTuple):
    type: type
    flatten: Callable
    unflatten: Callable
    flatten_with_keys: Callable | None


_registry: dict[type, _Registration] = {}
# Authoritative kinds for builtin and registered node types.
_node_kinds: dict[type, int] = {
    type(None): _NONE, tuple: _TUPLE, list: _LIST, dict: _DICT,
}
# Cache of every type seen so far (including leaf types and namedtuples), so
# classifying a value costs one dict lookup after the first sighting.
_kinds: dict[type, int] = dict(_node_kinds)
_kinds.update(dict.fromkeys(
    (int, float, complex, bool, str, bytes, np.ndarray, np.float64, np.float32,
     np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_, np.complex64,
     np.complex128), _LEAF))
_kinds_get = _kinds.get
_KIND_CACHE_LIMIT = 8192  # dynamically created classes must not pile up


def _classify(t: type) -> int:
    k = _node_kinds.get(t)
    if k is None:
        # Namedtuples are recognised structurally, as JAX does; other tuple
        # subclasses stay leaves because lookups are by exact type.
        k = _NAMEDTUPLE if issubclass(t, tuple) and hasattr(t, "_fields") else _LEAF
    if len(_kinds) >= _KIND_CACHE_LIMIT:
        # clear+update (not rebinding) keeps ``_kinds_get`` valid; a racing
        # reader that misses just falls back here and gets the right answer.
        _kinds.clear()
        _kinds.update(_node_kinds)
    _kinds[t] = k
    return k


def _kind_of(t: type) -> int:
    k = _kinds_get(t)
    return _classify(t) if k is None else k


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        # Mixed, mutually unorderable key types: still deterministic for a
        # given key set, which is all treedef equality needs.
        return sorted(d, key=lambda k: (type(k).__qualname__, repr(k)))


# ---- Key paths ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """Key of a tuple/list element (by position)."""
    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    """Key of a mapping entry."""
    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """Key of an attribute (namedtuple field, dataclass field)."""
    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """Positional key for custom nodes registered without key information."""
    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


def _simple_key_str(k: Any) -> str:
    if isinstance(k, SequenceKey):
        return str(k.idx)
    if isinstance(k, DictKey):
        return str(k.key)
    if isinstance(k, GetAttrKey):
        return k.name
    if isinstance(k, FlattenedIndexKey):
        return str(k.key)
    return str(k)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Render a key path, e.g. ``"['a'][0].x"`` (or ``"a/0/x"`` when simple)."""
    if simple:
        return separator.join(_simple_key_str(k) for k in keys)
    return separator.join(str(k) for k in keys)


# ---- PyTreeDef ---------------------------------------------------

class PyTreeDef:
    """The structure of a pytree: its nodes, without the leaves."""

    __slots__ = ("_kind", "_type", "_aux", "_children", "_nl", "_nn",
                 "_flat", "_unf", "_hash")

    def __init__(self, kind: int, typ: type | None, aux: Any,
                 children: tuple[PyTreeDef, ...], nl: int, nn: int,
                 flat: bool, unf: Callable | None) -> None:
        # Internal: build treedefs with tree_flatten / tree_structure.
        self._kind = kind
        self._type = typ
        self._aux = aux
        self._children = children
        self._nl = nl
        self._nn = nn
        self._flat = flat  # every child is a leaf: unflatten can slice
        self._unf = unf
        self._hash: int | None = None

    @property
    def num_leaves(self) -> int:
        return self._nl

    @property
    def num_nodes(self) -> int:
        return self._nn

    def children(self) -> list[PyTreeDef]:
        return list(self._children)

    def node_data(self) -> tuple[type, Any] | None:
        """``(node type, aux data)`` for this node, or None for a leaf."""
        if self._kind == _LEAF:
            return None
        return self._type, self._aux

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` down to this structure's leaves.

        Where this treedef has a leaf, the matching subtree of ``tree`` is
        returned whole, so ``tree`` may be deeper than ``self``.
        """
        if self._flat and type(tree) is self._type and (self._kind == _TUPLE or self._kind == _LIST) \
                and len(tree) == self._nl:
            return list(tree)
        out: list[Any] = []
        try:
            _up_to(self, tree, out)
        except _Mismatch as e:
            path = self._index_path_to_keys(e.indices[::-1])
            where = f" at key path {keystr(path)}" if path else ""
            raise ValueError(
                f"pytree structure mismatch{where}: {e.msg}\n"
                f"  expected structure (prefix): {self}\n"
                f"  got structure:               {tree_structure(tree)}"
            ) from None
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The treedef obtained by replacing every leaf of ``self`` with ``inner``."""
        if self._kind == _LEAF:
            return inner
        return _make_node(self._kind, self._type, self._aux,
                          tuple(c.compose(inner) for c in self._children), self._unf)

    def _index_path_to_keys(self, indices: Sequence[int]) -> KeyPath:
        keys, node = [], self
        for i in indices:
            keys.append(node._child_key(i))
            node = node._children[i]
        return tuple(keys)

    def _child_key(self, i: int) -> Any:
        k = self._kind
        if k == _TUPLE or k == _LIST:
            return SequenceKey(i)
        if k == _DICT:
            return DictKey(self._aux[i])
        if k == _NAMEDTUPLE:
            return GetAttrKey(self._type._fields[i])
        return FlattenedIndexKey(i)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if (self._kind != other._kind or self._nl != other._nl
                or self._nn != other._nn or self._type is not other._type):
            return False
        h1, h2 = self._hash, other._hash
        if h1 is not None and h2 is not None and h1 != h2:
            return False
        if self._aux is not other._aux and not (self._aux == other._aux):
            return False
        return self._children == other._children

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            try:
                h = hash((self._kind, self._type, self._aux, self._children))
            except TypeError as e:
                raise TypeError(
                    f"PyTreeDef is not hashable: node data {self._aux!r} of "
                    f"{getattr(self._type, '__name__', self._type)} nodes must be "
                    f"hashable ({e})") from None
            self._hash = h
        return h

    def _str(self) -> str:
        k = self._kind
        if k == _LEAF:
            return "*"
        if k == _NONE:
            return "None"
        kids = [c._str() for c in self._children]
        if k == _TUPLE:
            return f"({kids[0]},)" if len(kids) == 1 else f"({', '.join(kids)})"
        if k == _LIST:
            return f"[{', '.join(kids)}]"
        if k == _DICT:
            return "{" + ", ".join(f"{key!r}: {s}" for key, s in zip(self._aux, kids)) + "}"
        if k == _NAMEDTUPLE:
            return f"CustomNode(namedtuple[{self._type.__name__}], [{', '.join(kids)}])"
        return f"CustomNode({self._type.__name__}[{self._aux}], [{', '.join(kids)}])"

    def __repr__(self) -> str:
        return f"PyTreeDef({self._str()})"

    def __reduce__(self) -> tuple:
        # Rebuilt through _make_node so leaf/None/flat singletons stay
        # singletons (the hot paths test ``child is _LEAF_DEF``), and custom
        # unflatten functions are re-fetched from the registry.
        if self._kind == _LEAF:
            return (_leaf_treedef, ())
        return (_rebuild, (self._kind, self._type, self._aux, self._children))


class _Mismatch(Exception):
    def __init__(self, msg: str) -> None:
        self.msg = msg
        self.indices: list[int] = []  # filled innermost-first while unwinding


_LEAF_DEF = PyTreeDef(_LEAF, None, None, (), 1, 1, False, None)
_NONE_DEF = PyTreeDef(_NONE, type(None), None, (), 0, 1, True, None)
_INTERN_MAX = 64
_leaf_kids = [(_LEAF_DEF,) * n for n in range(_INTERN_MAX)]
_flat_tuples = [PyTreeDef(_TUPLE, tuple, None, _leaf_kids[n], n, n + 1, True, None)
                for n in range(_INTERN_MAX)]
_flat_lists = [PyTreeDef(_LIST, list, None, _leaf_kids[n], n, n + 1, True, None)
               for n in range(_INTERN_MAX)]


def _leaf_treedef() -> PyTreeDef:
    return _LEAF_DEF


def _rebuild(kind: int, typ: type, aux: Any, children: tuple) -> PyTreeDef:
    unf = _registry[typ].unflatten if kind == _CUSTOM else None
    return _make_node(kind, typ, aux, tuple(children), unf)


def _flat_node(kind: int, typ: type, aux: Any, n: int, unf: Callable | None) -> PyTreeDef:
    if n < _INTERN_MAX:
        if kind == _TUPLE:
            return _flat_tuples[n]
        if kind == _LIST:
            return _flat_lists[n]
        kids = _leaf_kids[n]
    else:
        kids = (_LEAF_DEF,) * n
    return PyTreeDef(kind, typ, aux, kids, n, n + 1, True, unf)


def _make_node(kind: int, typ: type | None, aux: Any,
               kids: tuple[PyTreeDef, ...], unf: Callable | None) -> PyTreeDef:
    if kind == _LEAF:
        return _LEAF_DEF
    if kind == _NONE:
        return _NONE_DEF
    if all(c is _LEAF_DEF for c in kids):
        return _flat_node(kind, typ, aux, len(kids), unf)
    nl = nn = 0
    for c in kids:
        nl += c._nl
        nn += c._nn
    return PyTreeDef(kind, typ, aux, kids, nl, nn + 1, False, unf)


# ---- Flatten -----------------------------------------------------

def _flatten_node(x: Any, k: int, leaves: list) -> PyTreeDef:
    """Flatten ``x``, a node of kind ``k`` (not a leaf), appending to ``leaves``."""
    unf = aux = None
    if k == _TUPLE or k == _LIST:
        src = x
        typ = tuple if k == _TUPLE else list
    elif k == _DICT:
        try:
            aux = tuple(sorted(x))
        except TypeError:
            aux = tuple(_sorted_keys(x))
        src = list(map(x.__getitem__, aux))
        typ = dict
    elif k == _NONE:
        return _NONE_DEF
    elif k == _NAMEDTUPLE:
        src = x
        typ = type(x)
    else:
        typ = type(x)
        reg = _registry[typ]
        src, aux = reg.flatten(x)
        if type(src) is not list and type(src) is not tuple:
            src = list(src)
        unf = reg.unflatten

    get = _kinds_get
    for c in src:
        if get(type(c)) != _LEAF:
            break
    else:
        leaves.extend(src)
        return _flat_node(k, typ, aux, len(src), unf)

    n0 = len(leaves)
    nn = 1
    kids = []
    for c in src:
        ck = get(type(c))
        if ck is None:
            ck = _classify(type(c))
        if ck == _LEAF:
            leaves.append(c)
            kids.append(_LEAF_DEF)
            nn += 1
        else:
            sub = _flatten_node(c, ck, leaves)
            kids.append(sub)
            nn += sub._nn
    nl = len(leaves) - n0
    if nn - 1 == nl == len(kids):
        # Only reachable when a child type was seen for the first time.
        return _flat_node(k, typ, aux, nl, unf)
    return PyTreeDef(k, typ, aux, tuple(kids), nl, nn, False, unf)


def _node_children(x: Any, k: int, want_keys: bool) -> tuple[Sequence, Any, Sequence | None, Callable | None]:
    """(children, aux, child keys or None, unflatten) for the slow paths."""
    if k == _TUPLE or k == _LIST:
        return x, None, [SequenceKey(i) for i in range(len(x))] if want_keys else None, None
    if k == _DICT:
        keys = _sorted_keys(x)
        return ([x[key] for key in keys], tuple(keys),
                [DictKey(key) for key in keys] if want_keys else None, None)
    if k == _NAMEDTUPLE:
        return x, None, [GetAttrKey(f) for f in type(x)._fields] if want_keys else None, None
    reg = _registry[type(x)]
    if want_keys and reg.flatten_with_keys is not None:
        pairs, aux = reg.flatten_with_keys(x)
        pairs = list(pairs)
        return [c for _, c in pairs], aux, [key for key, _ in pairs], reg.unflatten
    src, aux = reg.flatten(x)
    src = list(src)
    keys = [FlattenedIndexKey(i) for i in range(len(src))] if want_keys else None
    return src, aux, keys, reg.unflatten


def _flatten_slow(x: Any, is_leaf: Callable | None, leaves: list,
                  paths: list | None, path: KeyPath) -> PyTreeDef:
    """General flatten with an ``is_leaf(path, x)`` predicate and/or key paths."""
    if is_leaf is not None and is_leaf(path, x):
        k = _LEAF
    else:
        k = _kind_of(type(x))
    if k == _LEAF:
        leaves.append(x)
        if paths is not None:
            paths.append(path)
        return _LEAF_DEF
    if k == _NONE:
        return _NONE_DEF
    src, aux, keys, unf = _node_children(x, k, paths is not None)
    if keys is None:
        kids = tuple(_flatten_slow(c, is_leaf, leaves, None, path) for c in src)
    else:
        kids = tuple(_flatten_slow(c, is_leaf, leaves, paths, path + (key,))
                     for key, c in zip(keys, src))
    return _make_node(k, type(x), aux, kids, unf)


def _path_pred(is_leaf: Callable | None, takes_path: bool) -> Callable | None:
    if is_leaf is None or takes_path:
        return is_leaf
    return lambda _path, x: is_leaf(x)


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    """Flatten ``tree`` into its leaves (left to right) and its structure.

    ``is_leaf(x)`` returning True stops the traversal at ``x``.
    """
    if is_leaf is not None:
        leaves: list[Any] = []
        return leaves, _flatten_slow(tree, _path_pred(is_leaf, False), leaves, None, ())
    k = _kinds_get(type(tree))
    if k is None:
        k = _classify(type(tree))
    if k == _LEAF:
        return [tree], _LEAF_DEF
    if k == _TUPLE or k == _LIST:
        # Fast path for the ubiquitous "tuple of arrays".
        n = len(tree)
        if n < _INTERN_MAX:
            get = _kinds_get
            for c in tree:
                if get(type(c)) != _LEAF:
                    break
            else:
                return list(tree), (_flat_tuples[n] if k == _TUPLE else _flat_lists[n])
    leaves = []
    return leaves, _flatten_node(tree, k, leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of ``tree`` in flattening order."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The treedef of ``tree``."""
    return tree_flatten(tree, is_leaf)[1]


def tree_flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False
                           ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Like tree_flatten, but each leaf comes paired with its key path."""
    leaves: list[Any] = []
    paths: list[KeyPath] = []
    treedef = _flatten_slow(tree, _path_pred(is_leaf, is_leaf_takes_path), leaves, paths, ())
    return list(zip(paths, leaves)), treedef


def tree_leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    """``[(key_path, leaf), ...]`` for ``tree``."""
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


# ---- Unflatten / flatten_up_to -----------------------------------

def _build(node: PyTreeDef, it: Any) -> Any:
    k = node._kind
    if node._flat:
        if k == _TUPLE:
            return tuple(islice(it, node._nl))
        vals = list(islice(it, node._nl))
    else:
        vals = [next(it) if c is _LEAF_DEF else _build(c, it) for c in node._children]
    if k == _TUPLE:
        return tuple(vals)
    if k == _LIST:
        return vals
    if k == _DICT:
        return dict(zip(node._aux, vals))
    if k == _NONE:
        return None
    if k == _NAMEDTUPLE:
        return node._type(*vals)
    return node._unf(node._aux, tuple(vals))


def _unflatten_unchecked(treedef: PyTreeDef, leaves: list) -> Any:
    k = treedef._kind
    if k == _LEAF:
        return leaves[0]
    if treedef._flat:
        if k == _TUPLE:
            return tuple(leaves)
        if k == _LIST:
            return leaves
    return _build(treedef, iter(leaves))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``."""
    t = type(leaves)
    if t is not list and t is not tuple:
        leaves = list(leaves)
    n = treedef._nl
    if len(leaves) != n:
        few = "few" if len(leaves) < n else "many"
        raise ValueError(f"Too {few} leaves for {treedef}; expected {n}, got {len(leaves)}.")
    if treedef._flat:
        k = treedef._kind
        if k == _TUPLE:
            return tuple(leaves)
        if k == _LIST:
            return list(leaves)  # never hand back the caller's list object
    elif treedef._kind == _LEAF:
        return leaves[0]
    return _build(treedef, iter(leaves))


def _arity_check(name: str, x: Any, n: int) -> None:
    if len(x) != n:
        raise _Mismatch(f"{name} arity mismatch: expected {n} children, got {len(x)}; value: {x!r}.")


def _up_to(node: PyTreeDef, x: Any, out: list) -> None:
    k = node._kind
    if k == _LEAF:
        out.append(x)
        return
    t = type(x)
    if k == _TUPLE or k == _LIST:
        expected = tuple if k == _TUPLE else list
        if t is not expected:
            raise _Mismatch(f"expected {expected.__name__}, got {x!r}.")
        _arity_check(expected.__name__.capitalize(), x, len(node._children))
        src = x
    elif k == _DICT:
        if t is not dict:
            raise _Mismatch(f"expected dict, got {x!r}.")
        keys = node._aux
        if len(x) != len(keys) or tuple(_sorted_keys(x)) != keys:
            raise _Mismatch(f"dict key mismatch; expected keys {list(keys)!r}, "
                            f"got keys {_sorted_keys(x)!r}.")
        src = [x[key] for key in keys]
    elif k == _NONE:
        if x is not None:
            raise _Mismatch(f"expected None, got {x!r}.")
        return
    elif k == _NAMEDTUPLE:
        if t is not node._type:
            raise _Mismatch(f"expected namedtuple of type {node._type.__name__}, got {x!r}.")
        src = x
    else:
        if t is not node._type:
            raise _Mismatch(f"expected custom node of type {node._type.__name__}, got {x!r}.")
        src, aux = _registry[t].flatten(x)
        src = list(src)
        if aux is not node._aux and not (aux == node._aux):
            raise _Mismatch(f"custom node data mismatch for {t.__name__}: "
                            f"expected {node._aux!r}, got {aux!r}.")
        _arity_check(t.__name__, src, len(node._children))
    if node._flat:
        out.extend(src)
        return
    for i, (c, v) in enumerate(zip(node._children, src)):
        if c is _LEAF_DEF:
            out.append(v)
            continue
        try:
            _up_to(c, v, out)
        except _Mismatch as e:
            e.indices.append(i)
            raise


# ---- Higher-level operations -------------------------------------

def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` leafwise; ``rest`` trees must have ``tree``'s structure as a prefix."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return _unflatten_unchecked(treedef, [f(x) for x in leaves])
    others = [treedef.flatten_up_to(r) for r in rest]
    return _unflatten_unchecked(treedef, [f(*xs) for xs in zip(leaves, *others)])


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """Like tree_map, but ``f`` receives the key path as its first argument."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [treedef.flatten_up_to(r) for r in rest]
    out = [f(kp, x, *xs) for (kp, x), *xs in zip(pairs, *others)]
    return _unflatten_unchecked(treedef, out)


_NO_INIT: Any = type("Unspecified", (), {"__repr__": lambda self: "<unspecified>"})()


def tree_reduce(function: Callable[[T, Any], T], tree: Any, initializer: Any = _NO_INIT,
                is_leaf: Callable[[Any], bool] | None = None) -> T:
    """``functools.reduce`` over the leaves of ``tree``."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INIT:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every leaf is truthy."""
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turn an outer-of-inner pytree into an inner-of-outer pytree.

    ``inner_treedef=None`` infers the inner structure from the first outer leaf.
    """
    if inner_treedef is None:
        subtrees = outer_treedef.flatten_up_to(pytree_to_transpose)
        if not subtrees:
            raise ValueError("tree_transpose cannot infer inner_treedef: outer_treedef has no leaves.")
        inner_treedef = tree_structure(subtrees[0])
    leaves, treedef = tree_flatten(pytree_to_transpose)
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(f"Mismatch\n{treedef}\n != \n{expected}")
    n_in = inner_treedef._nl
    columns = [_unflatten_unchecked(outer_treedef, leaves[i::n_in]) for i in range(n_in)]
    return _unflatten_unchecked(inner_treedef, columns)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True if ``treedef`` has a single node (a leaf, or an empty node such as None)."""
    return treedef._nn == 1


def treedef_is_strict_leaf(treedef: PyTreeDef) -> bool:
    """True only for the structure of a single leaf."""
    return treedef._kind == _LEAF


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The treedefs of the immediate children."""
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The treedef of a tuple whose children have structures ``treedefs``."""
    return _make_node(_TUPLE, tuple, None, tuple(treedefs), None)


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if no element of ``iterable`` is a pytree node (None counts as a node)."""
    if is_leaf is None:
        return all(_kind_of(type(x)) == _LEAF for x in iterable)
    return all(is_leaf(x) or _kind_of(type(x)) == _LEAF for x in iterable)


# ---- Registration ------------------------------------------------

def _register(nodetype: type, flatten: Callable, unflatten: Callable,
              flatten_with_keys: Callable | None) -> None:
    if not isinstance(nodetype, type):
        raise TypeError(f"Pytree node type must be a class, got {nodetype!r}.")
    if nodetype in _node_kinds:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = _Registration(nodetype, flatten, unflatten, flatten_with_keys)
    _node_kinds[nodetype] = _CUSTOM
    _kinds[nodetype] = _CUSTOM  # overrides a cached leaf/namedtuple verdict


def register_pytree_node(nodetype: type[T],
                         flatten_func: Callable[[T], tuple[Iterable[Any], Any]],
                         unflatten_func: Callable[[Any, Iterable[Any]], T],
                         flatten_with_keys_func: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]] | None = None
                         ) -> None:
    """Make ``nodetype`` a pytree node.

    ``flatten_func(x) -> (children, aux_data)``; ``unflatten_func(aux_data,
    children) -> x``. ``aux_data`` lives in the treedef, so it must be hashable
    and comparable for treedefs to be usable as cache keys.
    """
    _register(nodetype, flatten_func, unflatten_func, flatten_with_keys_func)


def register_pytree_with_keys(nodetype: type[T],
                              flatten_with_keys: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]],
                              unflatten_func: Callable[[Any, Iterable[Any]], T],
                              flatten_func: Callable[[T], tuple[Iterable[Any], Any]] | None = None
                              ) -> None:
    """Like register_pytree_node, with ``flatten_with_keys(x) -> ([(key, child)], aux)``."""
    if flatten_func is None:
        def flatten_func(x: Any) -> tuple[list[Any], Any]:
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux
    _register(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: type[T]) -> type[T]:
    """Class decorator: use ``cls.tree_flatten`` / classmethod ``cls.tree_unflatten``."""
    _register(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten, None)
    return cls


def register_pytree_with_keys_class(cls: type[T]) -> type[T]:
    """Class decorator: ``cls.tree_flatten_with_keys`` plus ``cls.tree_unflatten``."""
    flatten = (operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None)
    register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"),
                              cls.tree_unflatten, flatten)
    return cls


def register_dataclass(nodetype: type[T] | None = None,
                       data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None) -> Any:
    """Register a dataclass-like type: data fields are children, meta fields aux data.

    With neither field list given, ``nodetype`` must be a dataclass and fields
    marked ``dataclasses.field(metadata={'static': True})`` become meta fields.
    Meta field values must be hashable (they take part in treedef hashing).
    Usable as ``@register_dataclass``; ``nodetype=None`` returns a decorator.
    """
    if nodetype is None:
        return lambda cls: register_dataclass(cls, data_fields, meta_fields)
    is_dc = dataclasses.is_dataclass(nodetype)
    init_fields = [f for f in dataclasses.fields(nodetype) if f.init] if is_dc else []
    if data_fields is None and meta_fields is None:
        if not is_dc:
            raise TypeError("register_dataclass: data_fields and meta_fields are required "
                            f"when nodetype is not a dataclass; got {nodetype!r}.")
        meta = tuple(f.name for f in init_fields if f.metadata.get("static", False))
        data = tuple(f.name for f in init_fields if not f.metadata.get("static", False))
    elif data_fields is None or meta_fields is None:
        raise TypeError("register_dataclass: data_fields and meta_fields must both be "
                        f"given when either is; got {data_fields=}, {meta_fields=}.")
    else:
        data, meta = tuple(data_fields), tuple(meta_fields)
        names = data + meta
        if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise ValueError("register_dataclass: fields must be distinct strings; "
                             f"got {data=}, {meta=}.")
        if is_dc and set(names) != {f.name for f in init_fields}:
            raise ValueError(
                "register_dataclass: data_fields and meta_fields must include all dataclass "
                f"fields with init=True and only them; fields are "
                f"{[f.name for f in init_fields]}, got {data=}, {meta=}.")

    def flatten(x: Any) -> tuple[list[Any], tuple]:
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def flatten_with_keys(x: Any) -> tuple[list[tuple[Any, Any]], tuple]:
        return ([(GetAttrKey(n), getattr(x, n)) for n in data],
                tuple(getattr(x, n) for n in meta))

    def unflatten(aux: tuple, children: Sequence[Any]) -> Any:
        kwargs = dict(zip(meta, aux))
        kwargs.update(zip(data, children))
        return nodetype(**kwargs)

    _register(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


# OrderedDict keeps insertion order; defaultdict sorts like dict but must
# remember its factory. Both go through the custom-node machinery, as in JAX.
register_pytree_node(
    collections.OrderedDict,
    lambda x: (list(x.values()), tuple(x.keys())),
    lambda keys, values: collections.OrderedDict(zip(keys, values)),
    lambda x: ([(DictKey(k), v) for k, v in x.items()], tuple(x.keys())),
)


def _defaultdict_flatten(x: collections.defaultdict) -> tuple[list, tuple]:
    keys = tuple(_sorted_keys(x))
    return [x[k] for k in keys], (x.default_factory, keys)


register_pytree_with_keys(
    collections.defaultdict,
    lambda x: ([(DictKey(k), x[k]) for k in _sorted_keys(x)],
               (x.default_factory, tuple(_sorted_keys(x)))),
    lambda aux, values: collections.defaultdict(aux[0], zip(aux[1], values)),
    _defaultdict_flatten,
)


# ---- Partial -----------------------------------------------------

class _OpaqueCallable:
    """Hides a functools.partial from partial's constructor, which would merge
    it and so silently turn the inner partial's bound arguments into leaves;
    only Partial's own arguments should be leaves."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _OpaqueCallable) and self.fn == other.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return repr(self.fn)


_partial_func = functools.partial.func.__get__  # type: ignore[attr-defined]


class Partial(functools.partial):
    """A functools.partial that is a pytree: args/keywords are children, func is aux data.

    Lets a function with bound array arguments be passed through (and
    returned from) transformed functions.
    """

    def __new__(cls, func: Callable, /, *args: Any, **kwargs: Any) -> Partial:
        if isinstance(func, functools.partial):
            func = _OpaqueCallable(func)
        return super().__new__(cls, func, *args, **kwargs)

    @property
    def func(self) -> Callable:  # type: ignore[override]
        f = _partial_func(self)
        return f.fn if type(f) is _OpaqueCallable else f


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)
