# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by the summaries of the VM benchmarks (bench/lib/*_report.py,
*_analysis.py)."""

import os


def kv(path):
    """key=value lines of a file as a dict; {} if the file is missing."""
    d = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    d[k] = v
    except OSError:
        pass
    return d


def write_csv(w, name, cols, rows):
    """rows (dicts) as w/name with the columns cols; floats with 3 decimals."""
    with open(os.path.join(w, name), "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(c) is None else
                             ("%.3f" % r[c] if isinstance(r[c], float) else str(r[c]))
                             for c in cols) + "\n")


def finish(w, lines, csv_name):
    """Print the summary, write it to w/summary.md, then print the CSV."""
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(w, "summary.md"), "w") as f:
        f.write(text + "\n")
    print()
    print("CSV (%s):" % csv_name)
    with open(os.path.join(w, csv_name)) as f:
        print(f.read(), end="")
