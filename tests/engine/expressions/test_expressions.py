"""The expression language: public API, dialects, operators, paths, filters, errors."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from engine.expressions import (
    COMPILED_CACHE_SIZE,
    Expression,
    ExpressionError,
    FeelRange,
    compile_expression,
    evaluate,
    is_expression,
    to_feel,
    to_json,
)

ORDER_VARIABLES = {
    "order": {
        "id": "A-1001",
        "amount": 120,
        "currency": "EUR",
        "express": True,
        "discount": None,
        "customer": {"name": "Ada", "tier": "gold", "address": {"city": "Berlin", "zip": "10115"}},
        "items": [
            {"sku": "X1", "price": 19.99, "qty": 2},
            {"sku": "Y2", "price": 80, "qty": 1},
            {"sku": "Z3", "price": 0.5, "qty": 10},
        ],
    },
    "approved": True,
    "rejected": False,
    "retries": 2,
    "tags": ["vip", "eu"],
    "score": 0.75,
    "note": None,
    "item": 99,
}


def same(actual: object, expected: object) -> bool:
    """Equality that tells booleans from numbers (True == 1 in Python, not in FEEL)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in actual)
    numbers = isinstance(actual, int | float) and isinstance(expected, int | float)
    return (type(actual) is type(expected) or numbers) and actual == expected


def check(text: str, expected: object, variables: dict | None = None) -> None:
    result = to_json(evaluate(text, ORDER_VARIABLES if variables is None else variables))
    assert same(result, expected), f"{text!r} gave {result!r}, expected {expected!r}"


# -- the public API -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=a > 1", True),
        ("  = a", True),
        ("=", True),
        ("${a > 1}", True),
        ("  ${a}  ", True),
        ("${a} and ${b}", True),  # a whole ${...}; compiling it fails with a clear error
        ("a > 1", False),
        ("PT5M", False),
        ("order-created", False),
        ("$a", False),
        ("${a", False),
        ("", False),
    ],
)
def test_is_expression_recognises_zeebe_and_juel_forms(text: str, expected: bool) -> None:
    assert is_expression(text) is expected


def test_compile_accepts_zeebe_juel_and_bare_feel() -> None:
    for text in ("=retries + 1", "${retries + 1}", "retries + 1", "  =  retries + 1  "):
        expression = compile_expression(text)
        assert expression.source == text
        assert expression.evaluate(ORDER_VARIABLES) == Decimal(3)
    assert compile_expression("${retries}").dialect == "juel"
    assert compile_expression("=retries").dialect == "feel"


def test_compiled_expression_is_reusable_and_immutable() -> None:
    expression = compile_expression("=amount * 2")
    assert isinstance(expression, Expression)
    assert expression.evaluate({"amount": 1}) == 2
    assert expression.evaluate({"amount": 21}) == 42
    with pytest.raises(AttributeError):
        expression.source = "=1"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["=", "", "   ", "${}", "${ }", "= // only a comment"])
def test_an_empty_expression_is_a_syntax_error(text: str) -> None:
    with pytest.raises(ExpressionError, match=r"empty|ends where"):
        compile_expression(text)


def test_evaluate_caches_compiled_expressions_in_a_bounded_cache() -> None:
    from engine.expressions import _compile_cached

    assert _compile_cached.cache_info().maxsize == COMPILED_CACHE_SIZE
    evaluate("=retries * 7", ORDER_VARIABLES)
    hits = _compile_cached.cache_info().hits
    evaluate("=retries * 7", ORDER_VARIABLES)
    assert _compile_cached.cache_info().hits == hits + 1


def test_expression_error_carries_source_reason_and_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("=retries + * 2")
    error = caught.value
    assert error.expression == "=retries + * 2"
    assert error.position == 11
    assert "'*'" in error.reason
    assert "position 11" in str(error)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 -- our own object, round-tripped
    assert (copy.expression, copy.reason, copy.position) == (error.expression, error.reason, error.position)


def test_positions_count_from_the_start_of_the_source_text() -> None:
    for text, position in [("=1 +", 4), ("  =1 +", 6), ("${1 +}", 5), ("=(1", 3), ('="abc', 1)]:
        with pytest.raises(ExpressionError) as caught:
            compile_expression(text)
        assert caught.value.position == position, text


def test_normalised_feel_text_of_a_juel_expression() -> None:
    expression = compile_expression("${a == 1 && !b}")
    assert expression.to_feel_text() == "(a = 1) and not(b)"
    assert compile_expression(expression.to_feel_text()).evaluate({"a": 1, "b": False}) is True


# -- literals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1", 1),
        ("=-2.5", -2.5),
        ("=.5", 0.5),
        ("=1e3", 1000),
        ("=2.5E-1", 0.25),
        ("=007", 7),
        ('="a\\"b"', 'a"b'),
        ('="line\\nbreak\\ttab\\\\"', "line\nbreak\ttab\\"),
        ('="\\u0041\\u00e9"', "Aé"),
        ('="\\ud83d\\ude00"', "😀"),
        ('="\\d+"', "\\d+"),  # unknown escapes stay, for regular expressions
        ('="multi\nline"', "multi\nline"),
        ("=true", True),
        ("=false", False),
        ("=null", None),
        ('=[1, 2, "x", null, [true]]', [1, 2, "x", None, [True]]),
        ("=[]", []),
        ('={a: 1, "b c": 2, "if": 3}', {"a": 1, "b c": 2, "if": 3}),
        ("={}", {}),
        ("={a: 1, b: a + 1, c: {d: b * 2}}", {"a": 1, "b": 2, "c": {"d": 4}}),
        ("=1 /* a comment */ + // another\n 2", 3),
    ],
)
def test_literals(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=[1..10]", FeelRange(Decimal(1), Decimal(10), True, True)),
        ("=(1..10)", FeelRange(Decimal(1), Decimal(10), False, False)),
        ("=]1..10[", FeelRange(Decimal(1), Decimal(10), False, False)),
        ("=[1..10)", FeelRange(Decimal(1), Decimal(10), True, False)),
        ("=(1..10]", FeelRange(Decimal(1), Decimal(10), False, True)),
        ('=["a".."z"]', FeelRange("a", "z", True, True)),
        ('=[1.."z"]', None),
        ("=[1..null]", None),
    ],
)
def test_range_literals(text: str, expected: object) -> None:
    assert evaluate(text, {}) == expected


# -- operators ----------------------------------------------------------------------------------

ARITHMETIC = [
    ("=1 + 2", 3),
    ("=7 - 10", -3),
    ("=2 * 3.5", 7),
    ("=1 / 4", 0.25),
    ("=2 ** 10", 1024),
    ("=2 ** -1", 0.5),
    ("=-2 ** 2", 4),  # negation binds tighter than ** (as in Zeebe)
    ("=2 ** 3 ** 2", 64),  # left-associative
    ("=1 + 2 * 3", 7),
    ("=(1 + 2) * 3", 9),
    ("=10 - 2 - 3", 5),
    ("=2 * 3 / 4", 1.5),
    ("=0.1 + 0.2", 0.3),
    ("=- -3", 3),
    ("=order.amount * 1.19", 142.8),
    ('="a" + "b"', "ab"),
    ('=order.id + "/" + order.currency', "A-1001/EUR"),
    ("=1 / 0", None),
    ("=0 / 0", None),
    ("=(-8) ** 0.5", None),
    ("=10 ** 100000", None),
    ('="a" + 1', None),
    ('=1 + "a"', None),
    ("=1 + null", None),
    ("=null * 2", None),
    ("=true + 1", None),
    ("=[1] + [2]", None),
    ("=-null", None),
    ('=-"a"', None),
    ("=order.missing + 1", None),
]


@pytest.mark.parametrize(("text", "expected"), ARITHMETIC)
def test_arithmetic(text: str, expected: object) -> None:
    check(text, expected)


def test_division_keeps_34_significant_digits() -> None:
    assert evaluate("=1 / 3", {}) == Decimal("0.3333333333333333333333333333333333")
    assert evaluate("=2 / 3 * 3", {}) == Decimal("2.000000000000000000000000000000000")


COMPARISONS = [
    ("=1 < 2", True),
    ("=2 <= 2", True),
    ("=3 > 2", True),
    ("=2 >= 3", False),
    ("=1 = 1.0", True),
    ("=1 != 2", True),
    ('="a" < "b"', True),
    ('="abc" = "abc"', True),
    ('="B" < "a"', True),  # code point order
    ("=true = true", True),
    ("=true != false", True),
    ("=null = null", True),
    ("=null != null", False),
    ("=1 = null", False),
    ("=null != 1", True),
    ("=note = null", True),
    ("=nothing = null", True),
    ("=order.discount = null", True),
    ("=order.missing = null", True),
    ('=1 = "1"', None),
    ('=1 < "2"', None),
    ("=null < 1", None),
    ("=1 >= null", None),
    ("=true < false", None),
    ("=[1, 2] = [1, 2]", True),
    ("=[1, 2] = [2, 1]", False),
    ("=[1, [2]] = [1.0, [2.00]]", True),
    ("={a: 1, b: [2]} = {b: [2], a: 1}", True),
    ("={a: 1} = {a: 2}", False),
    ("={a: 1} = {a: 1, b: 2}", False),
    ("=[1..2] = [1..2]", True),
    ("=[1..2] = [1..2)", False),
    ("=[1] < [2]", None),
    ("=order.amount > 100", True),
    ('=order.customer.tier = "gold"', True),
]


@pytest.mark.parametrize(("text", "expected"), COMPARISONS)
def test_comparisons(text: str, expected: object) -> None:
    check(text, expected)


LOGIC = [
    ("=true and true", True),
    ("=true and false", False),
    ("=false and null", False),
    ("=null and false", False),
    ("=true and null", None),
    ("=null and null", None),
    ("=true or false", True),
    ("=false or false", False),
    ("=true or null", True),
    ("=null or true", True),
    ("=false or null", None),
    ("=1 and true", None),
    ('="yes" or false', None),
    ("=1 or true", True),
    ("=true and true and false or true", True),
    ("=false or true and false", False),  # and binds tighter
    ("=approved and not(rejected)", True),
    ('=approved and order.amount > 100 and order.customer.tier = "gold"', True),
]


@pytest.mark.parametrize(("text", "expected"), LOGIC)
def test_three_valued_logic(text: str, expected: object) -> None:
    check(text, expected)


def test_logic_short_circuits_on_the_deciding_value() -> None:
    # The right side would exceed the step limit if it were evaluated.
    assert evaluate("=false and count(for a in 1..1000, b in 1..1000 return 1) > 0", {}) is False
    assert evaluate("=true or count(for a in 1..1000, b in 1..1000 return 1) > 0", {}) is True


MEMBERSHIP = [
    ("=5 between 1 and 10", True),
    ("=1 between 1 and 10", True),
    ("=10 between 1 and 10", True),
    ("=11 between 1 and 10", False),
    ('="b" between "a" and "c"', True),
    ("=null between 1 and 2", None),
    ("=5 between 1 and null", None),
    ("=0 between 1 and null", False),
    ("=5 between 1 + 1 and 2 * 5", True),
    ("=retries in [1..3]", True),
    ("=retries in (2..3]", False),
    ("=retries in [0..2)", False),
    ("=retries in ]1..3[", True),
    ("=2.5 in [1..3]", True),
    ("=retries in (1, 2, 3)", True),
    ("=retries in (1, 3)", False),
    ("=retries in (< 5)", True),
    ("=retries in (< 1, > 10)", False),
    ("=retries in (<= 2, > 10)", True),
    ("=retries in >= 2", True),
    ("=retries in [1, 2, 3]", True),
    ('="vip" in tags', True),
    ('="us" in tags', False),
    ('=order.customer.tier in ("gold", "platinum")', True),
    ('=order.customer.tier in ["a".."h"]', True),
    ("=null in (1, null)", True),
    ("=null in [1..10]", None),
    ('="a" in [1..10]', None),
    ("=[1, 2] in [[1, 2], [3]]", True),
    ("=retries in (1..3) and true", True),
    ("=5 in [1..1000000000]", True),
    ("=0 in (0..1000000000]", False),
]


@pytest.mark.parametrize(("text", "expected"), MEMBERSHIP)
def test_between_and_in(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1 instance of number", True),
        ('="a" instance of string', True),
        ("=true instance of boolean", True),
        ("=[] instance of list", True),
        ("={} instance of context", True),
        ("=[1..2] instance of range", True),
        ("=null instance of Null", True),
        ("=null instance of Any", False),
        ("=1 instance of Any", True),
        ("=1 instance of string", False),
        ("=order.customer instance of context", True),
    ],
)
def test_instance_of(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=if order.amount > 100 then "manual" else "auto"', "manual"),
        ('=if order.amount > 1000 then "manual" else "auto"', "auto"),
        ('=if null then "a" else "b"', "b"),
        ('=if 1 then "a" else "b"', "b"),
        ("=if retries < 3 then retries + 1 else null", 3),
        ("=1 + if true then 1 else 2", 2),
        ('=if a then "x" else if b then "y" else "z"', "z"),
    ],
)
def test_if_expression(text: str, expected: object) -> None:
    check(text, expected)


ITERATION = [
    ("=for x in [1, 2, 3] return x * 2", [2, 4, 6]),
    ("=for i in 1..3 return i", [1, 2, 3]),
    ("=for i in 3..1 return i", [3, 2, 1]),
    ("=for i in [1..3) return i", [1, 2]),
    ("=for i in (1..3] return i", [2, 3]),
    ("=for i in [1.5..3] return i", None),
    ("=for x in [1, 2], y in [10, 20] return x + y", [11, 21, 12, 22]),
    ("=for x in [1, 2], y in x..2 return [x, y]", [[1, 1], [1, 2], [2, 2]]),
    ("=for item in order.items return item.sku", ["X1", "Y2", "Z3"]),
    ("=for x in [] return x", []),
    ("=for x in null return x", None),
    ("=for x in 5 return x", None),
    ("=for x in [1, 2] return for y in [x] return y", [[1], [2]]),
    ("=sum(for i in order.items return i.price * i.qty)", 124.98),
    ("=some x in [1, 2, 3] satisfies x > 2", True),
    ("=some x in [1, 2, 3] satisfies x > 3", False),
    ("=some x in [] satisfies true", False),
    ("=every x in [1, 2, 3] satisfies x > 0", True),
    ("=every x in [1, null] satisfies x > 0", False),
    ("=every x in [] satisfies false", True),
    ("=some i in order.items satisfies i.price > 50", True),
    ("=every i in order.items satisfies i.qty >= 1", True),
    ("=some x in [1, 2], y in [2, 3] satisfies x = y", True),
    ("=some x in null satisfies true", None),
]


@pytest.mark.parametrize(("text", "expected"), ITERATION)
def test_for_some_every(text: str, expected: object) -> None:
    check(text, expected)


def test_iteration_variables_shadow_and_then_restore_outer_names() -> None:
    check("=[for retries in [7] return retries, retries]", [[7], 2])


# -- paths and filters --------------------------------------------------------------------------

PATHS = [
    ("=order.customer.address.city", "Berlin"),
    ("=order.customer.missing", None),
    ("=order.customer.missing.deeper", None),
    ("=missing.deeper", None),
    ("=order.id.length", None),  # members of a string: there are none
    ("=order.amount.value", None),
    ("=order.items.sku", ["X1", "Y2", "Z3"]),  # projection over a list of contexts
    ("=tags.length", [None, None]),
    ("=order.items[1].sku", "X1"),
    ("=order.items[2]", {"sku": "Y2", "price": 80, "qty": 1}),
    ("=order.items[-1].sku", "Z3"),
    ("=order.items[-3].sku", "X1"),
    ("=order.items[0]", None),
    ("=order.items[4]", None),
    ("=order.items[-4]", None),
    ("=order.items[1.5]", None),
    ("=order.items[retries].sku", "Y2"),
    ("=order.items[count(order.items)].sku", "Z3"),
    ("=order.items[qty > 1].sku", ["X1", "Z3"]),
    ("=order.items[price > 10 and qty < 2].sku", ["Y2"]),
    ("=order.items[item.price < 1].sku", ["Z3"]),
    ("=order.items[missing = 1]", []),
    ('=tags[item = "vip"]', ["vip"]),
    ("=tags[item != null]", ["vip", "eu"]),
    ("=[1, 2, 3, 4][item > 2]", [3, 4]),
    ("=[1, 2, 3, 4][item > 2][1]", 3),
    ("=[{a: 1}, {b: 2}, 5][a = 1]", [{"a": 1}]),
    ("=[[1, 2], [3]][1][2]", 2),
    ("=[1..5][item > 3]", [4, 5]),
    ("=5[1]", 5),
    ("=5[item > 3]", [5]),
    ("=null[1]", None),
    ("={a: {b: 1}}.a.b", 1),
    ("=({a: 1}).a", 1),
    ("=order.`customer`.name", "Ada"),
    ("=`order`.items[1].qty", 2),
    ("=item", 99),  # a variable named item, outside filters
    ("=order.items[item.qty = 1].sku", ["Y2"]),  # inside a filter, item is the element
]


@pytest.mark.parametrize(("text", "expected"), PATHS)
def test_paths_indexes_and_filters(text: str, expected: object) -> None:
    check(text, expected)


def test_backtick_names_reach_variables_that_are_not_identifiers() -> None:
    variables = {"order-id": "A-1", "2fa": True, "a b": {"c-d": 1}}
    check("=`order-id`", "A-1", variables)
    check("=`2fa`", True, variables)
    check("=`a b`.`c-d`", 1, variables)
    check('=get value(`a b`, "c-d")', 1, variables)


def test_paths_convert_only_what_they_reach() -> None:
    variables = {"order": {"id": "A-1", "blob": object()}}
    assert evaluate("=order.id", variables) == "A-1"
    with pytest.raises(ExpressionError, match="not a JSON value"):
        evaluate("=order.blob", variables)
    with pytest.raises(ExpressionError, match="not a JSON value"):
        evaluate("=order", variables)


def test_context_members_never_reach_python_attributes() -> None:
    variables = {"d": {"__class__": "a key", "keys": "another key"}, "s": "text", "n": 1, "xs": [1]}
    check("=d.__class__", "a key", variables)
    check("=d.keys", "another key", variables)
    for text in ("=d.items", "=s.__class__", "=n.__class__.__mro__", "=d.__dict__", "=__class__", "=s.upper"):
        assert evaluate(text, variables) is None, text
    # On a list, a member is taken from each element: numbers have none.
    assert evaluate("=xs.__len__", variables) == [None]
    assert evaluate("=xs.append", variables) == [None]


# -- JUEL style -----------------------------------------------------------------------------------

JUEL = [
    ("${retries == 2}", True),
    ("${retries != 2}", False),
    ("${approved && retries > 1}", True),
    ("${rejected || retries > 5}", False),
    ("${!approved}", False),
    ("${!(retries > 5)}", True),
    ("${not approved}", False),
    ("${not(approved)}", False),
    ("${'single' + \"double\"}", "singledouble"),
    ("${'it\\'s'}", "it's"),
    ("${retries eq 2}", True),
    ("${retries ne 2}", False),
    ("${retries lt 3}", True),
    ("${retries gt 3}", False),
    ("${retries le 2}", True),
    ("${retries ge 3}", False),
    ("${retries > 1 ? 'many' : 'few'}", "many"),
    ("${retries > 5 ? 'many' : retries > 1 ? 'some' : 'few'}", "some"),
    ("${approved and order.amount > 100}", True),
    ("${order.customer.tier == 'gold'}", True),
    ("${order.items[0].sku}", "X1"),  # JUEL indexes from 0 (FEEL's filters still work inside ${})
    ("${{'a': 1}}", {"a": 1}),
]


@pytest.mark.parametrize(("text", "expected"), JUEL)
def test_juel_style_aliases(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("=retries == 2", "single '='"),
        ("=approved && rejected", "use 'and'"),
        ("=approved || rejected", "use 'or'"),
        ("=!approved", "not\\(x\\)"),
        ("='text'", "double quotes"),
        ("=a ? 1 : 2", "not supported"),
        ("=a % 2", "modulo"),
        ("${instanceof}", "instance of"),
        ("${a} and ${b}", "one whole"),
    ],
)
def test_juel_only_syntax_is_refused_in_feel_with_a_hint(text: str, hint: str) -> None:
    with pytest.raises(ExpressionError, match=hint):
        compile_expression(text)


def test_juel_operator_words_are_ordinary_names_in_feel() -> None:
    check("=eq + lt", 3, {"eq": 1, "lt": 2})


# -- compile errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=1 +", "ends where an operand"),
        ("=(1", "expected '\\)'"),
        ("=[1, 2", "expected '\\]'"),
        ("={a: 1", "expected '}'"),
        ("={a 1}", "expected ':'"),
        ("={a: 1, a: 2}", "appears twice"),
        ('="abc', "not closed"),
        ("=`abc", "not closed"),
        ("=/* abc", "not closed"),
        ("=foo(1)", "unknown function 'foo'"),
        ('=eval("1")', "unknown function 'eval'"),
        ("=substring()", "takes 2 to 3 arguments"),
        ("=not(true, false)", "takes 1 argument"),
        ('=substring(string: "a", start position: 1)', "named arguments"),
        ("=1 < 2 < 3", "cannot be chained"),
        ("=1 = 1 = true", "cannot be chained"),
        ("=a.b(1)", "only built-in functions"),
        ("=(a)(1)", "only built-in functions"),
        ("=if a then b", "else"),
        ("=for x in [1] x", "expected 'return'"),
        ("=some x in [1] return x", "expected 'satisfies'"),
        ("=for 1 in [1] return 1", "expected a name"),
        ("=function(x) x + 1", "function definitions"),
        ("=x instance of date", "needs a type"),
        ("=5 between 1 or 10", "expected 'and'"),
        ("=1 2", "the number 2 is not expected"),
        ("=a b", "'b' is not expected"),
        ("=()", "empty parentheses"),
        ("=[1..2", "to close the range"),
        ("=]1, 2]", "followed by '..'"),
        ("=a.1", "expected a name after '.'"),
        ("=1e99999", "out of the range"),
        ("=@", "unexpected character '@'"),
        ("=größe", "ASCII"),
        ("=x % 2", "'%' is not FEEL: use modulo"),
        ("=?", "not supported"),
    ],
)
def test_syntax_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message) as caught:
        compile_expression(text)
    assert caught.value.position is not None


# -- values in and out -----------------------------------------------------------------------------


def test_to_feel_converts_json_values() -> None:
    assert to_feel({"a": [1, 2.5, True, None, "x", (3, 4)]}) == {
        "a": [Decimal(1), Decimal("2.5"), True, None, "x", [Decimal(3), Decimal(4)]]
    }
    assert isinstance(to_feel(True), bool)
    assert to_feel(float("nan")) is None
    assert to_feel(float("inf")) is None
    assert to_feel(0.1) == Decimal("0.1")  # the shortest repr, not the binary expansion
    assert to_feel(10**40) == Decimal(10**40)
    assert to_feel(10**40 + 1) == Decimal(10**40)  # numbers are decimal128: 34 significant digits


@pytest.mark.parametrize("value", [object(), {1: "a"}, {"a": {1, 2}}, b"bytes"])
def test_to_feel_refuses_values_that_are_not_json(value: object) -> None:
    with pytest.raises(ExpressionError):
        to_feel(value)


def test_to_json_converts_feel_values() -> None:
    assert same(to_json(Decimal("2.50")), 2.5)
    assert same(to_json(Decimal("2.0")), 2)
    assert same(to_json(Decimal("1E+3")), 1000)
    assert same(to_json(Decimal("-0")), 0)
    assert same(to_json([Decimal(1), {"a": True}]), [1, {"a": True}])
    assert to_json(Decimal(10**30)) == 10**30  # exact integers stay exact
    with pytest.raises(ExpressionError, match="no JSON form"):
        to_json(FeelRange(Decimal(1), Decimal(2)))
    with pytest.raises(ExpressionError, match="not a FEEL value"):
        to_json(object())


def test_variables_may_be_any_mapping() -> None:
    from collections import ChainMap

    scopes = ChainMap({"local": 1}, {"local": 5, "global": 2})
    assert evaluate("=local + global", scopes) == 3
