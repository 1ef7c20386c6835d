# Shared shell helpers for scripts/test, scripts/test-env and scripts/demo. Source, don't run.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages the build and the tests need; installed only when one is missing.
APT_PACKAGES=(openssl libmariadb-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libbz2-dev libedit-dev libisal-dev
  mariadb-server mariadb-client mariadb-backup galera-4 mariadb-test-data socat pigz bzip2 gzip curl ca-certificates)

install_dependencies() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto, flask' >/dev/null 2>&1; then
    log "installing the S3 test server (moto[server]) and awscli from PyPI"
    python3 -m pip install -q 'moto[server]' awscli
    hash -r
  fi
  python3 -c 'import jsonschema, yaml' >/dev/null 2>&1 || python3 -m pip install -q jsonschema pyyaml
  command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] || die "swift is not installed: install Swift 6.1 or newer"
  command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

random_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(18))'; }

mariadbd_path() {
  command -v mariadbd 2>/dev/null || { [ -x /usr/sbin/mariadbd ] && echo /usr/sbin/mariadbd; } || die "mariadbd not found: install mariadb-server"
}

# start_mariadb DIR PORT ROOT_PASSWORD [extra mariadbd options…]
# A throwaway server: its own datadir and socket under DIR, 127.0.0.1:PORT, root's password set
# (root@localhost keeps unix_socket too, so the scripts can always get in through the socket).
start_mariadb() {
  local dir=$1 port=$2 password=$3; shift 3
  # Each server gets its own tmpdir: a mariadbd that starts deletes every #sql* file in its tmpdir, and with a
  # shared /tmp that is the temporary tables of the servers already running (error 6 on their queries).
  mkdir -p "$dir/tmp"
  local user_opt=()
  [ "$(id -u)" = 0 ] && user_opt=(--user=root)
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" --skip-test-db \
      --auth-root-authentication-method=socket >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; die "mariadb-install-db failed in $dir"; }
  fi
  # A node's own option file when it has one (a Galera node's SST script reads its settings there;
  # with --no-defaults it would read the machine's /etc/mysql instead).
  # Its mariadb-backup gets the server's InnoDB sizes as options and refuses the buffer pool's, so a
  # node with its own file keeps the defaults.
  local defaults=(--no-defaults) sizes=(--innodb-buffer-pool-size=128M --innodb-log-file-size=64M)
  [ -f "$dir/my.cnf" ] && { defaults=(--defaults-file="$dir/my.cnf"); sizes=(); }
  "$(mariadbd_path)" "${defaults[@]}" "${user_opt[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    "${sizes[@]}" --max-connections=200 "$@" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/mysqld.launcher.pid"
  local i
  for i in $(seq 1 120); do
    if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1 || { tail -20 "$dir/error.log" >&2; die "mariadbd did not start on port $port (log: $dir/error.log)"; }
  mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot <<SQL
ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('$password') OR unix_socket;
CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
}

# start_galera_cluster DIR ROOT_PASSWORD: a three-node Galera cluster on loopback
# (../shared/GALERA-ON-LOOPBACK.md) in DIR/galera1..3: per node a client, group communication, IST
# and SST port; node 1 bootstraps, nodes 2 and 3 join by mariabackup SST. Sets galera_ports (the
# three client ports; declare it local in the caller) and writes them to DIR/galera-ports.
# $MM_GALERA_MYCNF, when set, is more [mysqld] lines for every node (a binlog, say).
start_galera_cluster() {
  local data=$1 password=$2
  local gcomm_ports=() ist_ports=() sst_ports=() n address
  galera_ports=()
  for n in 1 2 3; do
    galera_ports+=("$(free_port)"); gcomm_ports+=("$(free_port)"); ist_ports+=("$(free_port)"); sst_ports+=("$(free_port)")
  done
  address="gcomm://127.0.0.1:${gcomm_ports[0]},127.0.0.1:${gcomm_ports[1]},127.0.0.1:${gcomm_ports[2]}"
  for n in 1 2 3; do
    local i=$((n - 1)) bootstrap=()
    [ "$n" = 1 ] && bootstrap=(--wsrep-new-cluster)
    mkdir -p "$data/galera$n"
    cat >"$data/galera$n/my.cnf" <<CNF
[mysqld]
datadir=$data/galera$n/data
socket=$data/galera$n/mysqld.sock
port=${galera_ports[$i]}
bind-address=127.0.0.1
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_address=$address
wsrep_cluster_name=mm-test
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:${gcomm_ports[$i]}
wsrep_node_incoming_address=127.0.0.1:${galera_ports[$i]}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcomm_ports[$i]};ist.recv_addr=127.0.0.1:${ist_ports[$i]}"
wsrep_sst_receive_address=127.0.0.1:${sst_ports[$i]}
wsrep_sst_method=mariabackup
binlog_format=ROW
server_id=10
innodb_autoinc_lock_mode=2
${MM_GALERA_MYCNF:-}
[sst]
sst-syslog=-1
sst-log-archive-dir=$data/galera$n/sst-logs
CNF
    start_mariadb "$data/galera$n" "${galera_ports[$i]}" "$password" "${bootstrap[@]}"
  done
  echo "${galera_ports[*]}" >"$data/galera-ports"
}

# stop_galera_cluster DIR: joiners first, the bootstrap node last, so the cluster ends cleanly.
stop_galera_cluster() {
  local data=$1
  stop_mariadb "$data/galera3"
  stop_mariadb "$data/galera2"
  stop_mariadb "$data/galera1"
}

stop_mariadb() {
  local dir=$1 pid
  [ -f "$dir/mysqld.pid" ] && pid=$(cat "$dir/mysqld.pid") || pid=$(cat "$dir/mysqld.launcher.pid" 2>/dev/null || true)
  [ -n "${pid:-}" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

# start_moto DIR PORT [env assignments…]: moto_server on 127.0.0.1:PORT, waits until it answers.
start_moto() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  env "$@" moto_server -H 127.0.0.1 -p "$port" </dev/null >"$dir/moto-$port.log" 2>&1 &
  echo $! >"$dir/moto-$port.pid"
  local i
  for i in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.5
  done
  cat "$dir/moto-$port.log" >&2
  die "moto_server did not start on port $port"
}

# A moto_server for a benchmark, its large objects' temporary files kept under WORK/moto-tmp, with
# a bucket named bench: sets s3port and endpoint, exports the AWS credentials the tools use.
start_bench_s3() {
  local work=$1
  s3port=$(free_port)
  mkdir -p "$work/moto-tmp"
  start_moto "$work" "$s3port" TMPDIR="$work/moto-tmp"
  endpoint=http://127.0.0.1:$s3port
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null
}

stop_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  kill "$(cat "$file")" 2>/dev/null || true
  rm -f "$file"
}

# prepare_corpus DIR — real sample databases that nobody here wrote, for the restore-equivalence test,
# from Debian's own packages with their copyright files beside them: MySQL's world database (from
# mariadb-test-data's mysql-test suite) and Zabbix 6.0's MySQL schema, images and data
# (zabbix-server-mysql, downloaded and unpacked only, never installed). Kept between runs.
prepare_corpus() {
  local dir=$1 tests=/usr/share/mysql/mysql-test/include
  mkdir -p "$dir"
  if [ ! -s "$dir/world.sql" ]; then
    [ -f "$tests/world.inc" ] || die "$tests/world.inc not found: install mariadb-test-data"
    cat "$tests/world_schema.inc" "$tests/world.inc" >"$dir/world.sql"
    cp /usr/share/doc/mariadb-test-data/copyright "$dir/world.copyright"
  fi
  if [ ! -s "$dir/zabbix/usr/share/zabbix-server-mysql/data.sql.gz" ]; then
    log "downloading Zabbix's MySQL schema and data (zabbix-server-mysql, unpacked only)"
    rm -f "$dir"/zabbix-server-mysql_*.deb
    # apt-get download writes into the current directory; as root it warns that _apt cannot, and goes on.
    (cd "$dir" && { apt-get download zabbix-server-mysql >/dev/null 2>&1 \
      || { as_root apt-get update -qq && apt-get download zabbix-server-mysql >/dev/null 2>&1; }; }) \
      || die "apt-get download zabbix-server-mysql failed"
    dpkg-deb -x "$dir"/zabbix-server-mysql_*.deb "$dir/zabbix"
    rm -f "$dir"/zabbix-server-mysql_*.deb
  fi
}
