"""Hostile JUEL (``${…}`` and ``#{…}``): Java reflection, Camunda's engine objects, Python
dunders, format strings, blow-ups and deep nesting. Each is refused when compiled (the model is
not deployed) or fails within the evaluation limits (an incident); none reaches a Python object,
and none takes more than a fraction of a second.
"""

from __future__ import annotations

import time

import pytest

from engine.expressions import (
    MAX_EVALUATION_STEPS,
    MAX_STRING_LENGTH,
    ExpressionError,
    compile_expression,
    evaluate,
)

pytestmark = pytest.mark.security

FAST = 1.0  # seconds; refusals take milliseconds, this only catches a hang


class Secret:
    """A Python object that must never be opened by an expression."""

    token = "s3cret"

    def __str__(self) -> str:
        return self.token


REFUSED_WHEN_COMPILED = {
    "Runtime.exec through getClass": "${''.getClass().forName('java.lang.Runtime').getRuntime().exec('id')}",
    "getClass on execution": "${execution.getClass()}",
    "getClass deferred": "#{x.getClass()}",
    "dunder member": "#{x.__class__}",
    "dunder chain": "${x.__class__.__mro__[1].__subclasses__()}",
    "dunder method": "${x.__init__()}",
    "class property": "${''.class}",
    "class property on a variable": "${x.class.forName('java.lang.System')}",
    "invoke": "${a.invoke()}",
    "newInstance": "${a.newInstance()}",
    "getRuntime": "${a.getRuntime()}",
    "exec": "${a.exec('id')}",
    "forName": "${a.forName('java.lang.Runtime')}",
    "format string": "${'%s'.format(x)}",
    "repeat blow-up": "${'a'.repeat(1000000000)}",
    "bean method": "${myBean.doSomething(execution)}",
    "engine services": "${execution.getProcessEngineServices().getRuntimeService()}",
    "set a variable": "${execution.setVariable('approved', true)}",
    "engine object": "${execution}",
    "authenticated user": "${authenticatedUserId}",
    "task object": "${task.setAssignee('mallory')}",
    "unknown Flowable function": "${variables:base64(x)}",
    "computed Flowable name": "${variables:get(x.__class__)}",
    "python call syntax": "${x()}",
    "python lambda": "${(lambda: 1)()}",
    "import": "${__import__('os').system('id')}",
    "deep parentheses": "${" + "(" * 5000 + "1" + ")" * 5000 + "}",
    "deep parentheses deferred": "#{" + "(" * 60 + "(" * 10 + "1" + ")" * 70 + "}",
    "deep negation": "${" + "!" * 3000 + "true}",
    "deep empty": "${" + "empty " * 500 + "x}",
    "deep method arguments": "${" + "x.equals(" * 100 + "1" + ")" * 100 + "}",
    "deep variable functions": "${" + "var:getOrDefault(a, " * 100 + "1" + ")" * 100 + "}",
}


@pytest.mark.parametrize("text", REFUSED_WHEN_COMPILED.values(), ids=REFUSED_WHEN_COMPILED.keys())
def test_hostile_juel_is_refused_when_compiled(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert time.perf_counter() - started < FAST
    assert caught.value.reason and "Traceback" not in caught.value.reason


def test_refusals_name_the_method() -> None:
    for text, name in [
        ("${''.getClass().forName('java.lang.Runtime').getRuntime().exec('id')}", "getClass"),
        ("${a.invoke()}", "invoke"),
        ("${'%s'.format(x)}", "format"),
        ("${'a'.repeat(1000)}", "repeat"),
    ]:
        with pytest.raises(ExpressionError, match=f"method '{name}' is not available"):
            compile_expression(text)


BIG = "a" * (MAX_STRING_LENGTH // 2 + 1)

BOUNDED_WHEN_EVALUATED = {
    "replace blow-up": ("${s.replace('a', s)}", {"s": "a" * 2000}),
    "upper case of a huge variable": ("${s.toUpperCase()}", {"s": "a" * (MAX_STRING_LENGTH + 1)}),
    "repeated upper case": ("${" + "s" + ".toUpperCase()" * 40 + "}", {"s": BIG}),
    "split into a huge list": ("${s.split('')}", {"s": "a" * (MAX_EVALUATION_STEPS * 2)}),
    "matches on a huge text": ("${s.matches('(a+)+b')}", {"s": "a" * (MAX_EVALUATION_STEPS * 2)}),
    "keySet of a huge map": ("${m.keySet().size()}", {"m": {str(i): i for i in range(MAX_EVALUATION_STEPS * 2)}}),
    "contains over a huge list": ("${xs.contains(-1)}", {"xs": list(range(MAX_EVALUATION_STEPS * 2))}),
    "flowable contains": ("${var:containsAny(xs, -1, -2, -3)}", {"xs": list(range(MAX_EVALUATION_STEPS // 2))}),
    "unknown method on a type": ("${s.numberValue()}", {"s": "text"}),
    "python object variable": ("${x.toString()}", {"x": Secret()}),
    "python object through execution": ("${execution.getVariable('x').toString()}", {"x": Secret()}),
    "invalid pattern": ("${s.matches('(?<=a)b')}", {"s": "ab"}),
}


@pytest.mark.parametrize(("text", "variables"), BOUNDED_WHEN_EVALUATED.values(), ids=BOUNDED_WHEN_EVALUATED.keys())
def test_costly_juel_fails_within_the_limits(text: str, variables: dict) -> None:
    compile_expression(text)
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        evaluate(text, variables)
    assert time.perf_counter() - started < FAST * 5  # building the test's own variables aside


@pytest.mark.parametrize(
    "text",
    [
        "${x['__class__']}",
        "${x.get('__class__')}",
        "${x.prop('__dict__')}",
        "${x['class']}",
        "${x.getClass}",  # a member of that name: null, not a method
        "${execution.getVariable('__builtins__')}",
        "${variables:get(__builtins__)}",
        "${execution.getVariable('x').keySet()}",
    ],
)
def test_names_that_look_dangerous_only_read_json_members(text: str) -> None:
    result = evaluate(text, {"x": {"a": 1}})
    assert result is None or result == ["a"]
