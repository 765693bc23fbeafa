#!/usr/bin/env bash
# Every relative link in the Markdown docs must resolve: to a file or directory in the repository and, for
# `#anchor`, to a heading of the target file (GitHub's slug rules). Exits 1 listing each broken link.
# Usage: .ci/links-check.sh [root]   (default: the repository root). Checks itself first against a
# deliberately broken tree, so a checker that stopped finding anything would fail CI too.
set -uo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"

check() {
  python3 - "$1" <<'PY'
import os, re, sys

root = sys.argv[1]
files = [os.path.join(root, "README.md")]
for pattern_dir, match in (("docs", lambda n: n.endswith(".md")), ("samples", None), ("bench", None)):
    base = os.path.join(root, pattern_dir)
    if not os.path.isdir(base):
        continue
    if match:
        files += sorted(os.path.join(base, n) for n in os.listdir(base) if match(n))
    else:
        files += sorted(os.path.join(base, d, "README.md") for d in os.listdir(base) if os.path.isfile(os.path.join(base, d, "README.md")))
    if pattern_dir == "bench" and os.path.isfile(os.path.join(base, "README.md")):
        files.append(os.path.join(base, "README.md"))
files = [f for f in files if os.path.isfile(f)]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")

def slug(text):
    # GitHub: drop markup, lower-case, keep letters, digits, '_', '-' and spaces, spaces become '-'.
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in "-_ ")
    return text.replace(" ", "-")

anchor_cache = {}
def anchors(path):
    if path not in anchor_cache:
        seen, result, fence = {}, set(), False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if FENCE.match(line):
                    fence = not fence
                    continue
                m = None if fence else HEADING.match(line)
                if m:
                    s = slug(m.group(2))
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    result.add(s if n == 0 else f"{s}-{n}")
                for a in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line):
                    result.add(a)
        anchor_cache[path] = result
    return anchor_cache[path]

broken = []
for md in files:
    fence = False
    with open(md, encoding="utf-8") as f:
        lines = f.readlines()
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fence = not fence
            continue
        if fence:
            continue
        text = INLINE_CODE.sub("", line)
        targets = [m.group(1) for m in LINK.finditer(text)]
        ref = REFDEF.match(text)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue  # absolute URLs (https:, mailto:) are not ours to check offline
            path_part, _, anchor = target.partition("#")
            dest = md if path_part == "" else os.path.normpath(os.path.join(os.path.dirname(md), path_part))
            where = f"{os.path.relpath(md, root)}:{number}: {target}"
            if not os.path.exists(dest):
                broken.append(f"{where}: no such file")
            elif anchor and os.path.isfile(dest) and dest.endswith(".md") and anchor.lower() not in anchors(dest):
                broken.append(f"{where}: no heading with anchor #{anchor} in {os.path.relpath(dest, root)}")

for b in broken:
    print(b)
print(f"{len(files)} file(s) checked, {len(broken)} broken link(s)")
sys.exit(1 if broken else 0)
PY
}

# Self-test: a tree with one good and two broken links must fail, naming both.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/docs"
printf '# Title\n\n## A `code` heading, twice\n\n## A `code` heading, twice\n\n[ok](docs/a.md#section-one) [ok2](#a-code-heading-twice-1) `[not a link](nowhere.md)`\n[bad file](docs/missing.md) [bad anchor](docs/a.md#no-such)\n' > "$scratch/README.md"
printf '# A\n\n## Section one\n\n```\n[inside a fence](missing.md)\n```\n' > "$scratch/docs/a.md"
selftest=$(check "$scratch")
if [ $? -eq 0 ] || [ "$(printf '%s\n' "$selftest" | grep -c 'README.md:8:')" -ne 2 ] || printf '%s\n' "$selftest" | grep -qv -e 'README.md:8:' -e 'checked'; then
  echo "links-check self-test failed: expected exactly the two broken links on line 8 of the scratch README, got:"
  printf '%s\n' "$selftest"
  exit 1
fi

check "$root"
