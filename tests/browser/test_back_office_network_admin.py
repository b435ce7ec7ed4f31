"""The network administrator's screens in a real Chromium: a terminal's activation code shown
once, another network's office not found by URL, the Arabic pages right to left and readable
on a 1024 px laptop."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import Browser


def test_a_network_admin_creates_a_terminal_and_sees_the_code_once(browser: Browser) -> None:
    browser.sign_in("admin.cashplus")
    browser.open("/network/terminals")
    browser.driver.find_element(By.LINK_TEXT, "Nouveau terminal").click()
    browser.driver.find_element(By.ID, "f-office").send_keys("CA-01")
    label = browser.driver.find_element(By.ID, "f-label")
    label.clear()
    label.send_keys("Guichet 2", Keys.ENTER)  # from the keyboard
    # Enter submits the form: the answer is a new page, waited for before it is read.
    browser.wait_text("il ne sera plus jamais affiché")
    code = browser.driver.find_element(By.ID, "activation-code").text
    assert code.count("-") == 3
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, "J'ai noté le code").click()
    assert "Terminal " + code.split("-")[0] in browser.wait_text("en attente d'activation")
    assert code not in browser.driver.page_source
    browser.driver.refresh()
    assert code not in browser.driver.page_source
    browser.open("/network/terminals")
    assert code not in browser.driver.page_source
    assert "Guichet 2" in browser.text()
    assert browser.csp_violations() == []


def test_a_network_admin_cannot_see_another_networks_office_by_url(browser: Browser) -> None:
    browser.sign_in("admin.cashplus")
    browser.open("/network/offices/CA-01")
    assert "Agence CA-01" in browser.text()
    browser.open("/network/offices/WA-01")
    assert "Cette page n'existe pas, ou n'est pas visible pour votre rôle." in browser.text()
    assert "Wafacash" not in browser.text()
    browser.open("/network/offices")
    assert "CA-01" in browser.text()
    assert "WA-01" not in browser.text()


def test_the_network_admins_arabic_pages_are_right_to_left_and_fit_a_laptop(
    browser: Browser,
) -> None:
    browser.driver.set_window_size(1024, 768)
    browser.sign_in("admin.cashplus")
    for path in ("/network/terminals?lang=ar", "/network/offices", "/network/staff"):
        browser.open(path)
        html = browser.driver.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("dir") == "rtl", path
        width = browser.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 1024, path
    assert "موظفو الشبابيك" in browser.text()
    assert browser.csp_violations() == []
