#!/usr/bin/env python3
"""Sharded `ntpsep ingest` on Dask: one `ntpsep ingest --shard I/N` task per shard, then a
merge tree of `ntpsep merge` tasks, ending in one data set that has the same bytes as a
single-process `ntpsep ingest` of the same inputs with the same options.

    python3 scale/ntpsep_dask.py CORPUS... -o DATA.npz --shards 8 [--workers 2] [--scheduler ADDR]
        [--work-dir DIR] [--fan-in 4] [--ntpsep PATH] [ingest options, e.g. --order 3 --memory 2G]

Runs on a `dask.distributed.LocalCluster` (--workers processes, --threads-per-worker each) unless
--scheduler names a running scheduler (a cluster, dask-jobqueue on Slurm, Kubernetes); then the
workers must see the inputs, the work folder and the ntpsep binary at the same paths (a shared
file system). Parts and intermediate merges are kept in --work-dir (default: OUTPUT.parts/);
a rerun skips every part or merge that is already there (they are written atomically, so a file
that exists is complete). Progress: Dask's progress bar on stderr, and the dashboard.
Options the driver does not know are passed to every `ntpsep ingest` (and --memory/--temp-dir
to `ntpsep merge` too).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time


def run_ntpsep(arguments, output, folder, *dependencies):
    """Runs one ntpsep command in `folder` on a worker unless its output exists; returns the
    output path. `dependencies` (finished tasks' outputs) only order the task after them."""
    if os.path.exists(output):
        return output
    try:
        done = subprocess.run(arguments, capture_output=True, text=True, cwd=folder)
    except OSError as e:
        raise RuntimeError(f"{' '.join(arguments)} could not start: {e}") from None
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed ({done.returncode}): {done.stderr.strip()}")
    return output


def plan(inputs, output, shards, fan_in, work, binary, ingest_options, merge_options):
    """The tasks as (key, arguments, output, dependency keys), in submission order."""
    tasks = []
    level = []
    for i in range(shards):
        part = os.path.join(work, f"shard-{i:05d}-of-{shards:05d}.part")
        key = f"ingest-{i}-of-{shards}"
        tasks.append((key, [binary, "ingest", *inputs, "--shard", f"{i}/{shards}", "-o", part, "-q", *ingest_options], part, []))
        level.append((key, part, i, i))
    depth = 0
    while True:
        depth += 1
        last = len(level) <= fan_in
        nxt = []
        for g in range(0, len(level), fan_in):
            group = level[g:g + fan_in]
            if len(group) == 1 and not last:
                nxt.append(group[0])   # nothing to merge it with at this level
                continue
            first, final = group[0][2], group[-1][3]
            target = output if last else os.path.join(work, f"merge-{depth}-{first:05d}-{final:05d}.part")
            key = f"merge-{depth}-{first}-{final}"
            tasks.append((key, [binary, "merge", *[p for _, p, _, _ in group], "-o", target, "-q", *merge_options],
                          target, [k for k, _, _, _ in group]))
            nxt.append((key, target, first, final))
        level = nxt
        if last:
            return tasks


def fail(message, status):
    """One line on stderr, as ntpsep's errors, and the exit status."""
    print(f"ntpsep_dask.py: {message}", file=sys.stderr)
    sys.exit(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="corpus files or directories (as for ntpsep ingest)")
    parser.add_argument("-o", "--output", required=True, help="the data set to write (.npz)")
    parser.add_argument("--shards", type=int, required=True, help="number of ingest tasks N")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--threads-per-worker", type=int, default=1, help="LocalCluster threads per worker (default 1)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler instead of a LocalCluster")
    parser.add_argument("--work-dir", help="folder for parts (default OUTPUT.parts); kept for resuming, removed on success unless --keep-parts")
    parser.add_argument("--keep-parts", action="store_true", help="keep the parts after success")
    parser.add_argument("--fan-in", type=int, default=4, help="parts per merge task (default 4)")
    parser.add_argument("--ntpsep", default=shutil.which("ntpsep") or "ntpsep", help="the ntpsep binary (default: on PATH)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args, ingest_options = parser.parse_known_args()
    if args.shards < 1 or args.fan_in < 2:
        parser.error("--shards must be at least 1 and --fan-in at least 2")
    if not args.output.endswith(".npz"):
        parser.error("-o must name a data set ending in .npz")
    merge_options = []
    for i, a in enumerate(ingest_options):
        for flag in ("--memory", "--temp-dir"):
            if a == flag and i + 1 < len(ingest_options):
                merge_options += [a, ingest_options[i + 1]]
            elif a.startswith(flag + "="):
                merge_options.append(a)
    for path in args.inputs:
        if path != "-" and not os.path.exists(path):
            fail(f"{path}: no such file or directory (check the path)", 2)
    output = os.path.abspath(args.output)
    work = os.path.abspath(args.work_dir or output + ".parts")
    made_work = not os.path.exists(work)
    os.makedirs(work, exist_ok=True)
    binary = os.path.abspath(args.ntpsep) if os.sep in args.ntpsep else args.ntpsep
    # Inputs stay as given (the data set records them, as `ntpsep ingest` does); every task
    # runs in this folder, so relative paths work on a LocalCluster and on a shared file system.
    inputs = args.inputs
    folder = os.getcwd()
    tasks = plan(inputs, output, args.shards, args.fan_in, work, binary, ingest_options, merge_options)

    from dask.distributed import Client, LocalCluster, progress, wait
    started = time.time()
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                               dashboard_address=":0", silence_logs=50)  # a failed task is reported below, once
        client = Client(cluster)
    try:
        futures = {}
        for key, arguments, target, dependencies in tasks:
            futures[key] = client.submit(run_ntpsep, arguments, target, folder, *[futures[d] for d in dependencies],
                                         key=key, pure=False)
        final = futures[tasks[-1][0]]
        if not args.quiet:
            progress(list(futures.values()))
            print(file=sys.stderr)
        wait(final)
        final.result()
    except Exception as e:
        # One line, as ntpsep's own errors (QA round 9: a 24-line traceback, with the error last). The
        # parts made so far stay for a rerun to resume from; a work folder left empty goes.
        client.cancel(list(futures.values()))
        if made_work and os.path.isdir(work) and not os.listdir(work):
            os.rmdir(work)
        fail(e, 1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if not args.keep_parts:
        shutil.rmtree(work, ignore_errors=True)
    merges = len(tasks) - args.shards
    print(f"wrote {args.output}: {args.shards} shard{'s' * (args.shards != 1)}, {merges} merge{'s' * (merges != 1)} in {time.time() - started:.2f} s")


if __name__ == "__main__":
    main()
