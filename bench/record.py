#!/usr/bin/env python3
"""Merges one benchmark's numbers into bench/results.json and its section into bench/results.md.

    python3 bench/record.py KEY '{"field": 1.0, ...}' section.md
"""
import json, pathlib, re, sys

here = pathlib.Path(__file__).resolve().parent
key, numbers, section_file = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]

results = here / "results.json"
data = json.loads(results.read_text()) if results.exists() else {}
data[key] = numbers
results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")

md = here / "results.md"
text = md.read_text() if md.exists() else "# Benchmark results\n\nEach section is written by its script in bench/; numbers from one run on this project's 2-core machine.\n"
section = pathlib.Path(section_file).read_text().rstrip() + "\n"
marker = re.compile(r"(?ms)^## %s\n.*?(?=^## |\Z)" % re.escape(key))
text = marker.sub(lambda _: section + "\n", text) if marker.search(text) else text.rstrip() + "\n\n" + section
md.write_text(text.rstrip() + "\n")
