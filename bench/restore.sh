#!/usr/bin/env bash
# bench/restore.sh — `mariadb-migrate restore` side by side with what a shell user runs, same data and
# servers, one run: a whole-server backup (every database, the mysql schema included, as a first
# migration takes it) of a server holding sysbench tables (4 × TABLE_SIZE rows, default 500,000: about
# 385 MiB of SQL), loaded into the same target (no binlog, so myloader's default sql_log_bin=0 gains
# nothing); before each run the sysbench database is dropped there.
# Peers at their best settings, ours at its defaults:
#   `mariadb < dump.sql`, `gzip -dc dump.sql.gz | mariadb` (gunzip), myloader with <cores> threads on a
#   `mydumper --threads <cores> --rows 100000` dump (chunked tables), `mariadb-migrate restore` from a
#   directory and from S3 (moto on loopback).
# The SQL and gzip files are our backup's content, so the statements are the same. ROUNDS (default 3)
# alternating rounds (bench/alternate.py): wall best and median, CPU-seconds of each process (the job,
# mariadb/gzip/myloader, the target server, moto), peak RSS, staging bytes (sampled); every run is
# checked to have loaded every row. Then ours at 4× the data (RSS). Ratios are computed here;
# bench/results.json ("restore") and bench/results.md get them.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time mydumper; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null
done

table_size=${TABLE_SIZE:-500000}
rounds=${ROUNDS:-3}
cores=$(nproc)
# The stores, TMPDIR and the peers' output files live on a file system of their own (/dev/shm), which
# is sampled for staging; the servers' data and moto's temporary files stay elsewhere.
work=$(mktemp -d /tmp/mm-bench-restore.XXXXXX)
files=$(mktemp -d /dev/shm/mm-bench-restore.XXXXXX)
cleanup() {
  stop_mariadb "$work/source"; stop_mariadb "$work/target"
  for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  rm -rf "$work" "$files"
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

( umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$source_socket" >"$work/source.cnf"
  printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$target_socket" >"$work/target.cnf" )

start_bench_s3 "$work"

# The inputs, untimed: one backup of ours (in a directory and in S3), its SQL as a plain and a gzip
# file, and a chunked mydumper dump.
MARIADB_SOCKET=$source_socket MARIADB_USER=root MARIADB_PASSWORD=$password \
  "$bin" backup --storage-dir "$files/backups" >/dev/null
object=$(ls "$files"/backups/backup.*.sql.gz)
for f in "$object" "$object.manifest.json"; do
  aws --endpoint-url "$endpoint" s3 cp "$f" "s3://bench/mariadb/$(basename "$f")" --only-show-errors
done
gzip -dc "$object" >"$work/dump.sql"
cp "$object" "$work/dump.sql.gz"
sql_bytes=$(stat -c %s "$work/dump.sql")
mydumper --defaults-file="$work/source.cnf" --socket="$source_socket" --user=root --triggers --events --routines \
  --threads="$cores" --rows=100000 --outputdir="$work/mydumper" >/dev/null 2>&1
log "dataset: $((sql_bytes / 1048576)) MiB of SQL; mydumper wrote $(ls "$work/mydumper" | wc -l) files"

export PATH=$REPO_ROOT/bench/bin:$PATH
mkdir -p "$work/cpu" "$files/tmp"
export MM_BENCH_CPU_DIR=$work/cpu TMPDIR=$files/tmp
export MARIADB_SOCKET=$target_socket MARIADB_USER=root MARIADB_PASSWORD=$password
target="mariadb --defaults-extra-file=$work/target.cnf"
reset="$target -e 'DROP DATABASE IF EXISTS sbtest; DROP DATABASE IF EXISTS _mariadb_migrate'"
rows="SELECT (SELECT COUNT(*) FROM sbtest.sbtest1) + (SELECT COUNT(*) FROM sbtest.sbtest2) + (SELECT COUNT(*) FROM sbtest.sbtest3) + (SELECT COUNT(*) FROM sbtest.sbtest4)"
check="test \$($target -N -e '$rows') = $((4 * table_size))"
# A restore SIGKILLed once about half of the SQL is applied, then resumed: its whole wall time against one
# uninterrupted run. The watch reads the restore's own --json progress lines (stderr) as they come: polling
# the target with a client every 0.2 s spawned a process and a query on the two cores the restore needs.
half=$((sql_bytes / 2))
cat >"$work/killed-then-resumed.sh" <<SH
#!/usr/bin/env bash
coproc R { exec $bin restore --storage-dir $files/backups --json 2>&1 >/dev/null; }
pid=\$R_PID
while IFS= read -r line <&"\${R[0]}"; do
  case \$line in *'"applied_bytes":'*) n=\${line#*'"applied_bytes":'}; [ "\${n%%,*}" -ge $half ] && break ;; esac
done
kill -9 \$pid 2>/dev/null; wait \$pid || true
exec $bin restore --storage-dir $files/backups --resume
SH
chmod +x "$work/killed-then-resumed.sh"
cat >"$work/spec.json" <<JSON
{
  "jobs": [
    {"name": "plain", "before": "$reset", "after": "$check", "shell": "$target < $work/dump.sql"},
    {"name": "gunzip", "before": "$reset", "after": "$check",
     "shell": "set -o pipefail; gzip -dc $work/dump.sql.gz | $target"},
    {"name": "myloader", "before": "$reset", "after": "$check",
     "shell": "myloader --defaults-file=$work/target.cnf --socket=$target_socket --user=root --directory=$work/mydumper --threads=$cores --overwrite-tables"},
    {"name": "ours_dir", "before": "$reset", "after": "$check", "shell": "$bin restore --storage-dir $files/backups"},
    {"name": "ours_s3", "before": "$reset", "after": "$check",
     "shell": "$bin restore --s3-bucket bench --s3-prefix mariadb --s3-endpoint $endpoint"},
    {"name": "ours_untracked", "before": "$reset", "after": "$check",
     "shell": "$bin restore --storage-dir $files/backups --no-track-progress"},
    {"name": "ours_resumed", "before": "$reset", "after": "$check", "shell": "$work/killed-then-resumed.sh"}
  ]
}
JSON
python3 bench/alternate.py --rounds "$rounds" --filesystem "$files" --watch server="$(cat "$work/target/mysqld.pid")" \
  --watch moto="$(cat "$work/moto-$s3port.pid")" "$work/spec.json" "$work/runs.json"

# Peak RSS at 4× the data: a whole-server backup with 16 tables of the same size (12 more in a second
# database), restored by ours from S3 once.
fourx='{}'
if [ "${FOURX:-1}" != 0 ]; then
  log "generating 12 more sysbench tables for the 4x run"
  mariadb --defaults-extra-file="$work/source.cnf" -e "CREATE DATABASE sbtest4x"
  sysbench oltp_read_write --db-driver=mysql --mysql-socket="$source_socket" --mysql-user=root --mysql-db=sbtest4x \
    --tables=12 --table-size="$table_size" --threads="$cores" prepare >/dev/null
  MARIADB_SOCKET=$source_socket "$bin" backup --s3-bucket bench --s3-prefix fourx --s3-endpoint "$endpoint" >/dev/null
  $target -e "DROP DATABASE IF EXISTS sbtest4x"
  eval "$reset"
  /usr/bin/time -f "%e %M" -o "$work/fourx.time" "$bin" restore --s3-bucket bench --s3-prefix fourx --s3-endpoint "$endpoint" >/dev/null
  fourx=$(python3 -c "w, m = open('$work/fourx.time').read().split(); print('{\"ours_s3\": {\"wall_s\": %s, \"peak_rss_mib\": %d}}' % (w, int(m) // 1024))")
fi

machine="$cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
python3 - "$work/runs.json" "$work/section.md" "$work/numbers.json" <<PY
import json, sys
sys.path.insert(0, "bench")
import report
runs = json.load(open(sys.argv[1]))
fourx = json.loads('''$fourx''')
ratios = report.ratios(
    runs, [("ours_dir", "gunzip", 0.5), ("ours_s3", "gunzip", 0.5), ("ours_s3", "myloader", 1.0), ("ours_dir", "myloader", 1.0),
           ("ours_dir", "ours_untracked", 1.03), ("ours_resumed", "ours_dir", 1.15)],
    [("ours_s3", "plain")])
numbers = {"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "machine": "$machine", "sql_bytes": $sql_bytes,
           "table_size": $table_size, "rounds": $rounds, "runs": runs, "ratios": ratios, "four_x": fourx,
           "peak_rss_mib": max(runs["ours_dir"]["peak_rss_mib"], runs["ours_s3"]["peak_rss_mib"])}
json.dump(numbers, open(sys.argv[3], "w"))
labels = {"plain": "\`mariadb < dump.sql\`", "gunzip": "\`gunzip -c dump.sql.gz | mariadb\` (gzip -dc)",
  "myloader": "\`myloader --threads $cores\` (\`mydumper --rows 100000\` dump)",
  "ours_dir": "**\`mariadb-migrate restore\` from a directory**", "ours_s3": "**\`mariadb-migrate restore\` from S3**",
  "ours_untracked": "\`mariadb-migrate restore --no-track-progress\` (directory; as before resumable restores)",
  "ours_resumed": "\`mariadb-migrate restore\` SIGKILLed at half the SQL, then \`--resume\` (directory; total)"}
lines = ["## restore", "",
  f"\`bench/restore.sh\`, {numbers['date']}, $machine; a whole-server backup (every database, mysql included) with "
  f"sysbench 4 × $table_size rows = {$sql_bytes // 1048576} MiB of SQL into a MariaDB on loopback (no binlog), moto_server as S3; {$rounds} alternating rounds (A B B A …), each run "
  "checked to have loaded every row. Ours at its defaults ($cores connections, secondary keys after the rows, progress kept "
  "on the target in 1 MiB chunks). CPU-seconds "
  "are medians: \`job\` is the whole command with every process it waited for; \`server\` the target mariadbd.",
  ""] + report.run_table(runs, labels) + [""] + report.ratio_table(ratios)
if fourx:
    lines += ["", f"At 4× the data: ours from S3 {fourx['ours_s3']['wall_s']} s, peak RSS {fourx['ours_s3']['peak_rss_mib']} MiB (goal ≤ 64 MiB)."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
python3 bench/record.py restore "$(cat "$work/numbers.json")" "$work/section.md"
cat "$work/section.md"
