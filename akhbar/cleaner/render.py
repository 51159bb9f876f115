"""trafilatura's XML body → a list of plain-text blocks.

One block per paragraph, heading, quote or table; a list is one block with one line per item.
Headings stay plain text (no markdown markers). Line breaks inside a paragraph are kept.
"""

from __future__ import annotations

from lxml.etree import _Element

__all__ = ["Block", "render_blocks"]

_BLOCK_TAGS = frozenset({"p", "head", "quote", "code", "list", "table", "div", "section"})


class Block:
    """One rendered block: its lines and whether it is a heading or a list."""

    __slots__ = ("kind", "lines")

    def __init__(self, kind: str, lines: list[str]) -> None:
        self.kind = kind  # "p", "head", "list", "table", "quote"
        self.lines = lines

    def __repr__(self) -> str:
        return f"Block({self.kind!r}, {self.lines!r})"


def _inline(el: _Element) -> str:
    """Text of an element with <lb/> as newlines; spaces collapsed inside each line."""
    parts: list[str] = []

    def walk(node: _Element, top: bool) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.tag != "graphic" and node.text:
            parts.append(node.text)
        if node.tag != "graphic":
            for child in node:
                walk(child, False)
        if not top and node.tail:
            parts.append(node.tail)

    walk(el, True)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _has_block_children(el: _Element) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in el)


def _list_lines(el: _Element) -> list[str]:
    lines: list[str] = []
    for item in el:
        if item.tag != "item":
            continue
        nested = [child for child in item if child.tag == "list"]
        for child in nested:
            item.remove(child)  # render the item's own text, then its sub-items
        text = _inline(item)
        if text:
            lines.extend(text.split("\n"))
        for child in nested:
            lines.extend(_list_lines(child))
    return lines


def _table_lines(el: _Element) -> list[str]:
    lines: list[str] = []
    for row in el.iter("row"):
        cells = [" ".join(_inline(cell).split()) for cell in row if cell.tag == "cell"]
        cells = [c for c in cells if c]
        if cells:
            lines.append(" | ".join(cells))
    return lines


def _walk(el: _Element, out: list[Block]) -> None:
    if el.text and el.text.strip():
        out.append(Block("p", [" ".join(el.text.split())]))
    for child in el:
        tag = child.tag
        if tag == "list":
            lines = _list_lines(child)
            if lines:
                out.append(Block("list", lines))
        elif tag == "table":
            lines = _table_lines(child)
            if lines:
                out.append(Block("table", lines))
        elif tag in ("p", "quote", "div", "section") and _has_block_children(child):
            _walk(child, out)
        elif tag != "graphic":
            text = _inline(child)
            if text:
                kind = "head" if tag == "head" else "quote" if tag == "quote" else "p"
                out.append(Block(kind, text.split("\n")))
        if child.tail and child.tail.strip():
            out.append(Block("p", [" ".join(child.tail.split())]))


def render_blocks(body: _Element) -> list[Block]:
    """The blocks of a trafilatura body in document order."""
    out: list[Block] = []
    _walk(body, out)
    return out
