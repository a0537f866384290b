"""Properties of the expression language, checked with hypothesis."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from decimal import Decimal, DecimalException

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.expressions import (
    ExpressionError,
    FeelRange,
    compile_expression,
    evaluate,
    to_feel,
    to_json,
)
from engine.expressions import nodes as n
from engine.expressions.evaluator import evaluate_tree
from engine.expressions.parser import TYPE_NAMES
from engine.expressions.printer import to_text
from engine.expressions.values import NUMBER_CONTEXT, format_number

# A hang detector per example, hostile or not: examples take milliseconds; a missing limit would
# make one take minutes. Not a speed claim (a tight deadline flakes on a loaded machine).
NO_HANG = settings(deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow])

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=6),
).map(NUMBER_CONTEXT.create_decimal)

DECIMAL_OPERATIONS = {
    "+": NUMBER_CONTEXT.add,
    "-": NUMBER_CONTEXT.subtract,
    "*": NUMBER_CONTEXT.multiply,
    "/": NUMBER_CONTEXT.divide,
    "**": NUMBER_CONTEXT.power,
}


def literal(number: Decimal) -> str:
    text = format_number(number.copy_abs())
    return f"(-{text})" if number < 0 else text


def decimal_result(operator: str, left: Decimal, right: Decimal) -> Decimal | None:
    if operator == "/" and right.is_zero():
        return None
    try:
        return DECIMAL_OPERATIONS[operator](left, right)
    except DecimalException:
        return None


# -- (1) arithmetic and comparison agree with decimal128 ------------------------------------------


@NO_HANG
@given(left=numbers, right=numbers, operator=st.sampled_from(["+", "-", "*", "/"]))
def test_arithmetic_agrees_with_decimal128(left: Decimal, right: Decimal, operator: str) -> None:
    expected = decimal_result(operator, left, right)
    assert evaluate(f"=a {operator} b", {"a": left, "b": right}) == expected
    assert evaluate(f"={literal(left)} {operator} {literal(right)}", {}) == expected


@NO_HANG
@given(base=numbers, exponent=st.integers(min_value=-30, max_value=30).map(Decimal))
def test_exponentiation_agrees_with_decimal128(base: Decimal, exponent: Decimal) -> None:
    assert evaluate("=a ** b", {"a": base, "b": exponent}) == decimal_result("**", base, exponent)


@NO_HANG
@given(left=numbers, right=numbers)
def test_comparisons_agree_with_decimal_order(left: Decimal, right: Decimal) -> None:
    variables = {"a": left, "b": right}
    assert evaluate("=a < b", variables) is (left < right)
    assert evaluate("=a <= b", variables) is (left <= right)
    assert evaluate("=a > b", variables) is (left > right)
    assert evaluate("=a >= b", variables) is (left >= right)
    assert evaluate("=a = b", variables) is (left == right)
    assert evaluate("=a != b", variables) is (left != right)


# -- (4) trichotomy ----------------------------------------------------------------------------------


@NO_HANG
@given(left=numbers, right=numbers)
def test_exactly_one_of_less_equal_greater_holds(left: Decimal, right: Decimal) -> None:
    results = [evaluate(f"=a {operator} b", {"a": left, "b": right}) for operator in ("<", "=", ">")]
    assert all(isinstance(result, bool) for result in results)
    assert results.count(True) == 1


@NO_HANG
@given(st.integers(min_value=-(2**53), max_value=2**53), st.floats(allow_nan=False, allow_infinity=False))
def test_exactly_one_holds_for_json_numbers_too(integer: int, real: float) -> None:
    results = [evaluate(f"=a {operator} b", {"a": integer, "b": real}) for operator in ("<", "=", ">")]
    assert results.count(True) == 1 and results.count(False) == 2


# -- (2) fuzzing: only ExpressionError ever escapes --------------------------------------------------

FUZZ_VARIABLES = {
    "x": 5,
    "y": -2.5,
    "s": "text",
    "xs": [1, 2, {"a": 3}, None, "z"],
    "ctx": {"a": {"b": [1, 2]}, "k": None},
    "flag": True,
    "nothing": None,
}
TOKENS = [
    "1", "0", "2.5", ".5", "1e3", "-", "+", "*", "/", "**", "(", ")", "[", "]", "{", "}", ",", ":", ".",
    "..", "=", "!=", "<", "<=", ">", ">=", "and", "or", "not", "if", "then", "else", "for", "in",
    "return", "some", "every", "satisfies", "between", "instance of", "number", "x", "y", "s", "xs",
    "ctx", "item", "flag", "nothing", "missing", '"str"', '""', "null", "true", "false", "count",
    "sum", "min", "substring", "starts with", "is defined", "string", "matches", "append", "flatten",
    "[1..3]", "(1..3]", "]1..3[", "`a b`", "?", "!", "&&", "||", "==", "'q'", "$", "${", "\\", "//",
    "/*", "*/", '"\\u00', "e", "function", "a.b", "xs[1]", "xs[item > 1]", "ctx.a.b",
]  # fmt: skip

token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)
texts = st.one_of(
    st.text(max_size=300),
    token_soup,
    token_soup.map(lambda text: "=" + text),
    token_soup.map(lambda text: "${" + text + "}"),
)


def assert_feel_value(value: object) -> None:
    if value is None or isinstance(value, bool | Decimal | str | FeelRange):
        return
    if isinstance(value, list):
        for item in value:
            assert_feel_value(item)
        return
    assert isinstance(value, dict), f"not a FEEL value: {type(value).__name__}"
    for key, item in value.items():
        assert isinstance(key, str)
        assert_feel_value(item)


@settings(NO_HANG, max_examples=1500)
@given(texts)
def test_random_text_never_raises_anything_but_expression_error(text: str) -> None:
    try:
        result = evaluate(text, FUZZ_VARIABLES)
    except ExpressionError as error:
        assert isinstance(error.reason, str) and error.reason
        assert error.position is None or 0 <= error.position <= len(text)
        return
    assert_feel_value(result)
    if not isinstance(result, FeelRange):
        with contextlib.suppress(ExpressionError):  # a range inside a list or context has no JSON form
            json.dumps(to_json(result))


# -- (3) JSON values survive the trip through FEEL ----------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)


def json_equal(actual: object, expected: object) -> bool:
    """JSON equality: booleans are not numbers, and 1e300 equals the integer 10**300."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return Decimal(repr(actual)) == Decimal(repr(expected))
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(json_equal(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(json_equal(actual[k], expected[k]) for k in actual)
    return type(actual) is type(expected) and actual == expected


@NO_HANG
@given(json_values)
def test_json_values_round_trip_through_feel(value: object) -> None:
    result = to_json(to_feel(value))
    assert json_equal(result, value)
    assert json.loads(json.dumps(result)) == result


@NO_HANG
@given(json_values)
def test_a_variable_evaluates_to_itself(value: object) -> None:
    assert json_equal(to_json(evaluate("=v", {"v": value})), value)
    assert json_equal(to_json(evaluate("${v}", {"v": value})), value)


# -- (5) printing a tree and parsing it back gives the same value ------------------------------------

TREE_VARIABLES = {
    "a": 3,
    "b": -1.5,
    "s": "hi",
    "xs": [1, 2, 3],
    "ctx": {"k": 1, "t": "x", "in": [True]},
    "people": [{"k": 1, "t": "a"}, {"k": 2, "t": "b"}],
    "flag": True,
    "nothing": None,
}
NAMES = ["a", "b", "s", "xs", "ctx", "people", "flag", "nothing", "missing", "v", "item", "k"]
MEMBERS = ["k", "t", "in", "missing"]
FUNCTIONS = [
    ("not", 1), ("string", 1), ("count", 1), ("sum", 1), ("upper case", 1), ("string length", 1),
    ("abs", 1), ("floor", 1), ("is defined", 1), ("distinct values", 1), ("contains", 2),
    ("substring", 2), ("list contains", 2), ("append", 2), ("min", 2), ("max", 1), ("modulo", 2),
]  # fmt: skip

literals = st.one_of(
    st.none(),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=1000, places=2),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=5),
).map(lambda value: n.Literal(0, value))
leaves = literals | st.sampled_from(NAMES).map(lambda name: n.Name(0, name))
LEVELS = [["+", "-"], ["*", "/"], ["**"]]


def compound(children: st.SearchStrategy[n.Node]) -> st.SearchStrategy[n.Node]:
    arithmetic = st.sampled_from(LEVELS).flatmap(
        lambda operators: st.builds(
            lambda first, rest: n.Arithmetic(0, first, tuple(rest)),
            children,
            st.lists(st.tuples(st.sampled_from(operators), children), min_size=1, max_size=3),
        )
    )
    call = st.sampled_from(FUNCTIONS).flatmap(
        lambda function: st.lists(children, min_size=function[1], max_size=function[1]).map(
            lambda arguments: n.Call(0, function[0], tuple(arguments))
        )
    )
    operation = st.one_of(
        st.sampled_from(MEMBERS).map(lambda name: n.Member(0, name)),
        children.map(lambda condition: n.Filter(0, condition)),
    )
    test = st.builds(lambda operator, operand: n.UnaryTest(0, operator, operand),
                     st.sampled_from([None, "<", "<=", ">", ">="]), children)  # fmt: skip
    return st.one_of(
        arithmetic,
        call,
        st.builds(lambda operand: n.Negation(0, operand), children),
        st.builds(
            lambda op, operands: n.Logic(0, op, tuple(operands)),
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(
            lambda op, left, right: n.Comparison(0, op, left, right),
            st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
            children,
            children,
        ),
        st.builds(lambda value, low, high: n.Between(0, value, low, high), children, children, children),
        st.builds(lambda value, tests: n.In(0, value, tuple(tests)), children, st.lists(test, min_size=1, max_size=3)),
        st.builds(lambda value, name: n.InstanceOf(0, value, name), children, st.sampled_from(sorted(TYPE_NAMES))),
        st.builds(lambda c, a, b: n.If(0, c, a, b), children, children, children),
        st.builds(lambda items: n.ListNode(0, tuple(items)), st.lists(children, max_size=3)),
        st.builds(
            lambda entries: n.ContextNode(0, tuple(entries.items())),
            st.dictionaries(st.sampled_from(["k", "t", "a b", "if"]), children, max_size=3),
        ),
        st.builds(
            lambda start, end, low, high: n.RangeNode(0, start, end, low, high),
            children,
            children,
            st.booleans(),
            st.booleans(),
        ),
        st.builds(
            lambda base, operations: n.Postfix(0, base, tuple(operations)),
            children,
            st.lists(operation, min_size=1, max_size=3),
        ),
        st.builds(
            lambda kind, domain, body: n.Iteration(0, kind, (("v", domain),), body),
            st.sampled_from(["for", "some", "every"]),
            children,
            children,
        ),
    )


trees = st.recursive(leaves, compound, max_leaves=12)


def outcome(run: object) -> tuple[str, object]:
    try:
        return ("value", run())  # type: ignore[operator]
    except ExpressionError as error:
        return ("error", error.reason)


def same_value(left: object, right: object) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


@settings(NO_HANG, max_examples=400)
@given(trees)
def test_printed_trees_parse_back_to_the_same_value(tree: n.Node) -> None:
    text = to_text(tree)
    expression = compile_expression("=" + text)
    assert expression.to_feel_text() == text
    expected = outcome(lambda: evaluate_tree(tree, text, TREE_VARIABLES))
    actual = outcome(lambda: expression.evaluate(TREE_VARIABLES))
    assert expected[0] == actual[0], (text, expected, actual)
    if expected[0] == "value":
        assert same_value(actual[1], expected[1]), (text, expected, actual)
