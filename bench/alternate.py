#!/usr/bin/env python3
"""Runs benchmark jobs side by side, alternating, and measures each run: wall time, CPU-seconds of
each process that matters, peak RSS, and staging bytes. Used by bench/backup.sh and bench/restore.sh.

    python3 bench/alternate.py [--rounds N] [--watch NAME=PID ...] [--filesystem DIR ...] SPEC.json RESULT.json

SPEC: {"jobs": [{"name": ..., "shell": ..., "before": ..., "after": ..., "published": GLOB}, ...]}; the
programs' CPU records go to $MM_BENCH_CPU_DIR.

- Order: round 0 runs the jobs as listed, round 1 reversed, and so on (A B B A A B ...), so a drift
  of the machine during the run falls on every job alike.
- `before` (shell, untimed) runs before each timing: it resets the target, removes the last output;
  `after` (shell, untimed) checks the result (a non-zero exit stops the bench).
- CPU-seconds: the whole job (user + sys of the shell and every process it waited for, from wait4),
  each watched process (from /proc/PID/stat), and each program that wrote its own rusage into
  $MM_BENCH_CPU_DIR/<program> (bench/bin wraps mariadb-dump, mariadb, pigz, igzip, gzip, aws, … with
  /usr/bin/time -a -o).
- Staging bytes: the file systems of `--filesystem` are sampled every 20 ms (statvfs); the largest
  growth of their used bytes over the run, less what the job published there (the files matching
  `published` when it ended: the backup itself in a directory store, which is no staging).
"""
import argparse, glob, json, os, statistics, subprocess, sys, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--watch", action="append", default=[], help="NAME=PID of a process whose CPU time is wanted")
parser.add_argument("--filesystem", action="append", default=[], help="a directory whose file system is sampled")
parser.add_argument("spec")
parser.add_argument("result")
options = parser.parse_args()
spec = json.load(open(options.spec))
spec["rounds"] = options.rounds
spec["watch"] = {name: int(pid) for name, pid in (item.split("=", 1) for item in options.watch)}
spec["filesystems"] = options.filesystem
spec["cpu_dir"] = os.environ["MM_BENCH_CPU_DIR"]
# bench/bin first: Python run through pyenv has its own bin directory (with aws) put before it.
child_env = dict(os.environ, PATH=os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin") + ":"
                 + os.environ.get("PATH", ""))
ticks = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError):
        return None


def used_bytes(paths):
    seen, total = set(), 0
    for path in paths:
        st = os.stat(path)
        if st.st_dev in seen:
            continue
        seen.add(st.st_dev)
        vfs = os.statvfs(path)
        total += (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    return total


def read_program_cpu(directory):
    result = {}
    for path in glob.glob(os.path.join(directory, "*")):
        total = 0.0
        for line in open(path):
            parts = line.split()
            if len(parts) >= 2:
                try:
                    total += float(parts[0]) + float(parts[1])
                except ValueError:
                    pass
        result[os.path.basename(path)] = round(total, 2)
        os.remove(path)
    return result


def run_once(job):
    if job.get("before"):
        subprocess.run(["bash", "-c", job["before"]], check=True, stdout=subprocess.DEVNULL, env=child_env)
    cpu_dir = spec["cpu_dir"]
    read_program_cpu(cpu_dir)
    paths = spec.get("filesystems", [])
    baseline = used_bytes(paths)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], used_bytes(paths) - baseline)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    watched = {name: proc_cpu(pid) for name, pid in spec.get("watch", {}).items()}
    sampler.start()
    err = open(os.path.join(cpu_dir, "..", f"{job['name']}.err"), "w")
    start = time.monotonic()
    child = subprocess.Popen(["bash", "-c", job["shell"]], stdout=subprocess.DEVNULL, stderr=err, env=child_env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], used_bytes(paths) - baseline)
    if status != 0:
        err.close()
        sys.stderr.write(open(err.name).read()[-2000:])
        sys.exit(f"{job['name']} failed (status {status})")
    if job.get("after"):
        subprocess.run(["bash", "-c", job["after"]], check=True, stdout=subprocess.DEVNULL, env=child_env)
    published = sum(os.path.getsize(p) for p in glob.glob(job["published"])) if job.get("published") else 0
    cpu = {"job": round(usage.ru_utime + usage.ru_stime, 2)}
    for name, pid in spec.get("watch", {}).items():
        after = proc_cpu(pid)
        if after is not None and watched[name] is not None:
            cpu[name] = round(after - watched[name], 2)
    cpu.update(read_program_cpu(cpu_dir))
    return {
        "wall_s": round(wall, 2),
        "cpu_s": cpu,
        "peak_rss_mib": usage.ru_maxrss // 1024,
        "staging_bytes": max(0, peak[0] - published),
    }


jobs = spec["jobs"]
runs = {job["name"]: [] for job in jobs}
for round_index in range(spec.get("rounds", 3)):
    order = jobs if round_index % 2 == 0 else list(reversed(jobs))
    for job in order:
        result = run_once(job)
        runs[job["name"]].append(result)
        print(f"round {round_index + 1} {job['name']}: {result['wall_s']} s, cpu {result['cpu_s']}, "
              f"rss {result['peak_rss_mib']} MiB, staging {result['staging_bytes']} B", file=sys.stderr, flush=True)

summary = {}
for name, results in runs.items():
    walls = [r["wall_s"] for r in results]
    programs = sorted({key for r in results for key in r["cpu_s"]})
    summary[name] = {
        "wall_s": {"best": min(walls), "median": round(statistics.median(walls), 2), "all": walls},
        "cpu_s_median": {p: round(statistics.median([r["cpu_s"].get(p, 0.0) for r in results]), 2) for p in programs},
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
        "staging_bytes": max(r["staging_bytes"] for r in results),
    }
json.dump(summary, open(options.result, "w"), indent=2, sort_keys=True)
