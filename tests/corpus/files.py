"""The public BPMN corpus on disk: where it is, and what each file holds, read without the engine.

The corpus is never copied into the repository. It is looked for, in order, at
``$BATON_CORPUS_DIR``, ``<repository>/../shared/corpus`` (CI checks the repository out next to
``shared/``) and ``/work/shared/corpus``.

What a file holds (its processes, which of them are executable, whether it is well-formed XML)
is read here with a plain XML parser, not with Baton's parser, so the test does not take the
engine's word for what it should deploy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
# The id deployed for a file that holds no process at all (the refusal names it).
NO_PROCESS = "corpus-no-process"

# Folder names repeated in many corpus file names, dropped from test ids.
_NOISE = (
    "__tests__SpiffWorkflow__",
    "__src__test__resources__",
    "__src__main__resources__",
    "__test__fixtures__bpmn__",
)
_PROCESS_ID = re.compile(r"<(?:[\w.-]+:)?process\b[^>]*?\bid=\"([^\"]+)\"")


@dataclass(frozen=True)
class Process:
    """A ``<process>`` of a corpus file as written."""

    id: str
    executable: bool  # isExecutable is not "false" (missing means executable)


@dataclass(frozen=True)
class CorpusFile:
    """One corpus file and what a plain XML parser sees in it."""

    name: str
    path: Path
    processes: tuple[Process, ...]
    well_formed: bool

    @property
    def deployable(self) -> tuple[str, ...]:
        """Ids of the processes a user would deploy: executable or without isExecutable."""
        return tuple(p.id for p in self.processes if p.executable)

    @property
    def counted(self) -> bool:
        """Counted in the deploy rate: well-formed, with a process not marked isExecutable=false."""
        return self.well_formed and bool(self.deployable)

    @property
    def attempted(self) -> tuple[str, ...]:
        """The ids the deploy test sends: the deployable ones, else the first process (a
        diagram-only or malformed file must be refused for what it is), else a placeholder."""
        return self.deployable or tuple(p.id for p in self.processes[:1]) or (NO_PROCESS,)


def corpus_candidates() -> list[Path]:
    """The folders looked at, in order."""
    found = [Path(os.environ["BATON_CORPUS_DIR"])] if os.environ.get("BATON_CORPUS_DIR") else []
    return [*found, ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")]


@cache
def corpus_dir() -> Path | None:
    """The corpus folder (the one holding ``models/``), or None when there is none."""
    for candidate in corpus_candidates():
        if (candidate / "models").is_dir():
            return candidate
    return None


def missing_message() -> str:
    """Why the corpus tests skip."""
    looked = ", ".join(str(path) for path in corpus_candidates())
    return f"the public BPMN corpus is not here (looked at {looked}; set BATON_CORPUS_DIR)"


@cache
def corpus_files() -> tuple[CorpusFile, ...]:
    """Every ``.bpmn`` file of the corpus, by name; empty when the corpus is absent."""
    folder = corpus_dir()
    if folder is None:
        return ()
    return tuple(read_file(path) for path in sorted((folder / "models").glob("*.bpmn")))


def read_file(path: Path) -> CorpusFile:
    """What a corpus file holds; a file that is not well-formed keeps the ids a regex finds."""
    data = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        ids = _PROCESS_ID.findall(data.decode("utf-8", errors="replace"))
        return CorpusFile(path.name, path, tuple(Process(i, True) for i in ids), well_formed=False)
    processes = tuple(
        Process(node.get("id", ""), (node.get("isExecutable") or "").strip().lower() != "false")
        for node in root
        if isinstance(node.tag, str) and etree.QName(node).localname == "process"
    )
    return CorpusFile(path.name, path, processes, well_formed=True)


def short_id(name: str) -> str:
    """A readable test id: the file name without the repeated test-data folders and suffix."""
    for noise in _NOISE:
        name = name.replace(noise, "__")
    return name.removesuffix(".bpmn")
