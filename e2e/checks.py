"""Checks run inside the browser: axe-core accessibility audits and console error collection."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Error, Page

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = "tags => axe.run(document, {runOnly: tags}).then(results => results.violations)"


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now; the context needs `bypass_csp=True` to inject it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_SCRIPT)
    return page.evaluate(RUN_AXE, AXE_TAGS)


def describe_violations(violations: list[dict]) -> str:
    """One readable paragraph per violation: rule, impact, help, and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


class ConsoleErrors:
    """Collects console errors (CSP violations included) and uncaught exceptions of a page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)

    def on_console(self, message: ConsoleMessage) -> None:
        """Keep console messages of type error (and warnings about the security policy)."""
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            location = message.location.get("url", "")
            self.messages.append(f"console.{message.type}: {text} ({location})")

    def on_page_error(self, error: Error) -> None:
        """Keep uncaught exceptions."""
        self.messages.append(f"pageerror: {error.message}")

    def take(self) -> list[str]:
        """The messages collected since the last call."""
        messages, self.messages = self.messages, []
        return messages


SETTLED = """() => {
  const inView = image => {
    const box = image.getBoundingClientRect();
    return box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth;
  };
  return !document.querySelector(".htmx-request")
    && Array.from(document.images).filter(inView).every(image => image.complete);
}"""


def wait_until_settled(page: Page) -> None:
    """Wait until no htmx request is in flight and every picture in view has loaded or failed.

    The events a check needs, instead of "networkidle" (500 ms without traffic: on a busy
    machine a lazy picture may start loading after that quiet spell, or never let it come).
    """
    page.wait_for_function(SETTLED)
