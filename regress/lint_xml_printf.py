#!/usr/bin/python3
"""No XML text is built with printf-style formatting.

Finds every printf-family call in the C sources of the programs whose
format (its string literals joined across lines, with object-like
macros such as NS_SM put in) writes a '<' together with a conversion
that can carry a string (%s, %.*s, %c, ...), or whose other literal
arguments carry the '<'.  Such a call builds XML from text that may
come from a client; the tree and its serializer must build it instead.
Reviewed constant-only uses are listed in lint_xml_printf.allow, each
with its reason.

Prints one TAP line per check ("ok N - ..." / "not ok N - ...").  With
file arguments, checks only those files (no self-test).
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DIRS = ("common", "xmppd", "ldapauthd", "mucd", "uploadd")
ALLOW = os.path.join(HERE, "lint_xml_printf.allow")

# The C library's family: name -> index of the format argument.
FAMILY = {
    "printf": 0, "vprintf": 0, "fprintf": 1, "vfprintf": 1,
    "dprintf": 1, "vdprintf": 1, "sprintf": 1, "vsprintf": 1,
    "snprintf": 2, "vsnprintf": 2, "asprintf": 1, "vasprintf": 1,
}
# printf-like functions that write log lines or terminal messages,
# never XML; any other function the sources declare printf-like (by a
# format attribute, e.g. io_printf) is checked.
NOT_XML = {
    "log_warn", "log_warnx", "log_info", "log_debug", "logit", "vlog",
    "fatal", "fatalx", "err", "errx", "warn", "warnx", "verr", "verrx",
    "vwarn", "vwarnx", "setproctitle", "conn_next_server", "yyerror",
    "conf_error",
}

CONV = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\*(?:\d+\$)?|\d+)?"
                  r"(?:\.(?:\*(?:\d+\$)?|\d*))?"
                  r"(?:hh|h|ll|l|L|q|j|z|Z|t)?([a-zA-Z%])")
STRINGY = set("sScC")

TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+|\\\n)
  | (?P<nl>\n)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*")
  | (?P<chr>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*')
  | (?P<num>\.?[0-9](?:[eEpP][-+]|[0-9a-zA-Z_.])*)
  | (?P<id>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<punct>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\#\#|[-+*/%=&|^!~<>?:;,.(){}\[\]\#])
  | (?P<other>.)
""", re.S | re.X)

ESC = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
       "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def unescape(lit):
    """The characters of a C string literal token."""
    body = lit[lit.index('"') + 1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in ESC:
            out.append(ESC[n])
            i += 2
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        elif n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(chr(int(m.group(0), 16)) if m else "x")
            i += 2 + (len(m.group(0)) if m else 0)
        elif n in "uU":
            k = 4 if n == "u" else 8
            out.append(chr(int(body[i + 2:i + 2 + k], 16)))
            i += 2 + k
        else:
            out.append(n)
            i += 2
    return "".join(out)


class Tok:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line


def tokenize(src):
    """Tokens of C source; preprocessor lines come as lists apart."""
    toks, directives = [], []
    line = 1
    bol = True
    directive = None
    for m in TOKEN.finditer(src):
        kind = m.lastgroup
        text = m.group(0)
        start = line
        line += text.count("\n")
        if kind in ("ws", "comment"):
            continue
        if kind == "nl":
            if directive is not None:
                directives.append(directive)
                directive = None
            bol = True
            continue
        if bol and text == "#":
            directive = []
            bol = False
            continue
        bol = False
        t = Tok(kind, text, start)
        if directive is not None:
            directive.append(t)
        else:
            toks.append(t)
    if directive is not None:
        directives.append(directive)
    return toks, directives


def macros_of(directives, into):
    """Object-like macros made of string literals and other macros."""
    for d in directives:
        if len(d) < 3 or d[0].text != "define" or d[1].kind != "id":
            continue
        body = d[2:]
        if all(t.kind == "str" or t.kind == "id" for t in body):
            into.setdefault(d[1].text, [t for t in body])


def expand(tok, macros, depth=0):
    if tok.kind == "str":
        return unescape(tok.text)
    m = re.fullmatch(r"PRI[diouxX](?:8|16|32|64|MAX|PTR|LEAST\d+|FAST\d+)",
                     tok.text)
    if m:
        return "l" + tok.text[3]
    if tok.text in macros and depth < 16:
        return "".join(expand(t, macros, depth + 1)
                       for t in macros[tok.text])
    return ""		# an unknown name: constant text, nothing to check


def printf_like(toks):
    """Functions declared with __attribute__((format(printf, N, M)))."""
    found = {}
    for i, t in enumerate(toks):
        if t.text not in ("__format__", "format") or i + 4 >= len(toks):
            continue
        if (toks[i + 1].text != "(" or
                toks[i + 2].text not in ("printf", "__printf__") or
                toks[i + 3].text != "," or toks[i + 4].kind != "num"):
            continue
        # The declared name: the identifier before the parameter list
        # that the attribute follows.
        k = i
        while k > 0 and toks[k].text != "__attribute__":
            k -= 1
        j, depth = k - 1, 0
        while j > 0:
            if toks[j].text == ")":
                depth += 1
            elif toks[j].text == "(":
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        if j > 0 and toks[j - 1].kind == "id":
            found[toks[j - 1].text] = int(toks[i + 4].text) - 1
    return found


def functions(toks):
    """For each token index, the function it is inside (or "")."""
    names = [""] * len(toks)
    depth = 0
    current = ""
    for i, t in enumerate(toks):
        if t.text == "{":
            if depth == 0:
                current = ""
                j, pd = i - 1, 0
                while j >= 0 and toks[j].text not in (";", "}", "{", "="):
                    if toks[j].text == ")":
                        pd += 1
                    elif toks[j].text == "(":
                        pd -= 1
                        if pd == 0 and j > 0 and toks[j - 1].kind == "id":
                            current = toks[j - 1].text
                    j -= 1
            depth += 1
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                current = ""
        names[i] = current
    return names


def call_args(toks, i):
    """The arguments of the call whose '(' is toks[i], as token lists."""
    args, cur, depth = [], [], 0
    for j in range(i, len(toks)):
        t = toks[j].text
        if t in "([{":
            depth += 1
            if depth == 1:
                continue
        elif t in ")]}":
            depth -= 1
            if depth == 0:
                args.append(cur)
                return args
        elif t == "," and depth == 1:
            args.append(cur)
            cur = []
            continue
        cur.append(toks[j])
    return None


def literal_runs(arg, macros):
    """Each run of adjacent literals and names in an argument, joined."""
    runs, cur, has_str = [], [], False
    for t in arg + [None]:
        if t is not None and (t.kind == "str" or t.kind == "id"):
            cur.append(t)
            has_str |= t.kind == "str" or t.text in macros
            continue
        if cur and has_str:
            runs.append("".join(expand(x, macros) for x in cur))
        cur, has_str = [], False
    return runs


def stringy(fmt):
    return any(m.group(1) in STRINGY for m in CONV.finditer(fmt))


def check_source(path, src, family, macros, report):
    """Calls in src that build XML with printf; report(path, line,
    function, format) for each.  Returns the number of calls seen."""
    toks, directives = tokenize(src)
    local = dict(macros)
    mine = {}
    macros_of(directives, mine)
    local.update(mine)
    names = functions(toks)
    seen = 0
    for i, t in enumerate(toks):
        if t.kind != "id" or t.text not in family or i + 1 >= len(toks) \
                or toks[i + 1].text != "(":
            continue
        if i > 0 and toks[i - 1].text in (".", "->"):
            continue
        args = call_args(toks, i + 1)
        idx = family[t.text]
        if args is None or len(args) <= idx:
            continue
        if not names[i]:
            continue		# a declaration, not a call
        seen += 1
        fmts = literal_runs(args[idx], local)
        others = [r for k, a in enumerate(args) if k != idx
                  for r in literal_runs(a, local)]
        for fmt in fmts:
            if stringy(fmt) and ("<" in fmt or
                                 any("<" in o for o in others)):
                report(path, t.line, names[i], fmt)
    return seen


def load_allow(path):
    """path:function -> reason, from the allowlist file."""
    allow = {}
    if not os.path.exists(path):
        return allow
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"(\S+):(\w+):\s*(\S.*)", line)
            if not m:
                raise SystemExit("%s:%d: want 'file:function: reason'"
                                 % (path, n))
            allow[m.group(1) + ":" + m.group(2)] = m.group(3)
    return allow


def scan(files, family, macros, allow):
    """(violations, allowlist keys used, calls seen)."""
    bad, used, seen = [], set(), 0

    def report(path, line, fn, fmt):
        key = "%s:%s" % (path, fn)
        if key in allow:
            used.add(key)
        else:
            bad.append("%s:%d %s(): %r" % (path, line, fn, fmt))

    for rel, src in files:
        seen += check_source(rel, src, family, macros, report)
    return bad, used, seen


def tree_files():
    """The sources, without what the build generates (parse.c): those
    git knows or would add, or in a tree without git, all but parse.c."""
    try:
        names = subprocess.run(
            ["git", "-C", TOP, "ls-files", "--cached", "--others",
             "--exclude-standard", "--"] + list(DIRS),
            capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        names = [os.path.relpath(os.path.join(root, n), TOP)
                 for d in DIRS
                 for root, _, files in os.walk(os.path.join(TOP, d))
                 for n in files if n != "parse.c"]
    out = []
    for rel in sorted(set(names)):
        p = os.path.join(TOP, rel)
        if rel.endswith((".c", ".h", ".y")) and os.path.isfile(p):
            with open(p, errors="replace") as f:
                out.append((rel, f.read()))
    return out


def family_of(files):
    family = dict(FAMILY)
    macros = {}
    for _, src in files:
        toks, directives = tokenize(src)
        for name, idx in printf_like(toks).items():
            if name not in NOT_XML:
                family[name] = idx
        if _.endswith(".h"):
            macros_of(directives, macros)
    return family, macros


# What the checker must catch, and what it must let through.
SAMPLES_BAD = {
    "split over lines": """
static void f(struct session *s) { char xml[64];
	len = snprintf(xml, sizeof(xml), "<presence type='unavailable' "
	    "from='%s'/>", s->full); }""",
    "a macro between literals": """
#define NS_X "urn:x"
static void f(const char *cond) { char buf[256];
	(void)snprintf(buf, sizeof(buf), "<failed xmlns='" NS_X "'><%s "
	    "xmlns='" NS_X "'/></failed>", cond); }""",
    "a header's macro as the format": """
static void f(const char *v) { char b[64];
	snprintf(b, sizeof(b), HDR_FMT, v); }""",
    "%.*s": """
static void f(int n, const char *v) {
	dprintf(1, "<a v='%.*s'/>", n, v); }""",
    "asprintf": """
static char *f(const char *t) { char *x;
	if (asprintf(&x, "<presence type='%s'/>", t) == -1) return 0;
	return x; }""",
    "an escaped '<'": """
static void f(const char *t) { char b[64];
	sprintf(b, "\\x3cmessage to='%s'/>", t); }""",
    "XML in another argument": """
static void f(const char *t, int on) { char b[64];
	snprintf(b, sizeof(b), "%s%s", on ? "<text>" : "", t); }""",
    "a project function declared printf-like": """
int io_printf(struct io *, const char *, ...)
    __attribute__((__format__ (printf, 2, 3)));
static void f(struct io *io, const char *j) {
	io_printf(io, "<iq to='%s'/>", j); }""",
}
SAMPLES_GOOD = {
    "a log line": """
static void f(const char *t) { log_warnx("bad <%s>", t); }""",
    "no markup": """
static void f(char *b, const char *l, const char *d) {
	snprintf(b, 64, "%s@%s", l, d); }""",
    "a number only": """
static void f(char *b, unsigned h) {
	snprintf(b, 64, "<a h='%u'/>", h); }""",
    "comments and strings that only mention it": """
/* snprintf(b, n, "<a x='%s'/>", v); */
static void f(void) { const char *s = "snprintf(b, n, \\"<a %s>\\")";
	(void)s; }""",
}


def self_test():
    """The checker flags each bad sample once and no good one, and an
    allowlist entry silences exactly its function."""
    family, _ = family_of([("s.h", SAMPLES_BAD["a project function "
                                               "declared printf-like"])])
    macros = {"HDR_FMT": [Tok("str", '"<x a=\'%s\'>"', 1)]}
    problems = []
    for name, src in SAMPLES_BAD.items():
        bad, _, _ = scan([("bad.c", src)], family, macros, {})
        if len(bad) != 1:
            problems.append("missed: %s (%r)" % (name, bad))
    for name, src in SAMPLES_GOOD.items():
        bad, _, _ = scan([("good.c", src)], family, macros, {})
        if bad:
            problems.append("flagged: %s (%r)" % (name, bad))
    src = SAMPLES_BAD["asprintf"]
    bad, used, _ = scan([("a.c", src)], family, macros,
                        {"a.c:f": "reviewed"})
    if bad or used != {"a.c:f"}:
        problems.append("allowlist not applied: %r %r" % (bad, used))
    return problems


def main(argv):
    n = 0
    failed = False

    def tap(ok, text):
        nonlocal n, failed
        n += 1
        failed |= not ok
        print("%s %d - %s" % ("ok" if ok else "not ok", n, text))

    if argv:
        files = []
        for p in argv:
            with open(p, errors="replace") as f:
                files.append((p, f.read()))
        family, macros = family_of(tree_files() + files)
        bad, _, seen = scan(files, family, macros, {})
        for b in bad:
            tap(False, "XML built with printf: %s" % b)
        if not bad:
            tap(True, "no XML built with printf in %d calls" % seen)
        return 1 if failed else 0

    problems = self_test()
    tap(not problems, "xml printf checker catches %d known patterns, "
        "passes %d harmless ones%s" % (len(SAMPLES_BAD), len(SAMPLES_GOOD),
                                       ": " + "; ".join(problems)
                                       if problems else ""))
    files = tree_files()
    family, macros = family_of(files)
    allow = load_allow(ALLOW)
    bad, used, seen = scan(files, family, macros, allow)
    for b in bad:
        tap(False, "XML built with printf: %s" % b)
    if not bad:
        tap(True, "no XML built with printf under %s (%d calls of %s)" %
            (" ".join(d + "/" for d in DIRS), seen,
             ", ".join(sorted(family))))
    stale = sorted(set(allow) - used)
    tap(not stale, "xml printf allowlist: every entry still used%s" %
        (": stale " + ", ".join(stale) if stale else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
