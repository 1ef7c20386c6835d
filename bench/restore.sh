#!/usr/bin/env bash
# bench/restore.sh — the restore side by side, one run, the dataset of bench/backup.sh (4 sysbench
# tables, >= 750 MiB of SQL, generated here): `mariadb < dump.sql`, `gunzip -c dump.sql.gz | mariadb`,
# myloader with <cores> threads on a mydumper dump of the same data, and `mariadb-migrate restore`
# from S3 (moto on loopback) and from a directory. Each run loads into the same empty target server.
# Wall times, ratios and peak RSS go to bench/results.md and, as numbers, to bench/results.json
# ("restore"). TABLE_SIZE (rows per table) overrides the dataset size.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time mydumper; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null; done

table_size=${TABLE_SIZE:-1050000}
cores=$(nproc)
work=$(mktemp -d /tmp/mm-bench-restore.XXXXXX)
cleanup() { stop_mariadb "$work/source"; stop_mariadb "$work/target"; for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done; rm -rf "$work"; }
trap cleanup EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

password=$(random_secret)
source_port=$(free_port); start_mariadb "$work/source" "$source_port" "$password" --innodb-buffer-pool-size=512M
target_port=$(free_port); start_mariadb "$work/target" "$target_port" "$password" --innodb-buffer-pool-size=512M
source_socket=$work/source/mysqld.sock target_socket=$work/target/mysqld.sock
mariadb --no-defaults --socket="$source_socket" -uroot -e "CREATE DATABASE sbtest"
log "generating 4 sysbench tables of $table_size rows"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$source_socket" --mysql-user=root --mysql-db=sbtest \
  --tables=4 --table-size="$table_size" --threads="$cores" prepare >/dev/null

( umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$source_socket" >"$work/source.cnf"
  printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$target_socket" >"$work/target.cnf" )

s3port=$(free_port)
start_moto "$work" "$s3port"
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
aws --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null

# The inputs, untimed: one backup of ours (S3 and a directory), the same SQL as a plain file and
# gzipped, and a mydumper dump.
MARIADB_SOCKET=$source_socket MARIADB_USER=root MARIADB_PASSWORD=$password "$bin" backup --database sbtest --storage-dir "$work/backups" >/dev/null
object=$(ls "$work"/backups/backup.*.sql.gz)
aws --endpoint-url "$endpoint" s3 cp "$object" "s3://bench/mariadb/$(basename "$object")" --only-show-errors
aws --endpoint-url "$endpoint" s3 cp "$object.manifest.json" "s3://bench/mariadb/$(basename "$object").manifest.json" --only-show-errors
gunzip -c "$object" >"$work/dump.sql"
cp "$object" "$work/dump.sql.gz"
sql_mib=$(du -m "$work/dump.sql" | cut -f1)
mydumper --defaults-file="$work/source.cnf" --socket="$source_socket" --user=root --database=sbtest --threads="$cores" --outputdir="$work/mydumper" >/dev/null 2>&1
log "dataset: $sql_mib MiB of SQL"

reset_target() { mariadb --defaults-extra-file="$work/target.cnf" -e "DROP DATABASE IF EXISTS sbtest"; }
measure() {  # NAME COMMAND…: wall seconds and peak RSS (MiB) of the whole command, on an empty target
  local name=$1; shift
  reset_target
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; die "$name failed"; }
  read -r wall rss_kib <"$work/$name.time"
  printf -v "${name}_wall" '%s' "$wall"; printf -v "${name}_rss" '%s' "$((rss_kib / 1024))"
  local rows; rows=$(mariadb --defaults-extra-file="$work/target.cnf" -N -e "SELECT SUM(c) FROM (SELECT COUNT(*) c FROM sbtest.sbtest1 UNION ALL SELECT COUNT(*) FROM sbtest.sbtest2 UNION ALL SELECT COUNT(*) FROM sbtest.sbtest3 UNION ALL SELECT COUNT(*) FROM sbtest.sbtest4) x")
  [ "$rows" = "$((4 * table_size))" ] || die "$name loaded $rows rows, not $((4 * table_size))"
  log "$name: ${wall}s, peak RSS $((rss_kib / 1024)) MiB"
}

measure plain sh -c "mariadb --defaults-extra-file=$work/target.cnf < $work/dump.sql"
measure gunzip sh -c "gunzip -c $work/dump.sql.gz | mariadb --defaults-extra-file=$work/target.cnf"
measure myloader myloader --defaults-file="$work/target.cnf" --socket="$target_socket" --user=root --directory="$work/mydumper" --threads="$cores" --overwrite-tables
export MARIADB_SOCKET=$target_socket MARIADB_USER=root MARIADB_PASSWORD=$password
measure ours_s3 "$bin" restore --s3-bucket bench --s3-prefix mariadb --s3-endpoint "$endpoint"
measure ours_dir "$bin" restore --storage-dir "$work/backups"
measure ours_client "$bin" restore --storage-dir "$work/backups" --parallel 1

ratio() { python3 -c "print(round($1 / $2, 3))"; }
cat >"$work/section.md" <<MD
## restore

\`bench/restore.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, sysbench 4 × $table_size rows = $sql_mib MiB of SQL, into an empty MariaDB on loopback (no binlog), moto_server as S3.
mariadb-migrate with its defaults: $cores connections (row data round-robin across them), the gzip backup of bench/backup.sh's defaults; myloader $(myloader --version 2>&1 | head -1 | awk '{print $2}') with $cores threads.

| run | wall (s) | peak RSS (MiB) |
|---|---:|---:|
| \`mariadb < dump.sql\` | $plain_wall | $plain_rss |
| \`gunzip -c dump.sql.gz \| mariadb\` | $gunzip_wall | $gunzip_rss |
| \`myloader --threads $cores\` (mydumper dump) | $myloader_wall | $myloader_rss |
| \`mariadb-migrate restore\` from S3 | $ours_s3_wall | $ours_s3_rss |
| \`mariadb-migrate restore\` from a directory | $ours_dir_wall | $ours_dir_rss |
| \`mariadb-migrate restore --parallel 1\` (through the mariadb client) | $ours_client_wall | $ours_client_rss |

Ratios of our S3 restore: $(ratio "$ours_s3_wall" "$gunzip_wall") × \`gunzip -c | mariadb\` (goal ≤ 0.5), $(ratio "$ours_s3_wall" "$myloader_wall") × myloader (goal ≤ 1.0), $(ratio "$ours_s3_wall" "$plain_wall") × \`mariadb < dump.sql\`.
Each run starts from an empty target and is checked to have loaded all $((4 * table_size)) rows.
MD
python3 bench/record.py restore \
  "{\"wall_ratio_vs_gunzip_mariadb\": $(ratio "$ours_s3_wall" "$gunzip_wall"), \"wall_ratio_vs_myloader\": $(ratio "$ours_s3_wall" "$myloader_wall"), \"peak_rss_mib\": $(( ours_s3_rss > ours_dir_rss ? ours_s3_rss : ours_dir_rss )), \"sql_mib\": $sql_mib, \"ours_s3_s\": $ours_s3_wall, \"ours_dir_s\": $ours_dir_wall, \"ours_client_s\": $ours_client_wall, \"gunzip_mariadb_s\": $gunzip_wall, \"mariadb_plain_s\": $plain_wall, \"myloader_s\": $myloader_wall}" \
  "$work/section.md"
cat "$work/section.md"
