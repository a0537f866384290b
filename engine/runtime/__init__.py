"""Execution semantics: how tokens move through a process (DESIGN §4)."""
