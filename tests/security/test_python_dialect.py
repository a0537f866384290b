"""Escape and exhaustion attempts against the Python dialect: each is an ExpressionError, fast, harmless.

The dialect never calls eval/exec; these inputs are what a hostile model could carry in a
SpiffWorkflow condition or script. Each one must be refused when compiled, or fail within the
step and size limits when evaluated, without touching anything outside the evaluation.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_EVALUATION_STEPS
from engine.expressions.python import compile_python, compile_script, is_assignment_script

# A hang detector, not a speed claim: every input here fails in well under a second; without the
# limits the same inputs would run for minutes or exhaust memory.
HANG_SECONDS = 10.0

VARIABLES = {"x": [1, 2], "s": "text", "d": {"a": 1}}


@contextmanager
def no_hang() -> Iterator[None]:
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_SECONDS, f"took {elapsed:.2f} s: a limit is not enforced"


def refused(text: str, reason: str) -> ExpressionError:
    """Compile and evaluate ``text``; it must fail, fast, with ``reason``."""
    with no_hang(), pytest.raises(ExpressionError, match=reason) as caught:
        compile_python(text).evaluate(VARIABLES)
    assert caught.value.reason, "an error must say why"
    return caught.value


def refused_at_compile(text: str, reason: str) -> None:
    with no_hang(), pytest.raises(ExpressionError, match=reason):
        compile_python(text)


# -- reaching Python's internals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("().__class__.__bases__[0].__subclasses__()", "the attribute '__bases__' is not allowed"),
        ("().__class__", "the attribute '__class__' is not allowed"),
        ("x.__class__", "the attribute '__class__' is not allowed"),
        ("__import__('os').system('id')", "calling '__import__' is not allowed"),
        ("__builtins__", "the name '__builtins__' is not allowed"),
        ("[c for c in __builtins__]", "the name '__builtins__' is not allowed"),
        ("getattr(x, '__class__')", "calling 'getattr' is not allowed"),
        ("globals()", "calling 'globals' is not allowed"),
        ("locals()", "calling 'locals' is not allowed"),
        ("vars()", "calling 'vars' is not allowed"),
        ("dir()", "calling 'dir' is not allowed"),
        ("open('/etc/passwd').read()", "the method 'read' is not allowed|calling 'open' is not allowed"),
        ("open('/etc/passwd')", "calling 'open' is not allowed"),
        ("eval('1')", "calling 'eval' is not allowed"),
        ("exec('x=1')", "calling 'exec' is not allowed"),
        ("compile('1', 'f', 'eval')", "calling 'compile' is not allowed"),
        ("type(x)", "calling 'type' is not allowed"),
        ("type(x).mro()", "the method 'mro' is not allowed|calling 'type' is not allowed"),
        ("breakpoint()", "calling 'breakpoint' is not allowed"),
        ("'{0.__class__}'.format(x)", "the method 'format' is not allowed"),
        ("'{a}'.format_map(d)", "the method 'format_map' is not allowed"),
        ("s.format", r"attribute access \(.format\) is not supported"),
        ("d.get.__self__", "the attribute '__self__' is not allowed"),
        ("(lambda: 1)()", "lambda functions are not supported"),
        ("[y := 1]", r"assignment expressions \(:=\) are not supported"),
        ("sorted(x, key=lambda v: v)", "lambda functions are not supported"),
        ("sorted(x, key=len)", "does not take the keyword argument 'key'"),
        ("dict(__class__=1)", "the keyword '__class__' is not allowed"),
        ("len(**d)", r"argument unpacking \(\*\*kwargs\)"),
        ("f'{x!r:{s}}'", "format specifications in f-strings"),
        ("f'{x:>1000000000}'", "format specifications in f-strings"),
        ("x[0]()", "only the supported functions and methods can be called"),
        ("[f() for f in x]", "calling 'f' is not allowed"),
    ],
)
def test_reaching_python_internals_is_refused_at_compile_time(text: str, reason: str) -> None:
    refused_at_compile(text, reason)


def test_printf_formatting_with_a_mapping_is_refused() -> None:
    refused("'%(a)s' % d", r"printf-style string formatting \(str % values\) is not supported")
    refused("'%1000000000s' % 'a'", "printf-style string formatting")


def test_the_only_callable_things_are_named_builtins_and_whitelisted_methods() -> None:
    refused("len", "the builtin 'len' can only be called")
    refused("[len][0]", "the builtin 'len' can only be called")
    refused("x.count('a') if False else s.lower().upper().join", r"attribute access \(.join\)")


def test_a_generator_can_neither_leave_the_evaluation_nor_be_printed() -> None:
    refused("(i for i in x)", "a generator has no JSON value")
    refused("str(i for i in x)", "a generator has no text")


def test_nothing_outside_the_evaluation_changes(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    attempts = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "exec('import os')",
    ]
    for text in attempts:
        with pytest.raises(ExpressionError):
            compile_python(text).evaluate(VARIABLES)
        assert not is_assignment_script(f"y = {text}")
    assert not marker.exists()
    assert not os.path.exists(marker)


def test_a_script_cannot_reach_python_internals_either() -> None:
    for text in [
        "import os",
        "y = __import__('os')",
        "y = ().__class__",
        "x.__class__ = 1",
        "__builtins__['open'] = 1",
        "def f(): pass",
        "exec('y = 1')",
        "y = (lambda: 1)()",
    ]:
        assert not is_assignment_script(text), text
        with pytest.raises(ExpressionError):
            compile_script(text)


# -- exhausting memory and time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1] * 10**9", "a list of 1000000000 items exceeds the limit of 100000 items"),
        ("10**9 * [1]", "a list of 1000000000 items exceeds the limit"),
        ("'a' * 10**9", "a string of 1000000000 characters exceeds the limit of 1000000 characters"),
        ("('a' * 999999) + ('a' * 999999)", "exceeds the limit of 1000000 characters"),
        ("10**10**10", "an exponent of 10000000000 exceeds the limit of 10000"),
        ("9**9999", "an integer of more than 1000 digits exceeds the limit"),
        ("2**4000", "an integer of more than 1000 digits exceeds the limit"),
        ("1 << 10**9", "an integer of more than 1000 digits exceeds the limit"),
        ("(10**999) * (10**999)", "an integer of more than 1000 digits exceeds the limit"),
        ("int('9' * 5000)", "an integer of more than 1000 digits exceeds the limit"),
        ("round(1, -10**9)", "round\\(\\) to more than 1000 digits is not supported"),
        ("list(range(10**12))", "a range of 1000000000000 items exceeds the limit of 100000 items"),
        ("range(10**12)", "a range of 1000000000000 items exceeds the limit"),
        ("len(range(10**30))", "a range of more than 2\\*\\*63 items exceeds the limit"),
        ("sum(range(10**9))", "a range of 1000000000 items exceeds the limit"),
        ("sum(range(100000)) + sum(range(100000))", f"exceeded the limit of {MAX_EVALUATION_STEPS} steps"),
        ("[x for x in range(10**6) for y in range(10**6)]", "a range of 1000000 items exceeds the limit"),
        ("[i for i in range(1000) for j in range(1000)]", f"exceeded the limit of {MAX_EVALUATION_STEPS} steps"),
        ("any(i < 0 for i in range(1000) for j in range(1000))", "exceeded the limit of"),
        ("('a' * 1000000).replace('a', 'aa')", "a string of 2000000 characters exceeds the limit"),
        ("('a' * 10000).replace('', 'b' * 1000)", "exceeds the limit of 1000000 characters"),
        ("'-'.join(['a' * 1000] * 2000)", "exceeds the limit of 1000000 characters"),
        ("(' ' * 999999).split(' ')", "a list of 1000000 items exceeds the limit"),
        ("str([[1] * 100000] * 100000)", f"exceeded the limit of {MAX_EVALUATION_STEPS} steps"),
        ("[[1] * 100000] * 100000 == [[1] * 100000] * 100000", "exceeded the limit of"),
        ("sorted([[1] * 100000] * 100000)", "exceeded the limit of"),
        ("[[1] * 100000] * 100000", "exceeded the limit of"),
        ("f'{[[1] * 100000] * 100000}'", "exceeded the limit of"),
        ("sum([[1] * 10000] * 100, [])", "a list of 110000 items exceeds the limit of 100000 items"),
        ("'a' in [['a' * 1000] * 100000] * 100000", "exceeded the limit of"),
        ("{(1,) * 100000: 1 for i in range(100)}", "exceeded the limit of"),
    ],
)
def test_exhausting_memory_or_time_fails_fast_at_a_limit(text: str, reason: str) -> None:
    refused(text, reason)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 5000 + "1" + ")" * 5000,
        "-" * 100000 + "1",
        "not " * 50000 + "x",
        "[" * 3000 + "]" * 3000,
        "x" + "[0]" * 2000,
        "1" + " + 1" * 2000,
        "'a' " * 3000,
        "x\x00",
    ],
)
def test_oversized_or_deeply_nested_source_is_refused_without_a_crash(text: str) -> None:
    with no_hang(), pytest.raises(ExpressionError) as caught:
        compile_python(text)
    assert caught.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "-" * 2000 + "1",
        "x" + "[0]" * 500,
        "1" + "+1" * 1000,
        "s" + ".lower()" * 400,
        "1 if x else " * 300 + "1",
        "[" * 199 + "]" * 199,
    ],
)
def test_nesting_within_the_source_length_is_refused_at_the_depth_limit(text: str) -> None:
    with (
        no_hang(),
        pytest.raises(ExpressionError, match=r"nested deeper than the limit of 64 levels|nested too deeply"),
    ):
        compile_python(text)


def test_a_script_that_doubles_a_shared_value_fails_at_a_limit() -> None:
    script = compile_script("a = [1]\n" + "a = [a, a]\n" * 40 + "b = str(a)\n")
    with no_hang(), pytest.raises(ExpressionError, match="exceeded the limit of"):
        script.run({})
    script = compile_script("a = [1]\n" + "a = [a, a]\n" * 300 + "b = str(a)\n")
    with no_hang(), pytest.raises(ExpressionError, match=r"exceeded the limit of|nested deeper"):
        script.run({})
    result_only = compile_script("a = [1]\n" + "a = [a, a]\n" * 300)
    with no_hang(), pytest.raises(ExpressionError, match=r"exceeded the limit of|nested deeper"):
        result_only.run({})


def test_a_script_that_builds_a_cycle_cannot_compare_print_or_store_it() -> None:
    for tail in ["y = a == a", "y = str(a)", "y = sorted([a, a])", ""]:
        script = compile_script(f"a = [1]\na[0] = a\n{tail}")
        with no_hang(), pytest.raises(ExpressionError, match=r"nested deeper than|exceeded the limit of"):
            script.run({})


def test_a_script_that_doubles_a_string_hits_the_string_limit() -> None:
    script = compile_script("s = 'ab'\n" + "s += s\n" * 40)
    with no_hang(), pytest.raises(ExpressionError, match="exceeds the limit of 1000000 characters"):
        script.run({})


def test_huge_or_deep_variables_are_refused_not_crashing() -> None:
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    with no_hang(), pytest.raises(ExpressionError, match="nested deeper than 64 levels"):
        compile_python("len(v)").evaluate({"v": deep})
    with no_hang(), pytest.raises(ExpressionError, match="exceeded the limit of"):
        compile_python("len(v) + len(w)").evaluate({"v": list(range(500_000)), "w": list(range(500_000))})
    with no_hang(), pytest.raises(ExpressionError, match="not finite"):
        compile_python("v").evaluate({"v": float("nan")})
