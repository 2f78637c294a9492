"""Inlining of generated functions into the generated functions that call them.

The NumPy code generator emits one Python function per Jaxpr; a higher-order
equation (pjit, custom_jvp_call, while, cond, ...) becomes a call to another
generated function, or to a runner that calls some. Each such call costs a Python
frame, an argument tuple and a result list, per loop iteration for loop bodies.
For small operands that is most of the run time, so here we splice callees into
their callers at the source level:

* `inline_calls(fn)` replaces each statement `a, b = _f(x, y)` whose `_f` is a
  generated function by `_f`'s body (its locals renamed, its parameters bound to
  the arguments) followed by `a, b = <its return values>`, repeatedly, so nested
  calls flatten into one function;
* `build(source, globals)` compiles a template (a while or if statement around
  such calls, written by a control-flow lowering) and inlines into it, so loops
  run as native Python `while`/`for` with their bodies in line.

Only functions produced by the code generator (or by `build`) are inlined: plain
`def`s with positional parameters, no nested scopes, one `return` at the end. The
rewrite works on the generated source, whatever each equation's emission looks
like; any other callee stays a call. Values are not touched, so results are
bit-identical to the calls they replace.
"""
from __future__ import annotations

import ast
import builtins
import itertools
import types
from typing import Callable

from purejax._src.config import _flags
from purejax._src.control_flow import scalar_ops

# Stop inlining into a function once it would exceed this many statements.
MAX_STATEMENTS = 4000

_GENERATED = "purejax._generated"
_NESTED_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                  ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                  ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await)


class _Info:
    """A generated function, parsed: its def, parameters, names and statement count
    (one walk); `ok` is False when it has a nested scope or more than one return."""
    __slots__ = ("fdef", "params", "locals", "stored", "names", "size", "ok")

    def __init__(self, fdef: ast.FunctionDef):
        self.fdef = fdef
        self.params = [a.arg for a in fdef.args.args]
        stored, names, size, returns, ok = set(), set(), 0, 0, True
        for n in ast.walk(fdef):
            t = type(n)
            if t is ast.Name:
                names.add(n.id)
                if type(n.ctx) is not ast.Load:
                    stored.add(n.id)
            elif t is ast.Return:
                returns += 1
            elif isinstance(n, _NESTED_SCOPES) and n is not fdef:
                ok = False
            if isinstance(n, ast.stmt):
                size += 1
        self.stored, self.names, self.size = stored, names, size - 1
        self.locals = set(self.params) | stored
        self.ok = ok and returns == 1


def _parse(fn) -> _Info | None:
    """The parsed form of an inlinable generated function, or None."""
    info = getattr(fn, "_inline_info", False)
    if info is not False:
        return info
    info = None
    src = getattr(fn, "source", None)
    if (type(fn) is types.FunctionType and isinstance(src, str) and fn.__closure__ is None
            and fn.__globals__.get("__name__") == _GENERATED):
        try:
            mod = ast.parse(src)
        except SyntaxError:
            mod = None
        if mod is not None and len(mod.body) == 1 and type(mod.body[0]) is ast.FunctionDef:
            fdef = mod.body[0]
            a = fdef.args
            simple = (fdef.name == fn.__name__ and not fdef.decorator_list
                      and not (a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg
                               or a.defaults))
            body = fdef.body
            if simple and body and type(body[-1]) is ast.Return and body[-1].value is not None:
                info = _Info(fdef)
                if not info.ok:
                    info = None
    try:
        fn._inline_info = info
    except AttributeError:
        pass
    return info


def _target(obj):
    """What a call of `obj` from generated code runs, if it is inlinable."""
    raw = getattr(obj, "raw", obj)  # a guarded wrapper's unguarded function
    return raw if _parse(raw) is not None else None


class _Namespace:
    """The globals of the function being built, shared by everything inlined into it."""

    def __init__(self, globs: dict, taken: set):
        self.globs = dict(globs)
        self.taken = taken  # the function's local names
        self.by_id = {id(v): k for k, v in self.globs.items() if not k.startswith("__")}
        self._n = itertools.count()

    def ref(self, name: str, obj) -> str:
        """A global name in this namespace for `obj` (the name it had in the callee)."""
        got = self.by_id.get(id(obj))
        if got is not None and self.globs.get(got) is obj:
            return got
        new = name
        while new in self.globs or new in self.taken or hasattr(builtins, new):
            new = f"{name}_{next(self._n)}"
        self.globs[new] = obj
        self.by_id[id(obj)] = new
        return new


def _clone(node, mapping=None):
    """A copy of an AST (faster than copy.deepcopy), with Names renamed by `mapping`
    (to a name, or to a Constant node for a parameter bound to a constant)."""
    if type(node) is list:
        return [_clone(x, mapping) for x in node]
    if not isinstance(node, ast.AST):
        return node
    if type(node) is ast.Name and mapping is not None:
        new = mapping.get(node.id)
        if new is not None:
            if isinstance(new, str):
                return ast.Name(id=new, ctx=node.ctx)
            return _clone(new)
    cls = type(node)
    out = cls.__new__(cls)
    for f in node._fields:
        setattr(out, f, _clone(getattr(node, f, None), mapping))
    for a in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(node, a):
            setattr(out, a, getattr(node, a))
    return out


def _copy(node):
    return _clone(node)


def _is_atom(node) -> bool:
    return type(node) is ast.Name or (type(node) is ast.Constant)


def _names(node) -> set:
    return {n.id for n in ast.walk(node) if type(n) is ast.Name}


class _Inliner:
    def __init__(self, ns: _Namespace, taken: set, budget: int):
        self.ns = ns
        self.taken = taken   # local names in use in the function being built
        self.budget = budget
        self.changed = False
        self._sites = itertools.count()

    def _fresh_prefix(self) -> str:
        while True:
            p = f"i{next(self._sites)}_"
            if not any(t.startswith(p) for t in self.taken):
                return p

    def _callee(self, call):
        if (type(call) is not ast.Call or type(call.func) is not ast.Name or call.keywords
                or any(type(a) is ast.Starred for a in call.args)):
            return None
        obj = self.ns.globs.get(call.func.id)
        if obj is None or call.func.id in self.taken:
            return None
        fn = _target(obj)
        if fn is None:
            return None
        info = _parse(fn)
        if len(info.params) != len(call.args) or info.size > self.budget:
            return None
        return fn, info

    def _expand(self, stmt) -> list | None:
        """The statements replacing `stmt`, if it is an inlinable call."""
        if type(stmt) is ast.Assign and len(stmt.targets) == 1:
            target, call = stmt.targets[0], stmt.value
            if type(target) not in (ast.Name, ast.Tuple) or (
                    type(target) is ast.Tuple and any(type(e) is not ast.Name
                                                      for e in target.elts)):
                return None
        elif type(stmt) is ast.Expr:
            target, call = None, stmt.value
        else:
            return None
        got = self._callee(call)
        if got is None:
            return None
        fn, info = got
        # The callee's free names must be its globals or builtins we do not shadow.
        mapping: dict = {}
        for name in info.names - info.locals:
            if name in fn.__globals__:
                mapping[name] = self.ns.ref(name, fn.__globals__[name])
            elif hasattr(builtins, name) and name not in self.ns.globs \
                    and name not in self.taken:
                continue
            else:
                return None
        prefix = self._fresh_prefix()
        out: list = []
        for p, arg in zip(info.params, call.args):
            if _is_atom(arg) and p not in info.stored:
                mapping[p] = arg if type(arg) is ast.Constant else arg.id
            else:
                mapping[p] = prefix + p
                out.append(ast.Assign(targets=[ast.Name(id=prefix + p, ctx=ast.Store())],
                                      value=_copy(arg), lineno=0))
        for name in info.stored:
            mapping[name] = prefix + name
        self.taken.update(v for v in mapping.values() if isinstance(v, str)
                          and v.startswith(prefix))
        body = _clone(info.fdef.body, mapping)
        ret = body.pop().value
        out += body
        self.budget -= info.size
        if target is None:
            pass
        elif type(target) is ast.Tuple and type(ret) in (ast.List, ast.Tuple) \
                and len(ret.elts) == len(target.elts):
            outs, vals = target.elts, ret.elts
            clash = {e.id for e in outs} & set().union(*map(_names, vals)) if vals else set()
            if len(outs) > 1 and clash:
                out.append(ast.Assign(targets=[target], value=ast.Tuple(elts=vals,
                                                                         ctx=ast.Load()),
                                      lineno=0))
            else:
                out += [ast.Assign(targets=[o], value=v, lineno=0) for o, v in zip(outs, vals)]
        else:
            out.append(ast.Assign(targets=[target], value=ret, lineno=0))
        self.changed = True
        return out

    def block(self, stmts: list) -> list:
        res = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list) and type(s) in (
                        ast.While, ast.If, ast.For):
                    setattr(s, field, self.block(getattr(s, field)))
            new = self._expand(s)
            if new is None:
                res.append(s)
            else:
                res += self.block(new)
        return res


def _finish(fdef: ast.FunctionDef, globs: dict) -> Callable:
    ast.fix_missing_locations(fdef)
    source = ast.unparse(fdef) + "\n"
    name = fdef.name
    from purejax._src.backends.numpy_codegen import _compile_source
    code, filename = _compile_source(source, name)
    namespace = dict(globs)
    namespace["__name__"] = _GENERATED
    exec(code, namespace)
    fn = namespace[name]
    if _flags.get("purejax_dump_generated_code"):
        print(f"# purejax generated code (inlined): {filename}\n{source}")
    fn.raw = fn
    fn.source = source
    fn.filename = filename
    return fn



def _inline_into(fdef: ast.FunctionDef, globs: dict):
    """fdef with its inlinable calls expanded, and its new globals; None if no call was."""
    taken = {n.id for n in ast.walk(fdef) if type(n) is ast.Name
             and type(n.ctx) is not ast.Load} | {a.arg for a in fdef.args.args}
    size = sum(isinstance(n, ast.stmt) for n in ast.walk(fdef))
    inl = _Inliner(_Namespace(globs, taken), taken, MAX_STATEMENTS - size)
    fdef.body = inl.block(fdef.body)
    if not inl.changed:
        return None
    used = {n.id for n in ast.walk(fdef) if type(n) is ast.Name}
    g = {k: v for k, v in inl.ns.globs.items() if k in used or k.startswith("__")}
    return fdef, g


def inline_calls(fn: Callable, in_avals=None) -> Callable:
    """`fn` (a generated function) with the generated functions it calls inlined and
    its rank-0 arithmetic as operators (see scalar_ops; `in_avals` types its
    parameters); `fn` itself when nothing changes."""
    # Parsing a large program costs more than running it many times: look first.
    calls_generated = any(v is not fn and callable(v) and getattr(v, "source", None) is not None
                          for v in fn.__globals__.values())
    if not calls_generated and not (in_avals is None or scalar_ops.worth_trying(fn, in_avals)):
        return fn
    info = _parse(fn)
    if info is None:
        return fn
    fdef, globs = _copy_def(info.fdef), dict(fn.__globals__)
    got = _inline_into(fdef, globs)
    if got is not None:
        fdef, globs = got
    if not scalar_ops.scalarize(fdef, globs, in_avals) and got is None:
        return fn
    return _finish(fdef, globs)


def build(source: str, globs: dict, in_avals=None) -> Callable:
    """Compile the template `source` (one def) in `globs`, inlining its calls."""
    fdef = ast.parse(source).body[0]
    globs = dict(globs)
    got = _inline_into(fdef, globs)
    if got is not None:
        fdef, globs = got
    scalar_ops.scalarize(fdef, globs, in_avals)
    return _finish(fdef, globs)


def _copy_def(fdef):
    return _clone(fdef)
