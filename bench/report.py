"""What bench/backup.sh and bench/restore.sh both write from bench/alternate.py's runs: the ratios
(ours over a peer, best and median, against a goal where the issue sets one) and the Markdown tables."""


def ratios(runs, goals, informative=()):
    """goals: (ours, peer, goal); informative: (ours, peer) without a goal. A goal is met by the best."""
    def ratio(a, b, key):
        return round(runs[a]["wall_s"][key] / runs[b]["wall_s"][key], 3)

    result = {}
    for a, b, goal in goals:
        result[f"{a}_vs_{b}"] = {"best": ratio(a, b, "best"), "median": ratio(a, b, "median"), "goal": goal,
                                 "met": ratio(a, b, "best") <= goal}
    for a, b in informative:
        result[f"{a}_vs_{b}"] = {"best": ratio(a, b, "best"), "median": ratio(a, b, "median")}
    return result


def run_table(runs, labels):
    """One row per run, in the order of `labels` (name → Markdown label)."""
    lines = ["| run | best s | median s | CPU-s (median) | peak RSS MiB | staging bytes |",
             "|---|---:|---:|---|---:|---:|"]
    for name, label in labels.items():
        r = runs[name]
        cpu = ", ".join(f"{k} {v}" for k, v in sorted(r["cpu_s_median"].items()))
        lines.append(f"| {label} | {r['wall_s']['best']} | {r['wall_s']['median']} | {cpu} | {r['peak_rss_mib']} "
                     f"| {r['staging_bytes']} |")
    return lines


def ratio_table(ratios):
    lines = ["| ratio (ours / peer) | best | median | goal |", "|---|---:|---:|---|"]
    for key, v in ratios.items():
        goal = f"≤ {v['goal']} ({'met' if v['met'] else 'not met'})" if "goal" in v else ""
        lines.append(f"| {key} | {v['best']} | {v['median']} | {goal} |")
    return lines
