#!/usr/bin/env bash
# bench/backup.sh — `mariadb-migrate backup` side by side with what a shell user runs, same data and
# servers, one run: sysbench tables (4 × TABLE_SIZE rows, default 500,000: about 385 MiB of SQL),
# binlog on, moto_server on loopback as S3. Each peer at its best settings, ours at its defaults:
#   to a directory: `mariadb-dump … | pigz -1 -p<cores> > file`, `mariadb-dump … | igzip -1 > file`,
#                   `mariadb-migrate backup --storage-dir`, and the same with `--fix innodb,invisible-pk` (the
#                   fixes read every definition in the stream; goal: within 3 % of without);
#   to S3:          the same two pipelines into `aws s3 cp - s3://…`, `mariadb-migrate backup --s3-…`,
#                   and the operator docs' runbook (dump to a file, gzip, aws s3 cp);
#   the floor:      `mariadb-dump … > /dev/null`.
# The peers' mariadb-dump gets the flags ours passed (read from our manifest). ROUNDS (default 3)
# alternating rounds (bench/alternate.py): wall best and median, CPU-seconds of each process (the
# job, mariadb-dump, pigz/igzip, aws, the server, moto), peak RSS, staging bytes measured by
# sampling the file systems of the store and TMPDIR. Then ours at each gzip level (the default's
# table) and at 4× the data (RSS). Ratios are computed here; bench/results.json ("backup") and
# bench/results.md get them.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
for p in sysbench time pigz isal; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || as_root apt-get install -y -qq "$p" >/dev/null
done

table_size=${TABLE_SIZE:-500000}
rounds=${ROUNDS:-3}
cores=$(nproc)
# The stores, TMPDIR and the peers' output files live on a file system of their own (/dev/shm), which
# is sampled for staging; the servers' data and moto's temporary files stay elsewhere.
work=$(mktemp -d /tmp/mm-bench-backup.XXXXXX)
files=$(mktemp -d /dev/shm/mm-bench-backup.XXXXXX)
cleanup() {
  stop_mariadb "$work/db"
  for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  rm -rf "$work" "$files"
}
trap cleanup EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

port=$(free_port)
password=$(random_secret)
start_mariadb "$work/db" "$port" "$password" --innodb-buffer-pool-size=512M --log-bin=mysql-bin --server-id=1
socket=$work/db/mysqld.sock
mariadb --no-defaults --socket="$socket" -uroot -e "CREATE DATABASE sbtest"
log "generating 4 sysbench tables of $table_size rows"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$socket" --mysql-user=root --mysql-db=sbtest \
  --tables=4 --table-size="$table_size" --threads="$cores" prepare >/dev/null

export MARIADB_SOCKET=$socket MARIADB_USER=root MARIADB_PASSWORD=$password
creds=$work/client.cnf
( umask 077; printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$password" "$socket" >"$creds" )

start_bench_s3 "$work"

# Every program whose CPU time is wanted runs through bench/bin's wrapper.
export PATH=$REPO_ROOT/bench/bin:$PATH
mkdir -p "$work/cpu" "$files/tmp" "$files/out"
export MM_BENCH_CPU_DIR=$work/cpu TMPDIR=$files/tmp

# One untimed backup of ours: its manifest gives the mariadb-dump flags the peers get too.
"$bin" backup --storage-dir "$work/warmup" >/dev/null
dump_flags=$(python3 -c "import json,glob,shlex; m=json.load(open(glob.glob('$work/warmup/*.manifest.json')[0])); print(' '.join(shlex.quote(a) for a in m['dumpArguments']))")
rm -rf "$work/warmup"
dump="mariadb-dump --defaults-extra-file=$creds $dump_flags"
sql_bytes=$(eval "$dump" | wc -c)
sql_mib=$((sql_bytes / 1048576))
log "dataset: $sql_mib MiB of SQL; mariadb-dump flags: $dump_flags"

s3=(--s3-bucket bench --s3-endpoint "$endpoint")
stamp='$(date -u +%Y-%m-%dT%H:%M:%SZ)'
clean_out="rm -rf $files/out/* $files/store"
cat >"$work/spec.json" <<JSON
{
  "jobs": [
    {"name": "raw_dump", "shell": "$dump > /dev/null"},
    {"name": "pigz_dir", "before": "$clean_out", "published": "$files/out/*",
     "shell": "$dump | pigz -1 -p$cores > $files/out/backup.$stamp.sql.gz"},
    {"name": "igzip_dir", "before": "$clean_out", "published": "$files/out/*",
     "shell": "$dump | igzip -1 -c > $files/out/backup.$stamp.sql.gz"},
    {"name": "ours_dir", "before": "$clean_out", "published": "$files/store/*",
     "shell": "$bin backup --storage-dir $files/store"},
    {"name": "ours_dir_fixed", "before": "$clean_out", "published": "$files/store/*",
     "shell": "$bin backup --storage-dir $files/store --fix innodb,invisible-pk"},
    {"name": "pigz_s3",
     "shell": "set -o pipefail; $dump | pigz -1 -p$cores | aws --endpoint-url $endpoint s3 cp - s3://bench/pigz/backup.$stamp.sql.gz --only-show-errors"},
    {"name": "igzip_s3",
     "shell": "set -o pipefail; $dump | igzip -1 -c | aws --endpoint-url $endpoint s3 cp - s3://bench/igzip/backup.$stamp.sql.gz --only-show-errors"},
    {"name": "ours_s3", "shell": "$bin backup ${s3[*]} --s3-prefix ours-\$RANDOM"},
    {"name": "runbook", "before": "$clean_out", "published": "$files/out/*.gz",
     "shell": "f=$files/out/backup.$stamp.sql; $dump > \$f && gzip -6 \$f && aws --endpoint-url $endpoint s3 cp \$f.gz s3://bench/runbook/ --only-show-errors"}
  ]
}
JSON
python3 bench/alternate.py --rounds "$rounds" --filesystem "$files" --watch server="$(cat "$work/db/mysqld.pid")" \
  --watch moto="$(cat "$work/moto-$s3port.pid")" "$work/spec.json" "$work/runs.json"

# The default level's table: ours to a directory at each level, one timing each.
levels_json=""
for level in 1 2 3 6 9; do
  rm -rf "$files/levels"
  /usr/bin/time -f "%e" -o "$work/level.time" "$bin" backup --storage-dir "$files/levels" --gzip-level "$level" >/dev/null
  stored=$(find "$files/levels" -name 'backup.*.sql.gz' -printf '%s')
  levels_json+="${levels_json:+, }\"$level\": {\"wall_s\": $(cat "$work/level.time"), \"stored_bytes\": $stored}"
  log "gzip level $level: $(cat "$work/level.time") s, $stored bytes"
done
rm -rf "$files/levels"

# Peak RSS at 4× the data: 12 more tables of the same size, then ours to both stores once.
rss4x='{}'
if [ "${FOURX:-1}" != 0 ]; then
  log "generating 12 more sysbench tables for the 4x run"
  mariadb --no-defaults --socket="$socket" -uroot -e "CREATE DATABASE sbtest4x"
  sysbench oltp_read_write --db-driver=mysql --mysql-socket="$socket" --mysql-user=root --mysql-db=sbtest4x \
    --tables=12 --table-size="$table_size" --threads="$cores" prepare >/dev/null
  /usr/bin/time -f "%e %M" -o "$work/s3_4x.time" "$bin" backup "${s3[@]}" --s3-prefix ours4x >/dev/null
  rm -rf "$files/store"
  /usr/bin/time -f "%e %M" -o "$work/dir_4x.time" "$bin" backup --storage-dir "$files/store" >/dev/null
  stored4x=$(find "$files/store" -name 'backup.*.sql.gz' -printf '%s')
  rss4x=$(python3 -c "
s3 = open('$work/s3_4x.time').read().split(); d = open('$work/dir_4x.time').read().split()
print('{\"ours_s3\": {\"wall_s\": %s, \"peak_rss_mib\": %d}, \"ours_dir\": {\"wall_s\": %s, \"peak_rss_mib\": %d}, \"stored_bytes\": %s}' % (s3[0], int(s3[1]) // 1024, d[0], int(d[1]) // 1024, $stored4x))")
fi

default_level=$("$bin" backup --help | tr -s ' \n' ' ' | sed -n 's/.*(default \([0-9]\), chosen.*/\1/p')
[ -n "$default_level" ] || die "backup --help does not name the default gzip level"
machine="$cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
python3 - "$work/runs.json" "$work/section.md" "$work/numbers.json" <<PY
import json, sys
sys.path.insert(0, "bench")
import report
runs = json.load(open(sys.argv[1]))
levels = {$levels_json}
fourx = json.loads('''$rss4x''')
ratios = report.ratios(
    runs, [("ours_dir", "pigz_dir", 0.5), ("ours_s3", "pigz_s3", 0.6), ("ours_s3", "igzip_s3", 1.0), ("ours_s3", "runbook", 0.2),
           ("ours_dir_fixed", "ours_dir", 1.03)],
    [("ours_dir", "igzip_dir"), ("ours_dir", "raw_dump")])
numbers = {"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "machine": "$machine", "sql_bytes": $sql_bytes,
           "table_size": $table_size, "rounds": $rounds, "runs": runs, "ratios": ratios, "gzip_levels": levels,
           "four_x": fourx, "default_gzip_level": $default_level,
           "peak_rss_mib": max(runs["ours_dir"]["peak_rss_mib"], runs["ours_s3"]["peak_rss_mib"])}
json.dump(numbers, open(sys.argv[3], "w"))
labels = {
  "raw_dump": "\`mariadb-dump > /dev/null\` (the dump's floor)",
  "pigz_dir": "\`mariadb-dump | pigz -1 -p$cores > file\`", "igzip_dir": "\`mariadb-dump | igzip -1 > file\`",
  "ours_dir": "**\`mariadb-migrate backup --storage-dir\`**",
  "ours_dir_fixed": "**\`mariadb-migrate backup --storage-dir --fix innodb,invisible-pk\`** (issue #31)",
  "pigz_s3": "\`mariadb-dump | pigz -1 -p$cores | aws s3 cp -\`", "igzip_s3": "\`mariadb-dump | igzip -1 | aws s3 cp -\`",
  "ours_s3": "**\`mariadb-migrate backup\` to S3**", "runbook": "runbook: dump to a file, \`gzip -6\`, \`aws s3 cp\`"}
lines = ["## backup", "",
  f"\`bench/backup.sh\`, {numbers['date']}, $machine; sysbench 4 × $table_size rows = $sql_mib MiB of SQL, binlog on, "
  f"MariaDB and moto_server on loopback; {$rounds} alternating rounds (A B B A …). Ours at its defaults (gzip level $default_level through "
  "ISA-L); each peer's mariadb-dump with the flags ours used. CPU-seconds are medians: \`job\` is the whole command with "
  "every process it waited for; the others are each program's own.",
  ""] + report.run_table(runs, labels) + [""] + report.ratio_table(ratios)
lines += ["", "gzip levels (ours to a directory, one timing each; level $default_level is the default):", "",
  "| level | wall s | stored MiB | SQL / stored |", "|---:|---:|---:|---:|"]
for level, v in levels.items():
    lines.append(f"| {level} | {v['wall_s']} | {round(v['stored_bytes'] / 1048576, 1)} | {round($sql_bytes / v['stored_bytes'], 2)} |")
if fourx:
    lines += ["", f"At 4× the data: ours to S3 {fourx['ours_s3']['wall_s']} s, peak RSS {fourx['ours_s3']['peak_rss_mib']} MiB; "
              f"to a directory {fourx['ours_dir']['wall_s']} s, peak RSS {fourx['ours_dir']['peak_rss_mib']} MiB (goal ≤ 64 MiB)."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
python3 bench/record.py backup "$(cat "$work/numbers.json")" "$work/section.md"
cat "$work/section.md"
