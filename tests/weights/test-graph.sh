#!/bin/sh
# Graph networks (format version 2): each public family's architecture exported with
# torch.fx and run by tconv equals PyTorch, tiled and untiled (graph_check.py).
#   test-graph.sh TCONV-CLI
set -u
cli=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tconv-graph-XXXXXX)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "python3-torch missing: skipped"; exit 77
fi
exec $py "$top/tests/weights/graph_check.py" "$cli" "$work"
