#!/usr/bin/env bash
# bench/object-store.sh — 1 GiB upload and download through mariadb-migrate's S3 store against
# `aws s3 cp`, both on the same loopback S3 server (moto) in one run. Wall time and peak RSS
# (GNU time) go to bench/results.md and, as numbers, to bench/results.json under "object-store".
# SIZE_MIB overrides the size.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
install_dependencies
command -v /usr/bin/time >/dev/null || as_root apt-get install -y -qq time >/dev/null

size_mib=${SIZE_MIB:-1024}
work=$(mktemp -d /tmp/mm-bench.XXXXXX)
trap 'for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done; rm -rf "$work"' EXIT

swift build -c release --product mariadb-migrate >/dev/null
bin=$(swift build -c release --show-bin-path)/mariadb-migrate

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
log "making $size_mib MiB of random data"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/data"

# moto keeps objects in memory and slows as it fills, so every timed run gets a fresh server.
fresh_server() {
  for f in "$work"/moto-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  port=$(free_port)
  start_moto "$work" "$port"
  endpoint=http://127.0.0.1:$port
  aws --endpoint-url "$endpoint" s3 mb s3://bench >/dev/null
  s3=(--s3-bucket bench --s3-endpoint "$endpoint")
}

# measure NAME COMMAND…: wall seconds and peak RSS (MiB) of one run.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; die "$name failed"; }
  read -r wall rss_kib <"$work/$name.time"
  printf -v "${name}_wall" '%s' "$wall"
  printf -v "${name}_rss" '%s' "$((rss_kib / 1024))"
  log "$name: ${wall}s, peak RSS $((rss_kib / 1024)) MiB"
}

fresh_server
measure awscli_up aws --endpoint-url "$endpoint" s3 cp "$work/data" s3://bench/data --only-show-errors
fresh_server
measure ours_up "$bin" storage put "$work/data" data "${s3[@]}"
fresh_server
aws --endpoint-url "$endpoint" s3 cp "$work/data" s3://bench/data --only-show-errors
measure awscli_down aws --endpoint-url "$endpoint" s3 cp s3://bench/data "$work/awscli.out" --only-show-errors
fresh_server
aws --endpoint-url "$endpoint" s3 cp "$work/data" s3://bench/data --only-show-errors
measure ours_down "$bin" storage get data "$work/ours.out" "${s3[@]}"
cmp -s "$work/data" "$work/ours.out" || die "our download differs from the upload"
cmp -s "$work/data" "$work/awscli.out" || die "aws-cli's download differs from the upload"

ratio() { python3 -c "print(round($1 / $2, 3))"; }
up_ratio=$(ratio "$ours_up_wall" "$awscli_up_wall")
down_ratio=$(ratio "$ours_down_wall" "$awscli_down_wall")
peak=$(( ours_up_rss > ours_down_rss ? ours_up_rss : ours_down_rss ))
awscli_version=$(aws --version 2>&1 | cut -d' ' -f1)

cat >"$work/section.md" <<MD
## object-store

\`bench/object-store.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $size_mib MiB of random data, moto_server on loopback, $(nproc) cores.
mariadb-migrate: 5 MiB first part, 4 parts in flight, one streamed GET that resumes by range (defaults); $awscli_version: its defaults (8 MiB, 10 requests).

| run | wall (s) | peak RSS (MiB) |
|---|---:|---:|
| aws s3 cp (upload) | $awscli_up_wall | $awscli_up_rss |
| mariadb-migrate storage put | $ours_up_wall | $ours_up_rss |
| aws s3 cp (download) | $awscli_down_wall | $awscli_down_rss |
| mariadb-migrate storage get | $ours_down_wall | $ours_down_rss |

Upload ratio (ours / aws-cli): $up_ratio; download ratio: $down_ratio. Goal: ≤ 1.0 with peak RSS ≤ 64 MiB.
Each timed run gets a fresh moto_server (it keeps objects in memory and slows as it fills); downloads read an object aws-cli put there untimed. moto bounds both clients' throughput; it answers HTTP/1.0, so neither reuses connections.
MD
python3 bench/record.py object-store \
  "{\"upload_ratio_vs_awscli\": $up_ratio, \"download_ratio_vs_awscli\": $down_ratio, \"peak_rss_mib\": $peak, \"size_mib\": $size_mib, \"ours_upload_s\": $ours_up_wall, \"awscli_upload_s\": $awscli_up_wall, \"ours_download_s\": $ours_down_wall, \"awscli_download_s\": $awscli_down_wall, \"awscli_peak_rss_mib\": $(( awscli_up_rss > awscli_down_rss ? awscli_up_rss : awscli_down_rss ))}" \
  "$work/section.md"
cat "$work/section.md"
