#!/usr/bin/env bash
# Installs the Debian packages lensdesk needs, only when something is missing (idempotent, root).
set -euo pipefail
# janus: the C SFU bench/capacity.py --janus compares with (videoroom plugin). libgl1/libglib2.0-0: rapidocr-onnxruntime pulls in opencv-python (not headless), whose cv2 links libGL.
PKGS=(libgl1 libglib2.0-0 coturn janus tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-jpn redis-server chromium ffmpeg fonts-dejavu-core fonts-noto-cjk postgresql
  fonts-dseg fonts-liberation2 fonts-freefont-ttf fonts-roboto-unhinted fonts-hack fonts-noto-mono fonts-noto-core
  fonts-cantarell fonts-inconsolata fonts-open-sans fonts-urw-base35 fonts-lato  # the fonts: testkit/synth/open_screens.py
  xfonts-base fonts-terminus-otb fonts-unifont  # bitmap faces of character LCDs, OLEDs, VFDs, LED signs, slips: testkit/synth/fresh3_screens.py
  fonts-dejavu-extra)  # DejaVu obliques and condensed cuts (testkit/synth/fresh2_screens.py, fresh4_screens.py); on this machine only through a JDK
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
