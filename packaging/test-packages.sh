#!/usr/bin/env bash
# The packaging test (ctest: `packaging`, label `packaging`).
#
#   bash packaging/test-packages.sh BUILD_DIR
#
# Builds the .deb and the .rpm with cpack from the binary BUILD_DIR has built,
# building nothing (as the `packages` target does; packaging/CMakeLists.txt),
# then on this machine:
#
#   1. inspects the .deb (files, Depends) and the .rpm (rpm -qpl, rpm -qpR);
#   2. installs the .deb with apt-get, as a DBA would, so its dependencies
#      resolve; runs the installed deltabridge --version, and check on the
#      installed examples as the deltabridge user: each file validates, then
#      the connections fail (nothing listens there), exit status 1; a broken
#      copy exits 2 naming file, line and column;
#   3. sets up a gateway as docs/install.md says (its file, TLS files and
#      state_dir; tokens added by root): the tokens file ends up 0600 and
#      owned by deltabridge, check as the deltabridge user passes the tokens,
#      TLS, state and listen lines, a tokens file given back to root fails
#      with the chown that fixes it, and the gateway, run as deltabridge,
#      serves /healthz over TLS, answers SIGHUP and stops on SIGTERM with 0;
#   4. verifies the installed units with systemd-analyze verify, and their
#      hardening with systemd-analyze security (when systemd-analyze exists),
#      the gateway unit also with the documented CAP_NET_BIND_SERVICE drop-in;
#   5. removes the package: the program and units go, the state under
#      /var/lib/deltabridge and the files in /etc/deltabridge stay; purge keeps
#      them too while they are not empty, and removes the empty directories;
#   6. puts the machine back: deletes what it created, and the deltabridge
#      user if it made it.
#
# It enables and starts no service and talks to nothing but 127.0.0.1. It
# needs root (it installs a package): run as another user it is skipped
# (exit 77). So it is when a deltabridge package, /etc/deltabridge or
# /var/lib/deltabridge is there already: the test never touches an
# installation it did not make. It takes about 45 s.
set -euo pipefail

build_dir="$(cd "${1:?usage: test-packages.sh BUILD_DIR}" && pwd)"

step="start"
say() { printf '== %s\n' "$*"; }
fail() {
  printf 'FAIL (%s): %s\n' "${step}" "$*" >&2
  exit 1
}
skip() {
  printf 'SKIP: %s\n' "$*"
  exit 77
}
# expect_in FILE PATTERN WHAT: FILE has a line matching the extended regex.
expect_in() {
  grep -Eq -- "$2" "$1" || {
    cat "$1" >&2
    fail "$3: no line matches /$2/"
  }
}
expect_not_in() {
  if grep -Eq -- "$2" "$1"; then
    cat "$1" >&2
    fail "$3: a line matches /$2/"
  fi
}

# dpkg's status of the package: empty when dpkg does not know it (never
# installed, or purged), not-installed, config-files, installed, ...
package_status() { dpkg-query -W -f='${db:Status-Status}' deltabridge 2>/dev/null || true; }
known_to_dpkg() { [[ -n "$(package_status)" && "$(package_status)" != not-installed ]]; }

# --- Preconditions ----------------------------------------------------------
((EUID == 0)) || skip "needs root: it installs and removes the .deb"
if known_to_dpkg; then
  skip "a deltabridge package is on this machine ($(package_status)); the test leaves it alone"
fi
[[ ! -e /usr/bin/deltabridge ]] || skip "/usr/bin/deltabridge exists and belongs to no package"
for dir in /etc/deltabridge /var/lib/deltabridge; do
  [[ ! -e "${dir}" ]] || skip "${dir} exists (left by an earlier installation); the test leaves it alone"
done
for tool in cpack dpkg-deb dpkg-shlibdeps rpmbuild rpm apt-get runuser setpriv openssl curl; do
  command -v "${tool}" >/dev/null ||
    fail "${tool} is missing: scripts/install-deps.sh installs it (scripts/packages.txt)"
done
[[ -x "${build_dir}/deltabridge" ]] || fail "${build_dir}/deltabridge is not built"
[[ -f "${build_dir}/CPackConfig.cmake" ]] || fail "${build_dir}/CPackConfig.cmake is missing"

work="$(mktemp -d /tmp/deltabridge-packaging.XXXXXX)"
chmod 0755 "${work}"  # the deltabridge user reads the broken copy from here
# What existed before, so that cleanup removes exactly what the test made.
had_user=0
getent passwd deltabridge >/dev/null && had_user=1
marker_state=/var/lib/deltabridge/packaging-test-$$
marker_etc=/etc/deltabridge/packaging-test-$$.yaml
# The gateway set up in step 3, as docs/install.md does it (instance "app").
gateway_files=(/etc/deltabridge/gateway-app.yaml /etc/deltabridge/gateway-app.crt
  /etc/deltabridge/gateway-app.key /etc/deltabridge/gateway-app.tokens)
gateway_state=/var/lib/deltabridge/gateway-app
gateway_pid=""

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 \
    --no-install-recommends "$@"
}
cleanup() {
  local status=$?
  if [[ -n "${gateway_pid}" ]]; then
    kill "${gateway_pid}" 2>/dev/null || true
    wait "${gateway_pid}" 2>/dev/null || true
  fi
  rm -f "${gateway_files[@]}"
  rm -rf "${gateway_state}"
  if known_to_dpkg; then
    apt_get purge -y deltabridge >/dev/null 2>&1 || dpkg --purge deltabridge >/dev/null 2>&1 || true
  fi
  rm -f "${marker_state}" "${marker_etc}"
  rmdir /etc/deltabridge /var/lib/deltabridge 2>/dev/null || true
  if ((!had_user)) && getent passwd deltabridge >/dev/null; then
    userdel deltabridge >/dev/null 2>&1 || true
    if getent group deltabridge >/dev/null; then
      groupdel deltabridge >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "${work}"
  if ((status == 0)); then
    say "packaging test passed"
  elif ((status != 77)); then
    say "packaging test FAILED during: ${step}"
  fi
}
trap cleanup EXIT

# --- 1. Build both packages from the built tree ------------------------------
step="cpack"
say "cpack -G 'DEB;RPM' (from ${build_dir})"
(cd "${build_dir}" && cpack -G 'DEB;RPM' -D CPACK_CMAKE_GENERATOR=Ninja -B "${work}/pkg") \
  >"${work}/cpack.log" 2>&1 || {
  cat "${work}/cpack.log" >&2
  fail "cpack failed"
}
debs=("${work}"/pkg/deltabridge_*.deb)
rpms=("${work}"/pkg/deltabridge-*.rpm)
[[ -f "${debs[0]}" && ${#debs[@]} == 1 ]] || fail "expected one .deb in ${work}/pkg"
[[ -f "${rpms[0]}" && ${#rpms[@]} == 1 ]] || fail "expected one .rpm in ${work}/pkg"
deb="${debs[0]}"
rpm_file="${rpms[0]}"
say "built $(basename "${deb}") and $(basename "${rpm_file}")"

step="inspect .deb"
version="$(dpkg-deb -f "${deb}" Version)"
upstream="${version%-*}"
dpkg-deb -c "${deb}" | awk '{print $1, $2, $NF}' >"${work}/deb.files"
for path in ./usr/bin/deltabridge ./usr/lib/systemd/system/deltabridge@.service \
  ./usr/lib/systemd/system/deltabridge-sink@.service \
  ./usr/lib/systemd/system/deltabridge-gateway@.service ./usr/share/man/man1/deltabridge.1.gz \
  ./usr/share/doc/deltabridge/examples/bridge.yaml ./usr/share/doc/deltabridge/examples/sink.yaml \
  ./usr/share/doc/deltabridge/examples/gateway.yaml ./etc/deltabridge/; do
  expect_in "${work}/deb.files" " ${path}\$" ".deb contents"
done
expect_not_in "${work}/deb.files" " ./var/" ".deb contents (state is never in the package)"
expect_in "${work}/deb.files" "^drwxr-x--- .* ./etc/deltabridge/\$" ".deb: /etc/deltabridge mode 0750"
dpkg-deb -f "${deb}" Depends | tr ',' '\n' | sed 's/^ *//' >"${work}/deb.depends"
for dep in adduser libc6 libpq5 libpqxx-6.4 libzmq5 liblmdb0 libyaml-cpp libspdlog libfmt \
  libmysqlcppconn libodbc libssl3; do
  expect_in "${work}/deb.depends" "^${dep}" ".deb Depends (from dpkg-shlibdeps)"
done
dpkg-deb --ctrl-tarfile "${deb}" | tar -t | sed 's|^\./||' >"${work}/deb.control"
for script in postinst prerm postrm; do
  expect_in "${work}/deb.control" "^${script}\$" ".deb maintainer scripts"
done
say ".deb ${version}: files, Depends ($(wc -l <"${work}/deb.depends") entries) and scripts as expected"

step="inspect .rpm"
rpm -qpl "${rpm_file}" >"${work}/rpm.files" 2>/dev/null
for path in /usr/bin/deltabridge /usr/lib/systemd/system/deltabridge@.service \
  /usr/lib/systemd/system/deltabridge-sink@.service \
  /usr/lib/systemd/system/deltabridge-gateway@.service /usr/share/man/man1/deltabridge.1.gz \
  /usr/share/doc/deltabridge/examples/bridge.yaml /usr/share/doc/deltabridge/examples/sink.yaml \
  /usr/share/doc/deltabridge/examples/gateway.yaml /etc/deltabridge; do
  expect_in "${work}/rpm.files" "^${path}\$" "rpm -qpl"
done
# Directories of other packages are not claimed.
for path in /usr /usr/bin /usr/lib/systemd/system /usr/share/man/man1 /etc; do
  expect_not_in "${work}/rpm.files" "^${path}\$" "rpm -qpl (a directory another package owns)"
done
rpm -qplv "${rpm_file}" 2>/dev/null | grep ' /etc/deltabridge$' >"${work}/rpm.etc"
expect_in "${work}/rpm.etc" '^drwxr-x--- .* root +deltabri' "rpm: /etc/deltabridge 0750 root:deltabridge"
rpm -qpR "${rpm_file}" >"${work}/rpm.requires" 2>/dev/null
for req in '/bin/sh' 'shadow-utils' 'libpq' 'libpq\.so\.5\(\)\(64bit\)' 'libzmq\.so\.5\(\)\(64bit\)' \
  'liblmdb\.so\.0\(\)\(64bit\)' 'libstdc\+\+\.so\.6\(\)\(64bit\)' 'zeromq' 'unixODBC' \
  'openssl-libs' 'libssl\.so\.3\(\)\(64bit\)'; do
  expect_in "${work}/rpm.requires" "^${req}\$" "rpm -qpR"
done
expect_not_in "${work}/rpm.requires" '/usr/local|perl|python' "rpm -qpR (nothing unexpected)"
rpm -qp --scripts "${rpm_file}" >"${work}/rpm.scripts" 2>/dev/null
expect_in "${work}/rpm.scripts" '^preinstall scriptlet' "rpm %pre"
expect_in "${work}/rpm.scripts" 'useradd -r' "rpm %pre creates the user"
expect_in "${work}/rpm.scripts" "stop 'deltabridge-gateway@\*\.service'" "rpm %preun stops gateways"
say ".rpm: files, $(wc -l <"${work}/rpm.requires") Requires and scriptlets as expected"

# --- 2. Install the .deb and use it ----------------------------------------
step="apt-get install"
say "apt-get install ./$(basename "${deb}")"
apt_get install -y "${deb}" >"${work}/install.log" 2>&1 || {
  cat "${work}/install.log" >&2
  fail "apt-get install failed"
}
[[ -x /usr/bin/deltabridge ]] || fail "/usr/bin/deltabridge is not installed"
out="$(/usr/bin/deltabridge --version)"
[[ "${out}" == "deltabridge ${upstream}" ]] ||
  fail "deltabridge --version printed '${out}', expected 'deltabridge ${upstream}'"
say "installed: ${out}"

step="installed layout"
getent passwd deltabridge | grep -q ':/var/lib/deltabridge:' ||
  fail "user deltabridge missing or home not /var/lib/deltabridge: $(getent passwd deltabridge)"
[[ "$(stat -c '%a %U:%G' /etc/deltabridge)" == "750 root:deltabridge" ]] ||
  fail "/etc/deltabridge is $(stat -c '%a %U:%G' /etc/deltabridge), expected 750 root:deltabridge"
[[ "$(stat -c '%a %U:%G' /var/lib/deltabridge)" == "750 deltabridge:deltabridge" ]] ||
  fail "/var/lib/deltabridge is $(stat -c '%a %U:%G' /var/lib/deltabridge)"
gzip -t /usr/share/man/man1/deltabridge.1.gz || fail "the man page is not valid gzip"
if command -v groff >/dev/null; then
  zcat /usr/share/man/man1/deltabridge.1.gz | groff -man -Tutf8 -ww -z 2>"${work}/groff.log" ||
    true
  [[ ! -s "${work}/groff.log" ]] || {
    cat "${work}/groff.log" >&2
    fail "groff warns about the man page"
  }
fi
say "user, /etc/deltabridge, /var/lib/deltabridge and the man page as expected"

step="check the installed bridge example"
examples=/usr/share/doc/deltabridge/examples
# As the service would run it: the deltabridge user, from /. The example's
# source is 127.0.0.1:5432, where nothing of this test listens.
as_service() { (cd / && runuser -u deltabridge -- "$@"); }
rc=0
as_service /usr/bin/deltabridge check "${examples}/bridge.yaml" >"${work}/check-bridge.out" 2>&1 ||
  rc=$?
cat "${work}/check-bridge.out"
((rc == 1)) || fail "check bridge.yaml exited ${rc}, expected 1 (valid file, source unreachable)"
expect_in "${work}/check-bridge.out" \
  "^ok    ${examples}/bridge.yaml: configuration valid \(1 source\(s\)\)\$" "check bridge.yaml"
expect_in "${work}/check-bridge.out" "^FAIL  source scheduling: PostgreSQL reachable" \
  "check bridge.yaml"

step="check the installed sink example"
rc=0
as_service /usr/bin/deltabridge check "${examples}/sink.yaml" >"${work}/check-sink.out" 2>&1 ||
  rc=$?
cat "${work}/check-sink.out"
((rc == 1)) || fail "check sink.yaml exited ${rc}, expected 1 (valid file, bridge and target down)"
expect_in "${work}/check-sink.out" \
  "^ok    ${examples}/sink.yaml: configuration valid \(1 bridge\(s\), 2 mapping\(s\)\)\$" \
  "check sink.yaml"
expect_in "${work}/check-sink.out" "^FAIL  bridge parks: " "check sink.yaml (bridge down)"
expect_in "${work}/check-sink.out" "^ok    state_dir /var/lib/deltabridge/sink-dashboard will be created\$" \
  "check sink.yaml (the service user may write its state)"
expect_in "${work}/check-sink.out" "^FAIL  target: " "check sink.yaml (target down)"

step="check the installed gateway example"
# Nothing of it exists yet: the bridge and the push target do not answer, the
# tokens file and the TLS files are not there.
rc=0
as_service /usr/bin/deltabridge check "${examples}/gateway.yaml" >"${work}/check-gateway.out" 2>&1 ||
  rc=$?
cat "${work}/check-gateway.out"
((rc == 1)) || fail "check gateway.yaml exited ${rc}, expected 1 (valid file, nothing there yet)"
expect_in "${work}/check-gateway.out" \
  "^ok    ${examples}/gateway.yaml: configuration valid \(1 bridge\(s\), 2 entity\(ies\), 1 taking pushes\)\$" \
  "check gateway.yaml"
expect_in "${work}/check-gateway.out" "^FAIL  bridge parks: " "check gateway.yaml (bridge down)"
expect_in "${work}/check-gateway.out" "^ok    state_dir /var/lib/deltabridge/gateway-app will be created\$" \
  "check gateway.yaml (the service user may write its state)"
expect_in "${work}/check-gateway.out" \
  "^FAIL  tokens file /etc/deltabridge/gateway-app.tokens does not exist: no application may read entity scheduling yet\$" \
  "check gateway.yaml (no tokens file)"
expect_in "${work}/check-gateway.out" \
  "^      fix: deltabridge token ${examples}/gateway.yaml NAME --read scheduling " \
  "check gateway.yaml (the command that adds a token)"
expect_in "${work}/check-gateway.out" "^FAIL  tls.cert_file /etc/deltabridge/gateway-app.crt: cannot read it" \
  "check gateway.yaml (no certificate)"
expect_in "${work}/check-gateway.out" "^(ok    |FAIL  )listen 0\.0\.0\.0:8443" "check gateway.yaml (listen)"
expect_in "${work}/check-gateway.out" "^FAIL  entity scheduling: push target: " \
  "check gateway.yaml (push target down)"

step="check a broken copy"
sed 's/type: postgres/type: pgsql/' "${examples}/bridge.yaml" >"${work}/broken.yaml"
chmod 0644 "${work}/broken.yaml"
rc=0
as_service /usr/bin/deltabridge check "${work}/broken.yaml" >"${work}/check-broken.out" 2>&1 ||
  rc=$?
cat "${work}/check-broken.out"
((rc == 2)) || fail "check of a broken file exited ${rc}, expected 2"
expect_in "${work}/check-broken.out" \
  "${work}/broken.yaml:[0-9]+:[0-9]+: sources\[0\]\.type: expected one of postgres, mysql, odbc" \
  "check of a broken file names file, line, column and key"

# --- 3. A gateway set up as docs/install.md says ------------------------------
step="gateway: files, state_dir, tokens"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo 18443)"
sed "s/listen: 0\.0\.0\.0:8443/listen: 127.0.0.1:${port}/" "${examples}/gateway.yaml" >"${work}/gateway-app.yaml"
install -m 0640 -g deltabridge "${work}/gateway-app.yaml" /etc/deltabridge/gateway-app.yaml
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout "${work}/app.key" -out "${work}/app.crt" 2>"${work}/openssl.log" || {
  cat "${work}/openssl.log" >&2
  fail "openssl made no certificate"
}
install -m 0640 -g deltabridge "${work}/app.crt" /etc/deltabridge/gateway-app.crt
install -m 0640 -g deltabridge "${work}/app.key" /etc/deltabridge/gateway-app.key
install -d -o deltabridge -g deltabridge -m 0750 "${gateway_state}"
# As root: a new tokens file goes to the owner of state_dir; an existing one
# keeps its owner.
for name in booking-app reporting; do
  /usr/bin/deltabridge token /etc/deltabridge/gateway-app.yaml "${name}" --read scheduling \
    --push scheduling >"${work}/${name}.token" 2>"${work}/token.err" || {
    cat "${work}/token.err" >&2
    fail "deltabridge token ${name} failed"
  }
  grep -Eq '^dbt_[A-Za-z0-9_-]{43}$' "${work}/${name}.token" ||
    fail "deltabridge token printed '$(cat "${work}/${name}.token")', not a token"
  owner="$(stat -c '%a %U:%G' /etc/deltabridge/gateway-app.tokens)"
  [[ "${owner}" == "600 deltabridge:deltabridge" ]] ||
    fail "after token ${name}, the tokens file is ${owner}, expected 600 deltabridge:deltabridge"
done
say "gateway: tokens file 0600 deltabridge:deltabridge after two tokens added by root"

step="gateway: check as the service user"
rc=0
as_service /usr/bin/deltabridge check /etc/deltabridge/gateway-app.yaml >"${work}/check-app.out" 2>&1 ||
  rc=$?
cat "${work}/check-app.out"
((rc == 1)) || fail "check gateway-app.yaml exited ${rc}, expected 1 (bridge and push target down)"
expect_in "${work}/check-app.out" "^ok    state_dir ${gateway_state} is writable\$" "check gateway-app.yaml"
expect_in "${work}/check-app.out" "^ok    tokens file /etc/deltabridge/gateway-app.tokens: 2 token\(s\) load\$" \
  "check gateway-app.yaml (the service user reads the tokens root added)"
expect_in "${work}/check-app.out" \
  "^ok    tls: certificate /etc/deltabridge/gateway-app.crt \(/CN=localhost, valid until .*\) and key /etc/deltabridge/gateway-app.key load and match\$" \
  "check gateway-app.yaml (the service user reads the TLS files)"
expect_in "${work}/check-app.out" "^ok    listen 127\.0\.0\.1:${port} can be bound\$" "check gateway-app.yaml"
expect_not_in "${work}/check-app.out" "^FAIL  (tokens|tls|listen|state_dir)" "check gateway-app.yaml"

step="gateway: a tokens file the service user cannot read"
chown root:root /etc/deltabridge/gateway-app.tokens
rc=0
as_service /usr/bin/deltabridge check /etc/deltabridge/gateway-app.yaml >"${work}/check-root.out" 2>&1 ||
  rc=$?
((rc == 1)) || fail "check with a root-owned tokens file exited ${rc}, expected 1"
expect_in "${work}/check-root.out" \
  "^FAIL  tokens file /etc/deltabridge/gateway-app.tokens \(root:root, mode 0600\) cannot be read by deltabridge: Permission denied\$" \
  "check names the tokens file's owner and mode"
expect_in "${work}/check-root.out" "^      fix: give it to the user the gateway runs as: chown deltabridge: /etc/deltabridge/gateway-app.tokens" \
  "check says which chown fixes it"
chown deltabridge:deltabridge /etc/deltabridge/gateway-app.tokens
say "gateway: check fails a root-owned tokens file with the chown that fixes it"

if (($(cat /proc/sys/net/ipv4/ip_unprivileged_port_start) > 443)); then
  step="gateway: a port below 1024"
  sed "s/listen: 127\.0\.0\.1:${port}/listen: 127.0.0.1:443/" "${work}/gateway-app.yaml" >"${work}/gateway-443.yaml"
  install -m 0640 -g deltabridge "${work}/gateway-443.yaml" /etc/deltabridge/gateway-app.yaml
  rc=0
  as_service /usr/bin/deltabridge check /etc/deltabridge/gateway-app.yaml >"${work}/check-443.out" 2>&1 ||
    rc=$?
  install -m 0640 -g deltabridge "${work}/gateway-app.yaml" /etc/deltabridge/gateway-app.yaml
  ((rc == 1)) || fail "check with listen on port 443 exited ${rc}, expected 1"
  expect_in "${work}/check-443.out" \
    "^FAIL  listen 127\.0\.0\.1:443: Permission denied: a port below [0-9]+ needs CAP_NET_BIND_SERVICE\$" \
    "check of port 443 as the service user"
  expect_in "${work}/check-443.out" "systemctl edit deltabridge-gateway@app, then \[Service\] AmbientCapabilities=CAP_NET_BIND_SERVICE" \
    "check of port 443 names the drop-in"
  say "gateway: port 443 fails for the service user, naming the drop-in"
fi

step="gateway: run as the service user"
# What the unit runs, without systemd: the gateway reads its tokens and TLS
# files as deltabridge and serves; the bridge need not be up for /healthz.
# setpriv execs the program itself (runuser would stay in between, a parent
# that does not pass SIGHUP on), so the signals below reach the gateway.
(cd / && exec setpriv --reuid=deltabridge --regid=deltabridge --init-groups -- \
  /usr/bin/deltabridge gateway /etc/deltabridge/gateway-app.yaml) >"${work}/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "${work}/gateway.log" && break
  kill -0 "${gateway_pid}" 2>/dev/null || break
  sleep 0.1
done
expect_in "${work}/gateway.log" "gateway app: 2 token\(s\) from /etc/deltabridge/gateway-app.tokens" \
  "the gateway, run as deltabridge, reads its tokens"
expect_in "${work}/gateway.log" "gateway app: listening on 127\.0\.0\.1:${port} \(https, wss\)" \
  "the gateway, run as deltabridge, loads its TLS files"
health="$(curl -sS --max-time 10 --cacert "${work}/app.crt" --resolve "localhost:${port}:127.0.0.1" \
  "https://localhost:${port}/healthz" 2>&1 || true)"
[[ "${health}" == '{"ok":true}' ]] || fail "GET /healthz over TLS answered '${health}'"
kill -HUP "${gateway_pid}"
for _ in $(seq 1 50); do
  grep -q 'SIGHUP' "${work}/gateway.log" && break
  sleep 0.1
done
expect_in "${work}/gateway.log" "SIGHUP: the tokens file is re-read by itself" "the gateway on SIGHUP"
kill -TERM "${gateway_pid}"
rc=0
wait "${gateway_pid}" || rc=$?
gateway_pid=""
((rc == 0)) || {
  cat "${work}/gateway.log" >&2
  fail "the gateway exited ${rc} after SIGTERM, expected 0"
}
say "gateway: ran as deltabridge over TLS, answered /healthz, logged SIGHUP, stopped with 0"
rm -f "${gateway_files[@]}"
rm -rf "${gateway_state}"

# --- 4. The units -----------------------------------------------------------
step="systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  # An instance of each template, as systemctl would load it. --man=no when
  # man is not installed: verify would fail on Documentation=man:deltabridge(1)
  # for want of the man program, not of the page (installed, checked above).
  man_opt=()
  command -v man >/dev/null || man_opt=(--man=no)
  rc=0
  systemd-analyze verify "${man_opt[@]}" deltabridge@parks.service \
    deltabridge-sink@dashboard.service deltabridge-gateway@app.service >"${work}/verify.out" 2>&1 ||
    rc=$?
  cat "${work}/verify.out"
  # verify loads the units offline and needs no running systemd (in a
  # container there is none, and verify passes there too). A finding about
  # our units names them or their files: that fails the test. verify also
  # loads what they point at (network-online.target, postgresql.service, ...)
  # and reports findings about those units of this machine; those are not
  # ours, so they are shown and do not fail the test, even when they make
  # verify exit non-zero.
  grep -E 'deltabridge' "${work}/verify.out" >"${work}/verify.findings" || true
  if [[ -s "${work}/verify.findings" ]]; then
    fail "systemd-analyze verify (exit ${rc}) about our units: $(cat "${work}/verify.findings")"
  fi
  if ((rc != 0)); then
    say "systemd-analyze verify exited ${rc} about other units of this machine (above); ours pass"
  fi
  say "systemd-analyze verify: the three units pass"
  # The hardening, as systemd scores it: exposure 0.0 is the most restricted,
  # 10.0 none; these units score about 3.2. --threshold counts in tenths, so
  # 40 fails a change that loosens them past 4.0.
  for unit in deltabridge@.service deltabridge-sink@.service deltabridge-gateway@.service; do
    systemd-analyze security --offline=true --threshold=40 --no-pager \
      "/usr/lib/systemd/system/${unit}" >"${work}/security.out" 2>&1 || {
      cat "${work}/security.out" >&2
      fail "systemd-analyze security: ${unit} exposure above 4.0"
    }
    say "$(grep -o 'Overall exposure level.*' "${work}/security.out")"
  done
  # The drop-in docs/install.md gives for a port below 1024, beside a copy of
  # the unit (systemd reads a unit's drop-ins from the directory it is in):
  # it loads, grants the capability, and keeps the exposure under 4.0.
  step="systemd-analyze: the gateway's port drop-in"
  units="${work}/units"
  mkdir -p "${units}/deltabridge-gateway@.service.d"
  cp /usr/lib/systemd/system/deltabridge-gateway@.service "${units}/"
  printf '[Service]\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n' \
    >"${units}/deltabridge-gateway@.service.d/port.conf"
  rc=0
  SYSTEMD_UNIT_PATH="${units}:" systemd-analyze verify "${man_opt[@]}" deltabridge-gateway@app.service \
    >"${work}/verify-dropin.out" 2>&1 || rc=$?
  grep -E 'deltabridge' "${work}/verify-dropin.out" >"${work}/verify-dropin.findings" || true
  [[ ! -s "${work}/verify-dropin.findings" ]] ||
    fail "systemd-analyze verify with the drop-in: $(cat "${work}/verify-dropin.findings")"
  SYSTEMD_UNIT_PATH="${units}:" systemd-analyze security --offline=true --threshold=40 --no-pager \
    "${units}/deltabridge-gateway@.service" >"${work}/security-dropin.out" 2>&1 || {
    cat "${work}/security-dropin.out" >&2
    fail "systemd-analyze security: the gateway unit with the drop-in: exposure above 4.0"
  }
  expect_in "${work}/security-dropin.out" "AmbientCapabilities=.*receives ambient capabilities" \
    "the drop-in grants CAP_NET_BIND_SERVICE"
  say "with the port drop-in: $(grep -o 'Overall exposure level.*' "${work}/security-dropin.out")"
else
  say "systemd-analyze is not installed: units not verified"
fi

# --- 5. Remove and purge ----------------------------------------------------
step="apt-get remove"
# State and a configuration file as a DBA would leave them.
install -o deltabridge -g deltabridge -m 0640 /dev/null "${marker_state}"
install -o root -g deltabridge -m 0640 "${examples}/bridge.yaml" "${marker_etc}"
apt_get remove -y deltabridge >"${work}/remove.log" 2>&1 || {
  cat "${work}/remove.log" >&2
  fail "apt-get remove failed"
}
[[ ! -e /usr/bin/deltabridge ]] || fail "/usr/bin/deltabridge is still there after remove"
for unit in deltabridge@.service deltabridge-sink@.service deltabridge-gateway@.service; do
  [[ ! -e "/usr/lib/systemd/system/${unit}" ]] || fail "${unit} is still there after remove"
done
[[ -f "${marker_state}" ]] || fail "remove deleted state under /var/lib/deltabridge"
[[ -f "${marker_etc}" ]] || fail "remove deleted a file in /etc/deltabridge"
say "remove: program and units gone, state and configuration kept"

step="apt-get purge (directories not empty)"
apt_get purge -y deltabridge >"${work}/purge.log" 2>&1 || {
  cat "${work}/purge.log" >&2
  fail "apt-get purge failed"
}
[[ -f "${marker_state}" ]] || fail "purge deleted state under /var/lib/deltabridge"
[[ -f "${marker_etc}" ]] || fail "purge deleted an administrator's file in /etc/deltabridge"
expect_in "${work}/purge.log" "deltabridge: kept /var/lib/deltabridge, which is not empty" \
  "purge says what it kept"
say "purge: kept the non-empty /etc/deltabridge and /var/lib/deltabridge, and said so"

step="apt-get install, then purge (directories empty)"
rm -f "${marker_state}" "${marker_etc}"
apt_get install -y "${deb}" >"${work}/install2.log" 2>&1 || {
  cat "${work}/install2.log" >&2
  fail "second apt-get install failed"
}
apt_get purge -y deltabridge >"${work}/purge2.log" 2>&1 || {
  cat "${work}/purge2.log" >&2
  fail "second apt-get purge failed"
}
[[ ! -e /etc/deltabridge ]] || fail "purge left the empty /etc/deltabridge"
[[ ! -e /var/lib/deltabridge ]] || fail "purge left the empty /var/lib/deltabridge"
! known_to_dpkg || fail "dpkg still lists deltabridge after purge: $(package_status)"
say "purge: removed the empty directories; dpkg knows no deltabridge"
step="done"
