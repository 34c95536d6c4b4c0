"""Scenario 2: Vietnamese by default; the English switch is remembered across pages, visits and
signing in; switching back restores Vietnamese."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import VI, login


def lang_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "lang"), None)


def test_english_switch_is_remembered(new_context, shot):
    context = new_context("phone")
    page = context.new_page()

    page.goto("/report")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(VI["report_title"])
    expect(page.get_by_label(re.compile("^Họ và tên"))).to_be_visible()
    shot(page, "report-vi")

    page.locator("#lang-en").click()
    expect(page).to_have_url(re.compile(r"/report\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Send a report")
    for label in ("Your full name", "Phone number", "E-mail (optional)", "Topic",
                  "What is the problem?", "Address or place", "Photos (optional)",
                  "I agree that the handling agency may see my name and phone"):
        expect(page.get_by_label(re.compile("^" + re.escape(label)))).to_have_count(1)
    expect(page.locator('#category option[value="security"]')).to_have_text(
        "Security and public order")
    expect(page.locator("#submit-report")).to_have_text("Send the report")
    expect(page.locator("#truth-note")).to_contain_text("responsible before the law")
    expect(page.locator(".lang-current")).to_have_text("English")
    assert lang_cookie(context) == "en"
    shot(page, "report-en")

    # The next page is English too, by the link in the menu.
    page.locator("#nav-track").click()
    expect(page).to_have_url(re.compile(r"/track$"))
    expect(page.locator("h1")).to_have_text("Track a report")
    expect(page.get_by_label("Tracking code")).to_be_visible()
    shot(page, "track-en")

    # A later visit: the session is gone but the cookie remembers the choice.
    context.clear_cookies(name="session")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#start-report")).to_have_text("Send a report")
    shot(page, "home-en-next-visit")

    # Staff pages, and signing in keeps the language.
    page.locator("#nav-login").click()
    expect(page.locator("h1")).to_have_text("Staff sign-in")
    login(page, "operator")
    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page.locator("h1")).to_have_text("Work queue")
    expect(page.locator("#logout")).to_have_text("Sign out")
    shot(page, "queue-en-360")

    # Back to Vietnamese, remembered as well.
    page.locator("#lang-vi").click()
    expect(page).to_have_url(re.compile(r"/work/\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(VI["work_queue"])
    assert lang_cookie(context) == "vi"
    page.goto("/report")
    expect(page.locator("h1")).to_have_text(VI["report_title"])
    expect(page.locator('#category option[value="security"]')).to_have_text("An ninh – trật tự")
    shot(page, "report-vi-again")
