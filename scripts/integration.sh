#!/usr/bin/env bash
# The integration suite (Tests/IntegrationTests) against a real `cbingest serve`, started the way the
# container starts it: the same entrypoint (`cbingest serve`), configuration from environment variables
# only (`env -i`), listening on a non-loopback address with the auth token on. The server runs in its
# own network namespace, reached over a veth pair as a container is reached over its bridge:
#
#   host (root namespace)  $host_ip/30 on cbit<pid>h  <-- veth -->  cbit<pid>n $ns_ip/30  (namespace cbit-<pid>)
#       test suite  ------------------- RPC :7600, HTTP :8080 ----------------->  cbingest serve
#       TCP forward $host_ip:<pg port> -> 127.0.0.1:<pg port>  <------ DATABASE_URL -----'
#
# The /30 is private, exists only on this machine (the namespace has no default route and the veth is
# attached to nothing else), and is chosen per run so concurrent runs don't collide. Everything is
# removed on exit, also on failure.
#
# Uses PG_TEST_CONNINFO (`host=127.0.0.1 port=N ...` as scripts/pg.sh prints it) when set, as
# scripts/test.sh does; otherwise starts its own PostgreSQL in .run/. Needs root (or passwordless
# sudo) for `ip netns`; `make test` and CI run as root. Needs a debug build with tests
# (`swift build --build-tests`); scripts/test.sh has made it. Extra arguments go to `swift test`.
#
# CBINGEST_IT_ROOTFS=DIR runs the server from a root filesystem laid out like the runtime image
# (DIR/usr/local/bin/cbingest, Debian 12 with only the runtime libraries, e.g. from debootstrap),
# chrooted as the image's user with its own /proc, instead of .build/debug/cbingest: the
# image's contents without an engine.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        echo "integration.sh: creating a network namespace needs root (or passwordless sudo); run as root, as CI does" >&2
        exit 1
    fi
fi
command -v ip >/dev/null || { echo "integration.sh: 'ip' not found (Debian's iproute2: scripts/install-deps.sh)" >&2; exit 1; }
bin=.build/debug/cbingest
[ -x "$bin" ] || { echo "integration.sh: $bin not built: run 'swift build --build-tests' first (scripts/test.sh does)" >&2; exit 1; }
# As the image's user (10001), not root: the container never has root's privileges, and code that
# works only as root (a socket option that needs CAP_NET_ADMIN, say) must fail here, not in production.
# CBINGEST_IT_SERVER_USER=root runs it as root instead (for a machine where 10001 can't read the build).
server_user=${CBINGEST_IT_SERVER_USER:-10001}
serve=("$PWD/$bin" serve)
if [ "$server_user" != root ]; then
    serve=("$(command -v setpriv)" --reuid="$server_user" --regid="$server_user" --clear-groups -- "$PWD/$bin" serve)
fi
if [ -n "${CBINGEST_IT_ROOTFS:-}" ]; then
    rootfs=$(cd "$CBINGEST_IT_ROOTFS" && pwd)
    [ -x "$rootfs/usr/local/bin/cbingest" ] || { echo "integration.sh: no $rootfs/usr/local/bin/cbingest" >&2; exit 1; }
    # A fresh /proc as a container has (the Swift runtime reads its arguments there), mounted in the
    # mount namespace `ip netns exec` makes, so it goes away with the server.
    serve=(/bin/sh -c 'mount -t proc proc "$1/proc" && exec "$2" --userspec="$3:$3" "$1" /usr/local/bin/cbingest serve'
        sh "$rootfs" "$(command -v chroot)" "${server_user/root/0}")
fi

mkdir -p .run
work=$(mktemp -d "$PWD/.run/integration.XXXXXX")
ns="cbit-$$"
host_if="cbit$$h"
ns_if="cbit$$n"
server_pid=""
forward_pid=""
own_pg=""

cleanup() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    [ -n "$forward_pid" ] && kill "$forward_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ -e "/run/netns/$ns" ]; then
        # Anything still running inside the namespace was started by this script.
        for pid in $($sudo ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        $sudo ip netns del "$ns" 2>/dev/null || true
    fi
    $sudo ip link del "$host_if" 2>/dev/null || true
    if [ "$status" != 0 ] && [ -f "$work/serve.log" ]; then
        echo "--- cbingest serve log (last 40 lines) ---" >&2
        tail -n 40 "$work/serve.log" >&2 || true
    fi
    [ -n "$own_pg" ] && { scripts/pg.sh stop "$own_pg" || true; }
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The database on the host side.
if [ -z "${PG_TEST_CONNINFO:-}" ]; then
    own_pg="$work/pg"
    PG_TEST_CONNINFO=$(scripts/pg.sh start "$own_pg" "$(scripts/free-port.sh)")
fi
pg_host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$PG_TEST_CONNINFO")
pg_port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$PG_TEST_CONNINFO")
if [ -z "$pg_host" ] || [ -z "$pg_port" ]; then
    echo "integration.sh: PG_TEST_CONNINFO must have host= and port= (as scripts/pg.sh prints it)" >&2
    exit 1
fi

# A private /30 that no interface of this machine uses: 10.203.X.Y/30 from the pid, then onwards.
used=$(ip -4 -o addr show | awk '{print $4}')
index=$(( $$ % 16384 ))
for _ in $(seq 16384); do
    base=$(( index * 4 ))
    host_ip="10.203.$(( base / 256 )).$(( base % 256 + 1 ))"
    ns_ip="10.203.$(( base / 256 )).$(( base % 256 + 2 ))"
    grep -q -e "^$host_ip/" -e "^$ns_ip/" <<<"$used" || break
    index=$(( (index + 1) % 16384 ))
done

$sudo ip netns add "$ns"
$sudo ip link add "$host_if" type veth peer name "$ns_if"
$sudo ip link set "$ns_if" netns "$ns"
$sudo ip addr add "$host_ip/30" dev "$host_if"
$sudo ip link set "$host_if" up
$sudo ip netns exec "$ns" ip link set lo up
$sudo ip netns exec "$ns" ip addr add "$ns_ip/30" dev "$ns_if"
$sudo ip netns exec "$ns" ip link set "$ns_if" up
echo "integration: namespace $ns at $ns_ip (host side $host_ip on $host_if)"

# PostgreSQL listens on $pg_host only; forward $host_ip:$pg_port to it, for the namespace alone.
python3 - "$host_ip" "$pg_port" "$pg_host" >"$work/forward.log" 2>&1 <<'PY' &
import asyncio, sys

listen_host, port, target_host = sys.argv[1], int(sys.argv[2]), sys.argv[3]

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()

async def connection(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(target_host, port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

async def main():
    server = await asyncio.start_server(connection, listen_host, port)
    print("forwarding", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
forward_pid=$!
for _ in $(seq 50); do grep -q forwarding "$work/forward.log" 2>/dev/null && break; sleep 0.1; done
grep -q forwarding "$work/forward.log" || { cat "$work/forward.log" >&2; echo "integration.sh: TCP forward did not start" >&2; exit 1; }

# Configuration exactly as a container gets it: environment variables only.
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
master_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
database_url=$(sed -e "s/host=[^ ]*/host=$host_ip/" <<<"$PG_TEST_CONNINFO")
$sudo ip netns exec "$ns" env -i \
    PATH="/usr/local/bin:/usr/bin:/bin" \
    DATABASE_URL="$database_url" \
    CBINGEST_MASTER_KEY="$master_key" \
    CBINGEST_AUTH_TOKEN="$token" \
    CBINGEST_RPC_HOST="$ns_ip" CBINGEST_RPC_PORT=7600 \
    CBINGEST_HTTP_HOST="$ns_ip" CBINGEST_HTTP_PORT=8080 \
    CBINGEST_PUBLIC_BASE_URL="http://$ns_ip:8080" \
    CBINGEST_LOG_LEVEL=notice \
    "${serve[@]}" >"$work/serve.log" 2>&1 &
server_pid=$!

# Ready when Check with the database answers SERVING over the veth, and the gateway accepts connections.
export CBINGEST_AUTH_TOKEN="$token"
ready=""
for _ in $(seq 150); do
    kill -0 "$server_pid" 2>/dev/null || { echo "integration.sh: cbingest serve exited" >&2; exit 1; }
    if "$bin" health --database --server "$ns_ip:7600" --timeout 2 >"$work/health.log" 2>&1 &&
        (exec 3<>"/dev/tcp/$ns_ip/8080") 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.4
done
[ -n "$ready" ] || { echo "integration.sh: cbingest serve not ready after 60 s: $(cat "$work/health.log")" >&2; exit 1; }
echo "integration: cbingest serve ready at $ns_ip (RPC :7600, HTTP :8080, auth on)"

CBINGEST_IT_RPC="$ns_ip:7600" CBINGEST_IT_HTTP="http://$ns_ip:8080" CBINGEST_IT_TOKEN="$token" \
    swift test --skip-build --filter IntegrationTests "$@"

# Graceful stop, as `docker stop` does it: SIGTERM, then a clean exit within the grace period.
kill -TERM "$server_pid"
for _ in $(seq 75); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$server_pid" 2>/dev/null; then
    echo "integration.sh: cbingest serve did not stop within 15 s of SIGTERM" >&2
    exit 1
fi
wait "$server_pid" || { echo "integration.sh: cbingest serve exited with status $? after SIGTERM" >&2; exit 1; }
server_pid=""
echo "integration: cbingest serve stopped cleanly on SIGTERM"
