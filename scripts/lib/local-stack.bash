# Sourced by the scripts that test the running stack from outside (scripts/fuzz-api,
# scripts/check-contract): one way to start it, so they all test the same thing.

# Starts the local stack from the debug build with the API key $1, on a free port, with an
# in-memory DynamoDB and a private root (template + state), so a stack already running from
# scripts/dev is untouched. Returns once the API answers. Sets stack_url, stack_log and
# stack_root (a temporary folder the caller may write to); the stack is stopped and the folder
# removed when the script exits.
start_local_stack() {
  local key=$1
  scripts/install-moto
  cargo build --quiet --locked -p items-api -p stream-processor -p devstack --bins

  stack_root=$(mktemp -d)
  ln -s "$PWD/template.yaml" "$stack_root/template.yaml"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  stack_url="http://127.0.0.1:$port"
  stack_log="$stack_root/stack.log"
  target/debug/devstack up --in-memory --port "$port" --dynamodb-port 0 --moto-port 0 \
    --api-key "$key" --binaries "$PWD/target/debug" --root "$stack_root" >"$stack_log" 2>&1 &
  stack_pid=$!
  trap 'kill $stack_pid 2>/dev/null; wait $stack_pid 2>/dev/null; rm -rf "$stack_root"' EXIT
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$stack_url/items" -H "x-api-key: $key" && return 0
    kill -0 "$stack_pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$stack_log"
  echo "the local stack did not start" >&2
  return 1
}
