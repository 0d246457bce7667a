"""The command examples of the README, as a test runs them: every ``linker`` command it shows must run as written.

An example is a line of a fenced ``bash`` block (lines ending in ``\\`` continue it), or an inline code span that
starts with ``linker``, ``.venv/bin/linker``, ``python scripts/`` or ``.venv/bin/python scripts/`` (an inline
``linker`` span of fewer than three words, or with ``...`` or a placeholder in capitals, names a command and is
not an example). A block
preceded by ``<!-- examples: not run (REASON) -->`` is not run (the set-up itself, a Neo4j server, hours of
benchmark): its ``linker`` commands are still parsed by the command line, so that an option renamed in the code
fails the test there too. Words are split by bash itself (``bash -c 'printf ...'``), so quoting works as it does
for the reader.

Examples
--------
>>> text = '''Try `linker explain C0000042 -r linker-demo/out`.
... ```bash
... linker cypher "MATCH (c:Customer) RETURN count(c)" \\\\
...        -r linker-demo/out   # a comment
... ```'''
>>> [(e.line, e.argv) for e in command_examples(text)]
[(1, ['linker', 'explain', 'C0000042', '-r', 'linker-demo/out']), (3, ['linker', 'cypher', 'MATCH (c:Customer) RETURN count(c)', '-r', 'linker-demo/out'])]
>>> command_examples("With `linker demo -o DIR`, or `linker explain` ...")
[]
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

_FENCE = re.compile(r"^```(\w*)\s*$")
_NOT_RUN = re.compile(r"<!--\s*examples:\s*not run\s*\((?P<reason>[^)]+)\)\s*-->")
_PLACEHOLDER = re.compile(r"[A-Z][A-Z_]+")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_INLINE = re.compile(r"`((?:\.venv/bin/)?linker [^`]+|(?:\.venv/bin/)?python3? scripts/[^`]+)`")

LINKER = ("linker", ".venv/bin/linker")
"""How the README spells the command line."""
PYTHON = ("python", "python3", ".venv/bin/python")
"""How the README spells the interpreter that runs a script."""


@dataclass(frozen=True)
class Example:
    """One command shown in the README."""

    line: int
    """Line of the README where it starts (1-based)."""
    text: str
    """The command as written (continuation lines joined)."""
    argv: list[str]
    """Its words after the shell's quoting and comments."""
    not_run: str | None = None
    """Why the README test does not run it (from the block's marker), or None."""
    inline: bool = False
    """Written in the prose, not in a block."""

    @property
    def is_mention(self) -> bool:
        """An inline span naming a command rather than showing one (``linker explain``, ``linker --debug ...``,
        ``linker demo -o DIR``: a placeholder in capitals)."""
        return self.inline and self.is_linker and (len(self.words) < 3 or "..." in self.words
                                                   or any(_PLACEHOLDER.fullmatch(w) for w in self.words))

    @property
    def env(self) -> dict[str, str]:
        """Variables the command sets for itself (``NAME=value linker ...``)."""
        return dict(w.split("=", 1) for w in self.argv[:self._first])

    @property
    def words(self) -> list[str]:
        """The command and its arguments, without the leading variable assignments."""
        return self.argv[self._first:]

    @property
    def is_linker(self) -> bool:
        return bool(self.words) and self.words[0] in LINKER

    @property
    def is_script(self) -> bool:
        return len(self.words) > 1 and self.words[0] in PYTHON and self.words[1].startswith("scripts/")

    @property
    def _first(self) -> int:
        return next((i for i, w in enumerate(self.argv) if not _ASSIGNMENT.match(w)), len(self.argv))


def command_examples(text: str) -> list[Example]:
    """Every command example of a README text, in order."""
    examples: list[Example] = []
    lines = text.splitlines()
    fence: str | None = None
    not_run: str | None = None
    pending = ""
    start = 0
    for number, line in enumerate(lines, start=1):
        m = _FENCE.match(line)
        if m and fence is None:
            fence = m.group(1)
            previous = next((x for x in reversed(lines[:number - 1]) if x.strip()), "")
            marker = _NOT_RUN.search(previous)
            not_run = marker.group("reason") if marker else None
            continue
        if m:
            fence = None
            continue
        if fence == "bash":
            if not pending:
                start = number
            pending += line[:-1] + " " if line.rstrip().endswith("\\") else line
            if line.rstrip().endswith("\\"):
                continue
            command, pending = pending.strip(), ""
            if command and not command.startswith("#"):
                examples.append(Example(start, command, shell_words(command), not_run))
        elif fence is None:
            for span in _INLINE.finditer(line):
                example = Example(number, span.group(1), shell_words(span.group(1)), inline=True)
                if not example.is_mention:
                    examples.append(example)
    return examples


def shell_words(command: str) -> list[str]:
    """The words bash makes of ``command`` (quotes removed, comments dropped, nothing run).

    >>> shell_words("linker cypher 'MATCH (n) RETURN n' --param id=C1  # comment")
    ['linker', 'cypher', 'MATCH (n) RETURN n', '--param', 'id=C1']

    An example that runs a command inside it (``$(...)``) or that bash cannot read (a ``<placeholder>``) has no
    words: ``[]``.

    >>> shell_words("linker explain <customer_id>")
    []
    """
    if "$(" in command or "`" in command:
        return []
    done = subprocess.run(["bash", "-c", 'printf "%s\\0" ' + command], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, check=False)
    return done.stdout.split("\0")[:-1] if done.returncode == 0 else []


def is_one_command(command: str) -> bool:
    """Whether ``command`` is one simple command (no ``&&``, pipe, redirection or ``;`` outside quotes).

    >>> is_one_command("linker cypher 'MATCH (a)-->(b) RETURN a; ' -f csv"), is_one_command("cd x && linker run")
    (True, False)
    >>> is_one_command('linker cypher "MATCH (c {id: \\\\$id})<-[l]-(a) RETURN a" --param id=C1')
    True
    """
    bare = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", command.split(" #")[0])
    return not re.search(r"&&|\|\||[|;<>]", bare)
