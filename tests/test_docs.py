"""The documentation is self-contained: every relative link in README.md, DECISIONLOG.md and
docs/ resolves to a file (and heading) in the repository, and no tracked file points to
anything outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# [text](target) and ![alt](target); the target ends at whitespace or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
# Built in pieces so that this file does not mention what it forbids.
OUTSIDE = [re.compile(re.escape(s), re.IGNORECASE) for s in ("DESIGN" + ".md", ".." + "/shared")]


def doc_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "DECISIONLOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [f for f in files if f.is_file()]


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks, with inline code removed."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            yield number, INLINE_CODE.sub("", line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = INLINE_CODE.sub(lambda m: m.group(0).strip("`"), heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)):
            found.add(slug(m.group(1)))
    return found


def broken_links(path: Path) -> list[str]:
    problems = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, mailto:, ...
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)}:{number}: {target}"
            if not resolved.is_relative_to(ROOT):
                problems.append(f"{where} points outside the repository")
            elif not resolved.exists():
                problems.append(f"{where} does not exist")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                problems.append(f"{where} has no heading #{anchor}")
    return problems


def test_the_documentation_exists():
    names = {str(f.relative_to(ROOT)) for f in doc_files()}
    expected = {
        "README.md",
        "DECISIONLOG.md",
        "docs/architecture.md",
        "docs/metrics-and-rules.md",
        "docs/operations.md",
        "docs/benchmarks.md",
        *(f"docs/sources/{s}.md" for s in ("surfside", "facebook", "vibe", "bidder")),
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"


def test_the_readme_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 260, f"README.md has {lines} lines; details belong in docs/"


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path):
    problems = broken_links(path)
    assert not problems, "\n".join(problems)


def test_the_link_checker_sees_a_broken_link(tmp_path: Path, monkeypatch):
    # The checker itself can fail: a missing file, a missing heading and a link out of the
    # repository are each reported; a good link, a URL and a link in code are not.
    tmp_path = tmp_path.resolve()
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Top\n\n## The `adwh` command\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/a.md#the-adwh-command) [url](https://example.com/x.md)\n"
        "[gone](docs/missing.md) [bad anchor](docs/a.md#nowhere) [out](../outside.md)\n"
        "`[code](docs/nothing.md)`\n```\n[fenced](docs/nothing.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "docs/missing.md does not exist",
        "docs/a.md#nowhere has no heading #nowhere",
        "../outside.md points outside the repository",
    ]


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_refers_outside_the_repository():
    hits = []
    for path in tracked_files():
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if any(p.search(line) for p in OUTSIDE):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "refers to a file outside the repository:\n" + "\n".join(hits)
