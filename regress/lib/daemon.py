#!/usr/bin/python3
#
# Copyright (c) 2026 The xmppd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""Other people's daemons for end-to-end tests: each one runs in the
foreground in a directory of its own, as its Debian package's user when
the tests run as root, its output read line by line (wait_log waits for
a line, never a sleep), and is stopped or killed by its PID."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile

from xmppdtest import TIMEOUT, Logged


class Daemon(Logged):
    """Subclasses set what (a name), user, ready (a regular expression
    for the log line that says the daemon serves) and argv()."""
    what = "daemon"
    user = "nobody"
    ready = None

    def __init__(self, dir=None):
        """dir: where everything lives; a new temporary directory if
        None, removed again by close()."""
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="xmppd-%s-" % self.what)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.init_log()

    def argv(self):
        raise NotImplementedError

    def env(self):
        return None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode=0o600):
        with open(self.path(name), "w") as f:
            f.write(text)
        os.chmod(self.path(name), mode)

    def account(self):
        """The user's passwd entry, or None when not running as root."""
        if os.getuid() != 0:
            return None
        try:
            return pwd.getpwnam(self.user)
        except KeyError:
            return pwd.getpwnam("nobody")

    def drop(self):
        pw = self.account()
        if pw is not None:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    def chown(self):
        pw = self.account()
        if pw is None:
            return
        for top, dirs, files in os.walk(self.dir):
            for n in [top] + [os.path.join(top, f) for f in files]:
                os.chown(n, pw.pw_uid, pw.pw_gid)

    def start(self):
        """Start the daemon; return once it logs its ready line."""
        if self.proc is not None:
            raise AssertionError("%s already running" % self.what)
        self.chown()
        self.init_log()
        self.proc = subprocess.Popen(
            self.argv(), cwd=self.dir, env=self.env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace",
            preexec_fn=self.drop)
        self.follow(self.proc.stdout)
        try:
            if self.ready is not None:
                self.wait_log(self.ready)
        except AssertionError as e:
            self.stop()
            raise AssertionError("%s; its log ends:\n%s" %
                                 (e, self.log_tail(30)))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def kill(self, sig=signal.SIGKILL):
        """Signal the daemon by its PID and wait for it to end."""
        if self.proc is None:
            return
        os.kill(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.reader.join(timeout=TIMEOUT)
        self.proc = None

    def stop(self):
        """SIGTERM, and SIGKILL if it is not gone in time; the directory
        stays for the next start()."""
        self.kill(signal.SIGTERM)

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
