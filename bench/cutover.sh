#!/usr/bin/env bash
# bench/cutover.sh — a live cutover under write load, in one run: a source with binlog and a target
# on loopback, sysbench oltp_insert as the application (one row per transaction, WRITE_RATE a
# second, an account without SUPER so read_only refuses it), writing through the whole run.
# `mariadb-migrate backup` and `restore` copy the data (the time a stop-the-world migration keeps
# writes stopped: the operator's runbook), then ROUNDS rounds of: a backlog builds up, `replicate`
# starts from the last position, the catch-up is timed from the GTID positions (rows applied a
# second), and `cutover --yes` reports how long writes were refused. Best and median of the rounds
# go to bench/results.json ("cutover") and bench/results.md. TABLE_SIZE sets the rows per table.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null; done

table_size=${TABLE_SIZE:-250000}
rate=${WRITE_RATE:-500}
rounds=${ROUNDS:-3}
backlog_s=${BACKLOG_SECONDS:-10}
cores=$(nproc)
work=$(mktemp -d /tmp/mm-bench-cutover.XXXXXX)
writer_pid=
cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  stop_mariadb "$work/source"; stop_mariadb "$work/target"; rm -rf "$work"
}
trap cleanup EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

password=$(random_secret)
writer_password=$(random_secret)
source_port=$(free_port)
start_mariadb "$work/source" "$source_port" "$password" --innodb-buffer-pool-size=512M --log-bin=mysql-bin --server-id=1 --binlog-format=ROW
target_port=$(free_port)
start_mariadb "$work/target" "$target_port" "$password" --innodb-buffer-pool-size=512M --log-bin=mysql-bin --server-id=2 --binlog-format=ROW
source_socket=$work/source/mysqld.sock
( umask 077
  printf '[client]\nuser=root\npassword="%s"\nhost=127.0.0.1\nport=%s\n' "$password" "$source_port" >"$work/source.cnf"
  printf '[client]\nuser=root\npassword="%s"\nhost=127.0.0.1\nport=%s\n' "$password" "$target_port" >"$work/target.cnf"
  printf '%s\n' "$password" >"$work/root.pw" )
on_source() { mariadb --defaults-extra-file="$work/source.cnf" -N -e "$1"; }
on_target() { mariadb --defaults-extra-file="$work/target.cnf" -N -e "$1"; }

on_source "CREATE DATABASE sbtest; CREATE USER writer@'127.0.0.1' IDENTIFIED BY '$writer_password'; GRANT SELECT, INSERT ON sbtest.* TO writer@'127.0.0.1'"
log "generating 4 sysbench tables of $table_size rows"
sysbench oltp_insert --db-driver=mysql --mysql-socket="$source_socket" --mysql-user=root --mysql-password="$password" \
  --mysql-db=sbtest --tables=4 --table-size="$table_size" --threads="$cores" prepare >/dev/null

# The application: inserts at $rate a second until the end, its refused writes ignored.
sysbench oltp_insert --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$source_port" --mysql-user=writer \
  --mysql-password="$writer_password" --mysql-db=sbtest --tables=4 --table-size="$table_size" --threads=2 \
  --rate="$rate" --time=0 --mysql-ignore-errors=all run >"$work/writer.log" 2>&1 &
writer_pid=$!

export MARIADB_HOST=127.0.0.1 MARIADB_PORT=$source_port MARIADB_USER=root MARIADB_PASSWORD=$password
export MARIADB_TARGET_HOST=127.0.0.1 MARIADB_TARGET_PORT=$target_port MARIADB_TARGET_USER=root MARIADB_TARGET_PASSWORD=$password
seconds() { python3 -c "import time; print(time.monotonic())"; }
t0=$(seconds)
"$bin" backup --database sbtest --storage-dir "$work/backups" >/dev/null 2>&1
t1=$(seconds)
"$bin" restore --storage-dir "$work/backups" --host 127.0.0.1 --port "$target_port" >/dev/null 2>&1
t2=$(seconds)
backup_s=$(python3 -c "print(round($t1 - $t0, 2))"); restore_s=$(python3 -c "print(round($t2 - $t1, 2))")
log "backup ${backup_s}s, restore ${restore_s}s under the writer"

sequence() { sed -E 's/.*0-1-([0-9]+).*/\1/' <<<"$1"; }
downtimes=() catchups=()
start_args=(--storage-dir "$work/backups")
for round in $(seq 1 "$rounds"); do
  if [ "$round" -gt 1 ]; then
    on_source "SET GLOBAL read_only = 0"
    sleep "$backlog_s"
    start_args=(--gtid "$final" --reset)
  fi
  applied_before=$(sequence "$(on_target "SELECT @@GLOBAL.gtid_slave_pos")")
  [ "$round" = 1 ] && applied_before=$(sequence "$(python3 -c "import json,glob; print(json.load(open(glob.glob('$work/backups/*.manifest.json')[0]))['binlog']['gtid'])")")
  c0=$(seconds)
  "$bin" replicate "${start_args[@]}" --create-replication-user --replication-password-file "$work/repl.pw" >/dev/null
  # Caught up: within one second's writes of the source.
  while :; do
    src=$(sequence "$(on_source "SELECT @@GLOBAL.gtid_binlog_pos")"); dst=$(sequence "$(on_target "SELECT @@GLOBAL.gtid_slave_pos")")
    [ $((src - dst)) -le "$rate" ] && break
    sleep 0.1
  done
  c1=$(seconds)
  catchup=$(python3 -c "print(round(($dst - $applied_before) / ($c1 - $c0)))")
  "$bin" cutover --yes --json >"$work/cutover-$round.json"
  final=$(python3 -c "import json; print(json.load(open('$work/cutover-$round.json'))['finalPosition'])")
  downtime=$(python3 -c "import json; print(round(json.load(open('$work/cutover-$round.json'))['writeDowntimeSeconds'], 3))")
  log "round $round: caught up $((dst - applied_before)) rows at $catchup rows/s, write downtime ${downtime}s"
  downtimes+=("$downtime"); catchups+=("$catchup")
done
kill "$writer_pid" 2>/dev/null || die "the writer stopped early: $(tail -3 "$work/writer.log")"; wait "$writer_pid" 2>/dev/null || true; writer_pid=

# Equal after the last cutover (the source stays read-only).
"$bin" verify --database sbtest --target-host 127.0.0.1 --target-port "$target_port" >"$work/verify.txt" || { cat "$work/verify.txt" >&2; die "verify found differences"; }

stats() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(*('%g' % round(x, 3) for x in (min(v), statistics.median(v), max(v))))" "$@"; }
read -r down_best down_median down_worst <<<"$(stats "${downtimes[@]}")"
read -r catch_worst catch_median catch_best <<<"$(stats "${catchups[@]}")"
stop_the_world=$(python3 -c "print(round($backup_s + $restore_s, 2))")
ratio=$(python3 -c "print(round($down_median / $stop_the_world, 4))")
cat >"$work/section.md" <<MD
## cutover

\`bench/cutover.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, sysbench 4 × $table_size rows, MariaDB source and target on loopback (binlog on both, ROW), the application: sysbench oltp_insert at $rate rows a second on 2 connections, as an account without SUPER, through the whole run.

| measure | best | median | worst |
|---|---:|---:|---:|
| write downtime of \`cutover\` (s) | $down_best | $down_median | $down_worst |
| catch-up (rows applied a second) | $catch_best | $catch_median | $catch_worst |

Rounds: $rounds (each after a ${backlog_s} s backlog; the first after the backup and restore). Downtimes: ${downtimes[*]} s. Catch-up rates: ${catchups[*]} rows/s.
The stop-the-world route keeps writes stopped at least for the backup and the restore: ${backup_s} s + ${restore_s} s = ${stop_the_world} s here (before any bootstrap in a cluster); the median cutover downtime is $ratio × that. Goal: downtime ≤ 2 s. \`verify\` found the source and the target equal after the last cutover.
MD
python3 bench/record.py cutover \
  "{\"write_downtime_s\": $down_median, \"write_downtime_best_s\": $down_best, \"write_downtime_worst_s\": $down_worst, \"write_downtimes_s\": [$(IFS=,; echo "${downtimes[*]}")], \"catchup_rows_per_s\": $catch_median, \"catchup_rows_per_s_best\": $catch_best, \"catchup_rates\": [$(IFS=,; echo "${catchups[*]}")], \"writer_rows_per_s\": $rate, \"rounds\": $rounds, \"backup_s\": $backup_s, \"restore_s\": $restore_s, \"stop_the_world_s\": $stop_the_world, \"downtime_ratio_vs_stop_the_world\": $ratio, \"table_rows\": $((4 * table_size))}" \
  "$work/section.md"
cat "$work/section.md"
