"""akhbar's cleaner vs bare trafilatura: the Arabic template set, then the real-page sets.

Run: ``.venv/bin/python benchmarks/extraction.py [--repeat N] [--pages ID...] [--show-leaks]
[--real-only | --no-real] [--write-baseline]``

Prints, per template and overall: token precision / recall / F1 (macro over pages) and chrome
leakage (output lines not in the gold) for bare ``trafilatura.extract`` (default settings) and
for ``akhbar.cleaner.extract``; then akhbar's metadata accuracy per field; then the speed of
both on the same pages (pages/s, best of ``--repeat`` rounds; the two run page by page, in
alternating order, so that both see the same machine state) and akhbar's extra cost over bare
trafilatura in wall time and in process CPU time (the steadier figure on a shared machine).

Then, per public real-page set in ``../shared`` (``real-pages``, ``wcxb-articles``; skipped
with a note when absent): P / R / F1 (macro), empty outputs, leak2 lines, CPU per page of
both (measured in each run, then again page by page interleaved, the ratio to read), and on
WCXB the title / author / date accuracy of both against the gold (matching rules
in ``tests/cleaner/real_pages.py``). ``--write-baseline`` stores bare trafilatura's per-page
figures (ids and numbers) that the real-page gates compare against.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cleaner"))

import real_pages  # noqa: E402
from extraction_eval import (  # noqa: E402
    LEAK_BASELINE,
    META_FIELDS,
    EvalPage,
    PageResult,
    evaluate,
    load_pages,
    run_akhbar,
    run_trafilatura,
)


def _table(results: list[PageResult]) -> None:
    by_template: dict[str, list[PageResult]] = defaultdict(list)
    for r in results:
        by_template[r.page.template].append(r)
    head = (
        f"{'template':<14} {'pages':>5} | {'bare P':>6} {'R':>6} {'F1':>6} {'leaks':>5} | "
        f"{'akhbar P':>8} {'R':>6} {'F1':>6} {'leaks':>5}"
    )
    print(head)
    print("-" * len(head))
    rows = [*sorted(by_template.items()), ("ALL (macro)", results)]
    for name, rs in rows:
        print(
            f"{name:<14} {len(rs):>5} | "
            f"{statistics.mean(r.bare.precision for r in rs):>6.3f} "
            f"{statistics.mean(r.bare.recall for r in rs):>6.3f} "
            f"{statistics.mean(r.bare.f1 for r in rs):>6.3f} "
            f"{sum(len(r.bare_leaks) for r in rs):>5} | "
            f"{statistics.mean(r.akhbar.precision for r in rs):>8.3f} "
            f"{statistics.mean(r.akhbar.recall for r in rs):>6.3f} "
            f"{statistics.mean(r.akhbar.f1 for r in rs):>6.3f} "
            f"{sum(len(r.akhbar_leaks) for r in rs):>5}"
        )
    pages_bare = sum(1 for r in results if r.bare_leaks)
    pages_akhbar = sum(1 for r in results if r.akhbar_leaks)
    print(f"pages leaking chrome: bare trafilatura {pages_bare}, akhbar {pages_akhbar}")


def _metadata(results: list[PageResult]) -> None:
    ok: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for r in results:
        for name, good in r.metadata.items():
            total[name] += 1
            ok[name] += good
    print("\nakhbar metadata (pages where the field matches gold / pages whose template shows it)")
    for name in META_FIELDS:
        if total[name]:
            print(f"  {name:<14} {ok[name]:>3}/{total[name]:<3} {ok[name] / total[name]:.0%}")


def _speed(pages: list[EvalPage], repeat: int) -> None:
    """Both extractors page by page, alternating which goes first, so that the load of a shared
    machine falls on both alike; wall time (best round) and process CPU time (all rounds)."""
    for page in pages[:5]:  # warm-up: lazy imports and caches of both
        run_trafilatura(page)
        run_akhbar(page)
    runners = {"bare": run_trafilatura, "akhbar": run_akhbar}
    wall_rounds: dict[str, list[float]] = {"bare": [], "akhbar": []}
    cpu = {"bare": 0.0, "akhbar": 0.0}
    ratios: list[float] = []
    for round_no in range(repeat):
        wall = {"bare": 0.0, "akhbar": 0.0}
        round_cpu = {"bare": 0.0, "akhbar": 0.0}
        for i, page in enumerate(pages):
            order = ("bare", "akhbar") if (i + round_no) % 2 == 0 else ("akhbar", "bare")
            for name in order:
                w, c = time.perf_counter(), time.process_time()
                runners[name](page)
                round_cpu[name] += time.process_time() - c
                wall[name] += time.perf_counter() - w
        for name in wall:
            wall_rounds[name].append(wall[name])
            cpu[name] += round_cpu[name]
        ratios.append(round_cpu["akhbar"] / round_cpu["bare"])
    best = {name: min(rounds) for name, rounds in wall_rounds.items()}
    print(f"\nspeed over {len(pages)} pages ({repeat} rounds, page by page interleaved):")
    print(f"  bare trafilatura.extract  {len(pages) / best['bare']:7.1f} pages/s (best round)")
    print(f"  akhbar cleaner.extract    {len(pages) / best['akhbar']:7.1f} pages/s (best round)")
    print(f"  akhbar extra cost, wall   {best['akhbar'] / best['bare'] - 1:+.1%} (best rounds)")
    print(
        f"  akhbar extra cost, CPU    {cpu['akhbar'] / cpu['bare'] - 1:+.1%} (all rounds; "
        f"per round {min(ratios) - 1:+.1%} … {max(ratios) - 1:+.1%})"
    )


SHARED = ROOT.parent / "shared"


def _real_sets(write_baseline: bool) -> None:
    if not SHARED.is_dir():
        print(f"\nreal-page sets skipped: {SHARED} not found")
        return
    score = real_pages.score_module(SHARED)
    runs: dict[str, real_pages.Run] = {}
    head = (
        f"{'set':<14} {'pages':>5} | {'':<6} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} "
        f"{'leak2':>6} {'CPU ms/page':>11}"
    )
    print("\nreal-page sets (token-bag scores of ../shared/real-pages/score.py)\n")
    print(head)
    print("-" * len(head))
    for name in real_pages.SETS:
        pages = real_pages.load_set(SHARED, name)
        bare = real_pages.run_bare(pages, score, metadata=name == real_pages.META_SET)
        ours = real_pages.run_akhbar(pages, score)
        runs[name] = bare
        for label, run in (("bare", bare), ("akhbar", ours)):
            print(
                f"{name if label == 'bare' else '':<14} {len(pages) if label == 'bare' else '':>5}"
                f" | {label:<6} {run.macro('precision'):>6.3f} {run.macro('recall'):>6.3f} "
                f"{run.macro('f1'):>6.3f} {run.empty:>5} {run.leak2:>6} "
                f"{1000 * run.cpu / len(pages):>11.1f}"
            )
        bare_cpu, our_cpu = real_pages.cpu_interleaved(pages)
        print(
            f"{'':<14} {'':>5} | interleaved page by page (2 rounds): bare "
            f"{1000 * bare_cpu / len(pages):.1f}, akhbar {1000 * our_cpu / len(pages):.1f} "
            f"ms/page, akhbar CPU / bare CPU {our_cpu / bare_cpu:.2f}"
        )
        if name == real_pages.META_SET:
            b, o = bare.meta_accuracy(), ours.meta_accuracy()
            print(f"{'':<14} {'':>5} | metadata (matches / pages with gold): ", end="")
            print(
                ", ".join(
                    f"{f} bare {b[f][0]}/{b[f][1]} akhbar {o[f][0]}/{o[f][1]}"
                    for f in real_pages.META_FIELDS
                )
            )
    if write_baseline:
        real_pages.write_baseline(runs)
        print(f"\nbaseline written: {real_pages.BASELINE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="speed rounds (best is kept)")
    parser.add_argument("--pages", nargs="*", help="only these page ids")
    parser.add_argument("--show-leaks", action="store_true", help="print every leaked line")
    parser.add_argument(
        "--write-leak-baseline",
        action="store_true",
        help=f"accept akhbar's current leaks as the gate's baseline ({LEAK_BASELINE.name})",
    )
    parser.add_argument("--no-real", action="store_true", help="skip the real-page sets")
    parser.add_argument("--real-only", action="store_true", help="only the real-page sets")
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help="store bare trafilatura's per-page figures for the real-page gates",
    )
    args = parser.parse_args()
    if args.real_only:
        _real_sets(args.write_baseline)
        return
    pages = load_pages()
    if args.pages:
        pages = [p for p in pages if p.id in set(args.pages)]
    templates = len({p.template for p in pages})
    print(f"{len(pages)} pages, {templates} templates (tests/data/extraction/pages)\n")
    results = evaluate(pages)
    _table(results)
    if args.show_leaks:
        for r in results:
            for line in r.akhbar_leaks:
                print(f"  akhbar leak {r.page.id}: {line}")
            for line in r.bare_leaks:
                print(f"  bare leak   {r.page.id}: {line}")
    _metadata(results)
    if args.write_leak_baseline:
        accepted = {r.page.id: r.akhbar_leaks for r in results if r.akhbar_leaks}
        LEAK_BASELINE.write_text(
            json.dumps(accepted, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        print(f"\nleak baseline written: {len(accepted)} pages with accepted leaks")
    _speed(pages, args.repeat)
    if not args.no_real:
        _real_sets(args.write_baseline)


if __name__ == "__main__":
    main()
