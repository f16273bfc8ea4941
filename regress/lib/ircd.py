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

"""An IRC server for the gateway tests, Debian's ngIRCd on a free
loopback port, and a raw IRC client speaking RFC 1459/2812 over a plain
socket, whose lines tests wait for as they wait for log lines.

    irc = Ngircd().start()
    carol = IrcClient(irc.port, "carol")
    carol.join("#test")
    m = carol.mark(); ...; carol.wait_log(r"PRIVMSG #test :hi", after=m)
"""

import re
import socket
import threading

from daemon import Daemon
from xmppdtest import TIMEOUT, Logged, free_port

NGIRCD = "/usr/sbin/ngircd"


class Ngircd(Daemon):
    what = "ngircd"
    user = "irc"
    ready = r'Server "[^"]+" .* ready\.'

    def __init__(self, dir=None, name="irc.regress.test"):
        super().__init__(dir)
        self.name = name
        self.port = free_port()
        pw = self.account()
        who = pw.pw_name if pw is not None else None
        # No ident or DNS lookups on loopback, no PAM, no limit per
        # address (the gateway and the test client share 127.0.0.1), and
        # pings rarer than a test lasts.
        self.write("ngircd.conf", (
            "[Global]\n\tName = %s\n\tInfo = xmppd regress\n"
            "\tAdminInfo1 = xmppd regress\n\tAdminInfo2 = loopback\n"
            "\tAdminEMail = root@localhost\n"
            "\tListen = 127.0.0.1\n\tPorts = %d\n"
            "\tPidFile = %s\n\tMotdPhrase = xmppd regress\n%s"
            "[Limits]\n\tMaxConnectionsIP = 0\n\tPingTimeout = 600\n"
            "[Options]\n\tPAM = no\n\tIdent = no\n\tDNS = no\n"
            % (name, self.port, self.path("ngircd.pid"),
               "\tServerUID = %s\n\tServerGID = %d\n" % (who, pw.pw_gid)
               if who else "")), 0o644)

    def argv(self):
        return [NGIRCD, "--nodaemon", "--config", self.path("ngircd.conf")]


class IrcClient(Logged):
    """A registered IRC user; its lines (without CR LF) are collected as
    they come.  PINGs are answered."""
    what = "IRC connection"

    def __init__(self, port, nick, host="127.0.0.1"):
        self.init_log()
        self.nick = nick
        self.lock = threading.Lock()
        self.sock = socket.create_connection((host, port), TIMEOUT)
        self.sock.settimeout(None)
        self.file = self.sock.makefile("r", encoding="utf-8",
                                       errors="replace")
        self.follow(self._lines())
        self.send("NICK %s" % nick)
        self.send("USER %s 0 * :xmppd regress %s" % (nick, nick))
        self.wait_log(r"^:\S+ 001 %s " % re.escape(nick))

    def _lines(self):
        try:
            for line in self.file:
                if line.startswith("PING "):
                    self.send("PONG " + line[5:].rstrip("\r\n"))
                yield line
        except OSError:
            return

    def send(self, line):
        if "\r" in line or "\n" in line:
            raise ValueError("one IRC line at a time")
        with self.lock:
            self.sock.sendall((line + "\r\n").encode())

    def join(self, channel):
        """Join and wait for the end of the channel's names."""
        m = self.mark()
        self.send("JOIN %s" % channel)
        self.wait_log(r"^:\S+ 366 %s %s " % (re.escape(self.nick),
                                            re.escape(channel)), after=m)

    def say(self, target, text):
        self.send("PRIVMSG %s :%s" % (target, text))

    def rename(self, nick):
        m = self.mark()
        self.send("NICK %s" % nick)
        self.wait_log(r"^:%s!\S+ NICK :?%s$" % (re.escape(self.nick),
                                               re.escape(nick)), after=m)
        self.nick = nick

    def close(self):
        try:
            self.send("QUIT :done")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.reader.join(timeout=TIMEOUT)
