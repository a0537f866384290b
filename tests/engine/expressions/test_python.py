"""The Python dialect (SpiffWorkflow conditions, timer values and assignment scripts) behaves as Python."""

from __future__ import annotations

import copy

import pytest

from engine.expressions.errors import ExpressionError
from engine.expressions.python import (
    PythonExpression,
    PythonScript,
    compile_python,
    compile_script,
    is_assignment_script,
)

VARIABLES = {
    "answer": "Yes",
    "val": 0,
    "x": 1,
    "skipParallel": False,
    "items": [3, 1, 2],
    "order": {"id": "A-1", "lines": [{"sku": "p", "qty": 2}, {"sku": "q", "qty": 5}]},
    "name": "  Ada Lovelace ",
    "nothing": None,
    "price": 2.5,
}


def ev(text: str, variables: dict | None = None) -> object:
    return compile_python(text).evaluate(VARIABLES if variables is None else variables)


def refused(text: str, reason: str, variables: dict | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError, match=reason) as caught:
        ev(text, variables)
    return caught.value


# -- SpiffWorkflow's own examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("answer == 'Yes'", True),
        ("answer == 'No'", False),
        ("not val", True),
        ("x==1", True),
        ("skipParallel == False", True),
        ('"PT1S"', "PT1S"),
        ("len(items) > 0", True),
        ("  x == 1  ", True),
    ],
)
def test_spiffworkflow_conditions_evaluate_as_in_python(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_the_compiled_expression_is_a_frozen_value_of_the_python_dialect() -> None:
    expression = compile_python("x == 1")
    assert expression == PythonExpression("x == 1")
    assert expression.source == "x == 1"
    assert expression.dialect == "python"
    with pytest.raises(AttributeError):
        expression.source = "y"  # type: ignore[misc]


# -- operators -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 % 3", 2),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("price * 2", 5.0),
        ("-x", -1),
        ("~x", -2),
        ("'a' + 'b'", "ab"),
        ("'ab' * 2", "abab"),
        ("[1] * 3", [1, 1, 1]),
        ("[1] + [2]", [1, 2]),
        ("(1, 2) + (3,)", [1, 2, 3]),
        ("1 < x <= 1 < 2", False),
        ("0 < x < 2", True),
        ("x != 2", True),
        ("'b' > 'a'", True),
        ("[1, 2] < [1, 3]", True),
        ("nothing is None", True),
        ("x is not None", True),
        ("skipParallel is False", True),
        ("'A' in order['id']", True),
        ("3 in items", True),
        ("'id' in order", True),
        ("5 not in items", True),
        ("5 in range(10)", True),
        ("x and 'yes'", "yes"),
        ("val or 'default'", "default"),
        ("val and 1/0", 0),
        ("'big' if x > 0 else 'small'", "big"),
        ("{1, 2} | {2, 3}", [1, 2, 3]),
        ("{'a': 1} | {'b': 2}", {"a": 1, "b": 2}),
        ("6 & 3", 2),
        ("1 << 4", 16),
    ],
)
def test_operators_follow_python(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_chained_comparisons_stop_at_the_first_false_one() -> None:
    assert ev("1 > x > missing") is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("items[0]", 3),
        ("items[-1]", 2),
        ("items[1:]", [1, 2]),
        ("items[::-1]", [2, 1, 3]),
        ("name[2:5]", "Ada"),
        ("order['lines'][1]['qty']", 5),
        ("order['id'][0]", "A"),
        ("(1, 2, 3)[1]", 2),
        ("range(10)[2:4]", [2, 3]),
    ],
)
def test_subscripts_and_slices_reach_into_strings_lists_and_dicts(text: str, expected: object) -> None:
    assert ev(text) == expected


# -- literals, comprehensions, f-strings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 'a', None, True, 2.5]", [1, "a", None, True, 2.5]),
        ("(1, 2)", [1, 2]),
        ("{'a': [1, {'b': None}]}", {"a": [1, {"b": None}]}),
        ("{3, 1, 2}", [1, 2, 3]),
        ("[*items, 4]", [3, 1, 2, 4]),
        ("{**order, 'id': 'B'}['id']", "B"),
        ("{1: 'a', None: 'b', True: 'c'}", {"1": "c", "null": "b"}),
        ("[i * 2 for i in items if i > 1]", [6, 4]),
        ("[(i, j) for i in range(2) for j in range(2) if i != j]", [[0, 1], [1, 0]]),
        ("{line['sku']: line['qty'] for line in order['lines']}", {"p": 2, "q": 5}),
        ("{i % 2 for i in items}", [0, 1]),
        ("sum(line['qty'] for line in order['lines'])", 7),
        ("[k for k, v in order.items() if v == 'A-1']", ["id"]),
        ("f'{answer}, {x + 1} and {items!r}'", "Yes, 2 and [3, 1, 2]"),
        ("f'{name!r}'", "'  Ada Lovelace '"),
    ],
)
def test_literals_comprehensions_and_f_strings(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_comprehension_variables_do_not_leak_nor_overwrite_variables() -> None:
    assert ev("[x for x in items] + [x]") == [3, 1, 2, 1]


def test_generators_short_circuit_like_python() -> None:
    assert ev("any(1 / i > 0 for i in [1, 0])") is True
    assert ev("all(i > 5 for i in [1, 0])") is False


# -- builtins and methods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len('abc')", 3),
        ("len(order)", 2),
        ("str(12) + str(None)", "12None"),
        ("str([1, 'a'])", "[1, 'a']"),
        ("int('42') + int(3.9) + int('ff', 16)", 300),
        ("float('2.5') + float(1)", 3.5),
        ("bool(''), bool([0])", [False, True]),
        ("abs(-3), abs(-2.5)", [3, 2.5]),
        ("round(2.675, 2), round(7.5), round(1234, -2)", [2.67, 8, 1200]),
        ("min(items), max(items), min(4, 2, 3), max([], default=0)", [1, 3, 2, 0]),
        ("sum(items), sum([0.5, 0.25]), sum([[1], [2]], [])", [6, 0.75, [1, 2]]),
        ("any([]), all([]), any([0, 1]), all([1, 0])", [False, True, True, False]),
        ("sorted(items), sorted(items, reverse=True), sorted('bca')", [[1, 2, 3], [3, 2, 1], ["a", "b", "c"]]),
        ("list('ab'), list(range(3)), list(order)", [["a", "b"], [0, 1, 2], ["id", "lines"]]),
        ("tuple(items), set([1, 1])", [[3, 1, 2], [1]]),
        ("dict([('a', 1)], b=2), dict(order)['id']", [{"a": 1, "b": 2}, "A-1"]),
        ("list(range(1, 10, 4)), len(range(5))", [[1, 5, 9], 5]),
        ("reversed(items), enumerate('ab', start=1)", [[2, 1, 3], [[1, "a"], [2, "b"]]]),
        ("zip(items, 'ab')", [[3, "a"], [1, "b"]]),
    ],
)
def test_whitelisted_builtins_behave_as_in_python(text: str, expected: object) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name.strip().lower()", "ada lovelace"),
        ("name.upper().strip()", "ADA LOVELACE"),
        ("name.lstrip(), name.rstrip()", ["Ada Lovelace ", "  Ada Lovelace"]),
        ("answer.startswith('Y'), answer.endswith(('s', 'x'))", [True, True]),
        (
            "'a,b,,c'.split(','), 'a b  c'.split(), 'a-b-c'.split('-', maxsplit=1)",
            [["a", "b", "", "c"], ["a", "b", "c"], ["a", "b-c"]],
        ),
        ("'a-b'.replace('-', '+'), ', '.join(['a', 'b'])", ["a+b", "a, b"]),
        ("'banana'.count('a'), 'banana'.find('n'), 'banana'.index('n')", [3, 2, 2]),
        ("'42'.isdigit(), 'ab'.isalpha(), 'ada'.title(), 'ada'.capitalize()", [True, True, "Ada", "Ada"]),
        ("order.get('id'), order.get('missing'), order.get('missing', 0)", ["A-1", None, 0]),
        ("order.keys(), list(order.values())[0]", [["id", "lines"], "A-1"]),
        ("[k for k, v in {'a': 1}.items()]", ["a"]),
        ("items.count(3), items.index(2), (1, 2).index(2)", [1, 2, 1]),
    ],
)
def test_whitelisted_methods_behave_as_in_python(text: str, expected: object) -> None:
    assert ev(text) == expected


# -- errors say what Python would say ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("missing == 1", "NameError: name 'missing' is not defined"),
        ("1 / val", "ZeroDivisionError: division by zero"),
        ("x // 0", "ZeroDivisionError"),
        ("'a' + 1", r'TypeError: can only concatenate str \(not "int"\) to str'),
        ("order['missing']", "KeyError: 'missing'"),
        ("items[10]", "IndexError: list index out of range"),
        ("1 < 'a'", "TypeError: '<' not supported"),
        ("len(5)", "TypeError: object of type 'int' has no len()"),
        ("int('abc')", "ValueError: invalid literal for int()"),
        ("x.lower()", "AttributeError: 'int' object has no attribute 'lower'"),
        ("items.get(1)", "AttributeError: 'list' object has no attribute 'get'"),
        ("[1] in {1: 2}", "TypeError: unhashable type: 'list'"),
        ("5 in x", "TypeError: argument of type 'int' is not iterable"),
        ("[a for a, b in [1]]", "TypeError: 'int' object is not iterable"),
        ("[a for a, b in [(1, 2, 3)]]", r"ValueError: too many values to unpack \(expected 2\)"),
        ("min([])", "ValueError: min\\(\\) arg is an empty sequence"),
        ("sorted([1, 'a'])", "TypeError: '<' not supported"),
        ("len", "the builtin 'len' can only be called"),
        ("float('inf')", "not a finite number"),
        ("2.0 ** 5000", "OverflowError"),
        ("1e308 * 10", "not a finite number"),
        ("x is 1", "'is' compares only with None, True or False"),
    ],
)
def test_evaluation_errors_are_expression_errors_with_python_reasons(text: str, reason: str) -> None:
    refused(text, reason)


def test_an_error_points_at_the_failing_sub_expression() -> None:
    error = refused("x + (1 / val)", "division by zero")
    assert error.position == 5
    assert error.expression == "x + (1 / val)"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x ==", "invalid Python syntax"),
        ("", "the expression is empty"),
        ("foo(1)", "calling 'foo' is not allowed; the supported functions are abs, all"),
        ("sorted(items, key=len)", r"sorted\(\) does not take the keyword argument 'key'"),
        ("items.append(1)", "the method 'append' is not allowed"),
        ("order.id", r"attribute access \(.id\) is not supported"),
        ("len(*items)", r"argument unpacking \(\*args\)"),
        ("f'{x:>10}'", "format specifications in f-strings"),
        ("'%s' % x", None),
        ("1j", "complex numbers are not supported"),
        ("b'a'", "bytes literals are not supported"),
        ("x @ x", "the operator @ is not supported"),
        ("items[0]()", "only the supported functions and methods can be called"),
    ],
)
def test_unsupported_syntax_is_refused_with_a_clear_reason(text: str, reason: str | None) -> None:
    if reason is None:  # refused only when evaluated: the left operand might not be a string
        refused(text, r"printf-style string formatting \(str % values\) is not supported")
    else:
        with pytest.raises(ExpressionError, match=reason):
            compile_python(text)


def test_numbers_keep_their_python_type_and_modulo_of_numbers_works() -> None:
    assert ev("7 % 4") == 3
    assert isinstance(ev("4 / 2"), float)
    assert isinstance(ev("True + 1"), int)


def test_evaluation_never_modifies_the_variables() -> None:
    variables = copy.deepcopy(VARIABLES)
    ev("sorted(items) + [order.get('lines')]", variables)
    assert variables == VARIABLES


def test_variables_that_are_not_json_are_refused() -> None:
    refused("len(v)", "a variable of type object is not a JSON value", {"v": [object()]})


# -- scripts -------------------------------------------------------------------------------------------


def test_a_script_runs_its_assignments_in_order_and_returns_only_them() -> None:
    script = compile_script("y = x + 1\nz = w = y * 2\nz += 1\ntotal = sum(items)\n")
    assert isinstance(script, PythonScript)
    assert script.targets == ("y", "z", "w", "total")
    assert script.run(VARIABLES) == {"y": 2, "z": 5, "w": 4, "total": 6}


def test_a_script_assigns_items_of_variables_without_changing_the_callers_values() -> None:
    variables = copy.deepcopy(VARIABLES)
    script = compile_script("order['status'] = 'done'\norder['lines'][0]['qty'] += 1\nitems[0] = 9")
    assert script.targets == ("order", "items")
    result = script.run(variables)
    assert result["order"]["status"] == "done"
    assert result["order"]["lines"][0]["qty"] == 3
    assert result["items"] == [9, 1, 2]
    assert variables == VARIABLES


def test_a_script_unpacks_tuples_and_reassigns_variables() -> None:
    assert compile_script("a, b = 1, 2\na, b = b, a\nx = x + 10").run(VARIABLES) == {"a": 2, "b": 1, "x": 11}


def test_an_indented_script_from_a_model_file_is_dedented() -> None:
    assert compile_script("\n    a = 1\n    b = a + 1\n").run({}) == {"a": 1, "b": 2}


@pytest.mark.parametrize("text", ["", "pass", "\n\n", "'''A docstring.'''\npass"])
def test_an_empty_script_assigns_nothing(text: str) -> None:
    script = compile_script(text)
    assert script.targets == ()
    assert script.run(VARIABLES) == {}
    assert is_assignment_script(text)


@pytest.mark.parametrize(
    "text",
    [
        "if x:\n    y = 1",
        "for i in items:\n    y = i",
        "while True:\n    pass",
        "def f():\n    pass",
        "import os",
        "from os import path",
        "print(x)",
        "del x",
        "y = 1\nprint(y)",
        "with x:\n    pass",
        "try:\n    y = 1\nexcept Exception:\n    pass",
        "y: int = 1",
    ],
)
def test_other_statements_are_not_assignment_scripts(text: str) -> None:
    assert not is_assignment_script(text)
    with pytest.raises(ExpressionError, match="is not an assignment script"):
        compile_script(text)


def test_an_assignment_outside_the_subset_is_refused_for_its_expression() -> None:
    assert not is_assignment_script("y = open('f')")
    with pytest.raises(ExpressionError, match="calling 'open' is not allowed"):
        compile_script("y = open('f')")
    assert not is_assignment_script("x ==")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("y = missing", "NameError: name 'missing' is not defined"),
        ("x['k'] = 1", "TypeError: 'int' object does not support item assignment"),
        ("items[5] = 1", "IndexError: list assignment index out of range"),
        ("items['a'] = 1", "TypeError: list indices must be integers or slices, not str"),
        ("a, b = [1]", r"ValueError: not enough values to unpack \(expected 2, got 1\)"),
        ("y = 1\ny += 'a'", "TypeError: unsupported operand"),
    ],
)
def test_script_errors_are_expression_errors(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=reason):
        compile_script(text).run(VARIABLES)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("items[1:] = [1]", "assigning to a slice is not supported"),
        ("f(x)['a'] = 1", "only items of variables can be assigned"),
        ("x.y = 1", "cannot assign to"),
        ("__x = 1", "names starting with '__' are reserved"),
    ],
)
def test_unsupported_assignment_targets_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=reason):
        compile_script(text)
