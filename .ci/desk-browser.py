#!/usr/bin/env python3
"""The editors' desk end to end in headless Chromium (Selenium, Debian's chromium-driver), on a
live galley-server over embedded SQLite or, given --postgres, over a private PostgreSQL cluster
this script starts (initdb in a temporary folder, a free port on 127.0.0.1):

  an analyst pushes a draft with the CLI; an editor signs in, reads the diff, adds a note and
  requests changes; the analyst's `galley sync` shows the note; the analyst edits and
  resubmits; the editor, with the review page open, meets an edit pushed meanwhile: approve is
  refused and shows the change; the editor approves what is now shown and publishes; the public
  page shows the approved text. axe-core checks each desk page (no serious or critical
  violations); screenshots of the queue and the review page are saved.

Usage: desk-browser.py BIN_DIR WORK_DIR SCREENSHOT_DIR [--postgres]"""
import json, os, shutil, subprocess, sys, time, urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

bin_dir, work, shots = sys.argv[1], sys.argv[2], sys.argv[3]
postgres = "--postgres" in sys.argv[4:]
backend = "postgresql" if postgres else "sqlite"
failures = []
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from galley_ci import free_port, start_server


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL (%s): %s" % (backend, message), file=sys.stderr)
    return ok


pg_dir = None
extra = {}
if postgres:
    pg_bin = "/usr/lib/postgresql/15/bin"
    pg_dir = work + "/pg"
    os.makedirs(pg_dir)
    as_postgres = ["/usr/sbin/runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if os.getuid() == 0:
        shutil.chown(work, "postgres", "postgres")
        shutil.chown(pg_dir, "postgres", "postgres")
    subprocess.run(as_postgres + [pg_bin + "/initdb", "-D", pg_dir + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)
    pg_port = free_port()
    subprocess.run(as_postgres + [pg_bin + "/pg_ctl", "-D", pg_dir + "/data", "-l", pg_dir + "/log", "-w", "-o",
                                  "-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off" % (pg_port, pg_dir), "start"],
                   check=True, capture_output=True)
    extra["GALLEY_DATABASE_URL"] = "postgres://postgres@127.0.0.1:%d/postgres" % pg_port

server, base, env = None, None, None
browser = None
try:
    server, base, env = start_server(bin_dir, work, "desk-admin-password-1", **extra)
    health = json.load(urllib.request.urlopen(base + "/healthz", timeout=10))
    check(health.get("backend") == backend, "the server runs on %s, not %s" % (health.get("backend"), backend))
    subprocess.run([bin_dir + "/galley-server", "category", "add", "analysis", "Analysis"], env=env, check=True, capture_output=True)

    def api(method, path, body=None, token=None):
        request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read() or b"null")

    admin = api("POST", "/v1/sessions", {"name": "admin", "password": "desk-admin-password-1"})["token"]
    api("POST", "/v1/users", {"name": "erik", "role": "editor", "password": "erik's long password"}, admin)
    api("POST", "/v1/users", {"name": "anna", "role": "analyst", "password": "anna's long password"}, admin)

    def galley(*args, stdin=None):
        r = subprocess.run([bin_dir + "/galley", *args], env=dict(env, GALLEY_WORKSPACE=work + "/anna"), input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("galley %s failed (%d): %s %s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout.strip()

    # The analyst writes offline, then syncs and submits.
    subprocess.run([bin_dir + "/galley", "init", work + "/anna", "--server", base], env=env, check=True, capture_output=True)
    galley("login", "--user", "anna", "--password-stdin", stdin="anna's long password\n")
    body = "Мінск спадзяецца пашырыць супрацоўніцтва з Пекінам.\n\nЭкспарт калійных угнаенняў вырас на трэць.\n"
    article = json.loads(galley("new", "--title", "Мінск і Пекін", "--category", "analysis", "--body-file", "-", "--json", stdin=body))["id"]
    galley("submit", article)
    galley("sync")

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] if os.path.exists(p))
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1300",
                 "--user-data-dir=" + work + "/chrome"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
    browser.set_page_load_timeout(30)
    axe_source = open(os.path.join(os.path.dirname(__import__("axe_selenium_python").__file__), "node_modules", "axe-core", "axe.min.js")).read()

    def axe(name):
        # axe-core runs through WebDriver, which the page's CSP (script-src 'none') does not govern.
        browser.execute_script(axe_source)
        result = browser.execute_async_script("var done = arguments[arguments.length - 1]; axe.run().then(done, function (e) { done({error: String(e)}); });")
        if not check("error" not in result, "axe failed on %s: %s" % (name, result.get("error"))):
            return
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        print("axe on %s: %d rules passed, %d violations (%d serious or critical)" % (name, len(result["passes"]), len(result["violations"]), len(bad)))
        check(not bad, "axe on %s: %s" % (name, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]))

    def submit_form(action, **fields):
        form = browser.find_element(By.CSS_SELECTOR, "form[action$='%s']" % action)
        for name, value in fields.items():
            element = form.find_element(By.NAME, name)
            element.clear()
            element.send_keys(value)
        press(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    def press(button):
        # A click starts the post; the next page is there once the old one is gone.
        button.click()

        def gone(_):
            # Chromium says "stale" or, mid-navigation, "does not belong to the document".
            try:
                button.is_enabled()
                return False
            except WebDriverException:
                return True
        WebDriverWait(browser, 20).until(gone)

    # The editor signs in: the desk sends a stranger to its sign-in page.
    browser.get(base + "/desk")
    check(browser.current_url.endswith("/desk/login"), "the desk did not send a stranger to sign in: %s" % browser.current_url)
    axe("the sign-in page")
    submit_form("/desk/login", name="erik", password="wrong password")
    check("Wrong user name or password." in browser.page_source, "a wrong password is not explained")
    submit_form("/desk/login", name="erik", password="erik's long password")
    check(browser.current_url.endswith("/desk"), "signing in did not lead to the queue: %s" % browser.current_url)
    cookie = browser.get_cookie("galley_desk")
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "the session cookie: %s" % cookie)
    check("Мінск і Пекін" in browser.page_source, "the submitted article is not in the queue")
    axe("the queue")
    browser.save_screenshot(shots + "/desk-queue-%s.png" % backend)

    press(browser.find_element(By.LINK_TEXT, "Мінск і Пекін"))
    review = browser.current_url
    shown = json.loads(galley("show", article, "--json"))
    check(shown["headRevision"][:8] in browser.find_element(By.CSS_SELECTOR, "p.meta code").text, "the page does not name the head revision")
    check("Экспарт калійных угнаенняў вырас на трэць." in browser.find_element(By.CSS_SELECTOR, ".page-preview .body").text,
          "the preview does not show the body")
    axe("the review page")
    submit_form("/notes", text="Дадайце крыніцу для лічбаў.")
    check("Note added." in browser.page_source and "Дадайце крыніцу" in browser.page_source, "the note is not on the page")
    submit_form("/request-changes", message="Калі ласка, дадайце крыніцу.")
    check("Changes requested" in browser.page_source, "requesting changes was not confirmed")

    # The analyst syncs and reads the notes, edits and resubmits.
    galley("sync")
    log = galley("log", article)
    check("Дадайце крыніцу для лічбаў." in log and "Калі ласка, дадайце крыніцу." in log, "galley log does not show the editor's notes:\n" + log)
    galley("edit", article, "--body-file", "-", stdin=body.replace("на трэць.", "на трэць (паводле Белстата)."))
    galley("note", article, "--message", "Крыніца дададзена.")
    galley("submit", article)
    galley("sync")

    # The analyst's reply is unread in the editor's queue until the page is opened.
    browser.get(base + "/desk")
    check("1 unread" in browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=waiting]").text, "the analyst's reply is not unread in the queue")
    # The editor opens the page; the analyst pushes another edit; approve is refused and shows it.
    browser.get(review)
    check("паводле Белстата" in browser.page_source, "the resubmitted text is not on the review page")
    check([e.text for e in browser.find_elements(By.CSS_SELECTOR, ".note.unread p:not(.meta)")] == ["Крыніца дададзена."], "the reply is not marked new")
    browser.save_screenshot(shots + "/desk-review-%s.png" % backend)
    galley("edit", article, "--body-file", "-", stdin=body.replace("на трэць.", "на трэць (паводле Белстата, 2026)."))
    galley("sync")
    press(browser.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button"))
    check("Not approved" in browser.page_source, "a stale approval was not refused")
    check(any("2026" in e.text for e in browser.find_elements(By.CSS_SELECTOR, ".error ins")), "the refusal does not show what changed")
    after = api("GET", "/v1/articles/" + article, token=admin)
    check(after.get("state") == "submitted" and not after.get("approvedRevision"), "something was approved: %s" % after.get("state"))

    # Reading the new text, the editor approves it and publishes.
    browser.get(review)
    check(not browser.find_elements(By.CSS_SELECTOR, ".note.unread"), "a note read before is still marked new")
    press(browser.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button"))
    check("Approved." in browser.page_source, "the approval was not confirmed: " + browser.find_element(By.TAG_NAME, "main").text[:300])
    submit_form("/publish", at="")
    check("Published." in browser.page_source, "publishing was not confirmed")
    slug = api("GET", "/v1/articles/" + article, token=admin)["slug"]
    browser.get(base + "/articles/" + urllib.parse.quote(slug))
    check("паводле Белстата, 2026" in browser.find_element(By.CSS_SELECTOR, "article .body").text, "the public page does not show the approved text")

    # Signing out ends the session.
    browser.get(base + "/desk")
    press(browser.find_element(By.CSS_SELECTOR, "form.signout button"))
    browser.get(base + "/desk")
    check(browser.current_url.endswith("/desk/login"), "signed out, the desk still opened")
    print("desk browser check (%s): %d problems" % (backend, len(failures)))
finally:
    if browser:
        browser.quit()
    if server:
        server.terminate()
        server.wait()
    if pg_dir:
        subprocess.run((["/usr/sbin/runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) +
                       ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", pg_dir + "/data", "-m", "immediate", "-w", "stop"], capture_output=True)

sys.exit(1 if failures else 0)
