"""The Python dialect: SpiffWorkflow's conditions, timer values and assignment scripts, sandboxed.

SpiffWorkflow models write conditions as Python expressions (``answer == 'Yes'``,
``len(items) > 0``) and script tasks as Python statements. Baton never hands them to ``eval`` or
``exec``: the text is parsed into a syntax tree by :mod:`ast` (no bytecode is compiled), the tree is
checked against a whitelist (:mod:`engine.expressions.python_check`), and a small evaluator walks it
over plain JSON values (:mod:`engine.expressions.python_eval`) within the limits of
:mod:`engine.expressions.limits`. See "Python expressions (SpiffWorkflow)" in ``docs/expressions.md``.

Results are plain JSON values (``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``dict``
with string keys), never FEEL values.
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, EvaluationBudget
from engine.expressions.python_check import Locate, check_expression, check_script
from engine.expressions.python_eval import Evaluation, Scope, evaluate
from engine.expressions.python_operators import binary, hashable, materialize, subscript
from engine.expressions.python_values import check_collection, export_value, fail_for, type_name

__all__ = ["PythonExpression", "PythonScript", "compile_python", "compile_script", "is_assignment_script"]

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class PythonExpression:
    """A checked Python expression. Immutable, so one instance can be shared between threads.

    Constructing one compiles ``source`` and raises :class:`ExpressionError` when it is outside
    the supported subset, exactly as :func:`compile_python` does.
    """

    source: str
    dialect: str = "python"
    tree: ast.Expression = field(init=False, repr=False, compare=False)
    locate: Locate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        source = self.source
        if not isinstance(source, str):
            raise ExpressionError(repr(source), f"an expression must be a string, not {type_name(source)}")
        text = source.strip()
        if not text:
            raise ExpressionError(source, "the expression is empty")
        base = len(source) - len(source.lstrip())
        locate = _locator(text, base)
        tree = _parse(source, text, "eval", locate, base)
        check_expression(source, tree.body, locate)
        object.__setattr__(self, "tree", tree)
        object.__setattr__(self, "locate", locate)

    def evaluate(self, variables: Mapping[str, object]) -> object:
        """Evaluate over ``variables`` (decoded JSON values by name); return a plain JSON value.

        Raises :class:`ExpressionError` for an unknown name, an invalid operation (what Python
        would raise: ``TypeError``, ``ZeroDivisionError``, ``KeyError``…, named in the reason) and
        for exceeding a limit.
        """
        evaluation = Evaluation(self.source, variables, self.locate)
        with _guarded(evaluation.budget):
            value = evaluate(self.tree.body, Scope(evaluation))
            return export_value(value, evaluation.budget)


def compile_python(text: str) -> PythonExpression:
    """Compile a Python expression; raise :class:`ExpressionError` when it is not supported.

    Checks the length and nesting limits, the syntax, and the whitelist: names not starting with
    ``__``, calls only of the supported builtins and methods, no lambda, walrus, await or yield.
    """
    return PythonExpression(text)


@dataclass(frozen=True)
class PythonScript:
    """A checked assignment script: statements ``x = …``, ``a = b = …``, ``x += …``, ``x['k'] = …``.

    ``targets`` are the variables it assigns (for ``x['k'] = …``, ``x``), in the order of their
    first assignment. Constructing one compiles ``source`` like :func:`compile_script`.
    """

    source: str
    targets: tuple[str, ...] = field(init=False)
    module: ast.Module = field(init=False, repr=False, compare=False)
    locate: Locate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        source = self.source
        if not isinstance(source, str):
            raise ExpressionError(repr(source), f"a script must be a string, not {type_name(source)}")
        text = textwrap.dedent(source)
        # Positions are offsets in the text as written; a dedented script has none to offer.
        locate = _locator(text, 0) if text == source else _nowhere
        module = _parse(source, text, "exec", locate, 0)
        object.__setattr__(self, "targets", check_script(source, module, locate))
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "locate", locate)

    def run(self, variables: Mapping[str, object]) -> dict[str, object]:
        """Run the statements in order over a copy of ``variables``; return the assigned values.

        Later statements see earlier assignments. The result maps each of ``targets`` to its
        final value as a plain JSON value; ``variables`` itself is never modified.
        """
        evaluation = Evaluation(self.source, variables, self.locate)
        scope = Scope(evaluation)
        with _guarded(evaluation.budget):
            for statement in self.module.body:
                _execute(statement, scope)
            return {name: export_value(evaluation.assigned[name], evaluation.budget) for name in self.targets}


def compile_script(text: str) -> PythonScript:
    """Compile an assignment script; raise :class:`ExpressionError` for anything else.

    A script with another kind of statement (``if``, ``for``, ``def``, ``import``, ``del``, a call
    such as ``print(x)``) fails with a reason saying it "is not an assignment script"; an
    assignment whose expression is outside the supported subset fails with that expression's reason.
    An empty or ``pass``-only script is valid and assigns nothing.
    """
    return PythonScript(text)


def is_assignment_script(text: str) -> bool:
    """Whether ``text`` is a script the engine runs itself (:func:`compile_script` accepts it).

    False for anything else: other statements, syntax errors, and assignments using functions or
    syntax outside the supported subset. Such scripts are left to a worker (jobs of type
    ``script:python``).
    """
    try:
        compile_script(text)
    except ExpressionError:
        return False
    return True


# -- parsing ------------------------------------------------------------------------------------------


def _parse(source: str, text: str, mode: str, locate: Locate, base: int) -> ast.Module | ast.Expression:
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            source, f"the source is {len(source)} characters long, more than the limit of {MAX_EXPRESSION_LENGTH}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings ("is" with a literal…) are not errors here
            return ast.parse(text, mode=mode)
    except SyntaxError as error:
        position = None
        if error.lineno is not None and error.offset is not None and text == source[base : base + len(text)]:
            lines = _LINES.findall(text)
            if 0 < error.lineno <= len(lines):
                position = base + sum(len(line) for line in lines[: error.lineno - 1]) + max(error.offset - 1, 0)
        raise ExpressionError(source, f"invalid Python syntax: {error.msg}", position) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            source, f"the source is nested too deeply to parse (the limit is {MAX_NESTING_DEPTH} levels)"
        ) from None
    except ValueError as error:  # a null character
        raise ExpressionError(source, f"invalid Python source: {error}") from None


def _locator(text: str, base: int) -> Locate:
    lines = _LINES.findall(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def locate(node: ast.AST) -> int | None:
        if not isinstance(node, ast.expr | ast.stmt | ast.keyword):
            return None
        line_number, column = node.lineno, node.col_offset
        if not 0 < line_number <= len(lines):
            return None
        line = lines[line_number - 1]
        characters = len(line.encode("utf-8")[:column].decode("utf-8", "ignore"))  # col_offset counts bytes
        return base + starts[line_number - 1] + characters

    return locate


def _nowhere(node: ast.AST) -> int | None:
    return None


class _guarded:
    """Turns any other failure during evaluation (stack, memory, an unforeseen case) into an ExpressionError."""

    def __init__(self, budget: EvaluationBudget) -> None:
        self.budget = budget

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: object) -> bool:
        if kind is None or issubclass(kind, ExpressionError):
            return False
        if issubclass(kind, RecursionError | MemoryError):
            self.budget.fail("the evaluation ran out of resources (recursion or memory)")
        if issubclass(kind, Exception):
            # A case the operators do not foresee still fails as an expression, never as a crash.
            raise fail_for(self.budget, error) from None  # type: ignore[arg-type]
        return False


# -- scripts --------------------------------------------------------------------------------------------


def _execute(statement: ast.stmt, scope: Scope) -> None:
    evaluation = scope.evaluation
    budget = evaluation.budget
    budget.spend()
    try:
        if isinstance(statement, ast.Assign):
            value = evaluate(statement.value, scope)
            for target in statement.targets:
                _assign(target, value, scope)
        elif isinstance(statement, ast.AugAssign):
            target = statement.target
            if isinstance(target, ast.Name):
                current = scope.lookup(target.id)
                evaluation.assigned[target.id] = binary(statement.op, current, evaluate(statement.value, scope), budget)
            else:
                assert isinstance(target, ast.Subscript)
                container = evaluate(target.value, scope)
                key = evaluate(target.slice, scope)
                current = subscript(container, key, budget)
                _store(container, key, binary(statement.op, current, evaluate(statement.value, scope), budget), budget)
                _mark_assigned(target, scope)
    except ExpressionError as error:
        if error.position is None and error.expression == budget.source:
            raise ExpressionError(error.expression, error.reason, evaluation.locate(statement)) from None
        raise


def _assign(target: ast.AST, value: object, scope: Scope) -> None:
    budget = scope.evaluation.budget
    if isinstance(target, ast.Name):
        scope.evaluation.assigned[target.id] = value
    elif isinstance(target, ast.Tuple | ast.List):
        items = value if isinstance(value, list | tuple) else materialize(value, budget)
        expected = len(target.elts)
        if len(items) != expected:
            detail = f"expected {expected})" if len(items) > expected else f"expected {expected}, got {len(items)})"
            many = "too many" if len(items) > expected else "not enough"
            raise fail_for(budget, ValueError(f"{many} values to unpack ({detail}"))
        for element, item in zip(target.elts, items, strict=True):
            _assign(element, item, scope)
    else:
        assert isinstance(target, ast.Subscript)
        container = evaluate(target.value, scope)
        _store(container, evaluate(target.slice, scope), value, budget)
        _mark_assigned(target, scope)


def _store(container: object, key: object, value: object, budget: EvaluationBudget) -> None:
    if isinstance(container, dict):
        container[hashable(key, budget)] = value
        check_collection(len(container), budget, "a dict")
    elif isinstance(container, list):
        if not isinstance(key, int):
            raise fail_for(budget, TypeError(f"list indices must be integers or slices, not {type_name(key)}"))
        try:
            container[key] = value
        except IndexError:
            raise fail_for(budget, IndexError("list assignment index out of range")) from None
    else:
        raise fail_for(budget, TypeError(f"'{type_name(container)}' object does not support item assignment"))


def _mark_assigned(target: ast.Subscript, scope: Scope) -> None:
    root: ast.AST = target
    while isinstance(root, ast.Subscript):
        root = root.value
    assert isinstance(root, ast.Name)
    scope.evaluation.assigned[root.id] = scope.lookup(root.id)
