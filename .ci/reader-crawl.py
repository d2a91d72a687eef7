#!/usr/bin/env python3
"""A reader's crawl: headless Chromium (through Selenium and Debian's chromium-driver) opens
every page of a live galley-server's public site, and of the static site `galley site build`
writes, following every link; every address a page names must answer (no 4xx or 5xx, no
missing file), every page must show what it should, and every card must show its own
article's picture and credit. The archive holds articles in Latin, Russian and Belarusian
script, with combining marks and emoji, in Cyrillic categories and tags, with and without
images, one retracted. Feeds are read with feedparser (an Atom parser).

Usage: reader-crawl.py BIN_DIR WORK_DIR SCREENSHOT"""
import json, os, re, struct, subprocess, sys, time, unicodedata, urllib.error, urllib.parse, urllib.request, zlib

import feedparser
from selenium import webdriver
from selenium.webdriver.common.by import By

bin_dir, work, screenshot = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from galley_ci import start_server

server, base, env = start_server(bin_dir, work, "crawl-password-1")


def galley(*args, stdin=None):
    r = subprocess.run([bin_dir + "/galley", *args], env=dict(env, GALLEY_WORKSPACE=work + "/desk"), input=stdin,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("galley %s failed (%d): %s %s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout.strip()


def png(rgb):
    """A 4x3 PNG of one colour: a real image for the media store."""
    raw = b"".join(b"\x00" + bytes(rgb) * 4 for _ in range(3))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


try:
    for slug, name in [("politics", "Politics"), ("палітыка", "Палітыка"), ("trends", "Trends")]:
        subprocess.run([bin_dir + "/galley-server", "category", "add", slug, name], env=env, check=True, capture_output=True)
    subprocess.run([bin_dir + "/galley", "init", work + "/desk", "--server", base], env=env, check=True, capture_output=True)
    galley("login", "--user", "admin", "--password-stdin", stdin="crawl-password-1\n")

    # (title, category, tags, body, image colour and credit or None)
    pieces = [
        ("Minsk hopes to boost cooperation with Beijing", "politics", ["china", "belarus"],
         "Sino-Belarusian cooperation grows: the Polonaise rockets and a satellite.\n\nSee [the second piece](/articles/polonaise-rockets-and-chinese-satellites).\n",
         ((200, 30, 30), "Photo: Catholic.by")),
        ("Polonaise rockets and Chinese satellites", "politics", ["china"], "The Polonaise rocket system and the satellite were built with China.\n", None),
        ("Мінск і Пекін: ўзаемадзеянне", "палітыка", ["беларусь", "ў"], "Беларуска-кітайскае супрацоўніцтва: ракеты «Паланэз» і спадарожнік.\n",
         ((30, 30, 200), "Фота: Наша Ніва")),
        ("Минск и Пекин: сотрудничество", "палітыка", ["беларусь", "китай"], "Белорусско-китайское сотрудничество: ракеты и спутник.\n", None),
        (unicodedata.normalize("NFD", "Café politics in Hrodna"), "politics", ["caf\u0065\u0301"], "Combining marks: cafe\u0301, naïve, Ŭ.\n", None),
        ("Emoji in a title 🇧🇾 👩🏽‍💻", "trends", ["🇧🇾"], "A body with emoji 👩🏽‍💻 and a flag 🇧🇾.\n", ((30, 160, 30), "Image: 👩🏽‍💻 desk")),
        ("A retracted piece", "politics", ["china"], "Words that were wrong and must not show.\n", None),
    ]
    pieces += [("Archive piece number %d" % n, "politics" if n % 2 else "палітыка", ["archive"], "Archive text %d about potash.\n" % n, None)
               for n in range(24)]
    images = {}
    ids = []
    for n, (title, category, tags, body, image) in enumerate(pieces):
        path = "%s/body-%d.md" % (work, n)
        open(path, "w").write(body)
        lead = "Wrong lead words." if title == "A retracted piece" else "The lead of: " + title
        args = ["new", "--title", title, "--lead", lead, "--category", category, "--body-file", path]
        for t in tags:
            args += ["--tag", t]
        article = galley(*args)
        ids.append(article)
        if image:
            img = "%s/img-%d.png" % (work, n)
            open(img, "wb").write(png(image[0]))
            galley("attach", article, img, "--credit", image[1])
        galley("submit", article)
        galley("approve", article)
        galley("publish", article)
    galley("sync")
    galley("retract", ids[6], "-m", "The figures were wrong.")
    galley("sync")
    shown = {}
    for article in ids:
        view = json.loads(galley("show", article, "--json"))
        shown[view["slug"]] = view

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] if os.path.exists(p))
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,1400",
                 "--allow-file-access-from-files", "--user-data-dir=" + work + "/chrome"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
    browser.set_page_load_timeout(30)

    def status(url):
        request = urllib.request.Request(url, headers={"Accept": "text/html,*/*"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def check_cards(url):
        """Each card's picture and credit are its own article's, or absent."""
        for card in browser.find_elements(By.CSS_SELECTOR, "article.card"):
            link = card.find_element(By.CSS_SELECTOR, "h2 a, h3 a").get_attribute("href")
            if "/articles/" not in link:
                continue
            slug = urllib.parse.unquote(link.split("/articles/")[1].split("/")[0])
            target = shown.get(slug)
            if target is None:
                fail("%s: a card links to an unknown article %s" % (url, link))
                continue
            imgs = card.find_elements(By.TAG_NAME, "img")
            credit = [p.text for p in card.find_elements(By.CSS_SELECTOR, ".credit")]
            want_image = target["image"] and target["state"] != "retracted"
            if want_image and (not imgs or not imgs[0].get_attribute("src").endswith(target["image"].split("/")[-1])):
                fail("%s: the card of %s lacks its picture" % (url, slug))
            if not want_image and imgs:
                fail("%s: the card of %s shows a picture it does not have: %s" % (url, slug, imgs[0].get_attribute("src")))
            want_credit = ["Image: " + target["imageCredit"]] if want_image and target["imageCredit"] else []
            if credit != want_credit:
                fail("%s: the card of %s shows credit %r, not %r" % (url, slug, credit, want_credit))

    def crawl(start, same_site, fetch):
        """Opens every page reachable from `start`; returns how many were opened."""
        queue, seen, opened = [start], {start}, 0
        while queue and opened < 400:
            url = queue.pop(0)
            browser.get(url)
            opened += 1
            title = browser.title
            if not title or "Not found" in title or "Something went wrong" in title:
                fail("%s: the page says %r" % (url, title))
            body = browser.find_element(By.TAG_NAME, "body").text
            if "Words that were wrong" in body or "Wrong lead words" in body:
                fail("%s: a retracted article's words are on the page" % url)
            if re.search(r"&(amp|lt|gt|quot|#\d+);", body):
                fail("%s: escaped markup shows as text" % url)
            check_cards(url)
            for img in browser.find_elements(By.TAG_NAME, "img"):
                if not browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img):
                    fail("%s: the image %s does not load" % (url, img.get_attribute("src")))
            if not browser.execute_script("return [...document.styleSheets].some(s => { try { return s.cssRules.length > 0 } catch (e) { return true } })"):
                fail("%s: the stylesheet did not load" % url)
            found = [e.get_attribute("href") for e in browser.find_elements(By.CSS_SELECTOR, "a[href], link[href]")]
            found += [e.get_attribute("src") for e in browser.find_elements(By.CSS_SELECTOR, "img[src]")]
            for link in found:
                link = link.split("#")[0]
                if not same_site(link) or link in seen:
                    continue
                seen.add(link)
                ok, page = fetch(link)
                if not ok:
                    fail("%s links to %s, which %s" % (url, link, page))
                elif page:
                    queue.append(link)
        return opened, len(seen)

    def fetch_live(link):
        code, kind, body = status(link)
        if code >= 400:
            return False, "answers %d" % code
        if "atom" in kind:
            feed = feedparser.parse(body)
            if feed.bozo:
                return False, "is not well-formed Atom: %s" % feed.bozo_exception
            for entry in feed.entries:
                text = entry.get("summary", "") + "".join(c.value for c in entry.get("content", []))
                if "Words that were wrong" in text or "Wrong lead words" in text:
                    return False, "carries a retracted article's words"
        return True, kind.startswith("text/html")

    pages, links = crawl(base + "/", lambda u: u.startswith(base) and "/search" not in u, fetch_live)
    print("live site: %d pages opened in Chromium, %d addresses checked" % (pages, links))
    for slug in ["мінск-і-пекін-ўзаемадзеянне", "минск-и-пекин-сотрудничество"]:
        if slug not in shown:
            fail("the Cyrillic slug %s was not made (slugs: %s)" % (slug, sorted(shown)))
    browser.get(base + "/articles/" + urllib.parse.quote(pieces[0][0].lower().replace(" ", "-")))
    browser.save_screenshot(screenshot)

    # The same site as static files, opened from disk.
    galley("site", "build", work + "/static")
    root = "file://" + work + "/static/"

    def fetch_file(link):
        path = urllib.parse.unquote(link[len("file://"):])
        if not os.path.isfile(path):
            return False, "is not there"
        if path.endswith(".atom"):
            feed = feedparser.parse(open(path, "rb").read())
            if feed.bozo:
                return False, "is not well-formed Atom: %s" % feed.bozo_exception
        return True, path.endswith(".html")

    pages, links = crawl(root + "index.html", lambda u: u.startswith(root), fetch_file)
    print("static site: %d pages opened from disk in Chromium, %d files checked" % (pages, links))
    browser.quit()
finally:
    server.terminate()
    server.wait()

if failures:
    print("reader crawl failed: %d problems" % len(failures))
    sys.exit(1)
print("reader crawl passed")
