"""Headless Chromium driven over the Chrome DevTools Protocol, for the
tests that run a real web client against xmppd.

The browser is Debian's chromium, started with the flags that keep it
off the network (no background requests, no component updates, no
sync, no QUIC) and with a new profile in a directory of the caller's.
Its DevTools endpoint is a WebSocket on a loopback port the browser
picks itself and names on its standard error; the client speaks to it
with aiohttp's WebSocket client, one JSON command at a time, each
answered by its id, and keeps the events (console lines, uncaught
exceptions) for the failure messages.

Waiting is on events: a page condition is awaited by a promise in the
page that a MutationObserver settles when the condition holds, never by
sleeping and looking again.
"""

import asyncio
import base64
import json
import os
import re

import aiohttp

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
T = 20

# What keeps a headless browser quiet on a machine without a network,
# and lets it run as root.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps",
         "--no-default-browser-check", "--mute-audio",
         "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0"]


class CDPError(Exception):
    pass


class Browser:
    """One Chromium process and the DevTools connection to it."""

    def __init__(self, profile, args=(), size=(1280, 800)):
        self.profile = profile
        self.args = list(args) + ["--window-size=%d,%d" % size]
        self.proc = None
        self.ws = None
        self.http = None
        self.stderr = []
        self.events = []
        self.next_id = 0
        self.pending = {}
        self.waiters = []
        self.tasks = []

    async def start(self):
        if not os.access(CHROMIUM, os.X_OK):
            raise AssertionError("%s is missing: run scripts/deps.sh"
                                 % CHROMIUM)
        os.makedirs(self.profile, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            CHROMIUM, *FLAGS, "--user-data-dir=" + self.profile,
            *self.args, "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        url = await asyncio.wait_for(self._endpoint(), T)
        self.tasks.append(asyncio.ensure_future(self._drain()))
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(url, max_msg_size=0,
                                             timeout=T)
        self.tasks.append(asyncio.ensure_future(self._reader()))
        return self

    async def _endpoint(self):
        """The DevTools URL the browser prints once it listens."""
        rx = re.compile(r"DevTools listening on (ws://\S+)")
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                raise AssertionError(
                    "chromium exited before listening:\n" +
                    "\n".join(self.stderr[-30:]))
            line = line.decode(errors="replace").rstrip()
            self.stderr.append(line)
            m = rx.search(line)
            if m:
                return m.group(1)

    async def _drain(self):
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.stderr.append(line.decode(errors="replace").rstrip())

    async def _reader(self):
        async for m in self.ws:
            if m.type != aiohttp.WSMsgType.TEXT:
                break
            msg = json.loads(m.data)
            if "id" in msg:
                fut = self.pending.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
                continue
            self.events.append(msg)
            for match, fut in list(self.waiters):
                if not fut.done() and match(msg):
                    fut.set_result(msg)
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(CDPError("DevTools connection closed"))

    async def send(self, method, params=None, session=None, timeout=T):
        """One command; its result, or CDPError with the browser's
        error."""
        self.next_id += 1
        cmd = {"id": self.next_id, "method": method,
               "params": params or {}}
        if session is not None:
            cmd["sessionId"] = session
        fut = asyncio.get_event_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send_str(json.dumps(cmd))
        msg = await asyncio.wait_for(fut, timeout)
        if "error" in msg:
            raise CDPError("%s: %s" % (method, msg["error"]))
        return msg.get("result", {})

    def expect_event(self, method, session=None):
        """A future for the next event named method (of one page),
        registered before the command that causes it is sent."""
        fut = asyncio.get_event_loop().create_future()

        def match(msg):
            return msg.get("method") == method and (
                session is None or msg.get("sessionId") == session)
        self.waiters.append((match, fut))
        fut.add_done_callback(
            lambda f: self.waiters.remove((match, fut)))
        return fut

    async def new_page(self):
        t = await self.send("Target.createTarget", {"url": "about:blank"})
        a = await self.send("Target.attachToTarget",
                            {"targetId": t["targetId"], "flatten": True})
        page = Page(self, a["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        return page

    def console(self, n=40):
        """The last console lines and uncaught exceptions of the pages,
        for failure messages."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled":
                out.append("console.%s: %s" % (p.get("type"), " ".join(
                    str(a.get("value", a.get("description", "")))
                    for a in p.get("args", []))))
            elif e.get("method") == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s" % d.get("exception", {}).get(
                    "description", d.get("text")))
        return "\n".join(out[-n:])

    async def close(self):
        if self.ws is not None and not self.ws.closed:
            try:
                await self.send("Browser.close", timeout=5)
            except (CDPError, asyncio.TimeoutError,
                    ConnectionError):
                pass
            await self.ws.close()
        if self.http is not None:
            await self.http.close()
        if self.proc is not None:
            try:
                await asyncio.wait_for(self.proc.wait(), T)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        for t in self.tasks:
            t.cancel()


class Page:
    """One tab, attached with its own DevTools session."""

    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    async def send(self, method, params=None, timeout=T):
        return await self.browser.send(method, params, self.session,
                                       timeout)

    async def navigate(self, url):
        """Loads url and returns once its load event has fired."""
        loaded = self.browser.expect_event("Page.loadEventFired",
                                           self.session)
        r = await self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            loaded.cancel()
            raise AssertionError("%s: %s" % (url, r["errorText"]))
        await asyncio.wait_for(loaded, T)

    async def evaluate(self, expr, timeout=T):
        """The value of a JavaScript expression (a promise is awaited)."""
        r = await self.send("Runtime.evaluate", {
            "expression": expr, "returnByValue": True,
            "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise AssertionError("%s: %s" % (expr, d.get(
                "exception", {}).get("description", d.get("text"))))
        return r["result"].get("value")

    async def wait_for(self, expr, what, timeout=T):
        """The first truthy value of expr, a JavaScript expression
        tested now and after each change of the document (true for a
        node); fails naming what after timeout seconds."""
        ms = int(timeout * 1000)
        js = """new Promise((resolve) => {
            let obs = null, timer = null;
            const done = (v) => {
                if (obs) obs.disconnect();
                clearTimeout(timer);
                resolve(v instanceof Node ? true : v);
            };
            const check = () => {
                let v = null;
                try { v = (%s); } catch (e) { v = null; }
                if (v) done(v);
                return v;
            };
            if (check()) return;
            obs = new MutationObserver(check);
            obs.observe(document, {subtree: true, childList: true,
                attributes: true, characterData: true});
            timer = setTimeout(() => done(null), %d);
        })""" % (expr, ms)
        v = await self.evaluate(js, timeout=timeout + 5)
        if not v:
            raise AssertionError(
                "no %s within %ds in the page; its console:\n%s"
                % (what, timeout, self.browser.console()))
        return v

    async def click(self, selector):
        """A left click, pressed and released, at the middle of the
        first visible element matching the CSS selector."""
        box = await self.evaluate("""(() => {
            const e = [...document.querySelectorAll(%s)].find(
                (e) => e.getClientRects().length > 0);
            if (!e) return null;
            e.scrollIntoView({block: "center"});
            const r = e.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2};
        })()""" % json.dumps(selector))
        if box is None:
            raise AssertionError("nothing to click: %s" % selector)
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", {
                "type": kind, "x": box["x"], "y": box["y"],
                "button": "left", "clickCount": 1})

    async def type_text(self, text):
        """Types text into the focused element, as a keyboard would."""
        await self.send("Input.insertText", {"text": text})

    async def press_enter(self):
        key = {"key": "Enter", "code": "Enter",
               "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
        await self.send("Input.dispatchKeyEvent",
                        dict(key, type="keyDown", text="\r"))
        await self.send("Input.dispatchKeyEvent", dict(key, type="keyUp"))

    async def screenshot(self, path):
        r = await self.send("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path
