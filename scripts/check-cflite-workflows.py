#!/usr/bin/env python3
"""Check the three ClusterFuzzLite workflows do what the project relies on.

ClusterFuzzLite runs only on GitHub, so CI cannot run these workflows; it can check
that they still say what the README promises (see "Continuous fuzzing"):
  - cflite_pr.yml: on pull requests that touch the fuzzed code, fuzz the change
    (mode code-change) with AddressSanitizer;
  - cflite_batch.yml: daily (schedule), fuzz every target (mode batch) with AddressSanitizer;
  - cflite_cron.yml: daily (schedule), prune the corpora (mode prune).
Each builds with .clusterfuzzlite/ (build_fuzzers, language rust) before it runs.
The modes and inputs are ClusterFuzzLite's documented ones:
https://google.github.io/clusterfuzzlite/running-clusterfuzzlite/github-actions

Usage: scripts/check-cflite-workflows.py   (from the repository root; exit 1 on a finding)
"""
import sys

import yaml

BUILD = "google/clusterfuzzlite/actions/build_fuzzers@v1"
RUN = "google/clusterfuzzlite/actions/run_fuzzers@v1"
# The PR workflow must fire for a change to anything the fuzz targets build from.
PR_PATHS = {"codec/**", "fuzz/**", "corpus/**", ".clusterfuzzlite/**", "Cargo.lock"}

EXPECT = {
    "cflite_pr.yml": {"trigger": "pull_request", "mode": "code-change", "sanitizer": "address"},
    "cflite_batch.yml": {"trigger": "schedule", "mode": "batch", "sanitizer": "address"},
    "cflite_cron.yml": {"trigger": "schedule", "mode": "prune", "sanitizer": None},
}


def check(name, want):
    path = ".github/workflows/" + name
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return ["%s: cannot read: %s" % (path, str(e).splitlines()[0])]
    bad = []
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = doc.get("on", doc.get(True)) or {}
    if want["trigger"] not in triggers:
        bad.append("%s: not triggered by %s" % (path, want["trigger"]))
    if name == "cflite_pr.yml":
        paths = set((triggers.get("pull_request") or {}).get("paths") or ["**"])
        if "**" not in paths and not PR_PATHS <= paths:
            bad.append("%s: pull_request paths miss %s" % (path, sorted(PR_PATHS - paths)))
    if doc.get("permissions") != "read-all":
        bad.append("%s: permissions is not read-all" % path)
    jobs = doc.get("jobs") or {}
    if len(jobs) != 1:
        return bad + ["%s: expected one job, found %d" % (path, len(jobs))]
    job = next(iter(jobs.values()))
    steps = job.get("steps") or []
    uses = [s.get("uses") for s in steps]
    if uses != [BUILD, RUN]:
        return bad + ["%s: steps are %s, expected build_fuzzers then run_fuzzers" % (path, uses)]
    build, run = steps[0].get("with") or {}, steps[1].get("with") or {}
    if build.get("language") != "rust":
        bad.append("%s: build_fuzzers language is %r, not rust" % (path, build.get("language")))
    if run.get("mode") != want["mode"]:
        bad.append("%s: run_fuzzers mode is %r, not %s" % (path, run.get("mode"), want["mode"]))
    if not isinstance(run.get("fuzz-seconds"), int) or run["fuzz-seconds"] <= 0:
        bad.append("%s: run_fuzzers has no positive fuzz-seconds" % path)
    if "github-token" not in run:
        bad.append("%s: run_fuzzers has no github-token (corpus and crash artifacts)" % path)
    if want["sanitizer"]:
        matrix = ((job.get("strategy") or {}).get("matrix") or {}).get("sanitizer") or []
        if want["sanitizer"] not in matrix:
            bad.append("%s: the sanitizer matrix %s lacks %s" % (path, matrix, want["sanitizer"]))
        for step, w in (("build_fuzzers", build), ("run_fuzzers", run)):
            if "matrix.sanitizer" not in str(w.get("sanitizer", "")):
                bad.append("%s: %s does not take the matrix's sanitizer" % (path, step))
    return bad


def main():
    findings = []
    for name, want in EXPECT.items():
        findings += check(name, want)
    for f in findings:
        print(f)
    if findings:
        return 1
    print("ClusterFuzzLite workflows: PR code-change (address), daily batch (address), daily prune: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
