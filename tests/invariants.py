"""Invariants of a Baton database that hold after any sequence of commands, crashes and retries.

``violations(conn)`` reads the whole database and returns one line per broken invariant (an
empty list when everything is consistent); ``assert_consistent(url)`` fails a test with them.
The fault tests run it after every scenario; it needs nothing but a connection, so it can check
a production database as well (read-only queries).

What is checked:

- every element instance belongs to an existing process instance, and its parent element
  instance exists and belongs to the same process instance;
- ``ended_at`` is set exactly when the state is an end state (element and process instances);
- an ended process instance has no active element instance, an ended scope no active child;
- every process instance has at most one process scope, and a COMPLETED instance's is COMPLETED;
- no job is open (CREATED/LOCKED) for an ended process or element instance, an element instance
  has at most one open job and at most one DONE job per job type;
- no engine task is still CREATED for an ended process instance;
- a job or task has at most one unresolved incident;
- the trace (``event``) matches the states: every element instance has exactly one CREATED
  event, no state is recorded twice for one element instance, the last recorded state is the
  current one, and no event names a missing element instance;
- no parallel join fired twice: in each scope, the join instances that continued (have a
  successor) times the number of incoming flows is at most the number of arrivals.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

# (what is wrong, a query returning one row per violation)
_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "element instance without its process instance",
        """SELECT ei.partition, ei.id FROM element_instance ei
           LEFT JOIN process_instance pi ON pi.partition = ei.partition AND pi.id = ei.process_instance_id
           WHERE pi.id IS NULL""",
    ),
    (
        "element instance without its parent",
        """SELECT ei.partition, ei.id, ei.parent_id FROM element_instance ei
           LEFT JOIN element_instance p ON p.partition = ei.partition AND p.id = ei.parent_id
           WHERE ei.parent_id IS NOT NULL AND (p.id IS NULL OR p.process_instance_id <> ei.process_instance_id)""",
    ),
    (
        "element instance whose ended_at disagrees with its state",
        """SELECT partition, id, state, ended_at FROM element_instance
            WHERE (ended_at IS NOT NULL) <> (state IN ('COMPLETED', 'CANCELED', 'TERMINATED'))""",
    ),
    (
        "process instance whose ended_at disagrees with its state",
        """SELECT partition, id, state, ended_at FROM process_instance
            WHERE (ended_at IS NOT NULL) <> (state IN ('COMPLETED', 'CANCELED', 'TERMINATED'))""",
    ),
    (
        "ended process instance with an active element instance",
        """SELECT pi.partition, pi.id, pi.state, ei.id, ei.bpmn_element_id FROM process_instance pi
           JOIN element_instance ei ON ei.partition = pi.partition AND ei.process_instance_id = pi.id
           WHERE pi.ended_at IS NOT NULL AND ei.ended_at IS NULL""",
    ),
    (
        "active element instance inside an ended scope",
        """SELECT ei.partition, ei.id, ei.bpmn_element_id, p.id FROM element_instance ei
           JOIN element_instance p ON p.partition = ei.partition AND p.id = ei.parent_id
           WHERE ei.ended_at IS NULL AND p.ended_at IS NOT NULL""",
    ),
    (
        "process instance with more than one process scope",
        """SELECT partition, process_instance_id, count(*) FROM element_instance WHERE parent_id IS NULL
           GROUP BY partition, process_instance_id HAVING count(*) > 1""",
    ),
    (
        "COMPLETED process instance whose process scope is not COMPLETED",
        """SELECT pi.partition, pi.id, ei.state FROM process_instance pi
           LEFT JOIN element_instance ei
             ON ei.partition = pi.partition AND ei.process_instance_id = pi.id AND ei.parent_id IS NULL
           WHERE pi.state = 'COMPLETED' AND (ei.state IS DISTINCT FROM 'COMPLETED')""",
    ),
    (
        "open job of an ended process instance",
        """SELECT j.partition, j.id, j.state, pi.state FROM job j
           JOIN process_instance pi ON pi.partition = j.partition AND pi.id = j.process_instance_id
           WHERE j.state IN ('CREATED', 'LOCKED') AND pi.ended_at IS NOT NULL""",
    ),
    (
        "open job of an ended element instance",
        """SELECT j.partition, j.id, j.state, ei.state FROM job j
           JOIN element_instance ei ON ei.partition = j.partition AND ei.id = j.element_instance_id
           WHERE j.state IN ('CREATED', 'LOCKED') AND ei.ended_at IS NOT NULL""",
    ),
    (
        "element instance with more than one open job",
        """SELECT partition, element_instance_id, count(*) FROM job WHERE state IN ('CREATED', 'LOCKED')
           GROUP BY partition, element_instance_id HAVING count(*) > 1""",
    ),
    (
        "job completed twice (two DONE jobs of one type on one element instance)",
        """SELECT partition, element_instance_id, type, count(*) FROM job WHERE state = 'DONE'
           GROUP BY partition, element_instance_id, type HAVING count(*) > 1""",
    ),
    (
        "engine task still due for an ended process instance",
        """SELECT t.partition, t.id, t.type, pi.state FROM task t
           JOIN process_instance pi ON pi.partition = t.partition AND pi.id = t.process_instance_id
           WHERE t.state = 'CREATED' AND pi.ended_at IS NOT NULL""",
    ),
    (
        "more than one open incident of one job",
        """SELECT partition, job_id, count(*) FROM incident WHERE resolved_at IS NULL AND job_id IS NOT NULL
           GROUP BY partition, job_id HAVING count(*) > 1""",
    ),
    (
        "more than one open incident of one engine task",
        """SELECT partition, task_id, count(*) FROM incident WHERE resolved_at IS NULL AND task_id IS NOT NULL
           GROUP BY partition, task_id HAVING count(*) > 1""",
    ),
    (
        "element instance without exactly one CREATED event",
        """SELECT ei.partition, ei.id, ei.bpmn_element_id, count(e.id) FROM element_instance ei
           LEFT JOIN event e ON e.partition = ei.partition AND e.element_instance_id = ei.id AND e.state = 'CREATED'
           GROUP BY ei.partition, ei.id, ei.bpmn_element_id HAVING count(e.id) <> 1""",
    ),
    (
        "state recorded twice for one element instance",
        """SELECT partition, element_instance_id, state, count(*) FROM event
           GROUP BY partition, element_instance_id, state HAVING count(*) > 1""",
    ),
    (
        "event of a missing element instance",
        """SELECT e.partition, e.id, e.element_instance_id FROM event e
           LEFT JOIN element_instance ei ON ei.partition = e.partition AND ei.id = e.element_instance_id
           WHERE ei.id IS NULL""",
    ),
    (
        "last recorded state differs from the element instance's state",
        """SELECT ei.partition, ei.id, ei.bpmn_element_id, ei.state, last.state FROM element_instance ei
           JOIN (SELECT DISTINCT ON (partition, element_instance_id) partition, element_instance_id, state
                 FROM event ORDER BY partition, element_instance_id, id DESC) last
             ON last.partition = ei.partition AND last.element_instance_id = ei.id
           WHERE last.state <> ei.state
             AND NOT (ei.parent_id IS NULL AND ei.state = 'SUSPENDED' AND last.state = 'STARTED')""",
    ),
)

_JOINS = """
SELECT j.partition, j.process_instance_id, j.parent_id, j.bpmn_element_id,
       count(*) AS arrived, count(s.prev_id) AS fired
FROM element_instance j
LEFT JOIN (SELECT DISTINCT partition, prev_id FROM element_instance WHERE prev_id IS NOT NULL) s
  ON s.partition = j.partition AND s.prev_id = j.id
WHERE j.process_id = :process_id AND j.bpmn_element_id = :element
GROUP BY j.partition, j.process_instance_id, j.parent_id, j.bpmn_element_id
"""


def _joins(conn: sa.Connection) -> Iterable[tuple[int, str, int]]:
    """(process id, join element id, incoming flows) of every parallel join of every process."""
    from engine.model import parse_definitions

    for process_id, bpmn_process_id, xml in conn.execute(sa.text("SELECT id, bpmn_process_id, bpmn_xml FROM process")):
        definitions = parse_definitions(xml)
        for model in definitions.processes:
            if model.id != bpmn_process_id:
                continue
            for element in model.elements.values():
                if str(element.type) == "PARALLEL_GATEWAY" and len(element.incoming) > 1:
                    yield process_id, element.id, len(element.incoming)


def violations(conn: sa.Connection, limit: int = 5) -> list[str]:
    """Every broken invariant, at most ``limit`` examples of each."""
    found: list[str] = []
    for what, query in _CHECKS:
        # the queries are this module's constants, never input
        rows = conn.execute(sa.text(f"SELECT * FROM ({query}) v LIMIT {int(limit)}")).fetchall()  # noqa: S608
        if rows:
            found.append(f"{what}: {[tuple(r) for r in rows]}")
    for process_id, element, incoming in _joins(conn):
        twice = [
            tuple(r)
            for r in conn.execute(sa.text(_JOINS), {"process_id": process_id, "element": element})
            if r.fired * incoming > r.arrived
        ]
        if twice:
            found.append(f"join {element} fired more often than its {incoming} branches arrived: {twice[:limit]}")
    return found


def assert_consistent(database_url: str) -> None:
    """Fail with every violation found in the database at ``database_url``."""
    from engine.store.db import normalize_url

    engine = sa.create_engine(normalize_url(database_url), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            found = violations(conn)
    finally:
        engine.dispose()
    assert not found, "invariants violated:\n" + "\n".join(found)


def element_counts(conn: sa.Connection, bpmn_process_id: str) -> dict[tuple[str, str], int]:
    """``{(bpmn element id, state): number of element instances}`` over all instances of a process."""
    rows = conn.execute(
        sa.text(
            """SELECT ei.bpmn_element_id, ei.state, count(*) FROM element_instance ei
               JOIN process_instance pi ON pi.partition = ei.partition AND pi.id = ei.process_instance_id
               WHERE pi.bpmn_process_id = :p GROUP BY 1, 2"""
        ),
        {"p": bpmn_process_id},
    )
    return {(r[0], r[1]): r[2] for r in rows}


def instances_deviating(conn: sa.Connection, bpmn_process_id: str, expected: dict[str, int]) -> list[tuple]:
    """Instances of a process whose COMPLETED element instances per element differ from
    ``expected`` ({bpmn element id: count}): a step done twice or not at all."""
    rows = conn.execute(
        sa.text(
            """SELECT pi.partition, pi.id, ei.bpmn_element_id, count(*) FILTER (WHERE ei.state = 'COMPLETED')
               FROM process_instance pi
               JOIN element_instance ei ON ei.partition = pi.partition AND ei.process_instance_id = pi.id
               WHERE pi.bpmn_process_id = :p AND ei.parent_id IS NOT NULL
               GROUP BY 1, 2, 3"""
        ),
        {"p": bpmn_process_id},
    )
    actual: dict[tuple, dict[str, int]] = {}
    for partition, id, element, count in rows:
        actual.setdefault((partition, id), {})[element] = count
    return [(key, counts) for key, counts in actual.items() if counts != expected]
