#!/usr/bin/python3
"""The commands behind the explainer documents, run now.

    tools/dev/docs-commands.py check TCONV DOC...    # fail when a document's output differs
    tools/dev/docs-commands.py update TCONV DOC...   # rewrite the outputs (and the figures)

A document marks a command with `<!-- tconv: ARGS -->`; the fenced block after it is that
command's output (stdout and stderr, as `tconv ARGS` prints them from the repository root
with the shipped models).  Figures the commands draw (--svg/--png under docs/figures/)
are written there by `update` and into a scratch folder by `check`, so a test never
touches the tree.  Every number in the documents comes from one of these blocks.
"""
import os
import re
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!-- tconv: (.*) -->$")


def run(tconv, args, figures):
    argv = [a.replace("docs/figures/", figures + "/") for a in args.split()]
    env = dict(os.environ, TCONV_MODEL_PATH="weights/models", LANG="C", LC_ALL="C")
    p = subprocess.run([tconv] + argv, capture_output=True, text=True, env=env)
    out = p.stdout + p.stderr
    out = out.replace(figures + "/", "docs/figures/")
    return "\n".join(line.rstrip() for line in out.rstrip("\n").split("\n"))


def blocks(lines):
    """(index of the marker, args, first and last line of its fenced block)."""
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if m:
            start = i + 1
            if start < len(lines) and lines[start].startswith("```"):
                end = next(j for j in range(start + 1, len(lines)) if lines[j].startswith("```"))
                yield m.group(1), start, end


def main():
    mode, tconv, docs = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    os.chdir(top)
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        figures = "docs/figures" if mode == "update" else scratch
        for doc in docs:
            lines = open(doc, encoding="utf-8").read().split("\n")
            for args, start, end in reversed(list(blocks(lines))):
                got = run(tconv, args, os.path.abspath(figures) if mode != "update" else figures)
                want = "\n".join(line.rstrip() for line in lines[start + 1:end])
                if mode == "update":
                    lines[start + 1:end] = got.split("\n")
                elif got != want:
                    failed += 1
                    print(f"{doc}: `tconv {args}` now prints:\n{got}\n--- the document says:\n{want}\n")
                else:
                    print(f"ok - {doc}: tconv {args}")
            if mode == "update":
                open(doc, "w", encoding="utf-8").write("\n".join(lines))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
