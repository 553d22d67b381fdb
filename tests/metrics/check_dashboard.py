#!/usr/bin/env python3
"""Check that the Grafana dashboard and the alerting rules use only metrics grayling exports.

Usage:
  check_dashboard.py --names NAMES_FILE   [options] FILE...
  check_dashboard.py --scrape SCRAPE_FILE [options] FILE...

The exported names come from NAMES_FILE (one metric name per line; blank lines and lines
starting with '#' are ignored) or from SCRAPE_FILE, a saved scrape of grayling's /metrics
(Prometheus text format: the names of its '# TYPE name type' lines, and of its samples).

Each FILE is either a Grafana dashboard (.json: every target expression of every panel,
rows' nested panels included, the annotation queries and the template variables' queries)
or a Prometheus rule file (.yml/.yaml: every 'expr:' value, one-line or a block scalar
'|'/'>' spread over the following lines). In each expression, the identifiers
grayling_[a-z0-9_]* and process_[a-z0-9_]* are metric names. A histogram's series
NAME_bucket, NAME_sum and NAME_count count as NAME (with a scrape: only when NAME is a
histogram or summary there). A dashboard panel (not a row) without any expression is an
error too, as are two panels with one id.

Options:
  --require-all   also fail when an exported name is used by none of the FILEs
  --promtool P    also check that every expression parses, with promtool P (dashboard
                  variables are replaced by plausible values first)

Exit status: 0 all names known, 1 unknown names or a broken file (listed on stderr),
2 bad usage. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

NAME = re.compile(r"(?<![A-Za-z0-9_:])((?:grayling|process)_[a-z0-9_]*)(?![A-Za-z0-9_:])")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
TYPE_LINE = re.compile(r"^#\s*TYPE\s+([A-Za-z_:][A-Za-z0-9_:]*)\s+(\w+)")
SAMPLE_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{|\s)")


class Exported:
    """Names a scrape or a names file lists, with their types where known."""

    def __init__(self):
        self.types = {}  # name -> type ('' when unknown)

    def add(self, name, kind=""):
        if kind or name not in self.types:
            self.types[name] = kind

    def resolve(self, used):
        """The exported name that `used` refers to, or None."""
        if used in self.types:
            return used
        for suffix in HISTOGRAM_SUFFIXES:
            if used.endswith(suffix):
                base = used[: -len(suffix)]
                if base in self.types and self.types[base] in ("", "histogram", "summary"):
                    return base
        # OpenMetrics names a counter without its _total in '# TYPE'.
        if used.endswith("_total"):
            base = used[: -len("_total")]
            if self.types.get(base) == "counter":
                return base
        return None


def read_names(path):
    exported = Exported()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                exported.add(line.split()[0])
    return exported


def read_scrape(path):
    exported = Exported()
    samples = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = TYPE_LINE.match(line)
            if match:
                exported.add(match.group(1), match.group(2))
                continue
            if line.startswith("#"):
                continue
            match = SAMPLE_LINE.match(line)
            if match:
                samples.append(match.group(1))
    # Samples without a TYPE line of their own (NAME_bucket of a typed histogram is not one).
    for sample in samples:
        if exported.resolve(sample) is None:
            exported.add(sample, "untyped")
    return exported


def dashboard_expressions(path):
    """(where, expression) for every query of a dashboard, and structural errors."""
    with open(path, encoding="utf-8") as f:
        dashboard = json.load(f)
    expressions, errors, ids = [], [], {}

    def walk(panels):
        for panel in panels or []:
            title = panel.get("title", "?")
            if "id" in panel:
                ids.setdefault(panel["id"], []).append(title)
            if panel.get("type") == "row":
                walk(panel.get("panels"))
                continue
            found = 0
            for target in panel.get("targets") or []:
                expr = target.get("expr")
                if isinstance(expr, str) and expr.strip():
                    expressions.append((f'panel "{title}" target {target.get("refId", "?")}', expr))
                    found += 1
            if found == 0:
                errors.append(f'{path}: panel "{title}" has no query expression')
            walk(panel.get("panels"))  # a library of nested panels, should one appear

    walk(dashboard.get("panels"))
    for panel_id, titles in ids.items():
        if len(titles) > 1:
            errors.append(f"{path}: panel id {panel_id} used by {', '.join(titles)}")
    for annotation in (dashboard.get("annotations") or {}).get("list") or []:
        expr = annotation.get("expr")
        if isinstance(expr, str) and expr.strip():
            expressions.append((f'annotation "{annotation.get("name", "?")}"', expr))
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if variable.get("type") == "query" and isinstance(query, str) and query.strip():
            expressions.append((f'variable "{variable.get("name", "?")}"', query))
    return expressions, errors


def rule_expressions(path):
    """(where, expression) for every 'expr:' of a rule file, read line by line."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    key = re.compile(r"^(\s*(?:-\s+)?)expr:\s*(.*)$")
    expressions = []
    i = 0
    while i < len(lines):
        match = key.match(lines[i])
        if not match:
            i += 1
            continue
        start = i + 1
        indent = len(match.group(1))  # column of 'expr'
        value = re.sub(r"\s+#.*$", "", match.group(2)).strip()
        body = []
        i += 1
        # Continuation lines: blank, or indented deeper than the key (block or plain scalar).
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i].strip())
            i += 1
        if re.fullmatch(r"[|>][-+0-9]*", value):
            text = "\n".join(body)
        else:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
            text = " ".join([value] + [b for b in body if b])
        if text.strip():
            expressions.append((f"line {start}", text))
        else:
            expressions.append((f"line {start}", ""))
    return expressions


def grafana_to_promql(expr):
    """A dashboard expression with Grafana's variables replaced, for a syntax check.

    Grafana's own variable queries are reduced to their PromQL part: label_values(EXPR,
    LABEL) and query_result(EXPR) to EXPR; label_values(LABEL) and metrics(REGEX) to ''."""
    grafana = re.fullmatch(r"\s*(?:label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)|query_result\((.*)\))\s*", expr, re.S)
    if grafana:
        expr = grafana.group(1) or grafana.group(2)
    elif re.fullmatch(r"\s*(?:label_values|metrics|label_names)\([^(),]*\)\s*", expr):
        return ""
    for variable, value in (("$__rate_interval", "5m"), ("${__rate_interval}", "5m"),
                            ("$__interval", "1m"), ("${__interval}", "1m"), ("$__range", "1h"),
                            ("${__range}", "1h")):
        expr = expr.replace(variable, value)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "x", expr)


def promtool_check(promtool, expressions):
    """Runs `promtool check rules` over the expressions as recording rules; errors."""
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for n, (_, expr) in enumerate(e for e in expressions if e[1].strip()):
        lines.append(f"      - record: dashboard:expr_{n}")
        lines.append("        expr: " + json.dumps(expr))
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "dashboard-rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    return ["promtool check rules on the dashboard's expressions failed:", result.stdout + result.stderr]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--names", help="file with one exported metric name per line")
    source.add_argument("--scrape", help="a saved scrape of /metrics (Prometheus text format)")
    parser.add_argument("--require-all", action="store_true", help="fail when an exported name is unused")
    parser.add_argument("--promtool", help="check that the expressions parse, with this promtool")
    parser.add_argument("files", nargs="+", help="dashboards (.json) and rule files (.yml, .yaml)")
    args = parser.parse_args()

    try:
        exported = read_names(args.names) if args.names else read_scrape(args.scrape)
    except OSError as error:
        print(f"cannot read the exported names: {error}", file=sys.stderr)
        return 1
    if not exported.types:
        print(f"no metric names in {args.names or args.scrape}", file=sys.stderr)
        return 1

    errors, used, checked = [], set(), 0
    for path in args.files:
        try:
            if path.endswith(".json"):
                expressions, structure = dashboard_expressions(path)
                errors += structure
                if args.promtool:
                    errors += promtool_check(args.promtool, [(w, grafana_to_promql(e)) for w, e in expressions])
            elif path.endswith((".yml", ".yaml")):
                expressions = rule_expressions(path)
                if args.promtool:
                    errors += promtool_check(args.promtool, expressions)
            else:
                errors.append(f"{path}: neither .json nor .yml/.yaml")
                continue
        except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
            errors.append(f"{path}: {error}")
            continue
        if not expressions:
            errors.append(f"{path}: no expressions found")
        for where, expr in expressions:
            checked += 1
            if not expr.strip():
                errors.append(f"{path}: {where}: empty expression")
            names = NAME.findall(expr)
            for name in names:
                known = exported.resolve(name)
                if known is None:
                    errors.append(f"{path}: {where}: unknown metric {name}")
                else:
                    used.add(known)

    if args.require_all:
        for name in sorted(set(exported.types) - used):
            errors.append(f"exported metric {name} is used by none of {', '.join(args.files)}")

    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        return 1
    print(f"{checked} expressions in {len(args.files)} files use {len(used)} metric names, all exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
