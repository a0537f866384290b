"""Reading the nodes of a BPMN document: namespaces, tags, attributes and text.

BPMN elements are matched by local name, in the BPMN MODEL namespace (under any prefix) or in
no namespace at all (bare XML such as go-bpmn's models). Everything in another namespace (BPMNDI,
modeler metadata, unknown vendors) is foreign: the parser never looks at it, except for the Zeebe,
Camunda 7 and Flowable extensions that :mod:`engine.model.extensions` reads on purpose.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"

Node = etree._Element


def bpmn_tag(node: Node) -> str | None:
    """The local name of a BPMN element, or None for foreign elements, comments and entities."""
    tag = node.tag
    return _bpmn_local_name(tag) if isinstance(tag, str) else None


@lru_cache(maxsize=512)
def _bpmn_local_name(tag: str) -> str | None:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return local if namespace == BPMN_MODEL else None
    return tag


def bpmn_children(node: Node, tag: str) -> list[Node]:
    """The direct BPMN children of a node with the given local name, in document order."""
    return [child for child in node if bpmn_tag(child) == tag]


def qualified(namespace: str, name: str) -> str:
    """The Clark notation of a namespaced name, as lxml spells tags and attributes."""
    return f"{{{namespace}}}{name}"


def extensions(node: Node, namespace: str, name: str) -> list[Node]:
    """The extension elements ``namespace:name`` inside the node's ``<extensionElements>``."""
    tag = qualified(namespace, name)
    return [
        extension
        for container in bpmn_children(node, "extensionElements")
        for extension in container
        if extension.tag == tag
    ]


def first_extension(node: Node, namespace: str, name: str) -> Node | None:
    """The first extension element ``namespace:name`` of a node, if it has one."""
    found = extensions(node, namespace, name)
    return found[0] if found else None


def text_of(node: Node) -> str:
    """The text content of a node and its descendants, stripped."""
    return "".join(node.itertext()).strip()


def attribute(node: Node, name: str) -> str | None:
    """An attribute value, or None when the attribute is absent or blank."""
    value = node.get(name)
    if value is None or not value.strip():
        return None
    return value


def reference(node: Node, name: str) -> str | None:
    """A QName reference attribute (``messageRef``, ``attachedToRef``…) reduced to the id.

    BPMN allows a prefix (``tns:Message_1``); ids themselves never contain a colon.
    """
    value = attribute(node, name)
    return value.strip().rpartition(":")[2] if value is not None else None


def boolean(value: str | None, default: bool) -> bool | None:
    """An ``xsd:boolean`` value; None when the text is not a boolean at all."""
    if value is None:
        return default
    text = value.strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return None


def line_of(node: Node) -> int | None:
    """The source line of a node, as lxml recorded it."""
    return node.sourceline
