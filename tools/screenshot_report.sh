#!/usr/bin/env bash
# Opens a Polylens report in headless Chromium (Debian's `chromium` package), takes a screenshot,
# and fails when the page is not self-contained, when Chromium logs a page error, when it does not
# see every chart, or when the screenshot is blank.
#
#   tools/screenshot_report.sh REPORT.html OUT.png [HEIGHT]     (HEIGHT: window height, default 6000)
#
# Prints the page's rendered height at 1280 px (the rows down to the last one that is not background;
# "at least HEIGHT" when the page fills the window) and how many 1280×800 screens that is.
# Needs: chromium, python3 with numpy (tools/png_pixels.py reads the PNG without an imaging library).
set -euo pipefail

report=${1:?usage: screenshot_report.sh REPORT.html OUT.png [HEIGHT]}
out=${2:?usage: screenshot_report.sh REPORT.html OUT.png [HEIGHT]}
height=${3:-6000}
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "screenshot_report: $report: $*" >&2; exit 1; }

[ -s "$report" ] || fail "missing or empty"
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install -y chromium)"
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

# Self-contained: no scripts, no external style sheets, images, fonts or frames; links only to
# anchors on the page or data: URIs (the CSV downloads). The SVG/XHTML namespace URIs are not fetched.
if grep -Eiq '<script|<link|<iframe|<img|@import|@font-face|url\(' "$report"; then
    fail "refers to a script, style sheet, image, font or frame"
fi
if grep -Eo '(href|src)="[^"]*"' "$report" | grep -Ev '^(href|src)="(#|data:)' | grep -q .; then
    fail "links to something outside the page: $(grep -Eo '(href|src)="[^"]*"' "$report" | grep -Ev '^(href|src)="(#|data:)' | head -1)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
browse() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$work/profile" --enable-logging=stderr --log-level=0 "$@" "$url"
}

browse --screenshot="$out" --window-size=1280,"$height" 2>"$work/log" >/dev/null || {
    cat "$work/log" >&2; fail "chromium failed"; }
# Any console message means the page did something a static report should not (a script, an error).
if grep -E ':CONSOLE[:(]' "$work/log" >&2; then fail "chromium logged page errors (above)"; fi
[ -s "$out" ] || fail "chromium wrote no screenshot"

# The browser's DOM must hold every chart the file holds (a parse error would drop some).
browse --dump-dom 2>/dev/null >"$work/dom.html" || fail "chromium could not dump the DOM"
count_svg() { { grep -o '<svg' "$1" || true; } | wc -l; }
in_file=$(count_svg "$report")
in_dom=$(count_svg "$work/dom.html")
[ "$in_file" -eq "$in_dom" ] || fail "the file has $in_file charts, chromium's DOM $in_dom"

python3 "$here/png_pixels.py" check "$out" 64 || fail "the page rendered blank"
content=$(python3 "$here/png_pixels.py" content-height "$out")
if [ "$content" -ge "$height" ]; then shown="at least $height"; else shown="$content"; fi
echo "screenshot_report: $out ($in_dom charts, no page errors; height $shown px, $(( (content + 799) / 800 )) screens of 1280x800)"
