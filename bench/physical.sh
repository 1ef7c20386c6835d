#!/usr/bin/env bash
# bench/physical.sh — the physical route against the logical route, same data, one run, alternating
# (L P P L L P): the logical route is `mariadb-migrate backup` to S3 (moto on loopback) then `restore`
# into an empty server; the physical route is `backup --physical` to the same S3 then `restore
# --physical` into an empty data directory and a server started on it (until it accepts
# connections, as the operator's bootstrap ends). Both gzip, the tool's defaults. The first
# physical round is compared with the source by `mariadb-migrate verify`. Wall times (best and
# median of 3), the split, the data's size and each route's throughput per byte of data go to
# bench/results.json ("physical") and bench/results.md. TABLE_SIZE (rows per table) sets the size.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null; done

table_size=${TABLE_SIZE:-1050000}
rounds=3
cores=$(nproc)
work=$(mktemp -d /tmp/mm-bench-physical.XXXXXX)
cleanup() {
  stop_mariadb "$work/source"; stop_mariadb "$work/target"; stop_mariadb "$work/restored"
  for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  rm -rf "$work"
}
trap cleanup EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

password=$(random_secret)
sizes=(--innodb-buffer-pool-size=512M)
source_port=$(free_port); start_mariadb "$work/source" "$source_port" "$password" "${sizes[@]}" --log-bin=mysql-bin --server-id=1
target_port=$(free_port); start_mariadb "$work/target" "$target_port" "$password" "${sizes[@]}"
source_socket=$work/source/mysqld.sock target_socket=$work/target/mysqld.sock
mariadb --no-defaults --socket="$source_socket" -uroot -e "CREATE DATABASE sbtest"
log "generating 4 sysbench tables of $table_size rows"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$source_socket" --mysql-user=root --mysql-db=sbtest \
  --tables=4 --table-size="$table_size" --threads="$cores" prepare >/dev/null
data_bytes=$(mariadb --no-defaults --socket="$source_socket" -uroot -N -e \
  "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sbtest'")
datadir_mib=$(du -sm "$work/source/data" | cut -f1)

s3port=$(free_port)
start_moto "$work" "$s3port"
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
aws --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null
s3=(--s3-bucket bench --s3-endpoint "$endpoint")

timed() {  # NAME COMMAND…: appends "wall rss_mib" of the command to $work/NAME.times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.one" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; die "$name failed"; }
  read -r wall rss_kib <"$work/$name.one"
  echo "$wall $((rss_kib / 1024))" >>"$work/$name.times"
  log "$name: ${wall}s, peak RSS $((rss_kib / 1024)) MiB"
}

logical_round() {
  local prefix=logical-$1
  mariadb --no-defaults --socket="$target_socket" -uroot -e "DROP DATABASE IF EXISTS sbtest"
  MARIADB_SOCKET=$source_socket MARIADB_USER=root MARIADB_PASSWORD=$password \
    timed logical_backup "$bin" backup "${s3[@]}" --s3-prefix "$prefix" --database sbtest
  MARIADB_SOCKET=$target_socket MARIADB_USER=root MARIADB_PASSWORD=$password \
    timed logical_restore "$bin" restore "${s3[@]}" --s3-prefix "$prefix"
}

physical_round() {
  local prefix=physical-$1
  stop_mariadb "$work/restored"; rm -rf "$work/restored"
  MARIADB_SOCKET=$source_socket MARIADB_USER=root MARIADB_PASSWORD=$password \
    timed physical_backup "$bin" backup --physical "${s3[@]}" --s3-prefix "$prefix"
  timed physical_restore "$bin" restore --physical "${s3[@]}" --s3-prefix "$prefix" --datadir "$work/restored/data"
  local started; started=$(date +%s.%N)
  start_mariadb "$work/restored" "$(free_port)" "$password" "${sizes[@]}"
  echo "$(python3 -c "import time; print(round(time.time() - $started, 2))") 0" >>"$work/physical_start.times"
  if [ "$1" = 1 ]; then verify_socket "$work/restored/mysqld.sock"; fi
}

# The restored server against the source: the verify command over the two sockets.
verify_socket() {
  MARIADB_SOCKET=$source_socket MARIADB_USER=root MARIADB_PASSWORD=$password \
    MARIADB_TARGET_SOCKET=$1 MARIADB_TARGET_USER=root MARIADB_TARGET_PASSWORD=$password \
    "$bin" verify --database sbtest >"$work/verify.out" 2>&1 || { cat "$work/verify.out" >&2; die "verify found differences"; }
  log "verify: $(tail -1 "$work/verify.out")"
}

# L P P L L P
logical_round 1; physical_round 1; physical_round 2; logical_round 2; logical_round 3; physical_round 3

stats() {  # FILE → "best median max_rss" of the walls in it
  python3 - "$1" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
walls = [float(r[0]) for r in rows]
print(min(walls), round(statistics.median(walls), 2), max(int(r[1]) for r in rows))
PY
}
read -r lb_best lb_med lb_rss < <(stats "$work/logical_backup.times")
read -r lr_best lr_med lr_rss < <(stats "$work/logical_restore.times")
read -r pb_best pb_med pb_rss < <(stats "$work/physical_backup.times")
read -r pr_best pr_med pr_rss < <(stats "$work/physical_restore.times")
read -r ps_best ps_med _ < <(stats "$work/physical_start.times")
# A route's time per round: its own rounds summed, so best/median are of whole routes.
route() { paste -d' ' "$@" | awk '{s=0; for (i=1; i<=NF; i+=2) s+=$i; print s, 0}' ; }
route "$work/logical_backup.times" "$work/logical_restore.times" >"$work/logical_route.times"
route "$work/physical_backup.times" "$work/physical_restore.times" "$work/physical_start.times" >"$work/physical_route.times"
read -r l_best l_med _ < <(stats "$work/logical_route.times")
read -r p_best p_med _ < <(stats "$work/physical_route.times")
ratio() { python3 -c "print(round($1 / $2, 3))"; }
rate() { python3 -c "print(round($1 / $2))"; }
data_mib=$((data_bytes / 1048576))

cat >"$work/section.md" <<MD
## physical

\`bench/physical.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, sysbench 4 × $table_size rows ($data_mib MiB of data and indexes, a $datadir_mib MiB datadir), moto_server as S3, gzip, rounds alternating L P P L L P ($rounds each).
Logical route: \`backup --database sbtest\` to S3, then \`restore\` into an empty server. Physical route: \`backup --physical\` to S3, \`restore --physical\` into an empty datadir, then a server started on it until it accepts connections. The first physical round was compared with the source by \`mariadb-migrate verify\`: equal.

| step | best (s) | median (s) | peak RSS (MiB) |
|---|---:|---:|---:|
| logical backup | $lb_best | $lb_med | $lb_rss |
| logical restore | $lr_best | $lr_med | $lr_rss |
| **logical route** | $l_best | $l_med | |
| physical backup | $pb_best | $pb_med | $pb_rss |
| physical restore (extract, prepare, copy back) | $pr_best | $pr_med | $pr_rss |
| server start on the restored datadir | $ps_best | $ps_med | |
| **physical route** | $p_best | $p_med | |

Physical route / logical route: $(ratio "$p_best" "$l_best") (best), $(ratio "$p_med" "$l_med") (median); goal ≤ 0.3.
Throughput per byte of data (median): logical $(rate "$data_bytes" "$l_med") B/s, physical $(rate "$data_bytes" "$p_med") B/s; the wizard's route estimate uses these.
MD
python3 bench/record.py physical "$(cat <<JSON
{"data_bytes": $data_bytes, "rounds": $rounds,
 "logical_backup_s": {"best": $lb_best, "median": $lb_med}, "logical_restore_s": {"best": $lr_best, "median": $lr_med},
 "physical_backup_s": {"best": $pb_best, "median": $pb_med}, "physical_restore_s": {"best": $pr_best, "median": $pr_med},
 "physical_start_s": {"best": $ps_best, "median": $ps_med},
 "logical_route_s": {"best": $l_best, "median": $l_med}, "physical_route_s": {"best": $p_best, "median": $p_med},
 "ratio_best": $(ratio "$p_best" "$l_best"), "ratio_median": $(ratio "$p_med" "$l_med"),
 "logical_bytes_per_s": $(rate "$data_bytes" "$l_med"), "physical_bytes_per_s": $(rate "$data_bytes" "$p_med"),
 "peak_rss_mib": {"logical_backup": $lb_rss, "logical_restore": $lr_rss, "physical_backup": $pb_rss, "physical_restore": $pr_rss}}
JSON
)" "$work/section.md"
cat "$work/section.md"
