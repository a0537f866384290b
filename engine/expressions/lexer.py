"""Source text → tokens, for both dialects (FEEL after ``=``, JUEL style inside ``${…}``).

Names are ASCII identifiers (or any text in backticks). Built-in function names that contain
spaces (``starts with``, ``string length``…) and the operator ``instance of`` are recognised as
known phrases, so the parser sees one name token for them. JUEL aliases (``==``, ``&&``, ``||``,
``!``, ``'…'``, ``eq``…) become their FEEL tokens; in FEEL they are errors with a hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import DecimalException

from engine.expressions.builtins import BUILTINS
from engine.expressions.errors import ExpressionError
from engine.expressions.values import NUMBER_CONTEXT

KEYWORDS = frozenset(
    {
        "and", "or", "if", "then", "else", "for", "in", "return", "some", "every",
        "satisfies", "between", "true", "false", "null", "function",
    }
)  # fmt: skip
"""Words that cannot name a variable (``not`` is a function, so it is not among them)."""

_JUEL_OPERATOR_WORDS = {
    "eq": "=", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
}  # fmt: skip
_JUEL_KEYWORDS = frozenset({"empty"})
_JUEL_UNSUPPORTED_WORDS = {"instanceof": "use 'instance of'"}
JUEL_NAMESPACES = frozenset({"variables", "vars", "var"})
"""Prefixes of Flowable's variable functions: ``variables:get(x)``, ``vars:…``, ``var:…``."""

# Operators, longest first. JUEL-only spellings are mapped (or refused) in _Lexer.operator().
_OPERATORS = (
    "**", "..", "<=", ">=", "!=", "==", "&&", "||",
    "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "/", "%", "<", ">", "=", "!", "?",
)  # fmt: skip
_FEEL_HINTS = {
    "==": "FEEL compares with a single '='",
    "&&": "use 'and'",
    "||": "use 'or'",
    "!": "use not(x)",
    "?": "the input value '?' of unary tests is not supported",
    "%": "use modulo(a, b)",
}

_VALUE_ENDINGS = frozenset({")", "]", "}", "true", "false", "null"})
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PHRASE_GAP = re.compile(r"[ \t\r\n]+")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_SIMPLE_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def _phrases() -> dict[str, list[tuple[str, ...]]]:
    by_first_word: dict[str, list[tuple[str, ...]]] = {}
    names = [name for name in BUILTINS if " " in name] + ["instance of"]
    for name in names:
        words = tuple(name.split(" "))
        by_first_word.setdefault(words[0], []).append(words)
    for candidates in by_first_word.values():
        candidates.sort(key=len, reverse=True)
    return by_first_word


_PHRASES = _phrases()


@dataclass(frozen=True, slots=True)
class Token:
    """One token. ``kind`` is number, string, name, keyword, op, namespace or eof.

    A ``namespace`` token (JUEL only) is a Flowable function name such as ``variables:get``,
    whose ``value`` is the part after the colon.

    ``text`` is the canonical spelling (``=`` for JUEL's ``==``), ``value`` the number, string or
    name the token stands for, ``pos`` its 0-based offset in the source.
    """

    kind: str
    text: str
    value: object
    pos: int


def tokenize(source: str, start: int, end: int, juel: bool) -> list[Token]:
    """Split ``source[start:end]`` into tokens; positions are offsets in the whole ``source``."""
    return _Lexer(source, start, end, juel).run()


class _Lexer:
    def __init__(self, source: str, start: int, end: int, juel: bool) -> None:
        self.source = source
        self.pos = start
        self.end = end
        self.juel = juel
        self.tokens: list[Token] = []

    def fail(self, reason: str, pos: int) -> ExpressionError:
        return ExpressionError(self.source, reason, pos)

    def run(self) -> list[Token]:
        source, end = self.source, self.end
        while True:
            self.skip_blanks()
            if self.pos >= end:
                self.tokens.append(Token("eof", "", None, end))
                return self.tokens
            char = source[self.pos]
            if "0" <= char <= "9" or (
                char == "." and self.pos + 1 < end and "0" <= source[self.pos + 1] <= "9" and not self.after_value()
            ):
                self.number()
            elif char == '"' or (char == "'" and self.juel):
                self.string(char)
            elif char == "'":
                raise self.fail("strings are written in double quotes in FEEL", self.pos)
            elif char == "`":
                self.quoted_name()
            elif char == "_" or ("a" <= char <= "z") or ("A" <= char <= "Z"):
                self.word()
            else:
                self.operator(char)

    def after_value(self) -> bool:
        # After a value, ".5" is a member access that fails (a.5), not the number 0.5.
        if not self.tokens:
            return False
        last = self.tokens[-1]
        return last.kind in ("name", "number", "string") or last.text in _VALUE_ENDINGS

    def skip_blanks(self) -> None:
        source, end = self.source, self.end
        while self.pos < end:
            char = source[self.pos]
            if char.isspace():
                self.pos += 1
            elif source.startswith("//", self.pos):
                newline = source.find("\n", self.pos, end)
                self.pos = end if newline < 0 else newline + 1
            elif source.startswith("/*", self.pos):
                close = source.find("*/", self.pos + 2, end)
                if close < 0:
                    raise self.fail("a comment '/*' is not closed with '*/'", self.pos)
                self.pos = close + 2
            else:
                return

    def number(self) -> None:
        match = _NUMBER.match(self.source, self.pos, self.end)
        assert match is not None  # the caller saw a digit, or '.' and a digit
        text = match.group()
        try:
            value = NUMBER_CONTEXT.create_decimal(text)
        except DecimalException:
            raise self.fail(f"the number {text} is out of the range of FEEL numbers", self.pos) from None
        self.tokens.append(Token("number", text, value, self.pos))
        self.pos = match.end()

    def string(self, quote: str) -> None:
        source, end, start = self.source, self.end, self.pos
        pos = start + 1
        parts: list[str] = []
        while True:
            if pos >= end:
                raise self.fail("a string is not closed", start)
            char = source[pos]
            if char == quote:
                break
            if char != "\\":
                parts.append(char)
                pos += 1
                continue
            escape = source[pos + 1] if pos + 1 < end else ""
            if escape in _SIMPLE_ESCAPES:
                parts.append(_SIMPLE_ESCAPES[escape])
                pos += 2
            elif escape == "u" and _HEX4.fullmatch(source, pos + 2, min(pos + 6, end)):
                parts.append(chr(int(source[pos + 2 : pos + 6], 16)))
                pos += 6
            else:
                # Unknown escapes stay as written, so that regular expressions like "\d+" read naturally.
                parts.append("\\")
                pos += 1
        text = _join_surrogates("".join(parts))
        self.tokens.append(Token("string", source[start : pos + 1], text, start))
        self.pos = pos + 1

    def quoted_name(self) -> None:
        start = self.pos
        close = self.source.find("`", start + 1, self.end)
        newline = self.source.find("\n", start + 1, self.end)
        if close < 0 or (0 <= newline < close):
            raise self.fail("a name in backticks is not closed on its line", start)
        if close == start + 1:
            raise self.fail("a name in backticks is empty", start)
        name = self.source[start + 1 : close]
        self.tokens.append(Token("name", name, name, start))
        self.pos = close + 1

    def word(self) -> None:
        start = self.pos
        match = _WORD.match(self.source, start, self.end)
        assert match is not None
        word, after = match.group(), match.end()
        phrase = self.phrase(word, after)
        if phrase is not None:
            text, after = phrase
            kind = "keyword" if text == "instance of" else "name"
            self.tokens.append(Token(kind, text, text, start))
        elif word in KEYWORDS or (self.juel and word in _JUEL_KEYWORDS):
            self.tokens.append(Token("keyword", word, word, start))
        elif self.juel and word in JUEL_NAMESPACES and (namespaced := self.namespaced(after)) is not None:
            function, after = namespaced
            self.tokens.append(Token("namespace", f"{word}:{function}", function, start))
        elif self.juel and word in _JUEL_OPERATOR_WORDS:
            self.tokens.append(Token("op", _JUEL_OPERATOR_WORDS[word], word, start))
        elif self.juel and word in _JUEL_UNSUPPORTED_WORDS:
            raise self.fail(f"'{word}' is not supported: {_JUEL_UNSUPPORTED_WORDS[word]}", start)
        else:
            self.tokens.append(Token("name", word, word, start))
        self.pos = after

    def namespaced(self, after: int) -> tuple[str, int] | None:
        """After ``variables``: ``:name`` directly, then ``(`` (so ``c ? vars : x`` stays a ternary)."""
        if not self.source.startswith(":", after):
            return None
        match = _WORD.match(self.source, after + 1, self.end)
        if match is None:
            return None
        gap = _PHRASE_GAP.match(self.source, match.end(), self.end)
        following = gap.end() if gap else match.end()
        if not self.source.startswith("(", following) or following >= self.end:
            return None
        return match.group(), match.end()

    def phrase(self, first: str, after: int) -> tuple[str, int] | None:
        for words in _PHRASES.get(first, ()):
            pos = after
            for word in words[1:]:
                gap = _PHRASE_GAP.match(self.source, pos, self.end)
                if gap is None:
                    break
                following = _WORD.match(self.source, gap.end(), self.end)
                if following is None or following.group() != word:
                    break
                pos = following.end()
            else:
                return " ".join(words), pos
        return None

    def operator(self, char: str) -> None:
        start = self.pos
        for operator in _OPERATORS:
            if self.source.startswith(operator, start) and start + len(operator) <= self.end:
                break
        else:
            hint = ""
            if char in "$#":
                hint = "; an attribute holds one whole ${...} expression (write ${a and b}, not ${a} and ${b})"
            elif ord(char) > 127 and char.isalpha():
                hint = "; names are ASCII letters, digits and '_' (write other names in backticks)"
            raise self.fail(f"unexpected character {char!r}{hint}", start)
        if operator in _FEEL_HINTS:
            if not self.juel:
                raise self.fail(f"'{operator}' is not FEEL: {_FEEL_HINTS[operator]}", start)
            if operator == "&&":
                self.tokens.append(Token("keyword", "and", operator, start))
            elif operator == "||":
                self.tokens.append(Token("keyword", "or", operator, start))
            else:
                self.tokens.append(Token("op", "=" if operator == "==" else operator, operator, start))
        else:
            self.tokens.append(Token("op", operator, operator, start))
        self.pos = start + len(operator)


def bracket_depth(text: str, scan: int = 65536) -> int:
    """The deepest nesting of ``( [ {`` in the first ``scan`` characters, brackets in strings included.

    Only used to explain why an over-long text was refused without lexing all of it.
    """
    depth = deepest = 0
    for char in text[:scan]:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return deepest


def _join_surrogates(text: str) -> str:
    # "\ud83d\ude00" written as two escapes means one character; lone surrogates stay as they are.
    if not any("\ud800" <= char <= "\udfff" for char in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
