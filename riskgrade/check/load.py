"""Stage 1, load: YAML text -> :class:`Document` (plain data + the position of every node).

Only a hardened safe loader is used: unknown tags (``!!python/...``), aliases, duplicate keys,
oversized files and deeply nested documents are refused with a located diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from riskgrade.diagnostics import Diagnostic

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 200_000
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML file's data with the 1-based ``(line, column)`` of every node by path."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    text: str = ""
    failed: bool = False
    """True for a file that did not load (its problem is already reported): it stands in the
    policy so the checker knows a part is missing and does not report what that part would
    have defined as unknown."""

    def position(self, path: Path_) -> tuple[int, int]:
        """The position of ``path`` or of its nearest located ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def diagnostic(
        self, code: str, message: str, path: Path_, hint: str | None = None
    ) -> Diagnostic:
        """A diagnostic located at the node ``path`` of this document."""
        line, column = self.position(path)
        return Diagnostic(code, message, self.file, line, column, hint)


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.count = 0
        self.duplicates: list[tuple[str, yaml.Mark]] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused("RG005", f"document has more than {MAX_NODES} nodes", node.start_mark)
        if len(path) > MAX_DEPTH:
            raise _Refused("RG007", f"document nested deeper than {MAX_DEPTH}", node.start_mark)
        if node.tag not in _SAFE_TAGS:
            raise _Refused("RG003", f"tag {node.tag!r} is not allowed", node.start_mark)
        if isinstance(node, yaml.ScalarNode) or path not in self.positions:
            # A block (mapping or list) is located at its key; a scalar at its value.
            self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node)
                if not isinstance(key, str | int | float | bool):
                    raise _Refused("RG101", "mapping keys must be plain text", key_node.start_mark)
                key = str(key)
                if key in result:
                    self.duplicates.append((key, key_node.start_mark))
                    continue
                self.positions[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode) and node.style in ('"', "'"):
            # Point inside the quotes, so expression columns line up.
            self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 2)
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError) as exc:  # a date that is not in the calendar
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            raise _Refused("RG002", f"invalid date {value!r}: {exc}", node.start_mark) from exc


def load_text(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Load one YAML document, returning it (or None) and every problem found."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return None, [Diagnostic("RG005", f"file larger than {MAX_FILE_BYTES} bytes", file, 1, 1)]
    if _FAST is not None and _plain_yaml(text):  # libyaml: a fifth of the time
        document, problems = _load(text, file, _FAST)
        if document is not None and not problems:
            return document, problems
    # a file with a problem is read again by PyYAML's own parser, whose messages say more
    return _load(text, file, yaml.SafeLoader)


_FAST: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
_APART = re.compile(  # what libyaml reads otherwise than PyYAML, found by differential tests
    "[\t\x85\u2028\u2029\ufeff?]"  # tabs and Unicode breaks; '?' in [a?b] (PyYAML refuses)
    "|\r(?!\n)"  # a lone carriage return
    "|[|>][-+0-9]*#"  # a block scalar's indicator then a comment (PyYAML refuses)
    "|:[ ]*[,}\\]]"  # an empty value in a flow collection (another column)
)


def _plain_yaml(text: str) -> bool:
    """Whether libyaml reads ``text`` as PyYAML does (the same data, nodes and marks; held by
    a differential test): a text that ends with a line feed and has none of :data:`_APART`."""
    return text.endswith("\n") and _APART.search(text) is None


def _load(
    text: str, file: str, loader_class: type[yaml.SafeLoader]
) -> tuple[Document | None, list[Diagnostic]]:
    """:func:`load_text` with one YAML parser (safe, both of them)."""
    try:
        nodes = 0
        for event in yaml.parse(text, Loader=loader_class):
            if isinstance(event, yaml.NodeEvent) and not isinstance(event, yaml.AliasEvent):
                nodes += 1
                if nodes > MAX_NODES:  # refused before anything is composed
                    mark = event.start_mark
                    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                    message = f"document has more than {MAX_NODES} nodes"
                    return None, [Diagnostic("RG005", message, file, line, column)]
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                assert mark is not None  # the parser marks every event
                return None, [
                    Diagnostic(
                        "RG004",
                        f"alias *{event.anchor} is not allowed (write the value out)",
                        file,
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
        loader = loader_class(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return Document(file, None, text=text), []
            builder = _Builder(loader)
            data = builder.build(root, ())
        finally:
            loader.dispose()
    except _Refused as exc:
        line, column = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        return None, [Diagnostic(exc.code, exc.message, file, line, column)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        full_width = _full_width_colon(text, line)
        if full_width is not None:  # the cause, not the parser's confusion after it
            at_line, at_column, message, hint = full_width
            return None, [Diagnostic("RG002", message, file, at_line, at_column, hint)]
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, [Diagnostic("RG002", message or "invalid YAML", file, line, column)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("RG002", str(exc), file, 1, 1)]
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp out of range
        return None, [Diagnostic("RG002", str(exc), file, 1, 1)]
    problems = [
        Diagnostic("RG006", f"duplicate key {key!r}", file, mark.line + 1, mark.column + 1)
        for key, mark in builder.duplicates
    ]
    return Document(file, data, builder.positions, text), problems


# A key followed by a full-width colon, as Chinese input methods type it: `rules：`.
_FULL_WIDTH_KEY = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s#'\"：:][^#：:]*?)\s*：")


def _full_width_colon(text: str, before: int) -> tuple[int, int, str, str] | None:
    """``(line, column, message, hint)`` for the first key written with a full-width colon on
    or before line ``before``, or None."""
    for number, line in enumerate(text.splitlines()[:before], start=1):
        match = _FULL_WIDTH_KEY.match(line)
        if match is not None:
            column = line.index("：", match.end("key")) + 1
            key = match.group("key")
            return number, column, f"full-width colon '：' after {key!r}", "use ':'"
    return None


def _not_utf8(data: bytes, error: UnicodeDecodeError, file: str) -> Diagnostic:
    """The diagnostic for a file that is not UTF-8, at its first undecodable byte."""
    head = data[: error.start]
    line = head.count(b"\n") + 1
    column = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
    try:
        data.decode("gb18030")
        found = "the file is not UTF-8 (it looks like GBK/GB18030)"
    except UnicodeDecodeError:
        found = "the file is not UTF-8"
    return Diagnostic("RG001", found, file, line, column, "save it as UTF-8")


def load_path(path: str | Path) -> tuple[list[Document], list[Diagnostic]]:
    """Load a policy file, or every ``*.yaml``/``*.yml`` file of a folder in name order."""
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            return [], [Diagnostic("RG001", "folder holds no .yaml files", str(root), 0, 0)]
    elif root.is_file():
        files = [root]
    else:
        return [], [Diagnostic("RG001", "no such file or folder", str(root), 0, 0)]
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for file in files:
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                problems.append(
                    Diagnostic("RG005", f"file larger than {MAX_FILE_BYTES} bytes", str(file), 1, 1)
                )
                documents.append(Document(str(file), None, failed=True))
                continue
            data = file.read_bytes()
        except OSError as exc:
            problems.append(Diagnostic("RG001", f"cannot read: {exc}", str(file), 0, 0))
            documents.append(Document(str(file), None, failed=True))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(_not_utf8(data, exc, str(file)))
            documents.append(Document(str(file), None, failed=True))
            continue
        document, found = load_text(text, str(file))
        problems.extend(found)
        documents.append(document or Document(str(file), None, text=text, failed=True))
    return documents, problems
