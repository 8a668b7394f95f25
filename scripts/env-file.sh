# Helpers to keep KEY=VALUE lines in the git-ignored .services.env that tests and tools read.
# Sourced by scripts/redis.sh and scripts/kafka.sh; expects $root to be the repository root.
env_file="$root/.services.env"

env_set() { # env_set KEY VALUE: replace or add the line for KEY
  local tmp
  tmp="$(mktemp)"
  { [ -f "$env_file" ] && grep -v "^$1=" "$env_file" || true; echo "$1=$2"; } >"$tmp"
  mv "$tmp" "$env_file"
}

env_unset() { # env_unset KEY: drop the line for KEY
  [ -f "$env_file" ] || return 0
  local tmp
  tmp="$(mktemp)"
  grep -v "^$1=" "$env_file" >"$tmp" || true
  mv "$tmp" "$env_file"
  [ -s "$env_file" ] || rm -f "$env_file"
}

free_port() { # free_port START: the first port from START up that nothing listens on
  local p="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
