"""What the corpus tests observed in this session, for the summary at its end
(``tests/corpus/conftest.py``) and for the expectation lines to paste when something changed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    # file name -> "deployed" or the category it was refused under (as expected or not)
    deploys: dict[str, str] = field(default_factory=dict)
    # "<file>#<process id>" -> the state its instance ended in
    runs: dict[str, str] = field(default_factory=dict)
    # toml lines that would make the expectations true again, by table
    suggestions: dict[str, list[str]] = field(default_factory=dict)

    def suggest(self, table: str, line: str) -> None:
        self.suggestions.setdefault(table, []).append(line)


REPORT = Report()
