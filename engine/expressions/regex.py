"""A linear-time regular-expression matcher for ``matches()``.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` runs for ages on a short input and
cannot be interrupted, so it must never see a pattern from a process model. This module compiles
the common subset of Java/XPath regular expressions (which Zeebe's FEEL uses) into a Thompson NFA
and runs it as a Pike VM: time is O(len(text) * len(program)), and the work is charged to the
evaluation budget. No backreferences, lookaround, possessive quantifiers or Unicode properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from engine.expressions.limits import MAX_PATTERN_LENGTH, EvaluationBudget

Predicate = Callable[[str], bool]

_CHAR, _SPLIT, _JUMP, _ASSERT, _MATCH = range(5)

MAX_PROGRAM_SIZE = 10_000
"""Instructions of a compiled pattern (counted repetitions such as ``a{100}`` are expanded)."""
_MAX_REPEAT = 1000
_MAX_GROUP_DEPTH = 32
_FLAGS = frozenset("ism")
_LINE_TERMINATORS = frozenset("\n\r\u0085\u2028\u2029")
_ESCAPABLE = frozenset("\\.*+?()[]{}|^$-/\"'#&~ ")
_SPACE = frozenset(" \t\n\r\f\v")
# One budget step per this many NFA instructions visited (each costs about a microsecond).
_INSTRUCTIONS_PER_STEP = 4


class PatternError(Exception):
    """A pattern that is invalid or outside the supported subset."""


@dataclass(frozen=True)
class Program:
    """A compiled pattern: NFA instructions, and whether ``^``/``$`` match at line breaks."""

    instructions: tuple[tuple, ...]
    multiline: bool

    @property
    def cost(self) -> int:
        """Evaluation steps charged for using the pattern, whether it was compiled or cached."""
        return 1 + len(self.instructions) // _INSTRUCTIONS_PER_STEP


def _digit(char: str) -> bool:
    return "0" <= char <= "9"


def _word(char: str) -> bool:
    return char == "_" or "0" <= char <= "9" or "a" <= char <= "z" or "A" <= char <= "Z"


def _space(char: str) -> bool:
    return char in _SPACE


_CLASS_ESCAPES: dict[str, Predicate] = {
    "d": _digit,
    "D": lambda char: not _digit(char),
    "w": _word,
    "W": lambda char: not _word(char),
    "s": _space,
    "S": lambda char: not _space(char),
}
_CHAR_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, flags: str = "") -> Program:
    """Compile ``pattern`` with ``flags`` (a string of ``i``, ``s``, ``m``); raise PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    unknown = set(flags) - _FLAGS
    if unknown:
        raise PatternError(f"unsupported flag {sorted(unknown)[0]!r}; flags are i, s and m")
    tree = _Parser(pattern, ignore_case="i" in flags, dot_all="s" in flags).parse()
    program: list[tuple | None] = []
    _emit(tree, program)
    program.append((_MATCH,))
    # Every placeholder (None) has been filled in by now.
    return Program(tuple(program), "m" in flags)  # type: ignore[arg-type]


class _Parser:
    def __init__(self, pattern: str, ignore_case: bool, dot_all: bool) -> None:
        self.pattern = pattern
        self.pos = 0
        self.ignore_case = ignore_case
        self.dot_all = dot_all

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def parse(self) -> tuple:
        tree = self.alternation(0)
        if self.pos < len(self.pattern):
            raise PatternError(f"unmatched ')' at position {self.pos}")
        return tree

    def alternation(self, depth: int) -> tuple:
        if depth > _MAX_GROUP_DEPTH:
            raise PatternError(f"groups are nested deeper than {_MAX_GROUP_DEPTH} levels")
        branches = [self.sequence(depth)]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence(depth))
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self, depth: int) -> tuple:
        items = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom(depth)))
        return ("seq", items)

    def atom(self, depth: int) -> tuple:
        char = self.pattern[self.pos]
        self.pos += 1
        if char == "(":
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise PatternError("lookaround, named groups and inline flags are not supported")
            tree = self.alternation(depth + 1)
            if self.peek() != ")":
                raise PatternError("a group '(' is not closed")
            self.pos += 1
            return tree
        if char == "[":
            return ("char", self.fold(_memoized(self.char_class())))
        if char == ".":
            return ("char", (lambda _: True) if self.dot_all else (lambda c: c not in _LINE_TERMINATORS))
        if char in "^$":
            return ("assert", char)
        if char == "\\":
            item = self.escape()
            return ("char", self.fold(_literal(item) if isinstance(item, str) else item))
        if char in "*+?{":
            raise PatternError(f"'{char}' at position {self.pos - 1} has nothing to repeat")
        return ("char", self.fold(_literal(char)))

    def quantified(self, atom: tuple) -> tuple:
        char = self.peek()
        if char == "*":
            low, high = 0, None
        elif char == "+":
            low, high = 1, None
        elif char == "?":
            low, high = 0, 1
        elif char == "{":
            low, high = self.bounds()
        else:
            return atom
        if char != "{":
            self.pos += 1
        if atom[0] == "assert":
            raise PatternError("an anchor cannot be repeated")
        if self.peek() == "?":
            self.pos += 1  # reluctant: the same answer for a yes/no match
        if self.peek() in ("*", "+", "?", "{"):
            raise PatternError("a quantifier cannot follow another quantifier (possessive forms are not supported)")
        return ("repeat", atom, low, high)

    def bounds(self) -> tuple[int, int | None]:
        close = self.pattern.find("}", self.pos)
        text = self.pattern[self.pos + 1 : close] if close > 0 else ""
        low_text, comma, high_text = text.partition(",")
        if not low_text.isdigit() or not (high_text.isdigit() or high_text == ""):
            raise PatternError("'{' must start a quantifier {n}, {n,} or {n,m}")
        low = int(low_text)
        high = low if not comma else (int(high_text) if high_text else None)
        if low > _MAX_REPEAT or (high is not None and (high > _MAX_REPEAT or high < low)):
            raise PatternError(f"a quantifier must satisfy n <= m <= {_MAX_REPEAT}")
        self.pos = close + 1
        return low, high

    def escape(self) -> str | Predicate:
        """A character, or the predicate of a class escape such as ``\\d``."""
        if self.pos >= len(self.pattern):
            raise PatternError("the pattern ends with '\\'")
        char = self.pattern[self.pos]
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char]
        if char in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[char]
        if char == "u":
            digits = self.pattern[self.pos : self.pos + 4]
            if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                self.pos += 4
                return chr(int(digits, 16))
            raise PatternError("'\\u' must be followed by four hexadecimal digits")
        if char in _ESCAPABLE:
            return char
        raise PatternError(f"'\\{char}' is not supported (no backreferences, word boundaries or properties)")

    def char_class(self) -> Predicate:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        classes: list[Predicate] = []
        if self.peek() == "]":
            raise PatternError("a character class is empty")
        while True:
            char = self.peek()
            if char == "":
                raise PatternError("a character class '[' is not closed")
            self.pos += 1
            if char == "]":
                break
            if char == "[":
                raise PatternError("nested character classes are not supported")
            item = self.escape() if char == "\\" else char
            if not isinstance(item, str):
                classes.append(item)
            elif self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                end = self.peek()
                self.pos += 1
                last = self.escape() if end == "\\" else end
                if not isinstance(last, str) or end == "[" or last < item:
                    raise PatternError(f"the character range starting at {item!r} is invalid")
                ranges.append((item, last))
            else:
                chars.add(item)

        def predicate(char: str) -> bool:
            inside = (
                char in chars or any(low <= char <= high for low, high in ranges) or any(test(char) for test in classes)
            )
            return inside != negated

        return predicate

    def fold(self, predicate: Predicate) -> Predicate:
        if not self.ignore_case:
            return predicate
        return _memoized(lambda char: predicate(char) or predicate(char.lower()) or predicate(char.upper()))


def _literal(expected: str) -> Predicate:
    return lambda char: char == expected


_MEMO_SIZE = 4096


def _memoized(predicate: Predicate) -> Predicate:
    # Character classes test ranges one by one; texts use few distinct characters, so remember them.
    memo: dict[str, bool] = {}

    def test(char: str) -> bool:
        known = memo.get(char)
        if known is None:
            known = predicate(char)
            if len(memo) < _MEMO_SIZE:
                memo[char] = known
        return known

    return test


def _emit(tree: tuple, program: list[tuple | None]) -> None:
    if len(program) > MAX_PROGRAM_SIZE:
        raise PatternError("the pattern is too complex (too many repetitions)")
    kind = tree[0]
    if kind == "char":
        program.append((_CHAR, tree[1]))
    elif kind == "assert":
        program.append((_ASSERT, tree[1]))
    elif kind == "seq":
        for item in tree[1]:
            _emit(item, program)
    elif kind == "alt":
        exits = []
        for branch in tree[1][:-1]:
            split = len(program)
            program.append(None)
            _emit(branch, program)
            exits.append(len(program))
            program.append(None)
            program[split] = (_SPLIT, split + 1, len(program))
        _emit(tree[1][-1], program)
        for index in exits:
            program[index] = (_JUMP, len(program))
    else:  # repeat
        _, item, low, high = tree
        for _ in range(low):
            _emit(item, program)
        if high is None:
            loop = len(program)
            program.append(None)
            _emit(item, program)
            program.append((_JUMP, loop))
            program[loop] = (_SPLIT, loop + 1, len(program))
        else:
            for _ in range(high - low):
                split = len(program)
                program.append(None)
                _emit(item, program)
                program[split] = (_SPLIT, split + 1, len(program))


def search(program: Program, text: str, budget: EvaluationBudget) -> bool:
    """Whether the pattern matches anywhere in ``text`` (Java's ``find()``, XPath's ``matches``)."""
    return _Run(program, text).search(budget)


class _Run:
    """One Pike VM run: the set of NFA threads advances over the text one character at a time."""

    def __init__(self, program: Program, text: str) -> None:
        self.instructions = program.instructions
        self.multiline = program.multiline
        self.text = text
        self.marks = [-1] * len(program.instructions)
        self.visited = 0

    def search(self, budget: EvaluationBudget) -> bool:
        instructions = self.instructions
        threads: list[int] = []
        if self.add(threads, 0, 0):
            return True
        for pos, char in enumerate(self.text):
            self.visited = 0
            following: list[int] = []
            for pc in threads:
                if instructions[pc][1](char) and self.add(following, pc + 1, pos + 1):
                    return True
            # A match may also start at the next position.
            if self.add(following, 0, pos + 1):
                return True
            budget.spend(1 + (len(threads) + self.visited) // _INSTRUCTIONS_PER_STEP)
            threads = following
        return False

    def add(self, threads: list[int], start: int, pos: int) -> bool:
        """Add the threads reachable from ``start`` without reading; True when one of them matches."""
        instructions, marks = self.instructions, self.marks
        stack = [start]
        while stack:
            pc = stack.pop()
            if marks[pc] == pos:
                continue
            marks[pc] = pos
            self.visited += 1
            instruction = instructions[pc]
            code = instruction[0]
            if code == _CHAR:
                threads.append(pc)
            elif code == _MATCH:
                return True
            elif code == _JUMP:
                stack.append(instruction[1])
            elif code == _SPLIT:
                stack.append(instruction[2])
                stack.append(instruction[1])
            elif _holds(instruction[1], self.text, pos, self.multiline):
                stack.append(pc + 1)
        return False


def _holds(anchor: str, text: str, pos: int, multiline: bool) -> bool:
    if anchor == "^":
        return pos == 0 or (multiline and text[pos - 1] in _LINE_TERMINATORS)
    # As in Java, '$' also matches before a line break that ends the input.
    end = len(text)
    if pos == end:
        return True
    if multiline:
        return text[pos] in _LINE_TERMINATORS
    return pos == end - 1 and text[pos] in _LINE_TERMINATORS
