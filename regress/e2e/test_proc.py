"""The process model: privilege separation, sandboxes, supervision,
reload and the control tool."""

import os
import pwd
import signal
import subprocess

from xmppdtest import Server, proc_status, free_port, XMPPD, XMPPCTL, USER

CHROOTS = {
    "store": "{data}", "router": "/var/empty", "control": "/var/empty",
    "stream": "/var/empty", "ldapauthd": "/var/empty",
    "mucd": "{data}/muc", "uploadd": "{data}/upload",
    "resolver": "/var/empty",
}


def services(upload_port):
    return ('ldap "dir" {\n\tserver "ldaps://127.0.0.1:1"\n'
            '\tbind "cn=x,dc=example,dc=org" password "secret"\n'
            '\tbase "dc=example,dc=org"\n}\n'
            'muc "conference.example.org" {\n\thistory 10\n}\n'
            'upload "upload.example.org" {\n'
            '\tlisten on 127.0.0.1 port %d tls\n'
            '\turl "https://upload.example.org:%d"\n}\n'
            % (upload_port, upload_port))


def setup():
    s = Server(services(free_port()), prefork=2)
    s.start()
    return s


def teardown(s):
    s.stop()


def test_show_processes_lists_every_role(s):
    names = sorted((p["name"], p["instance"]) for p in s.processes())
    assert names == sorted([
        ("parent", 0), ("store", 0), ("router", 0), ("control", 0),
        ("stream", 0), ("stream", 1), ("ldapauthd", 0), ("mucd", 0),
        ("uploadd", 0), ("resolver", 0)]), names
    for p in s.processes():
        assert p["pid"] > 0 and p["restarts"] == 0, p


def test_children_unprivileged_chrooted_sandboxed(s):
    pw = pwd.getpwnam(USER)
    for p in s.processes():
        st = proc_status(p["pid"])
        uids = st["Uid"].split()
        gids = st["Gid"].split()
        if p["name"] == "parent":
            assert uids[0] == "0", st["Uid"]
            continue
        assert uids == [str(pw.pw_uid)] * 4, (p, st["Uid"])
        assert gids == [str(pw.pw_gid)] * 4, (p, st["Gid"])
        assert st["Groups"] == str(pw.pw_gid), (p, st["Groups"])
        assert st["NoNewPrivs"] == "1", p
        assert st["Seccomp"] == "2", p
        root = os.readlink("/proc/%d/root" % p["pid"])
        want = CHROOTS[p["name"]].format(data=s.datadir)
        assert root == want, (p["name"], root, want)


def test_process_titles(s):
    want = {"store": "xmppd: store", "router": "xmppd: router",
            "control": "xmppd: control", "stream": "xmppd: stream",
            "parent": "xmppd: parent", "mucd": "mucd",
            "ldapauthd": "ldapauthd", "uploadd": "uploadd",
            "resolver": "xmppd: resolver"}
    for p in s.processes():
        with open("/proc/%d/cmdline" % p["pid"], "rb") as f:
            title = f.read().split(b"\0")[0].decode().strip()
        assert title.startswith(want[p["name"]]), (p["name"], title)


def test_child_log_line_reaches_log(s):
    pid = s.pid_of("router")
    s.wait_log(r"^router\[%d\]: router ready" % pid)


def test_sandbox_violation_killed_logged_restarted(s):
    old = s.pid_of("mucd")
    others = {(p["name"], p["instance"]): p["pid"] for p in s.processes()
              if p["name"] != "mucd"}
    m = s.mark()
    s.ctl("regress", "violate", "mucd")
    s.wait_log(r"mucd\[%d\]: sandbox violation: system call chroot" % old,
               after=m)
    s.wait_log(r"mucd 0 \(pid %d\) killed by signal 31 .*sandbox violation"
               % old, after=m)
    s.wait_log(r"restarting mucd 0 \(restart 1\)", after=m)
    s.wait_log(r"^mucd\[\d+\]: ", after=s.mark() - 1)
    procs = {(p["name"], p["instance"]): p for p in s.processes()}
    assert procs[("mucd", 0)]["pid"] not in (0, old)
    assert procs[("mucd", 0)]["restarts"] == 1
    for k, pid in others.items():
        assert procs[k]["pid"] == pid, k


def kill_and_wait_restart(s, name, instance=0):
    old = s.pid_of(name, instance)
    others = {(p["name"], p["instance"]): p["pid"] for p in s.processes()
              if (p["name"], p["instance"]) != (name, instance)}
    m = s.mark()
    os.kill(old, signal.SIGKILL)
    s.wait_log(r"%s %d \(pid %d\) killed by signal 9" % (name, instance, old),
               after=m)
    s.wait_log(r"restarting %s %d" % (name, instance), after=m)
    procs = {(p["name"], p["instance"]): p for p in s.processes()}
    new = procs[(name, instance)]
    assert new["pid"] not in (0, old), new
    assert new["restarts"] >= 1, new
    s.wait_log(r"\[%d\]: sandbox: " % new["pid"], after=m)
    for k, pid in others.items():
        assert procs[k]["pid"] == pid, (k, procs[k]["pid"], pid)
    st = proc_status(new["pid"])
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
    return new


def test_kill_ldapauthd_restarted(s):
    assert kill_and_wait_restart(s, "ldapauthd")["restarts"] == 1


def test_kill_uploadd_restarted(s):
    assert kill_and_wait_restart(s, "uploadd")["restarts"] == 1


def test_kill_stream_restarted(s):
    assert kill_and_wait_restart(s, "stream", 1)["restarts"] == 1


def test_kill_mucd_again_counts_restarts(s):
    assert kill_and_wait_restart(s, "mucd")["restarts"] == 2


def test_sighup_broken_config_keeps_running(s):
    good = open(s.conf).read()
    pids = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    try:
        s.write_conf(raw=good + "domain \"broken.org\" {\n\tbogus yes\n}\n")
        m = s.mark()
        os.kill(s.proc.pid, signal.SIGHUP)
        s.wait_log(r"%s:\d+: " % s.conf, after=m)
        s.wait_log(r"reload failed .*keeping the running configuration",
                   after=m)
        after = {(p["name"], p["instance"]): p["pid"]
                 for p in s.processes()}
        assert after == pids
        r = s.ctl("reload", check=False)
        assert r.returncode != 0 and "errors" in r.stderr, r.stderr
    finally:
        s.write_conf(raw=good)


def test_reload_applies_new_config(s):
    good = open(s.conf).read()
    try:
        # Removing the muc block stops mucd; adding it back starts it.
        s.write_conf(raw=good.replace('muc "conference.example.org"',
                                      'muc "rooms.example.org"'))
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=m)
        names = [p["name"] for p in s.processes()]
        assert "mucd" in names
    finally:
        s.write_conf(raw=good)
        s.ctl("reload")


def test_log_verbose_brief(s):
    m = s.mark()
    s.ctl("log", "brief")
    s.wait_log(r"log level set to brief", after=m)
    s.ctl("log", "verbose")
    s.wait_log(r"log level set to verbose", after=m)


def test_xmppctl_abbreviations_and_errors(s):
    r = s.ctl("sh", "pro")
    assert "router" in r.stdout
    r = s.ctl("frobnicate", check=False)
    assert r.returncode == 1 and "unknown command" in r.stderr
    r = subprocess.run([XMPPCTL, "-s", s.dir + "/nope.sock", "show",
                        "processes"], capture_output=True, text=True)
    assert r.returncode == 1 and "is xmppd running" in r.stderr, r.stderr


def test_control_socket_root_only(s):
    st = os.stat(s.sock)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == 0
    r = s.ctl("show", "processes", check=False, user="nobody")
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr


def test_second_instance_refused(s):
    p = subprocess.run([XMPPD, "-d", "-f", s.conf], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode != 0 and "already running" in p.stderr, p.stderr

