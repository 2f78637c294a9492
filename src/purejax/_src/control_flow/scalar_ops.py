"""Python operators for rank-0 arithmetic in generated code.

A NumPy ufunc call on rank-0 operands costs about 0.5-0.8 us, while the same
operation written as a Python operator on NumPy scalars (np.float32, np.float64)
costs about 0.05 us: NumPy's scalar arithmetic computes the same IEEE operation in
the same precision, so the values are bit-identical. Scalar control flow (a
while_loop's Newton iteration, a fori_loop counter) is made of such operations.

`scalarize(fdef, globs, in_avals)` rewrites, in a generated function, each call of
a known elementwise primitive whose operands are all rank-0 of one float dtype
(comparisons: also integer dtypes) into the operator, e.g. `v3 = _sub0(v1, v2)`
into `v3 = v1 - v2`. Operand types come from the function's input avals and its
constants, propagated through these same primitives; a value of unknown type is
never rewritten. Rank-0 inputs and constants are read once as NumPy scalars
(`x[()]`) for the rewritten operations only, so other operations see the same
values as before. Integer arithmetic is left to the ufuncs: NumPy's scalar integer
arithmetic reports overflow, the ufuncs wrap silently.
"""
from __future__ import annotations

import ast
import functools

import numpy as np

_FLOATS = frozenset({np.dtype(np.float32), np.dtype(np.float64)})
_ORDERED = _FLOATS | {np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8,
                                            np.uint16, np.uint32, np.uint64)}
_BOOL = np.dtype(np.bool_)
_MAX_POW = 4  # integer_pow exponents written out as products up to this magnitude


@functools.lru_cache(maxsize=None)
def _rules():
    """impl -> (kind, AST operator, primitive). Looked up by the impl object the code
    generator places in the generated function's globals (bare, or a partial with
    the equation's params)."""
    from purejax._src.interpreters import ad
    from purejax._src.prims import elementwise as ew
    table = {}
    for p, op in ((ew.add_p, ast.Add), (ad.add_any_p, ast.Add), (ew.sub_p, ast.Sub),
                  (ew.mul_p, ast.Mult), (ew.div_p, ast.Div)):
        table[p.impl] = ("arith", op, p)
    for p, op in ((ew.gt_p, ast.Gt), (ew.lt_p, ast.Lt), (ew.ge_p, ast.GtE), (ew.le_p, ast.LtE),
                  (ew.eq_p, ast.Eq), (ew.ne_p, ast.NotEq)):
        table[p.impl] = ("cmp", op, p)
    table[ew.neg_p.impl] = ("neg", None, ew.neg_p)
    table[ew.abs_p.impl] = ("abs", None, ew.abs_p)
    table[ew.integer_pow_p.impl] = ("pow", None, ew.integer_pow_p)
    # kept as calls; listed so that the types of their results (their operand's) are known
    for name in _SAME_TYPE_UNOPS:
        p = getattr(ew, f"{name}_p", None)
        if p is not None and p.impl is not None and p.impl not in table:
            table[p.impl] = ("same", None, p)
    return table


_SAME_TYPE_UNOPS = ("exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos",
                    "tan", "sqrt", "rsqrt", "cbrt", "floor", "ceil", "sign", "square")


def _rule_of(obj):
    params = {}
    if type(obj) is functools.partial and not obj.args:
        obj, params = obj.func, obj.keywords
    try:
        rule = _rules().get(obj)
    except TypeError:  # unhashable
        return None
    return None if rule is None else (rule, params)


def _type_of_value(v):
    if isinstance(v, (np.ndarray, np.generic)):
        return (v.dtype, v.shape)
    return None


class _Types:
    def __init__(self, fdef, globs, in_avals):
        self.globs = globs
        self.assigns: dict = {}   # name -> list of value nodes (None: an unknown store)
        in_avals = list(in_avals or ())
        for i, a in enumerate(fdef.args.args):
            aval = in_avals[i] if i < len(in_avals) else None
            self.assigns.setdefault(a.arg, []).append(
                None if aval is None else ("aval", (aval.dtype, aval.shape)))
        simple = set()  # ids of the Name nodes assigned by a plain assignment
        for node in ast.walk(fdef):
            if type(node) is ast.Assign and len(node.targets) == 1:
                t, v = node.targets[0], node.value
                if type(t) is ast.Name:
                    self.assigns.setdefault(t.id, []).append(v)
                    simple.add(id(t))
                elif (type(t) is ast.Tuple and type(v) is ast.Tuple
                      and len(t.elts) == len(v.elts) and all(type(e) is ast.Name for e in t.elts)):
                    for e, ev in zip(t.elts, v.elts):
                        self.assigns.setdefault(e.id, []).append(ev)
                        simple.add(id(e))
        for node in ast.walk(fdef):
            if (type(node) is ast.Name and type(node.ctx) is not ast.Load
                    and id(node) not in simple):
                # any other store (a for target, an unpacked call result, ...)
                self.assigns.setdefault(node.id, []).append(None)
        self.types: dict = {}
        self._solve()

    def _solve(self):
        poisoned = set()
        while True:
            types: dict = {}
            changed = True
            while changed:
                changed = False
                for name, vals in self.assigns.items():
                    if name in poisoned or name in types:
                        continue
                    known = {t for t in (self.infer(v, types) for v in vals) if t is not None}
                    if len(known) == 1:
                        types[name] = known.pop()
                        changed = True
                    elif len(known) > 1:
                        poisoned.add(name)
            bad = [n for n, t in types.items()
                   if any(self.infer(v, types) != t for v in self.assigns[n])]
            if not bad:
                self.types = types
                return
            poisoned.update(bad)

    def infer(self, v, types):
        if v is None:
            return None
        if type(v) is tuple:
            return v[1]
        if type(v) is ast.Name:
            if v.id in self.assigns:
                return types.get(v.id)
            return _type_of_value(self.globs.get(v.id))
        # operators (written by this pass, maybe in a function inlined since)
        if type(v) in (ast.BinOp, ast.Compare, ast.UnaryOp, ast.Subscript) or (
                type(v) is ast.Call and type(v.func) is ast.Name and v.func.id == "abs"
                and "abs" not in self.globs and "abs" not in self.assigns):
            return self._infer_operator(v, types)
        if type(v) is ast.Call and type(v.func) is ast.Name and v.func.id not in self.assigns:
            got = _rule_of(self.globs.get(v.func.id))
            if got is None or v.keywords:
                return None
            (kind, _, _), _ = got
            ts = [self.infer(a, types) for a in v.args]
            if any(t is None for t in ts) or any(t != ts[0] for t in ts):
                return None
            dtype, shape = ts[0]
            return (_BOOL, shape) if kind == "cmp" else (dtype, shape)
        return None

    def _infer_operator(self, v, types):
        """The type of an operator on rank-0 values of one dtype, as scalarize writes
        them (float arithmetic, comparisons, x[()]); None for anything else."""
        t = type(v)
        if t is ast.Subscript:
            s = v.slice
            if type(s) is ast.Tuple and not s.elts:
                inner = self.infer(v.value, types)
                return inner if inner is not None and inner[1] == () else None
            return None
        if t is ast.BinOp:
            ops = [v.left, v.right]
        elif t is ast.Compare:
            if len(v.ops) != 1:
                return None
            ops = [v.left, v.comparators[0]]
        elif t is ast.UnaryOp:
            if type(v.op) is not ast.USub:
                return None
            ops = [v.operand]
        else:  # abs
            if len(v.args) != 1 or v.keywords:
                return None
            ops = v.args
        ts = [self.infer(a, types) for a in ops]
        if any(x is None or x[1] != () for x in ts) or any(x != ts[0] for x in ts):
            return None
        dtype = ts[0][0]
        if t is ast.Compare:
            return (_BOOL, ()) if dtype in _ORDERED else None
        return ts[0] if dtype in _FLOATS else None


def worth_trying(fn, in_avals) -> bool:
    """Whether `fn` can have rank-0 operations to rewrite: their types start from
    rank-0 inputs (constant-only operations were folded when generating `fn`)."""
    return any(a.shape == () and a.dtype in _ORDERED for a in in_avals)


def scalarize(fdef: ast.FunctionDef, globs: dict, in_avals=None) -> bool:
    """Rewrite fdef in place (globs gains the scalar constants); whether anything changed."""
    types = _Types(fdef, globs, in_avals)
    locals_ = set(types.assigns)
    params = {a.arg for a in fdef.args.args}
    aliases: dict = {}   # name -> name of its scalar view
    prologue = []

    def scalar_operand(a):
        if type(a) is not ast.Name:
            return a
        name = a.id
        if name not in aliases:
            if name in locals_:
                if name in params and len(types.assigns[name]) == 1:
                    aliases[name] = f"s_{name}"
                    prologue.append(ast.parse(f"s_{name} = {name}[()]").body[0])
                else:
                    aliases[name] = name  # computed values are already NumPy scalars
            else:
                obj = globs[name]
                alias = f"{name}_s"
                while alias in globs:
                    alias += "_"
                globs[alias] = obj[()] if isinstance(obj, np.ndarray) else obj
                aliases[name] = alias
        return ast.Name(id=aliases[name], ctx=ast.Load())

    def rewrite(call):
        if type(call.func) is not ast.Name or call.func.id in locals_ or call.keywords:
            return None
        got = _rule_of(globs.get(call.func.id))
        if got is None:
            return None
        (kind, op, _), params_ = got
        ts = [types.infer(a, types.types) for a in call.args]
        if any(t is None or t[1] != () for t in ts) or any(t != ts[0] for t in ts):
            return None
        dtype = ts[0][0]
        if dtype not in (_ORDERED if kind == "cmp" else _FLOATS):
            return None
        n = len(call.args)
        if not ((kind in ("arith", "cmp") and n == 2) or (kind == "neg" and n == 1)
                or (kind == "abs" and n == 1 and "abs" not in globs and "abs" not in locals_)
                or (kind == "pow" and n == 1 and _pow_ok(params_.get("y")))):
            return None
        args = [scalar_operand(a) for a in call.args]
        if kind == "arith" and len(args) == 2:
            return ast.BinOp(left=args[0], op=op(), right=args[1])
        if kind == "cmp" and len(args) == 2:
            return ast.Compare(left=args[0], ops=[op()], comparators=[args[1]])
        if kind == "neg" and len(args) == 1:
            return ast.UnaryOp(op=ast.USub(), operand=args[0])
        if kind == "abs" and len(args) == 1 and "abs" not in globs and "abs" not in locals_:
            return ast.Call(func=ast.Name(id="abs", ctx=ast.Load()), args=args, keywords=[])
        if kind == "pow" and len(args) == 1:
            return _integer_pow(args[0], params_.get("y"), dtype, globs)
        return None

    changed = False
    for node in ast.walk(fdef):
        if type(node) is ast.Assign and type(node.value) is ast.Call:
            new = rewrite(node.value)
            if new is not None:
                node.value = new
                changed = True
    fdef.body[:0] = prologue
    return changed


def _pow_ok(y) -> bool:
    # y == 1 is a copy and y == 0 ones_like: both kept as calls
    return type(y) is int and 2 <= abs(y) <= _MAX_POW or y == -1


def _integer_pow(x, y, dtype, globs):
    """integer_pow's repeated squaring (prims/elementwise.py) as products, the same
    multiplications in the same order."""
    assert _pow_ok(y)
    base, n, acc = x, abs(y), None
    while n:
        if n & 1:
            acc = base if acc is None else ast.BinOp(left=acc, op=ast.Mult(), right=base)
        n >>= 1
        if n:
            base = ast.BinOp(left=base, op=ast.Mult(), right=base)
    if y > 0:
        return acc
    one = f"_one_{dtype.name}"
    globs[one] = np.ones((), dtype)[()]
    return ast.BinOp(left=ast.Name(id=one, ctx=ast.Load()), op=ast.Div(), right=acc)
