#!/usr/bin/env bash
# bench/cutover.sh — a live cutover under write load, in one run: a source with binlog and a target
# on loopback, sysbench oltp_insert as the application (one row per transaction, WRITE_RATE a
# second, an account without SUPER so read_only refuses it), writing through the whole run.
# `mariadb-migrate backup` and `restore` copy the data (the time a stop-the-world migration keeps
# writes stopped: the operator's runbook), `replicate` catches up from the backup's position (rows
# applied a second), `verify --live` runs while the writer writes (its rows/s and MiB/s, and the
# writer's commits a second during it against a window as long without it), then ROUNDS rounds of
# `cutover --reversible` and `cutover --revert` with the write downtime of each; at the end a last
# cutover with the writer stopped, plain `verify` on the two quiet servers (timed) and
# `cutover --finish`. Best and median go to bench/results.json ("cutover") and bench/results.md.
# TABLE_SIZE sets the rows per table.
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
source_seq() { sequence "$(on_source "SELECT @@GLOBAL.gtid_binlog_pos")"; }
caught_up() {  # within one second's writes of the source
  while :; do
    src=$(source_seq); dst=$(sequence "$(on_target "SELECT @@GLOBAL.gtid_slave_pos")")
    [ $((src - dst)) -le "$rate" ] && break
    sleep 0.1
  done
}
# The backlog of the backup and restore: replicate from the backup's position, catch-up timed.
applied_before=$(sequence "$(python3 -c "import json,glob; print(json.load(open(glob.glob('$work/backups/*.manifest.json')[0]))['binlog']['gtid'])")")
c0=$(seconds)
"$bin" replicate --storage-dir "$work/backups" --create-replication-user --replication-password-file "$work/repl.pw" >/dev/null
caught_up
c1=$(seconds)
catchup=$(python3 -c "print(round(($dst - $applied_before) / ($c1 - $c0)))")
log "caught up $((dst - applied_before)) rows at $catchup rows/s"

# verify --live while the writer runs: the writer's commits a second during it and in a window as long just after
# it (each insert is one transaction: the source's GTID sequence counts them).
"$bin" verify --live --database sbtest --state-directory "$work/vl" --json >/dev/null  # warm-up, untimed
w0=$(source_seq); s0=$(seconds)
"$bin" verify --live --database sbtest --state-directory "$work/vl" --json >"$work/live.json"
s1=$(seconds); w1=$(source_seq)
live_s=$(python3 -c "print(round($s1 - $s0, 3))")
w2=$(source_seq); s2=$(seconds)
sleep "$live_s"
s3=$(seconds); w3=$(source_seq)
writer_during=$(python3 -c "print(round(($w1 - $w0) / ($s1 - $s0), 1))")
writer_without=$(python3 -c "print(round(($w3 - $w2) / ($s3 - $s2), 1))")
writer_ratio=$(python3 -c "print(round($writer_during / $writer_without, 3))")
live_rows=$(python3 -c "import json; r=json.load(open('$work/live.json')); print(sum(t['rows'] for t in r['tables']))")
data_mib=$(on_source "SELECT ROUND(SUM(DATA_LENGTH) / 1048576, 1) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sbtest'")
live_rows_s=$(python3 -c "print(round($live_rows / $live_s))")
live_mib_s=$(python3 -c "print(round($data_mib / $live_s, 1))")
log "verify --live: $live_rows rows in ${live_s}s; the writer committed $writer_during/s during it, $writer_without/s without"

# Rounds of a reversible cutover and its revert: the source takes writes again after each revert, the target
# replicates from it again (the revert's way back), and a backlog builds up before the next cutover.
downtimes=() reverts=()
for round in $(seq 1 "$rounds"); do
  [ "$round" -gt 1 ] && sleep "$backlog_s"
  caught_up
  "$bin" cutover --yes --reversible --replication-password-file "$work/repl.pw" --verify-state-directory "$work/vl" \
    --json >"$work/cutover-$round.json"
  sleep 2
  "$bin" cutover --yes --revert --replication-password-file "$work/repl.pw" --json >"$work/revert-$round.json"
  downtime=$(python3 -c "import json; print(round(json.load(open('$work/cutover-$round.json'))['writeDowntimeSeconds'], 3))")
  revert=$(python3 -c "import json; print(round(json.load(open('$work/revert-$round.json'))['writeDowntimeSeconds'], 3))")
  log "round $round: write downtime ${downtime}s, revert ${revert}s"
  downtimes+=("$downtime"); reverts+=("$revert")
done
kill "$writer_pid" 2>/dev/null || die "the writer stopped early: $(tail -3 "$work/writer.log")"; wait "$writer_pid" 2>/dev/null || true; writer_pid=

# Forward once more with the writer stopped, then plain verify on the two quiet servers (timed), and the way
# back dropped.
caught_up
"$bin" cutover --yes --reversible --replication-password-file "$work/repl.pw" --json >/dev/null
p0=$(seconds)
"$bin" verify --database sbtest --target-host 127.0.0.1 --target-port "$target_port" >"$work/verify.txt" || { cat "$work/verify.txt" >&2; die "verify found differences"; }
p1=$(seconds)
"$bin" cutover --finish >/dev/null
plain_s=$(python3 -c "print(round($p1 - $p0, 3))")
plain_rows=$(on_source "SELECT (SELECT COUNT(*) FROM sbtest.sbtest1) + (SELECT COUNT(*) FROM sbtest.sbtest2) + (SELECT COUNT(*) FROM sbtest.sbtest3) + (SELECT COUNT(*) FROM sbtest.sbtest4)")
plain_rows_s=$(python3 -c "print(round($plain_rows / $plain_s))")
plain_mib_s=$(python3 -c "print(round($data_mib / $plain_s, 1))")

stats() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(*('%g' % round(x, 3) for x in (min(v), statistics.median(v), max(v))))" "$@"; }
read -r down_best down_median down_worst <<<"$(stats "${downtimes[@]}")"
read -r rev_best rev_median rev_worst <<<"$(stats "${reverts[@]}")"
stop_the_world=$(python3 -c "print(round($backup_s + $restore_s, 2))")
ratio=$(python3 -c "print(round($down_median / $stop_the_world, 4))")
cat >"$work/section.md" <<MD
## cutover

\`bench/cutover.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, sysbench 4 × $table_size rows, MariaDB source and target on loopback (binlog on both, ROW), the application: sysbench oltp_insert at $rate rows a second on 2 connections, as an account without SUPER, through the whole run.

| measure | best | median | worst |
|---|---:|---:|---:|
| write downtime of \`cutover --reversible\` (s) | $down_best | $down_median | $down_worst |
| write downtime of \`cutover --revert\` (s) | $rev_best | $rev_median | $rev_worst |

Rounds: $rounds of a reversible cutover, 2 s of refused writes, and its revert (each after a ${backlog_s} s backlog but the first). Downtimes: ${downtimes[*]} s; reverts: ${reverts[*]} s. Goal: each ≤ 2 s (median).

| live comparison | seconds | rows/s | MiB/s |
|---|---:|---:|---:|
| \`verify --live\` while the writer runs and the target replicates | $live_s | $live_rows_s | $live_mib_s |
| \`verify\` (row counts, CHECKSUM TABLE) on the two quiet servers | $plain_s | $plain_rows_s | $plain_mib_s |

The writer (rate-limited to $rate rows a second) committed $writer_during rows/s during \`verify --live\` and $writer_without rows/s in a window as long just after it: $writer_ratio (goal ≥ 0.9). Catch-up after the backup and restore: $catchup rows applied a second. $data_mib MiB of table data.
The stop-the-world route keeps writes stopped at least for the backup and the restore: ${backup_s} s + ${restore_s} s = ${stop_the_world} s here (before any bootstrap in a cluster); the median cutover downtime is $ratio × that. \`verify\` found the source and the target equal after a last cutover with the writer stopped.
MD
python3 bench/record.py cutover \
  "{\"write_downtime_s\": $down_median, \"write_downtime_best_s\": $down_best, \"write_downtime_worst_s\": $down_worst, \"write_downtimes_s\": [$(IFS=,; echo "${downtimes[*]}")], \"revert_downtime_s\": $rev_median, \"revert_downtime_best_s\": $rev_best, \"revert_downtime_worst_s\": $rev_worst, \"revert_downtimes_s\": [$(IFS=,; echo "${reverts[*]}")], \"catchup_rows_per_s\": $catchup, \"verify_live_s\": $live_s, \"verify_live_rows_per_s\": $live_rows_s, \"verify_live_mib_per_s\": $live_mib_s, \"verify_plain_s\": $plain_s, \"verify_plain_rows_per_s\": $plain_rows_s, \"verify_plain_mib_per_s\": $plain_mib_s, \"writer_during_verify_live_per_s\": $writer_during, \"writer_without_per_s\": $writer_without, \"writer_ratio\": $writer_ratio, \"writer_rows_per_s\": $rate, \"rounds\": $rounds, \"backup_s\": $backup_s, \"restore_s\": $restore_s, \"stop_the_world_s\": $stop_the_world, \"downtime_ratio_vs_stop_the_world\": $ratio, \"table_rows\": $((4 * table_size))}" \
  "$work/section.md"
cat "$work/section.md"
