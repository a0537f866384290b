"""Built-in functions of the expression language, with their null cases."""

from __future__ import annotations

import pytest

from engine.expressions import ExpressionError, compile_expression, evaluate, to_json
from engine.expressions.builtins import BUILTINS
from engine.expressions.lexer import tokenize

VARIABLES = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "amounts": [10, 20.5, 3],
    "words": ["b", "a", "c"],
    "flags": [True, False],
    "order": {"id": "A-1", "note": None, "items": [{"sku": "X"}, {"sku": "Y"}]},
    "nothing": None,
}


def same(actual: object, expected: object) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in actual)
    numbers = isinstance(actual, int | float) and isinstance(expected, int | float)
    return (type(actual) is type(expected) or numbers) and actual == expected


def check(text: str, expected: object) -> None:
    result = to_json(evaluate(text, VARIABLES))
    assert same(result, expected), f"{text!r} gave {result!r}, expected {expected!r}"


STRING_FUNCTIONS = [
    ('=contains(name, "Love")', True),
    ('=contains(name, "love")', False),
    ('=contains(name, "")', True),
    ("=contains(name, 1)", None),
    ('=contains(nothing, "a")', None),
    ('=starts with(name, "Ada")', True),
    ('=starts with(name, "Love")', False),
    ('=starts   with(name, "Ada")', True),  # any whitespace between the words of a name
    ('=ends with(email, ".com")', True),
    ('=ends with(1, "1")', None),
    ("=upper case(name)", "ADA LOVELACE"),
    ("=lower case(name)", "ada lovelace"),
    ("=upper case(1)", None),
    ("=lower case(nothing)", None),
    ("=string length(name)", 12),
    ('=string length("😀")', 1),
    ("=string length(5)", None),
    ('=substring("foobar", 3)', "obar"),
    ('=substring("foobar", 3, 3)', "oba"),
    ('=substring("foobar", -2, 1)', "a"),
    ('=substring("foobar", -10)', "foobar"),
    ('=substring("foobar", 10)', ""),
    ('=substring("foobar", 1, 0)', ""),
    ('=substring("foobar", 0)', None),
    ('=substring("foobar", 1.5)', None),
    ('=substring("foobar", 1, -1)', None),
    ("=substring(nothing, 1)", None),
    ('=substring before(email, "@")', "ada"),
    ('=substring after(email, "@")', "example.com"),
    ('=substring before(email, "#")', ""),
    ('=substring after(email, "#")', ""),
    ('=trim("  padded \\n")', "padded"),
    ("=string(1.50)", "1.5"),
    ("=string(1000)", "1000"),
    ("=string(1e3)", "1000"),
    ("=string(-0.001)", "-0.001"),
    ("=string(true)", "true"),
    ('=string("as is")', "as is"),
    ("=string(null)", None),
    ('=string([1, "a", null])', '[1, "a", null]'),
    ('=string({a: 1, "b c": [true]})', '{"a": 1, "b c": [true]}'),
    ("=string([1..10))", "[1..10)"),
    ("=string join(words)", "bac"),
    ('=string join(words, ", ")', "b, a, c"),
    ('=string join(["a", null, "b"], "-")', "a-b"),
    ('=string join([1, 2], "-")', None),
    ("=string join([])", ""),
    ('=order.id + "-" + string(count(order.items))', "A-1-2"),
]


@pytest.mark.parametrize(("text", "expected"), STRING_FUNCTIONS)
def test_string_functions(text: str, expected: object) -> None:
    check(text, expected)


NUMBER_FUNCTIONS = [
    ('=number("1.50")', 1.5),
    ('=number("-3")', -3),
    ('=number("+2")', 2),
    ('=number("2e3")', 2000),
    ('=number(".5")', 0.5),
    ('=number("1,000")', None),
    ('=number("abc")', None),
    ('=number("")', None),
    ('=number(" 1")', None),
    ('=number("1e99999")', None),
    ("=number(5)", None),
    ("=abs(-3.5)", 3.5),
    ("=abs(3)", 3),
    ('=abs("3")', None),
    ("=floor(1.5)", 1),
    ("=floor(-1.5)", -2),
    ("=floor(1.567, 2)", 1.56),
    ("=ceiling(1.2)", 2),
    ("=ceiling(-1.5)", -1),
    ("=ceiling(1.231, 2)", 1.24),
    ("=floor(123456789012345678901234567890)", 123456789012345678901234567890),
    ("=floor(null)", None),
    ("=decimal(1 / 3, 2)", 0.33),
    ("=decimal(2.5, 0)", 2),  # half even
    ("=decimal(1.5, 0)", 2),
    ("=round half up(2.5, 0)", 3),
    ("=round half up(-2.5, 0)", -3),
    ("=round half down(2.5, 0)", 2),
    ("=round half even(2.45, 1)", 2.4),
    ("=round up(1.21, 1)", 1.3),
    ("=round down(1.29, 1)", 1.2),
    ("=round down(-1.29, 1)", -1.2),
    ("=round up(125, -1)", 130),
    ("=decimal(1.5, 1.5)", None),
    ("=decimal(1, 99999)", None),
    ("=modulo(10, 3)", 1),
    ("=modulo(-7, 3)", 2),
    ("=modulo(7, -3)", -2),
    ("=modulo(7.5, 2)", 1.5),
    ("=modulo(1, 0)", None),
    ("=odd(3)", True),
    ("=odd(-3)", True),
    ("=even(3)", False),
    ("=even(0)", True),
    ("=even(1.5)", None),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_FUNCTIONS)
def test_number_functions(text: str, expected: object) -> None:
    check(text, expected)


LIST_FUNCTIONS = [
    ("=count(amounts)", 3),
    ("=count([])", 0),
    ("=count([1..10])", 10),
    ("=count((1..10))", 8),
    ("=count(5)", None),
    ("=count(nothing)", None),
    ("=sum(amounts)", 33.5),
    ("=sum(1, 2, 3)", 6),
    ("=sum(7)", 7),
    ("=sum([])", None),
    ("=sum([1, null])", None),
    ('=sum([1, "2"])', None),
    ("=sum([1..100])", 5050),
    ("=product([2, 3, 4])", 24),
    ("=mean(amounts)", 11.166666666666666),
    ("=mean(1, 2, 3, 4)", 2.5),
    ("=mean([])", None),
    ("=min(amounts)", 3),
    ("=min(5, 2, 9)", 2),
    ("=min(words)", "a"),
    ("=max(amounts)", 20.5),
    ("=max(words)", "c"),
    ("=max([])", None),
    ('=max([1, "a"])', None),
    ("=max([true])", None),
    ("=min(7)", 7),
    ("=all([true, true])", True),
    ("=all([true, false, null])", False),
    ("=all([true, null])", None),
    ("=all([])", True),
    ("=all(true, true)", True),
    ("=any([false, true])", True),
    ("=any([false, null])", None),
    ("=any([])", False),
    ("=any([false, 1])", None),
    ("=list contains(amounts, 20.5)", True),
    ("=list contains(amounts, 4)", False),
    ("=list contains([1, null], null)", True),
    ('=list contains(order.items.sku, "Y")', True),
    ("=list contains(nothing, 1)", None),
    ("=append([1], 2, 3)", [1, 2, 3]),
    ("=append([], null)", [None]),
    ("=append([1])", [1]),
    ("=append(nothing, 1)", None),
    ("=concatenate([1, 2], [3], [])", [1, 2, 3]),
    ("=concatenate([1], 2)", None),
    (
        '=distinct values([1, 1.0, 2, "a", "a", [1], [1.0], {a: 1}, {a: 1}, null, null])',
        [1, 2, "a", [1], {"a": 1}, None],
    ),
    ("=distinct values([true, 1])", [True, 1]),
    ("=flatten([[1, [2, [3]]], 4, []])", [1, 2, 3, 4]),
    ("=flatten(5)", None),
    ("=reverse(words)", ["c", "a", "b"]),
    ("=index of([1, 2, 1], 1)", [1, 3]),
    ('=index of(words, "z")', []),
    ("=sublist([1, 2, 3, 4], 2)", [2, 3, 4]),
    ("=sublist([1, 2, 3, 4], 2, 2)", [2, 3]),
    ("=sublist([1, 2, 3, 4], -2, 1)", [3]),
    ("=sublist([1, 2, 3, 4], 0)", None),
    ("=is empty([])", True),
    ("=is empty(words)", False),
    ("=is empty(nothing)", None),
]


@pytest.mark.parametrize(("text", "expected"), LIST_FUNCTIONS)
def test_list_functions(text: str, expected: object) -> None:
    check(text, expected)


OTHER_FUNCTIONS = [
    ("=not(true)", False),
    ("=not(false)", True),
    ("=not(null)", None),
    ("=not(1)", None),
    ("=not(not(true))", True),
    ("=is defined(name)", True),
    ("=is defined(nothing)", True),  # exists, with the value null
    ("=is defined(missing)", False),
    ("=is defined(order.note)", True),
    ("=is defined(order.missing)", False),
    ("=is defined(order.id.length)", False),
    ("=is defined(missing.deeper)", False),
    ("=is defined(order.items[2])", True),
    ("=is defined(order.items[3])", False),
    ('=is defined(order.items[sku = "Z"])', True),  # a filter always gives a list
    ("=is defined(order.items.sku)", True),
    ("=is defined(null)", True),
    ("=is defined(1 + 1)", True),
    ("=for x in [1] return is defined(x)", [True]),
    ("=[{a: 1}, {b: 2}][is defined(a)]", [{"a": 1}]),
    ("=not(is defined(order.missing)) and is defined(order.id)", True),
    ('=get value({a: 1, "b-c": 2}, "b-c")', 2),
    ('=get value(order, "id")', "A-1"),
    ('=get value(order, "missing")', None),
    ('=get value("x", "y")', None),
    ("=get entries({a: 1, b: null})", [{"key": "a", "value": 1}, {"key": "b", "value": None}]),
    ("=get entries([])", None),
]


@pytest.mark.parametrize(("text", "expected"), OTHER_FUNCTIONS)
def test_boolean_definedness_and_context_functions(text: str, expected: object) -> None:
    check(text, expected)


MATCHES = [
    ('=matches(email, "^[a-z]+@[a-z]+\\.com$")', True),
    ('=matches(email, "@example")', True),  # anywhere in the string
    ('=matches(email, "^example")', False),
    ('=matches("ABC", "abc")', False),
    ('=matches("ABC", "abc", "i")', True),
    ('=matches("ABC", "[a-c]+$", "i")', True),
    ('=matches("a\\nb", "a.b")', False),
    ('=matches("a\\nb", "a.b", "s")', True),
    ('=matches("x\\nab", "^ab")', False),
    ('=matches("x\\nab", "^ab", "m")', True),
    ('=matches("ab\\n", "ab$")', True),  # as in Java, before a final line break
    ('=matches("2024-05-01", "^\\d{4}-\\d{2}-\\d{2}$")', True),
    ('=matches("2024-5-01", "^\\d{4}-\\d{2}-\\d{2}$")', False),
    ('=matches("abcabc", "^(?:abc){2}$")', True),
    ('=matches("abcab", "^(abc){2,}$")', False),
    ('=matches("color colour", "colou?r")', True),
    ('=matches("cat", "^(dog|cat|bird)$")', True),
    ('=matches("a b", "a\\sb")', True),
    ('=matches("a_1", "^\\w+$")', True),
    ('=matches("a-1", "^\\w+$")', False),
    ('=matches("a-1", "^[\\w-]+$")', True),
    ('=matches("tab\\there", "\\t")', True),
    ('=matches("x", "[^abc]")', True),
    ('=matches("", "^$")', True),
    ('=matches("aaa", "a*?")', True),
    ('=matches("A", "\\u0041")', True),
    ('=matches(1, "1")', None),
    ('=matches("1", null)', None),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES)
def test_matches(text: str, expected: object) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(a", "not closed"),
        ("a)", "unmatched"),
        ("[a", "not closed"),
        ("[]", "empty"),
        ("*a", "nothing to repeat"),
        ("a{2,1}", "n <= m"),
        ("a{5000}", "n <= m"),
        ("a**", "cannot follow"),
        ("a++", "cannot follow"),
        ("(a)\\\\1", "not supported"),
        ("(?=a)", "lookaround"),
        ("\\\\bword", "not supported"),
        ("\\\\p{L}", "not supported"),
        ("[a-[b]]", "invalid"),
        ("[[a]]", "nested"),
        ("[z-a]", "invalid"),
        ("(((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))", "nested deeper"),
        ("(?:a{1000}){1000}", "too complex"),
    ],
)
def test_matches_refuses_invalid_or_unsupported_patterns(pattern: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(f'=matches("a", "{pattern}")', {})


def test_matches_refuses_unknown_flags_and_long_patterns() -> None:
    with pytest.raises(ExpressionError, match="flag 'x'"):
        evaluate('=matches("a", "a", "x")', {})
    with pytest.raises(ExpressionError, match="longer than"):
        evaluate("=matches(s, p)", {"s": "a", "p": "a" * 1001})


def test_every_multi_word_builtin_is_a_phrase_of_the_lexer() -> None:
    for name in BUILTINS:
        tokens = tokenize(name, 0, len(name), juel=False)
        assert [(t.kind, t.value) for t in tokens[:-1]] == [("name", name)], name


def test_every_builtin_checks_its_arity_when_compiling() -> None:
    for name, builtin in BUILTINS.items():
        too_many = builtin.max_arguments + 1 if builtin.max_arguments is not None else None
        for count in (builtin.min_arguments - 1, too_many):
            if count is None or count < 0:
                continue
            arguments = ", ".join(["1"] * count)
            with pytest.raises(ExpressionError, match="takes"):
                compile_expression(f"={name}({arguments})")


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_gives_null_or_a_value_for_odd_arguments(name: str) -> None:
    builtin = BUILTINS[name]
    count = builtin.min_arguments
    for argument in ("null", "true", '"text"', "-1", "[]", "{}", "[1..3]", "[null, 1]"):
        arguments = [argument] * count
        if name == "assert":  # fails by design unless its condition is true
            arguments[1] = "true"
        text = f"={name}({', '.join(arguments)})"
        evaluate(text, {})  # must not raise
