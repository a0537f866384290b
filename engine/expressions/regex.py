"""Regular expressions for ``matches()``: the Java/XPath syntax FEEL specifies, run by RE2.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` runs for ages on a short input and
cannot be interrupted, so it must never see a pattern from a process model. RE2 (``google-re2``)
matches in time linear in the text. Its syntax is not Java's (which Zeebe's FEEL uses), so this
module reads the supported subset of Java/XPath regular expressions, refuses the rest with a
message for users, and writes the RE2 pattern with Java's meaning: ``.``, ``\\s``, ``^``, ``$``
and line breaks as in Java, ``\\uXXXX`` escapes, and counted repetitions written out (RE2 refuses
nested counts whose product exceeds 1000; ``MAX_PROGRAM_SIZE`` bounds them here instead). No
backreferences, lookaround, possessive quantifiers, word boundaries or Unicode properties;
docs/expressions.md lists every difference from Java and what Baton does about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from engine.expressions.limits import MAX_PATTERN_LENGTH, EvaluationBudget

MAX_PROGRAM_SIZE = 10_000
"""Automaton states of a pattern (counted repetitions such as ``a{100}`` are expanded)."""
_MAX_REPEAT = 1000
_MAX_GROUP_DEPTH = 32
_FLAGS = frozenset("ism")
_ESCAPABLE = frozenset("\\.*+?()[]{}|^$-/\"'#&~ ")
# One budget step per this many automaton states, each time a pattern is used.
_STATES_PER_STEP = 4
# Reading a character costs one step, and one more per this many states: RE2 is fast on a cached
# DFA, but an adversarial text drives it to its NFA, whose time per character grows with the
# pattern (10 to 30 ns per state). With 64 the worst evaluation takes about 0.2 s, as it did with
# the matcher RE2 replaced; patterns below 64 states pay one step per character.
_STATES_PER_CHARACTER_STEP = 64

# Java's line terminators, as the body of an RE2 character class; RE2's multi-line mode knows
# only the first one, "\n".
_LINE_BREAKS = r"\n\r\x{85}\x{2028}\x{2029}"
_OTHER_LINE_BREAKS = r"\r\x{85}\x{2028}\x{2029}"

# RE2 has no lookaround, so an anchor that must hold next to one of the line breaks RE2 does not
# know reads that line break (exact whenever the pattern itself does not read it too).
_ANCHORS = {
    # (anchor, multi-line) -> RE2
    ("^", False): r"\A",
    ("$", False): rf"(?:[{_LINE_BREAKS}]?\z)",  # as in Java, also before a final line break
    ("^", True): rf"(?:(?m:^)|[{_OTHER_LINE_BREAKS}])",
    ("$", True): rf"(?:(?m:$)|[{_OTHER_LINE_BREAKS}])",
}

# ASCII classes as in Java: RE2's [:space:] is [\t\n\v\f\r ], its \s lacks \v.
_CLASS_ESCAPES = {
    "d": "[:digit:]",
    "D": "[:^digit:]",
    "w": "[:word:]",
    "W": "[:^word:]",
    "s": "[:space:]",
    "S": "[:^space:]",
}
_CHAR_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the model author's problem, not the server's

# RE2 reads UTF-8, which has no lone surrogates (a JSON string may hold one): read them as U+FFFD.
_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")


class PatternError(Exception):
    """A pattern that is invalid or outside the supported subset."""


@dataclass(frozen=True)
class Program:
    """A compiled pattern and its size in automaton states."""

    regexp: Any  # re2's compiled pattern (the binding exports no type for it)
    size: int

    @property
    def cost(self) -> int:
        """Evaluation steps charged for using the pattern, whether it was compiled or cached."""
        return 1 + self.size // _STATES_PER_STEP

    @property
    def cost_per_character(self) -> int:
        """Evaluation steps charged per character of the text the pattern reads."""
        return 1 + self.size // _STATES_PER_CHARACTER_STEP


@dataclass(frozen=True)
class _ClassEscape:
    """``\\d``, ``\\w``, ``\\s`` or a negation: an RE2 class body such as ``[:digit:]``."""

    body: str


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, flags: str = "") -> Program:
    """Compile ``pattern`` with ``flags`` (a string of ``i``, ``s``, ``m``); raise PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    unknown = set(flags) - _FLAGS
    if unknown:
        raise PatternError(f"unsupported flag {sorted(unknown)[0]!r}; flags are i, s and m")
    tree = _Parser(pattern, dot_all="s" in flags).parse()
    size = _size(tree)
    if size > MAX_PROGRAM_SIZE:
        raise PatternError("the pattern is too complex (too many repetitions)")
    source = ("(?i)" if "i" in flags else "") + _render(tree, multiline="m" in flags)
    try:
        regexp = re2.compile(source, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"the pattern is too complex ({reason})") from exc
    return Program(regexp, size + 1)  # and the final state that accepts


def search(program: Program, text: str, budget: EvaluationBudget) -> bool:
    """Whether the pattern matches anywhere in ``text`` (Java's ``find()``, XPath's ``matches``).

    Charges for every character read: up to the end of the match, or the whole text. RE2 reads
    no further than the budget pays for (``endpos`` keeps the whole text as context, so ``$``
    still means its end): a match that ends later, or none, exceeds the budget.
    """
    per_character = program.cost_per_character
    affordable = max(budget.remaining(), 0) // per_character
    endpos = None if len(text) <= affordable else affordable
    try:
        match = program.regexp.search(text, 0, endpos)
    except UnicodeEncodeError:
        match = program.regexp.search(text.translate(_SURROGATES), 0, endpos)
    budget.spend((match.end() if match is not None else len(text)) * per_character)
    return match is not None


def full_match(program: Program, text: str, budget: EvaluationBudget) -> bool:
    """Whether the pattern matches the whole of ``text`` (Java's ``String.matches``).

    The whole text is paid for before RE2 reads it.
    """
    budget.spend(program.cost + len(text) * program.cost_per_character)
    try:
        return program.regexp.fullmatch(text) is not None
    except UnicodeEncodeError:
        return program.regexp.fullmatch(text.translate(_SURROGATES)) is not None


def split(program: Program, text: str, budget: EvaluationBudget) -> list[str]:
    """``text`` split around the matches of the pattern, as Java's ``String.split(regex)`` does.

    A zero-width match at the start gives no leading empty part, trailing empty parts are dropped,
    and a text without a match is one part. The whole text is paid for first, then every part.
    """
    budget.spend(program.cost + len(text) * program.cost_per_character)
    try:
        matches = program.regexp.finditer(text)
        read = text
    except UnicodeEncodeError:
        read = text.translate(_SURROGATES)
        matches = program.regexp.finditer(read)
    parts: list[str] = []
    last = 0
    for match in matches:
        if match.end() == 0:
            continue
        budget.spend()
        parts.append(text[last : match.start()])
        last = match.end()
    if not parts:
        return [text]
    parts.append(text[last:])
    while parts and not parts[-1]:
        parts.pop()
    budget.check_items(len(parts))
    return parts


class _Parser:
    """Reads the Java/XPath subset into a tree whose characters are already RE2 text."""

    def __init__(self, pattern: str, dot_all: bool) -> None:
        self.pattern = pattern
        self.pos = 0
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
            return ("char", self.char_class())
        if char == ".":
            return ("char", "(?s:.)" if self.dot_all else f"[^{_LINE_BREAKS}]")
        if char in "^$":
            return ("assert", char)
        if char == "\\":
            item = self.escape()
            return ("char", _literal(item) if isinstance(item, str) else f"[{item.body}]")
        if char in "*+?{":
            raise PatternError(f"'{char}' at position {self.pos - 1} has nothing to repeat")
        return ("char", _literal(char))

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

    def escape(self) -> str | _ClassEscape:
        """A character, or the predicate of a class escape such as ``\\d``."""
        if self.pos >= len(self.pattern):
            raise PatternError("the pattern ends with '\\'")
        char = self.pattern[self.pos]
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return _ClassEscape(_CLASS_ESCAPES[char])
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

    def char_class(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        parts: list[str] = []
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
                parts.append(item.body)
            elif self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                end = self.peek()
                self.pos += 1
                last = self.escape() if end == "\\" else end
                if not isinstance(last, str) or end == "[" or last < item:
                    raise PatternError(f"the character range starting at {item!r} is invalid")
                parts.append(f"{_literal(item)}-{_literal(last)}")
            else:
                parts.append(_literal(item))
        return "[" + ("^" if negated else "") + "".join(parts) + "]"


def _literal(char: str) -> str:
    """A character as RE2 reads it literally, in or outside a class."""
    return char if char.isascii() and char.isalnum() else f"\\x{{{ord(char):x}}}"


def _size(tree: tuple) -> int:
    """Automaton states of a Thompson NFA for the pattern: one per character test or anchor, one
    more per alternative and per optional repetition, two per loop."""
    kind = tree[0]
    if kind in ("char", "assert"):
        return 1
    if kind == "seq":
        return sum(_size(item) for item in tree[1])
    if kind == "alt":
        return sum(_size(branch) for branch in tree[1]) + 2 * (len(tree[1]) - 1)
    _, item, low, high = tree
    size = _size(item)
    return low * size + (size + 2 if high is None else (high - low) * (size + 1))


def _render(tree: tuple, multiline: bool) -> str:
    """The RE2 pattern (checked by ``_size`` first, so written-out repetitions stay small)."""
    kind = tree[0]
    if kind == "char":
        return tree[1]
    if kind == "assert":
        return _ANCHORS[tree[1], multiline]
    if kind == "seq":
        return "".join(_render(item, multiline) for item in tree[1])
    if kind == "alt":
        return "(?:" + "|".join(_render(branch, multiline) for branch in tree[1]) + ")"
    _, item, low, high = tree
    body = "(?:" + _render(item, multiline) + ")"
    return body * low + (body + "*" if high is None else (body + "?") * (high - low))
