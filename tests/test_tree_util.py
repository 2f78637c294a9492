import collections
import dataclasses
import functools
import operator
import pickle
from typing import Any, NamedTuple

import numpy as np
import pytest

from purejax._src import tree_util as tu

Point = collections.namedtuple("Point", ["x", "y"])


class TypedPoint(NamedTuple):
    x: Any
    y: Any


class TupleSub(tuple):
    """A tuple subclass without ``_fields``: must stay a leaf."""


# ---------------------------------------------------------------- round trips

ROUND_TRIP_CASES = [
    (1, 1, "PyTreeDef(*)"),
    (None, 0, "PyTreeDef(None)"),
    ((), 0, "PyTreeDef(())"),
    ([], 0, "PyTreeDef([])"),
    ({}, 0, "PyTreeDef({})"),
    ((1,), 1, "PyTreeDef((*,))"),
    ((1, 2), 2, "PyTreeDef((*, *))"),
    ([1, (2, 3)], 3, "PyTreeDef([*, (*, *)])"),
    ({"b": 1, "a": [2, None]}, 2, "PyTreeDef({'a': [*, None], 'b': *})"),
    ((1, {"a": 2, "b": [3, 4]}), 4, "PyTreeDef((*, {'a': *, 'b': [*, *]}))"),
    ([(), [], {}, None, ((),)], 0, "PyTreeDef([(), [], {}, None, ((),)])"),
    (Point(1, (2, 3)), 3, "PyTreeDef(CustomNode(namedtuple[Point], [*, (*, *)]))"),
    (TypedPoint(None, 2), 1, "PyTreeDef(CustomNode(namedtuple[TypedPoint], [None, *]))"),
]


@pytest.mark.parametrize("tree,num_leaves,expected_repr", ROUND_TRIP_CASES)
def test_round_trip(tree, num_leaves, expected_repr):
    leaves, treedef = tu.tree_flatten(tree)
    assert len(leaves) == num_leaves == treedef.num_leaves
    assert repr(treedef) == expected_repr
    rebuilt = tu.tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)
    assert tu.tree_structure(rebuilt) == treedef
    assert tu.tree_leaves(tree) == leaves


def test_leaf_types():
    arr = np.arange(3.0)
    obj = object()
    tree = [arr, np.float32(1), "s", b"b", 3 + 1j, True, obj, TupleSub((1, 2))]
    leaves, treedef = tu.tree_flatten(tree)
    assert len(leaves) == len(tree)
    assert all(a is b for a, b in zip(leaves, tree))
    assert treedef == tu.tree_structure([0] * len(tree))


def test_none_is_an_empty_node_not_a_leaf():
    assert tu.tree_leaves([None, 1]) == [1]
    assert tu.tree_leaves(None) == []
    treedef = tu.tree_structure(None)
    assert treedef.num_leaves == 0 and treedef.num_nodes == 1
    assert tu.tree_unflatten(treedef, []) is None
    assert tu.tree_structure([None, 1]) != tu.tree_structure([2, 1])


def test_tuple_subclass_without_fields_is_a_leaf():
    x = TupleSub((1, 2))
    leaves, treedef = tu.tree_flatten(x)
    assert leaves == [x] and leaves[0] is x
    assert treedef == tu.tree_structure(0)


def test_dict_keys_are_sorted_and_unflatten_returns_sorted_order():
    tree = {"c": 3, "a": 1, "b": 2}
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == [1, 2, 3]
    out = tu.tree_unflatten(treedef, ["A", "B", "C"])
    assert list(out) == ["a", "b", "c"]
    assert out == {"a": "A", "b": "B", "c": "C"}
    # insertion order does not affect the structure
    assert tu.tree_structure({"a": 0, "b": 0, "c": 0}) == treedef


def test_dict_keys_keep_their_own_type():
    tu.tree_flatten({1: "a"})
    out = tu.tree_unflatten(tu.tree_structure({1.0: 0}), ["b"])
    assert type(next(iter(out))) is float


def test_dict_with_unorderable_keys_is_deterministic():
    d1 = {1: "i", "a": "s"}
    d2 = {"a": "s", 1: "i"}
    l1, t1 = tu.tree_flatten(d1)
    l2, t2 = tu.tree_flatten(d2)
    assert l1 == l2 and t1 == t2
    assert tu.tree_unflatten(t1, l1) == d1


def test_namedtuple_round_trip_and_type_distinct_from_tuple():
    p = Point(1, 2)
    leaves, treedef = tu.tree_flatten(p)
    assert leaves == [1, 2]
    out = tu.tree_unflatten(treedef, [3, 4])
    assert type(out) is Point and out == Point(3, 4)
    assert treedef != tu.tree_structure((1, 2))
    assert treedef != tu.tree_structure(TypedPoint(1, 2))


def test_ordered_dict_keeps_insertion_order():
    od = collections.OrderedDict([("b", 1), ("a", 2), ("c", 3)])
    leaves, treedef = tu.tree_flatten(od)
    assert leaves == [1, 2, 3]
    out = tu.tree_unflatten(treedef, leaves)
    assert type(out) is collections.OrderedDict
    assert list(out.items()) == [("b", 1), ("a", 2), ("c", 3)]
    other_order = collections.OrderedDict([("a", 2), ("b", 1), ("c", 3)])
    assert tu.tree_structure(other_order) != treedef
    assert treedef != tu.tree_structure(dict(od))


def test_defaultdict_keeps_factory_and_sorts_keys():
    dd = collections.defaultdict(list, {"b": 1, "a": (2, 3)})
    leaves, treedef = tu.tree_flatten(dd)
    assert leaves == [2, 3, 1]
    out = tu.tree_unflatten(treedef, leaves)
    assert type(out) is collections.defaultdict
    assert out.default_factory is list
    assert out == dd
    assert out["missing"] == []
    assert tu.tree_structure(collections.defaultdict(int, dd)) != treedef
    assert "defaultdict" in repr(treedef)


def test_tree_unflatten_accepts_any_iterable_and_copies_lists():
    treedef = tu.tree_structure([0, 0])
    leaves = [1, 2]
    out = tu.tree_unflatten(treedef, leaves)
    assert out == [1, 2] and out is not leaves
    assert tu.tree_unflatten(treedef, iter((5, 6))) == [5, 6]
    assert tu.tree_structure((0, {"a": 0})).unflatten(x for x in (1, 2)) == (1, {"a": 2})


def test_large_flat_tuple_and_deep_nesting():
    big = tuple(range(200))
    leaves, treedef = tu.tree_flatten(big)
    assert leaves == list(big) and tu.tree_unflatten(treedef, leaves) == big
    deep: Any = 0
    for _ in range(50):
        deep = [deep, (deep,)] if isinstance(deep, int) else (deep,)
    leaves, treedef = tu.tree_flatten(deep)
    assert tu.tree_unflatten(treedef, leaves) == deep


def test_first_sighting_of_a_leaf_type_gives_equal_treedef():
    class Fresh:
        pass

    a, b = Fresh(), Fresh()
    t1 = tu.tree_structure((a, b))  # type not yet cached
    t2 = tu.tree_structure((a, b))
    assert t1 == t2 and hash(t1) == hash(t2)
    assert tu.tree_unflatten(t1, [1, 2]) == (1, 2)


# ---------------------------------------------------------------- treedefs

def test_treedef_counts_and_children():
    treedef = tu.tree_structure([(1, 2), 3, {"a": 4}, None])
    assert treedef.num_leaves == 4
    assert treedef.num_nodes == 8  # list, tuple, 2 leaves, leaf, dict, leaf, None
    kids = treedef.children()
    assert kids == [tu.tree_structure((1, 2)), tu.tree_structure(3),
                    tu.tree_structure({"a": 4}), tu.tree_structure(None)]
    assert tu.treedef_children(treedef) == kids
    assert tu.tree_structure(5).children() == []


def test_treedef_equality_and_hash():
    t1 = tu.tree_structure({"a": [1, 2], "b": (3, None)})
    t2 = tu.tree_structure({"b": ("x", None), "a": [np.ones(2), "y"]})
    assert t1 == t2 and hash(t1) == hash(t2)
    assert t1 != tu.tree_structure({"a": (1, 2), "b": (3, None)})
    assert t1 != tu.tree_structure({"a": [1, 2], "c": (3, None)})
    assert t1 != tu.tree_structure({"a": [1, 2], "b": (3, 4)})
    assert tu.tree_structure([1]) != tu.tree_structure((1,))
    assert t1 != "not a treedef"
    cache = {t1: "hit"}
    assert cache[t2] == "hit"


def test_treedef_pickles_and_stays_usable():
    treedef = tu.tree_structure((1, [2, {"k": 3}], None, Point(4, 5)))
    clone = pickle.loads(pickle.dumps(treedef))
    assert clone == treedef and hash(clone) == hash(treedef)
    assert tu.tree_unflatten(clone, [1, 2, 3, 4, 5]) == (1, [2, {"k": 3}], None, Point(4, 5))
    assert pickle.loads(pickle.dumps(tu.tree_structure(0))) == tu.tree_structure(0)


def test_treedef_is_leaf_and_treedef_tuple():
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert not tu.treedef_is_leaf(tu.tree_structure([1, 2]))
    # as in JAX: any single-node treedef counts, including None and ()
    assert tu.treedef_is_leaf(tu.tree_structure(None))
    assert tu.treedef_is_strict_leaf(tu.tree_structure(1))
    assert not tu.treedef_is_strict_leaf(tu.tree_structure(None))
    x_def, y_def = tu.tree_structure([1, 2, 3]), tu.tree_structure({"a": 4, "b": 5})
    assert tu.treedef_tuple([x_def, y_def]) == tu.tree_structure(([1, 2, 3], {"a": 4, "b": 5}))
    assert tu.treedef_tuple([]) == tu.tree_structure(())


def test_compose_and_node_data():
    outer = tu.tree_structure([0, 0])
    inner = tu.tree_structure((0, {"a": 0}))
    assert outer.compose(inner) == tu.tree_structure([(0, {"a": 0}), (0, {"a": 0})])
    assert tu.tree_structure(0).node_data() is None
    assert tu.tree_structure({"b": 1, "a": 2}).node_data() == (dict, ("a", "b"))


def test_flatten_up_to_allows_deeper_trees():
    treedef = tu.tree_structure((0, {"a": 0, "b": None}))
    got = treedef.flatten_up_to(([1, 2], {"b": None, "a": (3, 4)}))
    assert got == [[1, 2], (3, 4)]


# ---------------------------------------------------------------- custom nodes

def test_register_pytree_node():
    class Box:
        def __init__(self, a, b, tag):
            self.a, self.b, self.tag = a, b, tag

    tu.register_pytree_node(Box, lambda x: ((x.a, x.b), x.tag),
                            lambda tag, ch: Box(ch[0], ch[1], tag))
    box = Box(1, [2, 3], "t")
    leaves, treedef = tu.tree_flatten(box)
    assert leaves == [1, 2, 3]
    assert repr(treedef) == "PyTreeDef(CustomNode(Box[t], [*, [*, *]]))"
    out = tu.tree_unflatten(treedef, [10, 20, 30])
    assert isinstance(out, Box) and (out.a, out.b, out.tag) == (10, [20, 30], "t")
    assert tu.tree_structure(Box(0, [0, 0], "other")) != treedef
    paths = [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(box)]
    assert paths == ["[<flat index 0>]", "[<flat index 1>][0]", "[<flat index 1>][1]"]


def test_register_pytree_node_class():
    @tu.register_pytree_node_class
    class Pair:
        def __init__(self, x, y):
            self.x, self.y = x, y

        def tree_flatten(self):
            return (self.x, self.y), None

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(*children)

    assert isinstance(Pair(1, 2), Pair)  # decorator returns the class
    out = tu.tree_map(lambda v: v * 2, Pair(1, (2, 3)))
    assert isinstance(out, Pair) and out.x == 2 and out.y == (4, 6)


def test_register_pytree_with_keys():
    class Named:
        def __init__(self, items):
            self.items = dict(items)

    def flatten_with_keys(n):
        names = tuple(sorted(n.items))
        return [(tu.GetAttrKey(k), n.items[k]) for k in names], names

    tu.register_pytree_with_keys(Named, flatten_with_keys,
                                 lambda names, ch: Named(zip(names, ch)))
    tree = Named({"w": 1, "b": (2, 3)})
    assert tu.tree_leaves(tree) == [2, 3, 1]
    paths = [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(tree)]
    assert paths == [".b[0]", ".b[1]", ".w"]
    out = tu.tree_map(lambda v: -v, tree)
    assert out.items == {"w": -1, "b": (-2, -3)}


def test_register_pytree_with_keys_explicit_flatten_func():
    class Two:
        def __init__(self, a, b):
            self.a, self.b = a, b

    calls = []

    def flatten(x):
        calls.append("plain")
        return (x.a, x.b), None

    tu.register_pytree_with_keys(
        Two, lambda x: (((tu.GetAttrKey("a"), x.a), (tu.GetAttrKey("b"), x.b)), None),
        lambda _, ch: Two(*ch), flatten)
    assert tu.tree_leaves(Two(1, 2)) == [1, 2] and calls == ["plain"]
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Two(1, 2))] == [".a", ".b"]


def test_register_dataclass_inferred_and_as_decorator():
    @tu.register_dataclass
    @dataclasses.dataclass
    class Params:
        w: Any
        b: Any
        name: str = dataclasses.field(default="p", metadata={"static": True})

    p = Params(np.ones(2), 3.0, "layer")
    leaves, treedef = tu.tree_flatten(p)
    assert len(leaves) == 2 and leaves[1] == 3.0
    out = tu.tree_unflatten(treedef, [1, 2])
    assert out == Params(1, 2, "layer")
    assert tu.tree_structure(Params(0, 0, "other")) != treedef
    assert hash(treedef) == hash(tu.tree_structure(Params(5, 6, "layer")))
    assert [tu.keystr(k) for k, _ in tu.tree_leaves_with_path(p)] == [".w", ".b"]


def test_register_dataclass_explicit_fields():
    @dataclasses.dataclass
    class Cfg:
        x: Any
        y: Any
        mode: str

    tu.register_dataclass(Cfg, data_fields=["x", "y"], meta_fields=["mode"])
    assert tu.tree_leaves(Cfg(1, 2, "m")) == [1, 2]
    assert tu.tree_map(lambda v: v + 1, Cfg(1, 2, "m")) == Cfg(2, 3, "m")


def test_register_dataclass_on_plain_class():
    class Plain:
        def __init__(self, a, k):
            self.a, self.k = a, k

    tu.register_dataclass(Plain, data_fields=["a"], meta_fields=["k"])
    out = tu.tree_map(lambda v: v * 3, Plain(2, "key"))
    assert out.a == 6 and out.k == "key"


def test_register_dataclass_errors():
    @dataclasses.dataclass
    class D:
        a: int
        b: int

    with pytest.raises(ValueError, match="init=True"):
        tu.register_dataclass(D, data_fields=["a"], meta_fields=[])
    with pytest.raises(TypeError, match="both"):
        tu.register_dataclass(D, data_fields=["a", "b"])

    class NotDC:
        pass

    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(NotDC)


def test_meta_fields_must_be_hashable_for_treedef_hash():
    @tu.register_dataclass
    @dataclasses.dataclass
    class WithMeta:
        x: Any
        meta: Any = dataclasses.field(metadata={"static": True})

    treedef = tu.tree_structure(WithMeta(1, [1, 2]))
    with pytest.raises(TypeError, match="hashable"):
        hash(treedef)


def test_duplicate_registration_raises():
    class Once:
        pass

    tu.register_pytree_node(Once, lambda x: ((), None), lambda a, c: Once())
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(Once, lambda x: ((), None), lambda a, c: Once())
    for builtin in (tuple, list, dict, type(None), collections.OrderedDict):
        with pytest.raises(ValueError, match="Duplicate"):
            tu.register_pytree_node(builtin, lambda x: ((), None), lambda a, c: None)


def test_registering_a_type_after_it_was_seen_as_a_leaf():
    class Late:
        def __init__(self, v):
            self.v = v

    assert tu.tree_structure(Late(1)) == tu.tree_structure(0)
    tu.register_pytree_node(Late, lambda x: ((x.v,), None), lambda a, c: Late(*c))
    assert tu.tree_leaves(Late((1, 2))) == [1, 2]


def test_custom_node_with_children_as_generator():
    class Gen:
        def __init__(self, *xs):
            self.xs = xs

    tu.register_pytree_node(Gen, lambda g: ((x for x in g.xs), len(g.xs)),
                            lambda n, ch: Gen(*ch))
    leaves, treedef = tu.tree_flatten(Gen(1, (2, 3)))
    assert leaves == [1, 2, 3]
    assert tu.tree_unflatten(treedef, leaves).xs == (1, (2, 3))
    assert treedef.flatten_up_to(Gen(7, (8, 9))) == [7, 8, 9]
    with pytest.raises(ValueError, match="custom node data mismatch"):
        treedef.flatten_up_to(Gen(7, 8, 9))


# ---------------------------------------------------------------- key paths

def test_key_classes_repr_str_eq():
    assert repr(tu.SequenceKey(0)) == "SequenceKey(idx=0)" and str(tu.SequenceKey(0)) == "[0]"
    assert repr(tu.DictKey("a")) == "DictKey(key='a')" and str(tu.DictKey("a")) == "['a']"
    assert repr(tu.GetAttrKey("x")) == "GetAttrKey(name='x')" and str(tu.GetAttrKey("x")) == ".x"
    assert repr(tu.FlattenedIndexKey(2)) == "FlattenedIndexKey(key=2)"
    assert str(tu.FlattenedIndexKey(2)) == "[<flat index 2>]"
    assert tu.DictKey("a") == tu.DictKey("a") and hash(tu.DictKey("a")) == hash(tu.DictKey("a"))
    assert tu.SequenceKey(1) != tu.FlattenedIndexKey(1)


def test_flatten_with_path_and_keystr():
    tree = {"a": [1, Point(2, 3)], "b": None, "c": collections.OrderedDict(z=4)}
    pairs, treedef = tu.tree_flatten_with_path(tree)
    assert treedef == tu.tree_structure(tree)
    assert [leaf for _, leaf in pairs] == tu.tree_leaves(tree)
    assert [tu.keystr(p) for p, _ in pairs] == ["['a'][0]", "['a'][1].x", "['a'][1].y", "['c']['z']"]
    assert pairs[1][0] == (tu.DictKey("a"), tu.SequenceKey(1), tu.GetAttrKey("x"))
    assert tu.keystr(pairs[1][0], simple=True, separator="/") == "a/1/x"
    assert tu.keystr(()) == ""
    assert tu.tree_leaves_with_path(5) == [((), 5)]


def test_tree_map_with_path():
    tree = {"w": 1, "b": [2, 3]}
    out = tu.tree_map_with_path(lambda p, x, y: (tu.keystr(p), x + y), tree, tree)
    assert out == {"w": ("['w']", 2), "b": [("['b'][0]", 4), ("['b'][1]", 6)]}


def test_with_path_is_leaf():
    tree = {"a": (1, 2), "b": [3]}
    pairs = tu.tree_leaves_with_path(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert pairs == [((tu.DictKey("a"),), (1, 2)), ((tu.DictKey("b"), tu.SequenceKey(0)), 3)]
    pairs = tu.tree_leaves_with_path(tree, is_leaf=lambda p, x: len(p) == 1,
                                     is_leaf_takes_path=True)
    assert [x for _, x in pairs] == [(1, 2), [3]]


# ---------------------------------------------------------------- tree_map & co

def test_tree_map_single_and_multiple_trees():
    tree = {"a": (1, 2), "b": [3, None]}
    assert tu.tree_map(lambda x: x * 10, tree) == {"a": (10, 20), "b": [30, None]}
    other = {"a": (4, 5), "b": [6, None]}
    assert tu.tree_map(lambda x, y, z: x + y + z, tree, other, other) == \
        {"a": (9, 12), "b": [15, None]}


def test_tree_map_rest_trees_may_be_deeper():
    out = tu.tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), {"k": 5}])
    assert out == [(1, (3, 4)), (2, {"k": 5})]


def test_tree_map_on_arrays():
    params = {"w": np.ones((2, 2)), "b": np.zeros(2)}
    grads = {"w": np.full((2, 2), 0.5), "b": np.ones(2)}
    new = tu.tree_map(lambda p, g: p - 0.1 * g, params, grads)
    np.testing.assert_allclose(new["w"], 0.95)
    np.testing.assert_allclose(new["b"], -0.1)


def test_tree_map_is_leaf():
    tree = [(1, 2), [3, (4, 5)]]
    out = tu.tree_map(lambda t: sum(t) if isinstance(t, tuple) else t, tree,
                      is_leaf=lambda x: isinstance(x, tuple))
    assert out == [3, [3, 9]]
    # is_leaf sees the root too, and can make None a leaf
    assert tu.tree_map(lambda x: "N" if x is None else x, [None, 1],
                       is_leaf=lambda x: x is None) == ["N", 1]
    assert tu.tree_leaves([None], is_leaf=lambda x: x is None) == [None]
    assert tu.tree_map(len, (1, 2), is_leaf=lambda x: isinstance(x, tuple)) == 2


def test_tree_map_structure_mismatch_errors_show_both_structures():
    with pytest.raises(ValueError) as e:
        tu.tree_map(lambda a, b: a, (1, (2, 3)), (1, [2, 3]))
    msg = str(e.value)
    assert "PyTreeDef((*, (*, *)))" in msg and "PyTreeDef((*, [*, *]))" in msg
    assert "[1]" in msg and "expected tuple" in msg

    with pytest.raises(ValueError, match=r"arity mismatch.*\n.*PyTreeDef\(\[\*, \*\]\)"):
        tu.tree_map(lambda a, b: a, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="dict key mismatch") as e:
        tu.tree_map(lambda a, b: a, {"a": 1, "b": 2}, {"a": 1, "c": 2})
    assert "{'a': *, 'c': *}" in str(e.value)
    with pytest.raises(ValueError, match="expected None"):
        tu.tree_map(lambda a, b: a, [None, 1], [2, 1])
    with pytest.raises(ValueError, match="namedtuple"):
        tu.tree_map(lambda a, b: a, Point(1, 2), (1, 2))
    with pytest.raises(ValueError, match=r"\['k'\]\[0\]"):
        tu.tree_map(lambda a, b: a, {"k": [(1, 2)]}, {"k": [[1, 2]]})


def test_flatten_up_to_custom_node_mismatch():
    od_def = tu.tree_structure(collections.OrderedDict(a=1, b=2))
    with pytest.raises(ValueError, match="custom node data mismatch"):
        od_def.flatten_up_to(collections.OrderedDict(b=1, a=2))
    with pytest.raises(ValueError, match="expected custom node of type OrderedDict"):
        od_def.flatten_up_to({"a": 1, "b": 2})


def test_tree_reduce_and_tree_all():
    assert tu.tree_reduce(operator.add, [1, (2, 3), {"a": 4}]) == 10
    assert tu.tree_reduce(operator.add, [1, 2], 100) == 103
    assert tu.tree_reduce(operator.add, [], 7) == 7
    with pytest.raises(TypeError):
        tu.tree_reduce(operator.add, [])
    assert tu.tree_reduce(lambda a, t: a + len(t), [(1, 2), (3,)], 0,
                          is_leaf=lambda x: isinstance(x, tuple)) == 3
    assert tu.tree_all([True, (1, {"a": "x"})])
    assert not tu.tree_all([True, (0,)])
    assert tu.tree_all([None, ()])  # no leaves
    assert not tu.tree_all([[]], is_leaf=lambda x: x == [])


def test_tree_transpose():
    outer = tu.tree_structure([0, 0, 0])
    inner = tu.tree_structure({"a": 0, "b": (0, 0)})
    tree = [{"a": i, "b": (10 + i, 20 + i)} for i in range(3)]
    out = tu.tree_transpose(outer, inner, tree)
    assert out == {"a": [0, 1, 2], "b": ([10, 11, 12], [20, 21, 22])}
    assert tu.tree_transpose(inner, outer, out) == tree
    assert tu.tree_transpose(outer, None, tree) == out  # inner inferred
    with pytest.raises(TypeError, match="Mismatch"):
        tu.tree_transpose(outer, inner, tree[:2])


def test_all_leaves():
    assert tu.all_leaves([1, "a", np.ones(2)])
    assert not tu.all_leaves([1, (2,)])
    assert not tu.all_leaves([None])
    assert tu.all_leaves([(1, 2), 3], is_leaf=lambda x: isinstance(x, tuple))
    assert tu.all_leaves([])


# ---------------------------------------------------------------- errors

def test_tree_unflatten_wrong_leaf_count():
    treedef = tu.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match=r"Too few leaves .*expected 3, got 2"):
        tu.tree_unflatten(treedef, [1, 2])
    with pytest.raises(ValueError, match=r"Too many leaves .*expected 3, got 4"):
        tu.tree_unflatten(treedef, [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"expected 1, got 0"):
        tu.tree_unflatten(tu.tree_structure(0), [])
    with pytest.raises(ValueError, match=r"expected 0, got 1"):
        tu.tree_unflatten(tu.tree_structure(None), [1])


def test_register_non_type_raises():
    with pytest.raises(TypeError):
        tu.register_pytree_node("notatype", lambda x: ((), None), lambda a, c: None)


# ---------------------------------------------------------------- Partial

def test_partial_is_a_callable_pytree():
    def f(a, b, c=0):
        return a + b + c

    p = tu.Partial(f, np.float64(1.0), c=np.float64(10.0))
    assert p(2.0) == 13.0
    leaves, treedef = tu.tree_flatten(p)
    assert leaves == [1.0, 10.0]
    assert treedef.num_leaves == 2
    q = tu.tree_unflatten(treedef, [100.0, 1000.0])
    assert isinstance(q, tu.Partial) and q.func is f
    assert q(1.0) == 1101.0
    doubled = tu.tree_map(lambda x: 2 * x, p)
    assert doubled(0.0) == 22.0
    assert tu.tree_structure(tu.Partial(f, 5, c=6)) == treedef
    assert tu.tree_structure(tu.Partial(lambda a, b: a, 5, c=6)) != treedef
    assert hash(treedef) == hash(tu.tree_structure(tu.Partial(f, 0, c=0)))


def test_partial_pickles():
    p = pickle.loads(pickle.dumps(tu.Partial(operator.sub, 10)))
    assert isinstance(p, tu.Partial) and p(3) == 7 and tu.tree_leaves(p) == [10]


def test_partial_without_args():
    p = tu.Partial(len)
    assert tu.tree_leaves(p) == []
    assert p([1, 2]) == 2


def test_partial_of_a_partial_keeps_inner_args_out_of_leaves():
    def f(a, b, c):
        return (a, b, c)

    inner = functools.partial(f, "inner")
    p = tu.Partial(inner, 2)
    assert tu.tree_leaves(p) == [2]
    assert p.func is inner
    assert p(3) == ("inner", 2, 3)
    nested = tu.Partial(tu.Partial(f, 1), 2)
    assert tu.tree_leaves(nested) == [2]
    assert nested(3) == (1, 2, 3)
    rebuilt = tu.tree_map(lambda x: x * 10, p)
    assert rebuilt(3) == ("inner", 20, 3)


# ---------------------------------------------------------------- public module

def test_public_module_reexports():
    import importlib

    try:
        public = importlib.import_module("purejax.tree_util")
    except Exception as e:  # the package __init__ is written independently
        pytest.skip(f"purejax package not importable yet: {e!r}")
    for name in public.__all__:
        assert getattr(public, name) is getattr(tu, name)
