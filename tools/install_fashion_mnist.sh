#!/usr/bin/env bash
# Fashion-MNIST for configs/fashion/ from Debian's package
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz). Optional:
# the demo and the tests do not need it, so this never fails; where it
# cannot install (no apt-get, not root, no network) it prints what to do.
# Returns at once when the files are there.
DIR=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
[ -e "$DIR/train-images-idx3-ubyte.gz" ] && exit 0

hint() {
  echo "[mmnetaug] Fashion-MNIST not installed ($1; optional, only" \
    "configs/fashion/ need it): run 'sudo apt-get install" \
    "dataset-fashion-mnist', or set data_root in the config to a folder" \
    "with the four IDX files"
  exit 0
}

command -v apt-get >/dev/null 2>&1 || hint "no apt-get"
[ "$(id -u)" = 0 ] || hint "not root"
echo "[mmnetaug] installing dataset-fashion-mnist (apt-get, 30 MB)"
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    dataset-fashion-mnist >/dev/null 2>&1
}
# the package lists may be missing or stale: update only when needed
if ! apt_install; then
  apt-get update -q >/dev/null 2>&1
  apt_install || hint "apt-get install dataset-fashion-mnist failed"
fi
[ -e "$DIR/train-images-idx3-ubyte.gz" ] ||
  hint "the package has no $DIR/train-images-idx3-ubyte.gz"
exit 0
