#!/usr/bin/env bash
# Installs what the tests run for real, from Debian's packages, when missing:
# Prometheus with promtool, Alertmanager, PostgreSQL 15, Chromium for the browser test and PDFs, a CJK font,
# Graphviz.
set -euo pipefail

needed=()
command -v prometheus >/dev/null || needed+=(prometheus)
command -v promtool >/dev/null || needed+=(prometheus)
command -v prometheus-alertmanager >/dev/null || needed+=(prometheus-alertmanager)
[ -x /usr/lib/postgresql/15/bin/initdb ] || needed+=(postgresql)
[ -x /usr/bin/chromium ] || needed+=(chromium)
# Hangul in PDF shift summaries (Chromium prints boxes without it), and pdftotext to read them back.
fc-list :lang=ko family 2>/dev/null | grep "Noto Sans CJK KR" >/dev/null || needed+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || needed+=(poppler-utils)
# The Mesh page's service graph, laid out on the server (the browser's graphviz redraws it on every rerun).
command -v dot >/dev/null || needed+=(graphviz)
[ ${#needed[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${needed[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing ${needed[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Debian starts the services it installs where it can; the tests start their own on loopback.
$sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${needed[@]}" | sort -u) >/dev/null
