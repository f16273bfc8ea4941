"""A real web client: Converse.js, as released on npm, in Debian's
headless Chromium, logs in to xmppd over WebSocket and over BOSH on an
`http tls` listener, shows a message a slixmpp user sends it over TCP,
and sends one back that the slixmpp user receives.

The page is served by the test from a local directory (the Converse.js
release scripts/deps.sh installed, and an index page written here);
nothing is fetched from elsewhere.  The browser trusts the test's
certificate alone: --ignore-certificate-errors-spki-list names its
public key, and example.org resolves to loopback in the browser
(--host-resolver-rules), every other name to nothing.  The listener
lets WebSockets from the page's origin only (`websocket origin`).

A screenshot of the logged-in client is kept in regress/artifacts/.
The transport is a parameter of chat_in_browser (Converse.js's
websocket_url or bosh_service_url), so the same scenario runs over any
transport the server serves.
"""

import asyncio
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading


import webclient
from cdp import Browser, CHROMIUM
from xmppdtest import Server, add_user, certs, free_port, run_async

CONVERSE = os.environ.get("XMPPD_CONVERSE",
                          "/usr/local/share/xmppd-test/converse")
CONVERSE_VERSION = "14.0.0"
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "artifacts")
T = 30


class Ctx:
    def log_tail(self, n=40):
        return self.s.log_tail(n) + "\n--- web server ---\n" + \
            "\n".join(self.web_log[-20:])


def installed():
    """Fails, saying what to run, when the browser or the client is
    missing: the test is not skipped."""
    want = "converse.js@%s " % CONVERSE_VERSION
    try:
        with open(os.path.join(CONVERSE, ".package")) as f:
            have = f.read()
    except OSError:
        have = ""
    if not have.startswith(want) or not os.path.exists(
            os.path.join(CONVERSE, "dist", "converse.min.js")):
        raise AssertionError("Converse.js %s is not in %s: run "
                             "scripts/deps.sh" % (CONVERSE_VERSION,
                                                  CONVERSE))
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError("%s is missing: run scripts/deps.sh"
                             % CHROMIUM)


def spki(crt):
    """The base64 SHA-256 of the certificate's public key, as Chromium's
    --ignore-certificate-errors-spki-list takes it."""
    pub = subprocess.run(["openssl", "x509", "-in", crt, "-noout",
                          "-pubkey"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                         input=pub, check=True, capture_output=True).stdout
    dig = subprocess.run(["openssl", "dgst", "-sha256", "-binary"],
                         input=der, check=True, capture_output=True).stdout
    return base64.b64encode(dig).decode()


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the page's directory; each request goes to the test's
    web log rather than to standard error."""

    def log_message(self, fmt, *args):
        self.server.web_log.append(fmt % args)


def serve(root, log):
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    httpd.web_log = log
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def setup():
    installed()
    c = Ctx()
    c.web_log = []
    c.root = tempfile.mkdtemp(prefix="xmppd-converse-")
    os.chmod(c.root, 0o755)
    os.symlink(os.path.join(CONVERSE, "dist"), os.path.join(c.root, "dist"))
    c.httpd = serve(c.root, c.web_log)
    c.origin = "http://127.0.0.1:%d" % c.httpd.server_address[1]
    c.web = free_port()
    c.s = Server("listen on 127.0.0.1 port %d http tls\n"
                 'websocket origin "%s"\n' % (c.web, c.origin), prefork=1)
    c.s.start()
    for u in ("alice", "bob"):
        add_user(c.s, "%s@example.org" % u, u + "-pw")
    return c


def teardown(c):
    c.httpd.shutdown()
    c.httpd.server_close()
    shutil.rmtree(c.root, ignore_errors=True)
    c.s.stop()


def page(c, name, connection):
    """An index page starting Converse.js with these connection
    settings and alice's account; its URL."""
    settings = dict(connection,
                    discover_connection_methods=False,
                    auto_login=True, jid="alice@example.org",
                    password="alice-pw", view_mode="fullscreen",
                    allow_non_roster_messaging=True, i18n="en",
                    play_sounds=False, show_desktop_notifications=False,
                    loglevel="info")
    html = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>xmppd</title>\n"
            "<link rel='stylesheet' href='dist/converse.min.css'>\n"
            "<script type='module' src='dist/converse.min.js'></script>"
            "</head>\n"
            "<body class='converse-fullscreen'><script type='module'>\n"
            "converse.initialize(%s);\n</script></body></html>\n"
            % json.dumps(settings))
    with open(os.path.join(c.root, name), "w") as f:
        f.write(html)
    return "%s/%s" % (c.origin, name)


async def logged(c, pattern, after=0):
    """Waits for a log line of xmppd without stopping the event loop
    (the clients and the browser connection go on meanwhile)."""
    return await asyncio.get_event_loop().run_in_executor(
        None, functools.partial(c.s.wait_log, pattern, after))


async def slix(c, user):
    """user@example.org/tcp online over TCP with slixmpp, available: a
    chat message to the bare JID, as Converse.js sends it, reaches it."""
    x = await webclient.slix(c.s.ports["client"], user)
    mark = c.s.mark()
    x.send_presence()
    await logged(c, r"presence of %s@example.org/tcp: available" % user,
                 mark)
    return x


async def said(x):
    """The next message x receives with a body: chat states (XEP-0085),
    which Converse.js sends as bodiless messages, are passed over."""
    while True:
        m = await x.inbox.get()
        if m["body"]:
            return m


def sessions(c):
    """xmppctl show sessions: full JID -> transport."""
    rows = c.s.ctl("show", "sessions").stdout
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^(\S+)\s+\d+\s+\S+\s+(\S+)\s+TLSv", rows, re.M)}


# The page's own state, read from its DOM.
LOGGED_IN = "document.querySelector('converse-roster')"
UNREAD = "a.open-chat.unread-msgs[data-jid='bob@example.org']"
SHOWN = """[...document.querySelectorAll('.chat-msg__text')].some(
    (e) => e.textContent.includes(%s))"""
TEXTAREA = """(() => {
    const t = document.querySelector(
        "converse-chat[jid='bob@example.org'] textarea.chat-textarea");
    if (t) t.focus();
    return t && document.activeElement === t;
})()"""


def chat_in_browser(c, name, connection, transport):
    """Converse.js logs in with these connection settings; a message
    from bob (slixmpp, TCP) shows in its page; one typed there reaches
    bob.  The session is listed with this transport."""
    shot = os.path.join(ARTIFACTS, "converse-%s.png" % name)
    url = page(c, name + ".html", connection)
    crt = certs()[0]
    profile = tempfile.mkdtemp(prefix="xmppd-chromium-")
    os.makedirs(ARTIFACTS, exist_ok=True)
    for old in (shot, shot.replace(".png", "-failed.png")):
        if os.path.exists(old):
            os.unlink(old)

    async def scenario():
        bob = await slix(c, "bob")
        browser = await Browser(profile, args=[
            "--ignore-certificate-errors-spki-list=" + spki(crt),
            "--host-resolver-rules=MAP example.org 127.0.0.1, "
            "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]).start()
        mark = c.s.mark()
        tab = None
        try:
            tab = await browser.new_page()
            await tab.navigate(url)
            await tab.wait_for(LOGGED_IN, "roster (logged in)", T)
            m = await logged(c, r"session (alice@example.org/\S+) bound",
                             mark)
            jid = m.group(1)
            assert sessions(c).get(jid) == transport, sessions(c)

            bob.send_message(mto=jid, mbody="hello from slixmpp",
                             mtype="chat")
            await tab.wait_for("document.querySelector(%s)" %
                               json.dumps(UNREAD), "bob's unread message", T)
            await tab.click(UNREAD)
            await tab.wait_for(SHOWN % json.dumps("hello from slixmpp"),
                               "bob's message in the chat", T)
            await tab.wait_for(TEXTAREA, "the chat's text area", T)
            await tab.type_text("hello from Converse.js")
            await tab.press_enter()
            got = await asyncio.wait_for(said(bob), T)
            assert got["body"] == "hello from Converse.js", got
            assert str(got["from"]) == jid, got["from"]
            await tab.wait_for(SHOWN % json.dumps("hello from Converse.js"),
                               "the sent message", T)
            await tab.screenshot(shot)
        except Exception:
            # What the page showed, for the failure's reader.
            if tab is not None:
                print("# page when it failed: %s" % await tab.screenshot(
                    shot.replace(".png", "-failed.png")))
            raise
        finally:
            await browser.close()
            bob.disconnect()
    try:
        run_async(scenario())
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", shot
    print("# screenshot: %s" % shot)


def test_websocket(c):
    chat_in_browser(c, "websocket", {
        "websocket_url": "wss://example.org:%d/xmpp-websocket" % c.web},
        "websocket")


def test_bosh(c):
    chat_in_browser(c, "bosh", {
        "bosh_service_url": "https://example.org:%d/http-bind" % c.web},
        "bosh")
