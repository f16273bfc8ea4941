#!/usr/bin/python3
"""Runs every regress test and ends with one line: N passed, N failed.

Unit test programs (obj-san/test_*), the config runner and the source
lint (lint_xml_printf.py) print one "ok N - ..." or "not ok N - ..."
line per check.  End-to-end tests are
the test_* functions of e2e/test_*.py, each one check.
"""

import importlib.util
import os
import re
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

passed = 0
failed = 0
failures = []
TAP = re.compile(r"^(not ok|ok) \d+ - (.*)$")


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % name)
    else:
        failed += 1
        failures.append(name)
        print("not ok - %s" % name)
        for line in detail.rstrip().splitlines()[:120]:
            print("#   " + line)
    sys.stdout.flush()


def run_tap(name, argv, timeout=600, env=None):
    try:
        p = subprocess.run(argv, cwd=HERE, capture_output=True, text=True,
                           timeout=timeout, env=env,
                           errors="replace")
    except subprocess.TimeoutExpired:
        report(False, "%s: timed out" % name)
        return
    seen = 0
    nfail = 0
    for line in p.stdout.splitlines():
        m = TAP.match(line)
        if m:
            seen += 1
            if m.group(1) == "not ok":
                nfail += 1
            report(m.group(1) == "ok", "%s: %s" % (name, m.group(2)),
                   p.stderr if m.group(1) == "not ok" else "")
    if p.returncode != 0 and nfail == 0:
        report(False, "%s: exited with %d" % (name, p.returncode),
               p.stdout[-3000:] + p.stderr[-3000:])
    elif seen == 0:
        report(False, "%s: ran no check" % name, p.stderr)


def run_units(only):
    d = os.path.join(HERE, "obj-san")
    if not os.path.isdir(d):
        return
    for f in sorted(os.listdir(d)):
        if f.startswith("test_") and (not only or f in only):
            argv = [os.path.join(d, f)]
            arg = os.path.join(HERE, "unit", f + ".conf")
            if os.path.exists(arg):
                os.chmod(arg, 0o600)
                argv.append(arg)
            run_tap(f, argv)


def run_config(only):
    if only and "config" not in only:
        return
    xmppd = os.path.join(HERE, "obj", "xmppd", "xmppd")
    runner = os.path.join(HERE, "config", "run.sh")
    if os.path.exists(runner):
        run_tap("config", ["sh", runner, xmppd])


def run_lint(only):
    if only and "lint" not in only:
        return
    run_tap("lint", [sys.executable,
                     os.path.join(HERE, "lint_xml_printf.py")])


# The store's and mucd's tests run a second time with the data in
# PostgreSQL; their results are named file[pg].
PG_FILES = ["test_im", "test_roster", "test_offline_limit", "test_mam",
            "test_private_vcard", "test_pep", "test_blocking",
            "test_register", "test_slix_im", "test_pie",
            # mucd's rooms on a database of their own.
            "test_muc", "test_muc_history", "test_muc_disco", "test_muc_mam",
            "test_muc_route", "test_muc_config", "test_muc_import",
            "test_mam_count", "test_mam_expire", "test_pie_leftovers",
            "test_user_state"]


def run_e2e(only, files=None, suffix="", where="e2e"):
    d = os.path.join(HERE, where)
    for f in sorted(os.listdir(d)):
        if not (f.startswith("test_") and f.endswith(".py")):
            continue
        if files is not None and f[:-3] not in files:
            continue
        if only and f[:-3] not in only and f not in only and \
                f[:-3] + suffix not in only:
            continue
        name = f[:-3] + suffix
        spec = importlib.util.spec_from_file_location(name,
                                                      os.path.join(d, f))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            report(False, "%s: import" % name, traceback.format_exc())
            continue
        tests = [n for n in dir(mod) if n.startswith("test_")]
        tests.sort(key=lambda n: getattr(mod, n).__code__.co_firstlineno)
        ctx = None
        try:
            if hasattr(mod, "setup"):
                ctx = mod.setup()
        except Exception:
            report(False, "%s: setup" % name, traceback.format_exc())
            continue
        for n in tests:
            try:
                getattr(mod, n)(ctx)
                report(True, "%s: %s" % (name, n[5:]))
            except Exception:
                detail = traceback.format_exc()
                if ctx is not None and hasattr(ctx, "log_tail"):
                    detail += "\n--- server log ---\n" + ctx.log_tail(40)
                report(False, "%s: %s" % (name, n[5:]), detail)
        try:
            if hasattr(mod, "teardown"):
                mod.teardown(ctx)
        except Exception:
            report(False, "%s: teardown" % name, traceback.format_exc())


def run_e2e_pg(only):
    """PG_FILES again, each server on a database of its own in one
    PostgreSQL cluster that lives as long as the pass."""
    import postgres
    import xmppdtest
    if only and not any(f in only or f + "[pg]" in only for f in PG_FILES):
        return
    xmppdtest.STORAGE = "postgresql"
    try:
        run_e2e(only, PG_FILES, "[pg]")
    finally:
        xmppdtest.STORAGE = "sqlite"
        postgres.shared_close()


def main():
    only = set(sys.argv[1:])
    if "--faults" in only:
        # `make faults`: the scenarios of faults/, long, never part of
        # `make test`.
        only.discard("--faults")
        run_e2e(only, where="faults")
        return finish()
    run_lint(only)
    run_units(only)
    run_config(only)
    run_e2e(only)
    run_e2e_pg(only)
    return finish()


def finish():
    if failures:
        print("failed:")
        for f in failures:
            print("  " + f)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Client libraries leave tasks behind; their teardown noise must not
    # follow the closing line.
    os._exit(code)
