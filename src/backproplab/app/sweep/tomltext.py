"""Where things are in a sweep file's text, which tomllib does not say: the line of a key, and
how deep its arrays and inline tables nest.

Both read the text through one small tokenizer that knows TOML's strings and comments (a
bracket or a ``#`` inside a string is text, not structure); everything else is read line by
line. It is not a TOML parser: tomllib has already accepted the text when a key's line is
looked for, and the depth check only has to be right about brackets.
"""

import re

_TOKENS = re.compile(r'''
    """(?:[^\\]|\\.)*?"""         # multi-line basic string (may hold newlines)
  | \'\'\'.*?\'\'\'               # multi-line literal string
  | "(?:[^"\\\n]|\\.)*"           # basic string
  | '[^'\n]*'                     # literal string
  | \#[^\n]*                      # comment
  | [\[\]{}\n]                    # structure, and the ends of lines
''', re.VERBOSE | re.DOTALL)

# one part of a key or of a table header: bare, "basic" or 'literal'
_PART = r'''(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')'''
_KEY = re.compile(rf"[ \t]*({_PART}(?:[ \t]*\.[ \t]*{_PART})*)[ \t]*=")
_HEADER = re.compile(rf"[ \t]*(\[\[?)[ \t]*({_PART}(?:[ \t]*\.[ \t]*{_PART})*)[ \t]*\]")


def too_deep(text, limit):
    """The line where arrays and inline tables first nest deeper than ``limit``, or None.

    tomllib parses nested values by recursion, so a file of 3,000 ``[`` would end in a
    RecursionError deep inside it; this look at the brackets comes first.
    """
    if text.count("[") + text.count("{") <= limit:
        return None  # too few brackets to nest that deep: no need to look
    depth = 0
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            depth = max(depth - 1, 0)  # (unbalanced brackets are tomllib's error to report)
    return None


def key_line(text, key, grid=None):
    """The line (from 1) where ``key`` is given at the top level of a sweep file, or with
    ``grid`` = i, in its i-th ``[[grid]]`` table (from 0); None if it is not found.

    A key spelt with dashes is the key with underscores; a table header ``[key]`` or
    ``[key.sub]`` gives ``key`` too. The first occurrence counts.
    """
    want = _normal(key)
    section = "top"  # "top", a [[grid]]'s number, or None (another table)
    grids = -1
    for number, line in _lines(text):
        header = _HEADER.match(line)
        if header:
            parts = _parts(header.group(2))
            if parts == ["grid"] and header.group(1) == "[[":
                grids += 1
                section = grids
                continue
            if parts[0] == "grid" and len(parts) > 1 and grids >= 0:
                found, section = parts[1] == want and grid == grids, None  # a table in a grid
            else:
                found, section = parts[0] == want and grid is None, None
            if found:
                return number
            continue
        match = _KEY.match(line)
        if match and section == ("top" if grid is None else grid):
            if _parts(match.group(1))[0] == want:
                return number
    return None


def _lines(text):
    """(line number, text) of every line that starts outside any string, array or inline
    table: the lines where a key or a table header may begin."""
    depth, start, number, first, at_top = 0, 0, 1, 1, True
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c == "\n":
            if at_top:
                yield first, text[start:m.start()]
            number += 1
            start, first, at_top = m.end(), number, depth == 0
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(depth - 1, 0)
        else:
            number += c.count("\n")  # a multi-line string goes on over lines
    if at_top:
        yield first, text[start:]


def _parts(dotted):
    """The parts of a dotted key, unquoted and with dashes read as underscores."""
    parts = re.findall(_PART, dotted)
    return [_normal(p[1:-1] if p[0] in "\"'" else p) for p in parts]


def _normal(key):
    return key.replace("-", "_")
