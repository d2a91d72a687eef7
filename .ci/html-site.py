#!/usr/bin/env python3
"""Builds a site to validate: a live galley-server whose archive holds every example of the
CommonMark spec (../shared/corpora/commonmark/spec.txt) as an article, plus articles like the
seed (../shared/fixtures/seed-article.txt) and one using every GFM feature; saves the live
server's pages (home, categories, tags, every article, search, the 404 page) and writes the
static site with `galley site build`. The caller runs the Nu HTML checker over OUT.

Usage: html-site.py BIN_DIR WORK_DIR OUT_DIR"""
import json, os, re, subprocess, sys, urllib.error, urllib.parse, urllib.request

bin_dir, work, out = sys.argv[1], sys.argv[2], sys.argv[3]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec_path = os.path.join(root, "..", "shared", "corpora", "commonmark", "spec.txt")
seed_path = os.path.join(root, "..", "shared", "fixtures", "seed-article.txt")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from galley_ci import start_server

server, base, env = start_server(bin_dir, work, "check-password-1", GALLEY_WORKSPACE=work + "/desk")


def galley(*args, stdin=None, check=True):
    r = subprocess.run([bin_dir + "/galley", *args], env=env, input=stdin, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit("galley %s failed (%d): %s %s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def spec_examples():
    if not os.path.exists(spec_path):
        # The corpus lives beside the project; a clone elsewhere checks the other articles.
        print("html site: SKIPPED the CommonMark spec examples: %s is not there" % spec_path)
        return []
    examples, section, lines, i = [], "", open(spec_path, encoding="utf-8").read().split("\n"), 0
    fence = "`" * 32
    while i < len(lines):
        m = re.match(r"^(#{1,3}) (.*)", lines[i])
        if m:
            section = m.group(2)
        if lines[i].startswith(fence + " example"):
            md = []
            i += 1
            while lines[i] != ".":
                md.append(lines[i])
                i += 1
            while not lines[i].startswith(fence):
                i += 1
            examples.append((len(examples) + 1, section, ("\n".join(md) + "\n" if md else "").replace("\u2192", "\t")))
        i += 1
    return examples


def yaml_string(s):
    return json.dumps(s, ensure_ascii=False)


GFM = """Exports fell[^imf] while imports ~~rose~~ held.

| Region | Share | Change |
|:-------|------:|:------:|
| Minsk  | 40%   | *+2*   |
| Гомель | 12%   | −1     |

- [x] drafted
- [ ] reviewed by the editor

```swift
let growth = 1.5 < 2
```

See <https://belstat.gov.by/>, https://example.org/report?a=1&b=2, www.nashaniva.com and press@example.org.

<div class="raw">Raw HTML is shown as text.</div>

[^imf]: IMF, *World Economic Outlook*, October.
"""

try:
    for slug, name in [("spec", "CommonMark spec"), ("analysis", "Analysis"), ("аналітыка", "Аналітыка")]:
        subprocess.run([bin_dir + "/galley-server", "category", "add", slug, name], env=env, check=True, capture_output=True)
    subprocess.run([bin_dir + "/galley", "init", work + "/desk", "--server", base], env=env, check=True, capture_output=True)
    galley("login", "--user", "admin", "--password-stdin", stdin="check-password-1\n")

    seed = open(seed_path, encoding="utf-8").read() if os.path.exists(seed_path) else "Minsk hopes to boost cooperation.\n"
    # (title, lead, category, tags, body)
    articles = [
        ("Minsk hopes to boost cooperation with Beijing", "Minsk aspires to replace the Kremlin with Beijing in some spheres.", "analysis", ["china", "belarus"], seed),
        ("Every GFM feature an analyst uses", "", "analysis", ["gfm"], GFM),
        ("Мінск і Пекін: ўзаемадзеянне", "Беларуска-кітайскае супрацоўніцтва.", "аналітыка", ["беларусь"],
         "## Ракеты «Паланэз»\n\nСупрацоўніцтва *расце*: [дакумент](/articles/x) і cafe\u0301 👩🏽‍💻.\n\n> Цытата\n> працягваецца\n"),
    ]
    articles += [("CommonMark example %d" % n, "Spec section: %s" % section, "spec", ["spec"], md) for n, section, md in spec_examples()]
    src = work + "/import"
    os.makedirs(src)
    for n, (title, lead, category, tags, body) in enumerate(articles):
        with open("%s/%04d.md" % (src, n), "w", encoding="utf-8") as f:
            f.write("---\ntitle: %s\nlead: %s\ncategory: %s\ntags: [%s]\n---\n%s" % (
                yaml_string(title), yaml_string(lead), category, ", ".join(yaml_string(t) for t in tags), body))
    report = json.loads(galley("import", src, "--json", check=False).stdout)
    ids = [c["id"] for c in report["created"]]
    # A spec example the text rule refuses (a control character) is reported, not built.
    for failed in report["failed"]:
        print("not imported: %s" % json.dumps(failed, ensure_ascii=False))
    if len(ids) + len(report["failed"]) != len(articles) or len(ids) < len(articles) - 5:
        raise SystemExit("imported %d of %d articles" % (len(ids), len(articles)))
    # The last article (a spec example) is left submitted, so that the desk's queue has a line to show.
    waiting, ids = ids[-1], ids[:-1]
    galley("submit", waiting)
    for article in ids:
        for command in ("submit", "approve", "publish"):
            galley(command, article)
    galley("sync")

    # The live site's pages, as a browser gets them.
    live = out + "/live"
    os.makedirs(live)
    saved = 0

    def save(path, name, want=200):
        global saved
        request = urllib.request.Request(base + path, headers={"Accept": "text/html"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                body, code = r.read(), r.status
        except urllib.error.HTTPError as e:
            body, code = e.read(), e.code
        if code != want:
            raise SystemExit("%s answered %d, not %d" % (path, code, want))
        open("%s/%s.html" % (live, name), "wb").write(body)
        saved += 1

    save("/", "home")
    if len(ids) > 20:
        save("/?page=2", "home-2")
    for slug in ["spec", "analysis", urllib.parse.quote("аналітыка")]:
        save("/categories/" + slug, "category-" + str(saved))
    for tag in sorted({t for (_, _, _, tags, _) in articles for t in tags}):
        tag = urllib.parse.quote(tag)
        save("/tags/" + tag, "tag-" + str(saved))
    save("/search?q=" + urllib.parse.quote("minsk"), "search")
    save("/articles/no-such-article", "not-found", want=404)
    for article in ids:
        view = json.loads(galley("show", article, "--json").stdout)
        save("/articles/" + urllib.parse.quote(view["slug"]), "article-" + str(saved))
    # The editors' desk, as an editor's browser gets it: the sign-in page, a refused sign-in,
    # and the queue once signed in (cookies kept, the form's token posted back).
    import http.cookiejar
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def desk(path, name, want=200, form=None):
        global saved
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(base + path, data=data, headers={"Accept": "text/html"})
        try:
            with browser.open(request, timeout=30) as r:
                body, code = r.read(), r.status
        except urllib.error.HTTPError as e:
            body, code = e.read(), e.code
        if code != want:
            raise SystemExit("%s answered %d, not %d" % (path, code, want))
        open("%s/%s.html" % (live, name), "wb").write(body)
        saved += 1
        return body.decode()

    def form_token(page):
        import re
        return re.search(r'name="csrf" value="([^"]*)"', page).group(1)

    page = desk("/desk/login", "desk-login")
    page = desk("/desk/login", "desk-login-refused", want=401, form={"name": "admin", "password": "wrong", "csrf": form_token(page)})
    queue = desk("/desk/login", "desk-queue", form={"name": "admin", "password": "check-password-1", "csrf": form_token(page)})
    if "Waiting for review <span class=\"count\">(1)</span>" not in queue:
        raise SystemExit("the desk's queue does not show the submitted article")
    galley("site", "build", out + "/static")
    print("html site: %d articles (%d spec examples), %d live pages saved, static site in %s" % (len(ids), len(articles) - 3, saved, out + "/static"))
finally:
    server.terminate()
    server.wait()
