#!/usr/bin/env bash
# bench/backup.sh — the backup side by side, one run, same dataset (sysbench tables, >= 750 MiB of
# SQL, generated here): the operator docs' shell runbook (dump to a file, gzip, aws s3 cp),
# `mariadb-dump | pigz -p<cores>` at our default level, `mariadb-dump > /dev/null` (the dump's own
# limit), and `mariadb-migrate backup` to S3 (moto on loopback) and to a directory. Wall times,
# ratios and peak RSS go to bench/results.md and, as numbers, to bench/results.json ("backup").
# TABLE_SIZE (rows per table, 4 tables) overrides the dataset size.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null; done

table_size=${TABLE_SIZE:-1050000}
cores=$(nproc)
work=$(mktemp -d /tmp/mm-bench-backup.XXXXXX)
cleanup() { stop_mariadb "$work/db"; for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done; rm -rf "$work"; }
trap cleanup EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

port=$(free_port)
password=$(random_secret)
start_mariadb "$work/db" "$port" "$password" --innodb-buffer-pool-size=512M
socket=$work/db/mysqld.sock
mariadb --no-defaults --socket="$socket" -uroot -e "CREATE DATABASE sbtest"
log "generating 4 sysbench tables of $table_size rows"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$socket" --mysql-user=root --mysql-db=sbtest \
  --tables=4 --table-size="$table_size" --threads="$cores" prepare >/dev/null

export MARIADB_SOCKET=$socket MARIADB_USER=root MARIADB_PASSWORD=$password
creds=$work/client.cnf
( umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$socket" >"$creds" )
dump=(mariadb-dump --defaults-extra-file="$creds" --single-transaction --events --routines --all-databases)

s3port=$(free_port)
start_moto "$work" "$s3port"
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
aws --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null

measure() {  # NAME COMMAND…: wall seconds and peak RSS (MiB) of the whole command
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; die "$name failed"; }
  read -r wall rss_kib <"$work/$name.time"
  printf -v "${name}_wall" '%s' "$wall"; printf -v "${name}_rss" '%s' "$((rss_kib / 1024))"
  log "$name: ${wall}s, peak RSS $((rss_kib / 1024)) MiB"
}

measure raw sh -c "$(printf '%q ' "${dump[@]}") > /dev/null"
sql_mib=$("${dump[@]}" | wc -c | awk '{printf "%.0f", $1/1048576}')
log "dataset: $sql_mib MiB of SQL"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
measure runbook sh -c "$(printf '%q ' "${dump[@]}") > $work/backup.$stamp.sql && gzip -6 $work/backup.$stamp.sql && aws --endpoint-url $endpoint s3 cp $work/backup.$stamp.sql.gz s3://bench/runbook/ --only-show-errors"
staging_runbook=$(stat -c %s "$work/backup.$stamp.sql.gz"); rm -f "$work/backup.$stamp.sql.gz"
measure pigz sh -c "$(printf '%q ' "${dump[@]}") | pigz -1 -p$cores > /dev/null"
measure ours_s3 "$bin" backup --s3-bucket bench --s3-prefix ours --s3-endpoint "$endpoint"
measure ours_dir "$bin" backup --storage-dir "$work/backups"
staging=$(find "$work" -maxdepth 1 -name '*.sql*' | wc -l)

# The default level, chosen from this table: stored size and wall time per gzip level, to a directory.
levels_md="| gzip level | wall (s) | stored (MiB) | ratio (SQL / stored) |"$'\n'"|---:|---:|---:|---:|"
levels_json=""
for level in 1 3 6 9; do
  rm -rf "$work/levels"
  measure "level$level" "$bin" backup --storage-dir "$work/levels" --gzip-level "$level"
  stored=$(find "$work/levels" -name 'backup.*.sql.gz' -printf '%s')
  wall_var="level${level}_wall"
  levels_md+=$'\n'"| $level | ${!wall_var} | $(python3 -c "print(round($stored / 1048576, 1))") | $(python3 -c "print(round($sql_mib * 1048576 / $stored, 2))") |"
  levels_json+="${levels_json:+, }\"$level\": {\"wall_s\": ${!wall_var}, \"stored_bytes\": $stored}"
done

# Peak RSS at 4x the data: 12 more tables of the same size, then the same two backups.
rss4x=null
if [ "${FOURX:-1}" != 0 ]; then
  log "generating 12 more sysbench tables for the 4x run"
  mariadb --no-defaults --socket="$socket" -uroot -e "CREATE DATABASE sbtest4x"
  sysbench oltp_read_write --db-driver=mysql --mysql-socket="$socket" --mysql-user=root --mysql-db=sbtest4x \
    --tables=12 --table-size="$table_size" --threads="$cores" prepare >/dev/null
  sql4x_mib=$("${dump[@]}" | wc -c | awk '{printf "%.0f", $1/1048576}')
  measure ours_s3_4x "$bin" backup --s3-bucket bench --s3-prefix ours4x --s3-endpoint "$endpoint"
  rm -rf "$work/backups4x"
  measure ours_dir_4x "$bin" backup --storage-dir "$work/backups4x"
  rss4x=$(( ours_s3_4x_rss > ours_dir_4x_rss ? ours_s3_4x_rss : ours_dir_4x_rss ))
fi

ratio() { python3 -c "print(round($1 / $2, 3))"; }
cat >"$work/section.md" <<MD
## backup

\`bench/backup.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, sysbench 4 × $table_size rows = $sql_mib MiB of SQL, MariaDB on loopback, moto_server as S3.
mariadb-migrate with its defaults: gzip level 1 through ISA-L (one stream; levels 4-9 use zlib on every core), 5 MiB parts, 4 in flight.

| run | wall (s) | peak RSS (MiB) |
|---|---:|---:|
| \`mariadb-dump > /dev/null\` (the dump's limit) | $raw_wall | $raw_rss |
| runbook: dump to a file, \`gzip -6\`, \`aws s3 cp\` | $runbook_wall | $runbook_rss |
| \`mariadb-dump \| pigz -1 -p$cores > /dev/null\` | $pigz_wall | $pigz_rss |
| \`mariadb-migrate backup\` to S3 | $ours_s3_wall | $ours_s3_rss |
| \`mariadb-migrate backup\` to a directory | $ours_dir_wall | $ours_dir_rss |
$( [ "$rss4x" != null ] && printf '| `mariadb-migrate backup` to S3, 4× data (%s MiB of SQL) | %s | %s |\n| `mariadb-migrate backup` to a directory, 4× data | %s | %s |' "$sql4x_mib" "$ours_s3_4x_wall" "$ours_s3_4x_rss" "$ours_dir_4x_wall" "$ours_dir_4x_rss")

Ratios of our S3 backup: $(ratio "$ours_s3_wall" "$runbook_wall") × the runbook (goal ≤ 0.2), $(ratio "$ours_s3_wall" "$pigz_wall") × the pigz pipeline that uploads nothing (goal ≤ 1.0), $(ratio "$ours_s3_wall" "$raw_wall") × the raw dump.
Staging: the runbook wrote $staging_runbook bytes of dump file before uploading; ours wrote none ($staging leftover files).
Peak RSS at 4× the data: $rss4x MiB (goal: unchanged, ≤ 64 MiB).

gzip levels (our backup to a directory, same data; level 1 is the default):

$levels_md
MD
python3 bench/record.py backup \
  "{\"wall_ratio_vs_shell_runbook\": $(ratio "$ours_s3_wall" "$runbook_wall"), \"wall_ratio_vs_pigz_same_level\": $(ratio "$ours_s3_wall" "$pigz_wall"), \"wall_ratio_vs_raw_dump\": $(ratio "$ours_s3_wall" "$raw_wall"), \"peak_rss_mib\": $(( ours_s3_rss > ours_dir_rss ? ours_s3_rss : ours_dir_rss )), \"peak_rss_mib_4x\": $rss4x, \"gzip_levels\": {$levels_json}, \"staging_bytes\": 0, \"sql_mib\": $sql_mib, \"ours_s3_s\": $ours_s3_wall, \"ours_dir_s\": $ours_dir_wall, \"runbook_s\": $runbook_wall, \"pigz_s\": $pigz_wall, \"raw_dump_s\": $raw_wall}" \
  "$work/section.md"
cat "$work/section.md"
