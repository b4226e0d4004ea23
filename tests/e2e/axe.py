"""axe-core (npm, pinned in package.json) run inside a page, and the width checks.

axe is injected with `page.add_script_tag(path=...)`: an inline script, which the portal's CSP
(`script-src 'self' 'nonce-…'`) rightly refuses. The pages checked here therefore live in a
context opened with `bypass_csp=True` (see `audit_context` in conftest.py), used for these checks
only: the guide's walk and every other browser test keep the CSP, and fail on a violation of it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# What blocks a person: axe's two worst levels. "moderate" and "minor" are reported, not failed.
BLOCKING = ("serious", "critical")
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one h1, regions...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# The widths no portal page may scroll sideways at (issue #16): small and large phones, a tablet,
# the laptops around Bootstrap's xl breakpoint (where the top bar once overflowed) and desktops.
WIDTHS = (320, 375, 768, 1024, 1200, 1280, 1440, 1920)


def axe_available() -> bool:
    return AXE.exists()


def axe_run(page: Page, *, disabled_rules: Iterable[str] = ()) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options = {
        "runOnly": {"type": "tag", "values": TAGS},
        "rules": {rule: {"enabled": False} for rule in disabled_rules},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("options => window.axe.run(document, options)", options)
    return list(result["violations"])


def describe(violations: Sequence[dict[str, Any]]) -> str:
    """One line per violation and node, readable in a failed assertion."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            target = json.dumps(node["target"], ensure_ascii=False)
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target} {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str, *, disabled_rules: Iterable[str] = ()) -> None:
    """No serious or critical axe violation on the page.

    With AXE_REPORT=<file>, every violation (moderate and minor too) is also appended there.
    """
    violations = axe_run(page, disabled_rules=disabled_rules)
    report = os.environ.get("AXE_REPORT")
    if report and violations:
        with open(report, "a", encoding="utf-8") as out:
            out.write(f"== {where} ({page.url})\n{describe(violations)}\n")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{where} ({page.url}):\n{describe(blocking)}"


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


def wider_than_the_window(page: Page) -> list[str]:
    """The elements that stick out on the right, to say what to fix when the page overflows."""
    return list(
        page.evaluate(
            """() => {
                const limit = window.innerWidth;
                const found = [];
                for (const element of document.body.querySelectorAll('*')) {
                    const box = element.getBoundingClientRect();
                    if (box.right > limit + 1 && box.width > 0) {
                        const id = element.id ? '#' + element.id : '';
                        const cls = element.className && typeof element.className === 'string'
                            ? '.' + element.className.trim().split(/\\s+/).join('.') : '';
                        found.push(`${element.tagName.toLowerCase()}${id}${cls} → ${box.right}px`);
                    }
                }
                return found.slice(0, 10);
            }"""
        )
    )


def assert_fits_a_phone(page: Page, where: str) -> None:
    """At 375 px the page scrolls down only: nothing makes it scroll sideways."""
    overflow = horizontal_overflow(page)
    assert overflow <= 0, (
        f"{where} ({page.url}) is {overflow} px too wide at {page.viewport_size}:\n"
        + "\n".join(wider_than_the_window(page))
    )


def assert_fits_every_width(page: Page, where: str, widths: Iterable[int] = WIDTHS) -> None:
    """At each width the page scrolls down only; the viewport is put back as it was."""
    previous = page.viewport_size or DESKTOP
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            assert_fits_a_phone(page, f"{where}, {width} px")
    finally:
        page.set_viewport_size(previous)


def below_the_footer(page: Page) -> list[str]:
    """Elements of the page's content that run over the footer (a card taller than its row)."""
    return list(
        page.evaluate(
            """() => {
                const footer = document.querySelector('footer');
                const main = document.querySelector('main');
                if (!footer || !main) return [];
                const top = footer.getBoundingClientRect().top;
                const found = [];
                for (const element of main.querySelectorAll('*')) {
                    const box = element.getBoundingClientRect();
                    if (box.height > 0 && box.bottom > top + 1) {
                        const id = element.id ? '#' + element.id : '';
                        found.push(`${element.tagName.toLowerCase()}${id} → ${box.bottom - top}px`);
                    }
                }
                return found.slice(0, 10);
            }"""
        )
    )


def assert_layout_holds(page: Page, where: str) -> None:
    """Nothing sticks out sideways (at a phone's width: no sideways scrolling), and nothing of
    the content runs over the footer."""
    assert_fits_a_phone(page, where)
    overlapping = below_the_footer(page)
    assert not overlapping, f"{where} ({page.url}) runs over the footer:\n" + "\n".join(overlapping)
