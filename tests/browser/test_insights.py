"""Feedback buttons on the page and in the widget, and the insights page in English and Russian."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_TOKEN, HostSite, Service, Watched
from tests.browser.test_widget import host_page, snippet

QUESTION = "Where will the business accelerator be located?"
UNANSWERABLE = "What is the recipe for borscht?"
LABEL = "Question or search words"


def metric(service: Service, sample: str) -> int:
    for line in httpx.get(f"{service.origin}/metrics", timeout=30).text.splitlines():
        if line.startswith(sample + " "):
            return int(float(line.rpartition(" ")[2]))
    return 0


def search(page: Page, service: Service, question: str, *, lang: str = "en") -> None:
    page.goto(f"{service.origin}/?lang={lang}&q={question}")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    expect(page.locator(".answer")).to_be_visible()


def test_feedback_on_the_answer_and_on_a_result(watched: Watched, service: Service) -> None:
    page = watched.page
    yes_answer = 'polysearch_feedback_total{reason="none",target="answer",verdict="yes"}'
    outdated_result = 'polysearch_feedback_total{reason="outdated",target="result",verdict="no"}'
    before = metric(service, yes_answer), metric(service, outdated_result)
    search(page, service, QUESTION)
    answer = page.locator(".answer .feedback")
    expect(answer).to_contain_text("Did this help?")
    answer.get_by_role("button", name="Yes").click()
    expect(answer).to_have_attribute("data-sent", "yes")
    expect(answer).to_contain_text("Thank you")

    result = page.locator("li.result .feedback").first
    result.get_by_role("button", name="No").click()
    expect(result).to_contain_text("What was wrong?")
    result.get_by_role("button", name="Outdated").click()
    expect(result).to_have_attribute("data-sent", "no")
    assert (metric(service, yes_answer), metric(service, outdated_result)) == (before[0] + 1, before[1] + 1)
    assert watched.errors == [] and watched.dialogs == []


def test_feedback_speaks_russian(watched: Watched, service: Service) -> None:
    search(watched.page, service, UNANSWERABLE, lang="ru")
    card = watched.page.locator(".answer .feedback")
    expect(card).to_contain_text("Это помогло?")
    card.get_by_role("button", name="Нет").click()
    expect(card.get_by_role("button", name="Устарело")).to_be_visible()


def test_feedback_from_the_widget_on_another_origin(
    watched: Watched, service: Service, allowed_host: HostSite
) -> None:
    page = watched.page
    sample = 'polysearch_feedback_total{reason="wrong",target="answer",verdict="no"}'
    before = metric(service, sample)
    page.goto(allowed_host.write("feedback.html", host_page("Intranet", snippet(service))))
    box = page.get_by_label("Search university news")
    box.fill(QUESTION)
    box.press("Enter")
    card = page.locator("#search .answer .feedback")
    card.get_by_role("button", name="No").click()
    card.get_by_role("button", name="Wrong").click()
    expect(card).to_have_attribute("data-sent", "no")
    assert metric(service, sample) == before + 1
    assert watched.errors == []


def test_the_insights_page_in_both_languages(watched: Watched, service: Service) -> None:
    page = watched.page
    # Something to report: an unanswerable question, asked twice.
    for _ in range(2):
        assert httpx.get(f"{service.origin}/ask", params={"q": UNANSWERABLE}, timeout=60).json()["abstained"]

    page.goto(f"{service.origin}/admin/insights")
    expect(page.locator("h1")).to_have_text("What staff ask the archive")
    page.get_by_label("Admin token").fill("wrong-token-wrong-token")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#status")).to_have_text("The token was refused.")

    # The report can take a while: the first call groups with the model (seconds on a cold CPU).
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report")).to_be_visible(timeout=60_000)
    expect(page.locator("#unanswered tbody")).to_contain_text(UNANSWERABLE)
    expect(page.locator("#chart svg rect.bar")).not_to_have_count(0)
    expect(page.locator("#top tbody tr")).not_to_have_count(0)
    # The token travelled in a header only: no address the page asked for carries it.
    assert not [url for url in watched.requests if ADMIN_TOKEN in url]

    page.goto(f"{service.origin}/admin/insights?lang=ru")
    expect(page.locator("h1")).to_have_text("Что спрашивают в архиве")
    page.get_by_label("Токен администратора").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Показать").click()
    expect(page.locator("#report")).to_be_visible(timeout=60_000)
    expect(page.locator("#unanswered thead")).to_contain_text("Что произошло")
    expect(page.locator("#unanswered tbody")).to_contain_text("найдено, но без ответа")
    assert watched.errors == [] and watched.dialogs == []
