"""The README stays a front page, and every relative link in it, in docs/ and in config/README.md resolves.

A link is ``[text](target)``, ``![alt](target)`` or a reference definition ``[label]: target`` outside code
(fenced blocks and inline code spans are skipped). Web and mail links (``http:``, ``https:``, ``mailto:``) and
links to an anchor of the same page (``#...``) are not checked. Every other target must be an existing file or
folder relative to the page that contains it; pipeline outputs (``results/...``, ``resources/...``) do not exist in
a clean checkout, so the pages name them as code instead of linking them. When a link to a Markdown file carries
an anchor (``page.md#section``), that page must have a heading with that anchor (GitHub's rule: lower case,
punctuation dropped, spaces to hyphens, ``-1``, ``-2`` for repeats).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 160
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "config/README.md"]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str):
    """(line number, line with inline code blanked) of every line outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


def links(path: Path):
    """(line number, target) of every link on a page."""
    for n, line in prose_lines(path.read_text()):
        for m in INLINE_LINK.finditer(line):
            yield n, m.group(1).strip("<>")
        m = REFERENCE.match(line)
        if m:
            yield n, m.group(1).strip("<>")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters (any script), digits and _
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    fenced = False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            base = slug(m.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return out


def broken_links(page: Path) -> list[str]:
    errors = []
    for n, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            if not re.match(r"^(https?|mailto):", target, re.IGNORECASE):
                errors.append(f"{page.relative_to(ROOT)}:{n}: link '{target}': only http(s) and mailto links "
                              f"may leave the repository")
            continue
        if target.startswith("#"):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(file_part)).resolve()
        where = f"{page.relative_to(ROOT)}:{n}: link '{target}'"
        if not resolved.exists():
            errors.append(f"{where}: {resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved} "
                          f"does not exist")
        elif not resolved.is_relative_to(ROOT):
            errors.append(f"{where}: points outside the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            errors.append(f"{where}: {resolved.relative_to(ROOT)} has no heading with anchor '#{anchor}'")
    return errors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    errors = broken_links(page)
    assert not errors, "\n".join(errors)


def test_the_readme_is_a_front_page():
    n = len((ROOT / "README.md").read_text().splitlines())
    assert n <= README_MAX_LINES, (f"README.md has {n} lines, at most {README_MAX_LINES}: move detail into a "
                                   f"docs/ page and link it")


def test_the_readme_links_every_docs_page():
    """The README's list of pages is the way in: every docs/ page is linked from it."""
    linked = {(ROOT / unquote(t.partition("#")[0])).resolve() for _, t in links(ROOT / "README.md")}
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert not missing, "README.md links no docs page " + ", ".join(missing)


def test_the_link_check_catches_what_it_should(tmp_path, monkeypatch):
    """The checker itself: a missing file, a missing anchor and a link out of the repository fail; web links,
    same-page anchors, links inside code and existing targets with real anchors pass."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.md").write_text("# A page\n\n## Metric conventions: the paper's\n\n## Again\n\n## Again\n")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/a.md) [ok](docs/a.md#metric-conventions-the-papers) [ok](docs/a.md#again-1)\n"
                    "[web](https://example.org/x) [here](#top) `[code](nowhere.md)` ![img](docs/)\n"
                    "```\n[fenced](nowhere.md)\n```\n"
                    "[gone](docs/b.md) [bad anchor](docs/a.md#nope) [out](../../etc/passwd) [ftp](ftp://x)\n")
    errors = broken_links(page)
    assert len(errors) == 4, errors
    assert "docs/b.md does not exist" in errors[0]
    assert "has no heading with anchor '#nope'" in errors[1]
    assert "README.md:6:" in errors[0]
