#!/usr/bin/env python3
"""Runs the promtool checks of the metrics tests (ctest: metrics.alert_rules,
metrics.dashboard_promql).

  promtool_checks.py --promtool PATH --source-dir DIR rules
      promtool check rules DIR/doc/alerts.yml
      promtool test rules DIR/tests/metrics/alerts_test.yml
  promtool_checks.py --promtool PATH --source-dir DIR dashboard
      every expression of DIR/doc/grafana-dashboard.json parses (check_dashboard.py --promtool)

PATH is what CMake's find_program found (empty or ...-NOTFOUND when it found nothing; then
promtool is looked for on PATH). Without promtool the check is skipped (exit 77), unless
GRAYLING_PROMETHEUS_REQUIRED=1 is set in the environment: then it fails. Debian's package
"prometheus" ships promtool.
"""

import argparse
import os
import shutil
import subprocess
import sys

SKIP = 77


def run(command):
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, check=False).returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promtool", default="")
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("check", choices=["rules", "dashboard"])
    args = parser.parse_args()

    promtool = args.promtool
    if not promtool or promtool.endswith("-NOTFOUND") or not os.access(promtool, os.X_OK):
        promtool = shutil.which("promtool") or ""
    if not promtool:
        required = os.environ.get("GRAYLING_PROMETHEUS_REQUIRED") == "1"
        print(f"promtool not found (Debian package: prometheus): {'FAILED' if required else 'skipped'}"
              + ("" if required else "; set GRAYLING_PROMETHEUS_REQUIRED=1 to make this a failure"))
        return 1 if required else SKIP

    source = args.source_dir
    if args.check == "rules":
        status = run([promtool, "check", "rules", os.path.join(source, "doc", "alerts.yml")])
        status |= run([promtool, "test", "rules", os.path.join(source, "tests", "metrics", "alerts_test.yml")])
    else:
        status = run([sys.executable, os.path.join(source, "tests", "metrics", "check_dashboard.py"),
                      "--names", os.path.join(source, "tests", "metrics", "exported_names.txt"),
                      "--promtool", promtool, os.path.join(source, "doc", "grafana-dashboard.json")])
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
