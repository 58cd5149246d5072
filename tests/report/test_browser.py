"""The report in a real headless Chromium: it loads cleanly, plots render, numbers match.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and the
``selenium`` test extra; Selenium is pointed at the system driver, so nothing is
downloaded. Skips with the reason when they are missing, unless
``SANITIZER_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import skip_or_fail

from sanitizer._home import Home
from sanitizer.report import ComplianceReport, report_window

from .conftest import REPORT_AS_OF
from .expected import access_counts, model_entries, newly_sealed

pytestmark = pytest.mark.services

H1 = (date(2026, 1, 1), date(2026, 6, 30))
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """The system Chromium and chromedriver; checked before the home is built."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        skip_or_fail("selenium is not installed (pip install -e '.[test]')")
    binary = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        skip_or_fail(
            "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
        )
    return binary, driver_path


@pytest.fixture(scope="module")
def browser(chromium):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_report_renders_in_chromium_with_the_database_numbers(
    chromium, report_home, tmp_path, browser
):
    report = ComplianceReport(Home.resolve(report_home.path), report_window(REPORT_AS_OF))
    html_path, _ = report.write(tmp_path / "report.html")
    browser.get(html_path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == "Compliance report 2026-01-01 to 2026-06-30"

    problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []

    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.plot')).map(f => {"
        "  const svg = f.querySelector('svg');"
        "  if (!svg) return [f.id, 0, 0, 0];"
        "  const r = svg.getBoundingClientRect();"
        "  return [f.id, r.width, r.height, svg.querySelectorAll('path, text').length];"
        "})"
    )
    assert [s[0] for s in sizes] == [
        "plot-newly-sealed",
        "plot-training",
        "plot-destruction",
        "plot-models",
        "plot-access",
        "plot-fairness",
    ]
    for figure_id, width, height, marks in sizes:
        assert width > 100 and height > 50 and marks > 10, figure_id

    def shown(name: str) -> str:
        return browser.execute_script(
            f"return document.querySelector('[data-figure=\"{name}\"]').textContent.trim()"
        )

    access = access_counts(report_home.path, *H1)
    assert shown("access-granted") == f"{access['granted']:,}"
    assert shown("access-denied") == f"{access['denied']:,}"
    assert shown("unauthorized") == str(len(access["unauthorized"])) == "0"
    assert "There were 0 accesses to sealed records without a grant" in shown(
        "unauthorized-statement"
    )
    assert shown("certified") == str(len(model_entries(report_home.path, "MODEL_CERTIFIED", *H1)))
    assert shown("decertified") == str(
        len(model_entries(report_home.path, "MODEL_DECERTIFIED", *H1))
    )
    assert shown("refused") == str(len(model_entries(report_home.path, "MODEL_REFUSED", *H1)))
    snapshot_id = report.figures["registry"]["snapshot"]["snapshot_id"]
    sealed = sum(newly_sealed(report_home.path, snapshot_id, *H1).values())
    assert shown("newly-sealed") == f"{sealed:,}"
    assert shown("audit-status") == "intact"
