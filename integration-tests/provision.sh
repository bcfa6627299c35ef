#!/usr/bin/env bash
# Provisions what the nginx integration tests need and records it for them (./dev test runs this).
#
#   integration-tests/provision.sh start   find or start a Docker daemon and an nginx image for it, or,
#                                          where no daemon can run, an nginx binary for process mode;
#                                          writes integration-tests/.provision/it.properties
#   integration-tests/provision.sh stop    stops, by PID, the dockerd that `start` started (nothing else)
#   integration-tests/provision.sh status  prints the recorded settings
#
# Environment:
#   DUGONG_IT_MODE=process   skip Docker: test against a plain nginx process on 127.0.0.1
#   DUGONG_IT_INSTALL=0      never apt-get install (by default, as root on Debian/Ubuntu, installs docker.io)
#   NGINX_IMAGE=nginx:...    use this image (pulled) instead of trying nginx:stable-alpine, then building one
#   NGINX_BINARY=/path       the nginx executable for process mode
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=$here/.provision
props=$state/it.properties
registry_image=${NGINX_IMAGE:-nginx:stable-alpine}

say() { echo "provision: $*" >&2; }

as_root() { [ "$(id -u)" = 0 ]; }

can_install() { [ "${DUGONG_IT_INSTALL:-1}" != 0 ] && as_root && command -v apt-get >/dev/null 2>&1; }

apt_updated=
apt_install() {
  can_install || return 1
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >"$state/apt.log" 2>&1 || { tail -5 "$state/apt.log" >&2; return 1; }
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$state/apt.log" 2>&1 \
    || { tail -5 "$state/apt.log" >&2; return 1; }
}

docker_up() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

# Starts dockerd in the background (its PID in $state/dockerd.pid); fails if it does not answer.
start_dockerd() {
  as_root || { say "not root: cannot start a Docker daemon"; return 1; }
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io || { say "no dockerd and cannot install docker.io"; return 1; }
  command -v docker >/dev/null 2>&1 || { say "dockerd but no docker client"; return 1; }
  say "starting dockerd (log: $state/dockerd.log)"
  # Output to a file and stdin from /dev/null: the daemon must not hold the caller's pipes open.
  dockerd --bip 172.17.0.1/16 </dev/null >"$state/dockerd.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$state/dockerd.pid"
  local i
  for i in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "dockerd exited at once:"; tail -5 "$state/dockerd.log" >&2; rm -f "$state/dockerd.pid"; return 1
    fi
    if timeout 5 docker info >/dev/null 2>&1; then say "dockerd (pid $pid) is up"; return 0; fi
    sleep 0.5
  done
  say "dockerd did not answer within 30 s:"; tail -5 "$state/dockerd.log" >&2
  stop_dockerd
  return 1
}

stop_dockerd() {
  [ -f "$state/dockerd.pid" ] || return 0
  local pid i
  pid=$(cat "$state/dockerd.pid")
  # Only the process we started: same PID and still a dockerd (not a recycled PID).
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "dockerd (pid $pid) ignored SIGTERM: SIGKILL"; kill -KILL "$pid"; fi
  fi
  rm -f "$state/dockerd.pid"
}

# Debian's nginx package, unpacked (no install, no service started) into $state/nginx-deb/root.
# Prints the unpacked root.
unpack_nginx_deb() {
  local dir=$state/nginx-deb
  if [ -x "$dir/root/usr/sbin/nginx" ]; then echo "$dir/root"; return 0; fi
  command -v apt-get >/dev/null 2>&1 || { say "no apt-get: cannot fetch Debian's nginx"; return 1; }
  rm -rf "$dir"; mkdir -p "$dir"
  if ! (cd "$dir" && apt-get download nginx >"$dir/download.log" 2>&1); then
    # A fresh machine may have empty package lists.
    can_install && DEBIAN_FRONTEND=noninteractive apt-get update -q >"$state/apt.log" 2>&1 && apt_updated=1
    (cd "$dir" && apt-get download nginx >"$dir/download.log" 2>&1) \
      || { say "apt-get download nginx failed:"; tail -3 "$dir/download.log" >&2; return 1; }
  fi
  dpkg-deb -x "$dir"/nginx_*.deb "$dir/root"
  dpkg-deb -f "$dir"/nginx_*.deb Version >"$dir/version"
  echo "$dir/root"
}

# Builds a ~10 MB image holding only Debian's nginx binary and the libraries it links.
build_local_image() {
  local root version tag rootfs lib
  root=$(unpack_nginx_deb) || return 1
  version=$(tr -c 'A-Za-z0-9_.\n-' - <"$state/nginx-deb/version")
  tag=local/dugong-nginx:$version
  if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return 0; fi
  say "building $tag from Debian's nginx $(cat "$state/nginx-deb/version")"
  rootfs=$state/image-root
  rm -rf "$rootfs"
  mkdir -p "$rootfs/usr/sbin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/run" "$rootfs/srv" \
           "$rootfs/var/log/nginx" "$rootfs/var/lib/nginx"
  cp "$root/usr/sbin/nginx" "$rootfs/usr/sbin/nginx"
  # ldd lines: "libz.so.1 => /lib/.../libz.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
  for lib in $(ldd "$root/usr/sbin/nginx" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  # As root nginx looks up its default user and group even with master_process off.
  printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/usr/sbin/nginx", "-g", "daemon off;"]' - "$tag" >/dev/null
  rm -rf "$rootfs"
  echo "$tag"
}

# The image for docker mode: NGINX_IMAGE / nginx:stable-alpine if present or pullable, else a local build.
choose_image() {
  if docker image inspect "$registry_image" >/dev/null 2>&1; then echo "$registry_image"; return 0; fi
  if timeout 120 docker pull -q "$registry_image" >"$state/pull.log" 2>&1; then echo "$registry_image"; return 0; fi
  [ -n "${NGINX_IMAGE:-}" ] && { say "cannot pull $NGINX_IMAGE:"; tail -2 "$state/pull.log" >&2; return 1; }
  say "cannot pull $registry_image ($(tail -1 "$state/pull.log" | cut -c1-100)); building one"
  build_local_image
}

# The nginx executable for process mode.
choose_binary() {
  if [ -n "${NGINX_BINARY:-}" ]; then echo "$NGINX_BINARY"; return 0; fi
  if command -v nginx >/dev/null 2>&1; then command -v nginx; return 0; fi
  local root
  root=$(unpack_nginx_deb) || return 1
  "$root/usr/sbin/nginx" -v >/dev/null 2>&1 || { say "the unpacked nginx does not run here"; return 1; }
  echo "$root/usr/sbin/nginx"
}

start() {
  mkdir -p "$state"
  rm -f "$props"
  local mode=process image="" binary=""
  if [ "${DUGONG_IT_MODE:-}" = process ]; then
    say "DUGONG_IT_MODE=process: not using Docker"
  elif docker_up || start_dockerd; then
    if image=$(choose_image) && timeout 120 docker run --rm "$image" /usr/sbin/nginx -v >"$state/smoke.log" 2>&1; then
      mode=docker
    else
      say "Docker cannot run the nginx image${image:+ $image}:"; tail -3 "$state/smoke.log" 2>/dev/null >&2 || true
      stop_dockerd
    fi
  fi
  if [ "$mode" = process ]; then
    binary=$(choose_binary) || { say "no Docker and no nginx: the integration tests cannot run"; return 1; }
  fi
  {
    echo "# written by integration-tests/provision.sh start, $(date -u +%FT%TZ)"
    echo "nginx.mode=$mode"
    [ -n "$image" ] && echo "nginx.image=$image"
    [ -n "$binary" ] && echo "nginx.binary=$binary"
  } >"$props"
  if [ "$mode" = docker ]; then say "integration tests: nginx in Docker, image $image"
  else say "integration tests: NO Docker daemon; plain nginx process $binary on 127.0.0.1"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_dockerd; rm -f "$props" ;;
  status) cat "$props" 2>/dev/null || echo "not provisioned" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
