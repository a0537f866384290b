"""JUEL as Camunda 7 and Flowable models write it: #{…}, operators, methods, Spin, variable functions."""

from __future__ import annotations

import pytest

from engine.expressions import ExpressionError, compile_expression, evaluate, is_expression, to_json
from tests.engine.expressions.test_expressions import same

VARIABLES = {
    "approved": True,
    "customer": {"age": 30, "name": "Ada", "vip": True, "address": None, "tags": ["a", "b"]},
    "items": ["apple", "pear"],
    "empty_list": [],
    "empty_map": {},
    "blank": "",
    "name": " Ada Lovelace ",
    "n": 7,
    "price": 19.99,
    "nothing": None,
}


def check(text: str, expected: object) -> None:
    result = to_json(evaluate(text, VARIABLES))
    assert same(result, expected), f"{text!r} gave {result!r}, expected {expected!r}"


def refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)


def fails(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, VARIABLES)


# -- #{…} ----------------------------------------------------------------------------------------


def test_deferred_syntax_is_the_same_as_immediate() -> None:
    assert is_expression("#{approved}") and is_expression("  #{!approved} ")
    assert compile_expression("#{approved}").dialect == "juel"
    check("#{approved}", True)
    check("#{!approved}", False)
    check("#{n > 5 && approved}", True)


def test_a_hash_that_is_not_a_whole_expression_is_a_literal_or_an_error() -> None:
    assert not is_expression("#approved")
    refused("#{a} and #{b}", "one whole")


# -- operators -----------------------------------------------------------------------------------

OPERATORS = [
    ("${n == 7}", True),
    ("${n != 7}", False),
    ("${n eq 7 and n ne 8}", True),
    ("${n lt 8 && n gt 6 && n le 7 && n ge 7}", True),
    ("${approved || false}", True),
    ("${approved or false}", True),
    ("${!approved}", False),
    ("${not approved}", False),
    ("${not approved == false}", True),  # JUEL: unary 'not' binds tighter than '=='
    ("${n div 2}", 3.5),
    ("${n / 2}", 3.5),
    ("${n mod 3}", 1),
    ("${n % 3}", 1),
    ("${-7 % 3}", -1),  # Java's remainder: the sign of the dividend (FEEL's modulo() differs)
    ("${7 % -3}", 1),
    ("${n % 0}", None),
    ("${n + 1 * 2 - 3}", 6),
    ("${n > 5 ? 'big' : 'small'}", "big"),
    ("${nothing == null}", True),
    ("${nothing != null}", False),
    ("${'a' + \"b\"}", "ab"),  # kept from FEEL; JUEL itself would fail
    ("${price * 100}", 1999),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_juel_operators(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${empty nothing}", True),
        ("${empty missing}", True),
        ("${empty blank}", True),
        ("${empty empty_list}", True),
        ("${empty empty_map}", True),
        ("${empty items}", False),
        ("${empty n}", False),
        ("${!empty items}", True),
        ("${not empty customer.name}", True),
        ("${empty customer.address}", True),
    ],
)
def test_empty_is_true_for_null_and_empty_strings_lists_and_maps(text: str, expected: bool) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${items[0]}", "apple"),
        ("${items[1]}", "pear"),
        ("${items[2]}", None),
        ("${items[-1]}", None),
        ("${customer['name']}", "Ada"),
        ('${customer["tags"][1]}', "b"),
        ("${customer.tags[0]}", "a"),
        ("${customer[n]}", None),
        ("${customer['class']}", None),
    ],
)
def test_brackets_read_map_members_and_list_items_from_zero(text: str, expected: object) -> None:
    check(text, expected)


def test_feel_filters_still_work_inside_juel() -> None:
    check("${items[item == 'pear']}", ["pear"])


# -- methods -------------------------------------------------------------------------------------

METHODS = [
    ("${customer.name.contains('d')}", True),
    ("${customer.name.startsWith('A')}", True),
    ("${customer.name.endsWith('x')}", False),
    ("${customer.name.equals('Ada')}", True),
    ("${customer.name.equalsIgnoreCase('ADA')}", True),
    ("${blank.isEmpty()}", True),
    ("${customer.name.length()}", 3),
    ("${customer.name.toUpperCase()}", "ADA"),
    ("${customer.name.toLowerCase()}", "ada"),
    ("${name.trim()}", "Ada Lovelace"),
    ("${name.trim().substring(4)}", "Lovelace"),
    ("${name.trim().substring(0, 3)}", "Ada"),
    ("${name.substring(5, 2)}", None),
    ("${name.indexOf('L')}", 5),
    ("${name.indexOf('z')}", -1),
    ("${customer.name.matches('A.a')}", True),
    ("${customer.name.matches('A')}", False),  # Java's matches: the whole string
    ("${name.trim().replace('a', 'o')}", "Ado Loveloce"),
    ("${'a,b,,c,,'.split(',')}", ["a", "b", "", "c"]),
    ("${'a1b22c'.split('\\d+')}", ["a", "b", "c"]),
    ("${items.contains('pear')}", True),
    ("${items.size()}", 2),
    ("${items.isEmpty()}", False),
    ("${items.get(0)}", "apple"),
    ("${items.get(5)}", None),
    ("${items.indexOf('pear')}", 1),
    ("${customer.containsKey('age')}", True),
    ("${customer.get('age')}", 30),
    ("${customer.size()}", 5),
    ("${empty_map.isEmpty()}", True),
    ("${customer.keySet()}", ["age", "name", "vip", "address", "tags"]),
    ("${customer.tags.equals(['a', 'b'])}", True),
    ("${n.toString()}", "7"),
    ("${price.intValue()}", 19),
    ("${price.longValue()}", 19),
    ("${price.doubleValue()}", 19.99),
    ("${nothing.contains('x')}", None),
]


@pytest.mark.parametrize(("text", "expected"), METHODS)
def test_whitelisted_methods_on_values(text: str, expected: object) -> None:
    check(text, expected)


SPIN = [
    ('${customer.prop("age").numberValue() >= 21}', True),
    ('${customer.prop("name").stringValue()}', "Ada"),
    ('${customer.prop("vip").boolValue()}', True),
    ('${customer.hasProp("age")}', True),
    ('${customer.hasProp("zip")}', False),
    ('${customer.prop("address").isNull()}', True),
    ('${customer.prop("tags").elements().size()}', 2),
    ('${customer.prop("age").value()}', 30),
    ('${customer.prop("tags").isArray()}', True),
    ("${customer.fieldNames().size()}", 5),
]


@pytest.mark.parametrize(("text", "expected"), SPIN)
def test_camunda_spin_json_api(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${x.getClass()}", "method 'getClass' is not available"),
        ("${x.forName('a')}", "method 'forName' is not available"),
        ("${x.exec('id')}", "method 'exec' is not available"),
        ("${x.__class__}", "property '__class__' is not available"),
        ("${x.class}", "property 'class' is not available"),
        ("${items.size(1)}", "takes 0 arguments, not 1"),
        ("${myBean.doSomething(execution)}", "method 'doSomething' is not available"),
    ],
)
def test_methods_outside_the_whitelist_are_refused_when_compiling(text: str, message: str) -> None:
    refused(text, message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${customer.name.numberValue()}", "'numberValue' is not available on a string"),
        ("${n.size()}", "'size' is not available on a number"),
        ("${items.containsKey('a')}", "'containsKey' is not available on a list"),
        ("${customer.name.matches('(a')}", "matches\\(\\)"),
    ],
)
def test_a_method_the_value_does_not_have_is_an_evaluation_error(text: str, message: str) -> None:
    compile_expression(text)
    fails(text, message)


# -- execution and Flowable's variable functions -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${execution.getVariable('n')}", 7),
        ("${execution.getVariable(\"customer\").prop('age')}", 30),
        ("${execution.getVariableLocal('n')}", 7),
        ("${execution.hasVariable('n')}", True),
        ("${execution.hasVariable('missing')}", False),
        ("${execution.hasVariable('nothing')}", True),
        ("${execution.getVariable('missing')}", None),
        ("${execution.getVariable('cust' + 'omer').name}", "Ada"),
    ],
)
def test_execution_reads_variables(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${execution.getProcessInstanceId()}", "execution.getProcessInstanceId\\(\\) is not supported"),
        ("${execution.setVariable('a', 1)}", "execution.setVariable\\(\\) is not supported"),
        ("${execution}", "object of the Camunda engine"),
        ("${execution.id}", "object of the Camunda engine"),
        ("${execution.getVariable()}", "takes 1 argument"),
        ("${authenticatedUserId}", "object of the Camunda engine"),
        ("${task.getAssignee()}", "object of the Camunda engine"),
    ],
)
def test_other_uses_of_camunda_objects_are_refused(text: str, message: str) -> None:
    refused(text, message)


def test_a_variable_called_task_is_still_readable() -> None:
    assert to_json(evaluate("${task.name}", {"task": {"name": "review"}})) == "review"


FLOWABLE = [
    ("${variables:get(n)}", 7),
    ("${variables:get('n')}", 7),
    ('${variables:get("n") == 7}', True),
    ("${vars:get(missing)}", None),
    ("${var:getOrDefault(missing, 5)}", 5),
    ("${var:getOrDefault(nothing, 5)}", 5),
    ("${var:getOrDefault(n, 5)}", 7),
    ("${variables:exists(n)}", True),
    ("${variables:exists(nothing)}", True),
    ("${variables:exists(missing)}", False),
    ("${variables:isEmpty(blank)}", True),
    ("${variables:empty(missing)}", True),
    ("${variables:isNotEmpty(items)}", True),
    ("${variables:notEmpty(empty_list)}", False),
    ("${variables:equals(n, 7)}", True),
    ("${variables:eq(nothing, null)}", True),
    ("${variables:equals(missing, 7)}", False),
    ("${variables:notEquals(n, 7)}", False),
    ("${variables:ne(missing, 7)}", True),
    ("${var:contains(items, 'apple')}", True),
    ("${var:contains(items, 'apple', 'kiwi')}", False),
    ("${var:containsAny(items, 'kiwi', 'pear')}", True),
    ("${var:contains(name, 'Love')}", True),
    ("${var:contains(missing, 'x')}", False),
    ("${variables:lowerThan(n, 10)}", True),
    ("${variables:lt(n, 7)}", False),
    ("${variables:lessThan(n, 8)}", True),
    ("${variables:lte(n, 7)}", True),
    ("${variables:lowerThanOrEquals(n, 6)}", False),
    ("${variables:gt(n, 6)}", True),
    ("${variables:greaterThan(missing, 6)}", False),
    ("${variables:gte(n, 7)}", True),
    ("${variables:greaterThanOrEquals(n, 8)}", False),
    ("${approved ? vars:get(n) : 0}", 7),
]


@pytest.mark.parametrize(("text", "expected"), FLOWABLE)
def test_flowable_variable_functions(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${variables:base64(n)}", "unknown function 'variables:base64'"),
        ("${variables:get(customer.name)}", "is a variable name, written bare or quoted"),
        ("${variables:get(1)}", "is a variable name"),
        ("${variables:get(n, 1)}", "takes 1 arguments, not 2"),
        ("${variables:contains(n)}", "takes at least 2 arguments"),
        ("=variables:get(n)", "':' is not expected|not expected"),
    ],
)
def test_variable_functions_are_checked_when_compiling(text: str, message: str) -> None:
    refused(text, message)


def test_the_ternary_with_a_variable_called_vars_still_parses() -> None:
    assert to_json(evaluate("${approved ? vars : 0}", {"approved": True, "vars": 3})) == 3


def test_normalised_text_keeps_juel_only_constructs() -> None:
    text = compile_expression("${empty items || items.size() % 2 == 0 || var:exists(x)}").to_feel_text()
    assert "empty items" in text and ".size()" in text and "%" in text and 'variables:exists("x")' in text


# -- FEEL: assert() and != null ------------------------------------------------------------------


def test_feel_assert_returns_the_value_when_the_condition_holds() -> None:
    assert evaluate("=assert(isCool, isCool != null) = true", {"isCool": True}) is True
    assert to_json(evaluate('=assert(x, x > 1, "x must exceed 1")', {"x": 5})) == 5


def test_feel_assert_fails_with_its_cause() -> None:
    with pytest.raises(ExpressionError, match="assertion failed: x must exceed 1"):
        evaluate('=assert(x, x > 1, "x must exceed 1")', {"x": 0})
    with pytest.raises(ExpressionError, match="assertion failed"):
        evaluate("=assert(isCool, isCool != null) = true", {})


def test_feel_not_equal_null() -> None:
    assert evaluate("=x != null", {"x": True}) is True
    assert evaluate("=x != null", {"x": None}) is False
    assert evaluate("=x != null", {}) is False
    assert evaluate("=null != null", {}) is False
