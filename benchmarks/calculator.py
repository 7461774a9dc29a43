"""The book's calculator in a real browser: time from a changed input to the answer shown, and what the page
transfers.

Run: ``.venv/bin/python benchmarks/calculator.py [--changes 200]`` after ``make book``. Serves
``book/_build/html`` on 127.0.0.1, opens the calculator in headless Chromium with a worked case's person
filled in (one per local jurisdiction-year), then changes the payment date again and again: each change is
timed from the input event until the answer is rebuilt, and until the frame holding it has been painted (the
answer shown). Prints the median, 95th percentile and worst per jurisdiction-year, then every file the page
loaded with its size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from policylib import calculator, catalogue, training  # noqa: E402
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

TARGET_MS = 50.0

# One change: set the payment date and fire the input event the form listens to. ``sync`` is the time until the
# answer is rebuilt in the document (the handler is synchronous); ``shown`` until the frame holding it has been
# painted (an animation frame, then a task queued from it, which runs after that frame's paint).
MEASURE = """async ([days, paid0]) => {
    const input = document.querySelector('[name=paid]');
    const base = Date.parse(paid0);
    const sync = [], shown = [];
    const painted = () => new Promise(r => requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => r();
        channel.port2.postMessage(0);
    }));
    for (const d of days) {
        await new Promise(r => setTimeout(r, 5));
        const value = new Date(base + d * 86400000).toISOString().slice(0, 10);
        const start = performance.now();
        input.value = value;
        input.dispatchEvent(new Event('input', {bubbles: true}));
        sync.push(performance.now() - start);
        await painted();
        shown.push(performance.now() - start);
    }
    return [sync, shown];
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200, help="timed input changes per jurisdiction-year")
    args = parser.parse_args(argv)
    html = REPO / "book" / "_build" / "html"
    if not (html / f"{calculator.PAGE}.html").is_file():
        print("book/_build/html has no calculator page: run `make book` first", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    all_times: list[float] = []
    all_sync: list[float] = []
    outside: list[str] = []
    sizes: dict[str, int] = {}
    with serve(html) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        print(f"{'jurisdiction-year':<18} {'answer built':>13} {'shown: median':>14} {'p95':>6} {'worst':>6}  (ms)")
        for number, entry in enumerate(catalogue.local_entries()):
            rules = catalogue.rules(entry.jurisdiction, entry.year)
            case = training.cases(rules)[0]
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.route(lambda u: not u.startswith(url), lambda route: (outside.append(route.request.url),
                                                                        route.abort()))
            if number == 0:
                page.on("response", lambda r: sizes.__setitem__(r.url.removeprefix(url + "/"), len(r.body())))
            page.goto(f"{url}/{calculator.link(case.person, rules.jurisdiction, rules.coverage_year, '')}",
                      wait_until="networkidle")
            page.wait_for_selector("#pl-calc-answer .pl-calc-status")
            days = [(i * 7) % 120 - 30 for i in range(args.changes)]
            assert case.person.paid is not None
            sync, times = page.evaluate(MEASURE, [days, case.person.paid.isoformat()])
            all_times += times
            all_sync += sync
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"{entry.key:<18} {statistics.median(sync):>13.1f} {statistics.median(times):>14.1f} {p95:>6.1f} "
                  f"{times[-1]:>6.1f}")
            context.close()
        browser.close()
    all_times.sort()
    median, p95 = statistics.median(all_times), all_times[int(0.95 * (len(all_times) - 1))]
    verdict = "within" if p95 < TARGET_MS else "over"
    print(f"{'all':<18} {statistics.median(all_sync):>13.1f} {median:>14.1f} {p95:>6.1f} {all_times[-1]:>6.1f}  "
          f"(p95 {verdict} the {TARGET_MS:.0f} ms target)")
    print(f"requests to other hosts: {outside or 'none'}")
    print("\nfiles loaded by the page (bytes, uncompressed):")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {size:>9,}  {name.split('?')[0]}")
    total = sum(sizes.values())
    print(f"  {total:>9,}  total ({len(sizes)} files)")
    mine = sum(size for name, size in sizes.items() if name.startswith(calculator.ASSETS + "/"))
    print(f"  {mine:>9,}  of which the calculator's own files ({calculator.ASSETS}/)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
