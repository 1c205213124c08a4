#!/usr/bin/env python3
"""Every file path named in a comment, a script or a doc exists (issue 39): a reference to a file
that moved or was deleted sends whoever comes next to nothing. CI runs it (tests/scripts).

  python3 scripts/check_references.py [ROOT]

A reference is a token like `recruit/recruiter.h`, `docs/serve.md` or `model/log_probs.{h,cpp}`
(braces expand): every C++/CUDA source path, and other paths that start at a top-level folder of
the tree. It resolves if it names a file or folder under ROOT, src/, src/localist/, tests/,
python/ or the referring file's own folder. Absolute paths, ~, ../shared and URLs are not checked,
nor paths that name what a run writes (`checkpoint/checkpoint.json`); a line marked
"refcheck: skip" is left out, and a file with "refcheck: skip-file" in its first five lines.
Prints each stale reference as FILE:LINE: PATH and exits 1 if there is one."""
import os
import re
import sys

SCANNED = (".h", ".cpp", ".cu", ".py", ".sh", ".md", ".txt", ".toml", ".cmake")
SKIP_DIRS = {"build", ".venv", "node_modules", "__pycache__", "third_party"}
EXTS = r"(?:h|cpp|cu|py|sh|md|json|jsonl|toml|txt|cmake|html|yaml|yml)"
# a relative path with at least one folder, optionally a {a,b} group of extensions or names
PATH = re.compile(r"(?<![\w./~:-])((?:[A-Za-z0-9_][\w.-]*/)+[\w.-]*(?:\{[\w.,]+\})?[\w.-]*\." + EXTS +
                  r"|(?:[A-Za-z0-9_][\w.-]*/)+[\w-]+\.\{[\w,]+\})(?![\w/])")
SOURCE = (".h", ".cpp", ".cu")
SKIP_MARK = "refcheck: skip"  # on a line naming paths that are made at run time
SKIP_FILE = "refcheck: skip-file"  # in a file's first lines: every path in it is made up (a test of this)


def checked(root, ref):
    """Paths that start at a folder of the tree (docs/, scripts/, tests/ ...) and source files
    that start at a folder of the library (recruit/recruiter.h). Not: `checkpoint/checkpoint.json`
    or `corpus/truth.json` (what a run writes), `torch/torch.h` (another project's headers),
    DIR/sweep.md (a placeholder)."""
    first = ref.split("/", 1)[0]
    if os.path.isdir(os.path.join(root, first)):
        return True
    library = os.path.isdir(os.path.join(root, "src", "localist", first))
    return library and (ref.endswith(SOURCE) or ref.endswith("}"))


def expand(ref):
    m = re.search(r"\{([^}]*)\}", ref)
    if not m:
        return [ref]
    return [ref[:m.start()] + part + ref[m.end():] for part in m.group(1).split(",")]


def resolves(root, referrer, ref):
    bases = [root, os.path.join(root, "src"), os.path.join(root, "src", "localist"),
             os.path.join(root, "tests"), os.path.join(root, "python"), os.path.dirname(referrer)]
    return any(os.path.exists(os.path.join(b, ref)) for b in bases)


def files(root):
    for here, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") or d == ".ci"]
        for n in names:
            if n.endswith(SCANNED) or here.endswith(".ci"):
                yield os.path.join(here, n)


def stale(root):
    out = []
    for path in sorted(files(root)):
        try:
            lines = open(path, encoding="utf-8").read().split("\n")
        except (UnicodeDecodeError, OSError):
            continue
        if any(SKIP_FILE in line for line in lines[:5]):
            continue
        for i, line in enumerate(lines, 1):
            if SKIP_MARK in line:
                continue
            for m in PATH.finditer(line):
                ref = m.group(1)
                if not checked(root, ref) or line[m.start() - 1:m.start()] == "<":  # <torch/torch.h>
                    continue
                missing = [r for r in expand(ref) if not resolves(root, path, r)]
                if missing:
                    out.append(f"{os.path.relpath(path, root)}:{i}: {', '.join(missing)}")
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    if not os.path.isdir(root):
        print(f"check_references: no such directory: {root}", file=sys.stderr)
        return 2
    bad = stale(root)
    for b in bad:
        print(b)
    print(f"check_references: {len(bad)} stale reference(s)" if bad else "check_references: every referenced path exists")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
