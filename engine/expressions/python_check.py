"""Compile-time checks of the Python dialect: the whitelist of syntax, names, calls and statements.

Everything an evaluation can do is decided here, before any variable is read: a syntax tree that
passes holds only the node types the evaluator knows, calls only the supported functions and
methods, no name or attribute starting with ``__``, and nests at most ``MAX_NESTING_DEPTH`` levels.
The walks are iterative, so a hostile tree cannot exhaust Python's stack.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_NESTING_DEPTH
from engine.expressions.python_builtins import BUILTIN_KEYWORDS, METHOD_KEYWORDS
from engine.expressions.python_values import MAX_INTEGER_DIGITS

Locate = Callable[[ast.AST], "int | None"]

_REFUSED: dict[type, str] = {
    ast.Lambda: "lambda functions are not supported",
    ast.NamedExpr: "assignment expressions (:=) are not supported",
    ast.Await: "await is not supported",
    ast.Yield: "yield is not supported",
    ast.YieldFrom: "yield is not supported",
}

_ALLOWED = (
    ast.Constant,
    ast.Name,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Subscript,
    ast.Slice,
    ast.Call,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
    ast.keyword,
)

_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)

_FORMAT_METHODS = frozenset({"format", "format_map"})


def is_dunder(name: str) -> bool:
    """Whether a name is one Python reserves for its internals (``__class__``, ``__import__``…)."""
    return name.startswith("__")


def check_expression(source: str, tree: ast.AST, locate: Locate, base_depth: int = 0) -> None:
    """Raise :class:`ExpressionError` unless ``tree`` uses only the supported subset."""
    # (node, depth, may the node be a *starred item of a display)
    pending: list[tuple[ast.AST, int, bool]] = [(tree, base_depth, False)]
    while pending:
        node, depth, starred_ok = pending.pop()
        if isinstance(node, _LEAVES):
            continue

        def fail(reason: str, at: ast.AST = node) -> None:
            raise ExpressionError(source, reason, locate(at))

        if isinstance(node, ast.expr):
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                fail(f"the expression is nested deeper than the limit of {MAX_NESTING_DEPTH} levels")
        refused = _REFUSED.get(type(node))
        if refused is not None:
            fail(refused)
        if isinstance(node, ast.Attribute):
            if is_dunder(node.attr):
                fail(f"the attribute {node.attr!r} is not allowed: names starting with '__' are reserved")
            fail(f"attribute access (.{node.attr}) is not supported; only the supported methods can be called")
        if not isinstance(node, _ALLOWED):
            fail(f"{_describe(node)} is not supported in an expression")
        if isinstance(node, ast.Constant):
            _check_constant(node, fail)
        elif isinstance(node, ast.Name):
            if is_dunder(node.id):
                fail(f"the name {node.id!r} is not allowed: names starting with '__' are reserved")
        elif isinstance(node, ast.Starred):
            if not starred_ok:
                fail("unpacking with * is supported only inside a list, tuple or set display")
            pending.append((node.value, depth, False))
            continue
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            pending.extend((item, depth, True) for item in node.elts)
            continue
        elif isinstance(node, ast.Call):
            try:
                children = _check_call(node, fail)
            except ExpressionError:
                # An inner refusal says more: the unknown function whose result .system() is called on.
                for part in _call_parts(node):
                    check_expression(source, part, locate, depth)
                raise
            pending.extend((child, depth, False) for child in children)
            continue
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            fail("the operator @ is not supported")
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            fail("format specifications in f-strings ({value:spec}) are not supported")
        elif isinstance(node, ast.comprehension):
            if node.is_async:
                fail("async comprehensions are not supported")
            check_target(source, node.target, locate, subscripts=False)
            pending.append((node.iter, depth, False))
            pending.extend((condition, depth, False) for condition in node.ifs)
            continue
        pending.extend((child, depth, False) for child in ast.iter_child_nodes(node))


def _check_constant(node: ast.Constant, fail: Callable[[str], None]) -> None:
    value = node.value
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if value.bit_length() > 3322:
            fail(f"an integer literal of more than {MAX_INTEGER_DIGITS} digits exceeds the limit")
    elif isinstance(value, float):
        if value == float("inf"):
            fail("a number literal too large to be a float")
    elif isinstance(value, complex):
        fail("complex numbers are not supported")
    elif isinstance(value, bytes):
        fail("bytes literals are not supported")
    else:
        fail(f"the literal {value!r} is not supported")


def _call_parts(node: ast.Call) -> list[ast.AST]:
    func = node.func
    parts: list[ast.AST] = (
        [] if isinstance(func, ast.Name) else [func.value if isinstance(func, ast.Attribute) else func]
    )
    parts.extend(argument.value if isinstance(argument, ast.Starred) else argument for argument in node.args)
    parts.extend(keyword.value for keyword in node.keywords)
    return parts


def _check_call(node: ast.Call, fail: Callable[..., None]) -> list[ast.AST]:
    """Check a call's target and keywords; return the sub-expressions still to check."""
    children: list[ast.AST] = []
    func = node.func
    if isinstance(func, ast.Name):
        name = func.id
        if name not in BUILTIN_KEYWORDS:
            supported = ", ".join(sorted(BUILTIN_KEYWORDS))
            fail(f"calling {name!r} is not allowed; the supported functions are {supported}")
        allowed = BUILTIN_KEYWORDS[name]
    elif isinstance(func, ast.Attribute):
        name = func.attr
        if is_dunder(name):
            fail(f"the attribute {name!r} is not allowed: names starting with '__' are reserved")
        if name in _FORMAT_METHODS:
            fail(f"the method {name!r} is not allowed: format strings can reach attributes; use an f-string or +")
        if name not in METHOD_KEYWORDS:
            supported = ", ".join(sorted(METHOD_KEYWORDS))
            fail(f"the method {name!r} is not allowed; the supported methods are {supported}")
        allowed = METHOD_KEYWORDS[name]
        children.append(func.value)
    else:
        fail("only the supported functions and methods can be called, by name")
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            fail("argument unpacking (*args) in calls is not supported", argument)
        children.append(argument)
    for keyword in node.keywords:
        if keyword.arg is None:
            fail("argument unpacking (**kwargs) in calls is not supported", keyword)
        elif is_dunder(keyword.arg):
            fail(f"the keyword {keyword.arg!r} is not allowed: names starting with '__' are reserved", keyword)
        elif allowed is not None and keyword.arg not in allowed:
            fail(f"{name}() does not take the keyword argument {keyword.arg!r} here", keyword)
        children.append(keyword.value)
    return children


def check_target(source: str, target: ast.AST, locate: Locate, subscripts: bool) -> list[str]:
    """Check an assignment target; return the variable names it (re)binds, in order.

    A target is a name, a tuple or list of targets, or, when ``subscripts`` is true, an item of a
    variable (``x['k']``, ``x[0]['k']``) whose root name counts as assigned.
    """
    names: list[str] = []
    pending: list[ast.AST] = [target]
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Name):
            if is_dunder(node.id):
                raise ExpressionError(
                    source, f"the name {node.id!r} is not allowed: names starting with '__' are reserved", locate(node)
                )
            names.append(node.id)
        elif isinstance(node, ast.Tuple | ast.List):
            pending[0:0] = node.elts
        elif isinstance(node, ast.Subscript) and subscripts:
            if isinstance(node.slice, ast.Slice):
                raise ExpressionError(source, "assigning to a slice is not supported", locate(node))
            check_expression(source, node.slice, locate)
            root = node.value
            while isinstance(root, ast.Subscript):
                if isinstance(root.slice, ast.Slice):
                    raise ExpressionError(source, "assigning into a slice is not supported", locate(root))
                check_expression(source, root.slice, locate)
                root = root.value
            if not isinstance(root, ast.Name):
                raise ExpressionError(source, "only items of variables can be assigned (x['k'] = …)", locate(node))
            pending.insert(0, root)
        else:
            raise ExpressionError(source, f"cannot assign to {_describe(node)}", locate(node))
    return names


def check_script(source: str, module: ast.Module, locate: Locate) -> tuple[str, ...]:
    """Raise :class:`ExpressionError` unless ``module`` is an assignment script; return its targets."""
    targets: list[str] = []
    for statement in module.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                targets.extend(check_target(source, target, locate, subscripts=True))
            check_expression(source, statement.value, locate)
        elif isinstance(statement, ast.AugAssign):
            if not isinstance(statement.target, ast.Name | ast.Subscript):
                raise ExpressionError(
                    source, "an augmented assignment must assign a variable or an item", locate(statement)
                )
            if isinstance(statement.op, ast.MatMult):
                raise ExpressionError(source, "the operator @ is not supported", locate(statement))
            targets.extend(check_target(source, statement.target, locate, subscripts=True))
            check_expression(source, statement.value, locate)
        elif isinstance(statement, ast.Pass):
            continue
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring or a bare literal: nothing to do
        else:
            raise ExpressionError(
                source,
                f"the script is not an assignment script: line {statement.lineno} is {_describe(statement)}; "
                "only assignments (x = …, x += …, x['k'] = …) and pass run in the engine",
                locate(statement),
            )
    return tuple(dict.fromkeys(targets))


_DESCRIPTIONS: dict[type, str] = {
    ast.Expr: "an expression statement (such as a function call)",
    ast.If: "an if statement",
    ast.For: "a for loop",
    ast.While: "a while loop",
    ast.FunctionDef: "a function definition",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.Import: "an import",
    ast.ImportFrom: "an import",
    ast.Delete: "a del statement",
    ast.Return: "a return statement",
    ast.With: "a with statement",
    ast.Try: "a try statement",
    ast.Raise: "a raise statement",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.AnnAssign: "an annotated assignment",
    ast.Assert: "an assert statement",
}


def _describe(node: ast.AST) -> str:
    described = _DESCRIPTIONS.get(type(node))
    if described is not None:
        return described
    return f"a {type(node).__name__} node"
