"""python -m polylens_worker execute PLANDIR --shard i/N --out RESULTDIR [--device cpu|cuda] [--dtype ...]
python -m polylens_worker ray PLANDIR --out RESULTDIR [--num-gpus 1 | --cpus-per-task N] [--engine torch|swift]
                                  [--combine FILE]
Bad input is one line on stderr and exit status 1, nothing written."""
import argparse
import sys

from .shard_plan import PlanError, parse_shard


def parser():
    p = argparse.ArgumentParser(prog="python -m polylens_worker",
                                description="Execute Polylens shard plans with PyTorch, alone or fanned out with Ray.")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("execute", help="execute one shard plan into RESULTDIR/result-i-of-N.polylens")
    e.add_argument("plan_dir", metavar="PLANDIR")
    e.add_argument("--shard", required=True, help="i/N, 0-based (Slurm: $SLURM_ARRAY_TASK_ID/N)")
    e.add_argument("--out", required=True, metavar="RESULTDIR")
    r = sub.add_parser("ray", help="one Ray task per shard, then polylens combine")
    r.add_argument("plan_dir", metavar="PLANDIR")
    r.add_argument("--out", required=True, metavar="RESULTDIR")
    r.add_argument("--engine", choices=["torch", "swift"], default="torch")
    r.add_argument("--num-gpus", type=float, default=0, help="GPUs per task (torch engine: runs on cuda)")
    r.add_argument("--cpus-per-task", type=int, default=1)
    r.add_argument("--retries", type=int, default=3, help="Ray retries of a failed task (default 3)")
    r.add_argument("--local-cpus", type=int, help="CPUs of a local Ray (default: all); tasks run at once = this / --cpus-per-task")
    r.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a local Ray)")
    r.add_argument("--combine", metavar="FILE", help="after the shards, polylens combine into FILE")
    r.add_argument("--allow-mixed-engines", action="store_true")
    r.add_argument("--polylens", default="polylens", help="the polylens binary (execute for --engine swift, combine)")
    for q in (e, r):
        q.add_argument("--device", default=None, help="cpu or cuda[:N] (default cpu; ray --num-gpus: cuda)")
        q.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
        q.add_argument("--batch-tokens", type=int, default=4096,
                       help="padded tokens per forward pass (batch size × longest sequence)")
        q.add_argument("--model", help="the checkpoint directory, where it differs from the plan's recorded path "
                                       "(checked against the recorded sha256)")
        q.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.batch_tokens < 1:
            raise PlanError("--batch-tokens must be at least 1, got %d" % args.batch_tokens)
        if args.command == "execute":
            from .executor import execute
            shard, count = parse_shard(args.shard)
            out, computed = execute(args.plan_dir, shard, count, args.out, device=args.device or "cpu", dtype=args.dtype,
                                    batch_tokens=args.batch_tokens, model_path=args.model, progress=not args.quiet)
            print(out)
        else:
            from .ray_fanout import fan_out
            if args.retries < 0 or args.cpus_per_task < 1 or args.num_gpus < 0:
                raise PlanError("--retries and --num-gpus must not be negative, --cpus-per-task at least 1")
            options = {"dtype": args.dtype, "batch_tokens": args.batch_tokens, "model": args.model,
                       "polylens": args.polylens}
            if args.device:
                options["device"] = args.device
            fan_out(args.plan_dir, args.out, engine=args.engine, num_gpus=args.num_gpus, cpus_per_task=args.cpus_per_task,
                    retries=args.retries, address=args.address, options=options, combine=args.combine,
                    allow_mixed=args.allow_mixed_engines, progress=not args.quiet,
                    local_cpus=args.local_cpus)
    except PlanError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
