"""manage.py build_dataset --nhanes-dir ../shared/data/nhanes --out dataset.csv.gz"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from predictor.training.dataset import CYCLES_BY_KEY, build_dataset, cycle_summary


class Command(BaseCommand):
    help = "Build the training table from the NHANES files and print per-cycle N and prevalence."

    def add_arguments(self, parser):
        parser.add_argument("--nhanes-dir", type=Path, default=None, help="defaults to settings.NHANES_DIR")
        parser.add_argument("--out", type=Path, required=True, help="CSV file to write (.csv or .csv.gz)")
        parser.add_argument(
            "--cycles",
            nargs="*",
            default=None,
            choices=sorted(CYCLES_BY_KEY),
            help="cycles to include (default: all, 2005-2006 to 2017-2018)",
        )

    def handle(self, *args, nhanes_dir, out, cycles, **options):
        nhanes_dir = Path(nhanes_dir or settings.NHANES_DIR)
        if not nhanes_dir.is_dir():
            raise CommandError(f"No NHANES directory at {nhanes_dir}; pass --nhanes-dir.")
        dataset = build_dataset(nhanes_dir=nhanes_dir, cycle_keys=tuple(cycles) if cycles else None)
        out.parent.mkdir(parents=True, exist_ok=True)
        dataset.to_csv(out, index=False)
        self.stdout.write(format_summary(dataset))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(dataset)} rows to {out}"))


def format_summary(dataset) -> str:
    summary = cycle_summary(dataset)
    lines = ["cycle          N   positive  prevalence  missing answers"]
    for cycle, row in summary.iterrows():
        lines.append(
            f"{cycle:<11} {int(row.n):>5}   {int(row.positives):>6}    {100 * row.prevalence:6.2f} %     "
            f"{100 * row.missing_share:5.1f} %"
        )
    total = dataset["depressed"]
    lines.append(f"{'all':<11} {len(total):>5}   {int(total.sum()):>6}    {100 * total.mean():6.2f} %")
    return "\n".join(lines)
