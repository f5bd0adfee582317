#!/usr/bin/env bash
# Checks the relative links of README.md and docs/*.md (or of the markdown files named as arguments), without the
# network: every link target must exist, and every #anchor into a markdown file must name one of its headings, slugged
# as GitHub does (lowercase; punctuation other than '-' and '_' dropped; each space a '-'; a repeated heading gets -1,
# -2, ...). http(s) and mailto links are skipped; so are links inside code blocks and code spans.
#   scripts/check-links.sh [FILE.md...]
# Prints each broken link as FILE:LINE: TARGET: why, then one line "links: N checked, M broken"; exits 1 if any broke.
set -euo pipefail
# GitHub keeps letters of any script in a slug: let sed's classes see characters, not bytes.
if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then export LC_ALL=C.UTF-8; fi

if [ "$#" -eq 0 ]; then
  cd "$(dirname "$0")/.."
  shopt -s nullglob
  set -- README.md docs/*.md
  shopt -u nullglob
fi

# The links of a markdown file outside code blocks and code spans, as "LINE<tab>TARGET": inline links and images,
# [text](target) or [text](target "title").
links() {
  awk '
    /^ ? ? ?(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
      text = $0
      gsub(/`[^`]*`/, "", text)
      while (match(text, /\[[^]]*\]\([^)]+\)/)) {
        link = substr(text, RSTART, RLENGTH)
        text = substr(text, RSTART + RLENGTH)
        sub(/^\[[^]]*\]\(/, "", link)
        sub(/\)$/, "", link)
        sub(/[ \t].*$/, "", link)
        gsub(/^<|>$/, "", link)
        print NR "\t" link
      }
    }
  ' "$1"
}

# The anchors GitHub gives the headings of a markdown file, one a line.
anchors() {
  awk '
    /^ ? ? ?(```|~~~)/ { fenced = !fenced; next }
    !fenced && /^ ? ? ?##?#?#?#?#?[ \t]/ { print }
  ' "$1" | sed -E '
    s/^[ ]{0,3}#{1,6}[ \t]+//
    s/[ \t]+#+[ \t]*$//
    s/[ \t]+$//
    s/!?\[([^]]*)\]\([^)]*\)/\1/g
    s/<[^>]*>//g
  ' | sed -E 's/.*/\L&/; s/[^[:alnum:] _-]//g; s/ /-/g' | awk '
    { n = seen[$0]++; print (n ? $0 "-" n : $0) }
  '
}

checked=0
broken=0
declare -A headings=()
report() {
  echo "$1:$2: $3: $4"
  broken=$((broken + 1))
}

for file in "$@"; do
  if [ ! -f "$file" ]; then
    echo "$file: no such file"
    broken=$((broken + 1))
    continue
  fi
  dir=$(dirname "$file")
  while IFS=$'\t' read -r line target; do
    case "$target" in
      http://* | https://* | mailto:*) continue ;;
    esac
    checked=$((checked + 1))
    path=${target%%#*}
    anchor=
    [[ "$target" == *"#"* ]] && anchor=${target#*#}
    if [ -z "$path" ]; then
      resolved=$file
    else
      resolved=$dir/$path
      if [ ! -e "$resolved" ]; then
        report "$file" "$line" "$target" "no such file ($resolved)"
        continue
      fi
    fi
    if [ -n "$anchor" ] && [[ "$resolved" == *.md ]]; then
      [ -n "${headings[$resolved]+set}" ] || headings[$resolved]=$'\n'$(anchors "$resolved")$'\n'
      if [[ "${headings[$resolved]}" != *$'\n'"$anchor"$'\n'* ]]; then
        report "$file" "$line" "$target" "no heading in $resolved has the anchor #$anchor"
      fi
    fi
  done < <(links "$file")
done

echo "links: $checked checked, $broken broken"
[ "$broken" -eq 0 ]
